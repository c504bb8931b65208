//! Validation messages a person reads next to a field, and the completeness count.

mod common;

use std::sync::Arc;

use common::{messages, node, set, type_in, with_items};
use formwell_engine::{Action, AnswerValue, Coding, FormState};
use serde_json::json;

fn ext(url: &str, value: serde_json::Value) -> serde_json::Value {
    let mut e = json!({"url": format!("http://hl7.org/fhir/StructureDefinition/{url}")});
    for (k, v) in value.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

#[test]
fn required_questions_and_groups() {
    let mut form = FormState::new(with_items(json!([
        {"linkId": "name", "type": "string", "required": true},
        {"linkId": "contact", "type": "group", "required": true, "item": [
            {"linkId": "phone", "type": "string"}, {"linkId": "email", "type": "string"}]}
    ])));
    assert_eq!(messages(&form, "name"), ["Answer this question"]);
    assert_eq!(messages(&form, "contact"), ["Answer at least one question in this section"]);
    assert_eq!(form.evaluate().completeness().required, 1);
    assert!(!form.evaluate().completeness().is_complete());
    type_in(&mut form, "name", "Amina");
    type_in(&mut form, "email", "amina@example.org");
    assert!(messages(&form, "contact").is_empty());
    assert!(form.evaluate().completeness().is_complete());
    type_in(&mut form, "email", "");
    assert_eq!(messages(&form, "contact"), ["Answer at least one question in this section"], "clearing brings it back");
}

#[test]
fn whole_numbers_in_a_range() {
    let mut form = FormState::new(with_items(json!([{
        "linkId": "age", "type": "integer",
        "extension": [ext("minValue", json!({"valueInteger": 0})), ext("maxValue", json!({"valueInteger": 120}))]
    }])));
    type_in(&mut form, "age", "twelve");
    assert_eq!(messages(&form, "age"), ["Enter a whole number, like 12"]);
    type_in(&mut form, "age", "121");
    assert_eq!(messages(&form, "age"), ["Enter a whole number from 0 to 120"]);
    type_in(&mut form, "age", "-1");
    assert_eq!(messages(&form, "age"), ["Enter a whole number from 0 to 120"]);
    type_in(&mut form, "age", "42");
    assert!(messages(&form, "age").is_empty());
    assert_eq!(form.node(node(&form, "age")).unwrap().answers, [AnswerValue::Integer(42)]);
}

#[test]
fn one_sided_ranges_decimals_and_decimal_places() {
    let mut form = FormState::new(with_items(json!([
        {"linkId": "hours", "type": "decimal", "extension": [ext("minValue", json!({"valueDecimal": 0.5})), ext("maxDecimalPlaces", json!({"valueInteger": 1}))]},
        {"linkId": "cups", "type": "integer", "extension": [ext("maxValue", json!({"valueInteger": 10}))]}
    ])));
    type_in(&mut form, "hours", "0.25");
    assert_eq!(
        messages(&form, "hours"),
        ["Enter a number of 0.5 or more", "Enter a number with no more than 1 decimal place"]
    );
    type_in(&mut form, "hours", "1.50");
    assert_eq!(messages(&form, "hours"), ["Enter a number with no more than 1 decimal place"], "what was typed counts");
    type_in(&mut form, "hours", "1.5");
    assert!(messages(&form, "hours").is_empty());
    type_in(&mut form, "cups", "11");
    assert_eq!(messages(&form, "cups"), ["Enter a whole number of 10 or less"]);
}

#[test]
fn dates_date_times_and_quantities_in_a_range() {
    let mut form = FormState::new(with_items(json!([
        {"linkId": "dob", "type": "date", "extension": [ext("minValue", json!({"valueDate": "2020-01-01"})), ext("maxValue", json!({"valueDate": "2026-12-31"}))]},
        {"linkId": "seen", "type": "dateTime", "extension": [ext("minValue", json!({"valueDateTime": "2026-01-01T00:00:00Z"}))]},
        {"linkId": "weight", "type": "quantity",
         "extension": [ext("questionnaire-unit", json!({"valueCoding": {"system": "http://unitsofmeasure.org", "code": "kg", "display": "kg"}})),
                       ext("maxValue", json!({"valueDecimal": 30}))]}
    ])));
    type_in(&mut form, "dob", "2019-12-31");
    assert_eq!(messages(&form, "dob"), ["Enter a date between 1 January 2020 and 31 December 2026"]);
    type_in(&mut form, "dob", "2023-02-30");
    assert_eq!(messages(&form, "dob"), ["Enter a real date, like 27 3 2024"]);
    type_in(&mut form, "seen", "2025-06-01T10:00");
    assert_eq!(messages(&form, "seen"), ["Enter a date and time on or after 1 January 2026 at 00:00"]);
    type_in(&mut form, "weight", "31");
    assert_eq!(messages(&form, "weight"), ["Enter a number of 30 or less"]);
    type_in(&mut form, "weight", "12.5");
    let weight = form.node(node(&form, "weight")).unwrap().answers[0].clone();
    assert_eq!(weight.label(), "12.5 kg", "the item's unit is applied");
}

#[test]
fn lengths_and_patterns() {
    let mut form = FormState::new(with_items(json!([
        {"linkId": "postcode", "type": "string", "maxLength": 8,
         "extension": [ext("minLength", json!({"valueInteger": 5})),
                       ext("regex", json!({"valueString": "[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}"})),
                       ext("entryFormat", json!({"valueString": "SW1A 1AA"}))]}
    ])));
    type_in(&mut form, "postcode", "SW1");
    assert_eq!(messages(&form, "postcode"), ["Enter at least 5 characters", "Enter it in the format SW1A 1AA"]);
    type_in(&mut form, "postcode", "SW1A 1AAXX");
    assert_eq!(messages(&form, "postcode"), ["Enter 8 characters or fewer", "Enter it in the format SW1A 1AA"]);
    type_in(&mut form, "postcode", "SW1A 1AA");
    assert!(messages(&form, "postcode").is_empty());
}

#[test]
fn occurrences_of_repeating_answers_and_groups() {
    let q = with_items(json!([
        {"linkId": "langs", "type": "string", "repeats": true,
         "extension": [ext("questionnaire-minOccurs", json!({"valueInteger": 2})), ext("questionnaire-maxOccurs", json!({"valueInteger": 3}))]},
        {"linkId": "carer", "type": "group", "repeats": true,
         "extension": [ext("questionnaire-minOccurs", json!({"valueInteger": 1})), ext("questionnaire-maxOccurs", json!({"valueInteger": 2}))],
         "item": [{"linkId": "carer-name", "type": "string"}]}
    ]));
    let mut form = FormState::new(Arc::clone(&q));
    let langs = node(&form, "langs");
    let s = |v: &str| AnswerValue::String(v.into());
    form.apply(Action::SetAnswers { node: langs, values: vec![s("English")] }).unwrap();
    assert_eq!(messages(&form, "langs"), ["Give at least 2 answers"]);
    form.apply(Action::SetAnswers { node: langs, values: vec![s("English"), s("Urdu"), s("Polish"), s("Somali")] })
        .unwrap();
    assert_eq!(messages(&form, "langs"), ["Give no more than 3 answers"]);
}

#[test]
fn choice_answers_must_be_offered_ones_but_open_choice_takes_text() {
    let mut form = FormState::new(with_items(json!([
        {"linkId": "c", "type": "choice", "answerOption": [{"valueCoding": {"system": "http://snomed.info/sct", "code": "373066001", "display": "Yes"}}]},
        {"linkId": "o", "type": "open-choice", "answerOption": [{"valueCoding": {"system": "http://snomed.info/sct", "code": "373066001", "display": "Yes"}}]}
    ])));
    set(&mut form, "c", AnswerValue::Coding(Coding::new("http://snomed.info/sct", "1", "Made up")));
    assert_eq!(messages(&form, "c"), ["Choose one of the options"]);
    set(&mut form, "c", AnswerValue::Coding(Coding::new("http://snomed.info/sct", "373066001", "Yes")));
    assert!(messages(&form, "c").is_empty());
    type_in(&mut form, "o", "Sometimes");
    assert!(messages(&form, "o").is_empty());
}

#[test]
fn the_error_summary_lists_issues_in_form_order() {
    let form = FormState::new(with_items(json!([
        {"linkId": "first", "type": "string", "required": true},
        {"linkId": "g", "type": "group", "item": [{"linkId": "second", "type": "integer", "required": true}]},
        {"linkId": "third", "type": "date", "required": true}
    ])));
    let order: Vec<String> = form
        .evaluate()
        .issues()
        .iter()
        .map(|(n, _)| form.questionnaire().item(form.node(*n).unwrap().item).link_id.clone())
        .collect();
    assert_eq!(order, ["first", "second", "third"]);
    assert_eq!(form.evaluate().completeness().issues, 3);
}

#[test]
fn read_only_and_wrongly_typed_answers_are_refused() {
    let mut form = FormState::new(with_items(json!([
        {"linkId": "ro", "type": "string", "readOnly": true, "initial": [{"valueString": "fixed"}]},
        {"linkId": "n", "type": "integer"}
    ])));
    let ro = node(&form, "ro");
    assert!(form.apply(Action::SetInput { node: ro, text: "changed".into() }).is_err());
    let n = node(&form, "n");
    let err = form.apply(Action::SetAnswer { node: n, value: Some(AnswerValue::String("x".into())) }).unwrap_err();
    assert_eq!(err.to_string(), "\"n\" takes an integer answer");
}
