//! The SDC expressions on real templates from the shared corpus (read from
//! ../shared/data/questionnaires, which CI has): scores, enableWhenExpression, dynamic text,
//! variables and their scope, named expressions, answer lists and prepopulation.

use std::sync::Arc;

use formwell_engine::form::expressions::LaunchContext;
use formwell_engine::{Action, AnswerValue, FormState, NodeId, Questionnaire};
use serde_json::json;

fn corpus(name: &str) -> FormState {
    let path = format!("{}/../../../shared/data/questionnaires/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let loaded = Questionnaire::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    FormState::new(Arc::new(loaded.questionnaire))
}

fn node(form: &FormState, link_id: &str) -> NodeId {
    form.node_by_link_id(link_id).unwrap_or_else(|| panic!("no {link_id}"))
}

fn answers(form: &FormState, link_id: &str) -> Vec<AnswerValue> {
    form.node(node(form, link_id)).unwrap().answers.clone()
}

fn set(form: &mut FormState, link_id: &str, value: Option<AnswerValue>) {
    let n = node(form, link_id);
    form.apply(Action::SetAnswer { node: n, value }).unwrap();
}

/// Chooses the option at `index` of a choice question.
fn choose(form: &mut FormState, link_id: &str, index: usize) {
    let q = form.questionnaire().clone();
    let option = q.item_by_link_id(link_id).unwrap().answer_options[index].value.clone();
    set(form, link_id, Some(option));
}

fn decimal(form: &FormState, link_id: &str) -> Option<f64> {
    match answers(form, link_id).as_slice() {
        [AnswerValue::Decimal(d)] => Some(*d),
        [AnswerValue::Integer(i)] => Some(*i as f64),
        [] => None,
        other => panic!("{link_id}: {other:?}"),
    }
}

const PHQ9: [&str; 9] =
    ["/44250-9", "/44255-8", "/44259-0", "/44254-1", "/44251-7", "/44258-2", "/44252-5", "/44253-3", "/44260-8"];

#[test]
fn phq9_total_is_the_published_sum_of_its_answers_scores() {
    // Each answer list runs 0 (not at all) to 3 (nearly every day); the total is their sum.
    for (choices, total) in [([0usize; 9], 0.0), ([3; 9], 27.0), ([1, 2, 0, 3, 1, 1, 0, 2, 3], 13.0)] {
        let mut form = corpus("lforms__phq9.json");
        assert_eq!(decimal(&form, "/44261-6"), None, "no total before any answer");
        for (q, c) in PHQ9.iter().zip(choices) {
            choose(&mut form, q, c);
        }
        assert_eq!(decimal(&form, "/44261-6"), Some(total), "{choices:?}");
        // The total travels in the response like any answer.
        let response = form.to_response(&Default::default()).to_string();
        assert!(response.contains("\"linkId\":\"/44261-6\""), "{response}");
    }
    // Changing one answer moves the total; clearing every answer empties it.
    let mut form = corpus("lforms__phq9.json");
    choose(&mut form, PHQ9[0], 2);
    assert_eq!(decimal(&form, "/44261-6"), Some(2.0));
    choose(&mut form, PHQ9[0], 1);
    assert_eq!(decimal(&form, "/44261-6"), Some(1.0));
    set(&mut form, PHQ9[0], None);
    assert_eq!(decimal(&form, "/44261-6"), None);
}

#[test]
fn enable_when_expression_switches_as_the_numbers_change() {
    let mut form = corpus("lforms__enableWhenExpressionTest.json");
    let q4 = node(&form, "q4");
    assert!(!form.evaluate().is_enabled(q4), "hidden until the numbers total 5");
    set(&mut form, "n1", Some(AnswerValue::Decimal(2.0)));
    set(&mut form, "n2", Some(AnswerValue::Decimal(2.5)));
    assert!(!form.evaluate().is_enabled(q4));
    set(&mut form, "n3", Some(AnswerValue::Decimal(0.5)));
    assert!(form.evaluate().is_enabled(q4), "2 + 2.5 + 0.5 = 5");
    set(&mut form, "q4", Some(AnswerValue::String("shown".into())));
    set(&mut form, "n1", None);
    assert!(!form.evaluate().is_enabled(q4));
    assert!(!form.to_response(&Default::default()).to_string().contains("shown"), "a hidden answer is not sent");
}

#[test]
fn dynamic_text_follows_the_answer_it_names() {
    let mut form = corpus("androidfhir__behavior_dynamic_question_text.json");
    let date = node(&form, "2");
    choose(&mut form, "1", 0);
    let first = form.text_of(date).unwrap().to_owned();
    choose(&mut form, "1", 1);
    let second = form.text_of(date).unwrap().to_owned();
    let q = form.questionnaire().clone();
    let label = |i: usize| q.item_by_link_id("1").unwrap().answer_options[i].value.label();
    assert_eq!(first, format!("Provide \"{}\" Date", label(0)));
    assert_eq!(second, format!("Provide \"{}\" Date", label(1)));
}

#[test]
fn variables_are_scoped_to_their_item_and_below() {
    // Group A: X = field B, Y = X + 2; field C = Y + 4 + Z (Z = 1, its own).
    // Group B has its own X (field C's value); field D = Y + 5 sees no Y (Y is group A's);
    // field E = X + 8 uses group B's X.
    let mut form = corpus("lforms__variable-scope-test.json");
    set(&mut form, "/groupA/fieldB", Some(AnswerValue::Integer(10)));
    assert_eq!(decimal(&form, "/groupA/fieldC"), Some(17.0));
    assert_eq!(decimal(&form, "/groupB/fieldD"), None, "Y is not in scope in group B");
    assert_eq!(decimal(&form, "/groupB/fieldE"), Some(25.0));
    assert!(form.computed().problems.iter().any(|(_, why)| why.contains("%Y is not defined")));
}

#[test]
fn named_expressions_serve_as_variables_below_them() {
    let mut form = corpus("lforms__named-expressions.json");
    set(&mut form, "idA", Some(AnswerValue::Integer(1)));
    assert_eq!(decimal(&form, "idB"), Some(2.0));
    assert_eq!(decimal(&form, "idB.1"), Some(3.0));
    assert_eq!(decimal(&form, "idC"), Some(6.0), "varD = B + 2 = 4, varE = 5, C = 6");
    // Calculated items are read-only to people; the calculation still moves them.
    let b = node(&form, "idB");
    assert!(form.apply(Action::SetAnswer { node: b, value: Some(AnswerValue::Integer(9)) }).is_err());
}

#[test]
fn answer_expression_lists_what_another_answer_gives() {
    let mut form = corpus("lforms__calculatedListAnwers.json");
    choose(&mut form, "inputList", 1);
    let chosen = answers(&form, "inputList");
    assert_eq!(answers(&form, "calculatedAnswer"), chosen, "a calculated choice takes the coding");
    let options = form.computed().options.get(&node(&form, "calculatedListOption")).cloned().unwrap_or_default();
    assert_eq!(options, chosen, "the list offers what was calculated");
}

#[test]
fn prepopulation_fills_from_the_launch_context_and_says_what_it_could_not() {
    let mut form = corpus("lforms__ussg-fhp.json");
    let before: Vec<String> = form.nodes().filter(|n| !n.answers.is_empty()).map(|n| format!("{:?}", n.item)).collect();
    let mut launch = LaunchContext::new();
    launch.insert(
        "patient".into(),
        json!({"resourceType": "Patient", "id": "p1", "name": [{"given": ["Amina", "K"], "family": "Begum"}], "birthDate": "1992-05-03", "gender": "female"}),
    );
    let report = form.set_launch_context(launch);
    assert_eq!(report.filled.len(), 3, "name, birth date and gender: {report:?}");
    let text = form.to_response(&Default::default()).to_string();
    assert!(text.contains("Amina Begum"), "{text}");
    assert!(text.contains("1992-05-03"), "{text}");
    assert!(text.contains("LA3-6"), "FHIR's gender code \"female\" is the template's option Female (LA3-6): {text}");
    assert!(before.len() < form.nodes().filter(|n| !n.answers.is_empty()).count());
    // Without a patient nothing is guessed, and the report says why.
    let form = corpus("lforms__ussg-fhp.json");
    let mut empty = form.clone();
    let report = empty.set_launch_context(LaunchContext::new());
    assert!(report.filled.is_empty(), "{report:?}");
    assert!(report.not_filled.iter().any(|(_, why)| why.contains("%patient is not defined")), "{report:?}");
}

/// A template this repository authors for a scored instrument the corpus lacks
/// (crates/engine/tests/fixtures): the published items, answer codes and scores.
fn fixture(name: &str) -> FormState {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let loaded =
        Questionnaire::parse(&std::fs::read_to_string(&path).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
    FormState::new(Arc::new(loaded.questionnaire))
}

/// The total the Bundle's Observation carries for the item coded `code`.
fn extracted_total(form: &FormState, code: &str) -> Option<i64> {
    use formwell_engine::{Idempotency, Reference, Submission};
    let submission = Submission {
        id: "5f0c6a3e-9b1d-4c2a-8e7f-1a2b3c4d5e6f".into(),
        authored: "2026-12-01T10:00:00Z".into(),
        subject: Some(Reference { reference: Some("Patient/p1".into()), ..Default::default() }),
        author: None,
        device: "test".into(),
        ruleset_version: None,
        decisions: Vec::new(),
    };
    let bundle = form.transaction_bundle(&submission, Idempotency::ConditionalCreate);
    bundle["entry"].as_array()?.iter().map(|e| &e["resource"]).find(|r| r["code"]["coding"][0]["code"] == code).map(
        |o| {
            o["valueInteger"]
                .as_i64()
                .or(o["valueQuantity"]["value"].as_f64().map(|v| v as i64))
                .expect("a numeric value")
        },
    )
}

#[test]
fn gad7_total_is_the_sum_of_its_seven_scores_and_is_extracted() {
    // Each item scores 0 (not at all) to 3 (nearly every day); the total runs 0 to 21.
    let items = ["/69725-0", "/68509-9", "/69733-4", "/69734-2", "/69735-9", "/69689-8", "/69736-7"];
    for (choices, total) in [([0usize; 7], 0), ([3; 7], 21), ([1, 2, 0, 3, 2, 1, 0], 9)] {
        let mut form = fixture("gad-7");
        assert_eq!(decimal(&form, "/70274-6"), None);
        for (q, c) in items.iter().zip(choices) {
            choose(&mut form, q, c);
        }
        assert_eq!(decimal(&form, "/70274-6"), Some(total as f64), "{choices:?}");
        assert_eq!(extracted_total(&form, "70274-6"), Some(total), "the total goes to the record as an Observation");
    }
}

#[test]
fn glasgow_coma_scale_total_is_eye_plus_verbal_plus_motor_once_all_three_are_scored() {
    // Eye 1-4, verbal 1-5, motor 1-6: a total of 3 to 15, none until all three are scored.
    for (choices, total) in [([0usize, 0, 0], 3), ([3, 4, 5], 15), ([1, 3, 4], 11)] {
        let mut form = fixture("glasgow-coma-scale");
        choose(&mut form, "eye", choices[0]);
        choose(&mut form, "verbal", choices[1]);
        assert_eq!(decimal(&form, "total"), None, "no total from two of three");
        choose(&mut form, "motor", choices[2]);
        assert_eq!(decimal(&form, "total"), Some(total as f64), "{choices:?}");
        assert_eq!(extracted_total(&form, "9269-2"), Some(total));
    }
}

#[test]
fn observations_within_the_link_period_answer_their_questions() {
    // lforms' PHQ-9 links each question to its LOINC code, for a year.
    let mut form = corpus("lforms__phq9.json");
    form.set_today(formwell_engine::FhirDate::parse("2026-12-01").unwrap());
    let observation = |code: &str, answer: &str, when: &str| {
        json!({"resourceType": "Observation", "status": "final", "effectiveDateTime": when,
               "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
               "valueCodeableConcept": {"coding": [{"system": "http://loinc.org", "code": answer}]}})
    };
    let observations = [
        observation("44250-9", "LA6569-3", "2026-06-01T09:00:00Z"), // several days, this year
        observation("44250-9", "LA6571-9", "2026-01-10"),           // older: the latest wins
        observation("44255-8", "LA6571-9", "2024-03-01"),           // too old: outside the year
        observation("44259-0", "LA-not-an-option", "2026-11-01"),   // not one of its options
    ];
    let report = form.fill_from_observations(&observations);
    assert_eq!(report.filled, ["/44250-9"], "{report:?}");
    let chosen = answers(&form, "/44250-9");
    assert!(
        matches!(chosen.as_slice(), [AnswerValue::Coding(c)] if c.code.as_deref() == Some("LA6569-3")),
        "{chosen:?}"
    );
    assert_eq!(decimal(&form, "/44261-6"), Some(1.0), "the total counts what was filled");
    let why = |l: &str| report.not_filled.iter().find(|(x, _)| x == l).map(|(_, w)| w.clone()).unwrap_or_default();
    assert_eq!(why("/44255-8"), "the record has no value from the last 1 years");
    assert_eq!(why("/44259-0"), "the record's latest value does not fit the question");
    // A question already answered is not overwritten.
    let mut answered = corpus("lforms__phq9.json");
    answered.set_today(formwell_engine::FhirDate::parse("2026-12-01").unwrap());
    choose(&mut answered, "/44250-9", 3);
    assert!(answered.fill_from_observations(&observations).filled.is_empty());
    assert!(
        matches!(answers(&answered, "/44250-9").as_slice(), [AnswerValue::Coding(c)] if c.code.as_deref() == Some("LA6571-9"))
    );
    assert_eq!(form.questionnaire().linked_codes().len(), 10);
}

#[test]
fn toggled_options_are_offered_only_while_their_expression_holds() {
    let coding = |code: &str| json!({"system": "http://example.org/support", "code": code, "display": code});
    let template = json!({"resourceType": "Questionnaire", "status": "active", "item": [
        {"linkId": "age", "type": "integer", "text": "Child's age in years"},
        {"linkId": "support", "type": "choice", "text": "Support offered",
         "answerOption": [{"valueCoding": coding("play")}, {"valueCoding": coding("school-readiness")}, {"valueCoding": coding("baby-massage")}],
         "extension": [
            {"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-answerOptionsToggleExpression", "extension": [
                {"url": "option", "valueCoding": coding("school-readiness")},
                {"url": "expression", "valueExpression": {"language": "text/fhirpath", "expression": "%resource.item.where(linkId='age').answer.value >= 3"}}]},
            {"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-answerOptionsToggleExpression", "extension": [
                {"url": "option", "valueCoding": coding("baby-massage")},
                {"url": "expression", "valueExpression": {"language": "text/fhirpath", "expression": "%resource.item.where(linkId='age').answer.value < 1"}}]}
         ]}
    ]});
    let loaded = Questionnaire::from_json(&template).unwrap();
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let mut form = FormState::new(Arc::new(loaded.questionnaire));
    let offered = |form: &FormState| -> Vec<String> {
        let item = form.item_as_shown(node(form, "support")).unwrap();
        item.answer_options.iter().map(|o| o.value.label()).collect()
    };
    assert_eq!(offered(&form), ["play"], "no age yet: neither toggle holds");
    set(&mut form, "age", Some(AnswerValue::Integer(4)));
    assert_eq!(offered(&form), ["play", "school-readiness"]);
    set(&mut form, "age", Some(AnswerValue::Integer(0)));
    assert_eq!(offered(&form), ["play", "baby-massage"]);
}

#[test]
fn a_record_query_runs_for_this_person_and_its_bundle_fills_the_form() {
    // Smart Forms' AU Core body height: a query variable and initialExpressions reading it.
    let mut form = corpus("smartforms__AuCoreObservationBodyHeight.json");
    let mut launch = LaunchContext::new();
    launch.insert("patient".into(), json!({"resourceType": "Patient", "id": "p1"}));
    form.set_launch_context(launch);
    let queries = form.record_queries();
    assert_eq!(
        queries,
        [(
            "ObservationHeight".to_owned(),
            Ok("Observation?code=8302-2&_count=1&_sort=-date&patient=Patient/p1".to_owned())
        )]
    );
    let bundle = json!({"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {
        "resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "8302-2"}]},
        "effectiveDateTime": "2026-10-01T09:00:00Z", "valueQuantity": {"value": 172.5, "unit": "cm"}}}]});
    let report = form.set_record_query_result("ObservationHeight", bundle);
    assert!(report.filled.contains(&"observation-value".to_owned()), "{report:?}");
    assert_eq!(decimal(&form, "observation-value"), Some(172.5));
    // A record system that answers too widely: another person's entry is not read.
    let mut other = corpus("smartforms__AuCoreObservationBodyHeight.json");
    let mut launch = LaunchContext::new();
    launch.insert("patient".into(), json!({"resourceType": "Patient", "id": "p1"}));
    other.set_launch_context(launch);
    let someone_else = json!({"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {
        "resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p2"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "8302-2"}]}, "valueQuantity": {"value": 150, "unit": "cm"}}}]});
    assert!(other.set_record_query_result("ObservationHeight", someone_else).filled.is_empty());
    assert_eq!(decimal(&other, "observation-value"), None);
    // A result for a name the template does not ask for, or not a Bundle, is ignored.
    assert!(form.set_record_query_result("Elsewhere", json!({"resourceType": "Bundle"})).filled.is_empty());
    assert!(form.set_record_query_result("ObservationHeight", json!({"resourceType": "Patient"})).filled.is_empty());
    // Without a person, nothing runs, and it says why.
    let nobody = corpus("smartforms__AuCoreObservationBodyHeight.json");
    assert!(nobody.record_queries()[0].1.as_ref().unwrap_err().contains("%patient is not defined"));
}

#[test]
fn a_value_set_shipped_with_the_app_gives_its_list_offline() {
    // AU Core body height names FHIR's observation-status by its canonical URL.
    let form = corpus("smartforms__AuCoreObservationBodyHeight.json");
    let q = form.questionnaire().clone();
    let status = q.item_by_link_id("observation-status").unwrap();
    let labels: Vec<String> = status.answer_options.iter().map(|o| o.value.label()).collect();
    assert_eq!(
        labels,
        ["Registered", "Preliminary", "Final", "Amended", "Corrected", "Cancelled", "Entered in Error", "Unknown"]
    );
}
