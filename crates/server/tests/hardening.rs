//! The server's guards, each tried by the attack it stops: reads by a token that may not
//! read, a request whose audit record cannot be written, a gateway asked to forward a
//! path that decodes into another, a Bundle that is not one, and the security headers
//! on every response.

mod common;

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use formwell_server::http::{router, Server, Upstream};
use formwell_server::tokens::{Caller, TokenKind};
use formwell_server::Store;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

fn caller(name: &str, kind: TokenKind, setting: &str) -> Caller {
    Caller {
        name: name.into(),
        kind,
        setting: setting.into(),
        origins: if kind == TokenKind::Partner { vec!["https://portal.example".into()] } else { vec![] },
        revoked: false,
        created: "2026-11-26T10:00:00Z".into(),
    }
}

struct Tokens {
    staff: String,
    midwife: String,
    portal: String,
    other_portal: String,
}

fn server_with(store: Store, upstream: Option<Upstream>) -> (Arc<Server>, Tokens) {
    let tokens = Tokens {
        staff: store.add_token(&caller("centre", TokenKind::Staff, "community")).unwrap(),
        midwife: store.add_token(&caller("midwife", TokenKind::Staff, "midwifery")).unwrap(),
        portal: store.add_token(&caller("portal", TokenKind::Partner, "community")).unwrap(),
        other_portal: store.add_token(&caller("other-portal", TokenKind::Partner, "community")).unwrap(),
    };
    let ruleset =
        formwell_engine::Ruleset::new(formwell_rules::compile(&formwell_rules::source_dir()).unwrap()).unwrap();
    (Arc::new(Server { store, dist: None, ruleset, upstream }), tokens)
}

async fn call(
    server: &Arc<Server>,
    method: &str,
    uri: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/fhir+json")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(body.map(|b| b.to_string()).unwrap_or_default()))
        .unwrap();
    let response = router(server.clone()).oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (parts.status, parts.headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn response_for(patient: &str) -> Value {
    json!({"resourceType": "QuestionnaireResponse", "status": "completed", "subject": {"reference": patient}})
}

fn a_person() -> Value {
    json!({"resourceType": "Patient", "name": [{"family": "Begum"}]})
}

fn ids(bundle: &Value) -> Vec<String> {
    bundle["entry"].as_array().into_iter().flatten().map(|e| e["resource"]["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_partner_reads_back_only_what_it_wrote_and_staff_only_their_setting() {
    let (server, t) = server_with(Store::in_memory().unwrap(), None);
    let (status, _, own) =
        call(&server, "POST", "/fhir/QuestionnaireResponse", &t.portal, Some(response_for("Patient/p1"))).await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    let own = own["id"].as_str().unwrap().to_owned();
    let (_, _, staffs) =
        call(&server, "POST", "/fhir/QuestionnaireResponse", &t.staff, Some(response_for("Patient/p1"))).await;
    let staffs = staffs["id"].as_str().unwrap().to_owned();
    let (_, _, person) = call(&server, "POST", "/fhir/Patient", &t.staff, Some(a_person())).await;
    let person = person["id"].as_str().unwrap().to_owned();

    // The partner: its own submission, nothing else, not even that something else exists.
    assert_eq!(
        call(&server, "GET", &format!("/fhir/QuestionnaireResponse/{own}"), &t.portal, None).await.0,
        StatusCode::OK
    );
    for path in [
        format!("/fhir/QuestionnaireResponse/{staffs}"),
        format!("/fhir/Patient/{person}"),
        format!("/fhir/Patient/{person}/_history"),
    ] {
        let (status, _, body) = call(&server, "GET", &path, &t.portal, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    let (_, _, found) = call(&server, "GET", "/fhir/QuestionnaireResponse?subject=Patient/p1", &t.portal, None).await;
    assert_eq!(ids(&found), vec![own.clone()]);
    assert_eq!(found["total"], 1);
    let (_, _, found) = call(&server, "GET", "/fhir/Patient", &t.portal, None).await;
    assert_eq!(ids(&found), Vec::<String>::new(), "a partner cannot browse the people in the record");
    let (_, _, found) = call(&server, "GET", "/fhir/QuestionnaireResponse", &t.other_portal, None).await;
    assert_eq!(ids(&found), Vec::<String>::new(), "another partner sees none of it");
    // Nor may it change what it cannot read.
    let (status, _, _) = call(
        &server,
        "PUT",
        &format!("/fhir/Patient/{person}"),
        &t.portal,
        Some(json!({"resourceType": "Patient", "id": person, "name": [{"family": "Changed"}]})),
    )
    .await;
    assert!(status == StatusCode::FORBIDDEN || status == StatusCode::UNPROCESSABLE_ENTITY, "{status}");
    let (status, _, body) = call(
        &server,
        "PUT",
        &format!("/fhir/QuestionnaireResponse/{staffs}"),
        &t.other_portal,
        Some(json!({"resourceType": "QuestionnaireResponse", "id": staffs, "status": "entered-in-error",
            "subject": {"reference": "Patient/p1"}})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // Staff: their setting's submissions (the partner's among them), and every person.
    let (_, _, found) = call(&server, "GET", "/fhir/QuestionnaireResponse?subject=Patient/p1", &t.staff, None).await;
    assert_eq!(ids(&found).len(), 2);
    let (_, _, found) = call(&server, "GET", "/fhir/QuestionnaireResponse?subject=Patient/p1", &t.midwife, None).await;
    assert_eq!(ids(&found), Vec::<String>::new(), "another setting's submissions stay with it");
    assert_eq!(call(&server, "GET", &format!("/fhir/Patient/{person}"), &t.midwife, None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn every_read_and_search_is_audited_with_its_query_and_the_log_pages() {
    let (server, t) = server_with(Store::in_memory().unwrap(), None);
    call(&server, "GET", "/fhir/Patient?name=Begum&birthdate=1992-05-03", &t.staff, None).await;
    call(&server, "GET", "/fhir/Patient/p42", &t.staff, None).await;
    for _ in 0..3 {
        call(&server, "GET", "/fhir/metadata", &t.staff, None).await;
    }
    let (status, _, page) = call(&server, "GET", "/fhir/AuditEvent?_count=2", &t.staff, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 6, "five requests before this one, and this one: recorded before it is answered");
    let events: Vec<&Value> = page["entry"].as_array().unwrap().iter().map(|e| &e["resource"]).collect();
    assert_eq!(events.len(), 2);
    let search = &events[0]["entity"][0];
    assert_eq!(search["description"], "name=Begum&birthdate=1992-05-03", "whom the search looked for");
    assert_eq!(search["query"], "bmFtZT1CZWd1bSZiaXJ0aGRhdGU9MTk5Mi0wNS0wMw==");
    assert_eq!(events[1]["entity"][0]["what"]["reference"], "Patient/p42", "whose record was opened");
    let next = page["link"][0]["url"].as_str().unwrap();
    assert!(next.ends_with("/AuditEvent?_count=2&_offset=2"), "{next}");
    let (_, _, second) = call(&server, "GET", "/fhir/AuditEvent?_count=2&_offset=2", &t.staff, None).await;
    assert_eq!(second["entry"].as_array().unwrap().len(), 2);
    assert_eq!(second["entry"][0]["resource"]["entity"][0]["what"]["display"], "/fhir/metadata");
    let (status, _, _) = call(&server, "GET", "/fhir/AuditEvent?_count=lots", &t.staff, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_request_whose_audit_record_cannot_be_written_is_refused() {
    let dir = std::env::temp_dir().join(format!("formwell-audit-{}", std::process::id()));
    let path = dir.join("record.sqlite");
    let _ = std::fs::remove_dir_all(&dir);
    let (server, t) = server_with(Store::open(&path).unwrap(), None);
    assert_eq!(call(&server, "GET", "/fhir/Patient", &t.staff, None).await.0, StatusCode::OK);
    // The audit table stops taking records (a full disk, a broken file): nothing is served.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk full'); END;")
        .unwrap();
    let (status, _, body) = call(&server, "GET", "/fhir/Patient", &t.staff, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body["issue"][0]["details"]["text"].as_str().unwrap().contains("audit log"));
    let (status, _, _) = call(&server, "POST", "/fhir/Patient", &t.staff, Some(a_person())).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(server.store.count("Patient").unwrap(), 0, "an unaudited write did not happen");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_bundle_whose_elements_are_not_r4_is_refused_and_named() {
    let (server, t) = server_with(Store::in_memory().unwrap(), None);
    let entry = json!({"resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient"}});
    for (bundle, element) in [
        (json!({"resourceType": "Bundle", "type": "transaction", "entryx": [entry]}), "Bundle.entryx"),
        (json!({"resourceType": "Bundle", "type": "transaction", "entry": entry}), "Bundle.entry"),
        (json!({"resourceType": "Bundle", "entry": [entry]}), "Bundle.type"),
        (json!({"resourceType": "Bundle", "type": "transaction", "entry": ["Patient"]}), "Bundle.entry[0]"),
        (
            json!({"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": {"resourceType": "Patient"}}]}),
            "Bundle.entry[0].request",
        ),
        (
            json!({"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": {"resourceType": "Patient"}, "requets": {}}]}),
            "Bundle.entry[0].requets",
        ),
        (
            json!({"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": {"resourceType": "Patient"}, "request": {"method": "FETCH", "url": "Patient"}}]}),
            "Bundle.entry[0].request.method",
        ),
    ] {
        let (status, _, body) = call(&server, "POST", "/fhir", &t.staff, Some(bundle.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bundle}: {body}");
        assert_eq!(body["issue"][0]["expression"][0], element, "{body}");
    }
    assert_eq!(server.store.count("Patient").unwrap(), 0);
    let empty = json!({"resourceType": "Bundle", "type": "transaction", "entry": []});
    assert_eq!(
        call(&server, "POST", "/fhir", &t.staff, Some(empty)).await.0,
        StatusCode::OK,
        "an empty transaction is one"
    );
}

/// A stand-in upstream FHIR server that records every request it gets.
async fn recording_upstream() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let log = log.clone();
        async move {
            let line = format!("{} {}", request.method(), request.uri());
            log.lock().unwrap().push(line);
            let patient = |id: &str| json!({"resource": {"resourceType": "Patient", "id": id}});
            let body = if request.method() == "POST" {
                json!({"resourceType": "Bundle", "type": "transaction-response",
                       "entry": [{"response": {"status": "201 Created", "location": "Patient/w1/_history/1"}}]})
            } else {
                json!({"resourceType": "Bundle", "type": "searchset", "total": 2, "entry": [patient("w1"), patient("w2")]})
            };
            (StatusCode::OK, [("content-type", "application/fhir+json")], body.to_string())
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gateway_forwards_only_plain_r4_paths_and_shows_a_partner_only_its_own() {
    let (upstream, seen) = recording_upstream().await;
    let (server, t) = server_with(Store::in_memory().unwrap(), Some(Upstream::new(&upstream, None)));
    for path in [
        "/fhir/Patient/..%2F..%2Fadmin",
        "/fhir/Patient%2F1",
        "/fhir/Patient/%2e%2e",
        "/fhir/Patient/1%3Fx=1",
        "/fhir/Patient/1%252F2",
        "/fhir/NotAType/1",
        "/fhir/Patient/a$b",
        "/fhir/Patient/..",
    ] {
        let (status, _, body) = call(&server, "GET", path, &t.staff, None).await;
        assert!(status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND, "{path}: {status} {body}");
    }
    assert_eq!(*seen.lock().unwrap(), Vec::<String>::new(), "nothing unplain reached the upstream server");

    // A partner's search shows only what it wrote through this gateway.
    let (_, _, found) = call(&server, "GET", "/fhir/Patient", &t.portal, None).await;
    assert_eq!(ids(&found), Vec::<String>::new());
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [{
        "resource": {"resourceType": "Patient", "name": [{"family": "Begum"}]}, "request": {"method": "POST", "url": "Patient"}}]});
    let (status, _, body) = call(&server, "POST", "/fhir", &t.portal, Some(bundle)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, _, found) = call(&server, "GET", "/fhir/Patient", &t.portal, None).await;
    assert_eq!(ids(&found), vec!["w1"], "its own, not w2");
    assert_eq!(found.get("total"), None, "the upstream total counts what this caller cannot see");
    let (_, _, found) = call(&server, "GET", "/fhir/Patient", &t.staff, None).await;
    assert_eq!(ids(&found), vec!["w1", "w2"], "staff read every person");
    assert_eq!(call(&server, "GET", "/fhir/Patient/w2", &t.portal, None).await.0, StatusCode::NOT_FOUND);
    let seen = seen.lock().unwrap().clone();
    assert!(
        !seen.iter().any(|l| l.contains("/Patient/w2")),
        "a read the partner may not make is not forwarded: {seen:?}"
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let (server, t) = server_with(Store::in_memory().unwrap(), None);
    for path in ["/fhir/metadata", "/fhir/Patient", "/formwell.config.json", "/index.html"] {
        let (_, headers, _) = call(&server, "GET", path, &t.staff, None).await;
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval';"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
    }
}

#[tokio::test]
async fn a_form_s_answers_without_a_person_are_refused_and_people_are_found_by_name_and_date_of_birth() {
    let (server, t) = server_with(Store::in_memory().unwrap(), None);
    let nobody = json!({"resourceType": "QuestionnaireResponse", "status": "completed"});
    let (status, _, body) = call(&server, "POST", "/fhir/QuestionnaireResponse", &t.staff, Some(nobody.clone())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["issue"][0]["expression"][0], "QuestionnaireResponse.subject");
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}, "request": {"method": "POST", "url": "Observation"}}]});
    let (status, _, body) = call(&server, "POST", "/fhir", &t.staff, Some(bundle)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["issue"][0]["expression"][0], "Bundle.entry[0].resource.subject");

    for (given, family, born) in [("Amina", "Begum", "1992-05-03"), ("Aminata", "Diallo", "1988-01-20"), ("Sam", "Amin", "1992-05-03")] {
        let patient = json!({"resourceType": "Patient", "name": [{"given": [given], "family": family}], "birthDate": born});
        assert_eq!(call(&server, "POST", "/fhir/Patient", &t.staff, Some(patient)).await.0, StatusCode::CREATED);
    }
    let names = |bundle: &Value| -> Vec<String> {
        bundle["entry"].as_array().into_iter().flatten().map(|e| e["resource"]["name"][0]["family"].as_str().unwrap().to_owned()).collect()
    };
    let (_, _, found) = call(&server, "GET", "/fhir/Patient?name=amin", &t.staff, None).await;
    assert_eq!(names(&found), vec!["Begum", "Diallo", "Amin"], "by the start of any word, in any case");
    let (_, _, found) = call(&server, "GET", "/fhir/Patient?name=amin&birthdate=1992-05-03", &t.staff, None).await;
    assert_eq!(names(&found), vec!["Begum", "Amin"]);
    let (_, _, found) = call(&server, "GET", "/fhir/Patient?name=Amina&name=Begum", &t.staff, None).await;
    assert_eq!(names(&found), vec!["Begum"], "every word must match");
    let (_, _, found) = call(&server, "GET", "/fhir/Patient?family=amin", &t.staff, None).await;
    assert_eq!(names(&found), vec!["Amin"]);
    let (_, _, found) = call(&server, "GET", "/fhir/Patient?name=%25", &t.staff, None).await;
    assert_eq!(names(&found), Vec::<String>::new(), "a % is a letter here, not a wildcard");
}

/// A request with the headers a browser would send from `origin` (with this server's own
/// host), naming an embedder as the iframe mode does.
async fn call_framed(server: &Arc<Server>, token: &str, origin: Option<&str>, embedder: &str) -> StatusCode {
    let mut request = Request::builder()
        .method("POST")
        .uri("/fhir/QuestionnaireResponse")
        .header("host", "formwell.example")
        .header("content-type", "application/fhir+json")
        .header("authorization", format!("Bearer {token}"))
        .header("formwell-embedder", embedder);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    let request = request.body(Body::from(response_for("Patient/p1").to_string())).unwrap();
    router(server.clone()).oneshot(request).await.unwrap().status()
}

#[tokio::test]
async fn only_the_server_s_own_iframe_may_name_the_portal_it_serves() {
    let (server, t) = server_with(Store::in_memory().unwrap(), None);
    // The iframe mode, on this server's origin, framed by the portal the token names.
    assert_eq!(call_framed(&server, &t.portal, Some("https://formwell.example"), "https://portal.example").await, StatusCode::CREATED);
    // Framed by another page: the iframe names that page's origin, which the token does not.
    assert_eq!(call_framed(&server, &t.portal, Some("https://formwell.example"), "https://evil.example").await, StatusCode::FORBIDDEN);
    // Another origin cannot claim to be the portal by sending the header itself.
    assert_eq!(call_framed(&server, &t.portal, Some("https://evil.example"), "https://portal.example").await, StatusCode::FORBIDDEN);
    // Nor can a look-alike of this server's host.
    assert_eq!(
        call_framed(&server, &t.portal, Some("https://formwell.example.evil.example"), "https://portal.example").await,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn only_the_studio_page_may_style_inline_and_no_page_may_run_inline_script() {
    let dist = std::env::temp_dir().join(format!("formwell-dist-{}", std::process::id()));
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("studio.html"), "<!doctype html><title>Studio</title>").unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html><title>App</title>").unwrap();
    let (server, _) = server_with(Store::in_memory().unwrap(), None);
    let server = Arc::new(Server { store: Store::in_memory().unwrap(), dist: Some(dist.clone()), ruleset: server.ruleset.clone(), upstream: None });
    let policy = |uri: &'static str| {
        let server = server.clone();
        async move {
            let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
            let response = router(server).oneshot(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{uri}");
            response.headers()["content-security-policy"].to_str().unwrap().to_owned()
        }
    };
    let studio = policy("/studio.html").await;
    assert!(studio.contains("style-src 'self' 'unsafe-inline';"), "{studio}");
    assert!(studio.contains("script-src 'self' 'wasm-unsafe-eval';"), "scripts stay the app's own: {studio}");
    let app = policy("/index.html").await;
    assert!(app.contains("style-src 'self';") && !app.contains("unsafe-inline"), "{app}");
    std::fs::remove_dir_all(&dist).ok();
}
