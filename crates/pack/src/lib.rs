//! What the browser app's build packs beside it (Trunk's pre-build hooks run
//! `formwell-pack`): the code-impact ruleset compiled from its source, and the shipped
//! templates gathered into one library file. Only the engine and the ruleset compiler:
//! building the app never compiles the server.

use std::path::{Path, PathBuf};

use formwell_engine::Questionnaire;
use serde_json::{json, Value};

/// The Questionnaire files of a folder, sorted, each with its id (the file name less
/// `.json`).
pub fn template_files(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| Some((p.file_stem()?.to_string_lossy().into_owned(), p)))
        .collect();
    files.sort();
    Ok(files)
}

/// The template library: `{"templates": [{"id", "questionnaire"}]}` from every template of
/// a folder. Every template must load; otherwise each one that does not is named, and
/// there is no library (a broken template stops the build).
pub fn library(dir: &Path) -> Result<Value, Vec<String>> {
    let files = template_files(dir).map_err(|e| vec![format!("cannot read {}: {e}", dir.display())])?;
    let mut templates = Vec::new();
    let mut problems = Vec::new();
    for (id, path) in files {
        let loaded = std::fs::read_to_string(&path).map_err(|e| e.to_string()).and_then(|text| {
            Questionnaire::parse(&text).map_err(|e| e.to_string())?;
            serde_json::from_str::<Value>(&text).map_err(|e| e.to_string())
        });
        match loaded {
            Ok(questionnaire) => templates.push(json!({ "id": id, "questionnaire": questionnaire })),
            Err(e) => problems.push(format!("{}: {e}", path.display())),
        }
    }
    if problems.is_empty() {
        Ok(json!({ "templates": templates }))
    } else {
        Err(problems)
    }
}

/// The compiled ruleset, as JSON, from a ruleset source folder.
pub fn ruleset(source: &Path) -> Result<String, String> {
    let compiled = formwell_rules::compile(source).map_err(|e| format!("the ruleset source does not compile: {e}"))?;
    serde_json::to_string(&compiled).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_templates_pack_into_a_library_and_a_broken_one_stops_it() {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let packed = library(&repo.join("templates")).unwrap();
        let ids: Vec<&str> =
            packed["templates"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 7, "{ids:?}");
        assert!(ids.contains(&"family-registration"));
        let dir = std::env::temp_dir().join(format!("formwell-pack-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("good.json"),
            r#"{"resourceType":"Questionnaire","status":"active","item":[{"linkId":"a","type":"string"}]}"#,
        )
        .unwrap();
        std::fs::write(dir.join("broken.json"), r#"{"resourceType":"Questionnaire","item":[{"linkId":"a","type":"string"},{"linkId":"a","type":"string"}]}"#).unwrap();
        let problems = library(&dir).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("broken.json"), "{problems:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
