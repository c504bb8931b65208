//! The Formwell browser app: a thin Yew shell over the engine. The engine decides what is
//! shown, what is valid, what a submission contains and how it is delivered; components
//! only render what it evaluates and send it the person's actions, and the few browser
//! services (`web`, `vault`, `outbox`) carry out what it asks.
//!
//! `App` composes: the configuration (a reducer: `config`), what loads at start
//! (`loaders`), the session (`session`: sign-in, the lock, sign-out), the outbox, the
//! route, and which page it shows (`pages`).

pub mod config;
pub mod diagnostics_view;
pub mod draft_pages;
pub mod drafts;
pub mod embed;
pub mod form_page;
pub mod header;
pub mod home;
pub mod impact_view;
pub mod item_view;
pub mod library;
pub mod loaders;
pub mod outbox;
pub mod pages;
pub mod person_picker;
pub mod prefill;
pub mod route;
pub mod session;
pub mod sign_in;
pub mod studio;
pub mod submission;
pub mod vault;
pub mod web;
pub mod widgets;

use yew::prelude::*;

use crate::config::AppConfig;
use crate::library::Template;
use crate::outbox::{outbox_bar, use_outbox, Outbox};
use crate::route::Route;
use crate::session::{use_session, SessionEvent};
use crate::sign_in::SignOutPanel;

/// The whole app.
#[function_component(App)]
pub fn app() -> Html {
    let config = use_reducer(|| AppConfig::from_query(&web::query()));
    loaders::use_start_up(config.dispatcher());
    loaders::use_backend_check(&config, config.dispatcher());
    let library = loaders::use_library();
    let outbox = use_outbox(config.send_timeout_ms);
    let session = use_session(&config, config.dispatcher(), &outbox);
    let route = use_route();
    {
        // Signing in or out: the address may have moved on meanwhile without a hashchange
        // (a draft given its address), so the route is read again, and a form kept as a
        // draft opens where it was after the next sign-in.
        let route = route.clone();
        use_effect_with(config.session.is_some(), move |_| route.set(Route::parse(&web::hash())));
    }
    let opened = use_state(|| None::<Template>);
    let offline_ready = use_offline_ready();
    let online = use_online();

    let on_open = {
        let opened = opened.clone();
        Callback::from(move |template: Template| {
            opened.set(Some(template));
            web::set_hash(&Route::Opened.hash());
        })
    };
    let lock = {
        let end = session.end.clone();
        Callback::from(move |_| end.emit("Locked. Your drafts are kept: sign in to carry on.".into()))
    };
    let ask_sign_out = {
        let view = session.view.dispatcher();
        Callback::from(move |_| view.dispatch(SessionEvent::AskSignOut))
    };
    // Choosing the person: for the forms from now on, and remembered on the tablet.
    let on_person = {
        let (dispatch, signed_in) = (config.dispatcher(), config.session.clone());
        Callback::from(move |person: formwell_engine::submit::person::Person| {
            if let Some(session) = signed_in.clone() {
                let person = person.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = session.remember_person(&person, &web::now()).await;
                });
            }
            dispatch.dispatch(config::ConfigEvent::PersonChosen(Some(person)));
        })
    };
    loaders::use_launch_person(&config, config.dispatcher());
    let page = pages::page(
        &route,
        pages::PageContext {
            config: &config,
            library: &library,
            opened: opened.as_ref(),
            session_view: &session.view,
            on_signed_in: session.signed_in.clone(),
            on_open,
            on_person,
        },
    );
    let config_value: AppConfig = (*config).clone();
    html! {
        <ContextProvider<AppConfig> context={config_value}>
        <ContextProvider<Outbox> context={outbox.clone()}>
            { header::header(&config, online, offline_ready, lock, ask_sign_out) }
            { outbox_bar(&outbox) }
            if let (true, Some(signed_in)) = (session.view.signing_out, &config.session) {
                <SignOutPanel session={signed_in.clone()} pending={outbox.view.pending()} on_done={session.end.clone()}
                    on_cancel={let v = session.view.dispatcher(); Callback::from(move |_| v.dispatch(SessionEvent::CancelSignOut))} />
            }
            <main class="page" id="main">{ page }</main>
        </ContextProvider<Outbox>>
        </ContextProvider<AppConfig>>
    }
}

/// The route, following the address's hash.
#[hook]
fn use_route() -> UseStateHandle<Route> {
    let route = use_state(|| Route::parse(&web::hash()));
    {
        let route = route.clone();
        use_effect_with((), move |_| {
            let stop = web::on_window_event("hashchange", move || route.set(Route::parse(&web::hash())));
            move || stop()
        });
    }
    route
}

/// Whether this tablet can open the app with no network yet: staff should not leave the
/// wifi on a first visit before it says so.
#[hook]
fn use_offline_ready() -> Option<bool> {
    let offline_ready = use_state(web::offline_ready);
    {
        let offline_ready = offline_ready.clone();
        use_effect_with((), move |_| {
            web::on_window_event("formwell-offline-ready", move || offline_ready.set(web::offline_ready()))
        });
    }
    *offline_ready
}

/// Whether the browser has a network, following it as it comes and goes.
#[hook]
fn use_online() -> bool {
    let online = use_state(|| !web::offline());
    {
        let online = online.clone();
        use_effect_with((), move |_| {
            let (up, down) = (online.clone(), online);
            let stop_up = web::on_window_event("online", move || up.set(true));
            let stop_down = web::on_window_event("offline", move || down.set(false));
            move || {
                stop_up();
                stop_down();
            }
        });
    }
    *online
}
