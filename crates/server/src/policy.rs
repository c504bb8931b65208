//! The policy re-check: every coded entry a submission writes is judged again, with the
//! same ruleset as the app and the service setting of the caller's token. The browser's
//! check is for people; this one is for the record. A blocked entry, or a confirm-level
//! entry without a confirmation recorded in the Bundle's Provenance, rejects the whole
//! transaction.

use formwell_engine::submit::extract::DECISION_EXTENSION;
use formwell_engine::{Coding, ImpactSeverity, Ruleset};
use serde_json::Value;

use crate::outcome::FhirError;

/// One code the Bundle writes, and where.
struct Written {
    coding: Coding,
    at: String,
}

/// Checks a transaction or batch Bundle for a setting.
pub fn check(ruleset: &Ruleset, setting: &str, bundle: &Value) -> Result<(), FhirError> {
    let policy = ruleset.setting(setting).map_err(|e| FhirError::new(403, "forbidden", e.to_string()))?;
    let entries = bundle["entry"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    let confirmations = confirmations(entries);
    let mut written = Vec::new();
    let mut demographic: Option<String> = None;
    for (i, entry) in entries.iter().enumerate() {
        let resource = &entry["resource"];
        let at = format!("Bundle.entry[{i}].resource");
        // A form's answers and what they extract must say whose record they belong to:
        // written without a person, they would be nobody's, or anybody's.
        let kind = resource["resourceType"].as_str().unwrap_or("");
        if matches!(kind, "QuestionnaireResponse" | "Observation") && !resource["subject"]["reference"].is_string() {
            return Err(FhirError {
                status: 422,
                code: "required",
                text: format!("a {kind} must name the person whose record it belongs to (its subject)"),
                expression: Some(format!("{at}.subject")),
            });
        }
        match kind {
            "Observation" => {
                codings(&resource["code"], &format!("{at}.code"), &mut written);
                codings(&resource["valueCodeableConcept"], &format!("{at}.valueCodeableConcept"), &mut written);
            }
            "QuestionnaireResponse" => answers(&resource["item"], &format!("{at}.item"), &mut written),
            // Changing a person's record (a patch, or an update of it) changes what every
            // service sees; creating a new person's record does not.
            "Patient" if entry["request"]["method"] == "PUT" => demographic = Some(at),
            "Binary" if entry["request"]["url"].as_str().is_some_and(|u| u.starts_with("Patient/")) => {
                demographic = Some(at)
            }
            _ => {}
        }
    }
    for w in &written {
        for category in ruleset.categories_of(&w.coding) {
            let severity = ruleset.severity(policy, &category.id);
            let code = w.coding.code.as_deref().unwrap_or("");
            match severity {
                ImpactSeverity::Block => {
                    return Err(FhirError {
                        status: 422,
                        code: "business-rule",
                        text: format!(
                            "the {} setting may not write {} (code {code}): {} Instead: {}",
                            policy.title.to_lowercase(),
                            category.title.to_lowercase(),
                            category.effect,
                            category.instead
                        ),
                        expression: Some(w.at.clone()),
                    })
                }
                ImpactSeverity::Confirm if !confirmations.iter().any(|c| c.covers(Some(code), &category.id)) => {
                    return Err(FhirError {
                        status: 422,
                        code: "business-rule",
                        text: format!(
                            "{} (code {code}) needs a confirmation with a reason, recorded in the Bundle's Provenance, before the {} setting may write it",
                            category.title,
                            policy.title.to_lowercase()
                        ),
                        expression: Some(w.at.clone()),
                    })
                }
                _ => {}
            }
        }
    }
    if let Some(at) = demographic {
        for category in ruleset.categories().iter().filter(|c| !c.definitions.is_empty()) {
            match ruleset.severity(policy, &category.id) {
                ImpactSeverity::Block => {
                    return Err(FhirError {
                        status: 422,
                        code: "business-rule",
                        text: format!(
                            "the {} setting may not change {}",
                            policy.title.to_lowercase(),
                            category.title.to_lowercase()
                        ),
                        expression: Some(at),
                    })
                }
                ImpactSeverity::Confirm if !confirmations.iter().any(|c| c.covers(None, &category.id)) => {
                    return Err(FhirError {
                        status: 422,
                        code: "business-rule",
                        text: format!(
                            "a change of {} needs a confirmation with a reason, recorded in the Bundle's Provenance",
                            category.title.to_lowercase()
                        ),
                        expression: Some(at),
                    })
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// A confirmation recorded in the Provenance: who confirmed, why, for which code or category.
struct Confirmation {
    code: Option<String>,
    category: Option<String>,
}

impl Confirmation {
    fn covers(&self, code: Option<&str>, category: &str) -> bool {
        let code_matches = match (code, &self.code) {
            (Some(code), Some(confirmed)) => code == confirmed,
            _ => true,
        };
        code_matches && self.category.as_deref().is_none_or(|c| c == category)
    }
}

fn confirmations(entries: &[Value]) -> Vec<Confirmation> {
    let mut out = Vec::new();
    for entry in entries.iter().filter(|e| e["resource"]["resourceType"] == "Provenance") {
        for extension in
            entry["resource"]["extension"].as_array().into_iter().flatten().filter(|e| e["url"] == DECISION_EXTENSION)
        {
            let parts = extension["extension"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            let part = |name: &str| parts.iter().find(|p| p["url"] == name);
            let confirmed = part("confirmedBy").is_some()
                && part("reason").and_then(|r| r["valueString"].as_str()).is_some_and(|r| !r.trim().is_empty());
            if confirmed {
                out.push(Confirmation {
                    code: part("code").and_then(|c| c["valueCoding"]["code"].as_str()).map(str::to_owned),
                    category: part("category").and_then(|c| c["valueCode"].as_str()).map(str::to_owned),
                });
            }
        }
    }
    out
}

fn codings(concept: &Value, at: &str, out: &mut Vec<Written>) {
    for (i, coding) in concept["coding"].as_array().into_iter().flatten().enumerate() {
        if let Ok(coding) = serde_json::from_value::<Coding>(coding.clone()) {
            out.push(Written { coding, at: format!("{at}.coding[{i}]") });
        }
    }
}

fn answers(items: &Value, at: &str, out: &mut Vec<Written>) {
    for (i, item) in items.as_array().into_iter().flatten().enumerate() {
        let here = format!("{at}[{i}]");
        for (j, answer) in item["answer"].as_array().into_iter().flatten().enumerate() {
            if let Ok(coding) = serde_json::from_value::<Coding>(answer["valueCoding"].clone()) {
                if coding.code.is_some() {
                    out.push(Written { coding, at: format!("{here}.answer[{j}].valueCoding") });
                }
            }
            answers(&answer["item"], &format!("{here}.answer[{j}].item"), out);
        }
        answers(&item["item"], &format!("{here}.item"), out);
    }
}
