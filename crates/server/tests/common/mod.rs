//! Bundles the engine makes from the shipped templates, for the server's tests.
#![allow(dead_code)]

use std::sync::Arc;

use formwell_engine::{
    Action, AnswerValue, FormState, Idempotency, Questionnaire, RecordedDecision, Reference, Submission,
};
use serde_json::Value;

pub fn template(name: &str) -> Arc<Questionnaire> {
    let path = format!("{}/../../templates/{name}.json", env!("CARGO_MANIFEST_DIR"));
    Arc::new(Questionnaire::parse(&std::fs::read_to_string(path).unwrap()).unwrap().questionnaire)
}

pub fn harmful_bundle(sid: &str, idempotency: Idempotency) -> Value {
    harmful_bundle_with(sid, idempotency, vec![])
}

/// The harmful example filled in: pregnant, a due date, a child protection plan.
pub fn harmful_form() -> FormState {
    let mut form = FormState::new(template("harmful-pregnancy-safeguarding-example"));
    for (link, value) in [("pregnant", AnswerValue::Boolean(true)), ("cpp", AnswerValue::Boolean(true))] {
        let node = form.node_by_link_id(link).unwrap();
        form.apply(Action::SetAnswer { node, value: Some(value) }).unwrap();
    }
    let edd = form.node_by_link_id("edd").unwrap();
    form.apply(Action::SetInput { node: edd, text: "2027-04-01".into() }).unwrap();
    form
}

/// A form's Bundle for patient p1 by practitioner s1, with these decisions.
pub fn bundle_of(
    form: &FormState,
    sid: &str,
    idempotency: Idempotency,
    decisions: Vec<RecordedDecision>,
    ruleset_version: &str,
) -> Value {
    let submission = Submission {
        id: sid.into(),
        authored: "2026-11-26T10:15:00Z".into(),
        subject: Some(Reference { reference: Some("Patient/p1".into()), ..Default::default() }),
        author: Some(Reference { reference: Some("Practitioner/s1".into()), ..Default::default() }),
        device: "test".into(),
        ruleset_version: Some(ruleset_version.into()),
        decisions,
    };
    form.transaction_bundle(&submission, idempotency)
}

/// The harmful example's Bundle with no decisions recorded.
pub fn harmful_bundle_with(sid: &str, idempotency: Idempotency, decisions: Vec<RecordedDecision>) -> Value {
    bundle_of(&harmful_form(), sid, idempotency, decisions, "v1")
}

/// The harmful example as an app in `setting` would send it: every decision recorded, the
/// confirm-level ones confirmed with a reason when `confirm` is true.
pub fn harmful_bundle_decided(sid: &str, ruleset: &formwell_engine::Ruleset, setting: &str, confirm: bool) -> Value {
    let form = harmful_form();
    let decisions: Vec<RecordedDecision> = ruleset
        .check(&form.coded_entries(), setting)
        .unwrap()
        .into_iter()
        .map(|decision| {
            let confirmed = confirm && decision.severity == formwell_engine::ImpactSeverity::Confirm;
            RecordedDecision {
                decision,
                setting: setting.into(),
                confirmed_by: confirmed.then(|| "Sam Patel".into()),
                confirmed_at: confirmed.then(|| "2026-11-26T10:16:00Z".into()),
                reason: confirmed.then(|| "Plan confirmed at the case conference".into()),
                demographic_change: None,
            }
        })
        .collect();
    bundle_of(&form, sid, Idempotency::ConditionalCreate, decisions, ruleset.version())
}
