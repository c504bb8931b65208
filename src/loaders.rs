//! What the app loads at start, and the record system's check: each a hook that fetches
//! and then tells the configuration's reducer (or its own state) what came. The ruleset
//! and the template library are files beside the app, so the first form renders while
//! they load, and all of them are cached for offline use.

use std::rc::Rc;

use formwell_engine::submit::person::Person;
use formwell_engine::Capabilities;
use yew::prelude::*;

use crate::config::{AppConfig, BackendState, ConfigEvent, RulesState};
use crate::library::{self, LibraryState};
use crate::web;

/// The compiled code-impact ruleset, served beside the app (see Trunk.toml).
pub const RULESET_FILE: &str = "formwell-ruleset.json";
/// The optional configuration file served beside the app.
pub const CONFIG_FILE: &str = "formwell.config.json";

/// Loads the ruleset and the served configuration once, into the configuration.
#[hook]
pub fn use_start_up(dispatch: UseReducerDispatcher<AppConfig>) {
    use_effect_with((), move |_| {
        let rules = dispatch.clone();
        wasm_bindgen_futures::spawn_local(async move {
            rules.dispatch(ConfigEvent::RulesLoaded(load_ruleset(RULESET_FILE).await));
        });
        wasm_bindgen_futures::spawn_local(async move {
            // The served configuration file is optional; the query string wins over it.
            if let Ok(text) = web::fetch_text(CONFIG_FILE).await {
                if let Ok(file) = serde_json::from_str::<serde_json::Value>(&text) {
                    dispatch.dispatch(ConfigEvent::FileRead { file, query: web::query() });
                }
            }
        });
    });
}

/// Fetches and reads the compiled ruleset (its load time published for the benchmark).
pub async fn load_ruleset(url: &str) -> RulesState {
    match web::fetch_text(url).await {
        Ok(text) => {
            let started = web::now_ms();
            let loaded = formwell_engine::Ruleset::from_json(&text);
            web::publish_measure("formwellRulesetLoadMs", web::now_ms() - started);
            match loaded {
                Ok(ruleset) => RulesState::Ready(Rc::new(ruleset)),
                Err(e) => RulesState::Failed(e),
            }
        }
        Err(e) => RulesState::Failed(e),
    }
}

/// The shipped templates, loaded once.
#[hook]
pub fn use_library() -> LibraryState {
    let library = use_state(|| LibraryState::Loading);
    {
        let library = library.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let text = web::template_text(web::fetch_text(library::LIBRARY_FILE).await).await;
                let state = match text.and_then(|t| library::from_library_json(&t)) {
                    Ok((templates, broken)) => {
                        for b in broken {
                            web_sys::console::error_1(&format!("a shipped template does not load: {b}").into());
                        }
                        LibraryState::Ready(Rc::new(templates))
                    }
                    Err(why) => LibraryState::Failed(why),
                };
                library.set(state);
            });
        });
    }
    (*library).clone()
}

/// Checks the record system whenever it, or the sign-in to it, changes: its
/// `/metadata`, then something that needs the token, so a wrong one shows now and not at
/// the first submission.
#[hook]
pub fn use_backend_check(config: &AppConfig, dispatch: UseReducerDispatcher<AppConfig>) {
    let signed_in = config.session.is_some() || !config.needs_sign_in();
    let backend = config.backend.clone().filter(|_| signed_in);
    let timeout = config.send_timeout_ms;
    use_effect_with(backend, move |backend| {
        if let Some(backend) = backend.clone() {
            wasm_bindgen_futures::spawn_local(async move {
                let state = check(&backend.base, backend.token.as_deref(), timeout).await;
                dispatch.dispatch(ConfigEvent::BackendChecked(state));
            });
        }
    });
}

async fn check(base: &str, token: Option<&str>, timeout: u32) -> BackendState {
    let Some(token) = token else {
        return BackendState::NotAllowed(formwell_engine::submit::delivery::no_sign_in(base));
    };
    match web::fhir_request("GET", &format!("{base}/metadata"), None, Some(token), timeout).await {
        web::Exchange::Answered { status: 200, body } => {
            let caps = serde_json::from_str(&body)
                .map_err(|e| e.to_string())
                .and_then(|json| Capabilities::from_capability_statement(&json));
            match caps.and_then(|caps| caps.idempotency().map(|_| caps)) {
                Ok(caps) => {
                    // The CapabilityStatement is often public: ask something that needs
                    // the token.
                    let probe = format!("{base}/QuestionnaireResponse?_count=0");
                    match web::fhir_request("GET", &probe, None, Some(token), timeout).await {
                        web::Exchange::Answered { status: 401 | 403, .. } => not_allowed(),
                        _ => BackendState::Ready(caps),
                    }
                }
                Err(why) => BackendState::Unsuitable(why),
            }
        }
        web::Exchange::Answered { status: 401 | 403, .. } => not_allowed(),
        web::Exchange::Answered { status, .. } => BackendState::Unreachable(format!("its /metadata answered {status}")),
        web::Exchange::NoAnswer(why) => BackendState::Unreachable(why),
    }
}

fn not_allowed() -> BackendState {
    BackendState::NotAllowed(formwell_engine::submit::delivery::NOT_ALLOWED.into())
}

/// The person a link or an embedding names (`patient=Patient/123`), read from the record
/// once someone is signed in, and chosen for the forms; as far as it could be read when
/// the record does not answer. Without a sign-in to that record system nothing is asked of
/// it: the person is only the reference the link gave.
#[hook]
pub fn use_launch_person(config: &AppConfig, dispatch: UseReducerDispatcher<AppConfig>) {
    let wanted = config
        .backend
        .as_ref()
        .filter(|_| config.session.is_some() && config.person.is_none())
        .and_then(|b| Some((b.base.clone(), b.token.clone(), b.patient.clone()?)));
    let timeout = config.send_timeout_ms;
    let session = config.session.clone();
    use_effect_with(wanted, move |wanted| {
        if let Some((base, token, reference)) = wanted.clone() {
            wasm_bindgen_futures::spawn_local(async move {
                let url = format!("{base}/{reference}");
                let person = match token {
                    Some(token) => match web::fhir_request("GET", &url, None, Some(&token), timeout).await {
                        web::Exchange::Answered { status: 200, body } => {
                            serde_json::from_str(&body).ok().and_then(|json| Person::from_patient(&json))
                        }
                        _ => None,
                    },
                    None => None,
                };
                // Someone the record knows is one of the people this tablet has seen.
                if let (Some(person), Some(session)) = (&person, &session) {
                    let _ = session.remember_person(person, &web::now()).await;
                }
                let person = person.unwrap_or(Person { reference: Some(reference), name: String::new(), birth_date: None, nhs_number: None });
                dispatch.dispatch(ConfigEvent::PersonChosen(Some(person)));
            });
        }
    });
}
