//! The embedded store, through its public API, with Bundles the engine makes from the
//! shipped templates: transactions whole or not at all, one copy on replay, references
//! resolved, search, history, version-tested patches, and durability across a reopen.

mod common;

use common::harmful_bundle;
use formwell_engine::Idempotency;
use formwell_server::access::Principal;
use formwell_server::Store;
use serde_json::{json, Value};

const NOW: &str = "2026-11-26T10:15:00.000Z";

fn search(store: &Store, query: &str) -> Value {
    let (kind, params) = query.split_once('?').unwrap_or((query, ""));
    let params: Vec<(String, String)> = params
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap())
        .map(|(a, b)| (a.into(), b.into()))
        .collect();
    store.search(kind, &params, "http://127.0.0.1:8080/fhir", Principal::Server).unwrap()
}

fn total(store: &Store, query: &str) -> u64 {
    search(store, query)["total"].as_u64().unwrap()
}

#[test]
fn a_submission_is_stored_whole_with_its_references_resolved() {
    let store = Store::in_memory().unwrap();
    let response = store
        .bundle(
            &harmful_bundle("5f0c6a3e-9b1d-4c2a-8e7f-1a2b3c4d5e6f", Idempotency::ConditionalCreate),
            NOW,
            Principal::Server,
        )
        .unwrap();
    assert_eq!(response["type"], "transaction-response");
    let statuses: Vec<&str> =
        response["entry"].as_array().unwrap().iter().map(|e| e["response"]["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["201 Created", "201 Created", "201 Created", "201 Created", "201 Created"]);
    assert_eq!(total(&store, "Observation?subject=Patient/p1"), 3);
    let qr = &search(&store, "QuestionnaireResponse?subject=Patient/p1")["entry"][0]["resource"];
    let qr_ref = format!("QuestionnaireResponse/{}", qr["id"].as_str().unwrap());
    assert_eq!(qr["meta"]["versionId"], "1");
    let observation = &search(&store, "Observation?code=http://snomed.info/sct|77386006")["entry"][0]["resource"];
    assert_eq!(observation["derivedFrom"][0]["reference"], qr_ref.as_str(), "urn:uuid became the stored id");
    let provenance = &search(&store, &format!("Provenance?target={qr_ref}"))["entry"][0]["resource"];
    assert_eq!(provenance["target"].as_array().unwrap().len(), 4);
}

#[test]
fn the_same_bundle_twice_leaves_one_copy_of_each() {
    let store = Store::in_memory().unwrap();
    for mode in [Idempotency::ConditionalCreate, Idempotency::ClientIds] {
        let sid = if mode == Idempotency::ConditionalCreate {
            "11111111-1111-4111-8111-111111111111"
        } else {
            "22222222-2222-4222-8222-222222222222"
        };
        let bundle = harmful_bundle(sid, mode);
        store.bundle(&bundle, NOW, Principal::Server).unwrap();
        let again = store.bundle(&bundle, "2026-11-26T10:16:00.000Z", Principal::Server).unwrap();
        assert!(
            again["entry"].as_array().unwrap().iter().all(|e| e["response"]["status"] != "201 Created"),
            "{mode:?}: nothing new"
        );
    }
    assert_eq!(store.count("QuestionnaireResponse").unwrap(), 2);
    assert_eq!(store.count("Observation").unwrap(), 6);
    assert_eq!(store.count("Provenance").unwrap(), 2);
}

#[test]
fn one_invalid_entry_stores_nothing_and_is_named() {
    let store = Store::in_memory().unwrap();
    let mut bundle = harmful_bundle("33333333-3333-4333-8333-333333333333", Idempotency::ConditionalCreate);
    bundle["entry"][2]["resource"]["code"]["coding"][0]["code"] = json!(" 161714006");
    let error = store.bundle(&bundle, NOW, Principal::Server).unwrap_err();
    assert_eq!(error.status, 400);
    assert_eq!(error.expression.as_deref(), Some("Bundle.entry[2].resource.code.coding[0].code"));
    assert!(error.text.contains("invalid code format"), "{}", error.text);
    for kind in ["QuestionnaireResponse", "Observation", "Provenance"] {
        assert_eq!(store.count(kind).unwrap(), 0, "{kind}");
    }
}

#[test]
fn a_patch_tests_the_version_and_a_failed_one_rolls_the_transaction_back() {
    let store = Store::in_memory().unwrap();
    let put = json!({"resourceType": "Bundle", "type": "transaction", "entry": [{
        "resource": {"resourceType": "Patient", "address": [{"use": "home", "line": ["1 Old Road"]}]},
        "request": {"method": "PUT", "url": "Patient/p1"}}]});
    store.bundle(&put, NOW, Principal::Server).unwrap();
    let patch = |version: &str, sid: &str| {
        let ops = json!([{"op": "test", "path": "/meta/versionId", "value": version},
                         {"op": "add", "path": "/address/-", "value": {"use": "temp", "line": ["2 New Road"]}}]);
        let mut bundle = harmful_bundle(sid, Idempotency::ConditionalCreate);
        bundle["entry"].as_array_mut().unwrap().push(json!({
            "resource": {"resourceType": "Binary", "contentType": "application/json-patch+json",
                         "data": formwell_engine::submit::demographics::base64(ops.to_string().as_bytes())},
            "request": {"method": "PATCH", "url": "Patient/p1"}}));
        bundle
    };
    store.bundle(&patch("1", "44444444-4444-4444-8444-444444444444"), NOW, Principal::Server).unwrap();
    let patient = store.read("Patient", "p1", Principal::Server).unwrap();
    assert_eq!(patient["address"].as_array().unwrap().len(), 2);
    assert_eq!(patient["meta"]["versionId"], "2");
    let stale = store.bundle(&patch("1", "55555555-5555-4555-8555-555555555555"), NOW, Principal::Server).unwrap_err();
    assert_eq!(stale.status, 412);
    assert!(stale.text.contains("changed since the patch was made"));
    assert_eq!(store.count("QuestionnaireResponse").unwrap(), 1, "the stale transaction stored nothing");
    assert_eq!(store.history("Patient", "p1", Principal::Server).unwrap()["total"], 2);
}

#[test]
fn search_pages_with_count_and_filters_by_last_updated() {
    let store = Store::in_memory().unwrap();
    for i in 0..5 {
        let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [{
            "resource": {"resourceType": "Patient", "identifier": [{"system": "urn:test", "value": format!("p{i}")}]},
            "request": {"method": "POST", "url": "Patient"}}]});
        store.bundle(&bundle, &format!("2026-11-2{i}T10:00:00.000Z"), Principal::Server).unwrap();
    }
    let page = search(&store, "Patient?_count=2");
    assert_eq!(page["total"], 5);
    assert_eq!(page["entry"].as_array().unwrap().len(), 2);
    assert!(page["link"][0]["url"].as_str().unwrap().ends_with("_count=2&_offset=2"), "{}", page["link"]);
    assert_eq!(total(&store, "Patient?_lastUpdated=ge2026-11-23"), 2);
    assert_eq!(total(&store, "Patient?identifier=urn:test|p3"), 1);
    assert_eq!(total(&store, "Patient?identifier=p3"), 1);
    assert_eq!(total(&store, "Patient?identifier=urn:other|p3"), 0);
    assert!(store
        .search("Patient", &[("colour".into(), "red".into())], "", Principal::Server)
        .unwrap_err()
        .text
        .contains("cannot be searched by colour"));
}

#[test]
fn search_pages_through_everything_in_order_and_combines_parameters() {
    let store = Store::in_memory().unwrap();
    // 120 people, written on four days (30 a day), family names in three kinds.
    for i in 0..120 {
        let family = ["Begum", "Nowak", "Smith"][i % 3];
        let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [{
            "resource": {"resourceType": "Patient", "identifier": [{"system": "urn:test", "value": format!("p{i}")}],
                         "name": [{"family": family}]},
            "request": {"method": "POST", "url": "Patient"}}]});
        store.bundle(&bundle, &format!("2026-11-2{}T10:00:{:02}.000Z", i / 30, i % 30), Principal::Server).unwrap();
    }
    // Pages of 25 cover every one once, oldest first.
    let mut seen = Vec::new();
    for offset in (0..120).step_by(25) {
        let page = search(&store, &format!("Patient?_count=25&_offset={offset}"));
        assert_eq!(page["total"], 120);
        for e in page["entry"].as_array().unwrap() {
            seen.push(e["resource"]["identifier"][0]["value"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(seen, (0..120).map(|i| format!("p{i}")).collect::<Vec<_>>());
    // Parameters together: all must hold.
    assert_eq!(total(&store, "Patient?family=Nowak"), 40);
    assert_eq!(total(&store, "Patient?family=Nowak&_lastUpdated=ge2026-11-22"), 20);
    assert_eq!(total(&store, "Patient?identifier=urn:test|p4&family=Nowak"), 1);
    assert_eq!(total(&store, "Patient?identifier=urn:test|p4&family=Smith"), 0);
    let one = search(&store, "Patient?identifier=urn:test|p77");
    let id = one["entry"][0]["resource"]["id"].as_str().unwrap().to_owned();
    assert_eq!(total(&store, &format!("Patient?_id={id}&identifier=urn:test|p77")), 1);
    assert_eq!(total(&store, &format!("Patient?_id={id}&identifier=urn:test|p78")), 0);
    // Several values are any of them; a page of matches keeps the order too.
    let some = search(&store, "Patient?identifier=urn:test|p90,urn:test|p3,urn:test|p45&_count=2");
    assert_eq!(some["total"], 3);
    let values: Vec<&str> = some["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["identifier"][0]["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["p3", "p45"]);
}

#[test]
fn an_acknowledged_transaction_survives_closing_the_file() {
    let dir = std::env::temp_dir().join(format!("formwell-store-{}", std::process::id()));
    let path = dir.join("record.sqlite");
    {
        let store = Store::open(&path).unwrap();
        store
            .bundle(
                &harmful_bundle("66666666-6666-4666-8666-666666666666", Idempotency::ConditionalCreate),
                NOW,
                Principal::Server,
            )
            .unwrap();
    }
    let reopened = Store::open(&path).unwrap();
    assert_eq!(reopened.count("Observation").unwrap(), 3);
    std::fs::remove_dir_all(&dir).ok();
}
