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
    /// Serve the app and the record: an embedded FHIR R4 store on SQLite. With no tokens
    /// yet, makes a first staff token and prints it.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// The SQLite file of the record (created if missing).
        #[arg(long, default_value = "data/formwell.sqlite")]
        data: PathBuf,
        /// The app's release build.
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
        /// The templates to serve as Questionnaire resources.
        #[arg(long, default_value = "templates")]
        templates: PathBuf,
        /// Gateway mode: forward accepted requests to this FHIR R4 base instead of the
        /// local store (tokens and the audit log stay in --data).
        #[arg(long)]
        upstream: Option<String>,
        /// The bearer token to present to the upstream server (or FORMWELL_UPSTREAM_TOKEN).
        #[arg(long, env = "FORMWELL_UPSTREAM_TOKEN")]
        upstream_token: Option<String>,
    },
    /// Serve the template studio on a folder of templates: edit them in your own editor,
    /// and the preview reloads whenever a file is saved (keeping the answers given so
    /// far); each saved template's findings are printed here too. Nothing is stored or sent.
    Preview {
        /// The folder of Questionnaire JSON files.
        dir: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8081")]
        addr: std::net::SocketAddr,
        /// The app's release build (the studio and the engine it previews with).
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
    },
    /// Print the audit log (one FHIR AuditEvent per line).
    Audit {
        #[arg(long, default_value = "data/formwell.sqlite")]
        data: PathBuf,
    },
    /// Manage bearer tokens (stored hashed in the record's file).
    Token {
        #[command(subcommand)]
        action: TokenAction,
        #[arg(long, default_value = "data/formwell.sqlite", global = true)]
        data: PathBuf,
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

#[derive(Subcommand)]
enum TokenAction {
    /// Make a token and print it (shown once; only its hash is kept).
    Add {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "staff")]
        kind: String,
        /// The service setting whose policy applies to what this caller writes.
        #[arg(long, default_value = "community")]
        setting: String,
        /// A web origin the token may be used from (repeatable): a partner's portal, or
        /// where the app is served when this server does not serve it. A token that names
        /// origins is refused from any other; browsers get CORS answers only for these.
        #[arg(long = "origin")]
        origins: Vec<String>,
    },
    /// List tokens (names, settings, origins; never the tokens).
    List,
    /// Revoke a token by name.
    Revoke { name: String },
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
        Command::Serve { addr, data, dist, templates, upstream, upstream_token } => {
            let upstream = upstream.map(|base| formwell_server::http::Upstream::new(&base, upstream_token));
            serve(addr, data, dist, &templates, upstream)
        }
        Command::Preview { dir, addr, dist } => preview(addr, dist, dir),
        Command::Audit { data } => audit(&data),
        Command::Token { action, data } => token(action, &data),
    }
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn audit(data: &std::path::Path) -> ExitCode {
    match formwell_server::Store::open(data).and_then(|store| store.audit_log()) {
        Ok(log) => {
            for record in log {
                println!("{}", record.to_audit_event());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("formwell: {e}");
            ExitCode::from(2)
        }
    }
}

/// The Questionnaires of a folder, each with its file name as id; one that does not load
/// is reported and left out.
fn read_templates(dir: &std::path::Path) -> Vec<(String, serde_json::Value)> {
    formwell_pack::template_files(dir)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(id, path)| {
            let text = std::fs::read_to_string(&path).ok()?;
            if let Err(e) = Questionnaire::parse(&text) {
                eprintln!("formwell: {} is left out: {e}", path.display());
                return None;
            }
            Some((id, serde_json::from_str(&text).ok()?))
        })
        .collect()
}

fn serve(
    addr: std::net::SocketAddr,
    data: PathBuf,
    dist: PathBuf,
    templates: &std::path::Path,
    upstream: Option<formwell_server::http::Upstream>,
) -> ExitCode {
    let store = match formwell_server::Store::open(&data) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("formwell: {e}");
            return ExitCode::from(2);
        }
    };
    // A new record gets a first staff token, so the app can submit out of the box.
    let first = match store.tokens() {
        Ok(tokens) if tokens.is_empty() => {
            let caller = formwell_server::tokens::Caller {
                name: "first-staff".into(),
                kind: formwell_server::tokens::TokenKind::Staff,
                setting: "community".into(),
                origins: vec![],
                revoked: false,
                created: now(),
            };
            store.add_token(&caller).ok()
        }
        _ => None,
    };
    drop(store);
    if let Some(token) = &first {
        println!("formwell: a first staff token (community setting); keep it, it is shown once:\n  {token}");
        println!("formwell: open http://{addr}/?token={token}");
    }
    let dist = dist.is_dir().then_some(dist);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("formwell: {e}");
            return ExitCode::from(2);
        }
    };
    let ruleset = formwell_cli::bundled_ruleset();
    let templates = read_templates(templates);
    match runtime.block_on(formwell_server::serve(formwell_server::ServeOptions {
        addr,
        data,
        dist,
        ruleset,
        templates,
        upstream,
    })) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("formwell: {e}");
            ExitCode::from(2)
        }
    }
}

/// `formwell preview`: the studio on a folder, with each saved template's findings (load
/// findings, then the lint for every setting) printed as it changes.
fn preview(addr: std::net::SocketAddr, dist: PathBuf, dir: PathBuf) -> ExitCode {
    if !dist.join("studio.html").is_file() {
        eprintln!("formwell: {} has no studio: build the app first (scripts/build-app)", dist.display());
        return ExitCode::from(2);
    }
    let ruleset = formwell_cli::bundled_ruleset();
    let on_change = move |name: &str, text: &str| match Questionnaire::parse(text) {
        Err(e) => println!("{name}: does not load: {e}"),
        Ok(loaded) => {
            for d in &loaded.diagnostics {
                println!("{name}: {d}");
            }
            let title = loaded.questionnaire.display_title();
            for setting in ruleset.settings() {
                if let Ok(report) = ruleset.lint(&loaded.questionnaire, &setting.id) {
                    print!("{}", formwell_cli::human_report(name, &title, &report));
                }
            }
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("formwell: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(formwell_server::preview::serve(addr, dist, dir, on_change)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("formwell: {e}");
            ExitCode::from(2)
        }
    }
}

fn token(action: TokenAction, data: &std::path::Path) -> ExitCode {
    let store = match formwell_server::Store::open(data) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("formwell: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match action {
        TokenAction::Add { name, kind, setting, origins } => {
            let Some(kind) = formwell_server::tokens::TokenKind::from_code(&kind) else {
                eprintln!("formwell: --kind is staff or partner");
                return ExitCode::from(2);
            };
            if formwell_cli::bundled_ruleset().setting(&setting).is_err() {
                eprintln!("formwell: {}", formwell_cli::bundled_ruleset().setting(&setting).unwrap_err());
                return ExitCode::from(2);
            }
            let caller =
                formwell_server::tokens::Caller { name, kind, setting, origins, revoked: false, created: now() };
            store.add_token(&caller).map(|token| println!("{token}"))
        }
        TokenAction::List => store.tokens().map(|tokens| {
            for t in tokens {
                let origins =
                    if t.origins.is_empty() { String::new() } else { format!(" origins {}", t.origins.join(" ")) };
                let state = if t.revoked { " (revoked)" } else { "" };
                println!("{}\t{}\t{}\t{}{origins}{state}", t.name, t.kind.code(), t.setting, t.created);
            }
        }),
        TokenAction::Revoke { name } => store.revoke_token(&name).and_then(|found| {
            if found {
                Ok(())
            } else {
                Err(formwell_server::FhirError::not_found(format!("no token named \"{name}\"")))
            }
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("formwell: {e}");
            ExitCode::from(2)
        }
    }
}

fn library(from: &std::path::Path, out: &std::path::Path) -> ExitCode {
    let written = formwell_pack::library(from).map_err(|problems| problems.join("\n")).and_then(|library| {
        std::fs::write(out, library.to_string()).map_err(|e| format!("cannot write {}: {e}", out.display()))
    });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("formwell: {e}");
            ExitCode::from(2)
        }
    }
}

fn ruleset(out: Option<PathBuf>, from: Option<PathBuf>) -> ExitCode {
    let json = match from {
        None => Ok(formwell_cli::BUNDLED_RULESET_JSON.to_owned()),
        Some(dir) => formwell_pack::ruleset(&dir),
    };
    let done = json.and_then(|json| match out {
        Some(path) => std::fs::write(&path, json).map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => {
            println!("{json}");
            Ok(())
        }
    });
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("formwell: {e}");
            ExitCode::from(2)
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
