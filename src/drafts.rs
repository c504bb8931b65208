//! Keeping drafts: a form being filled, kept on the tablet (encrypted, see `vault`) after
//! every change, so a reload, a closed tab, a flat battery or the inactivity lock loses
//! nothing. What a draft holds, and its format, is the engine's `DraftRecord`; this is
//! the autosaver. The pages that open and list drafts are `draft_pages`.

use std::cell::Cell;
use std::rc::Rc;

use formwell_engine::submit::stored::DraftRecord;
use formwell_engine::{FormState, ResponseHeader};
use yew::prelude::*;

use crate::config::AppConfig;
use crate::vault::{Session, StoreError, DRAFT};

/// A draft taken up again: its id and the form as it was left.
#[derive(Debug)]
pub struct Resumed {
    pub id: String,
    pub form: FormState,
    /// What changed since it was kept, for the person to check.
    pub changes: Vec<String>,
}

impl PartialEq for Resumed {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

/// Keeps a form's draft after every change without ever holding up typing: at most one
/// save is in flight, and changes made meanwhile are kept by one more save after it.
#[derive(Default)]
pub struct Autosave {
    in_flight: Cell<bool>,
    again: Cell<bool>,
    /// The form was queued: its draft must not come back.
    stopped: Cell<bool>,
}

impl Autosave {
    /// Saves the draft `snapshot` makes now (or as soon as the save in flight ends);
    /// `done` hears how each save went.
    pub fn save(
        self: &Rc<Self>,
        session: Session,
        snapshot: Rc<dyn Fn() -> DraftRecord>,
        done: Callback<Result<String, StoreError>>,
    ) {
        if self.stopped.get() {
            return;
        }
        if self.in_flight.replace(true) {
            self.again.set(true);
            return;
        }
        // The only work on the main thread: the response as JSON text. Encryption and
        // storage run in the browser, off this thread.
        let started = crate::web::now_ms();
        let draft = snapshot();
        let text = draft.to_json();
        crate::web::push_measure("formwellAutosaveMs", crate::web::now_ms() - started);
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = session.put(DRAFT, &draft.id, &text).await.map(|_| draft.id.clone());
            this.in_flight.set(false);
            done.emit(result);
            if this.again.replace(false) {
                this.save(session, snapshot, done);
            }
        });
    }
}

impl Autosave {
    /// Stops saving, once the save in flight (if any) has landed, so that queueing the
    /// form can remove its draft for good.
    pub async fn stop(&self) {
        self.stopped.set(true);
        self.again.set(false);
        while self.in_flight.get() {
            crate::web::sleep(10).await;
        }
    }

    /// Stops saving now (another filling of the form begins: a new draft, a new saver).
    pub fn stop_now(&self) {
        self.stopped.set(true);
        self.again.set(false);
    }

    /// Saves again after all (queueing failed, so the draft is still the form's only copy).
    pub fn restart(&self) {
        self.stopped.set(false);
    }
}

/// The draft a form is kept as now, and the response it holds.
pub fn snapshot(id: &str, template: &str, form: &FormState, config: Option<&AppConfig>) -> DraftRecord {
    DraftRecord {
        id: id.to_owned(),
        template: template.to_owned(),
        title: form.questionnaire().display_title().to_owned(),
        saved: crate::web::now(),
        rules: config.and_then(|c| c.ruleset()).map(|r| r.version().to_owned()),
        response: form.to_response(&ResponseHeader::default()),
        person: config.and_then(|c| c.person.as_ref()).map(|p| form.person_for(p)),
    }
}

/// The id a new draft is kept under, or why there can be none.
pub fn new_draft_id() -> Result<String, String> {
    crate::web::random_uuid().map(|uuid| format!("draft:{uuid}"))
}
