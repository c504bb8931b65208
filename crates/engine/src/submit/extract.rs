//! A filled form as the entries it writes to a shared record: one FHIR R4 transaction
//! Bundle with the QuestionnaireResponse, an Observation per extracted answer (SDC
//! observation-based extraction), a Consent where the template captures consent to share,
//! and a Provenance that says who, with what, when, under which ruleset, and each impact
//! decision with its reason.
//!
//! Every resource carries identifiers made from the submission's id, and every entry is a
//! conditional create (`ifNoneExist`) or, where the server cannot do that, an update to a
//! client-assigned id. Sending the same Bundle twice, or again after a timeout, leaves
//! exactly one copy of each resource.

use serde_json::{json, Map, Value};

use crate::form::answer::AnswerValue;
use crate::form::datatypes::Reference;
use crate::form::questionnaire::{Item, ItemType};
use crate::form::response::{ResponseHeader, ResponseStatus};
use crate::form::{FormState, Node};
use crate::impact::{DemographicChange, RecordedDecision};

/// The identifier system of every entry a submission writes: its value is the
/// submission's id and the entry's role (`<id>/response`).
pub const SUBMISSION_SYSTEM: &str = "https://formwell.example/fhir/sid/submission-entry";
/// The extension that carries one impact decision on the Provenance.
pub const DECISION_EXTENSION: &str = "https://formwell.example/fhir/StructureDefinition/impact-decision";
/// The confidentiality label on entries the person did not agree to share.
pub const CONFIDENTIALITY: &str = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

// Fixed codings, kept as JSON text: parsed when used, they cost the wasm bundle a few
// bytes of text each instead of the code the json! macro generates for nested literals.
const CONSENT_SCOPE: &str = r#"{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy","display":"Privacy Consent"}]}"#;
const CONSENT_CATEGORY: &str =
    r#"[{"coding":[{"system":"http://loinc.org","code":"59284-0","display":"Patient Consent"}]}]"#;
const RESTRICTED_META: &str = r#"{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R","display":"restricted"}]}"#;
const SURVEY_CATEGORY: &str = r#"[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"survey","display":"Survey"}]}]"#;
const AUTHOR_TYPE: &str = r#"{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/provenance-participant-type","code":"author","display":"Author"}]}"#;
const ASSEMBLER_TYPE: &str = r#"{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/provenance-participant-type","code":"assembler","display":"Assembler"}]}"#;
const CREATE_ACTIVITY: &str = r#"{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-DataOperation","code":"CREATE","display":"create"}]}"#;

fn constant(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

const CONSENT_PROVISION: &str = "Consent.provision.type";
const CONSENT_PERFORMER: &str = "Consent.performer";
const CONSENT_POLICY: &str = "Consent.policy";

/// How entries are made idempotent on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// `POST` with `ifNoneExist` on the entry's identifier: the server keeps the first.
    ConditionalCreate,
    /// `PUT` to an id derived from the submission: for servers without conditional create.
    ClientIds,
}

/// Whether `text` is a UUID as a submission's id must be (8-4-4-4-12 hexadecimal digits):
/// every identifier in its Bundle derives from it, so an empty or malformed one would make
/// different submissions look like one.
pub fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Everything about a submission that is not in the answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// A UUID made once, when the person pressed submit, and kept with the submission:
    /// every identifier in the Bundle derives from it.
    pub id: String,
    /// When the form was completed (FHIR instant).
    pub authored: String,
    /// The person the form is about (`Patient/123`).
    pub subject: Option<Reference>,
    /// The staff member who filled it (`Practitioner/9`).
    pub author: Option<Reference>,
    /// The device and app version, as words (`Formwell 0.1.0 on tablet 3`).
    pub device: String,
    pub ruleset_version: Option<String>,
    pub decisions: Vec<RecordedDecision>,
}

impl Submission {
    /// The search token (`system|value`) that finds this submission's QuestionnaireResponse:
    /// how a client learns whether a send it lost track of was stored.
    pub fn response_token(&self) -> String {
        format!("{SUBMISSION_SYSTEM}|{}", self.entry_key("response"))
    }

    /// An entry's identifier value: the submission id and the entry's role.
    fn entry_key(&self, role: &str) -> String {
        format!("{}/{role}", self.id)
    }

    /// A `urn:uuid` for the n-th entry, derived from the submission's UUID so that the same
    /// submission always gives the same Bundle.
    fn full_url(&self, n: usize) -> String {
        let hex: String = self.id.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        let hex = format!("{hex:0>32}");
        let tail = u64::from_str_radix(&hex[20..32], 16).unwrap_or(0).wrapping_add(n as u64) & 0xffff_ffff_ffff;
        format!("urn:uuid:{}-{}-{}-{}-{tail:012x}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20])
    }

    /// A client-assigned id (at most 64 characters of [A-Za-z0-9-.]).
    fn client_id(&self, n: usize) -> String {
        let hex: String = self.id.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        format!("fw-{hex}-{n}")
    }
}

struct Entry {
    resource: Value,
    role: String,
    /// Provenance has no identifier element in R4: always a client-assigned id.
    identifier: bool,
}

impl FormState {
    /// The transaction Bundle for a completed form.
    pub fn transaction_bundle(&self, submission: &Submission, idempotency: Idempotency) -> Value {
        let q = self.questionnaire().clone();
        let mut entries: Vec<Entry> = Vec::new();
        let consent = self.consent_answer();
        let restricted = consent == Some(false);
        // A form that registers someone, sent for no existing record: their Patient is
        // created in the same transaction (entry 1), and everything refers to it.
        let new_patient = submission.subject.is_none().then(|| self.new_patient()).flatten();
        let registered;
        let submission = match &new_patient {
            Some(_) => {
                let display = self.new_person().map(|p| p.name).filter(|n| !n.is_empty());
                registered = Submission {
                    subject: Some(Reference { reference: Some(submission.full_url(1)), display, ..Default::default() }),
                    ..submission.clone()
                };
                &registered
            }
            None => submission,
        };

        let header = ResponseHeader {
            id: None,
            identifier: Some(identifier(&submission.entry_key("response"))),
            status: ResponseStatus::Completed,
            authored: Some(submission.authored.clone()),
            subject: submission.subject.clone(),
            author: submission.author.clone(),
            source: None,
            encounter: None,
        };
        let mut response = self.to_response(&header);
        label(&mut response, restricted);
        entries.push(Entry { resource: response, role: "response".into(), identifier: true });
        if let Some(mut patient) = new_patient {
            patient["identifier"] = json!([identifier(&submission.entry_key("patient"))]);
            label(&mut patient, restricted);
            entries.push(Entry { resource: patient, role: "patient".into(), identifier: true });
        }

        // Observations, in the order the form shows its items.
        let mut observations = Vec::new();
        let evaluation = self.evaluate();
        self.walk(&mut |node| {
            let item = q.item(node.item);
            if evaluation.is_enabled(node.id)
                && item.is_question()
                && !item.code.is_empty()
                && q.is_observation_extracted(item.id)
            {
                observations.extend(observations_of(item, node, submission, restricted));
            }
        });
        entries.extend(observations);

        if let Some(agreed) = consent {
            entries.push(Entry {
                resource: self.consent_resource(agreed, submission),
                role: "consent".into(),
                identifier: true,
            });
        }

        // The Provenance targets everything above; references are the entries' fullUrls,
        // which the server rewrites to the ids it keeps.
        let targets: Vec<Value> = (0..entries.len()).map(|n| json!({ "reference": submission.full_url(n) })).collect();
        entries.push(Entry { resource: provenance(submission, targets), role: "provenance".into(), identifier: false });

        let response_url = submission.full_url(0);
        let bundle_entries: Vec<Value> = entries
            .into_iter()
            .enumerate()
            .map(|(n, mut entry)| {
                let kind = entry.resource["resourceType"].as_str().unwrap_or_default().to_owned();
                if kind == "Observation" || kind == "Consent" {
                    let field = if kind == "Observation" { "derivedFrom" } else { "sourceReference" };
                    let reference = json!({ "reference": response_url });
                    entry.resource[field] = if kind == "Observation" { json!([reference]) } else { reference };
                }
                let key = submission.entry_key(&entry.role);
                // A new person is always a conditional create: a PUT of a Patient is a
                // change of someone's demographics, which needs a confirmation.
                let conditional = idempotency == Idempotency::ConditionalCreate || kind == "Patient";
                let request = if entry.identifier && conditional {
                    json!({ "method": "POST", "url": kind, "ifNoneExist": format!("identifier={SUBMISSION_SYSTEM}|{key}") })
                } else {
                    let id = submission.client_id(n);
                    entry.resource["id"] = json!(id);
                    json!({ "method": "PUT", "url": format!("{kind}/{id}") })
                };
                json!({ "fullUrl": submission.full_url(n), "resource": entry.resource, "request": request })
            })
            .collect();
        json!({ "resourceType": "Bundle", "type": "transaction", "entry": bundle_entries })
    }

    /// The answer to the item that records consent to share (`definition` ending in
    /// `Consent.provision.type`), if the template has one and it is answered.
    fn consent_answer(&self) -> Option<bool> {
        let node = self.node_by_definition(CONSENT_PROVISION)?;
        match node.answers.first()? {
            AnswerValue::Boolean(b) => Some(*b),
            AnswerValue::Coding(c) => Some(c.code.as_deref() == Some("permit")),
            AnswerValue::String(s) => Some(s.eq_ignore_ascii_case("permit") || s.eq_ignore_ascii_case("yes")),
            _ => None,
        }
    }

    fn consent_resource(&self, agreed: bool, submission: &Submission) -> Value {
        let q = self.questionnaire();
        let mut performer = Vec::new();
        if let Some(who) = self.node_by_definition(CONSENT_PERFORMER).and_then(|n| n.answers.first()) {
            let mut reference = submission.subject.clone().unwrap_or_default();
            reference.display = Some(who.label());
            performer.push(serde_json::to_value(reference).unwrap_or_default());
        } else if let Some(subject) = &submission.subject {
            performer.push(serde_json::to_value(subject).unwrap_or_default());
        }
        // The privacy notice the person was shown: a display item of this version of the
        // template, named by its linkId.
        let notice = q
            .items()
            .iter()
            .find(|i| i.definition.as_deref().is_some_and(|d| d.ends_with(CONSENT_POLICY)))
            .or_else(|| q.items().iter().find(|i| i.kind == ItemType::Display));
        let policy_uri = match (q.canonical(), notice) {
            (Some(canonical), Some(item)) => format!("{canonical}#{}", item.link_id),
            (Some(canonical), None) => canonical,
            _ => "urn:formwell:privacy-notice".into(),
        };
        let mut consent = json!({
            "resourceType": "Consent",
            "identifier": [identifier(&submission.entry_key("consent"))],
            "status": "active",
            "scope": constant(CONSENT_SCOPE),
            "category": constant(CONSENT_CATEGORY),
            "dateTime": submission.authored,
            "policy": [{ "uri": policy_uri }],
            "provision": { "type": if agreed { "permit" } else { "deny" } },
        });
        if let Some(subject) = &submission.subject {
            consent["patient"] = serde_json::to_value(subject).unwrap_or_default();
        }
        if !performer.is_empty() {
            consent["performer"] = Value::Array(performer);
        }
        consent
    }
}

fn identifier(value: &str) -> Value {
    json!({ "system": SUBMISSION_SYSTEM, "value": value })
}

/// Marks a resource restricted when the person did not agree to share.
fn label(resource: &mut Value, restricted: bool) {
    if restricted {
        resource["meta"] = constant(RESTRICTED_META);
    }
}

/// One Observation per answer of an extracted item. A yes/no item writes its code only
/// when answered yes; answers FHIR cannot hold as an Observation value (attachments,
/// references) write none.
fn observations_of(item: &Item, node: &Node, submission: &Submission, restricted: bool) -> Vec<Entry> {
    let mut out = Vec::new();
    for (k, answer) in node.answers.iter().enumerate() {
        let value = match answer {
            AnswerValue::Boolean(true) => json!({ "valueBoolean": true }),
            AnswerValue::Boolean(false) => continue,
            AnswerValue::Integer(i) => json!({ "valueInteger": i }),
            AnswerValue::Decimal(_) => json!({ "valueQuantity": { "value": answer.to_json() } }),
            AnswerValue::Quantity(_) => json!({ "valueQuantity": answer.to_json() }),
            AnswerValue::Date(_) | AnswerValue::DateTime(_) => json!({ "valueDateTime": answer.to_json() }),
            AnswerValue::Time(_) => json!({ "valueTime": answer.to_json() }),
            AnswerValue::String(s) | AnswerValue::Uri(s) => json!({ "valueString": s }),
            AnswerValue::Coding(c) => json!({ "valueCodeableConcept": { "coding": [c], "text": c.label() } }),
            AnswerValue::Attachment(_) | AnswerValue::Reference(_) => continue,
        };
        let role = format!("observation/{}/{k}", item.link_id);
        let mut observation = json!({
            "resourceType": "Observation",
            "identifier": [identifier(&submission.entry_key(&role))],
            "status": "final",
            "category": constant(SURVEY_CATEGORY),
            "code": { "coding": item.code, "text": item.label() },
            "effectiveDateTime": submission.authored,
        });
        if let (Some(o), Some(v)) = (observation.as_object_mut(), value.as_object()) {
            o.extend(v.clone());
        }
        if let Some(subject) = &submission.subject {
            observation["subject"] = serde_json::to_value(subject).unwrap_or_default();
        }
        if let Some(author) = &submission.author {
            observation["performer"] = json!([author]);
        }
        label(&mut observation, restricted);
        out.push(Entry { resource: observation, role, identifier: true });
    }
    out
}

fn provenance(submission: &Submission, targets: Vec<Value>) -> Value {
    let mut agents = Vec::new();
    if let Some(author) = &submission.author {
        agents.push(json!({ "type": constant(AUTHOR_TYPE), "who": author }));
    }
    agents.push(json!({ "type": constant(ASSEMBLER_TYPE), "who": { "display": submission.device } }));
    let mut provenance = json!({
        "resourceType": "Provenance",
        "target": targets,
        "recorded": submission.authored,
        "activity": constant(CREATE_ACTIVITY),
        "agent": agents,
    });
    if let Some(version) = &submission.ruleset_version {
        provenance["policy"] = json!([format!("https://formwell.example/ruleset/{version}")]);
    }
    let decisions: Vec<Value> = submission.decisions.iter().map(decision_extension).collect();
    if !decisions.is_empty() {
        provenance["extension"] = Value::Array(decisions);
    }
    provenance
}

/// One impact decision as a complex extension: entry, category, severity, who, when, why.
fn decision_extension(d: &RecordedDecision) -> Value {
    let mut parts: Vec<Value> = vec![json!({ "url": "linkId", "valueString": d.decision.entry.link_id })];
    if let Some(coding) = &d.decision.entry.coding {
        parts.push(json!({ "url": "code", "valueCoding": coding }));
    }
    if let Some(definition) = &d.decision.entry.definition {
        parts.push(json!({ "url": "definition", "valueUri": definition }));
    }
    if let Some(category) = &d.decision.category {
        parts.push(json!({ "url": "category", "valueCode": category }));
    }
    let severity = serde_json::to_value(d.decision.severity).unwrap_or_default();
    parts.push(json!({ "url": "severity", "valueCode": severity }));
    parts.push(json!({ "url": "setting", "valueCode": d.setting }));
    parts.push(json!({ "url": "rulesetVersion", "valueString": d.decision.ruleset_version }));
    if let Some(by) = &d.confirmed_by {
        parts.push(json!({ "url": "confirmedBy", "valueString": by }));
    }
    if let Some(at) = &d.confirmed_at {
        parts.push(json!({ "url": "confirmedAt", "valueDateTime": at }));
    }
    if let Some(reason) = &d.reason {
        parts.push(json!({ "url": "reason", "valueString": reason }));
    }
    match &d.demographic_change {
        Some(DemographicChange::Permanent) => parts.push(json!({ "url": "change", "valueCode": "permanent" })),
        Some(DemographicChange::Temporary { until }) => {
            parts.push(json!({ "url": "change", "valueCode": "temporary" }));
            if let Some(until) = until {
                parts.push(json!({ "url": "until", "valueDate": until }));
            }
        }
        None => {}
    }
    let mut extension = Map::new();
    extension.insert("url".into(), json!(DECISION_EXTENSION));
    extension.insert("extension".into(), Value::Array(parts));
    Value::Object(extension)
}
