//! Judging codes by their impact: `lint` a template (every code it *can* write) and
//! `check` a filled form (every coded entry it *would* write) against a ruleset for one
//! service setting.

use serde::Serialize;

use crate::form::answer::AnswerValue;
use crate::form::datatypes::Coding;
use crate::form::questionnaire::{ItemType, Questionnaire};
use crate::form::{FormState, NodeId};
use crate::impact::coded::CodeSource;
use crate::impact::ruleset::{Category, ImpactSeverity, Ruleset, SettingPolicy, UnknownSetting};

/// One code (or demographic detail) a template can write, judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub link_id: String,
    /// The item's place in the template's JSON.
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coding: Option<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
    /// "item code", "answer option", "initial answer" or "definition".
    pub source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_title: Option<String>,
    pub severity: ImpactSeverity,
    /// What writing it does elsewhere, in plain words.
    pub reason: String,
    /// What to do instead, when it is blocked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instead: Option<String>,
}

/// Everything a template can write, judged for one setting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LintReport {
    pub ruleset_version: String,
    pub setting: String,
    /// Distinct codes (by system and code) the template can write.
    pub codes: usize,
    /// Items that change a name, address or phone.
    pub demographic_items: usize,
    pub findings: Vec<Finding>,
    pub summary: String,
}

impl LintReport {
    /// The most severe finding, if any.
    pub fn worst(&self) -> ImpactSeverity {
        self.findings.iter().map(|f| f.severity).max().unwrap_or(ImpactSeverity::Allow)
    }

    /// Whether anything the template can write is blocked for this setting.
    pub fn is_blocked(&self) -> bool {
        self.worst() == ImpactSeverity::Block
    }
}

/// One coded entry a filled form would write.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodedEntry {
    #[serde(skip)]
    pub node: NodeId,
    pub link_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coding: Option<Coding>,
    /// The element the item extracts to, for definition-based entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
    /// The answer, as a person reads it.
    pub value: String,
}

/// The ruleset's decision on one coded entry (one per category it falls in).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub entry: CodedEntry,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_title: Option<String>,
    pub severity: ImpactSeverity,
    pub effect: String,
    pub services: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instead: Option<String>,
    pub ruleset_version: String,
    /// Whether the entry changes the person's name, address or phone (its category is one
    /// the ruleset recognises by what an item extracts to, not by a code).
    #[serde(skip)]
    pub demographic: bool,
}

const NO_KNOWN_IMPACT: &str = "Not in any impact category of this ruleset.";

impl Ruleset {
    /// Every code the template can write (item codes of extracted items, answer options,
    /// initial answers, contained value sets used as options) and every item that extracts
    /// to a demographic element, each judged for the setting.
    pub fn lint(&self, questionnaire: &Questionnaire, setting: &str) -> Result<LintReport, UnknownSetting> {
        let policy = self.setting(setting)?;
        let mut findings = Vec::new();
        // One finding per category the code or element falls in (one, allowed, for none).
        let mut judge_item = |item: &crate::form::questionnaire::Item,
                              coding: Option<&Coding>,
                              definition: Option<&String>,
                              source: &'static str,
                              categories: &[&Category]| {
            for judged in self.judge(policy, categories) {
                findings.push(Finding {
                    link_id: item.link_id.clone(),
                    path: item.path.clone(),
                    coding: coding.cloned(),
                    definition: definition.cloned(),
                    source,
                    category: judged.category.map(|c| c.id.clone()),
                    category_title: judged.category.map(|c| c.title.clone()),
                    severity: judged.severity,
                    reason: judged.category.map_or(NO_KNOWN_IMPACT.to_owned(), |c| c.effect.clone()),
                    instead: judged.instead(),
                });
            }
        };
        let writable = questionnaire.writable_codes();
        for w in &writable {
            let source = match w.source {
                CodeSource::ItemCode => "item code",
                CodeSource::AnswerOption => "answer option",
                CodeSource::Initial => "initial answer",
            };
            judge_item(questionnaire.item(w.item), Some(&w.coding), None, source, &self.categories_of(&w.coding));
        }
        let mut demographic_items = 0;
        for item in questionnaire.items().iter().filter(|i| i.is_question() && !questionnaire.in_registration(i.id)) {
            let Some(definition) = &item.definition else { continue };
            let categories = self.categories_of_definition(definition);
            if !categories.is_empty() {
                demographic_items += 1;
                judge_item(item, None, Some(definition), "definition", &categories);
            }
        }
        let codes = crate::impact::coded::distinct_count(&writable);
        let summary = summarise(codes, demographic_items, &findings);
        Ok(LintReport {
            ruleset_version: self.version().to_owned(),
            setting: policy.id.clone(),
            codes,
            demographic_items,
            findings,
            summary,
        })
    }

    /// A decision for each coded entry a filled form would write.
    pub fn check(&self, entries: &[CodedEntry], setting: &str) -> Result<Vec<Decision>, UnknownSetting> {
        let policy = self.setting(setting)?;
        let mut decisions = Vec::new();
        for entry in entries {
            let mut categories = entry.coding.as_ref().map(|c| self.categories_of(c)).unwrap_or_default();
            if let Some(definition) = &entry.definition {
                categories.extend(self.categories_of_definition(definition));
            }
            for judged in self.judge(policy, &categories) {
                decisions.push(Decision {
                    entry: entry.clone(),
                    category: judged.category.map(|c| c.id.clone()),
                    category_title: judged.category.map(|c| c.title.clone()),
                    severity: judged.severity,
                    effect: judged.category.map_or(NO_KNOWN_IMPACT.to_owned(), |c| c.effect.clone()),
                    services: judged.category.map(|c| c.services.clone()).unwrap_or_default(),
                    instead: judged.instead(),
                    ruleset_version: self.version().to_owned(),
                    demographic: judged.category.is_some_and(|c| !c.definitions.is_empty()),
                });
            }
        }
        Ok(decisions)
    }

    /// Each category with its severity for the setting; a code in no category is allowed.
    fn judge<'a>(&self, policy: &SettingPolicy, categories: &[&'a Category]) -> Vec<Judged<'a>> {
        if categories.is_empty() {
            return vec![Judged { category: None, severity: ImpactSeverity::Allow }];
        }
        categories.iter().map(|c| Judged { category: Some(c), severity: self.severity(policy, &c.id) }).collect()
    }
}

struct Judged<'a> {
    category: Option<&'a Category>,
    severity: ImpactSeverity,
}

impl Judged<'_> {
    fn instead(&self) -> Option<String> {
        (self.severity == ImpactSeverity::Block).then(|| self.category.map(|c| c.instead.clone())).flatten()
    }
}

/// "can write 7 codes; 2 need attention: pregnancy status (blocked), demographics (confirm)"
fn summarise(codes: usize, demographic_items: usize, findings: &[Finding]) -> String {
    let mut text = format!("can write {codes} code{}", if codes == 1 { "" } else { "s" });
    if demographic_items > 0 {
        text.push_str(&format!(
            " and change {demographic_items} demographic detail{}",
            if demographic_items == 1 { "" } else { "s" }
        ));
    }
    // One line per category, at its most severe.
    let mut attention: Vec<(String, ImpactSeverity)> = Vec::new();
    for f in findings.iter().filter(|f| f.severity >= ImpactSeverity::Warn) {
        // Titles are plain ASCII; to_lowercase would bring Unicode case tables into the wasm.
        let title = f.category_title.clone().unwrap_or_default().to_ascii_lowercase();
        match attention.iter_mut().find(|(t, _)| *t == title) {
            Some((_, s)) => *s = (*s).max(f.severity),
            None => attention.push((title, f.severity)),
        }
    }
    attention.sort_by_key(|a| std::cmp::Reverse(a.1));
    match attention.len() {
        0 => text.push_str("; none needs attention"),
        n => {
            let list: Vec<String> = attention.iter().map(|(t, s)| format!("{t} ({})", s.word())).collect();
            text.push_str(&format!("; {n} need{} attention: {}", if n == 1 { "s" } else { "" }, list.join(", ")));
        }
    }
    text
}

impl FormState {
    /// The coded entries the form would write as it stands: for each enabled, answered
    /// question, the item's own code where the item is extracted (for a yes/no item, only
    /// when ticked yes), each coded answer, and the answer of an item that extracts to an
    /// element by `definition`.
    pub fn coded_entries(&self) -> Vec<CodedEntry> {
        let q = self.questionnaire().clone();
        let evaluation = self.evaluate();
        let mut out = Vec::new();
        self.walk(&mut |node| {
            let item = q.item(node.item);
            if !evaluation.is_enabled(node.id) || node.answers.is_empty() || !item.is_question() {
                return;
            }
            let value = node.answers.iter().map(AnswerValue::label).collect::<Vec<_>>().join(", ");
            let entry = |coding: Option<Coding>, definition: Option<String>| CodedEntry {
                node: node.id,
                link_id: item.link_id.clone(),
                coding,
                definition,
                value: value.clone(),
            };
            let ticked = item.kind != ItemType::Boolean || node.answers.contains(&AnswerValue::Boolean(true));
            if q.is_observation_extracted(item.id) && ticked {
                out.extend(item.code.iter().map(|c| entry(Some(c.clone()), None)));
            }
            for answer in &node.answers {
                if let AnswerValue::Coding(c) = answer {
                    out.push(entry(Some(c.clone()), None));
                }
            }
            // A registration's answers describe a new record: no one's details change.
            if let Some(definition) = item.definition.as_ref().filter(|_| !q.in_registration(item.id)) {
                out.push(entry(None, Some(definition.clone())));
            }
        });
        out
    }
}

/// For a change of address: whether it replaces the permanent one, or is temporary until
/// a date (then recorded as `use: temp` with a period, not over the permanent address).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "lowercase")]
pub enum DemographicChange {
    Permanent,
    Temporary {
        #[serde(skip_serializing_if = "Option::is_none")]
        until: Option<String>,
    },
}

/// A decision as it travels with a submission: what the ruleset said, and, for entries
/// that needed it, who confirmed, when, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedDecision {
    #[serde(flatten)]
    pub decision: Decision,
    /// The service setting the form was filled in.
    pub setting: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demographic_change: Option<DemographicChange>,
}

/// What the guard says about a filled form before it is submitted.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Nothing needs a person's attention; warnings, if any, are to be shown.
    Proceed { warnings: Vec<Decision> },
    /// Staff must confirm these, with a reason, before it goes (warnings shown alongside).
    Confirm { confirmations: Vec<Decision>, warnings: Vec<Decision> },
    /// These cannot be submitted from this setting.
    Blocked { blocked: Vec<Decision> },
}

/// Sorts a form's decisions into what the submit guard must do.
pub fn verdict(decisions: &[Decision]) -> Verdict {
    let of = |s: ImpactSeverity| decisions.iter().filter(|d| d.severity == s).cloned().collect::<Vec<_>>();
    let (blocked, confirmations, warnings) =
        (of(ImpactSeverity::Block), of(ImpactSeverity::Confirm), of(ImpactSeverity::Warn));
    if !blocked.is_empty() {
        Verdict::Blocked { blocked }
    } else if !confirmations.is_empty() {
        Verdict::Confirm { confirmations, warnings }
    } else {
        Verdict::Proceed { warnings }
    }
}
