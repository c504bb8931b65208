//! The code-impact ruleset: which codes change what other services see in a shared record
//! (impact categories, with real UK code lists), and what each service setting may write
//! (a severity per category). The ruleset is compiled from the reviewable source in `rules/`
//! (see `formwell-rules`) into the compact form here, versioned by a content hash that every
//! lint and check reports.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::form::datatypes::Coding;

pub const SNOMED_CT: &str = "http://snomed.info/sct";
pub const READ_V2: &str = "http://read.info/readv2";
pub const CTV3: &str = "http://read.info/ctv3";

/// What a setting may do with a category, least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImpactSeverity {
    /// Written without comment.
    Allow,
    /// Staff are told what will change.
    Warn,
    /// Staff must confirm, having read what will change, and give a reason.
    Confirm,
    /// Cannot be submitted.
    Block,
}

impl ImpactSeverity {
    /// As the summary says it: "blocked", "confirm", "warn", "allowed".
    pub fn word(self) -> &'static str {
        match self {
            ImpactSeverity::Allow => "allowed",
            ImpactSeverity::Warn => "warn",
            ImpactSeverity::Confirm => "confirm",
            ImpactSeverity::Block => "blocked",
        }
    }
}

/// One kind of impact a code can have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    pub id: String,
    pub title: String,
    /// What writing such a code does elsewhere, in plain words for staff.
    pub effect: String,
    /// Which services see the change.
    pub services: Vec<String>,
    /// What to do instead, when the category is blocked.
    pub instead: String,
    /// Element paths (`Patient.address`) whose extraction puts an item in this category.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub definitions: Vec<String>,
}

/// What one service setting may write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingPolicy {
    pub id: String,
    pub title: String,
    /// Category id to severity; a category not named is blocked.
    pub severities: BTreeMap<String, ImpactSeverity>,
}

/// The codes of one category in one code system, space-separated (compact on the wire).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub category: String,
    pub system: String,
    pub codes: String,
}

/// A hierarchy rule: every code under a prefix, except those under an exclusion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrefixRule {
    pub category: String,
    pub system: String,
    pub prefix: String,
    pub exclude: Vec<String>,
    pub why: String,
}

/// The compiled ruleset as it travels (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompiledRuleset {
    /// A content hash of everything else: the version every check reports.
    pub version: String,
    pub categories: Vec<Category>,
    pub settings: Vec<SettingPolicy>,
    pub members: Vec<Membership>,
    pub prefixes: Vec<PrefixRule>,
}

impl ImpactSeverity {
    /// Reads the word the compiled form uses.
    pub fn from_code(code: &str) -> Option<ImpactSeverity> {
        Some(match code {
            "allow" => ImpactSeverity::Allow,
            "warn" => ImpactSeverity::Warn,
            "confirm" => ImpactSeverity::Confirm,
            "block" => ImpactSeverity::Block,
            _ => return None,
        })
    }
}

// The compiled form is read by walking a JSON value rather than with serde's derived
// deserialisers: it is the same few lines, and the browser bundle is ~7 KB smaller.
fn text(json: &Value, key: &str) -> Result<String, String> {
    json[key].as_str().map(str::to_owned).ok_or_else(|| format!("{key} is missing"))
}

fn texts(json: &Value, key: &str) -> Vec<String> {
    json[key].as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect()).unwrap_or_default()
}

fn list<T>(json: &Value, key: &str, read: impl Fn(&Value) -> Result<T, String>) -> Result<Vec<T>, String> {
    json[key].as_array().map(|a| a.iter().map(&read).collect()).unwrap_or_else(|| Ok(Vec::new()))
}

impl CompiledRuleset {
    /// Reads the compiled form.
    pub fn from_json(json: &Value) -> Result<CompiledRuleset, String> {
        Ok(CompiledRuleset {
            version: text(json, "version")?,
            categories: list(json, "categories", |c| {
                Ok(Category {
                    id: text(c, "id")?,
                    title: text(c, "title")?,
                    effect: text(c, "effect")?,
                    services: texts(c, "services"),
                    instead: text(c, "instead")?,
                    definitions: texts(c, "definitions"),
                })
            })?,
            settings: list(json, "settings", |s| {
                let mut severities = BTreeMap::new();
                for (category, severity) in s["severities"].as_object().into_iter().flatten() {
                    let word = severity.as_str().unwrap_or_default();
                    let severity =
                        ImpactSeverity::from_code(word).ok_or_else(|| format!("\"{word}\" is not a severity"))?;
                    severities.insert(category.clone(), severity);
                }
                Ok(SettingPolicy { id: text(s, "id")?, title: text(s, "title")?, severities })
            })?,
            members: list(json, "members", |m| {
                Ok(Membership { category: text(m, "category")?, system: text(m, "system")?, codes: text(m, "codes")? })
            })?,
            prefixes: list(json, "prefixes", |p| {
                Ok(PrefixRule {
                    category: text(p, "category")?,
                    system: text(p, "system")?,
                    prefix: text(p, "prefix")?,
                    exclude: texts(p, "exclude"),
                    why: text(p, "why")?,
                })
            })?,
        })
    }
}

/// A setting the ruleset does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSetting {
    pub asked: String,
    pub known: Vec<String>,
}

impl fmt::Display for UnknownSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no service setting \"{}\"; the ruleset knows {}", self.asked, self.known.join(", "))
    }
}

impl std::error::Error for UnknownSetting {}

/// A loaded ruleset with its lookup index.
#[derive(Debug, Clone)]
pub struct Ruleset {
    compiled: CompiledRuleset,
    /// (system, code) → category indexes.
    index: HashMap<(u8, String), Vec<u16>>,
}

fn system_id(system: &str) -> Option<u8> {
    match system {
        SNOMED_CT => Some(0),
        READ_V2 => Some(1),
        CTV3 => Some(2),
        _ => None,
    }
}

/// Read v2 codes carry a two-character term suffix (`62...00`); the concept is the first five.
fn normalise(system: u8, code: &str) -> String {
    let code = code.trim();
    if system == 1 && code.len() == 7 {
        code[..5].to_owned()
    } else {
        code.to_owned()
    }
}

impl Ruleset {
    /// Reads a compiled ruleset (JSON) and builds its index.
    pub fn from_json(text: &str) -> Result<Ruleset, String> {
        let json: Value = serde_json::from_str(text).map_err(|e| format!("the ruleset is not readable: {e}"))?;
        Ruleset::new(CompiledRuleset::from_json(&json).map_err(|e| format!("the ruleset is not readable: {e}"))?)
    }

    /// Builds the index of a compiled ruleset, checking that every name it uses is defined.
    pub fn new(compiled: CompiledRuleset) -> Result<Ruleset, String> {
        let category_index: HashMap<&str, u16> =
            compiled.categories.iter().enumerate().map(|(i, c)| (c.id.as_str(), i as u16)).collect();
        let mut index: HashMap<(u8, String), Vec<u16>> = HashMap::new();
        for m in &compiled.members {
            let category =
                *category_index.get(m.category.as_str()).ok_or_else(|| format!("unknown category {}", m.category))?;
            let system = system_id(&m.system).ok_or_else(|| format!("unknown code system {}", m.system))?;
            for code in m.codes.split(' ').filter(|c| !c.is_empty()) {
                let entry = index.entry((system, normalise(system, code))).or_default();
                if !entry.contains(&category) {
                    entry.push(category);
                }
            }
        }
        for rule in &compiled.prefixes {
            category_index.get(rule.category.as_str()).ok_or_else(|| format!("unknown category {}", rule.category))?;
            system_id(&rule.system).ok_or_else(|| format!("unknown code system {}", rule.system))?;
        }
        for setting in &compiled.settings {
            if let Some(unknown) = setting.severities.keys().find(|c| !category_index.contains_key(c.as_str())) {
                return Err(format!("setting {} names unknown category {unknown}", setting.id));
            }
        }
        Ok(Ruleset { compiled, index })
    }

    /// The content hash that identifies this ruleset.
    pub fn version(&self) -> &str {
        &self.compiled.version
    }

    /// Every category.
    pub fn categories(&self) -> &[Category] {
        &self.compiled.categories
    }

    /// A category by id.
    pub fn category(&self, id: &str) -> Option<&Category> {
        self.compiled.categories.iter().find(|c| c.id == id)
    }

    /// Every service setting.
    pub fn settings(&self) -> &[SettingPolicy] {
        &self.compiled.settings
    }

    /// A setting by id, or an error naming the ones there are.
    pub fn setting(&self, id: &str) -> Result<&SettingPolicy, UnknownSetting> {
        self.compiled.settings.iter().find(|s| s.id == id).ok_or_else(|| UnknownSetting {
            asked: id.to_owned(),
            known: self.compiled.settings.iter().map(|s| s.id.clone()).collect(),
        })
    }

    /// How a setting treats a category: a category it does not name is blocked.
    pub fn severity(&self, setting: &SettingPolicy, category: &str) -> ImpactSeverity {
        setting.severities.get(category).copied().unwrap_or(ImpactSeverity::Block)
    }

    /// The categories a code belongs to: by exact membership of its system's lists, then by
    /// the prefix rules (minus their exclusions). A code without a known system matches
    /// nothing: membership is by system and code, never by code alone.
    pub fn categories_of(&self, coding: &Coding) -> Vec<&Category> {
        let (Some(system), Some(code)) = (coding.system.as_deref(), coding.code.as_deref()) else {
            return Vec::new();
        };
        let Some(sid) = system_id(system) else { return Vec::new() };
        let code = normalise(sid, code);
        let mut out: Vec<&Category> = self
            .index
            .get(&(sid, code.clone()))
            .map(|cats| cats.iter().map(|i| &self.compiled.categories[*i as usize]).collect())
            .unwrap_or_default();
        for rule in &self.compiled.prefixes {
            let applies = rule.system == system
                && code.starts_with(&rule.prefix)
                && !rule.exclude.iter().any(|e| code.starts_with(e.as_str()));
            if applies {
                if let Some(category) = self.category(&rule.category) {
                    if !out.iter().any(|c| c.id == category.id) {
                        out.push(category);
                    }
                }
            }
        }
        out
    }

    /// The categories whose definitions an item's `definition` extracts to
    /// (`…/Patient#Patient.address.line` → demographics).
    pub fn categories_of_definition(&self, definition: &str) -> Vec<&Category> {
        let element = definition.rsplit_once('#').map_or(definition, |(_, e)| e);
        self.compiled
            .categories
            .iter()
            .filter(|c| c.definitions.iter().any(|d| element == d || element.starts_with(&format!("{d}."))))
            .collect()
    }

    /// The compiled form, for serving.
    pub fn compiled(&self) -> &CompiledRuleset {
        &self.compiled
    }

    /// How many codes the index holds.
    pub fn code_count(&self) -> usize {
        self.index.len()
    }
}
