//! Submissions on their way to the record system: each is kept, with its Bundle, from the
//! moment it is made until the server has taken it or refused it. Network failures, time
//! outs and server errors (5xx, 408, 429) are tried again with exponential backoff and
//! jitter; a refusal (another 4xx) is kept with the server's reason, never dropped. The
//! Bundle's identifiers make a repeat harmless: the server keeps one copy.
//!
//! This outbox lives as long as the page; keeping it across reloads and devices offline is
//! the durable outbox's job.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use formwell_engine::backend::{describe_outcome, transaction_locations};
use formwell_engine::{demographic_patch, DemographicChanges};
use serde_json::Value;
use yew::prelude::*;

use crate::config::Backend;
use crate::web::{self, Exchange};

/// Where a submission is.
#[derive(Debug, Clone, PartialEq)]
pub enum SendState {
    Sending {
        attempt: u32,
    },
    Sent {
        locations: Vec<String>,
    },
    /// Not sent yet; tried again automatically.
    Waiting {
        attempt: u32,
        error: String,
        retry_in_s: u32,
    },
    /// The record system said no; kept with its reason for staff to act on.
    Refused {
        message: String,
    },
}

/// One submission and its Bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub id: String,
    pub title: String,
    pub bundle: String,
    pub state: SendState,
    /// `system|value` of its QuestionnaireResponse's identifier, to ask whether a send
    /// that went unanswered was stored.
    pub response_token: String,
    /// A change of name, address or phone, applied to the person's record as it is when
    /// the Bundle is sent (see `demographic_patch`).
    pub demographics: Option<DemographicChanges>,
    pub patient: Option<String>,
    /// The day the change starts (YYYY-MM-DD).
    pub today: String,
}

/// The outbox, shared through a context; a new generation re-renders what shows it.
#[derive(Clone)]
pub struct Outbox {
    pub items: Rc<RefCell<Vec<Outgoing>>>,
    pub generation: u64,
    pub changed: Callback<()>,
    /// Ids whose next attempt should not wait ("Send now").
    wake: Rc<RefCell<Vec<String>>>,
}

impl PartialEq for Outbox {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.items, &other.items) && self.generation == other.generation
    }
}

impl Outbox {
    pub fn new(
        items: Rc<RefCell<Vec<Outgoing>>>,
        generation: u64,
        changed: Callback<()>,
        wake: Rc<RefCell<Vec<String>>>,
    ) -> Outbox {
        Outbox { items, generation, changed, wake }
    }

    /// A submission by id.
    pub fn get(&self, id: &str) -> Option<Outgoing> {
        self.items.borrow().iter().find(|o| o.id == id).cloned()
    }

    /// How many are not yet taken by the server (waiting, sending or refused).
    pub fn pending(&self) -> usize {
        self.items.borrow().iter().filter(|o| !matches!(o.state, SendState::Sent { .. })).count()
    }

    fn set_state(&self, id: &str, state: SendState) {
        if let Some(o) = self.items.borrow_mut().iter_mut().find(|o| o.id == id) {
            o.state = state;
        }
        self.changed.emit(());
    }

    /// Keeps a submission and starts sending it.
    pub fn submit(&self, outgoing: Outgoing, backend: Backend, timeout_ms: u32) {
        let id = outgoing.id.clone();
        self.items.borrow_mut().push(outgoing);
        self.changed.emit(());
        let outbox = self.clone();
        wasm_bindgen_futures::spawn_local(async move { outbox.send_until_settled(&id, &backend, timeout_ms).await });
    }

    /// Skips the wait before the next attempt.
    pub fn send_now(&self, id: &str) {
        self.wake.borrow_mut().push(id.to_owned());
    }

    async fn send_until_settled(&self, id: &str, backend: &Backend, timeout_ms: u32) {
        let Some(outgoing) = self.get(id) else { return };
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.set_state(id, SendState::Sending { attempt });
            let error = match self.attempt(&outgoing, backend, timeout_ms).await {
                Attempt::Settled(state) => {
                    self.set_state(id, state);
                    return;
                }
                Attempt::TryAgain(error) => error,
            };
            // Before sending again, ask whether the last send was stored after all (its
            // answer lost to a timeout, or a proxy that sent it twice): a repeat is harmless
            // for conditional creates, but a demographic patch must not run twice.
            if let Some(location) = stored_already(&outgoing, backend, timeout_ms).await {
                self.set_state(id, SendState::Sent { locations: vec![location] });
                return;
            }
            // Exponential backoff with jitter, capped at a minute.
            let base = 1000.0 * 2f64.powi(attempt.min(6) as i32 - 1);
            let wait_ms = (base.min(60_000.0) * (0.5 + web::random())) as u32;
            self.set_state(id, SendState::Waiting { attempt, error, retry_in_s: wait_ms.div_ceil(1000) });
            let woken = Rc::new(Cell::new(false));
            let mut waited = 0;
            while waited < wait_ms && !woken.get() {
                web::sleep(250).await;
                waited += 250;
                let mut wake = self.wake.borrow_mut();
                if let Some(i) = wake.iter().position(|w| w == id) {
                    wake.remove(i);
                    woken.set(true);
                }
            }
        }
    }

    /// One send: the person's current record first when the form changes it, then the
    /// Bundle.
    async fn attempt(&self, outgoing: &Outgoing, backend: &Backend, timeout_ms: u32) -> Attempt {
        let mut bundle = outgoing.bundle.clone();
        if let (Some(changes), Some(patient)) = (&outgoing.demographics, &outgoing.patient) {
            let url = format!("{}/{patient}", backend.base);
            let record = match web::fhir_request("GET", &url, None, backend.token.as_deref(), timeout_ms).await {
                Exchange::Answered { status: 200, body } => {
                    serde_json::from_str::<Value>(&body).map_err(|e| e.to_string())
                }
                Exchange::Answered { status, body }
                    if (400..500).contains(&status) && status != 408 && status != 429 =>
                {
                    let reason = reason(status, &body);
                    return Attempt::Settled(SendState::Refused {
                        message: format!(
                            "the person's record could not be read to update it: {reason} (HTTP {status})"
                        ),
                    });
                }
                Exchange::Answered { status, .. } => Err(format!("reading the person's record answered {status}")),
                Exchange::NoAnswer(why) => Err(why),
            };
            let patched = record.and_then(|record| {
                let entry = demographic_patch(changes, &record, &outgoing.today)?;
                let mut json: Value = serde_json::from_str(&bundle).map_err(|e| e.to_string())?;
                json["entry"].as_array_mut().ok_or("the Bundle has no entries")?.push(entry);
                Ok::<_, String>(json.to_string())
            });
            match patched {
                Ok(with_patch) => bundle = with_patch,
                Err(why) => return Attempt::TryAgain(why),
            }
        }
        match web::fhir_request("POST", &backend.base, Some(&bundle), backend.token.as_deref(), timeout_ms).await {
            Exchange::Answered { status, body } if (200..300).contains(&status) => {
                // Taken (2xx); an answer that cannot be read still means it was taken.
                let locations = serde_json::from_str(&body)
                    .map_err(|e| e.to_string())
                    .and_then(|json| transaction_locations(&json))
                    .unwrap_or_default();
                Attempt::Settled(SendState::Sent { locations })
            }
            Exchange::Answered { status, body } if (400..500).contains(&status) && status != 408 && status != 429 => {
                let reason = reason(status, &body);
                // A refusal of a repeat (a proxy that delivered it twice) is no refusal.
                match stored_already(outgoing, backend, timeout_ms).await {
                    Some(location) => Attempt::Settled(SendState::Sent { locations: vec![location] }),
                    None => Attempt::Settled(SendState::Refused { message: format!("{reason} (HTTP {status})") }),
                }
            }
            Exchange::Answered { status, body } => {
                Attempt::TryAgain(format!("the record system answered {status}: {}", reason(status, &body)))
            }
            Exchange::NoAnswer(why) => Attempt::TryAgain(why),
        }
    }
}

/// Why the record system said no: its OperationOutcome in plain words, or the status.
fn reason(status: u16, body: &str) -> String {
    serde_json::from_str(body)
        .map(|json| describe_outcome(&json))
        .unwrap_or_else(|_| format!("no reason given with status {status}"))
}

enum Attempt {
    Settled(SendState),
    TryAgain(String),
}

/// Where the record keeps this submission's QuestionnaireResponse, if it has it.
async fn stored_already(outgoing: &Outgoing, backend: &Backend, timeout_ms: u32) -> Option<String> {
    let url =
        format!("{}/QuestionnaireResponse?identifier={}", backend.base, crate::route::encode(&outgoing.response_token));
    match web::fhir_request("GET", &url, None, backend.token.as_deref(), timeout_ms).await {
        Exchange::Answered { status: 200, body } => {
            let json: Value = serde_json::from_str(&body).ok()?;
            let id = json["entry"][0]["resource"]["id"].as_str()?;
            Some(format!("QuestionnaireResponse/{id}"))
        }
        _ => None,
    }
}
