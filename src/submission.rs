//! A completed form, made into what is shown and what is sent: the engine builds the
//! decisions and the submission's record; this only supplies what the app knows (who is
//! signed in, the setting, the record system and how it keeps repeats harmless, the time,
//! a new random id).

use formwell_engine::impact::decisions::record_decisions;
use formwell_engine::impact::Confirmation;
use formwell_engine::submit::stored::OutboxRecord;
use formwell_engine::{Decision, FormState, Idempotency, RecordedDecision, Reference, Submission};

use crate::config::{AppConfig, BackendState};

/// Who is recorded as having confirmed: the signed-in member of staff, else the one the
/// configuration names.
pub fn confirmed_by(config: Option<&AppConfig>) -> String {
    config
        .and_then(|c| c.session.as_ref().map(|s| s.staff.clone()).or_else(|| c.staff.clone()))
        .unwrap_or_else(|| "(staff member not named)".into())
}

/// Every decision, as it travels with the submission.
pub fn decisions(
    config: Option<&AppConfig>,
    decisions: Vec<Decision>,
    confirmation: Option<&Confirmation>,
    at: &str,
) -> Vec<RecordedDecision> {
    let setting = config.map(|c| c.setting.clone()).unwrap_or_default();
    record_decisions(decisions, confirmation, &confirmed_by(config), at, &setting)
}

/// The submission to the configured record system, ready to keep: a new random id (or
/// why there can be none: then nothing is sent), the person, the author, the decisions.
pub fn outbox_record(
    form: &FormState,
    config: &AppConfig,
    decisions: Vec<RecordedDecision>,
    at: &str,
) -> Result<Option<OutboxRecord>, String> {
    let Some(backend) = &config.backend else { return Ok(None) };
    // No person, no submission to a record; someone new only through a form that
    // registers them.
    let person = match &config.person {
        Some(person) if person.reference.is_some() || form.questionnaire().registers_person() => person,
        _ => return Err("the form does not say whose record it is for: choose the person first".into()),
    };
    let idempotency = match &config.backend_state {
        BackendState::Ready(caps) => caps.idempotency().unwrap_or(Idempotency::ConditionalCreate),
        _ => Idempotency::ConditionalCreate,
    };
    let submission = Submission {
        id: crate::web::random_uuid()?,
        authored: at.to_owned(),
        subject: person.reference.as_ref().map(|reference| Reference {
            reference: Some(reference.clone()),
            display: Some(person.name.clone()).filter(|n| !n.is_empty()),
            ..Default::default()
        }),
        // The signed-in member of staff: their Practitioner where the record knows one,
        // their name in any case.
        author: Some(Reference {
            reference: backend.practitioner.clone(),
            display: Some(confirmed_by(Some(config))),
            ..Default::default()
        }),
        device: format!("Formwell {} (web)", env!("CARGO_PKG_VERSION")),
        ruleset_version: config.ruleset().map(|r| r.version().to_owned()),
        decisions,
    };
    let mut record = OutboxRecord::new(form, &submission, &backend.base, idempotency);
    record.person = Some(form.person_for(person));
    Ok(Some(record))
}
