//! What a form's codes do to the shared record, shown to the people who write them: the
//! impact summary above a form, the panel that stops a blocked submission, and the dialog
//! that asks for confirmation and a reason.

use std::sync::Arc;

use formwell_engine::impact::Confirmation;
use formwell_engine::{Decision, DemographicChange, ImpactSeverity, Questionnaire};
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
            <p><strong>{ format!("This form {}.", report.summary) }</strong>{ format!(" Used in: {setting_title}.") }</p>
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

/// Why the form cannot be submitted, and what to do instead. (A function, not a
/// component: it holds no state.)
pub fn blocked_panel(questionnaire: &Questionnaire, blocked: &[Decision]) -> Html {
    html! {
        <div class="error-summary blocked" id="blocked" role="alert" tabindex="-1">
            <h2>{ "This form cannot be submitted from here" }</h2>
            <p>{ "It would write entries that your service does not record in the shared record. Nothing has been sent." }</p>
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
            <p>{ "Change those answers, or ask the form's designer for a version that does not write these codes." }</p>
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
    /// What the form itself says about the change (an answered end date means temporary).
    pub suggested: Option<DemographicChange>,
}

impl PartialEq for ConfirmProps {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.questionnaire, &other.questionnaire)
            && self.confirmations == other.confirmations
            && self.warnings == other.warnings
            && self.on_confirm == other.on_confirm
            && self.on_cancel == other.on_cancel
            && self.suggested == other.suggested
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

/// Says in plain words what will change for which services, and needs an explicit
/// confirmation and a reason before anything is sent. Cancel sends nothing.
#[function_component(ConfirmDialog)]
pub fn confirm_dialog(props: &ConfirmProps) -> Html {
    let ticked = use_state(|| false);
    let reason = use_state(String::new);
    let permanence = use_state(|| match &props.suggested {
        Some(DemographicChange::Permanent) => Some(true),
        Some(DemographicChange::Temporary { .. }) => Some(false),
        None => None,
    });
    let until = use_state(|| match &props.suggested {
        Some(DemographicChange::Temporary { until: Some(until) }) => until.clone(),
        _ => String::new(),
    });
    let demographic = props.confirmations.iter().any(|d| d.demographic);
    let ready = *ticked && !reason.trim().is_empty() && (!demographic || permanence.is_some());

    let on_tick = {
        let ticked = ticked.clone();
        Callback::from(move |e: Event| {
            ticked.set(e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()).is_some_and(|i| i.checked()))
        })
    };
    let on_reason = {
        let reason = reason.clone();
        Callback::from(move |e: InputEvent| reason.set(value_of(&e)))
    };
    let set_permanent = |value: bool| {
        let permanence = permanence.clone();
        Callback::from(move |_: Event| permanence.set(Some(value)))
    };
    let on_until = {
        let until = until.clone();
        Callback::from(move |e: InputEvent| until.set(value_of(&e)))
    };
    let confirm = {
        let (reason, permanence, until, on_confirm) =
            (reason.clone(), permanence.clone(), until.clone(), props.on_confirm.clone());
        Callback::from(move |_: MouseEvent| {
            let demographic_change = (*permanence).map(|permanent| {
                if permanent {
                    DemographicChange::Permanent
                } else {
                    DemographicChange::Temporary { until: Some((*until).clone()).filter(|u| !u.is_empty()) }
                }
            });
            on_confirm.emit(Confirmation { reason: reason.trim().to_owned(), demographic_change });
        })
    };
    let cancel = {
        let on_cancel = props.on_cancel.clone();
        Callback::from(move |_: MouseEvent| on_cancel.emit(()))
    };
    let mut shown: Vec<&Decision> = Vec::new();
    for d in props.confirmations.iter().chain(&props.warnings) {
        if !shown.iter().any(|s| s.category == d.category && s.entry.link_id == d.entry.link_id) {
            shown.push(d);
        }
    }
    html! {
        <div class="dialog-backdrop">
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="confirm-title" id="confirm-dialog">
                <h2 id="confirm-title">{ "Check before this goes into the shared record" }</h2>
                <ul class="changes">
                    { for shown.iter().map(|d| html! {
                        <li>
                            <p><strong>{ format!("{}: {}", question_label(&props.questionnaire, &d.entry.link_id), d.entry.value) }</strong></p>
                            <p>{ format!("{}. ", d.category_title.clone().unwrap_or_default()) }{ &d.effect }</p>
                            <p class="meta">{ format!("Seen by: {}", d.services.join(", ")) }</p>
                        </li>
                    }) }
                </ul>
                if demographic {
                    <fieldset class="choice">
                        <legend class="question">{ "Is this change temporary or permanent?" }</legend>
                        <div class="radios">
                            <div class="radio">
                                <input type="radio" id="change-permanent" name="change" checked={*permanence == Some(true)} onchange={set_permanent(true)} />
                                <label for="change-permanent">{ "Permanent: it replaces the current details" }</label>
                            </div>
                            <div class="radio">
                                <input type="radio" id="change-temporary" name="change" checked={*permanence == Some(false)} onchange={set_permanent(false)} />
                                <label for="change-temporary">{ "Temporary: recorded beside the current details, until a date" }</label>
                            </div>
                        </div>
                        if *permanence == Some(false) {
                            <label class="question" for="change-until">{ "Until (if known)" }</label>
                            <input class="input" type="date" id="change-until" value={(*until).clone()} oninput={on_until} />
                        }
                    </fieldset>
                }
                <label class="question" for="confirm-reason">{ "Why is this right to record?" }</label>
                <textarea class="textarea" id="confirm-reason" rows="3" value={(*reason).clone()} oninput={on_reason} />
                <div class="checkbox">
                    <input type="checkbox" id="confirm-tick" checked={*ticked} onchange={on_tick} />
                    <label for="confirm-tick">{ "I have checked this with the person and it is right to record" }</label>
                </div>
                <div class="actions">
                    <button type="button" class="button" disabled={!ready} onclick={confirm}>{ "Confirm and submit" }</button>
                    <button type="button" class="button secondary" onclick={cancel}>{ "Cancel" }</button>
                </div>
            </div>
        </div>
    }
}
