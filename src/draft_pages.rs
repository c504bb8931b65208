//! The pages of drafts: a kept draft opened where it was left, and the list of drafts to
//! resume or discard. A draft remembers the template and the code-impact rules it was
//! started under; when either has changed by the time it is resumed, the form says so and
//! checks itself again before it can be submitted.

use std::rc::Rc;

use formwell_engine::submit::person::Person;
use formwell_engine::submit::stored::DraftRecord;
use formwell_engine::FormState;
use yew::prelude::*;

use crate::config::AppConfig;
use crate::drafts::Resumed;
use crate::form_page::FormPage;
use crate::library::LibraryState;
use crate::route::Route;
use crate::vault::{self, Session, DRAFT};

#[derive(Properties, PartialEq)]
pub struct DraftPageProps {
    pub id: String,
    pub library: LibraryState,
    pub session: Session,
    /// Chooses the draft's person for the forms, as the draft was for them.
    pub on_person: Callback<Person>,
}

/// A kept draft, opened where it was left.
#[function_component(DraftPage)]
pub fn draft_page(props: &DraftPageProps) -> Html {
    let loaded = use_state(|| None::<Result<DraftRecord, String>>);
    let config = use_context::<AppConfig>();
    {
        let (loaded, session) = (loaded.clone(), props.session.clone());
        use_effect_with(props.id.clone(), move |id| {
            let id = id.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let draft = match session.get(&id).await {
                    Ok(Some(text)) => DraftRecord::from_json(&text),
                    Ok(None) => Err("there is no such draft on this tablet: it was submitted or discarded".to_owned()),
                    Err(e) => Err(e.to_string()),
                };
                loaded.set(Some(draft));
            });
        });
    }
    {
        // A draft goes on being for the person it was started for.
        let (person, on_person) = (
            loaded.as_ref().and_then(|d| d.as_ref().ok()).and_then(|d| d.person.clone()),
            props.on_person.clone(),
        );
        let current = config.as_ref().and_then(|c| c.person.clone());
        use_effect_with(person, move |person| {
            if let Some(person) = person.clone().filter(|p| Some(p) != current.as_ref()) {
                on_person.emit(person);
            }
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
    let drafts = use_state(|| None::<Result<(Vec<DraftRecord>, usize), String>>);
    let discarding = use_state(|| None::<String>);
    let reload = {
        let (drafts, session) = (drafts.clone(), props.session.clone());
        Rc::new(move || {
            let (drafts, session) = (drafts.clone(), session.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let listed = session.list(DRAFT).await.map_err(|e| e.to_string()).map(|rows| {
                    let total = rows.len();
                    let mut list: Vec<DraftRecord> = rows
                        .iter()
                        .filter_map(|(_, text)| text.as_ref().ok().and_then(|t| DraftRecord::from_json(t).ok()))
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
                        <span class="meta">{ format!(" · for {} · last changed {}",
                            d.person.as_ref().map(|p| p.label()).unwrap_or_else(|| "no one chosen".into()),
                            crate::web::local_time(&d.saved)) }</span>
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

#[derive(Properties, PartialEq)]
pub struct FormStartProps {
    pub template: crate::library::Template,
    pub session: Session,
    pub person: Option<Person>,
}

/// Opening a form for someone who already has a draft of it on this tablet offers to
/// carry on with that draft, or to start again.
#[function_component(FormStart)]
pub fn form_start(props: &FormStartProps) -> Html {
    // None while the drafts are read; then the matching draft, if any.
    let existing = use_state(|| None::<Option<DraftRecord>>);
    let fresh = use_state(|| false);
    {
        let (existing, session, template, person) =
            (existing.clone(), props.session.clone(), props.template.source.clone(), props.person.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let reference = person.and_then(|p| p.reference);
                let drafts = session.list(DRAFT).await.unwrap_or_default();
                let found = drafts
                    .into_iter()
                    .filter_map(|(_, text)| DraftRecord::from_json(&text.ok()?).ok())
                    .filter(|d| {
                        d.template == template
                            && reference.is_some()
                            && d.person.as_ref().and_then(|p| p.reference.as_ref()) == reference.as_ref()
                    })
                    .max_by(|a, b| a.saved.cmp(&b.saved));
                existing.set(Some(found));
            });
        });
    }
    match (&*existing, *fresh) {
        (None, _) => html! { <p class="loading" role="status">{ "Opening the form…" }</p> },
        (Some(Some(draft)), false) => {
            let start_again = {
                let fresh = fresh.clone();
                Callback::from(move |_| fresh.set(true))
            };
            let who = draft.person.as_ref().map(|p| p.label()).unwrap_or_default();
            html! {
                <div class="panel" id="draft-offer">
                    <h1>{ props.template.questionnaire.display_title() }</h1>
                    <p>{ format!("There is a draft of this form for {who}, last changed {}.", crate::web::local_time(&draft.saved)) }</p>
                    <div class="actions">
                        <a class="button" href={Route::Draft(draft.id.clone()).hash()} id="continue-draft">{ "Continue the draft" }</a>
                        <button type="button" class="button secondary" onclick={start_again}>{ "Start a new one" }</button>
                    </div>
                </div>
            }
        }
        _ => html! { <FormPage template={props.template.clone()} /> },
    }
}
