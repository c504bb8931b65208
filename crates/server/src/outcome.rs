//! Errors as FHIR says them: an HTTP status and an OperationOutcome whose `expression`
//! names the element.

use serde_json::{json, Value};

/// A request that cannot be carried out, with the status to answer.
#[derive(Debug, Clone, PartialEq)]
pub struct FhirError {
    pub status: u16,
    /// The OperationOutcome issue type (`invalid`, `not-found`, `conflict`, …).
    pub code: &'static str,
    pub text: String,
    pub expression: Option<String>,
}

impl FhirError {
    pub fn new(status: u16, code: &'static str, text: impl Into<String>) -> FhirError {
        FhirError { status, code, text: text.into(), expression: None }
    }

    pub fn invalid(expression: impl Into<String>, text: impl Into<String>) -> FhirError {
        FhirError { status: 400, code: "invalid", text: text.into(), expression: Some(expression.into()) }
    }

    pub fn not_found(text: impl Into<String>) -> FhirError {
        FhirError::new(404, "not-found", text)
    }

    /// The same error, placed inside a Bundle entry (`Bundle.entry[2].resource.code`).
    pub fn within(mut self, prefix: &str) -> FhirError {
        self.expression = Some(match self.expression.take() {
            Some(e) => match e.split_once('.') {
                Some((_, rest)) => format!("{prefix}.{rest}"),
                None => prefix.to_owned(),
            },
            None => prefix.to_owned(),
        });
        self
    }

    /// As an OperationOutcome.
    pub fn outcome(&self) -> Value {
        let mut issue = json!({ "severity": "error", "code": self.code, "details": { "text": self.text }, "diagnostics": self.text });
        if let Some(expression) = &self.expression {
            issue["expression"] = json!([expression]);
        }
        json!({ "resourceType": "OperationOutcome", "issue": [issue] })
    }
}

impl std::fmt::Display for FhirError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.expression {
            Some(e) => write!(f, "{} (at {e})", self.text),
            None => f.write_str(&self.text),
        }
    }
}

impl std::error::Error for FhirError {}

impl From<rusqlite::Error> for FhirError {
    fn from(e: rusqlite::Error) -> Self {
        FhirError::new(500, "exception", format!("the store failed: {e}"))
    }
}
