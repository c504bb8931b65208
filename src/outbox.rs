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
use yew::prelude::*;

use crate::config::Backend;
use crate::web::{self, Exchange};

/// Where a submission is.
#[derive(Debug, Clone, PartialEq)]
pub enum SendState {
    Sending { attempt: u32 },
    Sent { locations: Vec<String> },
    /// Not sent yet; tried again automatically.
    Waiting { attempt: u32, error: String, retry_in_s: u32 },
    /// The record system said no; kept with its reason for staff to act on.
    Refused { message: String },
}

/// One submission and its Bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub id: String,
    pub title: String,
    pub bundle: String,
    pub state: SendState,
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
    pub fn new(items: Rc<RefCell<Vec<Outgoing>>>, generation: u64, changed: Callback<()>, wake: Rc<RefCell<Vec<String>>>) -> Outbox {
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
        let Some(bundle) = self.get(id).map(|o| o.bundle) else { return };
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.set_state(id, SendState::Sending { attempt });
            let exchange = web::fhir_request("POST", &backend.base, Some(&bundle), backend.token.as_deref(), timeout_ms).await;
            let error = match exchange {
                Exchange::Answered { status, body } if (200..300).contains(&status) => {
                    let state = match serde_json::from_str(&body).map_err(|e| e.to_string()).and_then(|json| transaction_locations(&json)) {
                        Ok(locations) => SendState::Sent { locations },
                        // Taken (2xx) but not understood: sent, with nothing to link to.
                        Err(_) => SendState::Sent { locations: Vec::new() },
                    };
                    self.set_state(id, state);
                    return;
                }
                Exchange::Answered { status, body } if (400..500).contains(&status) && status != 408 && status != 429 => {
                    let reason = serde_json::from_str(&body).map(|json| describe_outcome(&json)).unwrap_or_else(|_| format!("status {status}"));
                    self.set_state(id, SendState::Refused { message: format!("{reason} (HTTP {status})") });
                    return;
                }
                Exchange::Answered { status, body } => {
                    let reason = serde_json::from_str(&body).map(|json| describe_outcome(&json)).unwrap_or_default();
                    format!("the record system answered {status}{}", if reason.is_empty() { String::new() } else { format!(": {reason}") })
                }
                Exchange::NoAnswer(why) => why,
            };
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
}
