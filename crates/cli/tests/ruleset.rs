//! The code-impact ruleset as built from `rules/`: categories found by system and code,
//! the Read v2 near-misses, the shipped templates judged per setting, `check` on a filled
//! form, and the compiler's refusal of prefix rules without exclusions.

use std::path::Path;
use std::sync::Arc;

use formwell_cli::bundled_ruleset;
use formwell_engine::impact::ruleset::{CTV3, READ_V2, SNOMED_CT};
use formwell_engine::{Action, AnswerValue, Coding, FormState, ImpactSeverity, Questionnaire, Ruleset};

fn categories(ruleset: &Ruleset, system: &str, code: &str) -> Vec<String> {
    let coding = Coding { system: Some(system.into()), code: Some(code.into()), ..Default::default() };
    ruleset.categories_of(&coding).into_iter().map(|c| c.id.clone()).collect()
}

fn template(name: &str) -> Questionnaire {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../templates").join(format!("{name}.json"));
    Questionnaire::parse(&std::fs::read_to_string(path).unwrap()).unwrap().questionnaire
}

fn shipped_templates() -> Vec<(String, Questionnaire)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../templates");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.into_iter().map(|n| (n.clone(), template(&n))).collect()
}

#[test]
fn read_v2_near_misses_are_not_pregnancy_but_patient_pregnant_is() {
    let r = bundled_ruleset();
    assert_eq!(categories(&r, READ_V2, "62...00"), ["pregnancy_status"], "Patient pregnant");
    assert_eq!(categories(&r, READ_V2, "62..."), ["pregnancy_status"]);
    for (code, what) in [
        ("62R..", "New birth visit"),
        ("62R..12", "New birth visit"),
        ("62S..00", "Maternal P/N 6 week exam."),
        ("62Q..", "postnatal"),
    ] {
        assert!(
            !categories(&r, READ_V2, code).contains(&"pregnancy_status".to_owned()),
            "{code} ({what}) is not pregnancy status"
        );
    }
    assert_eq!(categories(&r, READ_V2, "62P1."), ["breastfeeding"], "62P1. is breastfeeding, not pregnancy");
    assert_eq!(
        categories(&r, READ_V2, "62Z.."),
        ["pregnancy_status"],
        "the prefix rule covers the rest of the chapter"
    );
}

#[test]
fn codes_match_by_system_and_code_never_code_alone() {
    let r = bundled_ruleset();
    assert_eq!(categories(&r, SNOMED_CT, "77386006"), ["pregnancy_status"]);
    assert!(categories(&r, CTV3, "77386006").is_empty());
    assert!(categories(&r, "http://example.org/local", "77386006").is_empty());
    let no_system = Coding { code: Some("77386006".into()), ..Default::default() };
    assert!(r.categories_of(&no_system).is_empty());
}

#[test]
fn a_snomed_code_from_each_category_is_found_in_its_category() {
    let r = bundled_ruleset();
    let examples = [
        ("pregnancy_status", "77386006"),        // Pregnant
        ("expected_delivery_date", "161714006"), // Estimated date of delivery
        ("child_protection", "342191000000101"), // Subject to child protection plan
        ("child_protection", "764841000000100"), // Looked after child
    ];
    for (category, code) in examples {
        assert!(categories(&r, SNOMED_CT, code).contains(&category.to_owned()), "{code} in {category}");
    }
    // And for every category with SNOMED lists: each list's codes are found in it.
    for m in &r.compiled().members {
        if m.system != SNOMED_CT {
            continue;
        }
        let first = m.codes.split(' ').next().unwrap();
        assert!(categories(&r, SNOMED_CT, first).contains(&m.category), "{first} in {}", m.category);
    }
    let with_snomed: std::collections::BTreeSet<&str> =
        r.compiled().members.iter().filter(|m| m.system == SNOMED_CT).map(|m| m.category.as_str()).collect();
    for category in r.categories().iter().filter(|c| c.definitions.is_empty()) {
        assert!(with_snomed.contains(category.id.as_str()), "{} has SNOMED codes", category.id);
    }
}

#[test]
fn the_harmful_template_is_blocked_for_community_and_allowed_for_midwifery() {
    let r = bundled_ruleset();
    let q = template("harmful-pregnancy-safeguarding-example");
    let community = r.lint(&q, "community").unwrap();
    assert!(community.is_blocked());
    let blocked: Vec<&str> = community
        .findings
        .iter()
        .filter(|f| f.severity == ImpactSeverity::Block)
        .filter_map(|f| f.category.as_deref())
        .collect();
    assert_eq!(blocked, ["pregnancy_status", "expected_delivery_date", "child_protection"]);
    assert_eq!(
        community.summary,
        "can write 3 codes; 3 need attention: pregnancy status (blocked), expected delivery date or last period (blocked), child protection, child in need or looked-after child (blocked)"
    );
    assert!(community.findings.iter().all(|f| f.instead.is_some()), "a blocked finding says what to do instead");
    assert_eq!(community.ruleset_version, r.version());

    let midwifery = r.lint(&q, "midwifery").unwrap();
    assert!(!midwifery.is_blocked());
    assert_eq!(
        midwifery.summary,
        "can write 3 codes; 1 needs attention: child protection, child in need or looked-after child (confirm)"
    );
}

#[test]
fn every_other_shipped_template_lints_clean_for_community() {
    let r = bundled_ruleset();
    for (name, q) in shipped_templates() {
        if name.starts_with("harmful") {
            continue;
        }
        let report = r.lint(&q, "community").unwrap();
        assert!(!report.is_blocked(), "{name}: {}", report.summary);
        if name == "change-of-contact-details" {
            // The one template meant to change demographics: it asks for confirmation, and
            // its only codes say whether the new address is permanent or temporary (FHIR's
            // address-use codes, which the record keeps on the address).
            assert_eq!(report.codes, 2, "{name}: home and temp");
            assert_eq!(report.worst(), ImpactSeverity::Confirm);
            assert!(report.summary.contains("name, address or phone (confirm)"), "{}", report.summary);
        } else {
            assert_eq!(report.codes, 0, "{name} writes no codes");
            assert_eq!(report.worst(), ImpactSeverity::Allow, "{name}: {}", report.summary);
        }
    }
}

#[test]
fn check_decides_on_what_a_filled_form_would_write() {
    let r = bundled_ruleset();
    let q = Arc::new(template("harmful-pregnancy-safeguarding-example"));
    let mut form = FormState::new(q.clone());
    let set = |form: &mut FormState, link: &str, v: AnswerValue| {
        let node = form.node_by_link_id(link).unwrap();
        form.apply(Action::SetAnswer { node, value: Some(v) }).unwrap();
    };
    set(&mut form, "pregnant", AnswerValue::Boolean(false));
    set(&mut form, "cpp", AnswerValue::Boolean(false));
    assert!(form.coded_entries().is_empty(), "an item code is written only when its yes/no item is ticked yes");

    set(&mut form, "pregnant", AnswerValue::Boolean(true));
    set(&mut form, "edd", AnswerValue::Date(formwell_engine::FhirDate::parse("2027-04-01").unwrap()));
    let decisions = r.check(&form.coded_entries(), "community").unwrap();
    let judged: Vec<(&str, ImpactSeverity)> =
        decisions.iter().map(|d| (d.entry.link_id.as_str(), d.severity)).collect();
    assert_eq!(judged, [("pregnant", ImpactSeverity::Block), ("edd", ImpactSeverity::Block)]);
    assert_eq!(decisions[1].entry.value, "1 April 2027");
    assert!(decisions.iter().all(|d| d.ruleset_version == r.version()));
    assert!(decisions[0].services.contains(&"Midwifery".to_owned()));

    let midwifery = r.check(&form.coded_entries(), "midwifery").unwrap();
    assert!(midwifery.iter().all(|d| d.severity == ImpactSeverity::Allow));
    assert!(r
        .check(&form.coded_entries(), "nowhere")
        .unwrap_err()
        .to_string()
        .contains("community, health_visiting, midwifery, general_practice"));
}

#[test]
fn demographic_changes_need_confirmation_in_every_setting() {
    let r = bundled_ruleset();
    let q = Arc::new(template("change-of-contact-details"));
    let mut form = FormState::new(q.clone());
    let node = form.node_by_link_id("what-changed").unwrap();
    form.apply(Action::SetAnswers { node, values: vec![AnswerValue::String("Phone number".into())] }).unwrap();
    let phone = form.node_by_link_id("phone").unwrap();
    form.apply(Action::SetInput { node: phone, text: "07700 900123".into() }).unwrap();
    for setting in ["community", "health_visiting", "midwifery", "general_practice"] {
        let decisions = r.check(&form.coded_entries(), setting).unwrap();
        let demographic: Vec<_> = decisions.iter().filter(|d| d.category.as_deref() == Some("demographics")).collect();
        assert_eq!(demographic.len(), 1, "{setting}");
        assert_eq!(demographic[0].severity, ImpactSeverity::Confirm, "{setting}");
        assert_eq!(demographic[0].entry.value, "07700 900123");
    }
}

#[test]
fn the_compiler_refuses_a_read_v2_prefix_rule_without_exclusions() {
    let dir = std::env::temp_dir().join(format!("formwell-rules-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("codelists")).unwrap();
    std::fs::write(dir.join("codelists/MANIFEST.csv"), "file,category,system\n").unwrap();
    std::fs::write(
        dir.join("categories.toml"),
        r#"[[category]]
id = "pregnancy_status"
title = "Pregnancy status"
effect = "x"
services = []
instead = "y"
prefixes = [{ system = "readv2", prefix = "62", exclude = [], why = "everything" }]
"#,
    )
    .unwrap();
    std::fs::write(dir.join("policies.toml"), "[[setting]]\nid = \"community\"\npregnancy_status = \"block\"\n")
        .unwrap();
    let error = formwell_rules_compile(&dir);
    std::fs::remove_dir_all(&dir).ok();
    assert!(error.contains("names no exclusions"), "{error}");
}

/// The compiler is a build dependency of this crate; the binary exposes it as
/// `formwell ruleset --from DIR`.
fn formwell_rules_compile(dir: &Path) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_formwell"))
        .args(["ruleset", "--from"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(!output.status.success());
    String::from_utf8_lossy(&output.stderr).into_owned()
}
