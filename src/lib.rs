//! The Formwell browser app: a thin Yew shell over the engine. The engine decides what is
//! shown, what is valid and what a submission contains; components only render what it
//! evaluates and send it the person's actions.

pub mod config;
pub mod diagnostics_view;
pub mod draft;
pub mod form_page;
pub mod home;
pub mod impact_view;
pub mod item_view;
pub mod library;
pub mod outbox;
pub mod route;
pub mod sign_in;
pub mod vault;
pub mod web;
pub mod widgets;

use yew::prelude::*;

use std::cell::RefCell;
use std::rc::Rc;

use formwell_engine::Capabilities;

use crate::config::{AppConfig, BackendState, RulesState};
use crate::draft::DraftPage;
use crate::form_page::FormPage;
use crate::home::Home;
use crate::library::{LibraryState, Template};
use crate::outbox::{outbox_bar, Destination, Outbox};
use crate::route::Route;
use crate::sign_in::SignIn;
use crate::vault::Session;

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
        // Before sign-in the token is still locked away: the check waits for it.
        if c.needs_sign_in() && c.session.is_none() {
            return;
        }
        (c.backend.clone(), c.send_timeout_ms)
    };
    let Some(backend) = backend else { return };
    if backend.token.is_none() {
        let why = format!(
            "this tablet has no sign-in for the record system at {}: open the link you were given for it",
            backend.base
        );
        update.emit(Box::new(move |c: &mut AppConfig| c.backend_state = BackendState::NotAllowed(why)));
        return;
    }
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
                                web::Exchange::Answered { status: 401 | 403, .. } => {
                                    BackendState::NotAllowed(outbox::NOT_ALLOWED.into())
                                }
                                _ => BackendState::Ready(caps),
                            }
                        }
                        Err(why) => BackendState::Unsuitable(why),
                    },
                    Err(why) => BackendState::Unsuitable(why),
                }
            }
            web::Exchange::Answered { status: 401 | 403, .. } => BackendState::NotAllowed(outbox::NOT_ALLOWED.into()),
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
    let outbox_generation = use_state(|| 0u64);
    let outbox = {
        let generation = outbox_generation.clone();
        // `use_mut_ref` keeps one outbox for the page's life; the generation marks changes.
        let outbox = use_mut_ref(move || {
            let counter = Rc::new(std::cell::Cell::new(0u64));
            Outbox::new(Callback::from(move |_| {
                counter.set(counter.get() + 1);
                generation.set(counter.get());
            }))
        });
        let outbox = outbox.borrow().with_generation(*outbox_generation);
        outbox
    };
    {
        // Another tab changed the outbox, or the network came back: read it again and send.
        let outbox = outbox.clone();
        use_effect_with((), move |_| {
            let closure = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || outbox.reload());
            vault::watch_outbox(&closure);
            closure.forget();
        });
    }
    {
        let outbox = outbox.clone();
        // Signing in needs no extra call: the outbox starts sending when it gets its session.
        use_effect_with((config.backend.clone(), config.send_timeout_ms), move |(backend, timeout_ms)| {
            let destination = backend.clone().map(|backend| Destination { backend, timeout_ms: *timeout_ms });
            outbox.set_destination(destination);
        });
    }
    // Why the sign-in page shows, when it is not the first sign-in.
    let sign_in_notice = use_state(|| None::<String>);
    let signing_out = use_state(|| false);
    // Forgets the key and everything read with it; the route is read again so that a
    // form kept as a draft opens where it was after the next sign-in.
    let sign_out = {
        let (update, outbox, notice, route, signing_out) =
            (update_config.clone(), outbox.clone(), sign_in_notice.clone(), route.clone(), signing_out.clone());
        Callback::from(move |why: String| {
            outbox.set_session(None);
            // The person's token goes with their key.
            update.emit(Box::new(|c: &mut AppConfig| {
                c.session = None;
                if let Some(b) = c.backend.as_mut() {
                    b.token = None;
                }
            }));
            notice.set(Some(why));
            signing_out.set(false);
            route.set(Route::parse(&web::hash()));
        })
    };
    let on_signed_in = {
        let (update, outbox, cell) = (update_config.clone(), outbox.clone(), config_cell.clone());
        Callback::from(move |session: Session| {
            let (update, outbox, cell) = (update.clone(), outbox.clone(), cell.clone());
            wasm_bindgen_futures::spawn_local(async move {
                // A token given to this page is kept, encrypted, for this member of staff
                // and bound to this record system, and taken out of the address; without
                // one, the one kept for this record system (and no other) is used.
                let (base, given, served) = {
                    let c = cell.borrow();
                    let backend = c.backend.as_ref();
                    (
                        backend.map(|b| b.base.clone()).unwrap_or_default(),
                        backend.and_then(|b| b.token.clone()),
                        c.served_base.clone(),
                    )
                };
                session.bind_unbound_token(served.as_deref()).await;
                let token = match given {
                    Some(token) => {
                        if session.keep_token(&base, &token).await.is_ok() {
                            web::replace_hash(&format!(
                                "{}{}{}",
                                web::path(),
                                config::without_token(&web::query()),
                                web::hash()
                            ));
                        }
                        Some(token)
                    }
                    None => session.token_for(&base).await,
                };
                outbox.set_session(Some(session.clone()));
                if token.is_some() {
                    outbox.token_renewed(&base);
                }
                update.emit(Box::new(move |c: &mut AppConfig| {
                    c.session = Some(session);
                    if let Some(b) = c.backend.as_mut() {
                        b.token = token;
                    }
                }));
                check_backend(cell, update).await;
            });
        })
    };
    {
        // The inactivity lock: untouched for the configured time, the app forgets the key.
        let sign_out = sign_out.clone();
        let lock_after_s = config.lock_after_s;
        use_effect_with((config.session.clone(), lock_after_s), move |(session, lock_after_s)| {
            let stop = session.as_ref().map(|_| {
                let minutes = (*lock_after_s).div_ceil(60);
                let why = if *lock_after_s >= 60 {
                    format!("Locked after {minutes} minute{} without use.", if minutes == 1 { "" } else { "s" })
                } else {
                    format!("Locked after {lock_after_s} seconds without use.")
                };
                vault::watch_idle(lock_after_s * 1000, move || {
                    sign_out.emit(format!("{why} Your drafts are kept: sign in to carry on."))
                })
            });
            move || {
                if let Some(stop) = stop {
                    stop()
                }
            }
        });
    }
    {
        let route = route.clone();
        use_effect_with((), move |_| {
            let stop = web::on_window_event("hashchange", move || route.set(Route::parse(&web::hash())));
            move || stop()
        });
    }
    // Whether this tablet can open the app with no network yet: staff should not leave
    // the wifi on a first visit before it says so.
    let offline_ready = use_state(web::offline_ready);
    {
        let offline_ready = offline_ready.clone();
        use_effect_with((), move |_| {
            web::on_window_event("formwell-offline-ready", move || offline_ready.set(web::offline_ready()))
        });
    }
    let on_open = {
        let opened = opened.clone();
        Callback::from(move |template: Template| {
            opened.set(Some(template));
            web::set_hash(&Route::Opened.hash());
        })
    };
    let page = match (&*route, &config.session) {
        _ if config.needs_sign_in() && config.session.is_none() => html! {
            <SignIn staff={config.staff.clone()} notice={(*sign_in_notice).clone()} on_signed_in={on_signed_in} />
        },
        (Route::Draft(id), Some(session)) => {
            html! { <DraftPage id={id.clone()} library={(*library).clone()} session={session.clone()} /> }
        }
        (Route::Draft(_), None) => not_found("Drafts are kept only when this app sends forms to a record system."),
        (route, _) => match route {
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
            Route::Draft(_) => html! {},
        },
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
        BackendState::NotAllowed(why) => format!("Record system: {why}"),
    };
    // A record system the address named, not this tablet's own: said plainly, in case
    // the link was not what it seemed.
    let other_system = config.other_system().map(|base| {
        format!("This link sends forms to a record system that is not this tablet's usual one: {base}. Your sign-in to the usual one is not used for it.")
    });
    html! {
        <ContextProvider<AppConfig> context={config.clone()}>
        <ContextProvider<Outbox> context={outbox.clone()}>
            <header class="app-header">
                <a class="app-name" href="#/">{ "Formwell" }</a>
                <span class="app-setting">{ setting_title }</span>
                <span class="app-record" id="record-status" role="status">{ record }</span>
                if let Some(ready) = *offline_ready {
                    <span class="app-offline" id="offline-status" role="status">
                        { if ready { "Ready to work offline" } else { "Getting ready to work offline: keep the network on" } }
                    </span>
                }
                if let Some(session) = &config.session {
                    <span class="app-staff">
                        { format!("Signed in as {}", session.staff) }
                        <button type="button" class="button secondary" id="lock-now"
                            onclick={let s = sign_out.clone(); move |_| s.emit("Locked. Your drafts are kept: sign in to carry on.".into())}>
                            { "Lock" }
                        </button>
                        <button type="button" class="button secondary" id="sign-out"
                            onclick={let s = signing_out.clone(); move |_| s.set(true)}>{ "Sign out" }</button>
                    </span>
                }
            </header>
            if let Some(warning) = other_system {
                <p class="notice warning" id="other-system" role="alert">{ warning }</p>
            }
            if config.public_token_ignored {
                <p class="notice warning" id="public-token" role="alert">
                    { "This copy of Formwell has a token in its public configuration file, where anyone could read it, so it is not used. Whoever looks after Formwell should remove it and give each member of staff their own link." }
                </p>
            }
            { outbox_bar(&outbox) }
            if let (true, Some(session)) = (*signing_out, &config.session) {
                <SignOutPanel session={session.clone()} pending={outbox.pending()} on_done={sign_out.clone()}
                    on_cancel={let s = signing_out.clone(); Callback::from(move |_| s.set(false))} />
            }
            <main class="page" id="main">{ page }</main>
        </ContextProvider<Outbox>>
        </ContextProvider<AppConfig>>
    }
}

#[derive(Properties, PartialEq)]
struct SignOutPanelProps {
    session: Session,
    pending: usize,
    on_done: Callback<String>,
    on_cancel: Callback<()>,
}

/// Signing out forgets the key; once nothing waits to send, it offers to remove this
/// person's drafts and PIN from the tablet too.
#[function_component(SignOutPanel)]
fn sign_out_panel(props: &SignOutPanelProps) -> Html {
    let failed = use_state(|| None::<String>);
    let keep = {
        let done = props.on_done.clone();
        Callback::from(move |_| done.emit("Signed out. Your drafts stay on this tablet, encrypted.".into()))
    };
    let cancel = {
        let cancel = props.on_cancel.clone();
        Callback::from(move |_| cancel.emit(()))
    };
    let wipe = {
        let (session, done, failed) = (props.session.clone(), props.on_done.clone(), failed.clone());
        Callback::from(move |_| {
            let (session, done, failed) = (session.clone(), done.clone(), failed.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match session.wipe().await {
                    Ok(()) => done.emit("Signed out, and your drafts and PIN were removed from this tablet.".into()),
                    Err(e) => failed.set(Some(e.to_string())),
                }
            });
        })
    };
    let waiting = props.pending;
    html! {
        <div class="panel sign-out" id="sign-out-panel" role="dialog" aria-labelledby="sign-out-title">
            <h2 id="sign-out-title">{ "Sign out" }</h2>
            if waiting > 0 {
                <p>{ format!("{waiting} form{} still waiting to send. {} kept on this tablet, encrypted, and sent when you next sign in.",
                    if waiting == 1 { " is" } else { "s are" }, if waiting == 1 { "It is" } else { "They are" }) }</p>
                <div class="actions">
                    <button type="button" class="button" onclick={keep}>{ "Sign out" }</button>
                    <button type="button" class="button secondary" onclick={cancel}>{ "Stay signed in" }</button>
                </div>
            } else {
                <p>{ "Nothing is waiting to send. You can also remove your drafts and your PIN from this tablet." }</p>
                if let Some(why) = &*failed { <p class="error-message" role="alert">{ why }</p> }
                <div class="actions">
                    <button type="button" class="button warning" id="sign-out-wipe" onclick={wipe}>{ "Sign out and remove my data" }</button>
                    <button type="button" class="button" id="sign-out-keep" onclick={keep}>{ "Sign out, keep my drafts" }</button>
                    <button type="button" class="button secondary" onclick={cancel}>{ "Stay signed in" }</button>
                </div>
            }
        </div>
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
