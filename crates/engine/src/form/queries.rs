//! Queries against the record (`application/x-fhir-query` variables): a template asks for
//! the person's Observations, Conditions or Encounters (`Observation?code=8302-2&patient=
//! {{%patient.id}}`) and its expressions read the Bundle that comes back by the variable's
//! name. The engine reads no network: it resolves each query's embedded FHIRPath from the
//! launch context, checks it, and takes the result the app fetched.
//!
//! A query is a template's request to read the shared record with the staff member's
//! token, so only what concerns the person the form is for is run: a search of a
//! resource type that belongs to a person, on this record system (no other address),
//! naming this person; or the signed-in member of staff's own PractitionerRole. Anything
//! else is refused with the reason.

use serde_json::Value;

use crate::fhirpath::{self, Collection, Environment, Item as Fp};
use crate::form::expressions::LaunchContext;
use crate::form::state::{FormState, Prepopulation};
use crate::url::encode_component;

/// A query variable as the template wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordQuery {
    pub name: String,
    pub query: String,
    pub path: String,
}

/// Resource types a query may search: what the record holds about a person.
const ABOUT_A_PERSON: &[&str] = &[
    "AllergyIntolerance",
    "CarePlan",
    "Condition",
    "Encounter",
    "Immunization",
    "MedicationRequest",
    "MedicationStatement",
    "Observation",
    "Procedure",
    "QuestionnaireResponse",
];

struct Launch<'a>(&'a LaunchContext);

impl<'a> Environment<'a> for Launch<'a> {
    fn variable(&self, name: &str) -> Option<Collection<'a>> {
        self.0.get(name).map(|v| vec![Fp::Node(v, None)])
    }
    fn today(&self) -> Option<String> {
        None
    }
    fn now(&self) -> Option<String> {
        None
    }
}

/// The query with each `{{expression}}` replaced by its value from the launch context,
/// percent-encoded; an error when one gives nothing or cannot be read.
pub(crate) fn resolve(query: &str, launch: &LaunchContext) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = query;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").ok_or("a {{ is not closed")? + start;
        let source = &rest[start + 2..end];
        let parsed = fhirpath::parse(source).map_err(|e| format!("{{{{{source}}}}} cannot be read: {e}"))?;
        let value = fhirpath::evaluate(&parsed, Vec::new(), &Launch(launch))
            .map_err(|e| format!("{{{{{source}}}}}: {}", e.0))?;
        match value.first().and_then(Fp::to_text) {
            Some(text) if value.len() == 1 => out.push_str(&encode_component(&text)),
            _ => return Err(format!("{{{{{source}}}}} gives no single value (is the person known?)")),
        }
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Whether a resolved query may run: on this record system, about this person (or the
/// member of staff's own roles). The reason when not.
pub(crate) fn check(query: &str, patient: Option<&str>, user: Option<&str>) -> Result<(), String> {
    let (kind, params) = query.split_once('?').unwrap_or((query, ""));
    if kind.contains(':') || kind.contains('/') || kind.starts_with('.') {
        return Err("only searches of this record system run (not another address, an id or an operation)".into());
    }
    let params: Vec<(&str, &str)> = params.split('&').filter_map(|p| p.split_once('=')).collect();
    let names = |wanted: &[&str], id: &str| {
        params.iter().any(|(k, v)| {
            wanted.contains(k) && (*v == id || v.strip_prefix("Patient/").or(v.strip_prefix("Patient%2F")) == Some(id))
        })
    };
    if kind == "PractitionerRole" {
        return match user {
            Some(u)
                if params.iter().any(|(k, v)| *k == "practitioner" && (*v == u || v.ends_with(&format!("/{u}")))) =>
            {
                Ok(())
            }
            _ => Err("a PractitionerRole search runs only for the signed-in member of staff".into()),
        };
    }
    if !ABOUT_A_PERSON.contains(&kind) {
        return Err(format!("a search of {kind} is not about the person the form is for"));
    }
    match patient {
        Some(p) if names(&["patient", "subject"], p) => Ok(()),
        Some(_) => Err("the search does not name the person the form is for".into()),
        None => Err("no person is known for the form".into()),
    }
}

/// `patient=123` written as `patient=Patient/123`: the same search in FHIR, and the form
/// every server understands (some resolve a bare id, some do not).
fn as_reference(query: &str) -> String {
    let Some((kind, params)) = query.split_once('?') else { return query.to_owned() };
    let params: Vec<String> = params
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k @ ("patient" | "subject"), v)) if !v.contains('/') && !v.contains("%2F") => {
                format!("{k}=Patient/{v}")
            }
            _ => p.to_owned(),
        })
        .collect();
    format!("{kind}?{}", params.join("&"))
}

impl FormState {
    /// The template's record queries, resolved from the launch context and checked: each
    /// variable's name and the search to run (`Observation?code=…&patient=123`), or why
    /// it will not run.
    pub fn record_queries(&self) -> Vec<(String, Result<String, String>)> {
        let launch = self.launch_context();
        let id = |name: &str| launch.get(name).and_then(|r| r["id"].as_str()).map(str::to_owned);
        let (patient, user) = (id("patient"), id("user"));
        self.questionnaire()
            .expressions
            .queries
            .iter()
            .map(|q| {
                let resolved = resolve(&q.query, launch)
                    .and_then(|r| check(&r, patient.as_deref(), user.as_deref()).map(|_| as_reference(&r)));
                (q.name.clone(), resolved)
            })
            .collect()
    }

    /// What a record query returned (a searchset Bundle): its variable now reads it, and
    /// questions still empty are filled from what it gives. Entries about someone else
    /// (a subject or patient that is not this person) are dropped: a record system that
    /// answers a search too widely does not put another person's data in this form.
    pub fn set_record_query_result(&mut self, name: &str, mut bundle: Value) -> Prepopulation {
        if bundle["resourceType"] != "Bundle"
            || !self.questionnaire().expressions.queries.iter().any(|q| q.name == name)
        {
            return Prepopulation::default();
        }
        let this_person =
            self.launch_context().get("patient").and_then(|p| p["id"].as_str()).map(|id| format!("Patient/{id}"));
        if let Some(entries) = bundle.get_mut("entry").and_then(Value::as_array_mut) {
            entries.retain(|e| {
                let about = |k: &str| e["resource"][k]["reference"].as_str().map(str::to_owned);
                match about("subject").or_else(|| about("patient")) {
                    Some(whose) => Some(&whose) == this_person.as_ref(),
                    None => true,
                }
            });
        }
        let mut launch = self.launch_context().clone();
        launch.insert(name.to_owned(), bundle);
        self.set_launch_context(launch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn launch() -> LaunchContext {
        let mut l = LaunchContext::new();
        l.insert("patient".into(), json!({"resourceType": "Patient", "id": "p1"}));
        l.insert("user".into(), json!({"resourceType": "Practitioner", "id": "s1"}));
        l
    }

    #[test]
    fn a_query_is_resolved_from_the_launch_context_and_encoded() {
        let q = resolve("Observation?code=8302-2&_count=1&_sort=-date&patient={{%patient.id}}", &launch()).unwrap();
        assert_eq!(q, "Observation?code=8302-2&_count=1&_sort=-date&patient=p1");
        assert!(check(&q, Some("p1"), Some("s1")).is_ok());
        assert_eq!(as_reference(&q), "Observation?code=8302-2&_count=1&_sort=-date&patient=Patient/p1");
        let hostile = json!({"resourceType": "Patient", "id": "p1&subject=Patient/p2"});
        let mut l = LaunchContext::new();
        l.insert("patient".into(), hostile);
        let q = resolve("Condition?patient={{%patient.id}}", &l).unwrap();
        assert_eq!(q, "Condition?patient=p1%26subject%3DPatient%2Fp2", "a value cannot add a parameter");
        assert_eq!(
            resolve("Condition?patient={{%patient.id}}", &LaunchContext::new()).unwrap_err(),
            "{{%patient.id}}: %patient is not defined"
        );
        let mut nameless = LaunchContext::new();
        nameless.insert("patient".into(), json!({"resourceType": "Patient"}));
        assert!(resolve("Condition?patient={{%patient.id}}", &nameless).unwrap_err().contains("no single value"));
    }

    #[test]
    fn only_searches_about_this_person_on_this_record_run() {
        let ok = |q: &str| check(q, Some("p1"), Some("s1"));
        assert!(ok("Condition?patient=p1&category=problem-list-item").is_ok());
        assert!(ok("Observation?subject=Patient/p1&code=8302-2").is_ok());
        assert!(ok("PractitionerRole?practitioner=s1").is_ok());
        for (query, why) in [
            ("Observation?code=8302-2&patient=p2", "does not name the person"),
            ("Observation?code=8302-2", "does not name the person"),
            ("Patient?name=Begum", "not about the person"),
            ("Practitioner?name=Patel", "not about the person"),
            ("https://elsewhere.example/Observation?patient=p1", "not another address"),
            ("ValueSet/abc/$expand", "not another address, an id or an operation"),
            ("PractitionerRole?practitioner=s2", "only for the signed-in member of staff"),
        ] {
            assert!(ok(query).unwrap_err().contains(why), "{query}: {:?}", ok(query));
        }
        assert!(check("Observation?patient=p1", None, None).unwrap_err().contains("no person"));
    }
}
