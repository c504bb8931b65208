//! What a record backend says back: its CapabilityStatement (can it take a transaction,
//! does it do conditional create), the transaction-response Bundle, and OperationOutcomes
//! in plain words.

use serde_json::Value;

use crate::submit::extract::Idempotency;

/// What the backend's `/metadata` says it supports, for the resources a submission writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    pub fhir_version: Option<String>,
    pub software: Option<String>,
    pub transaction: bool,
    /// Every resource type Formwell writes with an identifier supports conditional create.
    pub conditional_create: bool,
    /// Every resource type Formwell writes supports update-as-create (client ids).
    pub update_create: bool,
}

/// The resource types a submission writes.
const WRITTEN: [&str; 4] = ["QuestionnaireResponse", "Observation", "Consent", "Provenance"];

impl Capabilities {
    /// Reads a CapabilityStatement.
    pub fn from_capability_statement(json: &Value) -> Result<Capabilities, String> {
        if json["resourceType"] != "CapabilityStatement" {
            return Err("the server's /metadata is not a CapabilityStatement".into());
        }
        let rest = json["rest"].as_array().and_then(|r| r.iter().find(|r| r["mode"] == "server"));
        let resources: Vec<&Value> =
            rest.and_then(|r| r["resource"].as_array()).map(|r| r.iter().collect()).unwrap_or_default();
        let resource = |kind: &str| resources.iter().find(|r| r["type"] == kind).copied();
        let transaction = rest
            .and_then(|r| r["interaction"].as_array())
            .is_some_and(|i| i.iter().any(|x| x["code"] == "transaction"));
        let conditional_create =
            WRITTEN[..3].iter().all(|k| resource(k).is_some_and(|r| r["conditionalCreate"] == true));
        let update_create = WRITTEN.iter().all(|k| resource(k).is_some_and(|r| r["updateCreate"] == true));
        Ok(Capabilities {
            fhir_version: json["fhirVersion"].as_str().map(str::to_owned),
            software: json["software"]["name"].as_str().map(str::to_owned),
            transaction,
            conditional_create,
            update_create,
        })
    }

    /// How to make a submission idempotent on this server, or why it cannot take one.
    pub fn idempotency(&self) -> Result<Idempotency, String> {
        if !self.transaction {
            return Err("the record system does not accept transaction Bundles".into());
        }
        if self.fhir_version.as_deref().is_some_and(|v| !v.starts_with("4.0")) {
            return Err(format!(
                "the record system speaks FHIR {}, not R4",
                self.fhir_version.as_deref().unwrap_or("?")
            ));
        }
        if self.conditional_create {
            Ok(Idempotency::ConditionalCreate)
        } else if self.update_create {
            Ok(Idempotency::ClientIds)
        } else {
            Err("the record system supports neither conditional create nor update-as-create, so a retry could store a form twice".into())
        }
    }

    /// One line for staff: "FHIR 4.0.1 (Medplum): takes transactions, conditional create".
    pub fn describe(&self) -> String {
        let mut text = format!("FHIR {}", self.fhir_version.as_deref().unwrap_or("(version not stated)"));
        if let Some(software) = &self.software {
            text.push_str(&format!(" ({software})"));
        }
        text.push_str(match self.idempotency() {
            Ok(Idempotency::ConditionalCreate) => ": takes transactions, with conditional create",
            Ok(Idempotency::ClientIds) => ": takes transactions, with client-assigned ids",
            Err(_) => ": cannot take Formwell's submissions safely",
        });
        text
    }
}

/// An OperationOutcome in plain words: each issue's text and where it is.
pub fn describe_outcome(json: &Value) -> String {
    let issues = json["issue"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    // The errors are the reason; warnings beside them only bury it.
    let serious = |i: &&Value| i["severity"] == "error" || i["severity"] == "fatal";
    let any_serious = issues.iter().any(|i| serious(&i));
    let lines: Vec<String> = issues
        .iter()
        .filter(|i| if any_serious { serious(i) } else { i["severity"] != "information" })
        .map(|i| {
            let text = i["details"]["text"]
                .as_str()
                .or(i["diagnostics"].as_str())
                .or(i["code"].as_str())
                .unwrap_or("a problem");
            let place = i["expression"]
                .as_array()
                .and_then(|e| e.first())
                .and_then(Value::as_str)
                .or(i["location"][0].as_str());
            match place {
                Some(place) => format!("{text} (at {place})"),
                None => text.to_owned(),
            }
        })
        .collect();
    if lines.is_empty() {
        "the record system gave no reason".into()
    } else {
        lines.join("; ")
    }
}

/// The locations a transaction-response Bundle gives for each entry (`Observation/12`).
pub fn transaction_locations(json: &Value) -> Result<Vec<String>, String> {
    if json["resourceType"] != "Bundle" || json["type"] != "transaction-response" {
        return Err("the record system's answer is not a transaction-response Bundle".into());
    }
    Ok(json["entry"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter_map(|e| e["response"]["location"].as_str())
                .map(|l| l.split("/_history").next().unwrap_or(l).to_owned())
                .collect()
        })
        .unwrap_or_default())
}
