//! Repeating groups: each instance is its own place for answers; adding and removing
//! respects minOccurs and maxOccurs.

mod common;

use std::sync::Arc;

use formwell_engine::{Action, ActionError, AnswerValue, FormState};
use serde_json::json;

fn children_form() -> (FormState, formwell_engine::ItemId) {
    let q = common::with_items(json!([{
        "linkId": "child", "type": "group", "repeats": true, "text": "Child",
        "extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-minOccurs", "valueInteger": 1},
            {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-maxOccurs", "valueInteger": 3}],
        "item": [{"linkId": "name", "type": "string", "required": true}, {"linkId": "nursery", "type": "string", "initial": [{"valueString": "Sure Start"}]}]
    }]));
    let child = q.item_by_link_id("child").unwrap().id;
    (FormState::new(Arc::clone(&q)), child)
}

#[test]
fn each_instance_holds_its_own_answers() {
    let (mut form, child) = children_form();
    let second = form.apply(Action::AddInstance { parent: None, item: child }).unwrap().unwrap();
    let names: Vec<_> = form.roots().iter().map(|r| form.node(*r).unwrap().children[0]).collect();
    form.apply(Action::SetInput { node: names[0], text: "Ada".into() }).unwrap();
    form.apply(Action::SetInput { node: names[1], text: "Ben".into() }).unwrap();
    assert_eq!(form.node(names[0]).unwrap().answers, [AnswerValue::String("Ada".into())]);
    assert_eq!(form.node(names[1]).unwrap().answers, [AnswerValue::String("Ben".into())]);
    let nursery = form.node(second).unwrap().children[1];
    assert_eq!(
        form.node(nursery).unwrap().answers,
        [AnswerValue::String("Sure Start".into())],
        "a new instance gets initial values"
    );
    assert_eq!(form.evaluate().completeness().required, 2, "each instance's required question counts");
}

#[test]
fn instances_are_added_after_the_last_and_capped_at_max_occurs() {
    let (mut form, child) = children_form();
    let a = form.roots()[0];
    let b = form.apply(Action::AddInstance { parent: None, item: child }).unwrap().unwrap();
    let c = form.apply(Action::AddInstance { parent: None, item: child }).unwrap().unwrap();
    assert_eq!(form.roots(), [a, b, c]);
    let err = form.apply(Action::AddInstance { parent: None, item: child }).unwrap_err();
    assert_eq!(err, ActionError::MaxOccurs { link_id: "child".into(), max: 3 });
    assert_eq!(err.to_string(), "\"child\" allows at most 3");
}

#[test]
fn removing_keeps_at_least_min_occurs_and_forgets_the_instance() {
    let (mut form, child) = children_form();
    let first = form.roots()[0];
    assert_eq!(
        form.apply(Action::RemoveInstance { node: first }).unwrap_err(),
        ActionError::MinOccurs { link_id: "child".into(), min: 1 }
    );
    let second = form.apply(Action::AddInstance { parent: None, item: child }).unwrap().unwrap();
    let name = form.node(second).unwrap().children[0];
    form.apply(Action::RemoveInstance { node: second }).unwrap();
    assert!(form.node(second).is_none() && form.node(name).is_none());
    assert_eq!(form.roots(), [first]);
    assert_eq!(form.evaluate().completeness().required, 1);
    assert!(matches!(form.apply(Action::SetInput { node: name, text: "x".into() }), Err(ActionError::UnknownNode(_))));
}

#[test]
fn a_new_form_starts_with_min_occurs_instances() {
    let q = common::with_items(json!([{
        "linkId": "visit", "type": "group", "repeats": true,
        "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-minOccurs", "valueInteger": 2}],
        "item": [{"linkId": "when", "type": "date"}]
    }]));
    let form = FormState::new(q);
    assert_eq!(form.roots().len(), 2, "a new form starts with minOccurs instances");
    assert!(form.evaluate().issues().is_empty());
}

#[test]
fn only_repeating_groups_take_instances() {
    let q = common::with_items(json!([{"linkId": "g", "type": "group", "item": [{"linkId": "x", "type": "string"}]}]));
    let g = q.item_by_link_id("g").unwrap().id;
    let mut form = FormState::new(q);
    assert_eq!(
        form.apply(Action::AddInstance { parent: None, item: g }).unwrap_err(),
        ActionError::NotARepeatingGroup("g".into())
    );
}

#[test]
fn nested_repeats_are_added_under_the_right_parent() {
    let q = common::with_items(json!([{
        "linkId": "family", "type": "group", "repeats": true, "item": [
            {"linkId": "member", "type": "group", "repeats": true, "item": [{"linkId": "m-name", "type": "string"}]}]
    }]));
    let member = q.item_by_link_id("member").unwrap().id;
    let mut form = FormState::new(Arc::clone(&q));
    let family = form.roots()[0];
    let added = form.apply(Action::AddInstance { parent: Some(family), item: member }).unwrap().unwrap();
    assert_eq!(form.node(added).unwrap().parent, Some(family));
    assert_eq!(form.node(family).unwrap().children.len(), 2);
    assert_eq!(
        form.apply(Action::AddInstance { parent: None, item: member }).unwrap_err(),
        ActionError::WrongParent("member".into())
    );
}
