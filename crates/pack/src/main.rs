//! `formwell-pack`: what the app's build writes beside it (Trunk's pre-build hooks).
//!
//!   formwell-pack ruleset --out FILE [--from rules]
//!   formwell-pack library --out FILE [--from templates]
//!
//! Exit status 2, with the reason, when the source does not compile or a template does
//! not load.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(PathBuf::from);
    let (Some(what), Some(out)) = (args.first(), value("--out")) else {
        eprintln!("usage: formwell-pack ruleset|library --out FILE [--from DIR]");
        return ExitCode::from(2);
    };
    let written = match what.as_str() {
        "ruleset" => formwell_pack::ruleset(&value("--from").unwrap_or_else(formwell_rules::source_dir)),
        "library" => formwell_pack::library(&value("--from").unwrap_or_else(|| PathBuf::from("templates")))
            .map(|library| library.to_string())
            .map_err(|problems| problems.join("\n")),
        other => Err(format!("formwell-pack makes a ruleset or a library, not \"{other}\"")),
    }
    .and_then(|text| std::fs::write(&out, text).map_err(|e| format!("cannot write {}: {e}", out.display())));
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("formwell-pack: {e}");
            ExitCode::from(2)
        }
    }
}
