//! Server load benchmark: sustained submissions per second and their latency, for the
//! embedded SQLite store, from concurrent clients on loopback. Each submission is one
//! transaction of a QuestionnaireResponse, five Observations and a Provenance, as the app
//! sends. Run with `cargo bench -p formwell-cli --bench serve`; prints figures, asserts
//! nothing. The server runs in this process on its own threads; the clients are threads
//! with their own connections.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn submission(client: usize, n: usize) -> Value {
    let sid = format!("{client:08}-0000-4000-8000-{n:012}");
    let urn = |k: usize| format!("urn:uuid:{client:08}-0000-4000-{k:04}-{n:012}");
    let mut entries = vec![json!({
        "fullUrl": urn(0),
        "resource": { "resourceType": "QuestionnaireResponse", "status": "completed", "authored": "2026-11-26T10:15:00Z",
                      "identifier": { "system": "urn:bench", "value": format!("{sid}/response") },
                      "subject": { "reference": "Patient/p1" },
                      "item": [{ "linkId": "q", "answer": [{ "valueString": "an answer" }] }] },
        "request": { "method": "POST", "url": "QuestionnaireResponse", "ifNoneExist": format!("identifier=urn:bench|{sid}/response") },
    })];
    for k in 1..=5 {
        entries.push(json!({
            "fullUrl": urn(k),
            "resource": { "resourceType": "Observation", "status": "final",
                          "identifier": [{ "system": "urn:bench", "value": format!("{sid}/obs/{k}") }],
                          "code": { "coding": [{ "system": "http://example.org/local", "code": format!("measure-{k}") }] },
                          "subject": { "reference": "Patient/p1" }, "valueInteger": k, "derivedFrom": [{ "reference": urn(0) }] },
            "request": { "method": "POST", "url": "Observation", "ifNoneExist": format!("identifier=urn:bench|{sid}/obs/{k}") },
        }));
    }
    let targets: Vec<Value> = (0..=5).map(|k| json!({ "reference": urn(k) })).collect();
    entries.push(json!({
        "fullUrl": urn(6),
        "resource": { "resourceType": "Provenance", "id": format!("bench-{client}-{n}"), "target": targets, "recorded": "2026-11-26T10:15:00Z",
                      "agent": [{ "who": { "display": "load generator" } }] },
        "request": { "method": "PUT", "url": format!("Provenance/bench-{client}-{n}") },
    }));
    json!({ "resourceType": "Bundle", "type": "transaction", "entry": entries })
}

fn main() {
    let dir = std::env::temp_dir().join(format!("formwell-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let caller = formwell_server::tokens::Caller {
        name: "bench".into(),
        kind: formwell_server::tokens::TokenKind::Staff,
        setting: "community".into(),
        origins: vec![],
        revoked: false,
        created: "2026-11-26T10:00:00Z".into(),
    };
    // A server on its own port: the store, or a gateway to another server.
    let start = |file: &str, upstream: Option<formwell_server::http::Upstream>| {
        let store = formwell_server::Store::open(&dir.join(file)).unwrap();
        let token = store.add_token(&caller).unwrap();
        let server = Arc::new(formwell_server::http::Server {
            store,
            dist: None,
            ruleset: formwell_cli::bundled_ruleset(),
            upstream,
        });
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let base = format!("http://{}/fhir", listener.local_addr().unwrap());
        runtime.spawn(async move { axum_serve(listener, server).await });
        (base, token)
    };
    let (store_base, store_token) = start("record.sqlite", None);
    let upstream = formwell_server::http::Upstream::new(&store_base, Some(store_token.clone()));
    let (gateway_base, gateway_token) = start("gateway.sqlite", Some(upstream));

    println!("| mode | concurrent clients | submissions | per second | p50 | p99 |");
    println!("|---|---:|---:|---:|---:|---:|");
    let modes = [("SQLite store", store_base, store_token), ("gateway in front of it", gateway_base, gateway_token)];
    for (run, (mode, base, token)) in modes.into_iter().enumerate() {
        for clients in [1usize, 4, 16] {
            let per_client = 400 / clients;
            let started = Instant::now();
            let handles: Vec<_> = (0..clients)
                .map(|c| {
                    let (base, token) = (base.clone(), token.clone());
                    std::thread::spawn(move || {
                        let agent = ureq::Agent::new_with_defaults();
                        let mut latencies = Vec::new();
                        for n in 0..per_client {
                            let body = submission(c + 100 * clients + 10_000 * run, n);
                            let t = Instant::now();
                            let response = agent
                                .post(&base)
                                .header("authorization", &format!("Bearer {token}"))
                                .send_json(body)
                                .unwrap();
                            assert_eq!(response.status(), 200);
                            latencies.push(t.elapsed());
                        }
                        latencies
                    })
                })
                .collect();
            let mut latencies: Vec<Duration> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
            let elapsed = started.elapsed();
            latencies.sort();
            let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
            println!(
                "| {mode} | {clients} | {} | {:.0} | {:.1} ms | {:.1} ms |",
                latencies.len(),
                latencies.len() as f64 / elapsed.as_secs_f64(),
                at(0.50).as_secs_f64() * 1e3,
                at(0.99).as_secs_f64() * 1e3
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

async fn axum_serve(listener: tokio::net::TcpListener, server: Arc<formwell_server::http::Server>) {
    let _ = axum::serve(listener, formwell_server::http::router(server)).await;
}
