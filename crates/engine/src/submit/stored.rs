//! What a device keeps between pages: a submission waiting to be sent (`OutboxRecord`) and
//! a form being filled (`DraftRecord`), each as JSON text with a format number, so that an
//! update of the app never strands what an earlier version kept. Format 0 is what the app
//! kept before formats were numbered; it reads as format 1. A record of a format newer
//! than this app reads, or one that is not a record at all, is an error that says so: the
//! caller keeps it and shows it as unreadable, never drops it.
//!
//! (Read by hand rather than with derived deserialisers: this runs in the browser, where
//! serde's generated code costs kilobytes of wasm.)

use serde_json::{json, Map, Value};

use crate::form::FormState;
use crate::submit::delivery::KeptPhase;
use crate::submit::demographics::DemographicChanges;
use crate::submit::extract::{Idempotency, Submission};
use crate::submit::person::Person;

/// The format this app writes.
pub const FORMAT: u64 = 1;

/// A submission waiting to be sent: everything needed to send it, and how far it got.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRecord {
    /// The submission's UUID: every identifier in its Bundle derives from it.
    pub id: String,
    /// The form's title, for staff.
    pub title: String,
    /// Its record system (a FHIR base).
    pub base: String,
    /// The transaction Bundle, as JSON text.
    pub bundle: String,
    /// `system|value` of its QuestionnaireResponse's identifier, to ask whether a send
    /// that went unanswered was stored.
    pub response_token: String,
    /// A change of name, address or phone, applied to the person's record as it is when
    /// the Bundle is sent.
    pub demographics: Option<DemographicChanges>,
    /// The person's record (`Patient/123`) the change applies to.
    pub patient: Option<String>,
    /// The day the change starts (YYYY-MM-DD).
    pub today: String,
    pub phase: KeptPhase,
    /// Whose record it goes into, as staff read it (not in format 0).
    pub person: Option<Person>,
}

fn read_object(text: &str, what: &str) -> Result<Map<String, Value>, String> {
    let json: Value = serde_json::from_str(text).map_err(|e| format!("this {what} is not readable JSON ({e})"))?;
    let Value::Object(object) = json else { return Err(format!("this {what} is not a JSON object")) };
    match object.get("format").map(Value::as_u64) {
        None | Some(Some(0..=FORMAT)) => Ok(object),
        Some(Some(newer)) => Err(format!(
            "this {what} was kept by a newer version of the app (format {newer}); update the app to read it"
        )),
        Some(None) => Err(format!("this {what} has a format that is not a number")),
    }
}

fn text(object: &Map<String, Value>, key: &str) -> Option<String> {
    object.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn required(object: &Map<String, Value>, key: &str, what: &str) -> Result<String, String> {
    text(object, key).ok_or_else(|| format!("this {what} has no {key}"))
}

impl OutboxRecord {
    /// A completed form's submission to the record system at `base`, ready to keep and
    /// then send: its Bundle (made for how that system keeps a repeat harmless), its
    /// demographic change (patched against the person's record when it is sent), nothing
    /// attempted yet.
    pub fn new(form: &FormState, submission: &Submission, base: &str, idempotency: Idempotency) -> OutboxRecord {
        OutboxRecord {
            id: submission.id.clone(),
            title: form.questionnaire().display_title().to_owned(),
            base: base.to_owned(),
            bundle: form.transaction_bundle(submission, idempotency).to_string(),
            response_token: submission.response_token(),
            demographics: form.demographic_changes(&submission.decisions),
            patient: submission.subject.as_ref().and_then(|s| s.reference.clone()),
            today: submission.authored.get(..10).unwrap_or_default().to_owned(),
            phase: KeptPhase::Pending { attempts: 0, error: None },
            person: None,
        }
    }

    /// The stored form (current format).
    pub fn to_json(&self) -> String {
        let state = match &self.phase {
            KeptPhase::Refused(reason) => json!({ "refused": reason }),
            KeptPhase::NotAllowed { reason, attempts } => json!({ "notAllowed": reason, "attempts": attempts }),
            KeptPhase::Pending { attempts, error: Some(error) } => json!({ "error": error, "attempts": attempts }),
            KeptPhase::Pending { attempts, error: None } => json!({ "attempts": attempts }),
        };
        json!({
            "format": FORMAT, "id": self.id, "title": self.title, "base": self.base, "bundle": self.bundle,
            "responseToken": self.response_token, "demographics": self.demographics,
            "patient": self.patient, "today": self.today, "state": state,
            "person": self.person.as_ref().map(Person::to_json),
        })
        .to_string()
    }

    /// Reads a stored submission of any format this app knows.
    pub fn from_json(text_: &str) -> Result<OutboxRecord, String> {
        const WHAT: &str = "queued form";
        let object = read_object(text_, WHAT)?;
        let state = object.get("state").cloned().unwrap_or(Value::Null);
        let attempts = state["attempts"].as_u64().map(|n| n as u32);
        let phase = if let Some(reason) = state["refused"].as_str() {
            KeptPhase::Refused(reason.to_owned())
        } else if let Some(reason) = state["notAllowed"].as_str() {
            KeptPhase::NotAllowed { reason: reason.to_owned(), attempts: attempts.unwrap_or(0) }
        } else if let Some(error) = state["error"].as_str() {
            // Format 0 kept an error with no count as one attempt.
            KeptPhase::Pending { attempts: attempts.unwrap_or(1), error: Some(error.to_owned()) }
        } else {
            KeptPhase::Pending { attempts: attempts.unwrap_or(0), error: None }
        };
        let demographics = match object.get("demographics") {
            None | Some(Value::Null) => None,
            Some(json) => Some(
                DemographicChanges::from_json(json)
                    .ok_or_else(|| format!("this {WHAT}'s change of demographics is not readable"))?,
            ),
        };
        Ok(OutboxRecord {
            id: required(&object, "id", WHAT)?,
            title: text(&object, "title").unwrap_or_default(),
            base: required(&object, "base", WHAT)?,
            bundle: required(&object, "bundle", WHAT)?,
            response_token: required(&object, "responseToken", WHAT)?,
            demographics,
            patient: text(&object, "patient"),
            today: text(&object, "today").unwrap_or_default(),
            phase,
            person: object.get("person").and_then(Person::from_json),
        })
    }
}

/// A form being filled, kept after every change.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftRecord {
    pub id: String,
    /// The shipped template's id.
    pub template: String,
    pub title: String,
    /// When it was last changed (a FHIR instant).
    pub saved: String,
    /// The code-impact ruleset's version when it was last changed.
    pub rules: Option<String>,
    /// The answers, as an in-progress QuestionnaireResponse (which also names the
    /// template's canonical URL and version).
    pub response: Value,
    /// Whose record it is for (not in format 0).
    pub person: Option<Person>,
}

impl DraftRecord {
    pub fn to_json(&self) -> String {
        json!({"format": FORMAT, "id": self.id, "template": self.template, "title": self.title, "saved": self.saved,
            "rules": self.rules, "response": self.response, "person": self.person.as_ref().map(Person::to_json)})
        .to_string()
    }

    /// Reads a kept draft of any format this app knows.
    pub fn from_json(text_: &str) -> Result<DraftRecord, String> {
        const WHAT: &str = "draft";
        let object = read_object(text_, WHAT)?;
        let response = object.get("response").cloned().unwrap_or(Value::Null);
        if !response.is_object() {
            return Err(format!("this {WHAT} holds no answers"));
        }
        Ok(DraftRecord {
            id: required(&object, "id", WHAT)?,
            template: required(&object, "template", WHAT)?,
            title: text(&object, "title").unwrap_or_default(),
            saved: text(&object, "saved").unwrap_or_default(),
            rules: text(&object, "rules"),
            response,
            person: object.get("person").and_then(Person::from_json),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A submission as the app kept it before formats were numbered (format 0).
    const FORMAT_0_WAITING: &str = r#"{"id":"0b7c1e9e-5f0a-4d43-9a55-2f4f3c1d9e10","title":"Change of contact details","base":"https://record.example/R4","bundle":"{\"resourceType\":\"Bundle\"}","responseToken":"https://formwell.example/submission|0b7c1e9e-5f0a-4d43-9a55-2f4f3c1d9e10/response","demographics":{"address_lines":["Flat 2"],"city":null,"district":null,"postal_code":"LS1 1AA","country":null,"telecom":[],"given":[],"family":null,"temporary_until":"2027-01-31"},"patient":"Patient/1","today":"2026-11-26","state":{"error":"no answer within 20 seconds","attempts":3}}"#;

    #[test]
    fn a_submission_kept_by_the_earlier_version_reads_and_writes_back_as_the_current_format() {
        let record = OutboxRecord::from_json(FORMAT_0_WAITING).unwrap();
        assert_eq!(record.phase, KeptPhase::Pending { attempts: 3, error: Some("no answer within 20 seconds".into()) });
        assert_eq!(record.patient.as_deref(), Some("Patient/1"));
        let changes = record.demographics.as_ref().unwrap();
        assert_eq!(changes.temporary_until, Some(Some("2027-01-31".into())));
        let again = record.to_json();
        assert!(again.contains(r#""format":1"#));
        assert_eq!(OutboxRecord::from_json(&again).unwrap(), record, "the current format round-trips");
        let refused = FORMAT_0_WAITING
            .replace(r#"{"error":"no answer within 20 seconds","attempts":3}"#, r#"{"refused":"Invalid code"}"#);
        assert_eq!(OutboxRecord::from_json(&refused).unwrap().phase, KeptPhase::Refused("Invalid code".into()));
        let fresh = FORMAT_0_WAITING.replace(r#"{"error":"no answer within 20 seconds","attempts":3}"#, "{}");
        assert_eq!(OutboxRecord::from_json(&fresh).unwrap().phase, KeptPhase::Pending { attempts: 0, error: None });
    }

    #[test]
    fn a_record_this_version_cannot_read_says_why_rather_than_vanishing() {
        let newer = FORMAT_0_WAITING.replacen('{', r#"{"format":9,"#, 1);
        assert!(OutboxRecord::from_json(&newer).unwrap_err().contains("newer version of the app (format 9)"));
        assert!(OutboxRecord::from_json("not json").unwrap_err().contains("not readable JSON"));
        assert!(OutboxRecord::from_json("[1]").unwrap_err().contains("not a JSON object"));
        let no_bundle = FORMAT_0_WAITING.replace(r#""bundle":"{\"resourceType\":\"Bundle\"}","#, "");
        assert_eq!(OutboxRecord::from_json(&no_bundle).unwrap_err(), "this queued form has no bundle");
        let bad_change = FORMAT_0_WAITING.replace(r#""demographics":{"#, r#""demographics":7,"ignored":{"#);
        assert!(OutboxRecord::from_json(&bad_change).unwrap_err().contains("change of demographics"));
    }

    #[test]
    fn a_draft_kept_by_the_earlier_version_reads_and_round_trips() {
        let format_0 = r#"{"id":"draft:1","template":"family-registration","title":"Family registration","saved":"2026-11-26T10:00:00Z","rules":"abc","response":{"resourceType":"QuestionnaireResponse","status":"in-progress"}}"#;
        let draft = DraftRecord::from_json(format_0).unwrap();
        assert_eq!(draft.template, "family-registration");
        assert_eq!(DraftRecord::from_json(&draft.to_json()).unwrap(), draft);
        assert!(DraftRecord::from_json(r#"{"id":"draft:1","template":"t"}"#).unwrap_err().contains("holds no answers"));
    }
}
