//! Compiles the code-impact ruleset from its source in `rules/`: categories and their code
//! lists (`categories.toml`, the vendored CSVs in `codelists/`), and the policies of each
//! service setting (`policies.toml`). The result is a [`CompiledRuleset`]: every code list
//! reduced to one space-separated line per category and system, and a version that is a
//! hash of the content. Anything the source names that is not there is an error.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use formwell_engine::impact::ruleset::{CTV3, READ_V2, SNOMED_CT};
use formwell_engine::{Category, CompiledRuleset, ImpactSeverity, Ruleset, SettingPolicy};
use serde::Deserialize;
use sha2::{Digest, Sha256};

#[derive(Deserialize)]
struct CategoriesFile {
    category: Vec<CategorySource>,
}

#[derive(Deserialize)]
struct CategorySource {
    id: String,
    title: String,
    effect: String,
    services: Vec<String>,
    instead: String,
    #[serde(default)]
    lists: Vec<ListSource>,
    #[serde(default)]
    prefixes: Vec<PrefixSource>,
    #[serde(default)]
    definitions: Vec<String>,
}

#[derive(Deserialize)]
struct ListSource {
    file: String,
    /// snomed, readv2 or ctv3; by default read from the file name.
    system: Option<String>,
    /// The column with the codes; by default `code` or `CTV3Code`.
    code: Option<String>,
    /// Only codes of this shape: `numeric` (SNOMED ids) or `five-character` (Read, CTV3),
    /// for lists that mix systems.
    shape: Option<String>,
}

#[derive(Deserialize)]
struct PrefixSource {
    system: String,
    prefix: String,
    exclude: Vec<String>,
    why: String,
}

#[derive(Deserialize)]
struct PoliciesFile {
    setting: Vec<toml::Table>,
}

/// A problem in the ruleset's source, with the file it is in.
#[derive(Debug)]
pub struct SourceError(pub String);

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SourceError {}

fn err(at: &Path, what: impl std::fmt::Display) -> SourceError {
    SourceError(format!("{}: {what}", at.display()))
}

fn system_uri(name: &str) -> Option<&'static str> {
    match name {
        "snomed" => Some(SNOMED_CT),
        "readv2" => Some(READ_V2),
        "ctv3" => Some(CTV3),
        _ => None,
    }
}

fn system_from_file_name(file: &str) -> Option<&'static str> {
    let lower = file.to_lowercase();
    ["snomed", "readv2", "ctv3"].into_iter().find(|s| lower.contains(s)).and_then(system_uri)
}

/// Compiles the ruleset source in `dir`.
pub fn compile(dir: &Path) -> Result<CompiledRuleset, SourceError> {
    let categories_path = dir.join("categories.toml");
    let text = fs::read_to_string(&categories_path).map_err(|e| err(&categories_path, e))?;
    let source: CategoriesFile = toml::from_str(&text).map_err(|e| err(&categories_path, e))?;

    let manifest = manifest_systems(&dir.join("codelists/MANIFEST.csv"))?;
    let mut categories = Vec::new();
    // (category, system) → codes; sorted so that the output (and its hash) is stable.
    let mut members: BTreeMap<(String, &'static str), BTreeSet<String>> = BTreeMap::new();
    let mut prefixes = Vec::new();
    let mut ids = BTreeSet::new();
    for c in source.category {
        if !ids.insert(c.id.clone()) {
            return Err(err(&categories_path, format!("category {} is defined twice", c.id)));
        }
        for list in &c.lists {
            let path = dir.join("codelists").join(&list.file);
            let system = match &list.system {
                Some(name) => system_uri(name)
                    .ok_or_else(|| err(&categories_path, format!("{}: unknown system {name}", list.file)))?,
                None => system_from_file_name(&list.file).or_else(|| manifest.get(&list.file).copied()).ok_or_else(
                    || err(&categories_path, format!("{}: say which system (snomed, readv2, ctv3)", list.file)),
                )?,
            };
            let codes = read_codes(&path, list.code.as_deref())?;
            let codes = codes.into_iter().filter(|code| match list.shape.as_deref() {
                Some("numeric") => code.bytes().all(|b| b.is_ascii_digit()),
                Some("five-character") => code.len() == 5 && !code.bytes().all(|b| b.is_ascii_digit()),
                _ => true,
            });
            members.entry((c.id.clone(), system)).or_default().extend(codes);
        }
        for p in &c.prefixes {
            let system = system_uri(&p.system)
                .ok_or_else(|| err(&categories_path, format!("prefix rule: unknown system {}", p.system)))?;
            if system == READ_V2 && p.exclude.is_empty() {
                return Err(err(
                    &categories_path,
                    format!(
                        "the Read v2 prefix rule {} in {} names no exclusions; prefix rules over-reach without them",
                        p.prefix, c.id
                    ),
                ));
            }
            prefixes.push(formwell_engine::impact::ruleset::PrefixRule {
                category: c.id.clone(),
                system: system.to_owned(),
                prefix: p.prefix.clone(),
                exclude: p.exclude.clone(),
                why: p.why.clone(),
            });
        }
        categories.push(Category {
            id: c.id,
            title: c.title,
            effect: c.effect,
            services: c.services,
            instead: c.instead,
            definitions: c.definitions,
        });
    }

    let policies_path = dir.join("policies.toml");
    let text = fs::read_to_string(&policies_path).map_err(|e| err(&policies_path, e))?;
    let source: PoliciesFile = toml::from_str(&text).map_err(|e| err(&policies_path, e))?;
    let mut settings = Vec::new();
    for table in source.setting {
        let text_of = |key: &str| table.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        let id = text_of("id").ok_or_else(|| err(&policies_path, "a setting without an id"))?;
        let title = text_of("title").unwrap_or_else(|| id.clone());
        let mut severities = BTreeMap::new();
        for (key, value) in &table {
            if key == "id" || key == "title" {
                continue;
            }
            if !ids.contains(key) {
                return Err(err(&policies_path, format!("setting {id} names {key}, which is not a category")));
            }
            let severity = value.as_str().and_then(ImpactSeverity::from_code).ok_or_else(|| {
                err(&policies_path, format!("setting {id}, {key}: use block, confirm, warn or allow"))
            })?;
            severities.insert(key.clone(), severity);
        }
        settings.push(SettingPolicy { id, title, severities });
    }

    let mut compiled = CompiledRuleset {
        version: String::new(),
        categories,
        settings,
        members: members
            .into_iter()
            .map(|((category, system), codes)| formwell_engine::impact::ruleset::Membership {
                category,
                system: system.to_owned(),
                codes: codes.into_iter().collect::<Vec<_>>().join(" "),
            })
            .collect(),
        prefixes,
    };
    let content = serde_json::to_vec(&compiled).map_err(|e| SourceError(e.to_string()))?;
    let digest = Sha256::digest(&content);
    compiled.version = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    // Loading it is the final check that every name it uses is defined.
    Ruleset::new(compiled.clone()).map_err(SourceError)?;
    Ok(compiled)
}

/// Each vendored list's single code system, as its provenance record states it.
fn manifest_systems(path: &Path) -> Result<BTreeMap<String, &'static str>, SourceError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| err(path, e))?;
    let mut out = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| err(path, e))?;
        let system = match record.get(2).unwrap_or("") {
            "snomedct" => SNOMED_CT,
            "readv2" => READ_V2,
            "ctv3" => CTV3,
            _ => continue,
        };
        out.insert(record.get(0).unwrap_or("").to_owned(), system);
    }
    Ok(out)
}

/// The codes in one column of a CSV code list.
fn read_codes(path: &Path, column: Option<&str>) -> Result<Vec<String>, SourceError> {
    let text = fs::read_to_string(path).map_err(|e| err(path, e))?;
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| err(path, e))?.clone();
    let wanted: Vec<&str> = match column {
        Some(c) => vec![c],
        None => vec!["code", "CTV3Code"],
    };
    let index = headers
        .iter()
        .position(|h| wanted.contains(&h.trim()))
        .ok_or_else(|| err(path, format!("no column {} (the header is {:?})", wanted.join(" or "), headers)))?;
    let mut codes = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| err(path, e))?;
        let code = record.get(index).unwrap_or("").trim();
        // Transcribed tables mark a missing map in words, "(no current active map)".
        if !code.is_empty() && !code.contains(' ') && !code.starts_with('(') {
            codes.push(code.to_owned());
        }
    }
    Ok(codes)
}

/// The repository's own ruleset source: `rules/` at the workspace root.
pub fn source_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}
