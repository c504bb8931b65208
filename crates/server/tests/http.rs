//! The server over HTTP (its router, in process): no anonymous writes, tokens revoked,
//! CORS only for allowed origins, clear 4xx for malformed, huge and deeply nested bodies,
//! and the FHIR interactions the app uses.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use formwell_server::http::{router, Server, BODY_LIMIT};
use formwell_server::tokens::{Caller, TokenKind};
use formwell_server::Store;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

fn caller(name: &str, kind: TokenKind, origins: &[&str]) -> Caller {
    Caller {
        name: name.into(),
        kind,
        setting: "community".into(),
        origins: origins.iter().map(|o| o.to_string()).collect(),
        revoked: false,
        created: "2026-11-26T10:00:00Z".into(),
    }
}

struct Fixture {
    server: Arc<Server>,
    staff: String,
    partner: String,
    midwife: String,
}

fn fixture() -> Fixture {
    let store = Store::in_memory().unwrap();
    let staff = store.add_token(&caller("staff", TokenKind::Staff, &[])).unwrap();
    let partner = store.add_token(&caller("portal", TokenKind::Partner, &["https://portal.example"])).unwrap();
    let midwife =
        store.add_token(&Caller { setting: "midwifery".into(), ..caller("midwife", TokenKind::Staff, &[]) }).unwrap();
    let ruleset =
        formwell_engine::Ruleset::new(formwell_rules::compile(&formwell_rules::source_dir()).unwrap()).unwrap();
    Fixture { server: Arc::new(Server { store, dist: None, ruleset, upstream: None }), staff, partner, midwife }
}

async fn call(
    f: &Fixture,
    method: &str,
    uri: &str,
    token: Option<&str>,
    origin: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut request = Request::builder().method(method).uri(uri).header("content-type", "application/fhir+json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    let response = router(f.server.clone()).oneshot(request.body(Body::from(body)).unwrap()).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (parts.status, parts.headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn patient() -> Vec<u8> {
    json!({"resourceType": "Patient", "name": [{"family": "Begum"}]}).to_string().into_bytes()
}

#[tokio::test]
async fn no_anonymous_or_wrong_or_revoked_token_gets_in() {
    let f = fixture();
    let (status, headers, body) = call(&f, "POST", "/fhir/Patient", None, None, patient()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Bearer");
    assert_eq!(body["issue"][0]["code"], "login");
    assert_eq!(call(&f, "GET", "/fhir/Patient", Some("fw_wrong"), None, vec![]).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&f, "POST", "/fhir/Patient", Some(&f.staff), None, patient()).await.0, StatusCode::CREATED);
    assert!(f.server.store.revoke_token("staff").unwrap());
    assert_eq!(call(&f, "GET", "/fhir/Patient", Some(&f.staff), None, vec![]).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        call(&f, "GET", "/fhir/metadata", None, None, vec![]).await.0,
        StatusCode::OK,
        "the CapabilityStatement is public"
    );
}

#[tokio::test]
async fn cors_only_for_allowed_origins_and_partners_only_from_theirs() {
    let f = fixture();
    let (status, headers, _) = call(&f, "OPTIONS", "/fhir", None, Some("https://portal.example"), vec![]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(headers["access-control-allow-origin"], "https://portal.example");
    assert!(headers["access-control-allow-headers"].to_str().unwrap().contains("authorization"));
    let (_, headers, _) = call(&f, "OPTIONS", "/fhir", None, Some("https://evil.example"), vec![]).await;
    assert!(headers.get("access-control-allow-origin").is_none(), "a disallowed origin gets no CORS headers");
    let (status, headers, _) =
        call(&f, "GET", "/fhir/Patient", Some(&f.partner), Some("https://portal.example"), vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["access-control-allow-origin"], "https://portal.example");
    let (status, _, body) =
        call(&f, "GET", "/fhir/Patient", Some(&f.partner), Some("https://evil.example"), vec![]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["issue"][0]["details"]["text"].as_str().unwrap().contains("origin"));
}

#[tokio::test]
async fn malformed_huge_and_deeply_nested_bodies_get_clear_4xx() {
    let f = fixture();
    let (status, _, body) =
        call(&f, "POST", "/fhir", Some(&f.staff), None, b"{\"resourceType\": \"Bundle\",".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["issue"][0]["details"]["text"].as_str().unwrap().starts_with("the body is not valid JSON"));
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let (status, _, body) = call(&f, "POST", "/fhir", Some(&f.staff), None, deep.into_bytes()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["issue"][0]["details"]["text"].as_str().unwrap().contains("nested too deeply"));
    let (status, _, body) = call(&f, "POST", "/fhir", Some(&f.staff), None, vec![b' '; BODY_LIMIT + 1]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["issue"][0]["code"], "too-costly");
    // Resources that are JSON but not R4: the element is named.
    for (patient, element, says) in [
        (json!({"resourceType": "Patient", "birthDate": "26/11/2026"}), "Patient.birthDate", "invalid date format"),
        (
            json!({"resourceType": "Patient", "favouriteColour": "red"}),
            "Patient.favouriteColour",
            "is not an element of an R4 Patient",
        ),
    ] {
        let (status, _, body) =
            call(&f, "POST", "/fhir/Patient", Some(&f.staff), None, patient.to_string().into_bytes()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["issue"][0]["expression"][0], element);
        assert!(body["issue"][0]["details"]["text"].as_str().unwrap().contains(says), "{body}");
    }
}

#[tokio::test]
async fn create_read_update_history_and_conditional_create() {
    let f = fixture();
    let body = json!({"resourceType": "Practitioner", "identifier": [{"system": "urn:test", "value": "a1"}]})
        .to_string()
        .into_bytes();
    let (status, headers, created) = call(&f, "POST", "/fhir/Practitioner", Some(&f.staff), None, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(headers["location"].to_str().unwrap().starts_with(&format!("Practitioner/{id}/_history/1")));
    let request = Request::builder()
        .method("POST")
        .uri("/fhir/Practitioner")
        .header("authorization", format!("Bearer {}", f.staff))
        .header("if-none-exist", "identifier=urn:test|a1")
        .body(Body::from(body))
        .unwrap();
    let again = router(f.server.clone()).oneshot(request).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK, "conditional create found the first");
    let mut updated = created.clone();
    updated["gender"] = json!("female"); // a Practitioner: updating a Patient is a demographic change
    let (status, _, _) =
        call(&f, "PUT", &format!("/fhir/Practitioner/{id}"), Some(&f.staff), None, updated.to_string().into_bytes())
            .await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, read) = call(&f, "GET", &format!("/fhir/Practitioner/{id}"), Some(&f.staff), None, vec![]).await;
    assert_eq!(read["gender"], "female");
    assert_eq!(read["meta"]["versionId"], "2");
    let (_, _, history) =
        call(&f, "GET", &format!("/fhir/Practitioner/{id}/_history"), Some(&f.staff), None, vec![]).await;
    assert_eq!(history["total"], 2);
    let (_, _, found) =
        call(&f, "GET", "/fhir/Practitioner?identifier=urn%3Atest%7Ca1", Some(&f.staff), None, vec![]).await;
    assert_eq!(found["total"], 1);
    assert_eq!(call(&f, "GET", "/fhir/Practitioner/nope", Some(&f.staff), None, vec![]).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_server_rechecks_policy_even_when_a_client_skips_the_browser() {
    let f = fixture();
    let ruleset = &f.server.ruleset;
    // A community token sending the harmful form, as a client that never asked the rules.
    let bundle = common::harmful_bundle_decided("77777777-7777-4777-8777-777777777777", ruleset, "community", false);
    let (status, _, body) = call(&f, "POST", "/fhir", Some(&f.staff), None, bundle.to_string().into_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let issue = &body["issue"][0];
    assert_eq!(issue["code"], "business-rule");
    assert!(
        issue["details"]["text"].as_str().unwrap().contains("may not write pregnancy status (code 77386006)"),
        "{issue}"
    );
    assert_eq!(issue["expression"][0], "Bundle.entry[1].resource.code.coding[0]", "the first Observation's code");
    assert_eq!(f.server.store.count("QuestionnaireResponse").unwrap(), 0, "nothing of it was stored");

    // Midwifery may write it, but the child protection code needs a recorded confirmation.
    let unconfirmed =
        common::harmful_bundle_decided("88888888-8888-4888-8888-888888888888", ruleset, "midwifery", false);
    let (status, _, body) =
        call(&f, "POST", "/fhir", Some(&f.midwife), None, unconfirmed.to_string().into_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["issue"][0]["details"]["text"].as_str().unwrap().contains("needs a confirmation with a reason"),
        "{body}"
    );
    let confirmed = common::harmful_bundle_decided("99999999-9999-4999-8999-999999999999", ruleset, "midwifery", true);
    let (status, _, body) = call(&f, "POST", "/fhir", Some(&f.midwife), None, confirmed.to_string().into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(f.server.store.count("Observation").unwrap(), 3, "pregnant, the due date and the plan");
}

#[tokio::test]
async fn a_demographic_change_needs_a_recorded_confirmation() {
    let f = fixture();
    let put = json!({"resourceType": "Bundle", "type": "transaction", "entry": [{
        "resource": {"resourceType": "Patient", "address": [{"use": "home", "line": ["1 Old Road"]}]},
        "request": {"method": "PUT", "url": "Patient/p9"}}]});
    let (status, _, body) = call(&f, "POST", "/fhir", Some(&f.staff), None, put.to_string().into_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["issue"][0]["details"]["text"]
            .as_str()
            .unwrap()
            .contains("a change of name, address or phone needs a confirmation"),
        "{body}"
    );
}

#[tokio::test]
async fn every_request_is_in_the_audit_log_readable_as_audit_events() {
    let f = fixture();
    call(&f, "GET", "/fhir/Patient", None, Some("https://evil.example"), vec![]).await;
    call(&f, "POST", "/fhir/Patient", Some(&f.staff), None, patient()).await;
    let (status, _, log) = call(&f, "GET", "/fhir/AuditEvent", Some(&f.staff), None, vec![]).await;
    assert_eq!(status, StatusCode::OK);
    let events: Vec<&Value> = log["entry"].as_array().unwrap().iter().map(|e| &e["resource"]).collect();
    assert_eq!(events[0]["agent"][0]["who"]["display"], "(anonymous)");
    assert_eq!(events[0]["outcomeDesc"], "HTTP 401");
    assert_eq!(events[0]["agent"][0]["network"]["address"], "https://evil.example");
    assert_eq!(events[1]["agent"][0]["who"]["display"], "staff");
    assert_eq!(events[1]["action"], "C");
    assert_eq!(events[1]["outcome"], "0");
    assert_eq!(events[1]["entity"][0]["what"]["display"], "/fhir/Patient");
    assert_eq!(call(&f, "GET", "/fhir/AuditEvent", Some(&f.partner), None, vec![]).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_gateway_rechecks_policy_before_anything_reaches_the_upstream_server() {
    let mut f = fixture();
    // An upstream that does not exist: a blocked Bundle must be refused here, not forwarded.
    let server = Arc::get_mut(&mut f.server).unwrap();
    server.upstream = Some(formwell_server::http::Upstream::new("http://127.0.0.1:9", None));
    let bundle =
        common::harmful_bundle_decided("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", &f.server.ruleset, "community", false);
    let (status, _, body) = call(&f, "POST", "/fhir", Some(&f.staff), None, bundle.to_string().into_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["issue"][0]["code"], "business-rule");
    let clean = json!({"resourceType": "Bundle", "type": "transaction", "entry": []});
    let (status, _, body) = call(&f, "POST", "/fhir", Some(&f.staff), None, clean.to_string().into_bytes()).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "an accepted Bundle is forwarded: {body}");
    assert!(body["issue"][0]["details"]["text"].as_str().unwrap().contains("upstream"));
}
