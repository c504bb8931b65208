//! Searching a big record: the latency of a search by identifier (what the outbox asks
//! before it sends a submission again) with 0 to 100,000 QuestionnaireResponses stored,
//! through the store's API (no HTTP), in memory. Prints figures; asserts only that each
//! search finds its one.
//!
//! `cargo bench -p formwell-server --bench search`

use std::time::Instant;

use formwell_server::access::Principal;
use formwell_server::Store;
use serde_json::json;

fn main() {
    println!("| stored | identifier search, median | p99 |\n|---:|---:|---:|");
    for stored in [0usize, 1_000, 20_000, 100_000] {
        let store = Store::in_memory().expect("an in-memory store");
        for chunk in 0..stored / 100 {
            let entries: Vec<_> = (0..100)
                .map(|k| {
                    json!({"resource": {"resourceType": "QuestionnaireResponse", "status": "completed",
                        "identifier": {"system": "urn:bench", "value": format!("r{}", chunk * 100 + k)}},
                        "request": {"method": "POST", "url": "QuestionnaireResponse"}})
                })
                .collect();
            let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": entries});
            store.bundle(&bundle, "2026-12-01T10:00:00.000Z", Principal::Server).expect("stored");
        }
        let mut times = Vec::new();
        for i in 0..400 {
            let query = [("identifier".to_string(), format!("urn:bench|r{}", (i * 7919) % stored.max(1)))];
            let started = Instant::now();
            let found = store.search("QuestionnaireResponse", &query, "", Principal::Server).expect("a search");
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(found["total"], if stored == 0 { 0 } else { 1 });
        }
        times.sort_by(|a, b| a.total_cmp(b));
        println!("| {stored} | {:.3} ms | {:.3} ms |", times[times.len() / 2], times[times.len() * 99 / 100]);
    }
}
