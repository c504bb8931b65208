//! Which questions a person sees: enableWhen with every operator on every answer type,
//! all/any, disabled questions counting as unanswered, and repeating groups.

mod common;

use std::sync::Arc;

use common::{enabled, node, set, type_in, with_items};
use formwell_engine::{Action, AnswerValue, Coding, FhirDate, FhirTime, FormState, Quantity};
use serde_json::{json, Value};

/// A form with one question `q` of `kind` and a follower `f` shown when `q op answer`.
fn follower(kind: &str, op: &str, answer: Value) -> FormState {
    let mut condition = json!({"question": "q", "operator": op});
    for (k, v) in answer.as_object().unwrap() {
        condition[k] = v.clone();
    }
    FormState::new(with_items(json!([
        {"linkId": "q", "type": kind, "repeats": true},
        {"linkId": "f", "type": "string", "enableWhen": [condition]}
    ])))
}

/// Sets `q`, then says whether `f` is shown.
fn shown_after(form: &mut FormState, value: Option<AnswerValue>) -> bool {
    let q = node(form, "q");
    form.apply(Action::SetAnswer { node: q, value }).unwrap();
    enabled(form, "f")
}

#[test]
fn exists_follows_whether_there_is_an_answer() {
    let mut form = follower("string", "exists", json!({"answerBoolean": true}));
    assert!(!enabled(&form, "f"));
    assert!(shown_after(&mut form, Some(AnswerValue::String("x".into()))));
    assert!(!shown_after(&mut form, None));
    let mut form = follower("string", "exists", json!({"answerBoolean": false}));
    assert!(enabled(&form, "f"));
    assert!(!shown_after(&mut form, Some(AnswerValue::String("x".into()))));
}

#[test]
fn every_operator_on_numbers() {
    let cases = [
        ("=", 5, [false, true, false]),
        ("!=", 5, [true, false, true]),
        (">", 5, [false, false, true]),
        ("<", 5, [true, false, false]),
        (">=", 5, [false, true, true]),
        ("<=", 5, [true, true, false]),
    ];
    for (op, at, expected) in cases {
        for kind in ["integer", "decimal"] {
            let mut form =
                follower(kind, op, json!({ (if kind == "integer" { "answerInteger" } else { "answerDecimal" }): at }));
            for (value, want) in [4, 5, 6].into_iter().zip(expected) {
                let v =
                    if kind == "integer" { AnswerValue::Integer(value) } else { AnswerValue::Decimal(value as f64) };
                assert_eq!(shown_after(&mut form, Some(v)), want, "{kind} {value} {op} {at}");
            }
        }
    }
}

#[test]
fn not_equal_holds_when_no_answer_equals_including_none() {
    let mut form = follower("string", "!=", json!({"answerString": "no"}));
    assert!(enabled(&form, "f"), "no answer: no answer equals \"no\"");
    assert!(!shown_after(&mut form, Some(AnswerValue::String("no".into()))));
}

#[test]
fn ordering_on_dates_date_times_times_and_quantities() {
    let mut form = follower("date", ">", json!({"answerDate": "2024-03-01"}));
    assert!(shown_after(&mut form, Some(AnswerValue::Date(FhirDate::parse("2024-03-02").unwrap()))));
    assert!(!shown_after(&mut form, Some(AnswerValue::Date(FhirDate::parse("2024-02-29").unwrap()))));

    let mut form = follower("dateTime", "<=", json!({"answerDateTime": "2024-03-01T12:00:00Z"}));
    let dt = |s| Some(AnswerValue::DateTime(formwell_engine::FhirDateTime::parse(s).unwrap()));
    assert!(shown_after(&mut form, dt("2024-03-01T13:00:00+02:00")), "11:00 UTC is before 12:00 UTC");
    assert!(!shown_after(&mut form, dt("2024-03-01T12:30:00Z")));

    let mut form = follower("time", "<", json!({"answerTime": "12:00:00"}));
    assert!(shown_after(&mut form, Some(AnswerValue::Time(FhirTime::parse("09:30").unwrap()))));
    assert!(!shown_after(&mut form, Some(AnswerValue::Time(FhirTime::parse("12:00").unwrap()))));

    let kg = |v| {
        Some(AnswerValue::Quantity(Quantity {
            value: Some(v),
            unit: Some("kg".into()),
            system: Some("http://unitsofmeasure.org".into()),
            code: Some("kg".into()),
            comparator: None,
        }))
    };
    let mut form = follower(
        "quantity",
        ">=",
        json!({"answerQuantity": {"value": 10, "system": "http://unitsofmeasure.org", "code": "kg"}}),
    );
    assert!(shown_after(&mut form, kg(10.0)));
    assert!(!shown_after(&mut form, kg(9.5)));
}

#[test]
fn equality_on_codings_booleans_strings_and_references() {
    let yes = Coding::new("http://snomed.info/sct", "373066001", "Yes");
    let mut form =
        follower("choice", "=", json!({"answerCoding": {"system": "http://snomed.info/sct", "code": "373066001"}}));
    assert!(shown_after(&mut form, Some(AnswerValue::Coding(yes))), "codings match by system and code, not display");
    assert!(!shown_after(
        &mut form,
        Some(AnswerValue::Coding(Coding::new("http://snomed.info/sct", "373067005", "No")))
    ));

    let mut form = follower("boolean", "=", json!({"answerBoolean": true}));
    assert!(shown_after(&mut form, Some(AnswerValue::Boolean(true))));
    assert!(!shown_after(&mut form, Some(AnswerValue::Boolean(false))));

    let mut form = follower("open-choice", "=", json!({"answerString": "Other"}));
    assert!(shown_after(&mut form, Some(AnswerValue::String("Other".into()))));

    let mut form = follower("reference", "=", json!({"answerReference": {"reference": "Patient/1"}}));
    let r = |s: &str| {
        Some(AnswerValue::Reference(formwell_engine::Reference { reference: Some(s.into()), ..Default::default() }))
    };
    assert!(shown_after(&mut form, r("Patient/1")));
    assert!(!shown_after(&mut form, r("Patient/2")));
}

#[test]
fn any_answer_of_a_repeating_question_can_satisfy_equals() {
    let mut form = follower("string", "=", json!({"answerString": "b"}));
    let q = node(&form, "q");
    form.apply(Action::SetAnswers {
        node: q,
        values: vec![AnswerValue::String("a".into()), AnswerValue::String("b".into())],
    })
    .unwrap();
    assert!(enabled(&form, "f"));
}

fn two_conditions(behavior: &str) -> FormState {
    FormState::new(with_items(json!([
        {"linkId": "a", "type": "boolean"},
        {"linkId": "b", "type": "boolean"},
        {"linkId": "f", "type": "string", "enableBehavior": behavior, "enableWhen": [
            {"question": "a", "operator": "=", "answerBoolean": true},
            {"question": "b", "operator": "=", "answerBoolean": true}]}
    ])))
}

#[test]
fn enable_behavior_all_and_any() {
    let mut all = two_conditions("all");
    set(&mut all, "a", AnswerValue::Boolean(true));
    assert!(!enabled(&all, "f"));
    set(&mut all, "b", AnswerValue::Boolean(true));
    assert!(enabled(&all, "f"));

    let mut any = two_conditions("any");
    assert!(!enabled(&any, "f"));
    set(&mut any, "b", AnswerValue::Boolean(true));
    assert!(enabled(&any, "f"));
}

#[test]
fn a_disabled_question_counts_as_unanswered_down_a_chain() {
    // a -> b -> c: answering b, then hiding b by changing a, must hide c too.
    let mut form = FormState::new(with_items(json!([
        {"linkId": "a", "type": "boolean"},
        {"linkId": "b", "type": "string", "enableWhen": [{"question": "a", "operator": "=", "answerBoolean": true}]},
        {"linkId": "c", "type": "string", "enableWhen": [{"question": "b", "operator": "exists", "answerBoolean": true}]}
    ])));
    set(&mut form, "a", AnswerValue::Boolean(true));
    type_in(&mut form, "b", "something");
    assert!(enabled(&form, "c"));
    set(&mut form, "a", AnswerValue::Boolean(false));
    assert!(!enabled(&form, "b") && !enabled(&form, "c"));
    // b keeps what was typed, so turning a back on restores the whole chain.
    set(&mut form, "a", AnswerValue::Boolean(true));
    assert!(enabled(&form, "c"));
}

#[test]
fn a_disabled_group_disables_everything_inside_it() {
    let mut form = FormState::new(with_items(json!([
        {"linkId": "smoker", "type": "boolean"},
        {"linkId": "g", "type": "group", "enableWhen": [{"question": "smoker", "operator": "=", "answerBoolean": true}],
         "item": [{"linkId": "perday", "type": "integer", "required": true}]}
    ])));
    assert!(!enabled(&form, "perday"));
    assert_eq!(form.evaluate().completeness().required, 0, "a hidden required question is not required");
    set(&mut form, "smoker", AnswerValue::Boolean(true));
    assert!(enabled(&form, "perday"));
    assert_eq!(form.evaluate().completeness().required, 1);
}

#[test]
fn within_a_repeating_group_a_condition_reads_its_own_instance() {
    let q = with_items(json!([{
        "linkId": "child", "type": "group", "repeats": true, "item": [
            {"linkId": "attends", "type": "boolean"},
            {"linkId": "where", "type": "string", "enableWhen": [{"question": "attends", "operator": "=", "answerBoolean": true}]}
        ]
    }]));
    let mut form = FormState::new(Arc::clone(&q));
    let child = q.item_by_link_id("child").unwrap().id;
    let second = form.apply(Action::AddInstance { parent: None, item: child }).unwrap().unwrap();
    let attends = q.item_by_link_id("attends").unwrap().id;
    let where_ = q.item_by_link_id("where").unwrap().id;
    let instances = |form: &FormState, item| form.instances_of(item).to_vec();
    let second_attends = form.node(second).unwrap().children[0];
    form.apply(Action::SetAnswer { node: second_attends, value: Some(AnswerValue::Boolean(true)) }).unwrap();
    let shown: Vec<bool> = instances(&form, where_).iter().map(|n| form.evaluate().is_enabled(*n)).collect();
    assert_eq!(shown, [false, true], "only the second child's follow-up is shown");
    assert_eq!(instances(&form, attends).len(), 2);
}

#[test]
fn a_question_outside_a_repeating_group_sees_every_instance() {
    let q = with_items(json!([
        {"linkId": "child", "type": "group", "repeats": true, "item": [{"linkId": "age", "type": "integer"}]},
        {"linkId": "under5", "type": "string", "enableWhen": [{"question": "age", "operator": "<", "answerInteger": 5}]}
    ]));
    let mut form = FormState::new(Arc::clone(&q));
    let child = q.item_by_link_id("child").unwrap().id;
    let second = form.apply(Action::AddInstance { parent: None, item: child }).unwrap().unwrap();
    type_in(&mut form, "age", "9");
    assert!(!enabled(&form, "under5"));
    let second_age = form.node(second).unwrap().children[0];
    form.apply(Action::SetInput { node: second_age, text: "3".into() }).unwrap();
    assert!(enabled(&form, "under5"));
    form.apply(Action::RemoveInstance { node: second }).unwrap();
    assert!(!enabled(&form, "under5"), "removing the instance withdraws its answer");
}
