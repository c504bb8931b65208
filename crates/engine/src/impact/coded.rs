//! The coded entries a template can write: the codes that, once in a shared record, drive
//! registers, alerts and markers elsewhere. The code-impact ruleset judges each of them.

use crate::form::answer::AnswerValue;
use crate::form::datatypes::Coding;
use crate::form::questionnaire::{ItemId, Questionnaire};

/// Where in the template a code comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeSource {
    /// The item's own `code`, written as an Observation when the item is extracted.
    ItemCode,
    /// An answer option (listed, or from a contained value set) the person can choose.
    AnswerOption,
    /// An initial answer, written unless the person changes it.
    Initial,
}

/// One code a template can write, and where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct WritableCode {
    pub item: ItemId,
    pub coding: Coding,
    pub source: CodeSource,
}

impl Questionnaire {
    /// Every code the template can write, in document order. An item's own code counts
    /// only where the item is extracted as an Observation; otherwise it labels the
    /// question and writes nothing.
    pub fn writable_codes(&self) -> Vec<WritableCode> {
        let mut out = Vec::new();
        for item in self.items() {
            if self.is_observation_extracted(item.id) && item.is_question() {
                out.extend(item.code.iter().map(|c| WritableCode {
                    item: item.id,
                    coding: c.clone(),
                    source: CodeSource::ItemCode,
                }));
            }
            for option in &item.answer_options {
                if let AnswerValue::Coding(c) = &option.value {
                    out.push(WritableCode { item: item.id, coding: c.clone(), source: CodeSource::AnswerOption });
                }
            }
            for initial in &item.initial {
                if let AnswerValue::Coding(c) = initial {
                    if !out.iter().any(|w| w.item == item.id && w.coding.same_concept(c)) {
                        out.push(WritableCode { item: item.id, coding: c.clone(), source: CodeSource::Initial });
                    }
                }
            }
        }
        out
    }

    /// How many distinct codes (by system and code) the template can write.
    pub fn distinct_writable_codes(&self) -> usize {
        distinct_count(&self.writable_codes())
    }
}

/// How many distinct codes (by system and code) a list holds.
pub fn distinct_count(codes: &[WritableCode]) -> usize {
    let mut seen: Vec<(Option<&str>, Option<&str>)> = Vec::new();
    for w in codes {
        let key = (w.coding.system.as_deref(), w.coding.code.as_deref());
        if !seen.contains(&key) {
            seen.push(key);
        }
    }
    seen.len()
}
