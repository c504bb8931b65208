//! A form being filled: the engine's `FormState` behind a context that every item reads,
//! the GOV.UK-style error summary, and what submitting shows.

use std::cell::RefCell;
use std::rc::Rc;

use formwell_engine::{
    verdict, Action, Decision, DemographicChange, FormState, Idempotency, ImpactSeverity, NodeId, RecordedDecision,
    Reference, ResponseHeader, ResponseStatus, Verdict,
};
use yew::prelude::*;

use crate::config::{AppConfig, BackendState, RulesState};
use crate::diagnostics_view::load_notice;
use crate::draft::{new_draft_id, snapshot, Autosave, Draft, Resumed};
use crate::impact_view::{blocked_panel, ConfirmDialog, Confirmation, ImpactSummary};
use crate::item_view::Children;
use crate::library::Template;
use crate::outbox::{Outbox, Outgoing, SendState};

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
        let snapshot: Rc<dyn Fn() -> Draft> =
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
            let staff =
                config.as_ref().and_then(|c| c.staff.clone()).unwrap_or_else(|| "(staff member not named)".into());
            let setting = config.as_ref().map(|c| c.setting.clone()).unwrap_or_default();
            let recorded: Vec<RecordedDecision> = decisions
                .into_iter()
                .map(|decision| {
                    let confirmed = decision.severity == ImpactSeverity::Confirm;
                    let demographic = decision.category.as_deref() == Some("demographics");
                    RecordedDecision {
                        setting: setting.clone(),
                        confirmed_by: confirmed.then(|| staff.clone()),
                        confirmed_at: confirmed.then(|| at.clone()),
                        reason: confirmation.as_ref().filter(|_| confirmed).map(|c| c.reason.clone()),
                        demographic_change: confirmation
                            .as_ref()
                            .filter(|_| demographic)
                            .and_then(|c| c.demographic_change.clone()),
                        decision,
                    }
                })
                .collect();
            let decisions_json = serde_json::to_string(&recorded).unwrap_or_default();
            let shown = Submission {
                response: serde_json::to_string(&form.to_response(&header)).unwrap_or_default(),
                decisions: decisions_json,
                outgoing: None,
            };
            // With a record system configured, the submission goes into the outbox as one
            // transaction Bundle; its identifiers come from an id made now, once.
            if let (Some(config), Some(outbox)) = (config.as_ref(), outbox.as_ref()) {
                if let Some(backend) = &config.backend {
                    let idempotency = match &config.backend_state {
                        BackendState::Ready(caps) => caps.idempotency().unwrap_or(Idempotency::ConditionalCreate),
                        _ => Idempotency::ConditionalCreate,
                    };
                    // The submission's identity: without a random id there is no
                    // guarantee against a second copy, so nothing is sent.
                    let id = match crate::web::random_uuid() {
                        Ok(id) => id,
                        Err(why) => {
                            guard.set(None);
                            queue_error
                                .set(Some(format!("Nothing was sent: {why}. The form is still here, filled in.")));
                            crate::web::focus("queue-error");
                            return;
                        }
                    };
                    let submission = formwell_engine::Submission {
                        id,
                        authored: at.clone(),
                        subject: backend.subject(),
                        author: backend.practitioner.as_ref().map(|p| Reference {
                            reference: Some(p.clone()),
                            display: config.staff.clone(),
                            ..Default::default()
                        }),
                        device: format!("Formwell {} (web)", env!("CARGO_PKG_VERSION")),
                        ruleset_version: config.ruleset().map(|r| r.version().to_owned()),
                        decisions: recorded,
                    };
                    let bundle = form.transaction_bundle(&submission, idempotency);
                    let demographics = form.demographic_changes(&submission.decisions);
                    let outgoing = Outgoing {
                        id: submission.id.clone(),
                        title: form.questionnaire().display_title().to_owned(),
                        base: backend.base.clone(),
                        bundle: bundle.to_string(),
                        state: SendState::Sending { attempt: 0 },
                        response_token: submission.response_token(),
                        demographics,
                        patient: backend.patient.clone(),
                        today: at.get(..10).unwrap_or_default().to_owned(),
                    };
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
                        let id = outgoing.id.clone();
                        match outbox.queue(outgoing, Some(draft_id).filter(|d| !d.is_empty())).await {
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
            let suggested = suggested_change(&state.borrow());
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

/// An answered item that extracts to the end of the address's period says the new address
/// is temporary, until that date: the guard's question starts answered.
fn suggested_change(form: &FormState) -> Option<DemographicChange> {
    let until = form.node_by_definition("Patient.address.period.end")?.answers.first()?;
    Some(DemographicChange::Temporary { until: Some(formwell_engine::input::input_text(until)) })
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
/// tried again (with "send now"), or refused (kept, with the reason).
#[function_component(SendStatus)]
fn send_status(props: &SendStatusProps) -> Html {
    let outbox = use_context::<Outbox>();
    let Some(id) = &props.outgoing else {
        return html! { <p class="notice" id="send-status" role="status">{ "No record system is configured, so nothing was sent." }</p> };
    };
    let Some(outgoing) = outbox.as_ref().and_then(|o| o.get(id)) else { return html! {} };
    let send_now = {
        let outbox = outbox.clone();
        Callback::from(move |_| {
            if let Some(o) = &outbox {
                o.send_now();
            }
        })
    };
    let (class, body) = match &outgoing.state {
        SendState::Sending { attempt } if *attempt <= 1 => {
            ("sending", html! { <p>{ "Sending to the record system…" }</p> })
        }
        SendState::Sending { attempt } => {
            ("sending", html! { <p>{ format!("Sending to the record system (attempt {attempt})…") }</p> })
        }
        SendState::Sent { locations } => (
            "sent",
            html! {
                <>
                    <p><strong>{ "Sent to the record system." }</strong></p>
                    <ul class="locations">{ for locations.iter().map(|l| html! { <li><code>{ l }</code></li> }) }</ul>
                </>
            },
        ),
        SendState::Waiting { error, retry_in_s, .. } => (
            "waiting",
            html! {
                <>
                    <p><strong>{ "Not sent yet. " }</strong>{ format!("{error}. It is kept here and will be tried again in about {retry_in_s} seconds.") }</p>
                    <button type="button" class="button secondary" onclick={send_now}>{ "Send now" }</button>
                </>
            },
        ),
        SendState::NotAllowed { message } => (
            "waiting",
            html! { <p><strong>{ "Saved on this tablet, not sent yet. " }</strong>{ format!("{message}.") }</p> },
        ),
        SendState::Refused { message } => (
            "refused",
            html! {
                <>
                    <p><strong>{ "The record system refused this form: " }</strong>{ message }</p>
                    <p>{ "It is kept here, not lost. Show this message to whoever looks after the form or the record system." }</p>
                </>
            },
        ),
    };
    html! {
        <div class={classes!("send-status", class)} id="send-status" role="status">
            { body }
            <details><summary>{ "The Bundle sent" }</summary><pre class="response" id="bundle-json">{ &outgoing.bundle }</pre></details>
        </div>
    }
}
