//! The Formwell browser app: a thin Yew shell over the engine. The engine decides what is
//! shown, what is valid and what a submission contains; components only render what it
//! evaluates and send it the person's actions.

pub mod diagnostics_view;
pub mod form_page;
pub mod home;
pub mod item_view;
pub mod library;
pub mod route;
pub mod web;
pub mod widgets;

use yew::prelude::*;

use crate::form_page::FormPage;
use crate::home::Home;
use crate::library::Template;
use crate::route::Route;

/// The whole app: a template library and the form being filled.
#[function_component(App)]
pub fn app() -> Html {
    let route = use_state(|| Route::parse(&web::hash()));
    let opened = use_state(|| None::<Template>);
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
    html! {
        <>
            <header class="app-header">
                <a class="app-name" href="#/">{ "Formwell" }</a>
            </header>
            <main class="page" id="main">{ page }</main>
        </>
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
