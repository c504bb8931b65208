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
                match crate::web::read_text(&file).await {
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

    let outbox = use_context::<crate::outbox::Outbox>();
    let session = use_context::<crate::config::AppConfig>().and_then(|c| c.session);
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
            <ul class="template-list">
                { for templates.iter().map(|t| {
                    let q = &t.questionnaire;
                    html! {
                        <li class="template">
                            <h2><a href={Route::Form(t.source.clone()).hash()}>{ q.display_title() }</a></h2>
                            if let Some(d) = &q.description { <p>{ d }</p> }
                            <p class="meta">{ coded_entries(t) }{ " · version " }{ q.version.clone().unwrap_or_default() }</p>
                        </li>
                    }
                }) }
            </ul>
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
                            <strong>{ &o.record.title }</strong>{ format!(" · {state}") }
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
                match crate::web::fetch_text(&url).await {
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
