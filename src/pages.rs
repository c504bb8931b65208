//! Which page a route shows: sign-in first when the tablet keeps what it sends, then a
//! draft, a shipped form, an opened one, or the list. Only chooses; each page is its own.

use yew::prelude::*;

use crate::config::AppConfig;
use crate::draft_pages::{DraftPage, FormStart};
use crate::person_picker::PersonPicker;
use formwell_engine::submit::person::Person;
use crate::form_page::FormPage;
use crate::home::{Home, OpenFromUrl};
use crate::library::{LibraryState, Template};
use crate::route::Route;
use crate::session::SessionView;
use crate::sign_in::SignIn;
use crate::vault::Session;

/// What the app holds that the pages need.
pub struct PageContext<'a> {
    pub config: &'a AppConfig,
    pub library: &'a LibraryState,
    pub opened: Option<&'a Template>,
    pub session_view: &'a SessionView,
    pub on_signed_in: Callback<Session>,
    pub on_open: Callback<Template>,
    pub on_person: Callback<Person>,
}

pub fn page(route: &Route, cx: PageContext<'_>) -> Html {
    let config = cx.config;
    if config.needs_sign_in() && config.session.is_none() {
        let name = cx.session_view.last_staff.clone().or_else(|| config.staff.clone());
        return html! {
            <SignIn staff={name} notice={cx.session_view.notice.clone()} on_signed_in={cx.on_signed_in} />
        };
    }
    // A form that writes to a record first asks whose record.
    let picker = |then: Option<Route>| {
        html! { <PersonPicker {then} library={cx.library.clone()} on_chosen={cx.on_person.clone()} /> }
    };
    let needs_person = config.backend.is_some() && config.person.is_none();
    match route {
        Route::Draft(id) => match &config.session {
            Some(session) => {
                html! { <DraftPage id={id.clone()} library={cx.library.clone()} session={session.clone()} on_person={cx.on_person.clone()} /> }
            }
            None => not_found("Drafts are kept only when this app sends forms to a record system."),
        },
        Route::Home => html! { <Home on_open={cx.on_open} library={cx.library.clone()} /> },
        Route::Person(then) => picker(then.clone().map(Route::Form)),
        Route::Form(_) if needs_person => picker(Some(route.clone())),
        Route::Form(id) => match (cx.library.find(id), cx.library, &config.session) {
            (Some(template), _, Some(session)) => html! {
                <FormStart key={id.clone()} template={template} session={session.clone()} person={config.person.clone()} />
            },
            (Some(template), _, None) => html! { <FormPage key={id.clone()} template={template} /> },
            (None, LibraryState::Loading, _) => html! { <p class="loading" role="status">{ "Opening the form…" }</p> },
            (None, _, _) => not_found(&format!("There is no template called \"{id}\".")),
        },
        // A form opened from a file or address goes on to that form, not back to the list.
        Route::Opened if needs_person => picker(Some(Route::Opened)),
        Route::Opened => match cx.opened {
            Some(template) => html! { <FormPage key={template.source.clone()} template={template.clone()} /> },
            None => not_found("No template is open. Choose one from the list, or open a file."),
        },
        Route::OpenUrl(url) => html! { <OpenFromUrl url={url.clone()} on_open={cx.on_open} /> },
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
