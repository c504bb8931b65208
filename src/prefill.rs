//! Prepopulation from the record: when a new form has questions its template fills from
//! `%patient` and the record system is configured, the person's Patient is read by id
//! (fuller than what the tablet keeps: gender, address, telecom) and handed to the form,
//! which fills what is still empty. Offline, or when the read fails, the form keeps what
//! the tablet knew of the person; nothing is guessed.

use std::cell::RefCell;
use std::rc::Rc;

use formwell_engine::FormState;
use yew::prelude::*;

use crate::config::AppConfig;
use crate::web::{self, Exchange};

/// Reads the person's record once, for a new form that asks for it; `refilled` is told
/// when the form has taken it in (its questions then show what was filled).
#[hook]
pub fn use_record_prefill(state: Rc<RefCell<FormState>>, config: Option<AppConfig>, fresh: bool, refilled: Callback<()>) {
    use_effect_with((), move |_| {
        let wants = fresh && state.borrow().questionnaire().expressions.items.iter().any(|x| x.initial.is_some());
        let read = config.as_ref().filter(|c| wants && !c.launch.contains_key("patient")).and_then(|c| {
            let id = c.person.as_ref()?.reference.as_deref()?.strip_prefix("Patient/")?.to_owned();
            // An id is letters, digits, '-' and '.', up to 64 (FHIR's rule): nothing else
            // reaches the address.
            let valid = !id.is_empty()
                && id.len() <= 64
                && id.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '.');
            valid.then(|| (c.backend.clone(), id, c.launch_context(), c.send_timeout_ms))
        });
        if let Some((Some(backend), id, mut launch, timeout)) = read {
            wasm_bindgen_futures::spawn_local(async move {
                let url = format!("{}/Patient/{id}", backend.base);
                let Exchange::Answered { status: 200, body } =
                    web::fhir_request("GET", &url, None, backend.token.as_deref(), timeout).await
                else {
                    return;
                };
                let Ok(patient) = serde_json::from_str::<serde_json::Value>(&body) else { return };
                // Only the person asked for: a record that answers with someone else is ignored.
                if patient["resourceType"] != "Patient" || patient["id"].as_str() != Some(id.as_str()) {
                    return;
                }
                launch.insert("patient".into(), patient);
                state.borrow_mut().set_launch_context(launch);
                refilled.emit(());
            });
        }
    });
}
