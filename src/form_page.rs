//! A form being filled, then read back, then sent: the engine's `FormState` behind a
//! context that every item reads, the GOV.UK-style error summary, "Check your answers",
//! and what sending shows. The page's own state is one reducer (`PageState`).

use std::cell::RefCell;
use std::rc::Rc;

use formwell_engine::impact::Confirmation;
use formwell_engine::submit::delivery::Phase;
use formwell_engine::submit::person::Person;
use formwell_engine::{verdict, Action, Decision, FormState, NodeId, ResponseHeader, ResponseStatus, Verdict};
use yew::prelude::*;

use crate::config::{AppConfig, RulesState};
use crate::diagnostics_view::load_notice;
use crate::drafts::{new_draft_id, snapshot, Autosave, Resumed};
use crate::impact_view::{blocked_panel, not_for_this_service, ConfirmDialog, ImpactSummary};
use crate::item_view::Children;
use crate::library::Template;
use crate::outbox::Outbox;

/// What every item of the form reads: the state, and how to change it. It stays equal
/// from one change to the next (a new one would redraw every item): an item redraws when
/// its revision, a prop, moves (`FormState::revision`).
#[derive(Clone)]
pub struct FormContext {
    pub state: Rc<RefCell<FormState>>,
    pub dispatch: Callback<Action>,
    /// Inline errors show once a submit was tried (the GOV.UK pattern), and then follow
    /// every change. Showing them earlier, as a field is left, moves the page under the
    /// finger that is reaching for the next field.
    pub submit_tried: bool,
}

impl PartialEq for FormContext {
    fn eq(&self, other: &Self) -> bool {
        // `dispatch` is made again at each render, doing the same: not compared.
        Rc::ptr_eq(&self.state, &other.state) && self.submit_tried == other.submit_tried
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

/// Where the person is with the form.
#[derive(Debug, Clone, PartialEq)]
enum Stage {
    Filling,
    /// "Check your answers": read back, then sent.
    Checking,
    /// Sent (or kept to send), or finished with nothing to send it to.
    Done(Rc<Submission>),
}

/// The page's state, changed only through `PageEvent`s.
#[derive(Debug, Clone, PartialEq)]
struct PageState {
    generation: u64,
    stage: Stage,
    submit_tried: bool,
    guard: Option<Guard>,
    /// Why the form was not sent (it could not be kept, or has no random id).
    not_sent: Option<String>,
    /// The draft's id, or why there can be none.
    draft_id: Result<String, String>,
    /// Why the last save of the draft failed, while it did.
    not_kept: Option<String>,
    /// What to move focus to once the page has rendered.
    focus: Option<String>,
}

enum PageEvent {
    Changed,
    /// "Check answers" found problems: show them.
    Problems,
    Check,
    /// Back from the read-back to the form, to change one answer.
    Change(NodeId),
    Guard(Option<Guard>),
    NotSent(String),
    Done(Submission),
    /// Another filling of the same form: another draft.
    Again(Result<String, String>),
    Kept(Result<(), String>),
}

impl Reducible for PageState {
    type Action = PageEvent;

    fn reduce(self: Rc<Self>, event: PageEvent) -> Rc<Self> {
        let mut s = (*self).clone();
        s.focus = None;
        match event {
            PageEvent::Changed => s.generation += 1,
            PageEvent::Problems => {
                s.submit_tried = true;
                s.focus = Some("error-summary".into());
            }
            PageEvent::Check => {
                s.stage = Stage::Checking;
                s.focus = Some("check-answers".into());
            }
            PageEvent::Change(node) => {
                s.stage = Stage::Filling;
                s.guard = None;
                s.focus = Some(field_id(node));
            }
            PageEvent::Guard(guard) => {
                s.focus = guard.as_ref().map(|g| if matches!(g, Guard::Confirm { .. }) { "confirm-dialog" } else { "blocked" }.into());
                s.guard = guard;
            }
            PageEvent::NotSent(why) => {
                s.guard = None;
                s.not_sent = Some(why);
                s.focus = Some("not-sent".into());
            }
            PageEvent::Done(submission) => {
                s.guard = None;
                s.not_sent = None;
                s.stage = Stage::Done(Rc::new(submission));
                s.focus = Some("submitted".into());
            }
            PageEvent::Again(draft_id) => {
                s = PageState::new(draft_id);
                s.generation = self.generation + 1;
            }
            PageEvent::Kept(result) => s.not_kept = result.err(),
        }
        Rc::new(s)
    }
}

impl PageState {
    fn new(draft_id: Result<String, String>) -> PageState {
        PageState {
            generation: 0,
            stage: Stage::Filling,
            submit_tried: false,
            guard: None,
            not_sent: None,
            not_kept: draft_id.as_ref().err().cloned(),
            draft_id,
            focus: None,
        }
    }
}

/// One form, from first question to the submitted response.
#[function_component(FormPage)]
pub fn form_page(props: &FormPageProps) -> Html {
    let q = props.template.questionnaire.clone();
    let config = use_context::<AppConfig>();
    let outbox = use_context::<Outbox>();
    // In a partner's page: ids are looked up in its Shadow DOM, the page's address is the
    // portal's (never changed), and the portal hears of changes.
    let embedding = config.as_ref().and_then(|c| c.embedding.clone());
    let root = embedding.as_ref().map(|e| e.root.clone());
    let state = {
        let resume = props.resume.clone();
        use_mut_ref(|| {
            // A resumed draft keeps its answers; a new form fills what the record can.
            let mut form = match resume {
                Some(r) => r.form.clone(),
                None => {
                    let mut form = FormState::new(q.clone());
                    form.set_launch_context(config.as_ref().map(|c| c.launch_context()).unwrap_or_default());
                    form
                }
            };
            form.set_today(crate::web::today());
            form
        })
    };
    // Signed in, a shipped form is kept as a draft (opened files are not: they could not
    // be opened again offline).
    let keeping = config.as_ref().is_some_and(|c| c.session.is_some()) && props.template.shipped;
    let page = {
        let resume = props.resume.clone();
        use_reducer(move || {
            PageState::new(match resume {
                Some(r) => Ok(r.id.clone()),
                None if keeping => new_draft_id(),
                None => Ok(String::new()),
            })
        })
    };
    let autosave = use_memo(page.draft_id.clone(), |_| Rc::new(Autosave::default()));
    let refilled = {
        let page = page.dispatcher();
        Callback::from(move |()| page.dispatch(PageEvent::Changed))
    };
    crate::prefill::use_record_prefill(state.clone(), config.clone(), props.resume.is_none(), refilled);
    // Whether this service may not use the template (then its guidance shows instead of
    // any question): linted once per template, ruleset and setting, not at every keystroke.
    let not_here = {
        let rules = config.as_ref().map(|c| (c.rules.clone(), c.setting.clone()));
        use_memo((props.template.clone(), rules), |(template, rules)| match rules {
            Some((RulesState::Ready(ruleset), setting)) => {
                ruleset.lint(&template.questionnaire, setting).ok().filter(|report| report.is_blocked())
            }
            _ => None,
        })
    };
    {
        let (focus, root) = (page.focus.clone(), root.clone());
        use_effect_with(focus, move |focus| {
            if let Some(id) = focus {
                crate::web::focus_in(root.as_ref(), id);
            }
        });
    }
    if let Some(embedding) = &embedding {
        embedding.control.form.replace(Some(state.clone()));
    }

    let session = config.as_ref().and_then(|c| c.session.clone()).filter(|_| keeping && page.draft_id.is_ok());
    let keep = {
        let (state, draft_id, template, config) = (
            state.clone(),
            page.draft_id.clone().unwrap_or_default(),
            props.template.source.clone(),
            config.clone(),
        );
        let snapshot: Rc<dyn Fn() -> formwell_engine::submit::stored::DraftRecord> = {
            let state = state.clone();
            Rc::new(move || snapshot(&draft_id, &template, &state.borrow(), config.as_ref()))
        };
        let page = page.dispatcher();
        let done = Callback::from(move |result: Result<String, crate::vault::StoreError>| {
            if let Ok(id) = &result {
                // The draft has an address of its own now: a reload opens it again.
                let hash = crate::route::Route::Draft(id.clone()).hash();
                if crate::web::hash() != hash {
                    crate::web::replace_hash(&hash);
                }
            }
            page.dispatch(PageEvent::Kept(result.map(drop).map_err(|e| e.to_string())));
        });
        let (autosave, state) = ((*autosave).clone(), state.clone());
        move || {
            // Kept once something is answered: an opened form is not a draft.
            if let (Some(session), true) = (&session, state.borrow().has_answers()) {
                autosave.save(session.clone(), snapshot.clone(), done.clone());
            }
        }
    };

    let dispatch = {
        let (state, page, emit) = (state.clone(), page.dispatcher(), embedding.as_ref().map(|e| e.emit.clone()));
        Callback::from(move |action: Action| {
            // Refused actions leave the form as it was; the widgets only offer actions
            // the engine accepts, so a refusal here is a defect worth seeing in the console.
            if let Err(e) = state.borrow_mut().apply(action) {
                web_sys::console::warn_1(&format!("action refused: {e}").into());
            }
            page.dispatch(PageEvent::Changed);
            keep();
            if let Some(emit) = &emit {
                let answered = state.borrow().evaluate().completeness();
                emit.emit(("change", format!("{{\"answered\":{},\"required\":{}}}", answered.answered, answered.required)));
            }
        })
    };
    let context = FormContext { state: state.clone(), dispatch, submit_tried: page.submit_tried };

    // Sends the form: the response, with every decision the guard made about its entries.
    let finish = {
        let (state, config, outbox, autosave, page) =
            (state.clone(), config.clone(), outbox.clone(), (*autosave).clone(), page.clone());
        let template = props.template.source.clone();
        let embedded = embedding.is_some();
        Callback::from(move |(decisions, confirmation): (Vec<Decision>, Option<Confirmation>)| {
            // Embedded, a record system that refused the portal's sign-in gets nothing.
            if let Some(why) = config.as_ref().filter(|c| c.embedding.is_some()).and_then(|c| match &c.backend_state {
                crate::config::BackendState::NotAllowed(why) | crate::config::BackendState::Unsuitable(why) => Some(why.clone()),
                _ => None,
            }) {
                page.dispatch(PageEvent::NotSent(format!("Nothing was sent: {why}")));
                return;
            }
            let form = state.borrow();
            let at = crate::web::now();
            let header =
                ResponseHeader { status: ResponseStatus::Completed, authored: Some(at.clone()), ..Default::default() };
            let recorded = crate::submission::decisions(config.as_ref(), decisions, confirmation.as_ref(), &at);
            let shown = Submission {
                response: serde_json::to_string(&form.to_response(&header)).unwrap_or_default(),
                decisions: serde_json::to_string(&recorded).unwrap_or_default(),
                outgoing: None,
                read_back: form.read_back().into_iter().map(|l| (l.label, l.answers.join(", "), l.heading)).collect(),
                prompts: form.prompts(),
                person: config.as_ref().and_then(|c| c.person.as_ref()).map(|p| form.person_for(p)),
            };
            // With a record system configured, the submission goes into the outbox as one
            // transaction Bundle; its identifiers come from an id made now, once. Without
            // a random id, or a person, nothing is sent.
            let record = match config.as_ref().map(|c| crate::submission::outbox_record(&form, c, recorded, &at)) {
                Some(Ok(record)) => record,
                Some(Err(why)) => {
                    page.dispatch(PageEvent::NotSent(format!("Nothing was sent: {why}. The form is still here, filled in.")));
                    return;
                }
                None => None,
            };
            let (Some(record), Some(outbox)) = (record, outbox.clone()) else {
                page.dispatch(PageEvent::Done(shown));
                return;
            };
            // Kept on the tablet before anything is sent, replacing its draft in the same
            // step; if it cannot be kept, the form stays as it is.
            let (autosave, page, template) = (autosave.clone(), page.clone(), template.clone());
            let draft_id = page.draft_id.clone().unwrap_or_default();
            wasm_bindgen_futures::spawn_local(async move {
                autosave.stop().await;
                let id = record.id.clone();
                match outbox.queue(record, Some(draft_id).filter(|d| !d.is_empty())).await {
                    Ok(()) => {
                        // The draft is gone: a reload opens the form anew, not it.
                        if !embedded && crate::web::hash().starts_with("#/draft/") {
                            crate::web::replace_hash(&crate::route::Route::Form(template).hash());
                        }
                        page.dispatch(PageEvent::Done(Submission { outgoing: Some(id), ..shown }));
                    }
                    Err(e) => {
                        autosave.restart();
                        page.dispatch(PageEvent::NotSent(format!("It could not be kept on this tablet to send: {e}. Nothing was sent, and the form is still here, filled in: submit it again once there is room.")));
                    }
                }
            });
        })
    };

    // "Check answers": problems first; then the read-back.
    let on_submit = {
        let (state, page) = (state.clone(), page.dispatcher());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if state.borrow().evaluate().completeness().is_complete() {
                page.dispatch(PageEvent::Check);
            } else {
                page.dispatch(PageEvent::Problems);
            }
        })
    };

    // "Send", from the read-back: the code-impact guard, then the outbox.
    let send = {
        let (state, config, page, finish) = (state.clone(), config.clone(), page.dispatcher(), finish.clone());
        Callback::from(move |()| {
            let entries = state.borrow().coded_entries();
            let rules = config.as_ref().map(|c| (c.rules.clone(), c.setting.clone()));
            let guard = match rules {
                Some((RulesState::Ready(ruleset), setting)) => match ruleset.check(&entries, &setting) {
                    Ok(decisions) => match verdict(&decisions) {
                        Verdict::Blocked { blocked } => Guard::Blocked(blocked),
                        Verdict::Confirm { confirmations, warnings } => Guard::Confirm { decisions, confirmations, warnings },
                        Verdict::Proceed { .. } => return finish.emit((decisions, None)),
                    },
                    Err(unknown) => Guard::Unavailable(unknown.to_string()),
                },
                // Without the rules, only a form that writes nothing coded may go.
                _ if entries.is_empty() => return finish.emit((Vec::new(), None)),
                _ => Guard::Unavailable(
                    "The code-impact rules have not loaded, so the coded entries this form writes cannot be checked. Reload the page when the connection is back.".into(),
                ),
            };
            page.dispatch(PageEvent::Guard(Some(guard)));
        })
    };
    let on_send = send.reform(|_: MouseEvent| ());
    // The portal's `submit()`: "Check answers", then, when nothing is missing, "Send".
    if let Some(embedding) = &embedding {
        let (state, page, send) = (state.clone(), page.dispatcher(), send.clone());
        embedding.control.submit.replace(Some(Callback::from(move |()| {
            if state.borrow().evaluate().completeness().is_complete() {
                page.dispatch(PageEvent::Check);
                send.emit(());
            } else {
                page.dispatch(PageEvent::Problems);
            }
        })));
    }

    let form = state.borrow();
    let person = config.as_ref().and_then(|c| c.person.as_ref()).map(|p| form.person_for(p));
    let to_a_record = config.as_ref().is_some_and(|c| c.backend.is_some());
    // Embedded, the portal names the person: no choosing someone else here.
    let change = if embedding.is_some() { None } else { Some(props.template.source.as_str()) };
    let banner = person_banner(person.as_ref(), to_a_record, change);

    if let Stage::Done(submission) = &page.stage {
        let again = {
            let (state, page, q, autosave) = (state.clone(), page.dispatcher(), q.clone(), (*autosave).clone());
            let launch = config.as_ref().map(|c| c.launch_context()).unwrap_or_default();
            let template = props.template.source.clone();
            let embedded = embedding.is_some();
            Callback::from(move |_| {
                // Another filling is another draft.
                autosave.stop_now();
                if !embedded {
                    crate::web::replace_hash(&crate::route::Route::Form(template.clone()).hash());
                }
                let mut fresh = FormState::new(q.clone());
                fresh.set_today(crate::web::today());
                fresh.set_launch_context(launch.clone());
                *state.borrow_mut() = fresh;
                page.dispatch(PageEvent::Again(new_draft_id()));
            })
        };
        return sent_page(&q.display_title(), submission, again, person_banner(submission.person.as_ref(), to_a_record, None), embedding.is_some());
    }

    // A template this service may not use says so before any question.
    if let Some(report) = not_here.as_ref() {
        let setting = config.as_ref().and_then(|c| c.ruleset()?.setting(&c.setting).ok());
        let guidance = not_for_this_service(report, setting);
        return html! { <>{ load_notice(&props.template.diagnostics) }<h1>{ q.display_title() }</h1>{ guidance }</> };
    }

    if page.stage == Stage::Checking {
        let change = {
            let page = page.dispatcher();
            Callback::from(move |node: NodeId| page.dispatch(PageEvent::Change(node)))
        };
        let guard_view = guard_view(&page, &q, &form, &finish);
        let read_back = form.read_back();
        let prompts = form.prompts();
        drop(form);
        return html! {
            <>
                { banner }
                <h1 id="check-answers" tabindex="-1">{ "Check your answers before sending" }</h1>
                <p class="lead">{ format!("{}: read them back to the person if they are with you.", q.display_title()) }</p>
                { summary_list(read_back.iter().map(|l| (l.node, l.label.clone(), l.answers.join(", "), l.heading)), Some(change)) }
                { prompt_list(&prompts) }
                { guard_view }
                { not_sent(&page) }
                <div class="actions">
                    <button type="button" class="button" id="send" onclick={on_send}>{ "Send" }</button>
                </div>
            </>
        };
    }

    let evaluation = form.evaluate();
    let issues: Vec<(NodeId, String)> = if page.submit_tried {
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
    let revision = form.form_revision();
    let prefilled = prefill_notice(&form);
    drop(form);

    html! {
        <ContextProvider<FormContext> context={context}>
            { banner }
            { prefilled }
            { load_notice(&props.template.diagnostics) }
            <h1>{ q.display_title() }</h1>
            if let Some(description) = &q.description {
                <p class="lead form-description">{ description }</p>
            }
            if let Some(resume) = props.resume.as_ref().filter(|r| !r.changes.is_empty()) {
                <div class="notice warning" id="draft-changes" role="status">
                    <h2>{ "Since this draft was kept" }</h2>
                    <ul>{ for resume.changes.iter().map(|c| html! { <li>{ c }</li> }) }</ul>
                </div>
            }
            if let Some(why) = &page.not_kept {
                <p class="notice warning" id="autosave-status" role="alert">
                    { format!("Not kept on this tablet: {why}. Your answers are still on this page: keep it open.") }
                </p>
            }
            <ImpactSummary questionnaire={q.clone()} />
            { not_sent(&page) }
            if !issues.is_empty() {
                <div class="error-summary" id="error-summary" role="alert" tabindex="-1">
                    <h2>{ "There is a problem" }</h2>
                    <ul>
                        { for issues.iter().map(|(node, message)| {
                            let target = field_id(*node);
                            let onclick = {
                                let (target, root) = (target.clone(), root.clone());
                                Callback::from(move |e: MouseEvent| {
                                    e.prevent_default();
                                    crate::web::focus_in(root.as_ref(), &target);
                                })
                            };
                            html! { <li><a href={format!("#{target}")} {onclick}>{ message }</a></li> }
                        }) }
                    </ul>
                </div>
            }
            <form class="questionnaire" novalidate=true onsubmit={on_submit}>
                <Children nodes={roots} {revision} />
                <p class="progress">{ format!("{} of {} required answers given", completeness.answered, completeness.required) }</p>
                <button type="submit" class="button">{ "Check answers" }</button>
            </form>
        </ContextProvider<FormContext>>
    }
}

/// The guard's view: the blocked panel, the confirmation dialog, or why the rules are
/// not there.
fn guard_view(page: &UseReducerHandle<PageState>, q: &std::sync::Arc<formwell_engine::Questionnaire>, form: &FormState, finish: &Callback<(Vec<Decision>, Option<Confirmation>)>) -> Html {
    match &page.guard {
        None => html! {},
        Some(Guard::Blocked(blocked)) => blocked_panel(q, blocked),
        Some(Guard::Unavailable(why)) => html! {
            <div class="error-summary" id="blocked" role="alert" tabindex="-1"><h2>{ "This form cannot be sent yet" }</h2><p>{ why }</p></div>
        },
        Some(Guard::Confirm { decisions, confirmations, warnings }) => {
            let on_confirm = {
                let (finish, decisions) = (finish.clone(), decisions.clone());
                Callback::from(move |c: Confirmation| finish.emit((decisions.clone(), Some(c))))
            };
            let on_cancel = {
                let page = page.dispatcher();
                Callback::from(move |_| page.dispatch(PageEvent::Guard(None)))
            };
            html! {
                <ConfirmDialog questionnaire={q.clone()} confirmations={confirmations.clone()} warnings={warnings.clone()}
                    {on_confirm} {on_cancel} suggested={form.suggested_demographic_change()} read_back={form.read_back_to_person()} />
            }
        }
    }
}

/// What the record filled in for staff to check, and what it could not (nothing is
/// guessed: those questions are theirs to ask).
fn prefill_notice(form: &FormState) -> Html {
    let report = form.prepopulation();
    if report.filled.is_empty() && report.not_filled.is_empty() {
        return html! {};
    }
    let q = form.questionnaire();
    let label = |link_id: &String| q.item_by_link_id(link_id).map(|i| i.label().to_owned()).unwrap_or_else(|| link_id.clone());
    // Only questions on screen: a hidden item filled from the record is the template's business.
    let shown = |link_id: &&String| {
        let node = form.node_by_link_id(link_id).and_then(|n| form.node(n));
        node.is_some_and(|n| form.evaluate().is_enabled(n.id) && !q.item(n.item).hidden)
    };
    let filled: Vec<String> = report.filled.iter().filter(shown).map(label).collect();
    let missing: Vec<String> = report.not_filled.iter().map(|(l, _)| l).filter(shown).map(label).collect();
    if filled.is_empty() && missing.is_empty() {
        return html! {};
    }
    html! {
        <div class="notice" id="prefilled" role="status">
            if !filled.is_empty() {
                <p>{ format!("Filled in from the record (check them): {}.", filled.join("; ")) }</p>
            }
            if !missing.is_empty() {
                <p>{ format!("The record did not say, so ask: {}.", missing.join("; ")) }</p>
            }
        </div>
    }
}

/// Why the form was not sent, where the person will see it.
fn not_sent(page: &PageState) -> Html {
    match &page.not_sent {
        Some(why) => html! {
            <div class="error-summary" id="not-sent" role="alert" tabindex="-1">
                <h2>{ "This form was not sent" }</h2>
                <p>{ why }</p>
            </div>
        },
        None => html! {},
    }
}

/// "Recording for: Amina Begum, born 3 May 1992", at the top of everything that writes to
/// a record. (A function, not a component: it holds no state.)
/// `change`: the form to come back to after choosing someone else; none once it is sent.
pub fn person_banner(person: Option<&Person>, to_a_record: bool, change: Option<&str>) -> Html {
    if !to_a_record {
        return html! {};
    }
    let who = match person {
        Some(p) if p.reference.is_none() && p.name.is_empty() => "someone new, registered by this form".to_owned(),
        Some(p) if p.reference.is_none() => format!("{} (new: registered by this form)", p.label()),
        Some(p) => p.label(),
        None => "no one chosen yet".to_owned(),
    };
    html! {
        <p class="person-banner" id="recording-for"><strong>{ "Recording for: " }</strong>{ who }
            if let Some(template) = change {
                <a class="change-person" href={crate::route::Route::Person(Some(template.to_owned())).hash()}>
                    { "Change" }<span class="visually-hidden">{ " whose record this is for" }</span></a>
            }</p>
    }
}

/// The read-back as a summary list, each answer with a "Change" that goes back to it.
fn summary_list(lines: impl Iterator<Item = (NodeId, String, String, bool)>, change: Option<Callback<NodeId>>) -> Html {
    html! {
        <dl class="summary-list" id="summary">
            { for lines.map(|(node, label, answer, heading)| {
                if heading {
                    return html! { <div class="summary-heading"><dt>{ label }</dt></div> };
                }
                let change = change.clone().map(|change| {
                    let onclick = Callback::from(move |_: MouseEvent| change.emit(node));
                    html! { <dd class="summary-action"><button type="button" class="button link" {onclick}>
                        { "Change" }<span class="visually-hidden">{ format!(" {label}") }</span></button></dd> }
                });
                html! {
                    <div class="summary-row">
                        <dt>{ label.clone() }</dt>
                        <dd>{ if answer.is_empty() { "Not answered".to_owned() } else { answer } }</dd>
                        { change }
                    </div>
                }
            }) }
        </dl>
    }
}

/// The prompts the answers raised, to act on now (repeated once the form is sent).
fn prompt_list(prompts: &[String]) -> Html {
    if prompts.is_empty() {
        return html! {};
    }
    html! {
        <div class="notice warning prompts" id="prompts" role="note">
            <h2>{ "To do now" }</h2>
            <ul>{ for prompts.iter().map(|p| html! { <li>{ p }</li> }) }</ul>
        </div>
    }
}

/// What sending shows: where it is (sent to whose record, or kept to send, in plain
/// words), what was recorded, what to do now; the records and the Bundle only for support.
fn sent_page(title: &str, submission: &Submission, again: Callback<MouseEvent>, banner: Html, embedded: bool) -> Html {
    let lines = submission.read_back.iter().map(|(label, answer, heading)| (NodeId(0), label.clone(), answer.clone(), *heading));
    html! {
        <div class="panel confirmation" id="submitted" tabindex="-1">
            { banner }
            <SendStatus outgoing={submission.outgoing.clone()} person={submission.person.clone()} title={title.to_owned()} />
            { prompt_list(&submission.prompts) }
            <h2>{ "What was recorded" }</h2>
            { summary_list(lines, None) }
            <div class="actions">
                <button class="button" onclick={again}>{ "Fill in another" }</button>
                // In a portal there is no list of forms: the page is the portal's.
                if !embedded {
                    <a class="button secondary" href="#/">{ "Back to the list of forms" }</a>
                }
            </div>
            <details class="support"><summary>{ "Details for support" }</summary>
                <SendDetails outgoing={submission.outgoing.clone()} />
                <h3>{ "QuestionnaireResponse" }</h3>
                <pre class="response" id="response-json">{ &submission.response }</pre>
                <h3>{ "Decisions about its coded entries" }</h3>
                <pre class="response" id="decisions-json">{ &submission.decisions }</pre>
            </details>
        </div>
    }
}

/// What submitting produced.
#[derive(Debug, Clone, PartialEq)]
struct Submission {
    response: String,
    decisions: String,
    /// The outbox entry, when a record system is configured.
    outgoing: Option<String>,
    /// The read-back as it was sent: (question, answer, heading).
    read_back: Vec<(String, String, bool)>,
    prompts: Vec<String>,
    person: Option<Person>,
}

/// What the submit guard is asking of the person.
#[derive(Debug, Clone, PartialEq)]
enum Guard {
    Blocked(Vec<Decision>),
    Confirm { decisions: Vec<Decision>, confirmations: Vec<Decision>, warnings: Vec<Decision> },
    Unavailable(String),
}

#[derive(Properties, PartialEq)]
struct SendStatusProps {
    outgoing: Option<String>,
    person: Option<Person>,
    title: AttrValue,
}

/// Where the submission is, in plain words: sent to whose record and when; saved on the
/// tablet and not sent yet, and why; refused, and why.
#[function_component(SendStatus)]
fn send_status(props: &SendStatusProps) -> Html {
    let outbox = use_context::<Outbox>();
    let Some(id) = &props.outgoing else {
        return html! {
            <div class="send-status" id="send-status" role="status">
                <h1>{ format!("{} is complete", props.title) }</h1>
                <p>{ "No record system is configured, so nothing was sent." }</p>
            </div>
        };
    };
    let Some(outbox) = outbox else { return html! {} };
    let Some(outgoing) = outbox.view.get(id) else { return html! {} };
    let whose = props.person.as_ref().map(Person::name_or_reference).unwrap_or_else(|| "the person".into());
    let now = crate::web::now_ms();
    let (class, heading, words) = match &outgoing.delivery.phase {
        Phase::Sent { .. } => {
            ("sent", format!("Sent to {whose}'s record at {}", crate::web::local_time(&crate::web::now())), String::new())
        }
        Phase::Refused { .. } => {
            ("refused", "Not sent: the record system refused it".to_owned(), crate::outbox::describe(&outgoing.delivery, now).1)
        }
        // Amber, never a green "complete": kept, and why it is not sent yet.
        Phase::Waiting { error: Some(error), due_ms } => (
            "waiting",
            format!("Saved on this tablet, not sent yet: {error}"),
            format!(
                "For {whose}'s record. It will be tried again in {}, and sent by itself when the record system answers.",
                crate::outbox::in_about(*due_ms, now)
            ),
        ),
        Phase::NotAllowed { .. } => (
            "waiting",
            "Saved on this tablet, not sent yet".to_owned(),
            format!("For {whose}'s record. {}", crate::outbox::describe(&outgoing.delivery, now).1),
        ),
        _ => ("sending", format!("Sending to {whose}'s record…"), String::new()),
    };
    let send_now = matches!(outgoing.delivery.phase, Phase::Waiting { .. }).then(|| {
        let outbox = outbox.clone();
        html! { <button type="button" class="button secondary" onclick={move |_| outbox.send_now()}>{ "Send now" }</button> }
    });
    html! {
        <div class={classes!("send-status", class)} id="send-status" role="status">
            <h1>{ heading }</h1>
            <p>{ props.title.to_string() }</p>
            if !words.is_empty() { <p>{ words }</p> }
            if class == "refused" {
                <p>{ "It is kept here, not lost. Show this message to whoever looks after the form or the record system." }</p>
            }
            { send_now }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct SendDetailsProps {
    outgoing: Option<String>,
}

/// For support: what the record now holds, and the Bundle sent.
#[function_component(SendDetails)]
fn send_details(props: &SendDetailsProps) -> Html {
    let outbox = use_context::<Outbox>();
    let Some(outgoing) = props.outgoing.as_ref().and_then(|id| outbox.as_ref()?.view.get(id).cloned()) else {
        return html! {};
    };
    let locations = match &outgoing.delivery.phase {
        Phase::Sent { locations } => locations.clone(),
        _ => Vec::new(),
    };
    html! {
        <>
            <h3>{ "Records written" }</h3>
            <ul class="locations">{ for locations.iter().map(|l| html! { <li><code>{ l }</code></li> }) }</ul>
            <h3>{ "The Bundle sent" }</h3>
            <pre class="response" id="bundle-json">{ &outgoing.record.bundle }</pre>
        </>
    }
}
