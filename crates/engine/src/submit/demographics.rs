//! A change of name, address or phone, as the guard decided it: read from the items that
//! extract to `Patient.name`, `Patient.address` and `Patient.telecom` (by `definition`),
//! and written as a JSON Patch to the person's current Patient record. A temporary address
//! is added beside the permanent one (`use: temp`, with its period); a permanent one ends
//! the current home address and starts the new one. The patch first tests the record's
//! version, so it never overwrites a change someone else made in between.

use serde::Serialize;
use serde_json::{json, Value};

use crate::form::answer::AnswerValue;
use crate::form::FormState;
use crate::impact::{DemographicChange, RecordedDecision};

/// What a form changes in the person's demographics. It is kept with a queued submission
/// (the patch is made when it is sent), so it reads back exactly as it was written.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct DemographicChanges {
    pub address_lines: Vec<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    /// Phone numbers or emails (`Patient.telecom`).
    pub telecom: Vec<String>,
    pub given: Vec<String>,
    pub family: Option<String>,
    /// Temporary (until a date) or permanent, as the guard recorded it; permanent when
    /// nobody said otherwise. Left out when permanent, so that "temporary with no end"
    /// (`null`) reads back as itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporary_until: Option<Option<String>>,
}

impl DemographicChanges {
    /// Reads what `serde_json::to_value` wrote. (By hand, not a derived deserialiser: this
    /// runs in the browser, where serde's generated code costs kilobytes of wasm.)
    pub fn from_json(json: &Value) -> Option<DemographicChanges> {
        let object = json.as_object()?;
        let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);
        let texts = |key: &str| -> Vec<String> {
            object
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        };
        Some(DemographicChanges {
            address_lines: texts("address_lines"),
            city: text("city"),
            district: text("district"),
            postal_code: text("postal_code"),
            country: text("country"),
            telecom: texts("telecom"),
            given: texts("given"),
            family: text("family"),
            // There, even as null ("temporary, no end"), is Some.
            temporary_until: object.get("temporary_until").map(|v| v.as_str().map(str::to_owned)),
        })
    }
}

impl DemographicChanges {
    fn has_address(&self) -> bool {
        !self.address_lines.is_empty() || self.city.is_some() || self.postal_code.is_some() || self.district.is_some()
    }

    /// Nothing to change.
    pub fn is_empty(&self) -> bool {
        !self.has_address() && self.telecom.is_empty() && self.given.is_empty() && self.family.is_none()
    }
}

/// Formwell's own codes for what a template asks (not written to the record).
pub const FORMWELL_CODES: &str = "https://formwell.example/fhir/CodeSystem/formwell";

impl FormState {
    /// The demographic changes the form holds, with the guard's decision on whether they
    /// are temporary. `None` when it changes nothing.
    pub fn demographic_changes(&self, decisions: &[RecordedDecision]) -> Option<DemographicChanges> {
        let q = self.questionnaire();
        let evaluation = self.evaluate();
        let mut changes = DemographicChanges::default();
        let mut visit = |element: &str, answers: &[AnswerValue]| {
            let mut texts =
                answers.iter().map(|a| crate::form::input::input_text(a).trim().to_owned()).filter(|t| !t.is_empty());
            match element {
                "Patient.address.line" => changes.address_lines.extend(texts),
                "Patient.address.city" => changes.city = texts.next_back(),
                "Patient.address.district" => changes.district = texts.next_back(),
                "Patient.address.postalCode" => changes.postal_code = texts.next_back(),
                "Patient.address.country" => changes.country = texts.next_back(),
                "Patient.telecom" | "Patient.telecom.value" => changes.telecom.extend(texts),
                "Patient.name.given" => changes.given.extend(texts),
                "Patient.name.family" => changes.family = texts.next_back(),
                _ => {}
            }
        };
        self.walk(&mut |node| {
            let item = q.item(node.item);
            if !evaluation.is_enabled(node.id) || node.answers.is_empty() || q.in_registration(item.id) {
                return;
            }
            if let Some(element) = item.definition.as_deref().and_then(|d| d.rsplit_once('#')).map(|(_, e)| e) {
                visit(element, &node.answers);
            }
        });
        if changes.is_empty() {
            return None;
        }
        changes.temporary_until = decisions.iter().find_map(|d| match &d.demographic_change {
            Some(DemographicChange::Temporary { until }) => Some(until.clone()),
            _ => None,
        });
        Some(changes)
    }

    /// What the form itself says about a change of address before anyone is asked: an
    /// answered end of the address's period means the new address is temporary, until
    /// that date. `None` when the form does not say.
    pub fn suggested_demographic_change(&self) -> Option<DemographicChange> {
        let until = self
            .node_by_definition("Patient.address.period.end")
            .and_then(|n| n.answers.first())
            .map(crate::form::input::input_text);
        // The address's use, as FHIR codes it: `temp` or `home`.
        let used = self.node_by_definition("Patient.address.use").and_then(|n| n.answers.first()).and_then(|a| match a {
            AnswerValue::Coding(c) => c.code.clone(),
            AnswerValue::String(s) => Some(s.to_ascii_lowercase()),
            _ => None,
        });
        match used.as_deref() {
            Some("home") | Some("permanent") => Some(DemographicChange::Permanent),
            Some("temp") | Some("temporary") => Some(DemographicChange::Temporary { until }),
            _ => until.map(|until| DemographicChange::Temporary { until: Some(until) }),
        }
    }

    /// The answer to "have you read the new details back to the person?" (the item
    /// coded `read-back`), if the form asks it.
    pub fn read_back_to_person(&self) -> Option<bool> {
        let q = self.questionnaire().clone();
        let evaluation = self.evaluate();
        self.nodes()
            .find(|n| {
                evaluation.is_enabled(n.id)
                    && q.item(n.item).code.iter().any(|c| c.system.as_deref() == Some(FORMWELL_CODES) && c.code.as_deref() == Some("read-back"))
            })
            .and_then(|n| n.answers.first())
            .and_then(|a| match a {
                AnswerValue::Boolean(b) => Some(*b),
                _ => None,
            })
    }
}

/// The transaction entry that applies the changes to the person's current record: a
/// `PATCH` (JSON Patch, carried as a Binary) that tests the version it was made from.
pub fn demographic_patch(changes: &DemographicChanges, patient: &Value, today: &str) -> Result<Value, String> {
    let id = patient["id"].as_str().ok_or("the person's record has no id")?;
    let version = patient["meta"]["versionId"].as_str().ok_or("the person's record has no version to check against")?;
    let mut ops = vec![json!({ "op": "test", "path": "/meta/versionId", "value": version })];
    // Appending to a list that may not exist yet: JSON Patch cannot add to a missing array.
    let append = |ops: &mut Vec<Value>, field: &str, value: Value, existing: &Value| {
        if existing.as_array().is_some_and(|a| !a.is_empty()) {
            ops.push(json!({ "op": "add", "path": format!("/{field}/-"), "value": value }));
        } else {
            ops.push(json!({ "op": "add", "path": format!("/{field}"), "value": [value] }));
        }
    };
    let temporary = changes.temporary_until.is_some();
    if changes.has_address() {
        let mut address = json!({ "use": if temporary { "temp" } else { "home" }, "period": { "start": today } });
        if !changes.address_lines.is_empty() {
            address["line"] = json!(changes.address_lines);
        }
        for (key, value) in [
            ("city", &changes.city),
            ("district", &changes.district),
            ("postalCode", &changes.postal_code),
            ("country", &changes.country),
        ] {
            if let Some(v) = value {
                address[key] = json!(v);
            }
        }
        if let Some(Some(until)) = &changes.temporary_until {
            address["period"]["end"] = json!(until);
        }
        if !temporary {
            // The new permanent address replaces the current home address: end it today.
            for (i, current) in patient["address"].as_array().into_iter().flatten().enumerate() {
                let open = current["period"]["end"].is_null();
                if open && (current["use"] == "home" || current["use"].is_null()) {
                    let path = if current["period"].is_object() {
                        format!("/address/{i}/period/end")
                    } else {
                        format!("/address/{i}/period")
                    };
                    let value = if current["period"].is_object() { json!(today) } else { json!({ "end": today }) };
                    ops.push(json!({ "op": "add", "path": path, "value": value }));
                }
            }
        }
        append(&mut ops, "address", address, &patient["address"]);
    }
    for value in &changes.telecom {
        let system = if value.contains('@') { "email" } else { "phone" };
        let mut telecom = json!({ "system": system, "value": value, "period": { "start": today } });
        if temporary {
            telecom["use"] = json!("temp");
        }
        append(&mut ops, "telecom", telecom, &patient["telecom"]);
    }
    if !changes.given.is_empty() || changes.family.is_some() {
        let mut name = json!({ "use": if temporary { "temp" } else { "usual" }, "period": { "start": today } });
        if !changes.given.is_empty() {
            name["given"] = json!(changes.given);
        }
        if let Some(family) = &changes.family {
            name["family"] = json!(family);
        }
        append(&mut ops, "name", name, &patient["name"]);
    }
    let patch = serde_json::to_vec(&ops).map_err(|e| e.to_string())?;
    Ok(json!({
        "resource": { "resourceType": "Binary", "contentType": "application/json-patch+json", "data": base64(&patch) },
        "request": { "method": "PATCH", "url": format!("Patient/{id}") },
    }))
}

/// Standard base64, for the Binary that carries the patch.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foo"), "Zm9v");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
