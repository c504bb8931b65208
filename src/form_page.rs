//! A form being filled: the engine's `FormState` behind a context that every item reads,
//! the GOV.UK-style error summary, and what submitting shows.

use std::cell::RefCell;
use std::rc::Rc;

use formwell_engine::{Action, FormState, NodeId, ResponseHeader, ResponseStatus};
use yew::prelude::*;

use crate::diagnostics_view::LoadNotice;
use crate::item_view::Children;
use crate::library::Template;

/// What every item of the form reads: the state, and how to change it. A new
/// `generation` after each action is what makes the components render again.
#[derive(Clone)]
pub struct FormContext {
    pub state: Rc<RefCell<FormState>>,
    generation: u64,
    pub dispatch: Callback<Action>,
    /// Inline errors show once a submit was tried (the GOV.UK pattern), and then follow
    /// every change. Showing them earlier, as a field is left, moves the page under the
    /// finger that is reaching for the next field.
    pub submit_tried: bool,
}

impl PartialEq for FormContext {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.state, &other.state) && self.generation == other.generation && self.submit_tried == other.submit_tried
    }
}

/// The id of the field for an instance, for labels and the error summary's links.
pub fn field_id(node: NodeId) -> String {
    format!("fw-{}", node.0)
}

#[derive(Properties, PartialEq)]
pub struct FormPageProps {
    pub template: Template,
}

/// One form, from first question to the submitted response.
#[function_component(FormPage)]
pub fn form_page(props: &FormPageProps) -> Html {
    let q = props.template.questionnaire.clone();
    let state = use_mut_ref(|| FormState::new(q.clone()));
    let generation = use_state(|| 0u64);
    let submit_tried = use_state(|| false);
    let submitted = use_state(|| None::<String>);
    let summary_ref = use_node_ref();

    let dispatch = {
        let (state, generation) = (state.clone(), generation.clone());
        Callback::from(move |action: Action| {
            // Refused actions leave the form as it was; the widgets only offer actions
            // the engine accepts, so a refusal here is a defect worth seeing in the console.
            if let Err(e) = state.borrow_mut().apply(action) {
                web_sys::console::warn_1(&format!("action refused: {e}").into());
            }
            generation.set(*generation + 1);
        })
    };
    let context = FormContext {
        state: state.clone(),
        generation: *generation,
        dispatch,
        submit_tried: *submit_tried,
    };

    let on_submit = {
        let (state, submit_tried, submitted, summary_ref) = (state.clone(), submit_tried.clone(), submitted.clone(), summary_ref.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let form = state.borrow();
            if form.evaluate().completeness().is_complete() {
                let header = ResponseHeader {
                    status: ResponseStatus::Completed,
                    authored: Some(now()),
                    ..ResponseHeader::default()
                };
                let response = form.to_response(&header);
                submitted.set(Some(serde_json::to_string_pretty(&response).unwrap_or_default()));
                crate::web::focus("submitted");
            } else {
                submit_tried.set(true);
                if let Some(summary) = summary_ref.cast::<web_sys::HtmlElement>() {
                    let _ = summary.focus();
                }
                crate::web::focus("error-summary");
            }
        })
    };

    if let Some(response) = &*submitted {
        let again = {
            let (state, submitted, submit_tried, generation, q) = (state.clone(), submitted.clone(), submit_tried.clone(), generation.clone(), q.clone());
            Callback::from(move |_| {
                *state.borrow_mut() = FormState::new(q.clone());
                submitted.set(None);
                submit_tried.set(false);
                generation.set(*generation + 1);
            })
        };
        return html! {
            <div class="panel confirmation" id="submitted" tabindex="-1">
                <h1>{ "Form complete" }</h1>
                <p>{ format!("{} is filled in. This is the QuestionnaireResponse it makes:", q.display_title()) }</p>
                <pre class="response" id="response-json">{ response }</pre>
                <div class="actions">
                    <button class="button" onclick={again}>{ "Fill in another" }</button>
                    <a class="button secondary" href="#/">{ "Back to the list of forms" }</a>
                </div>
            </div>
        };
    }

    let form = state.borrow();
    let evaluation = form.evaluate();
    let issues: Vec<(NodeId, String)> = if *submit_tried {
        evaluation
            .issues()
            .into_iter()
            .map(|(node, issue)| {
                let label = form.node(node).map(|n| q.item(n.item).label().to_owned()).unwrap_or_default();
                (node, format!("{label}: {}", issue.message()))
            })
            .collect()
    } else {
        Vec::new()
    };
    let completeness = evaluation.completeness();
    let roots = form.roots().to_vec();
    drop(form);

    html! {
        <ContextProvider<FormContext> context={context}>
            <LoadNotice diagnostics={(*props.template.diagnostics).clone()} />
            <h1>{ q.display_title() }</h1>
            if let Some(description) = &q.description {
                <p class="lead">{ description }</p>
            }
            if !issues.is_empty() {
                <div class="error-summary" id="error-summary" role="alert" tabindex="-1" ref={summary_ref}>
                    <h2>{ "There is a problem" }</h2>
                    <ul>
                        { for issues.iter().map(|(node, message)| {
                            let target = field_id(*node);
                            let onclick = {
                                let target = target.clone();
                                Callback::from(move |e: MouseEvent| {
                                    e.prevent_default();
                                    crate::web::focus(&target);
                                })
                            };
                            html! { <li><a href={format!("#{target}")} {onclick}>{ message }</a></li> }
                        }) }
                    </ul>
                </div>
            }
            <form class="questionnaire" novalidate=true onsubmit={on_submit}>
                <Children nodes={roots} />
                <p class="progress">{ format!("{} of {} required answers given", completeness.answered, completeness.required) }</p>
                <button type="submit" class="button">{ "Check and submit" }</button>
            </form>
        </ContextProvider<FormContext>>
    }
}

/// The current time as a FHIR instant (UTC, to the second).
fn now() -> String {
    let iso = String::from(js_sys::Date::new_0().to_iso_string());
    // "2026-11-26T10:15:00.123Z" → "2026-11-26T10:15:00Z"
    match iso.split_once('.') {
        Some((head, _)) => format!("{head}Z"),
        None => iso,
    }
}
