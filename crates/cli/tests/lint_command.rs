//! The `formwell lint` command as a designer's CI runs it: exit codes and both formats.

use std::process::Command;

fn formwell(args: &[&str]) -> (i32, String, String) {
    let templates = concat!(env!("CARGO_MANIFEST_DIR"), "/../../templates");
    let output = Command::new(env!("CARGO_BIN_EXE_formwell")).current_dir(templates).args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_blocked_code_fails_the_lint() {
    let (code, out, _) = formwell(&[
        "lint",
        "harmful-pregnancy-safeguarding-example.json",
        "family-registration.json",
        "--setting",
        "community",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("BLOCKED Pregnancy status"), "{out}");
    assert!(out.contains("- pregnant at Questionnaire.item[0] (item code): SNOMED CT 77386006 Pregnant"), "{out}");
    assert!(out.contains("family-registration.json: Family registration"), "every template is reported");
}

#[test]
fn nothing_blocked_passes_even_with_confirmations() {
    let (code, out, _) = formwell(&[
        "lint",
        "change-of-contact-details.json",
        "speech-language-check-2y.json",
        "--setting",
        "community",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("CONFIRM Name, address or phone"));
    let (code, _, _) = formwell(&["lint", "harmful-pregnancy-safeguarding-example.json", "--setting", "midwifery"]);
    assert_eq!(code, 0);
}

#[test]
fn json_for_pipelines() {
    let (code, out, _) = formwell(&["lint", "harmful-pregnancy-safeguarding-example.json", "--format", "json"]);
    assert_eq!(code, 1);
    let reports: serde_json::Value = serde_json::from_str(&out).unwrap();
    let report = &reports[0]["report"];
    assert_eq!(reports[0]["file"], "harmful-pregnancy-safeguarding-example.json");
    assert_eq!(report["setting"], "community");
    assert_eq!(report["findings"][0]["severity"], "block");
    assert_eq!(report["findings"][0]["coding"]["code"], "77386006");
    assert_eq!(report["ruleset_version"].as_str().unwrap().len(), 16);
}

#[test]
fn unreadable_templates_and_unknown_settings_are_usage_errors() {
    let (code, _, err) = formwell(&["lint", "no-such-file.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read no-such-file.json"), "{err}");
    let (code, _, err) = formwell(&["lint", "family-registration.json", "--setting", "school"]);
    assert_eq!(code, 2);
    assert!(err.contains("no service setting \"school\""), "{err}");
    let broken = std::env::temp_dir().join(format!("formwell-broken-{}.json", std::process::id()));
    std::fs::write(&broken, "{\"resourceType\": \"Questionnaire\",").unwrap();
    let (code, _, err) = formwell(&["lint", broken.to_str().unwrap()]);
    std::fs::remove_file(&broken).ok();
    assert_eq!(code, 2);
    assert!(err.contains("not valid JSON"), "{err}");
}

#[test]
fn the_bundled_ruleset_is_written_out_with_its_version() {
    let (code, out, _) = formwell(&["ruleset"]);
    assert_eq!(code, 0);
    let ruleset: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(ruleset["version"], formwell_cli::bundled_ruleset().version());
    assert_eq!(ruleset["settings"].as_array().unwrap().len(), 4);
}

#[test]
fn the_template_library_holds_every_template_and_a_broken_one_stops_it() {
    let out = std::env::temp_dir().join(format!("formwell-library-{}.json", std::process::id()));
    let (code, _, err) = formwell(&["library", "--from", ".", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let library: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let ids: Vec<&str> = library["templates"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 7);
    assert!(ids.contains(&"family-registration"));
    assert_eq!(library["templates"][0]["questionnaire"]["resourceType"], "Questionnaire");

    let broken = std::env::temp_dir().join(format!("formwell-broken-library-{}", std::process::id()));
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("bad.json"), r#"{"resourceType": "Questionnaire", "item": [{"linkId": "a"}]}"#).unwrap();
    let (code, _, err) = formwell(&["library", "--from", broken.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    std::fs::remove_dir_all(&broken).ok();
    std::fs::remove_file(&out).ok();
    assert_eq!(code, 2);
    assert!(err.contains("has no type"), "{err}");
}
