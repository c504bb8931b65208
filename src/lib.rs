//! The Formwell browser app: a thin Yew shell over the engine. The engine decides what is
//! shown, what is valid and what a submission contains; components only render what it
//! evaluates and send it the person's actions.

pub mod config;
pub mod diagnostics_view;
pub mod form_page;
pub mod home;
pub mod impact_view;
pub mod item_view;
pub mod library;
pub mod outbox;
pub mod route;
pub mod web;
pub mod widgets;

use yew::prelude::*;

use std::cell::RefCell;
use std::rc::Rc;

use formwell_engine::Capabilities;

use crate::config::{AppConfig, BackendState, RulesState};
use crate::form_page::FormPage;
use crate::home::Home;
use crate::library::{LibraryState, Template};
use crate::outbox::{Outbox, Outgoing};
use crate::route::Route;

/// The compiled code-impact ruleset, served beside the app (see Trunk.toml).
pub const RULESET_FILE: &str = "formwell-ruleset.json";
/// One change to the app's configuration, applied to its latest value.
type ConfigChange = Box<dyn FnOnce(&mut AppConfig)>;

/// The optional configuration file served beside the app.
pub const CONFIG_FILE: &str = "formwell.config.json";

/// Reads the backend's CapabilityStatement and records what it supports.
async fn check_backend(config: Rc<RefCell<AppConfig>>, update: Callback<ConfigChange>) {
    let (backend, timeout) = {
        let c = config.borrow();
        (c.backend.clone(), c.send_timeout_ms)
    };
    let Some(backend) = backend else { return };
    let state =
        match web::fhir_request("GET", &format!("{}/metadata", backend.base), None, backend.token.as_deref(), timeout)
            .await
        {
            web::Exchange::Answered { status: 200, body } => {
                match serde_json::from_str(&body)
                    .map_err(|e| e.to_string())
                    .and_then(|json| Capabilities::from_capability_statement(&json))
                {
                    Ok(caps) => match caps.idempotency() {
                        // The CapabilityStatement is often public: ask something that needs
                        // the token, so a wrong one shows now, not at the first submission.
                        Ok(_) => {
                            let probe = format!("{}/QuestionnaireResponse?_count=0", backend.base);
                            match web::fhir_request("GET", &probe, None, backend.token.as_deref(), timeout).await {
                                web::Exchange::Answered { status: 401 | 403, .. } => BackendState::Unreachable(
                                    "it refused this app's token (answered 401 or 403)".into(),
                                ),
                                _ => BackendState::Ready(caps),
                            }
                        }
                        Err(why) => BackendState::Unsuitable(why),
                    },
                    Err(why) => BackendState::Unsuitable(why),
                }
            }
            web::Exchange::Answered { status, .. } => {
                BackendState::Unreachable(format!("its /metadata answered {status}"))
            }
            web::Exchange::NoAnswer(why) => BackendState::Unreachable(why),
        };
    update.emit(Box::new(move |c: &mut AppConfig| c.backend_state = state));
}

/// The whole app: a template library and the form being filled.
#[function_component(App)]
pub fn app() -> Html {
    let route = use_state(|| Route::parse(&web::hash()));
    let opened = use_state(|| None::<Template>);
    // The configuration is a value that several loads fill in; each load changes its own
    // part of the latest value, so they cannot overwrite one another.
    let config_cell = use_mut_ref(|| AppConfig::from_query(&web::query()));
    let config_generation = use_state(|| 0u64);
    let update_config = {
        let (cell, generation) = (config_cell.clone(), config_generation.clone());
        Callback::from(move |change: ConfigChange| {
            change(&mut cell.borrow_mut());
            generation.set(*generation + 1);
        })
    };
    {
        let (update, cell) = (update_config.clone(), config_cell.clone());
        use_effect_with((), move |_| {
            let rules_update = update.clone();
            // The ruleset is a file of its own beside the app, so the first form renders
            // while it loads.
            wasm_bindgen_futures::spawn_local(async move {
                let rules = match web::fetch_text(RULESET_FILE).await {
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
                };
                rules_update.emit(Box::new(move |c: &mut AppConfig| c.rules = rules));
            });
            wasm_bindgen_futures::spawn_local(async move {
                // The served configuration file is optional; the query string wins over it.
                if let Ok(text) = web::fetch_text(CONFIG_FILE).await {
                    if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
                        let query = web::query();
                        update.emit(Box::new(move |c: &mut AppConfig| {
                            c.apply_file(&json);
                            c.apply_query(&query);
                        }));
                    }
                }
                check_backend(cell, update).await;
            });
        });
    }
    let config = config_cell.borrow().clone();
    let library = use_state(|| LibraryState::Loading);
    {
        let library = library.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let state = match web::fetch_text(library::LIBRARY_FILE)
                    .await
                    .and_then(|text| library::from_library_json(&text))
                {
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
    let outbox_items = use_mut_ref(Vec::<Outgoing>::new);
    let outbox_wake = use_mut_ref(Vec::<String>::new);
    let outbox_generation = use_state(|| 0u64);
    let outbox = {
        let generation = outbox_generation.clone();
        Outbox::new(
            outbox_items,
            *outbox_generation,
            Callback::from(move |_| generation.set(*generation + 1)),
            outbox_wake,
        )
    };
    {
        let route = route.clone();
        use_effect_with((), move |_| {
            let stop = web::on_hash_change(move || route.set(Route::parse(&web::hash())));
            move || stop()
        });
    }
    let on_open = {
        let opened = opened.clone();
        Callback::from(move |template: Template| {
            opened.set(Some(template));
            web::set_hash(&Route::Opened.hash());
        })
    };
    let page = match &*route {
        Route::Home => html! { <Home on_open={on_open.clone()} library={(*library).clone()} /> },
        Route::Form(id) => match (library.find(id), &*library) {
            (Some(template), _) => html! { <FormPage key={id.clone()} template={template} /> },
            (None, LibraryState::Loading) => html! { <p class="loading" role="status">{ "Opening the form…" }</p> },
            (None, _) => not_found(&format!("There is no template called \"{id}\".")),
        },
        Route::Opened => match &*opened {
            Some(template) => html! { <FormPage key={template.source.clone()} template={template.clone()} /> },
            None => not_found("No template is open. Choose one from the list, or open a file."),
        },
        Route::OpenUrl(url) => html! { <home::OpenFromUrl url={url.clone()} on_open={on_open} /> },
    };
    let setting_title = config
        .ruleset()
        .and_then(|r| r.setting(&config.setting).ok().map(|s| s.title.clone()))
        .unwrap_or_else(|| config.setting.clone());
    let record = match &config.backend_state {
        BackendState::NotConfigured => "No record system configured".to_owned(),
        BackendState::Checking => "Checking the record system…".to_owned(),
        BackendState::Ready(caps) => format!("Record system: {}", caps.describe()),
        BackendState::Unsuitable(why) => format!("Record system unsuitable: {why}"),
        BackendState::Unreachable(why) => format!("Record system not reachable: {why}"),
    };
    html! {
        <ContextProvider<AppConfig> context={config.clone()}>
        <ContextProvider<Outbox> context={outbox}>
            <header class="app-header">
                <a class="app-name" href="#/">{ "Formwell" }</a>
                <span class="app-setting">{ setting_title }</span>
                <span class="app-record" id="record-status" role="status">{ record }</span>
            </header>
            <main class="page" id="main">{ page }</main>
        </ContextProvider<Outbox>>
        </ContextProvider<AppConfig>>
    }
}

/// A page that is not there. (A function, not a component: it holds no state.)
fn not_found(what: &str) -> Html {
    html! {
        <div class="panel">
            <h1>{ "Page not found" }</h1>
            <p>{ what }</p>
            <p><a href="#/">{ "Back to the list of forms" }</a></p>
        </div>
    }
}
