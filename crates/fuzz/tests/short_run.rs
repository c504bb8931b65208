//! A short fuzz run in the tests (the long one is `formwell-fuzz`, see BENCHMARKS.md):
//! a few thousand mutated templates, responses and Bundles, none of which may panic.
//! Reads the public corpus from ../shared when it is there (CI has it).

use std::path::PathBuf;

use formwell_fuzz::{run, seeds, Target};

#[test]
fn hostile_templates_responses_and_bundles_never_crash_the_readers() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shared = std::env::var_os("FORMWELL_SHARED").map(PathBuf::from).unwrap_or_else(|| repo.join("../shared"));
    let seeds = seeds(&repo, shared.join("data/questionnaires").is_dir().then_some(shared.as_path()));
    assert!(seeds.template_count() >= 7, "the shipped templates at least");
    for target in Target::ALL {
        let report = run(target, &seeds, 1500, 20261201);
        assert_eq!(report.cases, 1500);
        let crashes: Vec<String> = report.crashes.iter().map(|c| format!("case {}: {}", c.case, c.message)).collect();
        assert_eq!(crashes, Vec::<String>::new(), "{}", target.name());
        // Mutated input is mostly refused, but a run that reaches nothing proves nothing.
        assert!(report.accepted > 0, "{}: some mutated cases still load", target.name());
        assert!(report.accepted < report.cases, "{}: and some are refused", target.name());
    }
}
