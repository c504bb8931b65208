//! Submissions on their way to the record system: the browser's side of the delivery
//! protocol. The engine's [`Delivery`] decides, for each submission, what happens next;
//! this module only carries its commands out (the tabs' shared lock, the tablet's
//! encrypted storage, HTTP to the record system) and tells it what came back. Up to three
//! senders run per tab. Views read a snapshot ([`OutboxView`]), which changes whenever
//! anything they show does.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use formwell_engine::demographic_patch;
use formwell_engine::submit::backend::{describe_outcome, transaction_locations};
use formwell_engine::submit::delivery::{Command, Delivery, Event, InRecord, KeptPhase, Phase, Reply, Stored};
use formwell_engine::submit::person::Person;
use formwell_engine::submit::stored::OutboxRecord;
use serde_json::Value;
use yew::prelude::*;

use crate::vault::{self, Session, StoreError, OUTBOX};
use crate::web::{self, Exchange};

/// How many submissions one tab sends at once: enough to empty a long queue quickly,
/// few enough that none waits behind the browser's connection limit until it times out.
const SENDERS: u32 = 3;

/// One submission: what is kept of it (shared: a view copies it on every change), and
/// where it is on its way.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub record: Rc<OutboxRecord>,
    pub delivery: Delivery,
}

/// What the views show of the outbox; a new value whenever any of it changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutboxView {
    pub outgoing: Vec<Outgoing>,
    /// Stored submissions that cannot be read (id, why): kept, never sent, shown.
    pub unreadable: Vec<(String, String)>,
}

impl OutboxView {
    pub fn get(&self, id: &str) -> Option<&Outgoing> {
        self.outgoing.iter().find(|o| o.record.id == id)
    }

    /// How many are not taken by the record system yet (waiting, sending, refused, or
    /// kept but unreadable).
    pub fn pending(&self) -> usize {
        self.outgoing.iter().filter(|o| !matches!(o.delivery.phase, Phase::Sent { .. })).count() + self.unreadable.len()
    }
}

/// The outbox of this tab, shared through a context with its current view.
#[derive(Clone)]
pub struct Outbox {
    shared: Rc<Shared>,
    pub view: Rc<OutboxView>,
}

impl PartialEq for Outbox {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared) && Rc::ptr_eq(&self.view, &other.view)
    }
}

struct Shared {
    entries: RefCell<Vec<Outgoing>>,
    unreadable: RefCell<Vec<(String, String)>>,
    /// Who is signed in: their key reads and writes the stored outbox, and their kept
    /// tokens are the only ones sent. `None` while locked: nothing is sent.
    session: RefCell<Option<Session>>,
    /// How long a request may take before it counts as unanswered.
    timeout_ms: Cell<u32>,
    senders: Cell<u32>,
    /// Told a new view whenever what the views show changes.
    changed: Callback<Rc<OutboxView>>,
}

impl Outbox {
    /// An empty outbox; `changed` hears each new view.
    pub fn new(changed: Callback<Rc<OutboxView>>) -> Outbox {
        Outbox {
            shared: Rc::new(Shared {
                entries: RefCell::default(),
                unreadable: RefCell::default(),
                session: RefCell::default(),
                timeout_ms: Cell::new(crate::config::DEFAULT_SEND_TIMEOUT_MS),
                senders: Cell::new(0),
                changed,
            }),
            view: Rc::default(),
        }
    }

    /// The same outbox, with the view the views should show.
    pub fn with_view(&self, view: Rc<OutboxView>) -> Outbox {
        Outbox { shared: self.shared.clone(), view }
    }

    fn changed(&self) {
        let view = OutboxView {
            outgoing: self.shared.entries.borrow().clone(),
            unreadable: self.shared.unreadable.borrow().clone(),
        };
        self.shared.changed.emit(Rc::new(view));
    }

    /// Signs the outbox in (it reads the stored outbox and sends what is due) or out
    /// (`None`: it forgets every submission it holds in memory, and stops sending).
    pub fn set_session(&self, session: Option<Session>) {
        let signed_out = session.is_none();
        *self.shared.session.borrow_mut() = session;
        if signed_out {
            self.shared.entries.borrow_mut().clear();
            self.shared.unreadable.borrow_mut().clear();
            self.changed();
        } else {
            self.reload();
        }
    }

    pub fn set_timeout(&self, timeout_ms: u32) {
        self.shared.timeout_ms.set(timeout_ms);
    }

    fn session(&self) -> Option<Session> {
        self.shared.session.borrow().clone()
    }

    /// Reads the stored outbox again (at sign-in, when another tab changed it, or the
    /// network came back) and sends what is due. What another page kept is asked about
    /// before it is sent.
    pub fn reload(&self) {
        let outbox = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let Some(session) = outbox.session() else { return };
            let Ok(rows) = session.list(OUTBOX).await else { return };
            if outbox.session().as_ref() != Some(&session) {
                return;
            }
            {
                let mut entries = outbox.shared.entries.borrow_mut();
                let mut unreadable = Vec::new();
                for (id, text) in rows {
                    match text.and_then(|text| OutboxRecord::from_json(&text)) {
                        Ok(record) if !entries.iter().any(|e| e.record.id == record.id) => {
                            let changes = record.demographics.is_some();
                            let delivery = Delivery::read_back(&record.id, &record.base, changes, &record.phase);
                            entries.push(Outgoing { record: Rc::new(record), delivery });
                        }
                        Ok(_) => {}
                        Err(why) => unreadable.push((id, why)),
                    }
                }
                *outbox.shared.unreadable.borrow_mut() = unreadable;
            }
            // Whatever waits is tried now: the network may just have come back.
            outbox.send_now();
        });
    }

    /// Keeps a submission on the tablet (removing the draft it came from in the same
    /// step) and starts sending it. Nothing is sent unless it was kept.
    pub async fn queue(&self, record: OutboxRecord, draft: Option<String>) -> Result<(), StoreError> {
        let session = self.session().ok_or_else(|| StoreError::Other("no one is signed in".into()))?;
        session.queue(&record.id, &record.to_json(), draft).await?;
        vault::announce();
        let delivery = Delivery::new(&record.id, &record.base, record.demographics.is_some());
        self.shared.entries.borrow_mut().push(Outgoing { record: Rc::new(record), delivery });
        self.changed();
        self.start_senders();
        Ok(())
    }

    /// Gives every submission (or those for one record system) an event, and sends what
    /// then is due.
    fn tell_all(&self, event: Event, base: Option<&str>) {
        let now = web::now_ms();
        for entry in self.shared.entries.borrow_mut().iter_mut() {
            if base.is_none_or(|b| entry.record.base == b) {
                // These events never ask for a command but Keep (on a retry), which the
                // next attempt's own Keep makes good.
                entry.delivery.handle(event.clone(), now, web::random());
            }
        }
        self.changed();
        self.start_senders();
    }

    /// "Send now", or the network came back: no more waiting.
    pub fn send_now(&self) {
        self.tell_all(Event::Hurry, None);
    }

    /// A working token for a record system is there now: what waited for one is sent.
    pub fn token_renewed(&self, base: &str) {
        self.tell_all(Event::TokenRenewed, Some(base));
    }

    /// Sends a refused submission again, once its cause has been put right.
    pub fn retry(&self, id: &str) {
        let commands = self.handle(id, Event::Retry);
        if commands.contains(&Command::Keep) {
            let (outbox, id) = (self.clone(), id.to_owned());
            wasm_bindgen_futures::spawn_local(async move {
                outbox.keep(&id).await;
                outbox.start_senders();
            });
        }
    }

    fn handle(&self, id: &str, event: Event) -> Vec<Command> {
        let commands = self
            .shared
            .entries
            .borrow_mut()
            .iter_mut()
            .find(|e| e.record.id == id)
            .map(|e| e.delivery.handle(event, web::now_ms(), web::random()))
            .unwrap_or_default();
        self.changed();
        commands
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

    /// One sender: takes up the next submission that is due, sees its attempt through,
    /// and goes on until nothing is waiting (or no one is signed in).
    async fn sender(&self) {
        loop {
            if self.session().is_none() {
                return;
            }
            let now = web::now_ms();
            let next = {
                let entries = self.shared.entries.borrow();
                if !entries.iter().any(|e| e.delivery.due_at().is_some()) {
                    return;
                }
                entries.iter().find(|e| e.delivery.due(now)).map(|e| e.record.id.clone())
            };
            match next {
                Some(id) => self.attempt(&id).await,
                None => web::sleep(250).await,
            }
        }
    }

    /// One attempt at one submission: the protocol's commands carried out in turn.
    async fn attempt(&self, id: &str) {
        let Some(session) = self.session() else { return };
        let Some(record) = self.shared.entries.borrow().iter().find(|e| e.record.id == id).map(|e| e.record.clone())
        else {
            return;
        };
        let timeout = self.shared.timeout_ms.get();
        let mut lock = None;
        let mut token = None;
        // The person's record as read for this attempt: the demographic patch is made from it.
        let mut person = None;
        let mut commands: VecDeque<Command> = self.handle(id, Event::Go).into();
        while let Some(command) = commands.pop_front() {
            let event = match command {
                Command::Lock => {
                    lock = Some(vault::lock(&format!("formwell-send-{id}")).await);
                    let stored = match session.get(id).await {
                        Ok(None) => Stored::Gone,
                        Ok(Some(text)) => match OutboxRecord::from_json(&text).map(|r| r.phase) {
                            Ok(KeptPhase::Refused(reason)) => Stored::Refused(reason),
                            Ok(KeptPhase::Pending { attempts, .. } | KeptPhase::NotAllowed { attempts, .. }) => {
                                Stored::Present { attempts }
                            }
                            // The copy in memory is the same submission.
                            Err(_) => Stored::Present { attempts: 0 },
                        },
                        Err(_) => Stored::Present { attempts: 0 },
                    };
                    // A token goes only to the record system it was given for.
                    token = session.token_for(&record.base).await;
                    Some(Event::Locked { stored, token: token.is_some() })
                }
                Command::ReadPerson => {
                    let reply = match &record.patient {
                        Some(patient) => {
                            let url = format!("{}/{patient}", record.base);
                            match web::fhir_request("GET", &url, None, token.as_deref(), timeout).await {
                                Exchange::Answered { status: 200, body } => {
                                    match serde_json::from_str::<Value>(&body) {
                                        Ok(json) => {
                                            person = Some(json);
                                            Reply::Taken { locations: vec![] }
                                        }
                                        Err(e) => Reply::NoAnswer(format!("the person's record was not readable: {e}")),
                                    }
                                }
                                Exchange::Answered { status, body } => reply(status, &body),
                                Exchange::NoAnswer(why) => Reply::NoAnswer(why),
                            }
                        }
                        None => {
                            Reply::Refused { status: 0, reason: "the form does not say whose record to change".into() }
                        }
                    };
                    Some(Event::PersonRead(reply))
                }
                Command::LookUp => Some(Event::LookedUp(look_up(&record, token.as_deref(), timeout).await)),
                Command::Send => {
                    let answer = match bundle_to_send(&record, person.as_ref()) {
                        Ok(bundle) => {
                            match web::fhir_request("POST", &record.base, Some(&bundle), token.as_deref(), timeout)
                                .await
                            {
                                Exchange::Answered { status, body } => reply(status, &body),
                                Exchange::NoAnswer(why) => Reply::NoAnswer(why),
                            }
                        }
                        Err(why) => Reply::NoAnswer(why),
                    };
                    Some(Event::Answered(answer))
                }
                Command::Keep => {
                    self.keep(id).await;
                    None
                }
                Command::Forget => {
                    let _ = vault::remove_record(id).await;
                    vault::announce();
                    self.remember_registered(&session, &record, id).await;
                    None
                }
                Command::Unlock => {
                    lock = None;
                    None
                }
            };
            if let Some(event) = event {
                commands.extend(self.handle(id, event));
            }
        }
        drop(lock);
    }

    /// Someone a form registered has a record now: they are offered on this tablet next
    /// time, by the reference the record system gave them.
    async fn remember_registered(&self, session: &Session, record: &OutboxRecord, id: &str) {
        let Some(person) = record.person.clone().filter(|p| p.reference.is_none()) else { return };
        let created = self.shared.entries.borrow().iter().find(|e| e.record.id == id).and_then(|e| match &e.delivery.phase {
            Phase::Sent { locations } => locations.iter().find(|l| l.starts_with("Patient/")).cloned(),
            _ => None,
        });
        if let Some(location) = created {
            let reference = location.split('/').take(2).collect::<Vec<_>>().join("/");
            let _ = session.remember_person(&Person { reference: Some(reference), ..person }, &web::now()).await;
        }
    }

    /// Writes a submission's record, with its delivery's phase, to storage.
    async fn keep(&self, id: &str) {
        let Some(session) = self.session() else { return };
        let record = self.shared.entries.borrow().iter().find(|e| e.record.id == id).map(|e| {
            let mut record = (*e.record).clone();
            record.phase = e.delivery.kept();
            record
        });
        if let Some(record) = record {
            let _ = session.put(OUTBOX, id, &record.to_json()).await;
            vault::announce();
        }
    }
}

/// What the views show, replaced whole at every change.
struct ViewState(Rc<OutboxView>);

impl Reducible for ViewState {
    type Action = Rc<OutboxView>;

    fn reduce(self: Rc<Self>, view: Rc<OutboxView>) -> Rc<Self> {
        Rc::new(ViewState(view))
    }
}

/// The tab's outbox, made once, with the view of its latest change. It reads the stored
/// outbox again when another tab changes it or the network comes back.
#[hook]
pub fn use_outbox(timeout_ms: u32) -> Outbox {
    let outbox = use_page_outbox(timeout_ms);
    {
        let outbox = outbox.clone();
        use_effect_with((), move |_| {
            let closure = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || outbox.reload());
            vault::watch_outbox(&closure);
            closure.forget();
        });
    }
    outbox
}

/// An outbox of this page alone, made once, with the view of its latest change: no other
/// tab shares it (an embedded form's).
#[hook]
pub fn use_page_outbox(timeout_ms: u32) -> Outbox {
    let view = use_reducer(|| ViewState(Rc::default()));
    let outbox = {
        let dispatcher = view.dispatcher();
        use_memo((), move |_| Outbox::new(Callback::from(move |v| dispatcher.dispatch(v))))
    };
    outbox.set_timeout(timeout_ms);
    outbox.with_view(view.0.clone())
}

/// An HTTP answer as the protocol reads it, with the record system's reason in words.
fn reply(status: u16, body: &str) -> Reply {
    let json = serde_json::from_str::<Value>(body);
    let reason =
        json.as_ref().map(describe_outcome).unwrap_or_else(|_| format!("no reason given with status {status}"));
    // Taken: an answer that cannot be read still means it was taken.
    let locations = json.ok().and_then(|json| transaction_locations(&json).ok()).unwrap_or_default();
    Reply::from_status(status, locations, reason)
}

/// The Bundle, with the patch of the person's record (as just read) when it changes it.
fn bundle_to_send(record: &OutboxRecord, person: Option<&Value>) -> Result<String, String> {
    let (Some(changes), Some(person)) = (&record.demographics, person) else { return Ok(record.bundle.clone()) };
    let entry = demographic_patch(changes, person, &record.today)?;
    let mut json: Value = serde_json::from_str(&record.bundle).map_err(|e| e.to_string())?;
    json["entry"].as_array_mut().ok_or("the Bundle has no entries")?.push(entry);
    Ok(json.to_string())
}

/// Whether the record system holds this submission's QuestionnaireResponse.
async fn look_up(record: &OutboxRecord, token: Option<&str>, timeout_ms: u32) -> InRecord {
    let url =
        format!("{}/QuestionnaireResponse?identifier={}", record.base, crate::route::encode(&record.response_token));
    match web::fhir_request("GET", &url, None, token, timeout_ms).await {
        Exchange::Answered { status: 200, body } => {
            let Ok(json) = serde_json::from_str::<Value>(&body) else {
                return InRecord::Unknown("the record system's answer was not readable".into());
            };
            match json["entry"][0]["resource"]["id"].as_str() {
                Some(id) => InRecord::Yes { location: format!("QuestionnaireResponse/{id}") },
                None => InRecord::No,
            }
        }
        Exchange::Answered { status, .. } => InRecord::Unknown(format!("the record system answered {status}")),
        Exchange::NoAnswer(why) => InRecord::Unknown(why),
    }
}

/// "about 1 second", "about 30 seconds" from now until `due_ms`; whole seconds, as an
/// integer: formatting a float would pull core's float printing into the wasm.
pub fn in_about(due_ms: f64, now_ms: f64) -> String {
    match ((due_ms - now_ms) / 1000.0).ceil().max(0.0) as u32 {
        1 => "about 1 second".into(),
        n => format!("about {n} seconds"),
    }
}

/// Where a submission is, in words for staff, and a class for its colour.
pub fn describe(delivery: &Delivery, now_ms: f64) -> (&'static str, String) {
    match &delivery.phase {
        Phase::Sent { .. } => ("sent", "Sent to the record system.".into()),
        Phase::Refused { reason } => ("refused", format!("The record system refused this form: {reason}")),
        Phase::NotAllowed { reason } => ("waiting", format!("{reason}.")),
        Phase::Waiting { error: Some(error), due_ms } => {
            ("waiting", format!("Not sent yet: {error}. It is kept here and will be tried again in {}.", in_about(*due_ms, now_ms)))
        }
        _ if delivery.attempts > 1 => ("sending", format!("Sending to the record system (attempt {})…", delivery.attempts)),
        _ => ("sending", "Sending to the record system…".into()),
    }
}

/// Where a submission is, in a few words for a list.
pub fn in_brief(delivery: &Delivery) -> String {
    match &delivery.phase {
        Phase::Sent { .. } => "sent".into(),
        Phase::Refused { reason } => format!("refused: {reason}"),
        Phase::NotAllowed { reason } => format!("waiting: {reason}"),
        Phase::Waiting { error: Some(error), .. } => format!("waiting: {error}"),
        _ => "sending…".into(),
    }
}

/// The outbox at a glance, on every page: how many forms wait, the last error, "Send now";
/// forms waiting for a sign-in, refused ones and ones that cannot be read, each said once.
/// (A function, not a component: it holds no state.)
pub fn outbox_bar(outbox: &Outbox) -> Html {
    let view = &outbox.view;
    let count = |f: fn(&Phase) -> bool| view.outgoing.iter().filter(|o| f(&o.delivery.phase)).count();
    let waiting = count(|p| {
        matches!(
            p,
            Phase::Waiting { .. } | Phase::Locking | Phase::ReadingPerson | Phase::LookingUp { .. } | Phase::Sending
        )
    });
    let refused = count(|p| matches!(p, Phase::Refused { .. }));
    let held = count(|p| matches!(p, Phase::NotAllowed { .. }));
    let not_allowed = view.outgoing.iter().find_map(|o| match &o.delivery.phase {
        Phase::NotAllowed { reason } => Some(reason.clone()),
        _ => None,
    });
    let unreadable = view.unreadable.len();
    let sent = count(|p| matches!(p, Phase::Sent { .. }));
    if waiting == 0 && refused == 0 && held == 0 && unreadable == 0 && sent == 0 {
        return html! {};
    }
    let last_error = view.outgoing.iter().rev().find_map(|o| match &o.delivery.phase {
        Phase::Waiting { error: Some(error), .. } => Some(error.clone()),
        _ => None,
    });
    let send_now = {
        let outbox = outbox.clone();
        Callback::from(move |_| outbox.send_now())
    };
    let plural = |n: usize| if n == 1 { "form" } else { "forms" };
    html! {
        <div class={classes!("outbox-bar", (waiting + held + refused + unreadable == 0).then_some("all-sent"))} id="outbox" role="status">
            if sent > 0 {
                <span id="outbox-sent">{ format!("{sent} {} sent", plural(sent)) }</span>
            }
            if waiting > 0 {
                <span id="outbox-count">{ format!("{waiting} {} waiting to send", plural(waiting)) }</span>
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
