//! Drafts: a form being filled, kept on the tablet (encrypted, see `vault`) after every
//! change, so a reload, a closed tab, a flat battery or the inactivity lock loses nothing.
//! A draft remembers the template and the code-impact rules it was started under; when
//! either has changed by the time it is resumed, the form says so and checks itself again
//! before it can be submitted.

use std::cell::Cell;
use std::rc::Rc;

use formwell_engine::{FormState, ResponseHeader};
use serde_json::{json, Value};
use yew::prelude::*;

use crate::config::AppConfig;
use crate::form_page::FormPage;
use crate::library::LibraryState;
use crate::route::Route;
use crate::vault::{self, Session, StoreError, DRAFT};

/// A kept draft, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub id: String,
    /// The shipped template's id.
    pub template: String,
    pub title: String,
    /// When it was last changed (a FHIR instant).
    pub saved: String,
    /// The code-impact ruleset's version when it was last changed.
    pub rules: Option<String>,
    /// The answers, as an in-progress QuestionnaireResponse (which also names the
    /// template's canonical URL and version).
    pub response: Value,
}

impl Draft {
    pub fn to_record(&self) -> String {
        json!({"id": self.id, "template": self.template, "title": self.title, "saved": self.saved,
            "rules": self.rules, "response": self.response})
        .to_string()
    }

    pub fn from_record(text: &str) -> Option<Draft> {
        let mut json: Value = serde_json::from_str(text).ok()?;
        let text = |key: &str| json[key].as_str().map(str::to_owned);
        Some(Draft {
            id: text("id")?,
            template: text("template")?,
            title: text("title").unwrap_or_default(),
            saved: text("saved").unwrap_or_default(),
            rules: text("rules"),
            response: json["response"].take(),
        })
    }
}

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
        snapshot: Rc<dyn Fn() -> Draft>,
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
        let text = draft.to_record();
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

    /// Saves again after all (queueing failed, so the draft is still the form's only copy).
    pub fn restart(&self) {
        self.stopped.set(false);
    }
}

/// The draft a new form is kept as, and the response it holds.
pub fn snapshot(id: &str, template: &str, form: &FormState, config: Option<&AppConfig>) -> Draft {
    Draft {
        id: id.to_owned(),
        template: template.to_owned(),
        title: form.questionnaire().display_title().to_owned(),
        saved: crate::form_page::now(),
        rules: config.and_then(|c| c.ruleset()).map(|r| r.version().to_owned()),
        response: form.to_response(&ResponseHeader::default()),
    }
}

#[derive(Properties, PartialEq)]
pub struct DraftPageProps {
    pub id: String,
    pub library: LibraryState,
    pub session: Session,
}

/// A kept draft, opened where it was left.
#[function_component(DraftPage)]
pub fn draft_page(props: &DraftPageProps) -> Html {
    let loaded = use_state(|| None::<Result<Draft, String>>);
    let config = use_context::<AppConfig>();
    {
        let (loaded, session) = (loaded.clone(), props.session.clone());
        use_effect_with(props.id.clone(), move |id| {
            let id = id.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let draft = match session.get(&id).await {
                    Ok(Some(text)) => Draft::from_record(&text).ok_or_else(|| "this draft cannot be read".to_owned()),
                    Ok(None) => Err("there is no such draft on this tablet: it was submitted or discarded".to_owned()),
                    Err(e) => Err(e.to_string()),
                };
                loaded.set(Some(draft));
            });
        });
    }
    let draft = match &*loaded {
        None => return html! { <p class="loading" role="status">{ "Opening the draft…" }</p> },
        Some(Err(why)) => return not_resumed(why),
        Some(Ok(draft)) => draft,
    };
    let Some(template) = props.library.find(&draft.template) else {
        return match &props.library {
            LibraryState::Loading => html! { <p class="loading" role="status">{ "Opening the draft…" }</p> },
            _ => not_resumed(&format!("its form, \"{}\", is no longer in this app's list", draft.title)),
        };
    };
    let resumed = match FormState::from_response(template.questionnaire.clone(), &draft.response) {
        Ok((form, _, diagnostics)) => {
            // The engine warns when the response was given to another version of the form.
            let mut changes: Vec<String> = diagnostics.into_iter().map(|d| d.message).collect();
            let rules_now = config.as_ref().and_then(|c| c.ruleset()).map(|r| r.version().to_owned());
            if rules_now.is_some() && draft.rules.is_some() && rules_now != draft.rules {
                changes.push(
                    "the code-impact rules have changed since this draft was kept: its coded entries are checked against the current rules when you submit".into(),
                );
            }
            Rc::new(Resumed { id: draft.id.clone(), form, changes })
        }
        Err(error) => {
            let why = error.errors().map(|d| d.message.clone()).collect::<Vec<_>>().join("; ");
            return not_resumed(&format!("the form has changed so much that its answers no longer fit: {why}"));
        }
    };
    html! { <FormPage key={draft.id.clone()} template={template} resume={Some(resumed)} /> }
}

fn not_resumed(why: &str) -> Html {
    html! {
        <div class="panel" role="alert">
            <h1>{ "This draft cannot be opened" }</h1>
            <p>{ format!("The draft could not be opened: {why}.") }</p>
            <p><a href="#/">{ "Back to the list of forms" }</a></p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct DraftListProps {
    pub session: Session,
}

/// The drafts kept for whoever is signed in, to resume or discard.
#[function_component(DraftList)]
pub fn draft_list(props: &DraftListProps) -> Html {
    // The drafts that could be read, and how many could not (they stay on the tablet).
    let drafts = use_state(|| None::<Result<(Vec<Draft>, usize), String>>);
    let discarding = use_state(|| None::<String>);
    let reload = {
        let (drafts, session) = (drafts.clone(), props.session.clone());
        Rc::new(move || {
            let (drafts, session) = (drafts.clone(), session.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let listed = session.list(DRAFT).await.map_err(|e| e.to_string()).map(|rows| {
                    let total = rows.len();
                    let mut list: Vec<Draft> = rows
                        .iter()
                        .filter_map(|(_, text)| text.as_ref().ok().and_then(|t| Draft::from_record(t)))
                        .collect();
                    list.sort_by(|a, b| b.saved.cmp(&a.saved));
                    let unreadable = total - list.len();
                    (list, unreadable)
                });
                drafts.set(Some(listed));
            });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with(props.session.clone(), move |_| reload());
    }
    let list = match &*drafts {
        None => return html! {},
        Some(Err(why)) => {
            return html! { <div class="error-summary" role="alert"><h2>{ "Drafts could not be read" }</h2><p>{ why }</p></div> }
        }
        Some(Ok((list, 0))) if list.is_empty() => return html! {},
        Some(Ok((list, unreadable))) => (list, *unreadable),
    };
    let (list, unreadable) = list;
    let discard = |id: &str| {
        let (id, reload, discarding) = (id.to_owned(), reload.clone(), discarding.clone());
        Callback::from(move |_| {
            let (id, reload, discarding) = (id.clone(), reload.clone(), discarding.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let _ = vault::remove_record(&id).await;
                discarding.set(None);
                reload();
            });
        })
    };
    let ask = |id: Option<String>| {
        let discarding = discarding.clone();
        Callback::from(move |_| discarding.set(id.clone()))
    };
    html! {
        <section class="drafts" id="drafts" aria-labelledby="drafts-title">
            <h2 id="drafts-title">{ "Your drafts on this tablet" }</h2>
            if unreadable > 0 {
                <p class="notice warning" id="drafts-unreadable">{ format!(
                    "{unreadable} draft{} could not be read on this tablet. {} kept: ask whoever looks after Formwell to check this tablet before anyone clears it.",
                    if unreadable == 1 { "" } else { "s" }, if unreadable == 1 { "It is" } else { "They are" }) }</p>
            }
            <ul class="draft-list">
                { for list.iter().map(|d| html! {
                    <li class="draft">
                        <a href={Route::Draft(d.id.clone()).hash()}>{ format!("Resume {}", d.title) }</a>
                        <span class="meta">{ format!(" · last changed {} UTC", d.saved.replace('T', " ").trim_end_matches('Z')) }</span>
                        if discarding.as_deref() == Some(d.id.as_str()) {
                            <span class="confirm-discard">
                                { " Discard this draft for good? " }
                                <button type="button" class="button warning" onclick={discard(&d.id)}>{ "Discard" }</button>
                                <button type="button" class="button secondary" onclick={ask(None)}>{ "Keep" }</button>
                            </span>
                        } else {
                            <button type="button" class="button secondary" onclick={ask(Some(d.id.clone()))}
                                aria-label={format!("Discard {}", d.title)}>{ "Discard" }</button>
                        }
                    </li>
                }) }
            </ul>
        </section>
    }
}

/// The id a new draft is kept under, or why there can be none.
pub fn new_draft_id() -> Result<String, String> {
    crate::web::random_uuid().map(|uuid| format!("draft:{uuid}"))
}
