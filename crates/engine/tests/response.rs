//! QuestionnaireResponse out of a form and back in.

mod common;

use std::sync::Arc;

use common::{node, set, type_in, with_items};
use formwell_engine::{Action, AnswerValue, Coding, FormState, Reference, ResponseHeader, ResponseStatus, Severity};
use serde_json::json;

fn header() -> ResponseHeader {
    ResponseHeader {
        id: Some("qr-1".into()),
        identifier: Some(
            json!({"system": "urn:ietf:rfc:3986", "value": "urn:uuid:8a4c0c2e-5f43-4f0e-9d3f-2b6b3f1e9a10"}),
        ),
        status: ResponseStatus::Completed,
        authored: Some("2026-11-26T10:15:00Z".into()),
        subject: Some(Reference { reference: Some("Patient/p1".into()), ..Default::default() }),
        author: Some(Reference { reference: Some("Practitioner/s1".into()), ..Default::default() }),
        ..Default::default()
    }
}

fn registration() -> Arc<formwell_engine::Questionnaire> {
    with_items(json!([
        {"linkId": "about", "type": "group", "text": "About you", "item": [
            {"linkId": "name", "type": "string", "text": "Name"},
            {"linkId": "smokes", "type": "boolean", "text": "Do you smoke?", "item": [
                {"linkId": "perday", "type": "integer", "text": "How many a day?"}]},
            {"linkId": "why", "type": "string", "text": "Why not?", "enableWhen": [{"question": "smokes", "operator": "=", "answerBoolean": false}]}
        ]},
        {"linkId": "lang", "type": "choice", "text": "Languages", "repeats": true, "answerOption": [
            {"valueCoding": {"system": "urn:ietf:bcp:47", "code": "en", "display": "English"}},
            {"valueCoding": {"system": "urn:ietf:bcp:47", "code": "ur", "display": "Urdu"}}]},
        {"linkId": "note", "type": "display", "text": "Thank you"}
    ]))
}

#[test]
fn the_response_nests_items_and_writes_typed_answers() {
    let q = registration();
    let mut form = FormState::new(Arc::clone(&q));
    type_in(&mut form, "name", "Amina");
    set(&mut form, "smokes", AnswerValue::Boolean(true));
    type_in(&mut form, "perday", "5");
    let lang = node(&form, "lang");
    let langs = vec![
        AnswerValue::Coding(Coding::new("urn:ietf:bcp:47", "en", "English")),
        AnswerValue::Coding(Coding::new("urn:ietf:bcp:47", "ur", "Urdu")),
    ];
    form.apply(Action::SetAnswers { node: lang, values: langs }).unwrap();
    let response = form.to_response(&header());
    assert_eq!(
        response,
        json!({
            "resourceType": "QuestionnaireResponse",
            "id": "qr-1",
            "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:8a4c0c2e-5f43-4f0e-9d3f-2b6b3f1e9a10"},
            "questionnaire": "http://example.org/Questionnaire/test|1.0.0",
            "status": "completed",
            "subject": {"reference": "Patient/p1"},
            "authored": "2026-11-26T10:15:00Z",
            "author": {"reference": "Practitioner/s1"},
            "item": [
                {"linkId": "about", "text": "About you", "item": [
                    {"linkId": "name", "text": "Name", "answer": [{"valueString": "Amina"}]},
                    {"linkId": "smokes", "text": "Do you smoke?", "answer": [{"valueBoolean": true, "item": [
                        {"linkId": "perday", "text": "How many a day?", "answer": [{"valueInteger": 5}]}]}]}
                ]},
                {"linkId": "lang", "text": "Languages", "answer": [
                    {"valueCoding": {"system": "urn:ietf:bcp:47", "code": "en", "display": "English"}},
                    {"valueCoding": {"system": "urn:ietf:bcp:47", "code": "ur", "display": "Urdu"}}]}
            ]
        })
    );
}

#[test]
fn disabled_items_contribute_nothing_even_when_they_hold_answers() {
    let q = registration();
    let mut form = FormState::new(Arc::clone(&q));
    set(&mut form, "smokes", AnswerValue::Boolean(false));
    type_in(&mut form, "why", "Never started");
    assert!(form.to_response(&header()).to_string().contains("Never started"));
    set(&mut form, "smokes", AnswerValue::Boolean(true));
    let response = form.to_response(&header()).to_string();
    assert!(!response.contains("Never started") && !response.contains("\"why\""), "{response}");
}

#[test]
fn a_response_round_trips_through_form_state() {
    let q = registration();
    let mut form = FormState::new(Arc::clone(&q));
    type_in(&mut form, "name", "Ben");
    set(&mut form, "smokes", AnswerValue::Boolean(true));
    type_in(&mut form, "perday", "12");
    let first = form.to_response(&header());
    let (loaded, read_header, diagnostics) = FormState::from_response(Arc::clone(&q), &first).unwrap();
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(read_header, header());
    assert_eq!(loaded.to_response(&read_header), first);
}

#[test]
fn repeating_groups_round_trip_as_instances() {
    let q = with_items(json!([{
        "linkId": "child", "type": "group", "repeats": true, "item": [{"linkId": "cname", "type": "string"}]
    }]));
    let response = json!({
        "resourceType": "QuestionnaireResponse", "status": "in-progress",
        "questionnaire": "http://example.org/Questionnaire/test|1.0.0",
        "item": [
            {"linkId": "child", "item": [{"linkId": "cname", "answer": [{"valueString": "Ada"}]}]},
            {"linkId": "child", "item": [{"linkId": "cname", "answer": [{"valueString": "Ben"}]}]}
        ]
    });
    let (form, header, _) = FormState::from_response(Arc::clone(&q), &response).unwrap();
    assert_eq!(form.roots().len(), 2);
    assert_eq!(form.to_response(&header), response);
}

#[test]
fn loading_says_what_does_not_fit_instead_of_dropping_it() {
    let q = registration();
    let bad = json!({
        "resourceType": "QuestionnaireResponse", "status": "in-progress",
        "questionnaire": "http://example.org/Questionnaire/test|1.0.0",
        "item": [
            {"linkId": "gone", "answer": [{"valueString": "x"}]},
            {"linkId": "about", "item": [{"linkId": "name", "answer": [{"valueInteger": 3}]}]}
        ]
    });
    let error = FormState::from_response(Arc::clone(&q), &bad).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("QuestionnaireResponse.item[0].linkId: \"gone\" is not an item of this template"), "{text}");
    assert!(
        text.contains("QuestionnaireResponse.item[1].item[0].answer[0].valueInteger: \"name\" is a string question"),
        "{text}"
    );
}

#[test]
fn a_response_to_another_version_loads_with_a_warning() {
    let q = registration();
    let older = json!({"resourceType": "QuestionnaireResponse", "status": "in-progress", "questionnaire": "http://example.org/Questionnaire/test|0.9.0",
        "item": [{"linkId": "about", "item": [{"linkId": "name", "answer": [{"valueString": "Ada"}]}]}]});
    let (_, _, diagnostics) = FormState::from_response(Arc::clone(&q), &older).unwrap();
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].severity, Severity::Warning);
    assert!(diagnostics[0].message.contains("version 0.9.0"));
    let other = json!({"resourceType": "QuestionnaireResponse", "status": "in-progress", "questionnaire": "http://example.org/Questionnaire/other"});
    assert!(FormState::from_response(q, &other).is_err());
}

#[test]
fn a_loaded_repeating_group_keeps_min_occurs_instances() {
    let q = with_items(json!([{
        "linkId": "visit", "type": "group", "repeats": true,
        "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-minOccurs", "valueInteger": 2}],
        "item": [{"linkId": "when", "type": "date"}]
    }]));
    // A response saved by a tool that ignored minOccurs.
    let response = json!({"resourceType": "QuestionnaireResponse", "status": "in-progress",
        "item": [{"linkId": "visit", "item": [{"linkId": "when", "answer": [{"valueDate": "2026-01-05"}]}]}]});
    let (form, _, _) = FormState::from_response(Arc::clone(&q), &response).unwrap();
    // The form always keeps minOccurs instances, so loading fills the second.
    assert_eq!(form.roots().len(), 2);
    assert!(form.evaluate().issues().is_empty());
}
