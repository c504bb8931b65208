//! `formwell serve` as a service sets it up: templates kept as Questionnaire resources,
//! searchable by url and version, and a first staff token printed on a new record.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn the_shipped_templates_are_questionnaire_resources_searchable_by_url_and_version() {
    let dir = std::env::temp_dir().join(format!("formwell-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("record.sqlite");
    let token = common::token(&data, "reader");
    let templates = concat!(env!("CARGO_MANIFEST_DIR"), "/../../templates");
    let mut server = common::start_with(&data, templates);
    let url = "https://formwell.example/fhir/Questionnaire/family-registration";
    assert_eq!(common::total(&server.base, &token, "Questionnaire?_count=0"), 7);
    assert_eq!(common::total(&server.base, &token, &format!("Questionnaire?url={url}")), 1);
    assert_eq!(common::total(&server.base, &token, &format!("Questionnaire?url={url}&version=1.0.0")), 1);
    assert_eq!(common::total(&server.base, &token, &format!("Questionnaire?url={url}&version=9.9.9")), 0);
    server.child.kill().ok();
    server.child.wait().ok();
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_new_record_prints_a_first_staff_token_that_works() {
    let dir = std::env::temp_dir().join(format!("formwell-first-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("record.sqlite");
    let mut child = Command::new(env!("CARGO_BIN_EXE_formwell"))
        .args(["serve", "--addr", "127.0.0.1:0", "--dist", "/nonexistent", "--templates", "/nonexistent", "--data"])
        .arg(&data)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok);
    let token = lines
        .by_ref()
        .find_map(|l| l.trim().starts_with("fw_").then(|| l.trim().to_owned()))
        .expect("a token was printed");
    let base = lines
        .find_map(|l| l.strip_prefix("formwell: serving ").map(|r| format!("{}/fhir", r.split(' ').next().unwrap())))
        .unwrap();
    assert_eq!(common::total(&base, &token, "Patient?_count=0"), 0, "the printed token is accepted");
    child.kill().ok();
    child.wait().ok();
    std::fs::remove_dir_all(&dir).ok();
}
