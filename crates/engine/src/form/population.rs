//! Observation-based population (`sdc-questionnaire-observationLinkPeriod`): a question
//! with a code and a link period is answered from the person's most recent Observation of
//! that code within the period, when the caller hands the form the Observations it read.
//! The engine reads no network: the app fetches them (`Questionnaire::linked_codes` says
//! which), and the form takes only what fits.

use serde_json::Value;

use crate::fhirpath::value::add_to_date;
use crate::form::answer::AnswerValue;
use crate::form::datatypes::{Coding, FhirDate, Quantity};
use crate::form::questionnaire::{Item, ItemType, Questionnaire};
use crate::form::state::{FormState, Prepopulation};

impl Questionnaire {
    /// A question an Observation may answer: it has a link period and is not calculated
    /// (a calculation would overwrite it).
    fn is_linked(&self, item: &Item) -> bool {
        item.observation_link_period.is_some()
            && item.is_question()
            && self.expressions.of(item.id).is_none_or(|x| x.calculated.is_none())
    }

    /// The codes of the questions Observations may answer (system, code), for the search
    /// that fetches them.
    pub fn linked_codes(&self) -> Vec<(String, String)> {
        let mut codes = Vec::new();
        for item in self.items().iter().filter(|i| self.is_linked(i)) {
            for c in &item.code {
                if let (Some(system), Some(code)) = (&c.system, &c.code) {
                    let pair = (system.clone(), code.clone());
                    if !codes.contains(&pair) {
                        codes.push(pair);
                    }
                }
            }
        }
        codes
    }
}

impl FormState {
    /// Answers the still-empty questions that have a link period from the most recent
    /// Observation of their code within it (counted back from the form's today). Says what
    /// it filled and, for the rest, why not; adds that to `prepopulation()`.
    pub fn fill_from_observations(&mut self, observations: &[Value]) -> Prepopulation {
        let q = self.questionnaire().clone();
        let mut report = Prepopulation::default();
        let Some(today) = self.today() else {
            return report;
        };
        let mut fills = Vec::new();
        for item in q.items().iter().filter(|i| q.is_linked(i)) {
            let Some((amount, unit)) = &item.observation_link_period else { continue };
            let Some(since) = add_to_date(&today.to_string(), -amount, unit, false) else { continue };
            let latest = observations
                .iter()
                .filter(|o| {
                    o["resourceType"] == "Observation" && o["status"] != "entered-in-error" && same_code(item, o)
                })
                .filter_map(|o| effective_date(o).filter(|d| d.as_str() >= since.as_str()).map(|d| (d, o)))
                .max_by(|a, b| a.0.cmp(&b.0));
            for &node in self.instances_of(item.id) {
                if !self.node(node).is_some_and(|n| n.answers.is_empty()) {
                    continue;
                }
                match latest.as_ref().and_then(|(_, o)| answer_from(item, o)) {
                    Some(value) => fills.push((node, item.link_id.clone(), value)),
                    None => report.not_filled.push((
                        item.link_id.clone(),
                        match &latest {
                            Some(_) => "the record's latest value does not fit the question".into(),
                            None => format!(
                                "the record has no value from the last {} {}",
                                crate::form::answer::format_number(*amount),
                                unit_words(unit)
                            ),
                        },
                    )),
                }
            }
        }
        for (node, link_id, value) in fills {
            self.set_loaded_answers(node, vec![value]);
            report.filled.push(link_id);
        }
        self.reevaluate_all();
        self.add_prepopulation(&report);
        report
    }
}

fn unit_words(unit: &str) -> &str {
    match unit {
        "a" => "years",
        "mo" => "months",
        "wk" => "weeks",
        "d" => "days",
        other => other,
    }
}

fn same_code(item: &Item, observation: &Value) -> bool {
    let codings = observation["code"]["coding"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    codings.iter().any(|c| {
        item.code.iter().any(|ic| {
            ic.code.is_some()
                && c["code"].as_str() == ic.code.as_deref()
                && (ic.system.is_none() || c["system"].as_str() == ic.system.as_deref())
        })
    })
}

/// When the observation was true of the person (its day), or recorded.
fn effective_date(observation: &Value) -> Option<String> {
    let when = observation["effectiveDateTime"]
        .as_str()
        .or(observation["effectivePeriod"]["start"].as_str())
        .or(observation["effectiveInstant"].as_str())
        .or(observation["issued"].as_str())?;
    let day: String = when.chars().take(10).collect();
    FhirDate::parse(&day).map(|_| day)
}

/// An Observation's value as an answer to the question, when it fits.
fn answer_from(item: &Item, observation: &Value) -> Option<AnswerValue> {
    let value = |k: &str| observation.get(k);
    match item.kind {
        ItemType::Choice | ItemType::OpenChoice => {
            let codings = value("valueCodeableConcept")?["coding"].as_array()?;
            let option = item.answer_options.iter().map(|o| &o.value).find(|v| {
                matches!(v, AnswerValue::Coding(c) if codings.iter().any(|x| x["code"].as_str() == c.code.as_deref()
                    && (c.system.is_none() || x["system"].as_str() == c.system.as_deref())))
            });
            match option {
                Some(v) => Some(v.clone()),
                None if item.kind == ItemType::OpenChoice => {
                    let c = codings.first()?;
                    let text = |k: &str| c[k].as_str().map(str::to_owned);
                    Some(AnswerValue::Coding(Coding {
                        system: text("system"),
                        code: text("code"),
                        display: text("display"),
                        ..Coding::default()
                    }))
                }
                None => None,
            }
        }
        ItemType::Decimal => value("valueQuantity")
            .and_then(|q| q["value"].as_f64())
            .or(value("valueInteger").and_then(Value::as_f64))
            .map(AnswerValue::Decimal),
        ItemType::Integer => value("valueInteger")
            .and_then(Value::as_i64)
            .or(value("valueQuantity").and_then(|q| q["value"].as_f64()).filter(|v| v.fract() == 0.0).map(|v| v as i64))
            .map(AnswerValue::Integer),
        ItemType::Quantity => {
            let q = value("valueQuantity")?;
            let text = |k: &str| q[k].as_str().map(str::to_owned);
            Some(AnswerValue::Quantity(Quantity {
                value: q["value"].as_f64(),
                unit: text("unit"),
                system: text("system"),
                code: text("code"),
                ..Quantity::default()
            }))
        }
        ItemType::Boolean => value("valueBoolean").and_then(Value::as_bool).map(AnswerValue::Boolean),
        ItemType::String | ItemType::Text => {
            value("valueString").and_then(Value::as_str).map(|s| AnswerValue::String(s.to_owned()))
        }
        ItemType::Date => value("valueDateTime")
            .and_then(Value::as_str)
            .and_then(|d| FhirDate::parse(&d.chars().take(10).collect::<String>()))
            .map(AnswerValue::Date),
        _ => None,
    }
}
