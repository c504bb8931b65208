//! Prepopulation from the record: for a new form whose template fills questions from
//! `%patient` (initialExpression), from Observations (observationLinkPeriod) or from its
//! own searches of the record (x-fhir-query variables), with a record system configured
//! and a person chosen, the person's Patient is read by id (fuller than what the tablet
//! keeps: gender, address, telecom), their Observations of the linked codes are searched,
//! and the template's searches that the engine allows (this person's own record only) are
//! run; the form fills what is still empty. Offline, or when a read fails, the form keeps
//! what the tablet knew of the person; nothing is guessed.

use std::cell::RefCell;
use std::rc::Rc;

use formwell_engine::url::encode_component;
use formwell_engine::FormState;
use serde_json::Value;
use yew::prelude::*;

use crate::config::{AppConfig, Backend};
use crate::web::{self, Exchange};

/// Reads the person's record once, for a new form that asks for it; `refilled` is told
/// when the form has taken it in (its questions then show what was filled).
#[hook]
pub fn use_record_prefill(
    state: Rc<RefCell<FormState>>,
    config: Option<AppConfig>,
    fresh: bool,
    refilled: Callback<()>,
) {
    use_effect_with((), move |_| {
        let (wants_patient, codes, has_queries) = {
            let form = state.borrow();
            let q = form.questionnaire();
            (q.expressions.items.iter().any(|x| x.initial.is_some()), q.linked_codes(), !q.expressions.queries.is_empty())
        };
        let read = config.as_ref().filter(|_| fresh).and_then(|c| {
            let id = c.person.as_ref()?.reference.as_deref()?.strip_prefix("Patient/")?.to_owned();
            // An id is letters, digits, '-' and '.', up to 64 (FHIR's rule): nothing else
            // reaches the address.
            let valid = !id.is_empty()
                && id.len() <= 64
                && id.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '.');
            valid.then(|| {
                (c.backend.clone(), id, c.launch_context(), c.send_timeout_ms, c.launch.contains_key("patient"))
            })
        });
        if let Some((Some(backend), id, mut launch, timeout, portal_gave_patient)) = read {
            wasm_bindgen_futures::spawn_local(async move {
                let mut changed = false;
                if wants_patient && !portal_gave_patient {
                    if let Some(patient) = read_json(&backend, &format!("Patient/{id}"), timeout).await {
                        // Only the person asked for: a record that answers with someone else is ignored.
                        if patient["resourceType"] == "Patient" && patient["id"].as_str() == Some(id.as_str()) {
                            launch.insert("patient".into(), patient);
                            state.borrow_mut().set_launch_context(launch);
                            changed = true;
                        }
                    }
                }
                if !codes.is_empty() {
                    let tokens: Vec<String> = codes.iter().map(|(system, code)| format!("{system}|{code}")).collect();
                    let query = format!(
                        "Observation?subject=Patient/{id}&code={}&_count=200",
                        encode_component(&tokens.join(","))
                    );
                    if let Some(bundle) = read_json(&backend, &query, timeout).await {
                        // Only this person's: a search that answers with others' is ignored.
                        let subject = format!("Patient/{id}");
                        let observations: Vec<Value> = bundle["entry"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|e| e["resource"].clone())
                            .filter(|o| o["subject"]["reference"].as_str() == Some(subject.as_str()))
                            .collect();
                        state.borrow_mut().fill_from_observations(&observations);
                        changed = true;
                    }
                }
                if has_queries {
                    // Resolved and checked by the engine from what it now knows of the person.
                    let queries = state.borrow().record_queries();
                    for (name, query) in queries {
                        let Ok(query) = query else { continue };
                        if let Some(bundle) = read_json(&backend, &query, timeout).await {
                            state.borrow_mut().set_record_query_result(&name, bundle);
                            changed = true;
                        }
                    }
                }
                if changed {
                    refilled.emit(());
                }
            });
        }
    });
}

/// A read from the record system, as JSON, or nothing (offline, refused, unreadable).
async fn read_json(backend: &Backend, path: &str, timeout: u32) -> Option<Value> {
    let url = format!("{}/{path}", backend.base);
    match web::fhir_request("GET", &url, None, backend.token.as_deref(), timeout).await {
        Exchange::Answered { status: 200, body } => serde_json::from_str(&body).ok(),
        _ => None,
    }
}
