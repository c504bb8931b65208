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
pub mod route;
pub mod web;
pub mod widgets;

use yew::prelude::*;

use std::rc::Rc;

use crate::config::{AppConfig, RulesState};
use crate::form_page::FormPage;
use crate::home::Home;
use crate::library::Template;
use crate::route::Route;

/// The compiled code-impact ruleset, served beside the app (see Trunk.toml).
pub const RULESET_FILE: &str = "formwell-ruleset.json";

/// The whole app: a template library and the form being filled.
#[function_component(App)]
pub fn app() -> Html {
    let route = use_state(|| Route::parse(&web::hash()));
    let opened = use_state(|| None::<Template>);
    let config = use_state(|| AppConfig::from_query(&web::query()));
    {
        // The ruleset is a file of its own beside the app, so the first form renders
        // while it loads.
        let config = config.clone();
        use_effect_with((), move |_| {
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
                config.set(AppConfig { rules, ..(*config).clone() });
            });
        });
    }
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
        Route::Home => html! { <Home on_open={on_open.clone()} /> },
        Route::Form(id) => match library::find(id) {
            Some(template) => html! { <FormPage key={id.clone()} template={template} /> },
            None => html! { <NotFound what={format!("There is no template called \"{id}\".")} /> },
        },
        Route::Opened => match &*opened {
            Some(template) => html! { <FormPage key={template.source.clone()} template={template.clone()} /> },
            None => html! { <NotFound what={"No template is open. Choose one from the list, or open a file."} /> },
        },
        Route::OpenUrl(url) => html! { <home::OpenFromUrl url={url.clone()} on_open={on_open} /> },
    };
    let setting_title = config
        .ruleset()
        .and_then(|r| r.setting(&config.setting).ok().map(|s| s.title.clone()))
        .unwrap_or_else(|| config.setting.clone());
    html! {
        <ContextProvider<AppConfig> context={(*config).clone()}>
            <header class="app-header">
                <a class="app-name" href="#/">{ "Formwell" }</a>
                <span class="app-setting">{ setting_title }</span>
            </header>
            <main class="page" id="main">{ page }</main>
        </ContextProvider<AppConfig>>
    }
}

#[derive(Properties, PartialEq)]
struct NotFoundProps {
    what: AttrValue,
}

#[function_component(NotFound)]
fn not_found(props: &NotFoundProps) -> Html {
    html! {
        <div class="panel">
            <h1>{ "Page not found" }</h1>
            <p>{ props.what.clone() }</p>
            <p><a href="#/">{ "Back to the list of forms" }</a></p>
        </div>
    }
}
