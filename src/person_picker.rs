//! Choosing whose record a form goes into, before any question: someone this member of
//! staff has recorded for on this tablet (kept encrypted, like drafts), someone found in
//! the record by name and date of birth or by NHS number, or a new family, registered by
//! the form that registers people.

use formwell_engine::submit::person::{people_found, Person, PersonSearch};
use yew::prelude::*;

use crate::config::AppConfig;
use crate::library::LibraryState;
use crate::route::Route;
use crate::web::{self, Exchange};

#[derive(Properties, PartialEq)]
pub struct PersonPickerProps {
    /// Where to go once someone is chosen: the form they were chosen for (a shipped
    /// template, or the one opened from a file or address); the list of forms when `None`.
    pub then: Option<Route>,
    pub library: LibraryState,
    /// Chooses the person (and remembers them on the tablet).
    pub on_chosen: Callback<Person>,
}

/// Where a search is.
#[derive(Debug, Clone, PartialEq)]
enum Found {
    Nothing,
    Searching,
    People(Vec<Person>),
    Problem(String),
}

#[function_component(PersonPicker)]
pub fn person_picker(props: &PersonPickerProps) -> Html {
    let config = use_context::<AppConfig>().expect("the app provides its configuration");
    let recent = use_state(Vec::<Person>::new);
    let found = use_state(|| Found::Nothing);
    let name = use_node_ref();
    let born = use_node_ref();
    {
        let (recent, session) = (recent.clone(), config.session.clone());
        use_effect_with(session, move |session| {
            if let Some(session) = session.clone() {
                wasm_bindgen_futures::spawn_local(async move { recent.set(session.people().await) });
            }
        });
    }
    let choose = |person: Person| {
        let (on_chosen, then) = (props.on_chosen.clone(), props.then.clone());
        Callback::from(move |_: MouseEvent| {
            on_chosen.emit(person.clone());
            // On to the form it was chosen for, or to the list of forms.
            web::set_hash(&then.clone().unwrap_or(Route::Home).hash());
        })
    };
    let on_search = {
        let (found, name, born, backend, timeout) =
            (found.clone(), name.clone(), born.clone(), config.backend.clone(), config.send_timeout_ms);
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let value = |r: &NodeRef| r.cast::<web_sys::HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            let search = match PersonSearch::read(&value(&name), &value(&born)) {
                Ok(search) => search,
                Err(why) => return found.set(Found::Problem(why)),
            };
            let Some(backend) = backend.clone() else { return };
            found.set(Found::Searching);
            let found = found.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let url = format!("{}/Patient?{}", backend.base, search.query());
                let result = match web::fhir_request("GET", &url, None, backend.token.as_deref(), timeout).await {
                    Exchange::Answered { status: 200, body } => match serde_json::from_str(&body) {
                        Ok(bundle) => Found::People(people_found(&bundle)),
                        Err(_) => Found::Problem("The record system's answer could not be read.".into()),
                    },
                    Exchange::Answered { status: 401 | 403, .. } => {
                        Found::Problem(format!("{}.", formwell_engine::submit::delivery::NOT_ALLOWED))
                    }
                    Exchange::Answered { status, .. } => {
                        Found::Problem(format!("The record system could not search just now (it answered {status}). Try again."))
                    }
                    Exchange::NoAnswer(_) => Found::Problem(if web::offline() {
                        "Searching the record needs the internet. Choose someone this tablet has seen, or register a new family.".into()
                    } else {
                        "The record system did not answer. Try again, or choose someone this tablet has seen.".into()
                    }),
                };
                found.set(result);
            });
        })
    };
    // A new family is registered by the form that registers people.
    let registering = match &props.library {
        LibraryState::Ready(templates) => {
            templates.iter().find(|t| t.questionnaire.registers_person()).map(|t| t.source.clone())
        }
        _ => None,
    };
    let register = registering.map(|template| {
        let on_chosen = props.on_chosen.clone();
        Callback::from(move |_: MouseEvent| {
            on_chosen.emit(Person { reference: None, name: String::new(), birth_date: None, nhs_number: None });
            web::set_hash(&Route::Form(template.clone()).hash());
        })
    });
    let people = |list: &[Person], id: &str| {
        html! {
            <ul class="people" id={id.to_owned()}>
                { for list.iter().map(|p| html! {
                    <li><button type="button" class="button secondary person" onclick={choose(p.clone())}>{ p.label() }</button></li>
                }) }
            </ul>
        }
    };
    html! {
        <div class="person-picker" id="person-picker">
            <h1 id="choose-person" tabindex="-1">{ "Who is this form for?" }</h1>
            <p class="lead">{ "The form goes into this person's shared record. Check it is the right person with them." }</p>
            if !recent.is_empty() {
                <h2>{ "People you have recorded for on this tablet" }</h2>
                { people(&recent, "recent-people") }
            }
            <h2>{ "Find them in the record" }</h2>
            <form class="search" onsubmit={on_search}>
                <label class="question" for="person-name">{ "Name or NHS number" }</label>
                <input class="input" id="person-name" ref={name} autocomplete="off" />
                <label class="question" for="person-born">{ "Date of birth (with a name)" }</label>
                <div class="hint" id="person-born-hint">{ "For example, 3 5 1992" }</div>
                <input class="input date-text" id="person-born" ref={born} inputmode="numeric" aria-describedby="person-born-hint" />
                <button type="submit" class="button">{ "Search" }</button>
            </form>
            { match &*found {
                Found::Nothing => html! {},
                Found::Searching => html! { <p class="loading" role="status">{ "Searching the record…" }</p> },
                Found::People(list) if list.is_empty() => html! {
                    <p class="notice" id="no-one-found" role="status">{ "No one in the record matches. Check the spelling and the date of birth, or register a new family." }</p>
                },
                Found::People(list) => html! {
                    <>
                        <p role="status">{ format!("{} found. Choose the right person:", list.len()) }</p>
                        { people(list, "found-people") }
                    </>
                },
                Found::Problem(why) => html! { <p class="error-message" id="search-problem" role="alert">{ why }</p> },
            } }
            if let Some(register) = register {
                <h2>{ "Not in the record yet?" }</h2>
                <button type="button" class="button secondary" id="register-family" onclick={register}>{ "Register a new family" }</button>
            }
        </div>
    }
}
