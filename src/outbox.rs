//! Submissions on their way to the record system. Each is written, encrypted, to the
//! tablet's storage before it is first sent, and stays there until the server has taken
//! it or refused it, across reloads, closed tabs and days offline. Network failures, time
//! outs and server errors (5xx, 408, 429) are tried again with exponential backoff and
//! jitter; a refusal (another 4xx) is kept with the server's reason, never dropped.
//!
//! Exactly once: the Bundle's identifiers make a repeat harmless on the server, and
//! before any repeat the outbox asks whether the last send was stored after all (a demographic
//! patch must never run twice). Tabs share the outbox: each send holds a lock named for the
//! submission, and re-reads it from storage first, so a submission another tab has settled
//! is not sent again.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use formwell_engine::backend::{describe_outcome, transaction_locations};
use formwell_engine::{demographic_patch, DemographicChanges};
use serde_json::{json, Value};
use yew::prelude::*;

use crate::config::Backend;
use crate::vault::{self, Session, StoreError, OUTBOX};
use crate::web::{self, Exchange};

/// How many submissions one tab sends at once: enough to empty a long queue quickly,
/// few enough that none waits behind the browser's connection limit until it times out.
const SENDERS: u32 = 3;

/// Where a submission is.
#[derive(Debug, Clone, PartialEq)]
pub enum SendState {
    Sending {
        attempt: u32,
    },
    /// Taken by the server; `locations` is what it now holds (empty when another tab sent it).
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
    /// The record system does not accept this tablet's sign-in (401 or 403), or there is
    /// none for it: kept, and sent as soon as a working token for it is given.
    NotAllowed {
        message: String,
    },
}

/// What staff read when the record system no longer takes this tablet's sign-in.
pub const NOT_ALLOWED: &str = "This tablet is no longer allowed to send to the record system: ask whoever looks after Formwell for a new link; your forms are kept";

/// What staff read when there is no sign-in at all for a submission's record system.
fn no_token(base: &str) -> String {
    format!("This tablet has no sign-in for the record system at {base}: open the link you were given for it; your forms are kept")
}

/// One submission and its Bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub id: String,
    pub title: String,
    /// The record system it is for (its FHIR base).
    pub base: String,
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

impl Outgoing {
    /// The stored form: everything needed to send it, and how far it got.
    pub fn to_record(&self) -> String {
        let state = match &self.state {
            SendState::Refused { message } => json!({"refused": message}),
            SendState::NotAllowed { message } => json!({"notAllowed": message}),
            SendState::Waiting { error, attempt, .. } => json!({"error": error, "attempts": attempt}),
            _ => json!({}),
        };
        json!({
            "id": self.id, "title": self.title, "base": self.base, "bundle": self.bundle,
            "responseToken": self.response_token, "demographics": self.demographics,
            "patient": self.patient, "today": self.today, "state": state,
        })
        .to_string()
    }

    /// Reads a stored submission.
    pub fn from_record(text: &str) -> Option<Outgoing> {
        let json: Value = serde_json::from_str(text).ok()?;
        let text = |key: &str| json[key].as_str().map(str::to_owned);
        let state = &json["state"];
        let state = match (state["refused"].as_str(), state["error"].as_str()) {
            (Some(message), _) => SendState::Refused { message: message.to_owned() },
            _ if state["notAllowed"].is_string() => {
                SendState::NotAllowed { message: state["notAllowed"].as_str().unwrap_or(NOT_ALLOWED).to_owned() }
            }
            (None, Some(error)) => SendState::Waiting {
                attempt: state["attempts"].as_u64().unwrap_or(1) as u32,
                error: error.to_owned(),
                retry_in_s: 0,
            },
            _ => SendState::Sending { attempt: 0 },
        };
        Some(Outgoing {
            id: text("id")?,
            title: text("title").unwrap_or_default(),
            base: text("base")?,
            bundle: text("bundle")?,
            state,
            response_token: text("responseToken")?,
            demographics: DemographicChanges::from_json(&json["demographics"]),
            patient: text("patient"),
            today: text("today").unwrap_or_default(),
        })
    }

    fn settled(&self) -> bool {
        matches!(self.state, SendState::Sent { .. } | SendState::Refused { .. })
    }

    /// Whether a sender should take it up: not settled, and not waiting for a sign-in.
    fn sendable(&self) -> bool {
        !self.settled() && !matches!(self.state, SendState::NotAllowed { .. })
    }
}

/// One submission in this tab's outbox, with when it is next due.
#[derive(Debug, Clone)]
struct Entry {
    outgoing: Outgoing,
    /// `web::now_ms()` at which it may be tried again.
    due_ms: f64,
    /// A sender is on it.
    busy: bool,
    /// Whether the record system may have it already (it was sent from storage by an
    /// earlier page): ask before sending.
    ask_first: bool,
}

/// Where submissions are sent: the record system, and how long a send may take.
#[derive(Debug, Clone, PartialEq)]
pub struct Destination {
    pub backend: Backend,
    pub timeout_ms: u32,
}

/// The outbox, shared through a context; a new generation re-renders what shows it.
#[derive(Clone)]
pub struct Outbox {
    shared: Rc<Shared>,
    pub generation: u64,
}

struct Shared {
    entries: RefCell<Vec<Entry>>,
    /// Stored submissions that cannot be read (id, why): they stay on the tablet, are never
    /// sent, and are shown so that someone can look at them.
    unreadable: RefCell<Vec<(String, String)>>,
    /// Who is signed in: their key reads and writes the stored outbox. None while locked,
    /// and then nothing is sent.
    session: RefCell<Option<Session>>,
    route: RefCell<Option<Destination>>,
    senders: Cell<u32>,
    changed: Callback<()>,
}

impl PartialEq for Outbox {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared) && self.generation == other.generation
    }
}

impl Outbox {
    /// An empty outbox; `changed` is called whenever what it shows changes.
    pub fn new(changed: Callback<()>) -> Outbox {
        Outbox {
            shared: Rc::new(Shared {
                entries: RefCell::default(),
                unreadable: RefCell::default(),
                session: RefCell::default(),
                route: RefCell::default(),
                senders: Cell::new(0),
                changed,
            }),
            generation: 0,
        }
    }

    /// The same outbox, marked as changed.
    pub fn with_generation(&self, generation: u64) -> Outbox {
        Outbox { shared: self.shared.clone(), generation }
    }

    /// A submission by id.
    pub fn get(&self, id: &str) -> Option<Outgoing> {
        self.shared.entries.borrow().iter().find(|e| e.outgoing.id == id).map(|e| e.outgoing.clone())
    }

    /// Every submission this tab knows of, oldest first.
    pub fn all(&self) -> Vec<Outgoing> {
        self.shared.entries.borrow().iter().map(|e| e.outgoing.clone()).collect()
    }

    /// How many are not yet taken by the server (waiting, sending, refused, or kept but
    /// unreadable).
    pub fn pending(&self) -> usize {
        self.shared.entries.borrow().iter().filter(|e| !matches!(e.outgoing.state, SendState::Sent { .. })).count()
            + self.shared.unreadable.borrow().len()
    }

    /// Stored submissions that cannot be read, with why.
    pub fn unreadable(&self) -> Vec<(String, String)> {
        self.shared.unreadable.borrow().clone()
    }

    /// A working token for a record system is there now: what waited for one is sent.
    pub fn token_renewed(&self, base: &str) {
        for entry in self.shared.entries.borrow_mut().iter_mut() {
            if entry.outgoing.base == base && matches!(entry.outgoing.state, SendState::NotAllowed { .. }) {
                entry.outgoing.state = SendState::Sending { attempt: 0 };
                entry.due_ms = 0.0;
                entry.ask_first = true;
            }
        }
        self.shared.changed.emit(());
        self.start_senders();
    }

    /// Signs the outbox in (it reads the stored outbox and sends what is due) or out
    /// (`None`: it forgets every submission it holds in memory, and stops sending).
    pub fn set_session(&self, session: Option<Session>) {
        let signed_out = session.is_none();
        *self.shared.session.borrow_mut() = session;
        if signed_out {
            self.shared.entries.borrow_mut().clear();
            self.shared.unreadable.borrow_mut().clear();
            self.shared.changed.emit(());
        } else {
            self.reload();
        }
    }

    /// Where to send, once the record system and its token are known.
    pub fn set_destination(&self, route: Option<Destination>) {
        let known = route.is_some();
        *self.shared.route.borrow_mut() = route;
        if known {
            self.start_senders();
        }
    }

    fn session(&self) -> Option<Session> {
        self.shared.session.borrow().clone()
    }

    /// Reads the stored outbox again (at sign-in, or when another tab changed it) and sends
    /// what is due.
    pub fn reload(&self) {
        let outbox = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let Some(session) = outbox.session() else { return };
            let Ok(records) = session.list(OUTBOX).await else { return };
            if outbox.session().as_ref() != Some(&session) {
                return;
            }
            {
                let mut entries = outbox.shared.entries.borrow_mut();
                let mut unreadable = Vec::new();
                for (id, text) in records {
                    let outgoing = text.and_then(|text| {
                        Outgoing::from_record(&text)
                            .ok_or_else(|| "its contents are not a submission this app can read".into())
                    });
                    let outgoing = match outgoing {
                        Ok(outgoing) => outgoing,
                        Err(why) => {
                            unreadable.push((id, why));
                            continue;
                        }
                    };
                    if entries.iter().any(|e| e.outgoing.id == outgoing.id) {
                        continue;
                    }
                    // A form kept waiting for a sign-in is tried again on reopening: the
                    // token may be a new one.
                    let mut outgoing = outgoing;
                    if matches!(outgoing.state, SendState::NotAllowed { .. }) {
                        outgoing.state = SendState::Sending { attempt: 0 };
                    }
                    entries.push(Entry { outgoing, due_ms: 0.0, busy: false, ask_first: true });
                }
                *outbox.shared.unreadable.borrow_mut() = unreadable;
            }
            outbox.shared.changed.emit(());
            outbox.send_now();
        });
    }

    /// Keeps a submission in the tablet's storage (removing the draft it came from in the
    /// same step) and starts sending it. Nothing is sent unless it was kept.
    pub async fn queue(&self, outgoing: Outgoing, draft: Option<String>) -> Result<(), StoreError> {
        let session = self.session().ok_or_else(|| StoreError::Other("no one is signed in".into()))?;
        session.queue(&outgoing.id, &outgoing.to_record(), draft).await?;
        vault::announce();
        self.shared.entries.borrow_mut().push(Entry { outgoing, due_ms: 0.0, busy: false, ask_first: false });
        self.shared.changed.emit(());
        self.start_senders();
        Ok(())
    }

    /// Tries every waiting submission now ("Send now", the network coming back).
    pub fn send_now(&self) {
        for entry in self.shared.entries.borrow_mut().iter_mut() {
            entry.due_ms = 0.0;
        }
        self.start_senders();
    }

    /// Sends a refused submission again, once whatever the record system objected to (a
    /// token, a missing record) has been put right.
    pub fn retry(&self, id: &str) {
        self.update(id, |e| {
            e.outgoing.state = SendState::Sending { attempt: 0 };
            e.due_ms = 0.0;
            e.busy = true;
        });
        if let (Some(session), Some(outgoing)) = (self.session(), self.get(id)) {
            let (outbox, id) = (self.clone(), id.to_owned());
            wasm_bindgen_futures::spawn_local(async move {
                // The stored copy must not say "refused" any longer, or the sender adopts it.
                let _ = session.put(OUTBOX, &id, &outgoing.to_record()).await;
                outbox.update(&id, |e| e.busy = false);
                outbox.start_senders();
            });
        }
    }

    fn start_senders(&self) {
        while self.shared.senders.get() < SENDERS {
            self.shared.senders.set(self.shared.senders.get() + 1);
            let outbox = self.clone();
            wasm_bindgen_futures::spawn_local(async move {
                outbox.sender().await;
                outbox.shared.senders.set(outbox.shared.senders.get() - 1);
            });
        }
    }

    /// One sender: takes the next due submission, makes one attempt, and goes on until
    /// nothing is left to send (or no one is signed in, or there is nowhere to send).
    async fn sender(&self) {
        loop {
            let Some(route) = self.shared.route.borrow().clone() else { return };
            if self.session().is_none() {
                return;
            }
            let now = web::now_ms();
            let next = {
                let mut entries = self.shared.entries.borrow_mut();
                if !entries.iter().any(|e| e.outgoing.sendable()) {
                    return;
                }
                entries.iter_mut().find(|e| !e.busy && e.outgoing.sendable() && e.due_ms <= now).map(|e| {
                    e.busy = true;
                    e.outgoing.id.clone()
                })
            };
            match next {
                Some(id) => self.send_once(&id, &route).await,
                None => web::sleep(250).await,
            }
        }
    }

    fn update(&self, id: &str, change: impl FnOnce(&mut Entry)) {
        if let Some(entry) = self.shared.entries.borrow_mut().iter_mut().find(|e| e.outgoing.id == id) {
            change(entry);
        }
        self.shared.changed.emit(());
    }

    /// One attempt at one submission, under its lock.
    async fn send_once(&self, id: &str, route: &Destination) {
        let Some(session) = self.session() else { return };
        let _lock = vault::lock(&format!("formwell-send-{id}")).await;
        // Another tab may have settled it while this one waited for the lock.
        let stored = match session.get(id).await {
            Ok(None) => {
                self.update(id, |e| e.outgoing.state = SendState::Sent { locations: Vec::new() });
                return;
            }
            Ok(Some(text)) => Outgoing::from_record(&text),
            // Storage unreadable for the moment: the copy in memory is the same submission.
            Err(_) => None,
        };
        let base = self.get(id).map(|o| o.base).unwrap_or_default();
        // A token goes only to the record system it was given for.
        let Some(token) = session.token_for(&base).await else {
            let state = SendState::NotAllowed { message: no_token(&base) };
            if let Some(outgoing) = self.get(id) {
                let _ = session.put(OUTBOX, id, &Outgoing { state: state.clone(), ..outgoing }.to_record()).await;
            }
            self.update(id, |e| {
                e.outgoing.state = state;
                e.busy = false;
            });
            return;
        };
        if let Some(refused @ SendState::Refused { .. }) = stored.map(|o| o.state) {
            self.update(id, |e| e.outgoing.state = refused);
            return;
        }
        let Some((outgoing, ask_first, attempt)) =
            self.shared.entries.borrow().iter().find(|e| e.outgoing.id == id).map(|e| {
                let attempts = match e.outgoing.state {
                    SendState::Waiting { attempt, .. } => attempt,
                    _ => 0,
                };
                (e.outgoing.clone(), e.ask_first, attempts + 1)
            })
        else {
            return;
        };
        let backend = Backend { base: outgoing.base.clone(), token: Some(token), ..route.backend.clone() };
        let timeout = route.timeout_ms;
        let already = if ask_first { stored_already(&outgoing, &backend, timeout).await } else { None };
        let state = match already {
            Some(location) => SendState::Sent { locations: vec![location] },
            None => {
                self.update(id, |e| e.outgoing.state = SendState::Sending { attempt });
                match self.attempt(&outgoing, &backend, timeout).await {
                    Attempt::Settled(state) => state,
                    // Before it is sent again, ask whether this send was stored after all
                    // (its answer lost to a timeout, or a proxy that sent it twice).
                    Attempt::TryAgain(error) => match stored_already(&outgoing, &backend, timeout).await {
                        Some(location) => SendState::Sent { locations: vec![location] },
                        None => {
                            // Exponential backoff with jitter, capped at a minute.
                            let base = 1000.0 * 2f64.powi(attempt.min(6) as i32 - 1);
                            let wait_ms = base.min(60_000.0) * (0.5 + web::random());
                            SendState::Waiting { attempt, error, retry_in_s: (wait_ms / 1000.0).ceil() as u32 }
                        }
                    },
                }
            }
        };
        // The stored copy follows: gone once sent, the reason kept once refused, the last
        // error kept while it waits.
        let kept = Outgoing { state: state.clone(), ..outgoing };
        let _ = match &state {
            SendState::Sent { .. } => vault::remove_record(id).await,
            _ => session.put(OUTBOX, id, &kept.to_record()).await,
        };
        vault::announce();
        let wait_ms = match &state {
            SendState::Waiting { retry_in_s, .. } => f64::from(*retry_in_s) * 1000.0,
            _ => 0.0,
        };
        self.update(id, |e| {
            e.outgoing.state = state;
            e.busy = false;
            e.ask_first = false;
            e.due_ms = web::now_ms() + wait_ms;
        });
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
                Exchange::Answered { status: 401 | 403, .. } => {
                    return Attempt::Settled(SendState::NotAllowed { message: NOT_ALLOWED.into() })
                }
                Exchange::Answered { status, body } if refusal(status) => {
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
            // Not this form's fault: the sign-in. It waits for a working one.
            Exchange::Answered { status: 401 | 403, .. } => {
                Attempt::Settled(SendState::NotAllowed { message: NOT_ALLOWED.into() })
            }
            Exchange::Answered { status, body } if refusal(status) => {
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

/// A 4xx that trying again will not change (not a time out, not "too many requests").
fn refusal(status: u16) -> bool {
    (400..500).contains(&status) && status != 408 && status != 429
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

/// The outbox at a glance, on every page: how many forms wait, the last error, "Send now";
/// forms waiting for a sign-in, refused ones and ones that cannot be read, each said once.
/// (A function, not a component: it holds no state.)
pub fn outbox_bar(outbox: &Outbox) -> Html {
    let all = outbox.all();
    let waiting: Vec<&Outgoing> = all.iter().filter(|o| o.sendable()).collect();
    let refused = all.iter().filter(|o| matches!(o.state, SendState::Refused { .. })).count();
    let not_allowed = all.iter().find_map(|o| match &o.state {
        SendState::NotAllowed { message } => Some(message.clone()),
        _ => None,
    });
    let held = all.iter().filter(|o| matches!(o.state, SendState::NotAllowed { .. })).count();
    let unreadable = outbox.unreadable().len();
    if waiting.is_empty() && refused == 0 && held == 0 && unreadable == 0 {
        return html! {};
    }
    let last_error = waiting.iter().rev().find_map(|o| match &o.state {
        SendState::Waiting { error, .. } => Some(error.clone()),
        _ => None,
    });
    let send_now = {
        let outbox = outbox.clone();
        Callback::from(move |_| outbox.send_now())
    };
    let plural = |n: usize| if n == 1 { "form" } else { "forms" };
    html! {
        <div class="outbox-bar" id="outbox" role="status">
            if !waiting.is_empty() {
                <span id="outbox-count">{ format!("{} {} waiting to send", waiting.len(), plural(waiting.len())) }</span>
                if let Some(error) = last_error { <span class="outbox-error">{ format!("Last error: {error}") }</span> }
                <button type="button" class="button secondary" onclick={send_now}>{ "Send now" }</button>
            }
            if let Some(message) = not_allowed {
                <span class="outbox-error" id="outbox-not-allowed">{ format!("{held} {} not sent. {message}.", plural(held)) }</span>
            }
            if refused > 0 {
                <a href="#/" id="outbox-refused">{ format!("{refused} {} refused: see why", plural(refused)) }</a>
            }
            if unreadable > 0 {
                <span class="outbox-error" id="outbox-unreadable">{ format!(
                    "{unreadable} {} could not be read on this tablet. {} kept, not sent: ask whoever looks after Formwell to check this tablet before anyone clears it.",
                    plural(unreadable), if unreadable == 1 { "It is" } else { "They are" }) }</span>
            }
        </div>
    }
}
