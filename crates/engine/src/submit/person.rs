//! Whose record a form goes into: the person, as staff see them ("Amina Begum, born 3 May
//! 1992"), and as the record knows them (`Patient/123`). Read from a FHIR Patient, from
//! what a registration form says about someone new, or from the tablet's list of people
//! it has seen; searched for by name and date of birth, or by NHS number.

use serde_json::{json, Value};

use crate::form::datatypes::FhirDate;

/// The identifier system of an NHS number.
pub const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";

/// The person a form is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Their record (`Patient/123`); `None` for someone a registration form creates,
    /// whose record does not exist until it is sent.
    pub reference: Option<String>,
    /// Their name as people say it ("Amina Begum"); empty when the record gives none.
    pub name: String,
    pub birth_date: Option<FhirDate>,
    pub nhs_number: Option<String>,
}

impl Person {
    /// The person as a Patient resource for a form's launch context (`%patient`): what
    /// the tablet knows of them (record id, name, date of birth, NHS number), nothing more.
    pub fn as_launch_patient(&self) -> Value {
        let mut patient = serde_json::json!({"resourceType": "Patient"});
        if let Some(id) = self.reference.as_deref().and_then(|r| r.strip_prefix("Patient/")) {
            patient["id"] = Value::String(id.to_owned());
        }
        let words: Vec<&str> = self.name.split_whitespace().collect();
        if let Some((family, given)) = words.split_last() {
            patient["name"] = serde_json::json!([{"text": self.name, "family": family, "given": given}]);
        }
        if let Some(born) = &self.birth_date {
            patient["birthDate"] = Value::String(born.to_string());
        }
        if let Some(nhs) = &self.nhs_number {
            patient["identifier"] = serde_json::json!([{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}]);
        }
        patient
    }

    /// From a FHIR Patient resource (as a search or a read returns it).
    pub fn from_patient(patient: &Value) -> Option<Person> {
        let id = patient["id"].as_str()?;
        let names = patient["name"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        // The usual or official name first; any name rather than none.
        let name = names
            .iter()
            .find(|n| matches!(n["use"].as_str(), Some("usual") | Some("official")))
            .or(names.first())
            .map(human_name)
            .unwrap_or_default();
        let nhs_number = patient["identifier"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|i| i["system"] == NHS_NUMBER_SYSTEM)
            .and_then(|i| i["value"].as_str())
            .map(str::to_owned);
        Some(Person {
            reference: Some(format!("Patient/{id}")),
            name,
            birth_date: patient["birthDate"].as_str().and_then(FhirDate::parse),
            nhs_number,
        })
    }

    /// "Amina Begum, born 3 May 1992" (or as much of it as is known).
    pub fn label(&self) -> String {
        let name = if self.name.trim().is_empty() { "Name not recorded" } else { self.name.trim() };
        match &self.birth_date {
            Some(born) => format!("{name}, born {}", born.human()),
            None => name.to_owned(),
        }
    }

    /// The name alone, for "Sent to Amina Begum's record".
    pub fn name_or_reference(&self) -> String {
        if self.name.trim().is_empty() {
            self.reference.clone().unwrap_or_else(|| "the person".into())
        } else {
            self.name.trim().to_owned()
        }
    }

    /// As kept on the tablet (the list of people seen, drafts, queued forms).
    pub fn to_json(&self) -> Value {
        json!({
            "reference": self.reference, "name": self.name,
            "birthDate": self.birth_date.map(|d| d.to_string()), "nhsNumber": self.nhs_number,
        })
    }

    /// Reads what `to_json` wrote.
    pub fn from_json(json: &Value) -> Option<Person> {
        let object = json.as_object()?;
        let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);
        Some(Person {
            reference: text("reference"),
            name: text("name")?,
            birth_date: text("birthDate").as_deref().and_then(FhirDate::parse),
            nhs_number: text("nhsNumber"),
        })
    }
}

/// "Amina Begum" from a HumanName: its text, or its given names and family name.
fn human_name(name: &Value) -> String {
    if let Some(text) = name["text"].as_str().filter(|t| !t.trim().is_empty()) {
        return text.trim().to_owned();
    }
    let mut parts: Vec<&str> = name["given"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    parts.extend(name["family"].as_str());
    parts.join(" ")
}

/// An NHS number as typed (spaces and dashes allowed), if it is a real one: ten digits
/// whose last is the modulus 11 check digit of the first nine.
pub fn nhs_number(typed: &str) -> Option<String> {
    let digits: String = typed.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = d[..9].iter().zip((2..=10).rev()).map(|(digit, weight)| digit * weight).sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return None,
        c => c,
    };
    (check == d[9]).then_some(digits)
}

/// What staff searched for a person by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonSearch {
    /// An NHS number (checked).
    NhsNumber(String),
    /// A name (any part of it) and, when given, a date of birth.
    Name { name: String, birth_date: Option<FhirDate> },
}

impl PersonSearch {
    /// Reads what was typed into the search: an NHS number, or a name with an optional
    /// date of birth (day first, `3 5 1992`, or as FHIR writes it). Says, in words, what is wrong with what was typed.
    pub fn read(text: &str, birth_date: &str) -> Result<PersonSearch, String> {
        let text = text.trim();
        if text.chars().any(|c| c.is_ascii_digit()) {
            return nhs_number(text)
                .map(PersonSearch::NhsNumber)
                .ok_or_else(|| "Enter a real NHS number: 10 digits, like 943 476 5919".into());
        }
        // Letters in any script: what is neither a digit (ruled out above), a space nor
        // ASCII punctuation. (char::is_alphabetic would bring Unicode's tables into the wasm.)
        if text.chars().filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation()).count() < 2 {
            return Err("Enter at least two letters of the person's name, or their NHS number".into());
        }
        let birth_date = match birth_date.trim() {
            "" => None,
            typed => Some(
                crate::form::input::parse_date(typed)
                    .filter(|d| d.day.is_some())
                    .ok_or("Enter a real date of birth, like 3 5 1992")?,
            ),
        };
        Ok(PersonSearch::Name { name: text.to_owned(), birth_date })
    }

    /// The FHIR search (after `Patient?`), its values encoded.
    pub fn query(&self) -> String {
        use crate::url::encode_component as encode;
        match self {
            PersonSearch::NhsNumber(number) => format!("identifier={}", encode(&format!("{NHS_NUMBER_SYSTEM}|{number}"))),
            PersonSearch::Name { name, birth_date } => {
                // Each word must match a part of the name.
                let mut query: Vec<String> = name.split_whitespace().map(|w| format!("name={}", encode(w))).collect();
                if let Some(born) = birth_date {
                    query.push(format!("birthdate={born}"));
                }
                query.push("_count=20".into());
                query.join("&")
            }
        }
    }
}

impl crate::Questionnaire {
    /// Whether an item is inside a group that registers a person (its answers describe a
    /// new record, not a change to an existing one).
    pub fn in_registration(&self, item: crate::ItemId) -> bool {
        let mut at = Some(item);
        while let Some(id) = at {
            let item = self.item(id);
            if item.creates_patient {
                return true;
            }
            at = item.parent;
        }
        false
    }

    /// Whether the template registers a person (a group with an extraction context of
    /// `Patient`).
    pub fn registers_person(&self) -> bool {
        self.items().iter().any(|i| i.creates_patient)
    }
}

impl crate::form::FormState {
    /// The answers of the registering group that describe the person, by the element
    /// each extracts to (`Patient.name.given`), for the first enabled instance.
    fn registration_answers(&self) -> Option<Vec<(String, Vec<String>)>> {
        let q = self.questionnaire().clone();
        let evaluation = self.evaluate();
        let group = self.nodes().find(|n| q.item(n.item).creates_patient && evaluation.is_enabled(n.id))?.id;
        let mut out = Vec::new();
        let mut stack = vec![group];
        while let Some(id) = stack.pop() {
            let Some(node) = self.node(id) else { continue };
            stack.extend(node.children.iter().rev());
            let item = q.item(node.item);
            let Some(element) = item.definition.as_deref().and_then(|d| d.rsplit_once('#')).map(|(_, e)| e) else {
                continue;
            };
            if evaluation.is_enabled(node.id) && !node.answers.is_empty() {
                let texts = node.answers.iter().map(crate::form::input::input_text).collect();
                out.push((element.to_owned(), texts));
            }
        }
        Some(out)
    }

    /// Whom the form is for, as staff read it: the person chosen, or, for someone new
    /// whom the form registers, as the form describes them once it names them.
    pub fn person_for(&self, chosen: &Person) -> Person {
        match chosen.reference {
            Some(_) => chosen.clone(),
            None => self.new_person().filter(|p| !p.name.is_empty()).unwrap_or_else(|| chosen.clone()),
        }
    }

    /// The person the form registers, as far as it has been filled in; `None` when it
    /// registers no one.
    pub fn new_person(&self) -> Option<Person> {
        let answers = self.registration_answers()?;
        let first = |element: &str| answers.iter().find(|(e, _)| e == element).map(|(_, v)| v.join(" "));
        let name = [first("Patient.name.given"), first("Patient.name.family")].into_iter().flatten().collect::<Vec<_>>();
        Some(Person {
            reference: None,
            name: name.join(" ").trim().to_owned(),
            birth_date: first("Patient.birthDate").as_deref().and_then(FhirDate::parse),
            nhs_number: None,
        })
    }

    /// The Patient resource for the person the form registers.
    pub(crate) fn new_patient(&self) -> Option<Value> {
        let answers = self.registration_answers()?;
        let all = |element: &str| -> Vec<String> {
            answers.iter().filter(|(e, _)| e == element).flat_map(|(_, v)| v.iter().cloned()).collect()
        };
        let mut patient = json!({ "resourceType": "Patient" });
        let (given, family) = (all("Patient.name.given"), all("Patient.name.family"));
        if !given.is_empty() || !family.is_empty() {
            let mut name = json!({ "use": "official" });
            if !given.is_empty() {
                name["given"] = json!(given);
            }
            if let Some(family) = family.first() {
                name["family"] = json!(family);
            }
            patient["name"] = json!([name]);
        }
        if let Some(born) = all("Patient.birthDate").first() {
            patient["birthDate"] = json!(born);
        }
        let phones: Vec<Value> = [all("Patient.telecom"), all("Patient.telecom.value")]
            .concat()
            .into_iter()
            .map(|p| json!({ "system": "phone", "value": p }))
            .collect();
        if !phones.is_empty() {
            patient["telecom"] = Value::Array(phones);
        }
        let mut address = serde_json::Map::new();
        for (element, key) in [
            ("Patient.address.line", "line"),
            ("Patient.address.city", "city"),
            ("Patient.address.postalCode", "postalCode"),
        ] {
            let values = all(element);
            if let Some(first) = values.first() {
                address.insert(key.into(), if key == "line" { json!(values) } else { json!(first) });
            }
        }
        if !address.is_empty() {
            address.insert("use".into(), json!("home"));
            patient["address"] = json!([address]);
        }
        Some(patient)
    }
}

/// The people a search Bundle found.
pub fn people_found(bundle: &Value) -> Vec<Person> {
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["resource"]["resourceType"] == "Patient")
        .filter_map(|e| Person::from_patient(&e["resource"]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patient_reads_as_staff_say_it() {
        let patient = json!({"resourceType": "Patient", "id": "123",
            "name": [{"use": "old", "family": "Khan"}, {"use": "official", "given": ["Amina"], "family": "Begum"}],
            "birthDate": "1992-05-03",
            "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": "9434765919"}]});
        let person = Person::from_patient(&patient).unwrap();
        assert_eq!(person.reference.as_deref(), Some("Patient/123"));
        assert_eq!(person.label(), "Amina Begum, born 3 May 1992");
        assert_eq!(person.nhs_number.as_deref(), Some("9434765919"));
        assert_eq!(Person::from_json(&person.to_json()), Some(person));
        let unnamed = Person::from_patient(&json!({"resourceType": "Patient", "id": "9"})).unwrap();
        assert_eq!(unnamed.label(), "Name not recorded");
        assert_eq!(unnamed.name_or_reference(), "Patient/9");
    }

    #[test]
    fn nhs_numbers_are_checked_by_their_check_digit() {
        assert_eq!(nhs_number("943 476 5919").as_deref(), Some("9434765919"));
        assert_eq!(nhs_number("943-476-5918"), None, "wrong check digit");
        assert_eq!(nhs_number("94347659"), None, "too short");
        assert_eq!(nhs_number("abcdefghij"), None);
    }

    #[test]
    fn a_search_is_an_nhs_number_or_a_name_with_a_date_of_birth() {
        assert_eq!(
            PersonSearch::read("943 476 5919", "").unwrap().query(),
            "identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C9434765919"
        );
        assert_eq!(
            PersonSearch::read(" Amina  Begum ", "3 5 1992").unwrap().query(),
            "name=Amina&name=Begum&birthdate=1992-05-03&_count=20"
        );
        assert!(PersonSearch::read("943 476 5918", "").unwrap_err().contains("real NHS number"));
        assert!(PersonSearch::read("A", "").unwrap_err().contains("two letters"));
        assert!(PersonSearch::read("Amina", "1992-02-31").unwrap_err().contains("real date of birth"));
    }
}
