//! Ruleset benchmark: loading the bundled ruleset (parse and index), and linting the
//! largest questionnaire of the public corpus (read from ../shared beside the repository,
//! FORMWELL_SHARED overrides) and the largest shipped template against it.
//! Run with `cargo bench -p formwell-cli --bench lint`; prints medians, asserts nothing.

#[path = "../../engine/benches/support/timing.rs"]
mod timing;
use timing::median;

use std::path::PathBuf;

use formwell_engine::{Questionnaire, Ruleset};

fn largest(dir: PathBuf) -> (String, Questionnaire) {
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| {
            let path = e.ok()?.path();
            let q = Questionnaire::parse(&std::fs::read_to_string(&path).ok()?).ok()?.questionnaire;
            Some((path.file_name()?.to_string_lossy().into_owned(), q))
        })
        .max_by_key(|(_, q)| q.items().len())
        .expect("a questionnaire that loads")
}

fn main() {
    let json = formwell_cli::BUNDLED_RULESET_JSON;
    let load = median(51, || Ruleset::from_json(json).unwrap());
    let ruleset = Ruleset::from_json(json).unwrap();
    println!(
        "ruleset {}: {} codes indexed, {} bytes of JSON; load (parse + index) {:.2} ms",
        ruleset.version(),
        ruleset.code_count(),
        json.len(),
        load.as_secs_f64() * 1e3
    );

    let shared = std::env::var_os("FORMWELL_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let templates = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../templates");
    for (what, (file, q)) in [
        ("largest corpus questionnaire", largest(shared.join("data/questionnaires"))),
        ("largest shipped template", largest(templates)),
    ] {
        let time = median(1001, || ruleset.lint(&q, "community").unwrap());
        let report = ruleset.lint(&q, "community").unwrap();
        println!(
            "lint, {what} ({file}, {} items, {} findings): {:.1} µs",
            q.items().len(),
            report.findings.len(),
            time.as_secs_f64() * 1e6
        );
    }
}
