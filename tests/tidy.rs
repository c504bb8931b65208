//! Tidy checks of the code's shape (as rust-analyzer's tidy tests do): what the
//! architecture promises, checked on every run, so that it stays true.
//!
//! - The engine is pure: it depends on no browser binding, no clock and no network
//!   crate, and its source reads no clock.
//! - Views only show: no view module names a code-impact category id (the ruleset and
//!   the engine hold those) or a FHIR element path it would have to interpret.
//! - The app's build-time tools do not compile the server.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A TOML document (Cargo.toml, Cargo.lock, the ruleset's categories).
fn toml_doc(path: &Path) -> toml::Value {
    toml::Value::Table(
        read(path).parse::<toml::Table>().unwrap_or_else(|e| panic!("{}: {}", path.display(), e.message())),
    )
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
    out
}

/// Every package a workspace package depends on when it is built on its own, for any
/// target, transitively (normal and build dependencies, as `cargo tree` resolves them:
/// Cargo.lock alone would count optional ones that other packages switch on).
fn closure(package: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args([
            "tree",
            "--locked",
            "-p",
            package,
            "-e",
            "normal,build",
            "--target",
            "all",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(repo())
        .output()
        .expect("cargo tree runs");
    assert!(output.status.success(), "cargo tree: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != package)
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_engine_depends_on_no_browser_clock_or_network() {
    let deps = closure("formwell-engine");
    let forbidden = [
        "web-sys",
        "js-sys",
        "wasm-bindgen",
        "gloo",
        "yew",
        "tokio",
        "hyper",
        "reqwest",
        "ureq",
        "axum",
        "mio",
        "socket2",
        "rusqlite",
        "iana-time-zone",
        "getrandom",
    ];
    let found: Vec<&str> = forbidden.iter().copied().filter(|f| deps.contains(*f)).collect();
    assert_eq!(found, Vec::<&str>::new(), "the engine's dependencies: {deps:?}");
    // chrono without its clock: the engine is told the time, it never reads it.
    let manifest = toml_doc(&repo().join("Cargo.toml"));
    let chrono = &manifest["workspace"]["dependencies"]["chrono"];
    assert_eq!(chrono["default-features"].as_bool(), Some(false));
    assert!(!chrono["features"].as_array().unwrap().iter().any(|f| f.as_str() == Some("clock")));
    let engine = toml_doc(&repo().join("crates/engine/Cargo.toml"));
    assert_eq!(engine["dependencies"]["chrono"]["workspace"].as_bool(), Some(true), "chrono as the workspace has it");
    for file in rust_files(&repo().join("crates/engine/src")) {
        let text = read(&file);
        for clock in ["SystemTime", "Instant::now", "Utc::now", "Local::now", "std::net", "std::thread::sleep"] {
            assert!(!text.contains(clock), "{} reads a clock or the network ({clock})", file.display());
        }
    }
}

#[test]
fn the_tidy_check_itself_sees_a_forbidden_dependency() {
    // The app, unlike the engine, does depend on web-sys: the closure sees it.
    let deps = closure("formwell-app");
    assert!(deps.contains("web-sys") && deps.contains("formwell-engine"));
}

/// The modules that render (views, pages) as opposed to those that load, keep or send.
const VIEWS: &[&str] = &[
    "diagnostics_view.rs",
    "draft_pages.rs",
    "embed.rs",
    "form_page.rs",
    "header.rs",
    "home.rs",
    "impact_view.rs",
    "item_view.rs",
    "pages.rs",
    "person_picker.rs",
    "sign_in.rs",
    "widgets.rs",
];

#[test]
fn no_view_names_a_ruleset_category_or_a_fhir_path() {
    let categories = toml_doc(&repo().join("rules/categories.toml"));
    let ids: Vec<String> = categories["category"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("\"{}\"", c["id"].as_str().unwrap()))
        .collect();
    assert!(ids.len() >= 15, "the categories were read");
    for view in VIEWS {
        let text = read(&repo().join("src").join(view));
        for id in &ids {
            assert!(!text.contains(id.as_str()), "src/{view} names the category {id}: ask the engine instead");
        }
        for path in ["\"Patient.", "\"Observation.", "\"QuestionnaireResponse.", "\"Consent.", "\"Provenance."] {
            assert!(!text.contains(path), "src/{view} names a FHIR element path ({path}…): ask the engine instead");
        }
    }
    // Every rendering module is either listed here or is not a view.
    let listed: BTreeSet<&str> = VIEWS.iter().copied().collect();
    for file in rust_files(&repo().join("src")) {
        let name = file.file_name().unwrap().to_str().unwrap();
        let renders = read(&file).contains("html! {");
        if renders && !listed.contains(name) && !["lib.rs", "outbox.rs"].contains(&name) {
            panic!("src/{name} renders: list it among the views so the tidy check reads it");
        }
    }
}

#[test]
fn the_app_s_build_tools_do_not_compile_the_server() {
    let trunk = read(&repo().join("Trunk.toml"));
    let hooks: Vec<&str> = trunk.lines().filter(|l| l.starts_with("command_arguments")).collect();
    assert!(!hooks.is_empty());
    let cargo_hooks: Vec<&&str> = hooks.iter().filter(|h| h.contains("\"run\"")).collect();
    assert!(!cargo_hooks.is_empty(), "the ruleset and the library are built by a cargo hook");
    for hook in cargo_hooks {
        assert!(hook.contains("\"formwell-pack\""), "a Trunk hook runs something other than formwell-pack: {hook}");
    }
    let deps = closure("formwell-pack");
    for server in ["formwell-server", "axum", "rusqlite", "tokio"] {
        assert!(!deps.contains(server), "formwell-pack pulls in {server}");
    }
}
