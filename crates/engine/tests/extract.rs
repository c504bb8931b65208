//! The transaction Bundle a submission sends, for each shipped template (read from
//! `templates/` in this repository) with sample answers, checked field by field; and the
//! backend's CapabilityStatement and OperationOutcomes read back.

mod common;

use std::sync::Arc;

use formwell_engine::submit::backend::{describe_outcome, transaction_locations};
use formwell_engine::submit::extract::{CONFIDENTIALITY, DECISION_EXTENSION, SUBMISSION_SYSTEM};
use formwell_engine::{
    Action, AnswerValue, Capabilities, Decision, FormState, Idempotency, ImpactSeverity, Questionnaire,
    RecordedDecision, Reference, Submission,
};
use serde_json::{json, Value};

const SID: &str = "5f0c6a3e-9b1d-4c2a-8e7f-1a2b3c4d5e6f";

fn template(name: &str) -> Arc<Questionnaire> {
    let path = format!("{}/../../templates/{name}.json", env!("CARGO_MANIFEST_DIR"));
    Arc::new(Questionnaire::parse(&std::fs::read_to_string(path).unwrap()).unwrap().questionnaire)
}

fn submission(decisions: Vec<RecordedDecision>) -> Submission {
    Submission {
        id: SID.into(),
        authored: "2026-11-26T10:15:00Z".into(),
        subject: Some(Reference { reference: Some("Patient/p1".into()), ..Default::default() }),
        author: Some(Reference {
            reference: Some("Practitioner/s1".into()),
            display: Some("Sam Patel".into()),
            ..Default::default()
        }),
        device: "Formwell 0.1.0 on tablet 3".into(),
        ruleset_version: Some("58def43c93dbb75f".into()),
        decisions,
    }
}

fn answer(form: &mut FormState, link_id: &str, value: AnswerValue) {
    let node = form.node_by_link_id(link_id).unwrap();
    form.apply(Action::SetAnswer { node, value: Some(value) }).unwrap();
}

fn typed(form: &mut FormState, link_id: &str, text: &str) {
    let node = form.node_by_link_id(link_id).unwrap();
    form.apply(Action::SetInput { node, text: text.into() }).unwrap();
}

fn resources<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["entry"].as_array().unwrap().iter().filter(|e| e["resource"]["resourceType"] == kind).collect()
}

fn family(consent: bool) -> FormState {
    let mut form = FormState::new(template("family-registration"));
    typed(&mut form, "carer-given-name", "Amina");
    typed(&mut form, "carer-family-name", "Begum");
    typed(&mut form, "carer-postcode", "E1 6AN");
    typed(&mut form, "child-name", "Rafi");
    typed(&mut form, "child-birth-date", "2024-05-01");
    answer(&mut form, "consent-share", AnswerValue::Boolean(consent));
    answer(&mut form, "consent-by", AnswerValue::String("The parent or carer named above".into()));
    assert!(form.evaluate().completeness().is_complete());
    form
}

#[test]
fn family_registration_writes_the_response_and_a_consent() {
    let form = family(true);
    let bundle = form.transaction_bundle(&submission(vec![]), Idempotency::ConditionalCreate);
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "transaction");
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "response, consent, provenance");

    let response = &entries[0];
    assert_eq!(response["fullUrl"], "urn:uuid:5f0c6a3e-9b1d-4c2a-8e7f-1a2b3c4d5e6f");
    assert_eq!(
        response["request"],
        json!({"method": "POST", "url": "QuestionnaireResponse",
        "ifNoneExist": format!("identifier={SUBMISSION_SYSTEM}|{SID}/response")})
    );
    let qr = &response["resource"];
    assert_eq!(qr["identifier"], json!({"system": SUBMISSION_SYSTEM, "value": format!("{SID}/response")}));
    assert_eq!(qr["questionnaire"], "https://formwell.example/fhir/Questionnaire/family-registration|1.0.0");
    assert_eq!(qr["status"], "completed");
    assert_eq!(qr["subject"], json!({"reference": "Patient/p1"}));
    assert_eq!(qr["author"], json!({"reference": "Practitioner/s1", "display": "Sam Patel"}));
    assert_eq!(qr["authored"], "2026-11-26T10:15:00Z");
    assert!(qr.get("meta").is_none(), "shared: no confidentiality label");

    let consent = &entries[1];
    assert_eq!(consent["request"]["ifNoneExist"], format!("identifier={SUBMISSION_SYSTEM}|{SID}/consent"));
    let c = &consent["resource"];
    assert_eq!(c["status"], "active");
    assert_eq!(c["provision"]["type"], "permit");
    assert_eq!(c["patient"], json!({"reference": "Patient/p1"}));
    assert_eq!(c["performer"], json!([{"reference": "Patient/p1", "display": "The parent or carer named above"}]));
    assert_eq!(
        c["policy"],
        json!([{"uri": "https://formwell.example/fhir/Questionnaire/family-registration|1.0.0#privacy"}])
    );
    assert_eq!(c["sourceReference"], json!({"reference": response["fullUrl"]}));
    assert_eq!(c["scope"]["coding"][0]["code"], "patient-privacy");
    assert_eq!(c["dateTime"], "2026-11-26T10:15:00Z");

    let provenance = &entries[2];
    assert_eq!(provenance["request"]["method"], "PUT", "R4 Provenance has no identifier: a client-assigned id");
    assert_eq!(provenance["request"]["url"], "Provenance/fw-5f0c6a3e9b1d4c2a8e7f1a2b3c4d5e6f-2");
    assert_eq!(provenance["resource"]["id"], "fw-5f0c6a3e9b1d4c2a8e7f1a2b3c4d5e6f-2");
    assert_eq!(
        provenance["resource"]["target"],
        json!([{"reference": entries[0]["fullUrl"]}, {"reference": entries[1]["fullUrl"]}])
    );
    assert_eq!(provenance["resource"]["policy"], json!(["https://formwell.example/ruleset/58def43c93dbb75f"]));
    assert_eq!(provenance["resource"]["agent"][0]["who"]["reference"], "Practitioner/s1");
    assert_eq!(provenance["resource"]["agent"][1]["who"]["display"], "Formwell 0.1.0 on tablet 3");
}

#[test]
fn without_consent_to_share_entries_are_labelled_restricted() {
    let bundle = family(false).transaction_bundle(&submission(vec![]), Idempotency::ConditionalCreate);
    let qr = &resources(&bundle, "QuestionnaireResponse")[0]["resource"];
    assert_eq!(qr["meta"]["security"], json!([{"system": CONFIDENTIALITY, "code": "R", "display": "restricted"}]));
    assert_eq!(resources(&bundle, "Consent")[0]["resource"]["provision"]["type"], "deny");
}

fn harmful_with_decisions() -> (FormState, Vec<RecordedDecision>) {
    let mut form = FormState::new(template("harmful-pregnancy-safeguarding-example"));
    answer(&mut form, "pregnant", AnswerValue::Boolean(true));
    typed(&mut form, "edd", "2027-04-01");
    answer(&mut form, "cpp", AnswerValue::Boolean(true));
    let entry = form.coded_entries().into_iter().find(|e| e.link_id == "cpp").unwrap();
    let decision = RecordedDecision {
        decision: Decision {
            entry,
            category: Some("child_protection".into()),
            category_title: Some("Child protection".into()),
            severity: ImpactSeverity::Confirm,
            effect: "Puts the child on the safeguarding register".into(),
            services: vec!["GP practice".into()],
            instead: None,
            ruleset_version: "58def43c93dbb75f".into(),
            demographic: false,
        },
        setting: "midwifery".into(),
        confirmed_by: Some("Sam Patel".into()),
        confirmed_at: Some("2026-11-26T10:16:00Z".into()),
        reason: Some("Plan confirmed at case conference".into()),
        demographic_change: None,
    };
    (form, vec![decision])
}

#[test]
fn extracted_items_become_observations_with_their_codes_and_values() {
    let (form, decisions) = harmful_with_decisions();
    let bundle = form.transaction_bundle(&submission(decisions), Idempotency::ConditionalCreate);
    let observations = resources(&bundle, "Observation");
    assert_eq!(observations.len(), 3);
    let pregnant = &observations[0]["resource"];
    assert_eq!(
        pregnant["code"]["coding"],
        json!([{"system": "http://snomed.info/sct", "code": "77386006", "display": "Pregnant"}])
    );
    assert_eq!(pregnant["code"]["text"], "Is the parent pregnant?");
    assert_eq!(pregnant["valueBoolean"], true);
    assert_eq!(pregnant["status"], "final");
    assert_eq!(pregnant["category"][0]["coding"][0]["code"], "survey");
    assert_eq!(pregnant["subject"], json!({"reference": "Patient/p1"}));
    assert_eq!(pregnant["performer"], json!([{"reference": "Practitioner/s1", "display": "Sam Patel"}]));
    assert_eq!(pregnant["effectiveDateTime"], "2026-11-26T10:15:00Z");
    assert_eq!(pregnant["derivedFrom"], json!([{"reference": bundle["entry"][0]["fullUrl"]}]));
    assert_eq!(pregnant["identifier"][0]["value"], format!("{SID}/observation/pregnant/0"));
    assert_eq!(
        observations[0]["request"]["ifNoneExist"],
        format!("identifier={SUBMISSION_SYSTEM}|{SID}/observation/pregnant/0")
    );
    assert_eq!(observations[1]["resource"]["valueDateTime"], "2027-04-01");
    assert_eq!(observations[2]["resource"]["code"]["coding"][0]["code"], "342191000000101");

    let provenance = &resources(&bundle, "Provenance")[0]["resource"];
    assert_eq!(provenance["target"].as_array().unwrap().len(), 4, "the response and three observations");
    let decision = &provenance["extension"][0];
    assert_eq!(decision["url"], DECISION_EXTENSION);
    let part = |name: &str| {
        decision["extension"].as_array().unwrap().iter().find(|p| p["url"] == name).cloned().unwrap_or(Value::Null)
    };
    assert_eq!(part("linkId")["valueString"], "cpp");
    assert_eq!(part("code")["valueCoding"]["code"], "342191000000101");
    assert_eq!(part("category")["valueCode"], "child_protection");
    assert_eq!(part("severity")["valueCode"], "confirm");
    assert_eq!(part("setting")["valueCode"], "midwifery");
    assert_eq!(part("confirmedBy")["valueString"], "Sam Patel");
    assert_eq!(part("confirmedAt")["valueDateTime"], "2026-11-26T10:16:00Z");
    assert_eq!(part("reason")["valueString"], "Plan confirmed at case conference");
    assert_eq!(part("rulesetVersion")["valueString"], "58def43c93dbb75f");
}

#[test]
fn a_no_to_a_coded_yes_no_question_writes_no_observation() {
    let mut form = FormState::new(template("harmful-pregnancy-safeguarding-example"));
    answer(&mut form, "pregnant", AnswerValue::Boolean(false));
    answer(&mut form, "cpp", AnswerValue::Boolean(false));
    let bundle = form.transaction_bundle(&submission(vec![]), Idempotency::ConditionalCreate);
    assert!(resources(&bundle, "Observation").is_empty());
}

#[test]
fn the_same_submission_always_makes_the_same_bundle_and_another_makes_another() {
    let (form, decisions) = harmful_with_decisions();
    let one = form.transaction_bundle(&submission(decisions.clone()), Idempotency::ConditionalCreate);
    let again = form.transaction_bundle(&submission(decisions.clone()), Idempotency::ConditionalCreate);
    assert_eq!(one, again);
    let mut other = submission(decisions);
    other.id = "0d9e8f7a-6b5c-4d3e-9f1a-2b3c4d5e6f70".into();
    let another = form.transaction_bundle(&other, Idempotency::ConditionalCreate);
    let urls = |b: &Value| {
        b["entry"].as_array().unwrap().iter().map(|e| e["fullUrl"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert!(urls(&one).iter().all(|u| !urls(&another).contains(u)));
    let unique: std::collections::BTreeSet<_> = urls(&one).into_iter().collect();
    assert_eq!(unique.len(), 5, "every fullUrl in a bundle is distinct");
}

#[test]
fn every_shipped_template_makes_a_bundle_of_valid_shape() {
    let dir = format!("{}/../../templates", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().path().file_stem().unwrap().to_string_lossy().into_owned();
        let form = FormState::new(template(&name));
        let bundle = form.transaction_bundle(&submission(vec![]), Idempotency::ClientIds);
        for e in bundle["entry"].as_array().unwrap() {
            assert!(e["fullUrl"].as_str().unwrap().starts_with("urn:uuid:"), "{name}");
            assert_eq!(e["request"]["method"], "PUT", "{name}: client ids mode");
            let id = e["resource"]["id"].as_str().unwrap();
            assert!(
                id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'),
                "{name}: {id}"
            );
            assert_eq!(e["request"]["url"], format!("{}/{id}", e["resource"]["resourceType"].as_str().unwrap()));
        }
    }
}

#[test]
fn capability_statements_decide_how_submissions_stay_single() {
    let statement = |conditional: bool, update: bool, transaction: bool| {
        let resources: Vec<Value> = ["QuestionnaireResponse", "Observation", "Consent", "Provenance"]
            .iter()
            .map(|t| json!({"type": t, "conditionalCreate": conditional, "updateCreate": update}))
            .collect();
        let interaction = if transaction { json!([{"code": "transaction"}]) } else { json!([]) };
        json!({"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1", "software": {"name": "Test"},
               "rest": [{"mode": "server", "interaction": interaction, "resource": resources}]})
    };
    let caps = |c, u, t| Capabilities::from_capability_statement(&statement(c, u, t)).unwrap();
    assert_eq!(caps(true, true, true).idempotency(), Ok(Idempotency::ConditionalCreate));
    assert_eq!(caps(false, true, true).idempotency(), Ok(Idempotency::ClientIds));
    assert!(caps(false, false, true).idempotency().unwrap_err().contains("could store a form twice"));
    assert!(caps(true, true, false).idempotency().unwrap_err().contains("transaction"));
    assert_eq!(caps(true, true, true).describe(), "FHIR 4.0.1 (Test): takes transactions, with conditional create");
    assert!(Capabilities::from_capability_statement(&json!({"resourceType": "Patient"})).is_err());
}

#[test]
fn operation_outcomes_and_transaction_responses_read_back_in_plain_words() {
    let outcome = json!({"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "invalid", "details": {"text": "Invalid code format"}, "expression": ["Bundle.entry[1].resource.code.coding[0].code"]},
        {"severity": "warning", "code": "invalid", "details": {"text": "Invalid reference"}, "expression": ["Bundle.entry[1].resource.derivedFrom[0]"]}]});
    assert_eq!(describe_outcome(&outcome), "Invalid code format (at Bundle.entry[1].resource.code.coding[0].code)");
    let response = json!({"resourceType": "Bundle", "type": "transaction-response", "entry": [
        {"response": {"status": "201 Created", "location": "QuestionnaireResponse/9/_history/1"}}]});
    assert_eq!(transaction_locations(&response).unwrap(), ["QuestionnaireResponse/9"]);
}

fn decoded_patch(entry: &Value) -> Value {
    let data = entry["resource"]["data"].as_str().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut bytes = Vec::new();
    for c in data.chars().filter(|c| *c != '=') {
        bits = (bits << 6) | alphabet.find(c).unwrap() as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    serde_json::from_slice(&bytes).unwrap()
}

fn contact_change(permanence: &str, until: Option<&str>) -> (FormState, Vec<RecordedDecision>) {
    let mut form = FormState::new(template("change-of-contact-details"));
    let node = form.node_by_link_id("what-changed").unwrap();
    form.apply(Action::SetAnswers { node, values: vec![AnswerValue::String("Address".into())] }).unwrap();
    typed(&mut form, "address-line1", "Flat 2, 9 Canal Street");
    typed(&mut form, "address-town", "Manchester");
    typed(&mut form, "address-postcode", "M1 3HE");
    answer(&mut form, "address-permanence", AnswerValue::String(permanence.into()));
    if let Some(until) = until {
        typed(&mut form, "address-until", until);
    }
    answer(&mut form, "confirmed-with-person", AnswerValue::Boolean(true));
    let entry = form.coded_entries().into_iter().find(|e| e.definition.is_some()).unwrap();
    let change = match until {
        Some(u) => formwell_engine::DemographicChange::Temporary { until: Some(u.into()) },
        None => formwell_engine::DemographicChange::Permanent,
    };
    let decision = RecordedDecision {
        decision: Decision {
            entry,
            category: Some("demographics".into()),
            category_title: Some("Name, address or phone".into()),
            severity: ImpactSeverity::Confirm,
            effect: "Synchronised to every service".into(),
            services: vec![],
            instead: None,
            ruleset_version: "58def43c93dbb75f".into(),
            demographic: true,
        },
        setting: "community".into(),
        confirmed_by: Some("Sam Patel".into()),
        confirmed_at: Some("2026-11-26T10:16:00Z".into()),
        reason: Some("Moved".into()),
        demographic_change: Some(change),
    };
    (form, vec![decision])
}

#[test]
fn a_temporary_address_is_added_beside_the_permanent_one_after_checking_the_version() {
    let (form, decisions) = contact_change("Temporary", Some("2027-01-31"));
    let changes = form.demographic_changes(&decisions).unwrap();
    assert_eq!(changes.address_lines, ["Flat 2, 9 Canal Street"]);
    assert_eq!(changes.postal_code.as_deref(), Some("M1 3HE"));
    assert!(changes.telecom.is_empty(), "the phone was not changed");
    let patient = json!({"resourceType": "Patient", "id": "p1", "meta": {"versionId": "7"},
        "address": [{"use": "home", "line": ["1 Old Road"], "city": "Leeds"}]});
    let entry = formwell_engine::demographic_patch(&changes, &patient, "2026-11-26").unwrap();
    assert_eq!(entry["request"], json!({"method": "PATCH", "url": "Patient/p1"}));
    assert_eq!(entry["resource"]["contentType"], "application/json-patch+json");
    assert_eq!(
        decoded_patch(&entry),
        json!([
            {"op": "test", "path": "/meta/versionId", "value": "7"},
            {"op": "add", "path": "/address/-", "value": {"use": "temp", "line": ["Flat 2, 9 Canal Street"], "city": "Manchester",
                "postalCode": "M1 3HE", "period": {"start": "2026-11-26", "end": "2027-01-31"}}}
        ]),
        "the permanent address is left as it is"
    );
}

#[test]
fn a_permanent_address_ends_the_current_home_address() {
    let (form, decisions) = contact_change("Permanent", None);
    let changes = form.demographic_changes(&decisions).unwrap();
    let patient = json!({"resourceType": "Patient", "id": "p1", "meta": {"versionId": "3"},
        "address": [{"use": "home", "line": ["1 Old Road"]}, {"use": "work", "line": ["Office"]}]});
    let ops = decoded_patch(&formwell_engine::demographic_patch(&changes, &patient, "2026-11-26").unwrap());
    assert_eq!(ops[1], json!({"op": "add", "path": "/address/0/period", "value": {"end": "2026-11-26"}}));
    assert_eq!(ops[2]["value"]["use"], "home");
    assert_eq!(ops.as_array().unwrap().len(), 3, "the work address is not touched");
    let bare = json!({"resourceType": "Patient", "id": "p2", "meta": {"versionId": "1"}});
    let ops = decoded_patch(&formwell_engine::demographic_patch(&changes, &bare, "2026-11-26").unwrap());
    assert_eq!(ops[1]["path"], "/address", "a record with no address gets a list");
    assert!(formwell_engine::demographic_patch(&changes, &json!({"id": "p3"}), "2026-11-26")
        .unwrap_err()
        .contains("version"));
}

#[test]
fn demographic_changes_kept_with_a_queued_submission_read_back_as_they_were() {
    // The outbox keeps the changes as JSON until the submission is sent, maybe days later.
    for (permanence, until) in [("Temporary", Some("2027-01-31")), ("Permanent", None)] {
        let (form, decisions) = contact_change(permanence, until);
        let changes = form.demographic_changes(&decisions).unwrap();
        let kept = serde_json::to_value(&changes).unwrap();
        let back = formwell_engine::DemographicChanges::from_json(&kept).unwrap();
        assert_eq!(back, changes, "{permanence}: {kept}");
    }
    let temporary_without_end = formwell_engine::DemographicChanges {
        family: Some("Begum".into()),
        temporary_until: Some(None),
        ..Default::default()
    };
    let kept = serde_json::to_value(&temporary_without_end).unwrap();
    assert_eq!(kept["temporary_until"], serde_json::Value::Null, "{kept}");
    assert!(kept.as_object().unwrap().contains_key("temporary_until"));
    assert_eq!(formwell_engine::DemographicChanges::from_json(&kept).unwrap(), temporary_without_end);
    assert_eq!(formwell_engine::DemographicChanges::from_json(&serde_json::json!("not an object")), None);
}

#[test]
fn registering_a_family_creates_the_person_in_the_same_transaction_and_everything_refers_to_them() {
    let mut form = family(true);
    typed(&mut form, "carer-birth-date", "1992-05-03");
    typed(&mut form, "carer-phone", "07700 900123");
    let person = form.new_person().unwrap();
    assert_eq!(person.label(), "Amina Begum, born 3 May 1992");
    assert_eq!(person.reference, None, "no record yet");
    let new = Submission { subject: None, ..submission(vec![]) };
    for idempotency in [Idempotency::ConditionalCreate, Idempotency::ClientIds] {
        let bundle = form.transaction_bundle(&new, idempotency);
        let entries = bundle["entry"].as_array().unwrap();
        let patient = &entries[1];
        assert_eq!(patient["resource"]["resourceType"], "Patient");
        assert_eq!(
            patient["request"],
            json!({"method": "POST", "url": "Patient", "ifNoneExist": format!("identifier={SUBMISSION_SYSTEM}|{SID}/patient")}),
            "a conditional create whatever the server's idempotency: a PUT of a Patient is a change of demographics"
        );
        let p = &patient["resource"];
        assert_eq!(p["name"], json!([{"use": "official", "given": ["Amina"], "family": "Begum"}]));
        assert_eq!(p["birthDate"], "1992-05-03");
        assert_eq!(p["telecom"], json!([{"system": "phone", "value": "07700 900123"}]));
        assert_eq!(p["address"], json!([{"postalCode": "E1 6AN", "use": "home"}]));
        let urn = patient["fullUrl"].as_str().unwrap();
        let qr = &resources(&bundle, "QuestionnaireResponse")[0]["resource"];
        assert_eq!(qr["subject"], json!({"reference": urn, "display": "Amina Begum"}));
        let consent = &resources(&bundle, "Consent")[0]["resource"];
        assert_eq!(consent["patient"]["reference"], urn);
        let provenance = &resources(&bundle, "Provenance")[0]["resource"];
        assert!(provenance["target"].as_array().unwrap().iter().any(|t| t["reference"] == urn));
    }
    // Sent for someone already in the record, the same form creates no one.
    let existing = form.transaction_bundle(&submission(vec![]), Idempotency::ConditionalCreate);
    assert!(resources(&existing, "Patient").is_empty());
}

#[test]
fn a_registration_changes_no_one_s_demographics() {
    let form = family(true);
    let patient_entries =
        form.coded_entries().into_iter().filter(|e| e.definition.as_deref().is_some_and(|d| d.contains("#Patient."))).count();
    assert_eq!(patient_entries, 0, "the carer's details are a new record, not a change to judge");
    assert_eq!(form.demographic_changes(&[]), None);
}
