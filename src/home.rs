//! The home page: the template library, and opening a template from a file or a URL.

use formwell_engine::LoadError;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::diagnostics_view::diagnostic_list;
use crate::draft_pages::DraftList;
use crate::library::{LibraryState, Template};
use crate::outbox::Outbox;
use crate::route::Route;
use formwell_engine::submit::delivery::Phase;

#[derive(Properties, PartialEq)]
pub struct HomeProps {
    /// Called with a template the person opened from a file or a URL.
    pub on_open: Callback<Template>,
    pub library: LibraryState,
}

/// Why opening a template failed, in words.
#[derive(Debug, Clone, PartialEq)]
enum OpenFailure {
    /// Could not be read or fetched.
    Unreachable(String),
    /// Read, but not a template the engine can load.
    Invalid { source: String, error: LoadError },
}

fn coded_entries(template: &Template) -> String {
    match template.questionnaire.distinct_writable_codes() {
        0 => "Writes no coded entries".into(),
        1 => "Can write 1 coded entry".into(),
        n => format!("Can write {n} coded entries"),
    }
}

/// The list of forms, newest first as shipped, and the two ways to open another.
#[function_component(Home)]
pub fn home(props: &HomeProps) -> Html {
    let failure = use_state(|| None::<OpenFailure>);
    let url = use_state(String::new);

    let open_text = {
        let (on_open, failure) = (props.on_open.clone(), failure.clone());
        move |source: String, text: String| match Template::load(&source, &text) {
            Ok(template) => on_open.emit(template),
            Err(error) => failure.set(Some(OpenFailure::Invalid { source, error })),
        }
    };
    let on_file = {
        let (open_text, failure) = (open_text.clone(), failure.clone());
        Callback::from(move |e: Event| {
            let Some(file) = crate::web::chosen_file(&e) else { return };
            let (open_text, failure) = (open_text.clone(), failure.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match crate::web::template_text(crate::web::read_text(&file).await).await {
                    Ok(text) => open_text(file.name(), text),
                    Err(e) => failure.set(Some(OpenFailure::Unreachable(e))),
                }
            });
        })
    };
    let on_url_input = {
        let url = url.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
                url.set(input.value());
            }
        })
    };
    let on_url_submit = {
        let url = url.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if !url.trim().is_empty() {
                crate::web::set_hash(&Route::OpenUrl(url.trim().to_owned()).hash());
            }
        })
    };

    let search = use_state(String::new);
    let on_search = {
        let search = search.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
                search.set(input.value());
            }
        })
    };
    let outbox = use_context::<crate::outbox::Outbox>();
    let config = use_context::<crate::config::AppConfig>();
    // The forms this service may not use: linted once per library, ruleset and setting,
    // not at every keystroke in the search box.
    let not_here = {
        let rules = config.as_ref().map(|c| (c.rules.clone(), c.setting.clone()));
        use_memo((props.library.clone(), rules), |(library, rules)| match (library, rules) {
            (LibraryState::Ready(templates), Some((crate::config::RulesState::Ready(ruleset), setting))) => templates
                .iter()
                .filter(|t| ruleset.lint(&t.questionnaire, setting).is_ok_and(|r| r.is_blocked()))
                .map(|t| t.source.clone())
                .collect(),
            _ => Vec::new(),
        })
    };
    let session = config.as_ref().and_then(|c| c.session.clone());
    html! {
        <>
            if let Some(outbox) = outbox { { outbox_list(&outbox) } }
            if let Some(session) = session { <DraftList {session} /> }
            <h1>{ "Forms" }</h1>
            <p class="lead">{ "Choose a form to fill in. Each says how many coded entries it can write into the shared record." }</p>
            { match &props.library {
                LibraryState::Loading => html! { <p class="loading" role="status">{ "Loading the forms…" }</p> },
                LibraryState::Failed(why) => html! {
                    <div class="error-summary" role="alert"><h2>{ "The list of forms could not be loaded" }</h2><p>{ why }</p></div>
                },
                LibraryState::Ready(templates) => html! {
                    <>
                        if templates.len() > 8 {
                            <div class="search-forms">
                                <label class="question" for="search-forms">{ "Search the forms" }</label>
                                <input class="input" type="search" id="search-forms" value={(*search).clone()} oninput={on_search} />
                            </div>
                        }
                        { template_groups(templates, &search, &not_here) }
                    </>
                },
            } }
            <h2>{ "Open another form" }</h2>
            if let Some(f) = &*failure { { open_failure_view(f) } }
            <div class="open">
                <label class="question" for="open-file">{ "From a file on this device" }</label>
                <div class="hint">{ "A FHIR R4 Questionnaire in JSON" }</div>
                <input class="file" type="file" id="open-file" accept=".json,application/json,application/fhir+json" onchange={on_file} />
            </div>
            <form class="open" onsubmit={on_url_submit}>
                <label class="question" for="open-url">{ "From a web address" }</label>
                <input class="input" type="url" id="open-url" value={(*url).clone()} oninput={on_url_input} placeholder="https://" />
                <button type="submit" class="button secondary">{ "Open" }</button>
            </form>
        </>
    }
}

/// The forms, grouped by what they are about, those matching the search only; the ones
/// the service may not use apart, last, with why. (A function: it holds no state.)
fn template_groups(templates: &[Template], search: &str, blocked: &[String]) -> Html {
    let words: Vec<String> = search.split_whitespace().map(crate::web::lowercase).collect();
    let matches = |t: &Template| {
        let q = &t.questionnaire;
        let text = crate::web::lowercase(&format!(
            "{} {} {}",
            q.display_title(),
            q.description.as_deref().unwrap_or(""),
            q.topic.as_deref().unwrap_or("")
        ));
        words.iter().all(|w| text.contains(w.as_str()))
    };
    let shown: Vec<&Template> = templates.iter().filter(|t| matches(t)).collect();
    let mut groups: Vec<(&str, Vec<&Template>)> = Vec::new();
    let mut not_here: Vec<&Template> = Vec::new();
    for t in &shown {
        if blocked.contains(&t.source) {
            not_here.push(t);
            continue;
        }
        let topic = t.questionnaire.topic.as_deref().unwrap_or("Other forms");
        match groups.iter_mut().find(|(g, _)| *g == topic) {
            Some((_, list)) => list.push(t),
            None => groups.push((topic, vec![t])),
        }
    }
    let entry = |t: &Template| {
        let q = &t.questionnaire;
        html! {
            <li class="template">
                <h3><a href={Route::Form(t.source.clone()).hash()}>{ q.display_title() }</a></h3>
                if let Some(d) = &q.description { <p>{ d }</p> }
                <p class="meta">{ coded_entries(t) }{ " · version " }{ q.version.clone().unwrap_or_default() }</p>
            </li>
        }
    };
    html! {
        <>
            if shown.is_empty() {
                <p class="notice" id="no-forms-found" role="status">{ "No form matches. Try other words." }</p>
            }
            { for groups.iter().map(|(topic, list)| html! {
                <section class="template-group">
                    <h2>{ *topic }</h2>
                    <ul class="template-list">{ for list.iter().map(|t| entry(t)) }</ul>
                </section>
            }) }
            if !not_here.is_empty() {
                <details class="template-group not-here" id="not-for-service-list">
                    <summary>{ format!("Not for your service ({})", not_here.len()) }</summary>
                    <p>{ "These forms would write entries your service does not record in the shared record. Open one to see why and what to do instead." }</p>
                    <ul class="template-list">{ for not_here.iter().map(|t| entry(t)) }</ul>
                </details>
            }
        </>
    }
}

/// The forms not yet taken by the record system, each with where it is; a refused one
/// with the record system's reason and a way to try again once the cause is fixed.
fn outbox_list(outbox: &Outbox) -> Html {
    let waiting: Vec<_> =
        outbox.view.outgoing.iter().filter(|o| !matches!(o.delivery.phase, Phase::Sent { .. })).collect();
    if waiting.is_empty() {
        return html! {};
    }
    html! {
        <section class="outbox-list" id="outbox-list" aria-labelledby="outbox-title">
            <h2 id="outbox-title">{ "Forms waiting to send" }</h2>
            <ul>
                { for waiting.iter().map(|o| {
                    let state = crate::outbox::in_brief(&o.delivery);
                    let retry = matches!(o.delivery.phase, Phase::Refused { .. }).then(|| {
                        let (outbox, id) = (outbox.clone(), o.record.id.clone());
                        Callback::from(move |_| outbox.retry(&id))
                    });
                    html! {
                        <li class="outgoing">
                            <strong>{ &o.record.title }</strong>
                            if let Some(person) = &o.record.person { { format!(" for {}", person.label()) } }
                            { format!(" · {state}") }
                            if let Some(retry) = retry {
                                <button type="button" class="button secondary" onclick={retry}>{ "Try again" }</button>
                            }
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}

/// Why a template did not open. (A function, not a component: it holds no state.)
fn open_failure_view(failure: &OpenFailure) -> Html {
    match failure {
        OpenFailure::Unreachable(why) => html! {
            <div class="error-summary" role="alert"><h2>{ "The form could not be opened" }</h2><p>{ why }</p></div>
        },
        OpenFailure::Invalid { source, error } => html! {
            <div class="error-summary" role="alert">
                <h2>{ format!("{source} is not a form this app can open") }</h2>
                <p>{ "Send these details to whoever made the form:" }</p>
                { diagnostic_list(&error.errors().cloned().collect::<Vec<_>>()) }
            </div>
        },
    }
}

#[derive(Properties, PartialEq)]
pub struct OpenFromUrlProps {
    pub url: String,
    pub on_open: Callback<Template>,
}

/// Fetches a template from a URL and opens it, or says why it cannot.
#[function_component(OpenFromUrl)]
pub fn open_from_url(props: &OpenFromUrlProps) -> Html {
    let failure = use_state(|| None::<OpenFailure>);
    {
        let (failure, on_open) = (failure.clone(), props.on_open.clone());
        use_effect_with(props.url.clone(), move |url| {
            // A new address: the last one's failure is not this one's.
            failure.set(None);
            let url = url.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match crate::web::template_text(crate::web::fetch_text(&url).await).await {
                    Ok(text) => match Template::load(&url, &text) {
                        Ok(template) => on_open.emit(template),
                        Err(error) => failure.set(Some(OpenFailure::Invalid { source: url, error })),
                    },
                    Err(why) => failure.set(Some(OpenFailure::Unreachable(why))),
                }
            });
        });
    }
    match &*failure {
        Some(f) => html! { <>{ open_failure_view(f) }<p><a href="#/">{ "Back to the list of forms" }</a></p></> },
        None => html! { <p class="loading" role="status">{ format!("Opening {}…", props.url) }</p> },
    }
}
