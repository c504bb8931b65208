//! Compiles the ruleset source (`rules/`) into the binary, so that the `formwell` tool and
//! everything that embeds this crate carry the rules they were built with.

fn main() {
    let source = formwell_rules::source_dir();
    println!("cargo:rerun-if-changed={}", source.display());
    for entry in std::fs::read_dir(&source).into_iter().flatten().flatten() {
        println!("cargo:rerun-if-changed={}", entry.path().display());
    }
    let compiled =
        formwell_rules::compile(&source).unwrap_or_else(|e| panic!("the ruleset source does not compile: {e}"));
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("ruleset.json");
    std::fs::write(out, serde_json::to_string(&compiled).unwrap()).unwrap();
}
