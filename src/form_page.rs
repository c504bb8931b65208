//! A form being filled: the engine's `FormState` behind a context that every item reads,
//! the GOV.UK-style error summary, and what submitting shows.

use std::cell::RefCell;
use std::rc::Rc;

use formwell_engine::impact::Confirmation;
use formwell_engine::{verdict, Action, Decision, FormState, NodeId, ResponseHeader, ResponseStatus, Verdict};
use yew::prelude::*;

use crate::config::{AppConfig, RulesState};
use crate::diagnostics_view::load_notice;
use crate::drafts::{new_draft_id, snapshot, Autosave, Resumed};
use crate::impact_view::{blocked_panel, ConfirmDialog, ImpactSummary};
use crate::item_view::Children;
use crate::library::Template;
use crate::outbox::Outbox;
use formwell_engine::submit::delivery::Phase;

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
        Rc::ptr_eq(&self.state, &other.state)
            && self.generation == other.generation
            && self.submit_tried == other.submit_tried
    }
}

/// The id of the field for an instance, for labels and the error summary's links.
pub fn field_id(node: NodeId) -> String {
    format!("fw-{}", node.0)
}

#[derive(Properties, PartialEq)]
pub struct FormPageProps {
    pub template: Template,
    /// A kept draft to carry on with; a new form when there is none.
    #[prop_or_default]
    pub resume: Option<Rc<Resumed>>,
}

/// One form, from first question to the submitted response.
#[function_component(FormPage)]
pub fn form_page(props: &FormPageProps) -> Html {
    let q = props.template.questionnaire.clone();
    let state = {
        let resume = props.resume.clone();
        use_mut_ref(|| resume.map(|r| r.form.clone()).unwrap_or_else(|| FormState::new(q.clone())))
    };
    let generation = use_state(|| 0u64);
    let submit_tried = use_state(|| false);
    let submitted = use_state(|| None::<Submission>);
    let summary_ref = use_node_ref();
    let config = use_context::<AppConfig>();
    let outbox = use_context::<Outbox>();
    let guard = use_state(|| None::<Guard>);
    let queue_error = use_state(|| None::<String>);

    // Signed in, a shipped form is kept as a draft after every change (opened files are
    // not: they could not be opened again offline).
    let session = config.as_ref().and_then(|c| c.session.clone()).filter(|_| props.template.shipped);
    let draft_id = {
        let keeping = session.is_some();
        use_state(|| match &props.resume {
            Some(r) => Ok(r.id.clone()),
            None if keeping => new_draft_id(),
            None => Ok(String::new()),
        })
    };
    let autosave = use_state(|| Rc::new(Autosave::default()));
    // Why the last save of the draft failed, while it did (or why there can be no draft).
    let not_kept = use_state_eq(|| draft_id.as_ref().err().cloned());
    let session = session.filter(|_| draft_id.is_ok());
    let keep = {
        let (state, draft_id, template, config, not_kept) = (
            state.clone(),
            draft_id.as_ref().cloned().unwrap_or_default(),
            props.template.source.clone(),
            config.clone(),
            not_kept.clone(),
        );
        let snapshot: Rc<dyn Fn() -> formwell_engine::submit::stored::DraftRecord> =
            Rc::new(move || snapshot(&draft_id, &template, &state.borrow(), config.as_ref()));
        let done = Callback::from(move |result: Result<String, crate::vault::StoreError>| match result {
            Ok(id) => {
                // The draft has an address of its own now: a reload opens it again.
                let hash = crate::route::Route::Draft(id).hash();
                if crate::web::hash() != hash {
                    crate::web::replace_hash(&hash);
                }
                not_kept.set(None);
            }
            Err(e) => not_kept.set(Some(e.to_string())),
        });
        let autosave = (*autosave).clone();
        move || {
            if let Some(session) = &session {
                autosave.save(session.clone(), snapshot.clone(), done.clone());
            }
        }
    };

    let dispatch = {
        let (state, generation) = (state.clone(), generation.clone());
        Callback::from(move |action: Action| {
            // Refused actions leave the form as it was; the widgets only offer actions
            // the engine accepts, so a refusal here is a defect worth seeing in the console.
            if let Err(e) = state.borrow_mut().apply(action) {
                web_sys::console::warn_1(&format!("action refused: {e}").into());
            }
            generation.set(*generation + 1);
            keep();
        })
    };
    let context = FormContext { state: state.clone(), generation: *generation, dispatch, submit_tried: *submit_tried };

    // Sends the form: the response, with every decision the guard made about its entries.
    let finish = {
        let (state, submitted, config, guard, outbox, queue_error, autosave, draft_id) = (
            state.clone(),
            submitted.clone(),
            config.clone(),
            guard.clone(),
            outbox.clone(),
            queue_error.clone(),
            (*autosave).clone(),
            draft_id.as_ref().cloned().unwrap_or_default(),
        );
        let template = props.template.source.clone();
        Callback::from(move |(decisions, confirmation): (Vec<Decision>, Option<Confirmation>)| {
            let form = state.borrow();
            let at = now();
            let header = ResponseHeader {
                status: ResponseStatus::Completed,
                authored: Some(at.clone()),
                ..ResponseHeader::default()
            };
            let recorded = crate::submission::decisions(config.as_ref(), decisions, confirmation.as_ref(), &at);
            let shown = Submission {
                response: serde_json::to_string(&form.to_response(&header)).unwrap_or_default(),
                decisions: serde_json::to_string(&recorded).unwrap_or_default(),
                outgoing: None,
            };
            // With a record system configured, the submission goes into the outbox as one
            // transaction Bundle; its identifiers come from an id made now, once. Without
            // a random id there is no guarantee against a second copy: nothing is sent.
            let record = match config.as_ref().map(|c| crate::submission::outbox_record(&form, c, recorded, &at)) {
                Some(Ok(record)) => record,
                Some(Err(why)) => {
                    guard.set(None);
                    queue_error.set(Some(format!("Nothing was sent: {why}. The form is still here, filled in.")));
                    crate::web::focus("queue-error");
                    return;
                }
                None => None,
            };
            if let (Some(record), Some(outbox)) = (record, outbox.as_ref()) {
                // Kept on the tablet before anything is sent, replacing its draft in
                // the same step; if it cannot be kept, the form stays as it is.
                let (outbox, submitted, guard, queue_error, autosave, draft_id, template) = (
                    outbox.clone(),
                    submitted.clone(),
                    guard.clone(),
                    queue_error.clone(),
                    autosave.clone(),
                    draft_id.clone(),
                    template.clone(),
                );
                wasm_bindgen_futures::spawn_local(async move {
                    autosave.stop().await;
                    let id = record.id.clone();
                    match outbox.queue(record, Some(draft_id).filter(|d| !d.is_empty())).await {
                        Ok(()) => {
                            // The draft is gone: a reload opens the form anew, not it.
                            if crate::web::hash().starts_with("#/draft/") {
                                crate::web::replace_hash(&crate::route::Route::Form(template).hash());
                            }
                            queue_error.set(None);
                            submitted.set(Some(Submission { outgoing: Some(id), ..shown }));
                            guard.set(None);
                            crate::web::focus("submitted");
                        }
                        Err(e) => {
                            autosave.restart();
                            guard.set(None);
                            queue_error.set(Some(format!("It could not be kept on this tablet to send: {e}. Nothing was sent, and the form is still here, filled in: submit it again once there is room.")));
                            crate::web::focus("queue-error");
                        }
                    }
                });
                return;
            }
            submitted.set(Some(shown));
            guard.set(None);
            crate::web::focus("submitted");
        })
    };

    let on_submit = {
        let (state, submit_tried, summary_ref, config, guard, finish) =
            (state.clone(), submit_tried.clone(), summary_ref.clone(), config.clone(), guard.clone(), finish.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let entries = {
                let form = state.borrow();
                if !form.evaluate().completeness().is_complete() {
                    submit_tried.set(true);
                    if let Some(summary) = summary_ref.cast::<web_sys::HtmlElement>() {
                        let _ = summary.focus();
                    }
                    crate::web::focus("error-summary");
                    return;
                }
                form.coded_entries()
            };
            let rules = config.as_ref().map(|c| (c.rules.clone(), c.setting.clone()));
            match rules {
                Some((RulesState::Ready(ruleset), setting)) => match ruleset.check(&entries, &setting) {
                    Ok(decisions) => match verdict(&decisions) {
                        Verdict::Blocked { blocked } => guard.set(Some(Guard::Blocked(blocked))),
                        Verdict::Confirm { confirmations, warnings } => {
                            guard.set(Some(Guard::Confirm { decisions, confirmations, warnings }))
                        }
                        Verdict::Proceed { .. } => finish.emit((decisions, None)),
                    },
                    Err(unknown) => guard.set(Some(Guard::Unavailable(unknown.to_string()))),
                },
                // Without the rules, only a form that writes nothing coded may go.
                _ if entries.is_empty() => finish.emit((Vec::new(), None)),
                _ => guard.set(Some(Guard::Unavailable(
                    "The code-impact rules have not loaded, so the coded entries this form writes cannot be checked. Reload the page when the connection is back.".into(),
                ))),
            }
        })
    };

    if let Some(submission) = &*submitted {
        let again = {
            let (state, submitted, submit_tried, generation, q, draft_id, autosave, not_kept) = (
                state.clone(),
                submitted.clone(),
                submit_tried.clone(),
                generation.clone(),
                q.clone(),
                draft_id.clone(),
                autosave.clone(),
                not_kept.clone(),
            );
            let template = props.template.source.clone();
            Callback::from(move |_| {
                // Another filling is another draft.
                let next = new_draft_id();
                not_kept.set(next.as_ref().err().cloned());
                draft_id.set(next);
                autosave.set(Rc::new(Autosave::default()));
                crate::web::replace_hash(&crate::route::Route::Form(template.clone()).hash());
                *state.borrow_mut() = FormState::new(q.clone());
                submitted.set(None);
                submit_tried.set(false);
                generation.set(*generation + 1);
            })
        };
        return html! {
            <div class="panel confirmation" id="submitted" tabindex="-1">
                <h1>{ "Form complete" }</h1>
                <SendStatus outgoing={submission.outgoing.clone()} />
                <p>{ format!("{} is filled in. This is the QuestionnaireResponse it makes:", q.display_title()) }</p>
                <pre class="response" id="response-json">{ &submission.response }</pre>
                <h2>{ "Decisions about its coded entries" }</h2>
                <p>{ "These travel with the submission, so the record shows who confirmed what, and why." }</p>
                <pre class="response" id="decisions-json">{ &submission.decisions }</pre>
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
    let guard_view = match &*guard {
        None => html! {},
        Some(Guard::Blocked(blocked)) => blocked_panel(&q, blocked),
        Some(Guard::Unavailable(why)) => html! {
            <div class="error-summary" id="blocked" role="alert"><h2>{ "This form cannot be submitted yet" }</h2><p>{ why }</p></div>
        },
        Some(Guard::Confirm { decisions, confirmations, warnings }) => {
            let on_confirm = {
                let (finish, decisions) = (finish.clone(), decisions.clone());
                Callback::from(move |c: Confirmation| finish.emit((decisions.clone(), Some(c))))
            };
            let on_cancel = {
                let guard = guard.clone();
                Callback::from(move |_| guard.set(None))
            };
            let suggested = state.borrow().suggested_demographic_change();
            html! { <ConfirmDialog questionnaire={q.clone()} confirmations={confirmations.clone()} warnings={warnings.clone()} {on_confirm} {on_cancel} {suggested} /> }
        }
    };
    let roots = form.roots().to_vec();
    drop(form);

    html! {
        <ContextProvider<FormContext> context={context}>
            { load_notice(&props.template.diagnostics) }
            <h1>{ q.display_title() }</h1>
            if let Some(description) = &q.description {
                <p class="lead">{ description }</p>
            }
            if let Some(resume) = props.resume.as_ref().filter(|r| !r.changes.is_empty()) {
                <div class="notice warning" id="draft-changes" role="status">
                    <h2>{ "Since this draft was kept" }</h2>
                    <ul>{ for resume.changes.iter().map(|c| html! { <li>{ c }</li> }) }</ul>
                </div>
            }
            if let Some(why) = &*not_kept {
                <p class="notice warning" id="autosave-status" role="alert">
                    { format!("Not kept on this tablet: {why}. Your answers are still on this page: keep it open.") }
                </p>
            }
            <ImpactSummary questionnaire={q.clone()} />
            { guard_view }
            if let Some(why) = &*queue_error {
                <div class="error-summary" id="queue-error" role="alert" tabindex="-1">
                    <h2>{ "This form was not sent" }</h2>
                    <p>{ why }</p>
                </div>
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

/// What submitting produced: the response and the guard's decisions, as JSON.
#[derive(Debug, Clone, PartialEq)]
struct Submission {
    response: String,
    decisions: String,
    /// The outbox entry, when a record system is configured.
    outgoing: Option<String>,
}

/// What the submit guard is asking of the person.
#[derive(Debug, Clone, PartialEq)]
enum Guard {
    Blocked(Vec<Decision>),
    Confirm { decisions: Vec<Decision>, confirmations: Vec<Decision>, warnings: Vec<Decision> },
    Unavailable(String),
}

/// The current time as a FHIR instant (UTC, to the second).
pub fn now() -> String {
    let iso = String::from(js_sys::Date::new_0().to_iso_string());
    // "2026-11-26T10:15:00.123Z" → "2026-11-26T10:15:00Z"
    match iso.split_once('.') {
        Some((head, _)) => format!("{head}Z"),
        None => iso,
    }
}

#[derive(Properties, PartialEq)]
struct SendStatusProps {
    outgoing: Option<String>,
}

/// Where the submission is: sending, sent (with what the record now holds), waiting to be
/// tried again (with "send now"), waiting for a sign-in, or refused (kept, with the reason).
#[function_component(SendStatus)]
fn send_status(props: &SendStatusProps) -> Html {
    let outbox = use_context::<Outbox>();
    let Some(id) = &props.outgoing else {
        return html! { <p class="notice" id="send-status" role="status">{ "No record system is configured, so nothing was sent." }</p> };
    };
    let Some(outbox) = outbox else { return html! {} };
    let Some(outgoing) = outbox.view.get(id) else { return html! {} };
    let send_now = {
        let outbox = outbox.clone();
        Callback::from(move |_| outbox.send_now())
    };
    let (class, words) = crate::outbox::describe(&outgoing.delivery, crate::web::now_ms());
    let body = match &outgoing.delivery.phase {
        Phase::Sent { locations } => html! {
            <>
                <p><strong>{ words }</strong></p>
                <ul class="locations">{ for locations.iter().map(|l| html! { <li><code>{ l }</code></li> }) }</ul>
            </>
        },
        Phase::Waiting { .. } => html! {
            <>
                <p>{ words }</p>
                <button type="button" class="button secondary" onclick={send_now}>{ "Send now" }</button>
            </>
        },
        Phase::Refused { .. } => html! {
            <>
                <p>{ words }</p>
                <p>{ "It is kept here, not lost. Show this message to whoever looks after the form or the record system." }</p>
            </>
        },
        _ => html! { <p>{ words }</p> },
    };
    html! {
        <div class={classes!("send-status", class)} id="send-status" role="status">
            { body }
            <details><summary>{ "The Bundle sent" }</summary><pre class="response" id="bundle-json">{ &outgoing.record.bundle }</pre></details>
        </div>
    }
}
