//! What a form's codes do to the shared record, shown to the people who write them: the
//! impact summary above a form, the panel that stops a blocked submission, and the dialog
//! that asks for confirmation and a reason.

use std::sync::Arc;

use formwell_engine::impact::decisions::ConfirmationDraft;
use formwell_engine::impact::Confirmation;
use formwell_engine::{Decision, DemographicChange, Finding, ImpactSeverity, LintReport, Questionnaire, SettingPolicy};
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::config::{AppConfig, RulesState};

#[derive(Properties)]
pub struct ImpactSummaryProps {
    pub questionnaire: Arc<Questionnaire>,
}

// By identity: the form re-renders on every keystroke, and comparing two templates field
// by field each time would cost more than the summary itself.
impl PartialEq for ImpactSummaryProps {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.questionnaire, &other.questionnaire)
    }
}

/// "This form can write 3 codes; 3 need attention: …", with each category's effect.
#[function_component(ImpactSummary)]
pub fn impact_summary(props: &ImpactSummaryProps) -> Html {
    let Some(config) = use_context::<AppConfig>() else { return html! {} };
    let ruleset = match &config.rules {
        RulesState::Ready(r) => r.clone(),
        RulesState::Loading => return html! { <p class="impact loading">{ "Checking what this form can write…" }</p> },
        RulesState::Failed(why) => {
            return html! {
                <div class="notice warning" role="alert">
                    <p><strong>{ "The code-impact rules could not be loaded, " }</strong>
                    { "so this form's coded entries cannot be checked and it cannot be submitted if it writes any. " }{ why }</p>
                </div>
            }
        }
    };
    let report = match ruleset.lint(&props.questionnaire, &config.setting) {
        Ok(report) => report,
        Err(e) => return html! { <div class="notice warning" role="alert"><p>{ e.to_string() }</p></div> },
    };
    let mut categories: Vec<(String, ImpactSeverity, String)> = Vec::new();
    for f in report.findings.iter().filter(|f| f.severity >= ImpactSeverity::Warn) {
        let title = f.category_title.clone().unwrap_or_default();
        if !categories.iter().any(|(t, ..)| *t == title) {
            categories.push((title, f.severity, f.reason.clone()));
        }
    }
    let setting_title = ruleset.setting(&config.setting).map(|s| s.title.clone()).unwrap_or_default();
    let class = classes!(
        "impact",
        if report.is_blocked() {
            "blocked"
        } else if categories.is_empty() {
            "clear"
        } else {
            "attention"
        }
    );
    html! {
        <section class={class} aria-label="What this form writes">
            <p><strong>{ format!("This form {}.", report.summary) }</strong>
                // The header names the setting too; at phone width that is enough.
                <span class="wide-only">{ format!(" Used in: {setting_title}.") }</span></p>
            if !categories.is_empty() {
                <ul>
                    { for categories.iter().map(|(title, severity, effect)| html! {
                        <li><strong>{ format!("{title} ({})", severity.word()) }</strong>{ ": " }{ effect }</li>
                    }) }
                </ul>
            }
            <p class="meta">{ format!("Rules version {}", report.ruleset_version) }</p>
        </section>
    }
}

fn question_label(q: &Questionnaire, link_id: &str) -> String {
    q.item_by_link_id(link_id).map(|i| i.label().to_owned()).unwrap_or_else(|| link_id.to_owned())
}

/// Why the form cannot be sent, and what to do instead. It never suggests changing a
/// true answer to get past the block. (A function, not a component: it holds no state.)
pub fn blocked_panel(questionnaire: &Questionnaire, blocked: &[Decision]) -> Html {
    html! {
        <div class="error-summary blocked" id="blocked" role="alert" tabindex="-1">
            <h2>{ "This form cannot be sent from your service" }</h2>
            <p>{ "Your answers may well be right. This form would write them as entries that your service does not record in the shared record, so nothing has been sent." }</p>
            <ul>
                { for blocked.iter().map(|d| html! {
                    <li>
                        <p><strong>{ format!("{}: {}", question_label(questionnaire, &d.entry.link_id), d.entry.value) }</strong>
                           { format!(" would be recorded as {}.", d.category_title.clone().unwrap_or_default().to_ascii_lowercase()) }</p>
                        <p>{ &d.effect }</p>
                        if let Some(instead) = &d.instead { <p class="instead"><strong>{ "What to do instead: " }</strong>{ instead }</p> }
                    </li>
                }) }
            </ul>
            <p>{ "Do not change true answers to get past this. Tell whoever looks after this form that it needs a version for your service." }</p>
        </div>
    }
}

/// A form this service may not use, said before any question: what it would write, and
/// what to do instead. (A function, not a component: it holds no state.)
pub fn not_for_this_service(report: &LintReport, setting: Option<&SettingPolicy>) -> Html {
    // Setting titles are plain ASCII (Unicode case tables would add to the wasm).
    let service = setting.map(|s| s.title.to_ascii_lowercase()).unwrap_or_else(|| "this".into());
    let mut shown: Vec<&Finding> = Vec::new();
    for f in report.findings.iter().filter(|f| f.severity == ImpactSeverity::Block) {
        if !shown.iter().any(|s| s.category == f.category) {
            shown.push(f);
        }
    }
    html! {
        <div class="error-summary blocked" id="not-for-service" role="alert">
            <h2>{ format!("This form is not for the {service} service") }</h2>
            <p>{ "Whatever the answers, it would write entries your service does not record in the shared record. Do not use it here." }</p>
            <ul>
                { for shown.iter().map(|f| html! {
                    <li>
                        <p><strong>{ f.category_title.clone().unwrap_or_default() }</strong>{ ": " }{ &f.reason }</p>
                        if let Some(instead) = &f.instead { <p class="instead"><strong>{ "What to do instead: " }</strong>{ instead }</p> }
                    </li>
                }) }
            </ul>
            <p><a href="#/">{ "Back to the list of forms" }</a></p>
        </div>
    }
}

#[derive(Properties)]
pub struct ConfirmProps {
    pub questionnaire: Arc<Questionnaire>,
    pub confirmations: Vec<Decision>,
    pub warnings: Vec<Decision>,
    pub on_confirm: Callback<Confirmation>,
    pub on_cancel: Callback<()>,
    /// What the form itself says about the change (temporary until a date, or
    /// permanent): then it is not asked again.
    pub suggested: Option<DemographicChange>,
    /// The form's answer to "have you read the new details back to the person?".
    pub read_back: Option<bool>,
}

impl PartialEq for ConfirmProps {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.questionnaire, &other.questionnaire)
            && self.confirmations == other.confirmations
            && self.warnings == other.warnings
            && self.on_confirm == other.on_confirm
            && self.on_cancel == other.on_cancel
            && self.suggested == other.suggested
            && self.read_back == other.read_back
    }
}

fn value_of(e: &Event) -> String {
    let target = e.target();
    target
        .as_ref()
        .and_then(|t| t.dyn_ref::<HtmlTextAreaElement>().map(|a| a.value()))
        .or_else(|| target.as_ref().and_then(|t| t.dyn_ref::<HtmlInputElement>().map(|i| i.value())))
        .unwrap_or_default()
}

/// Says in plain words what will change for which services, once per kind of change, and
/// needs an explicit confirmation and a reason before anything is sent; a button that
/// cannot be pressed says what is missing. Cancel sends nothing.
#[function_component(ConfirmDialog)]
pub fn confirm_dialog(props: &ConfirmProps) -> Html {
    let draft = use_state(|| ConfirmationDraft::from_form(props.suggested.as_ref()));
    let demographic = props.confirmations.iter().any(|d| d.demographic);
    let today = crate::web::today();
    let missing = draft.missing(demographic, props.read_back, &today);
    let update = |change: fn(&mut ConfirmationDraft, &Event)| {
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let mut next = (*draft).clone();
            change(&mut next, &e);
            draft.set(next);
        })
    };
    let on_tick = update(|d, e| d.ticked = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()).is_some_and(|i| i.checked()));
    let on_reason = update(|d, e| d.reason = value_of(e));
    let on_until = update(|d, e| d.until = value_of(e));
    let on_permanent = update(|d, _| d.permanent = Some(true));
    let on_temporary = update(|d, _| d.permanent = Some(false));
    let confirm = {
        let (draft, on_confirm, read_back) = (draft.clone(), props.on_confirm.clone(), props.read_back);
        Callback::from(move |_: MouseEvent| {
            if let Some(confirmation) = draft.confirm(demographic, read_back, &today) {
                on_confirm.emit(confirmation);
            }
        })
    };
    let cancel = {
        let on_cancel = props.on_cancel.clone();
        Callback::from(move |_: MouseEvent| on_cancel.emit(()))
    };
    // One warning per kind of change, with every answer it covers.
    let mut shown: Vec<(&Decision, Vec<String>)> = Vec::new();
    for d in props.confirmations.iter().chain(&props.warnings) {
        let answer = format!("{}: {}", question_label(&props.questionnaire, &d.entry.link_id), d.entry.value);
        match shown.iter_mut().find(|(s, _)| s.category == d.category) {
            Some((_, answers)) if !answers.contains(&answer) => answers.push(answer),
            Some(_) => {}
            None => shown.push((d, vec![answer])),
        }
    }
    // What the form already said about the change is shown, not asked again.
    let from_form = match &props.suggested {
        Some(DemographicChange::Permanent) => Some("Permanent: it replaces the current details (as the form says)".to_owned()),
        Some(DemographicChange::Temporary { until: Some(until) }) => Some(format!(
            "Temporary, until {} (as the form says)",
            formwell_engine::FhirDate::parse(until).map(|d| d.human()).unwrap_or_else(|| until.clone())
        )),
        Some(DemographicChange::Temporary { until: None }) => Some("Temporary (as the form says)".to_owned()),
        None => None,
    };
    html! {
        <div class="dialog-backdrop">
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="confirm-title" id="confirm-dialog" tabindex="-1">
                <h2 id="confirm-title">{ "Check before this goes into the shared record" }</h2>
                <ul class="changes">
                    { for shown.iter().map(|(d, answers)| html! {
                        <li>
                            <p><strong>{ d.category_title.clone().unwrap_or_default() }</strong></p>
                            <ul>{ for answers.iter().map(|a| html! { <li>{ a }</li> }) }</ul>
                            <p>{ &d.effect }</p>
                            <p class="meta">{ format!("Seen by: {}", d.services.join(", ")) }</p>
                        </li>
                    }) }
                </ul>
                if demographic {
                    if let Some(said) = from_form {
                        <p class="notice" id="change-kind">{ said }</p>
                    } else {
                        <fieldset class="choice">
                            <legend class="question">{ "Is this change temporary or permanent?" }</legend>
                            <div class="radios">
                                <div class="radio">
                                    <input type="radio" id="change-permanent" name="change" checked={draft.permanent == Some(true)} onchange={on_permanent} />
                                    <label for="change-permanent">{ "Permanent: it replaces the current details" }</label>
                                </div>
                                <div class="radio">
                                    <input type="radio" id="change-temporary" name="change" checked={draft.permanent == Some(false)} onchange={on_temporary} />
                                    <label for="change-temporary">{ "Temporary: recorded beside the current details, until a date" }</label>
                                </div>
                            </div>
                            if draft.permanent == Some(false) {
                                <label class="question" for="change-until">{ "Until (if known)" }</label>
                                <input class="input" type="date" id="change-until" value={draft.until.clone()} onchange={on_until} />
                            }
                        </fieldset>
                    }
                }
                <label class="question" for="confirm-reason">{ "Why is this right to record?" }</label>
                <textarea class="textarea" id="confirm-reason" rows="3" value={draft.reason.clone()} onchange={on_reason.clone()} oninput={let r = on_reason; move |e: InputEvent| r.emit(e.into())} />
                <div class="checkbox">
                    <input type="checkbox" id="confirm-tick" checked={draft.ticked} onchange={on_tick} />
                    <label for="confirm-tick">{ "I have checked this with the person and it is right to record" }</label>
                </div>
                if !missing.is_empty() {
                    <p class="hint" id="confirm-missing">{ format!("To confirm: {}.", missing.join("; ")) }</p>
                }
                <div class="actions">
                    <button type="button" class="button" disabled={!missing.is_empty()} onclick={confirm}
                        aria-describedby={(!missing.is_empty()).then_some("confirm-missing")}>{ "Confirm and send" }</button>
                    <button type="button" class="button secondary" onclick={cancel}>{ "Cancel" }</button>
                </div>
            </div>
        </div>
    }
}
