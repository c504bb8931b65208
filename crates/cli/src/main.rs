//! `formwell`: lint templates against the code-impact ruleset, and write the bundled ruleset.
//!
//! Exit codes of `formwell lint`: 0 when nothing is blocked, 1 when any template writes a
//! code the setting blocks, 2 when a template cannot be read or loaded.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use formwell_engine::Questionnaire;

#[derive(Parser)]
#[command(name = "formwell", version, about = "Formwell's tools for template designers")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Report every code each template can write and what it does for a service setting;
    /// fails when anything is blocked.
    Lint {
        /// Questionnaire JSON files.
        #[arg(required = true)]
        templates: Vec<PathBuf>,
        /// The service setting the templates are used in (community, health_visiting,
        /// midwifery, general_practice).
        #[arg(long, default_value = "community")]
        setting: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Gather the Questionnaires of a folder into the app's template library (one JSON
    /// file); fails if any of them does not load, so a broken template stops the build.
    Library {
        /// The folder of Questionnaire JSON files (each file's name, less .json, is its id).
        #[arg(long, default_value = "templates")]
        from: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Write the compiled ruleset (JSON) to a file, or to standard output: the bundled one,
    /// or one compiled now from a ruleset source folder.
    Ruleset {
        #[arg(long)]
        out: Option<PathBuf>,
        /// A ruleset source folder (categories.toml, policies.toml, codelists/).
        #[arg(long)]
        from: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Lint { templates, setting, format } => lint(&templates, &setting, format),
        Command::Ruleset { out, from } => ruleset(out, from),
        Command::Library { from, out } => library(&from, &out),
    }
}

fn library(from: &std::path::Path, out: &std::path::Path) -> ExitCode {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(from) {
        Ok(entries) => {
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect()
        }
        Err(e) => {
            eprintln!("formwell: cannot read {}: {e}", from.display());
            return ExitCode::from(2);
        }
    };
    files.sort();
    let mut templates = Vec::new();
    let mut failed = false;
    for path in &files {
        let id = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let text = std::fs::read_to_string(path).unwrap_or_default();
        match Questionnaire::parse(&text) {
            Ok(_) => templates.push(serde_json::json!({ "id": id, "questionnaire": serde_json::from_str::<serde_json::Value>(&text).unwrap_or_default() })),
            Err(e) => {
                eprintln!("formwell: {}: {e}", path.display());
                failed = true;
            }
        }
    }
    if failed {
        return ExitCode::from(2);
    }
    match std::fs::write(out, serde_json::json!({ "templates": templates }).to_string()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("formwell: cannot write {}: {e}", out.display());
            ExitCode::from(2)
        }
    }
}

fn ruleset(out: Option<PathBuf>, from: Option<PathBuf>) -> ExitCode {
    let json = match from {
        None => formwell_cli::BUNDLED_RULESET_JSON.to_owned(),
        Some(dir) => match formwell_rules::compile(&dir) {
            Ok(compiled) => serde_json::to_string(&compiled).unwrap_or_default(),
            Err(e) => {
                eprintln!("formwell: the ruleset source does not compile: {e}");
                return ExitCode::from(2);
            }
        },
    };
    match out {
        Some(path) => match std::fs::write(&path, json) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("formwell: cannot write {}: {e}", path.display());
                ExitCode::from(2)
            }
        },
        None => {
            println!("{json}");
            ExitCode::SUCCESS
        }
    }
}

fn lint(templates: &[PathBuf], setting: &str, format: Format) -> ExitCode {
    let ruleset = formwell_cli::bundled_ruleset();
    if let Err(e) = ruleset.setting(setting) {
        eprintln!("formwell: {e}");
        return ExitCode::from(2);
    }
    let (mut blocked, mut unreadable) = (false, false);
    let mut reports = Vec::new();
    for path in templates {
        let file = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("formwell: cannot read {file}: {e}");
                unreadable = true;
                continue;
            }
        };
        let loaded = match Questionnaire::parse(&text) {
            Ok(loaded) => loaded,
            Err(e) => {
                eprintln!("formwell: {file}: {e}");
                unreadable = true;
                continue;
            }
        };
        let report = ruleset.lint(&loaded.questionnaire, setting).expect("the setting was checked above");
        blocked |= report.is_blocked();
        match format {
            Format::Text => {
                print!("{}", formwell_cli::human_report(&file, loaded.questionnaire.display_title(), &report))
            }
            Format::Json => reports.push(serde_json::json!({ "file": file, "report": report })),
        }
    }
    if let Format::Json = format {
        println!("{}", serde_json::to_string_pretty(&reports).unwrap_or_default());
    }
    if unreadable {
        ExitCode::from(2)
    } else if blocked {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
