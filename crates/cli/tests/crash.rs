//! A crash in the middle of a stream of transactions: the server process is killed (no
//! clean shutdown) while a client is sending, then started again on the same file. Every
//! transaction it acknowledged is there, and no transaction is there in part.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{start, total};

use serde_json::{json, Value};

/// A transaction of a response and two observations that belong to it, all or nothing.
fn submission(n: usize) -> Value {
    let key = |role: &str| json!([{ "system": "urn:crash-test", "value": format!("{n}/{role}") }]);
    let observation = |k: usize| {
        json!({
            "fullUrl": format!("urn:uuid:00000000-0000-4000-8000-{:06}{:06}", n, k),
            "resource": { "resourceType": "Observation", "status": "final", "identifier": key(&format!("obs{k}")),
                          "code": { "text": "crash test" }, "valueInteger": n,
                          "subject": { "reference": "Patient/crash-test" },
                          "derivedFrom": [{ "reference": format!("urn:uuid:00000000-0000-4000-8000-{:06}000000", n) }] },
            "request": { "method": "POST", "url": "Observation", "ifNoneExist": format!("identifier=urn:crash-test|{n}/obs{k}") },
        })
    };
    json!({ "resourceType": "Bundle", "type": "transaction", "entry": [
        { "fullUrl": format!("urn:uuid:00000000-0000-4000-8000-{:06}000000", n),
          "resource": { "resourceType": "QuestionnaireResponse", "status": "completed",
                        "subject": { "reference": "Patient/crash-test" },
                        "identifier": { "system": "urn:crash-test", "value": format!("{n}/response") } },
          "request": { "method": "POST", "url": "QuestionnaireResponse", "ifNoneExist": format!("identifier=urn:crash-test|{n}/response") } },
        observation(1), observation(2),
    ]})
}

#[test]
fn a_killed_server_loses_no_acknowledged_transaction_and_keeps_no_partial_one() {
    let dir = std::env::temp_dir().join(format!("formwell-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("record.sqlite");
    let token = String::from_utf8(
        Command::new(env!("CARGO_BIN_EXE_formwell"))
            .args(["token", "add", "--name", "load", "--data"])
            .arg(&data)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_owned();
    let mut server = start(&data);

    // A client sends transactions one after another from another thread; the test kills
    // the server once a good number have been acknowledged.
    let (base, client_token) = (server.base.clone(), token.clone());
    let sender = std::thread::spawn(move || {
        let mut acknowledged = Vec::new();
        for n in 0..100_000 {
            let result =
                ureq::post(&base).header("authorization", &format!("Bearer {client_token}")).send_json(submission(n));
            match result {
                Ok(response) if response.status() == 200 => acknowledged.push(n),
                _ => break,
            }
        }
        acknowledged
    });
    // Stops as soon as 40 are in; the bound is only there so that a broken server ends
    // the test, and is generous so that a busy machine does not.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(300) {
        std::thread::sleep(Duration::from_millis(50));
        if total(&server.base, &token, "QuestionnaireResponse?_count=0") >= 40 {
            break;
        }
    }
    server.child.kill().unwrap(); // SIGKILL: no shutdown, mid-transaction if one is running
    server.child.wait().unwrap();
    let acknowledged = sender.join().unwrap();
    assert!(acknowledged.len() >= 40, "the stream ran ({} acknowledged)", acknowledged.len());

    let restarted = start(&data);
    let responses = total(&restarted.base, &token, "QuestionnaireResponse?_count=0");
    let observations = total(&restarted.base, &token, "Observation?_count=0");
    for n in &acknowledged {
        assert_eq!(
            total(&restarted.base, &token, &format!("QuestionnaireResponse?identifier=urn:crash-test|{n}/response")),
            1,
            "acknowledged transaction {n} is there"
        );
    }
    assert_eq!(observations, responses * 2, "every stored response has both its observations: nothing partial");
    assert!(
        responses as usize >= acknowledged.len() && responses as usize <= acknowledged.len() + 1,
        "at most the one in flight is extra"
    );
    let mut restarted = restarted;
    restarted.child.kill().ok();
    restarted.child.wait().ok();
    std::fs::remove_dir_all(&dir).ok();
}
