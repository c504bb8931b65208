//! `formwell-fuzz`: runs the fuzz targets and reports crashes (0 expected).
//!
//!   cargo run --release -p formwell-fuzz -- [--cases 100000] [--seed 1] [--target parse|response|bundle]
//!
//! Starts from the shipped templates and, when it is beside the repository, the public
//! corpus (`../shared/data/questionnaires`, or `FORMWELL_SHARED`). A crash's input is
//! written to `target/fuzz-crashes/`; the exit status is 1 when there is any.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use formwell_fuzz::{run, seeds, Target};

fn main() -> ExitCode {
    let mut cases = 100_000usize;
    let mut seed = 1u64;
    let mut targets: Vec<Target> = Target::ALL.to_vec();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        let parsed = match (arg.as_str(), value.as_deref()) {
            ("--cases", Some(v)) => v.parse().map(|v| cases = v).is_ok(),
            ("--seed", Some(v)) => v.parse().map(|v| seed = v).is_ok(),
            ("--target", Some("parse")) => {
                targets = vec![Target::Parse];
                true
            }
            ("--target", Some("response")) => {
                targets = vec![Target::Response];
                true
            }
            ("--target", Some("bundle")) => {
                targets = vec![Target::Bundle];
                true
            }
            _ => false,
        };
        if !parsed {
            eprintln!("usage: formwell-fuzz [--cases N] [--seed N] [--target parse|response|bundle]");
            return ExitCode::from(2);
        }
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shared = std::env::var_os("FORMWELL_SHARED").map(PathBuf::from).unwrap_or_else(|| repo.join("../shared"));
    let shared = shared.join("data/questionnaires").is_dir().then_some(shared);
    let seeds = seeds(&repo, shared.as_deref());
    println!("formwell-fuzz: {} cases per target, seed {seed}, from {} templates", cases, seeds.template_count());
    let mut crashes = 0;
    for target in targets {
        let started = Instant::now();
        let report = run(target, &seeds, cases, seed);
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{:<28} {:>8} cases  {:>7} accepted  {:>3} crashes  {:>6.1} s  {:>8.0} cases/s",
            target.name(),
            report.cases,
            report.accepted,
            report.crashes.len(),
            seconds,
            report.cases as f64 / seconds
        );
        let dir = repo.join("target/fuzz-crashes");
        for crash in &report.crashes {
            let _ = std::fs::create_dir_all(&dir);
            let file = dir.join(format!("{:?}-{}.json", crash.target, crash.case).to_lowercase());
            let _ = std::fs::write(&file, &crash.input);
            println!("  crash in case {}: {} (input in {})", crash.case, crash.message, file.display());
        }
        crashes += report.crashes.len();
    }
    println!("crashes: {crashes}");
    if crashes == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
