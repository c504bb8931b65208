//! Revisions: a change marks what it changed, and nothing else, so that a view redraws
//! only those instances (the app skips every item whose revision is the same).

mod common;
#[path = "common/generate.rs"]
mod generate;

use std::collections::BTreeSet;
use std::sync::Arc;

use formwell_engine::{Action, FormState, NodeId, Questionnaire};

fn generated(items: usize) -> FormState {
    let q = Questionnaire::from_json(&generate::questionnaire(items)).unwrap().questionnaire;
    FormState::new(Arc::new(q))
}

/// Every live instance with its (own, subtree) revisions.
fn snapshot(form: &FormState) -> Vec<(NodeId, u64, u64)> {
    form.nodes().map(|n| (n.id, form.revision(n.id), form.subtree_revision(n.id))).collect()
}

/// The link ids of the instances whose own revision, and whose subtree revision, moved.
fn moved(form: &FormState, before: &[(NodeId, u64, u64)]) -> (BTreeSet<String>, BTreeSet<String>) {
    let q = form.questionnaire().clone();
    let name = |id: NodeId| form.node(id).map_or("(gone)".into(), |n| q.item(n.item).link_id.clone());
    let own = before.iter().filter(|(id, r, _)| form.revision(*id) != *r).map(|(id, ..)| name(*id)).collect();
    let subtree =
        before.iter().filter(|(id, _, r)| form.subtree_revision(*id) != *r).map(|(id, ..)| name(*id)).collect();
    (own, subtree)
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_keystroke_marks_its_question_and_its_groups_and_nothing_else() {
    let mut form = generated(1000);
    let before = snapshot(&form);
    let at = form.form_revision();
    // Group 50's decimal: 1.2 switches nothing (its dependant wants 1.5 or more).
    common::type_in(&mut form, "g50.q5", "1.2");
    assert_eq!(moved(&form, &before), (set(&["g50.q5"]), set(&["g50", "g50.q5"])));
    assert!(form.form_revision() > at);
}

#[test]
fn an_answer_that_switches_a_condition_marks_the_question_it_shows() {
    let mut form = generated(1000);
    assert!(!common::enabled(&form, "g50.q6"));
    let before = snapshot(&form);
    common::type_in(&mut form, "g50.q5", "2");
    assert!(common::enabled(&form, "g50.q6"));
    let (own, subtree) = moved(&form, &before);
    assert_eq!(own, set(&["g50.q5", "g50.q6"]));
    assert_eq!(subtree, set(&["g50", "g50.q5", "g50.q6"]));
}

#[test]
fn a_no_at_the_head_of_a_chain_marks_every_group_it_hides() {
    let mut form = generated(100);
    let before = snapshot(&form);
    let node = common::node(&form, "g0.q8");
    form.apply(Action::SetAnswer { node, value: Some(formwell_engine::AnswerValue::Boolean(false)) }).unwrap();
    let (own, _) = moved(&form, &before);
    // Groups 1 to 9 are hidden, each a change on screen.
    for g in 1..10 {
        assert!(own.contains(&format!("g{g}")), "g{g} was hidden but not marked");
    }
}

#[test]
fn adding_an_instance_leaves_the_others_as_they_were() {
    let mut form = generated(100);
    let group = form.questionnaire().item_by_link_id("g4").unwrap().id;
    // The second instance makes the first removable: both change.
    form.apply(Action::AddInstance { parent: None, item: group }).unwrap();
    assert_eq!(form.instances_of(group).len(), 2);
    for _ in 0..7 {
        form.apply(Action::AddInstance { parent: None, item: group }).unwrap();
    }
    let before = snapshot(&form);
    form.apply(Action::AddInstance { parent: None, item: group }).unwrap();
    let (own, subtree) = moved(&form, &before);
    assert!(own.is_empty() && subtree.is_empty(), "the tenth instance changed the others: {own:?} {subtree:?}");
    // Removing one leaves nine (still above the minimum): the others stay as they were.
    let before = snapshot(&form);
    let last = *form.instances_of(group).last().unwrap();
    form.apply(Action::RemoveInstance { node: last }).unwrap();
    let (own, subtree) = moved(&form, &before);
    assert!(own == set(&["(gone)"]) && subtree == own, "removing one changed the others: {own:?} {subtree:?}");
}

#[test]
fn a_calculated_total_is_marked_when_a_score_it_adds_changes() {
    let q = Questionnaire::from_json(&generate::calculated_questionnaire(100, 20)).unwrap().questionnaire;
    let mut form = FormState::new(Arc::new(q));
    common::type_in(&mut form, "q1", "2");
    let before = snapshot(&form);
    common::type_in(&mut form, "q0", "3");
    assert_eq!(moved(&form, &before).0, set(&["q0", "total0"]));
}

#[test]
fn an_instance_that_is_gone_has_no_revision() {
    let mut form = generated(100);
    let group = form.questionnaire().item_by_link_id("g4").unwrap().id;
    form.apply(Action::AddInstance { parent: None, item: group }).unwrap();
    let last = *form.instances_of(group).last().unwrap();
    assert!(form.revision(last) > 0);
    form.apply(Action::RemoveInstance { node: last }).unwrap();
    assert_eq!((form.revision(last), form.subtree_revision(last)), (0, 0));
}
