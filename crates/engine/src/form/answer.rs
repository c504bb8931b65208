//! Answer values: the `value[x]` of an answer, an answer option, an initial value or an
//! enableWhen condition, and how each compares with another.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::form::datatypes::{
    compare_dates, Attachment, Coding, FhirDate, FhirDateTime, FhirTime, Quantity, Reference,
};

/// One answer value, typed as FHIR types it.
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerValue {
    Boolean(bool),
    Decimal(f64),
    Integer(i64),
    Date(FhirDate),
    DateTime(FhirDateTime),
    Time(FhirTime),
    String(String),
    Uri(String),
    Attachment(Attachment),
    Coding(Coding),
    Quantity(Quantity),
    Reference(Reference),
}

/// Which `value[x]` an answer is, without its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    Boolean,
    Decimal,
    Integer,
    Date,
    DateTime,
    Time,
    String,
    Uri,
    Attachment,
    Coding,
    Quantity,
    Reference,
}

impl ValueKind {
    /// Every kind, in the order FHIR lists them.
    pub const ALL: [ValueKind; 12] = [
        ValueKind::Boolean,
        ValueKind::Decimal,
        ValueKind::Integer,
        ValueKind::Date,
        ValueKind::DateTime,
        ValueKind::Time,
        ValueKind::String,
        ValueKind::Uri,
        ValueKind::Attachment,
        ValueKind::Coding,
        ValueKind::Quantity,
        ValueKind::Reference,
    ];

    /// The suffix of the JSON property: `value` + suffix, `answer` + suffix.
    pub fn suffix(self) -> &'static str {
        match self {
            ValueKind::Boolean => "Boolean",
            ValueKind::Decimal => "Decimal",
            ValueKind::Integer => "Integer",
            ValueKind::Date => "Date",
            ValueKind::DateTime => "DateTime",
            ValueKind::Time => "Time",
            ValueKind::String => "String",
            ValueKind::Uri => "Uri",
            ValueKind::Attachment => "Attachment",
            ValueKind::Coding => "Coding",
            ValueKind::Quantity => "Quantity",
            ValueKind::Reference => "Reference",
        }
    }
}

/// Why a JSON value could not be read as an answer value.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueError {
    pub property: String,
    pub message: String,
}

/// A value read from JSON, and whether it had to be coerced (a number written as a string).
pub(crate) struct ReadValue {
    pub value: AnswerValue,
    pub coerced: bool,
}

impl AnswerValue {
    /// Which `value[x]` this is.
    pub fn kind(&self) -> ValueKind {
        match self {
            AnswerValue::Boolean(_) => ValueKind::Boolean,
            AnswerValue::Decimal(_) => ValueKind::Decimal,
            AnswerValue::Integer(_) => ValueKind::Integer,
            AnswerValue::Date(_) => ValueKind::Date,
            AnswerValue::DateTime(_) => ValueKind::DateTime,
            AnswerValue::Time(_) => ValueKind::Time,
            AnswerValue::String(_) => ValueKind::String,
            AnswerValue::Uri(_) => ValueKind::Uri,
            AnswerValue::Attachment(_) => ValueKind::Attachment,
            AnswerValue::Coding(_) => ValueKind::Coding,
            AnswerValue::Quantity(_) => ValueKind::Quantity,
            AnswerValue::Reference(_) => ValueKind::Reference,
        }
    }

    /// Finds the one `<prefix>[x]` property of a JSON object (`valueCoding`, `answerBoolean`)
    /// and reads it. `Ok(None)` when there is none.
    pub(crate) fn read_from(object: &Map<String, Value>, prefix: &str) -> Result<Option<ReadValue>, ValueError> {
        for kind in ValueKind::ALL {
            let property = format!("{prefix}{}", kind.suffix());
            if let Some(json) = object.get(&property) {
                return AnswerValue::from_json(kind, json)
                    .map(Some)
                    .map_err(|message| ValueError { property, message });
            }
        }
        Ok(None)
    }

    /// Reads one value of a known kind. Numbers and booleans written as strings are
    /// accepted and marked as coerced, so the loader can warn about them.
    pub(crate) fn from_json(kind: ValueKind, json: &Value) -> Result<ReadValue, String> {
        let exact = |value| Ok(ReadValue { value, coerced: false });
        let coerced = |value| Ok(ReadValue { value, coerced: true });
        let text = || json.as_str().ok_or_else(|| format!("expected text, found {}", describe(json)));
        let object = || {
            json.as_object()
                .map(|o| Value::Object(o.clone()))
                .ok_or_else(|| format!("expected an object, found {}", describe(json)))
        };
        match kind {
            ValueKind::Boolean => match json {
                Value::Bool(b) => exact(AnswerValue::Boolean(*b)),
                Value::String(s) if s == "true" || s == "false" => coerced(AnswerValue::Boolean(s == "true")),
                _ => Err(format!("expected true or false, found {}", describe(json))),
            },
            ValueKind::Decimal => match json {
                Value::Number(n) => exact(AnswerValue::Decimal(n.as_f64().unwrap_or_default())),
                Value::String(s) => match crate::form::input::decimal_from_text(s) {
                    Some(v) => coerced(AnswerValue::Decimal(v)),
                    None => Err(format!("expected a number, found \"{s}\"")),
                },
                _ => Err(format!("expected a number, found {}", describe(json))),
            },
            ValueKind::Integer => match json {
                Value::Number(n) if n.as_i64().is_some() => exact(AnswerValue::Integer(n.as_i64().unwrap_or_default())),
                Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0 && f.abs() < 9e15) => {
                    coerced(AnswerValue::Integer(n.as_f64().unwrap_or_default() as i64))
                }
                Value::String(s) => match s.trim().parse::<i64>() {
                    Ok(v) => coerced(AnswerValue::Integer(v)),
                    Err(_) => Err(format!("expected a whole number, found \"{s}\"")),
                },
                _ => Err(format!("expected a whole number, found {}", describe(json))),
            },
            ValueKind::Date => {
                let s = text()?;
                FhirDate::parse(s)
                    .map(AnswerValue::Date)
                    .map_or_else(|| Err(format!("\"{s}\" is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")), exact)
            }
            ValueKind::DateTime => {
                let s = text()?;
                FhirDateTime::parse(s)
                    .map(AnswerValue::DateTime)
                    .map_or_else(|| Err(format!("\"{s}\" is not a dateTime (such as 2024-03-07T14:05:00Z)")), exact)
            }
            ValueKind::Time => {
                let s = text()?;
                FhirTime::parse(s)
                    .map(AnswerValue::Time)
                    .map_or_else(|| Err(format!("\"{s}\" is not a time (hh:mm:ss)")), exact)
            }
            ValueKind::String => match json {
                Value::String(s) => exact(AnswerValue::String(s.clone())),
                Value::Number(n) => coerced(AnswerValue::String(n.to_string())),
                _ => Err(format!("expected text, found {}", describe(json))),
            },
            ValueKind::Uri => exact(AnswerValue::Uri(text()?.to_owned())),
            ValueKind::Attachment => serde_json::from_value(object()?)
                .map(AnswerValue::Attachment)
                .map_err(|e| format!("not an Attachment: {e}"))
                .and_then(exact),
            ValueKind::Coding => serde_json::from_value(object()?)
                .map(AnswerValue::Coding)
                .map_err(|e| format!("not a Coding: {e}"))
                .and_then(exact),
            ValueKind::Quantity => read_quantity(json).and_then(|(q, c)| {
                if c {
                    coerced(AnswerValue::Quantity(q))
                } else {
                    exact(AnswerValue::Quantity(q))
                }
            }),
            ValueKind::Reference => serde_json::from_value(object()?)
                .map(AnswerValue::Reference)
                .map_err(|e| format!("not a Reference: {e}"))
                .and_then(exact),
        }
    }

    /// The value as FHIR JSON, to be put under `value<Kind>`.
    pub fn to_json(&self) -> Value {
        match self {
            AnswerValue::Boolean(b) => Value::Bool(*b),
            AnswerValue::Decimal(d) => decimal_json(*d),
            AnswerValue::Integer(i) => Value::from(*i),
            AnswerValue::Date(d) => Value::String(d.to_string()),
            AnswerValue::DateTime(d) => Value::String(d.as_str().to_owned()),
            AnswerValue::Time(t) => Value::String(t.as_str().to_owned()),
            AnswerValue::String(s) | AnswerValue::Uri(s) => Value::String(s.clone()),
            AnswerValue::Attachment(a) => serde_json::to_value(a).unwrap_or(Value::Null),
            AnswerValue::Coding(c) => serde_json::to_value(c).unwrap_or(Value::Null),
            AnswerValue::Quantity(q) => serde_json::to_value(q).unwrap_or(Value::Null),
            AnswerValue::Reference(r) => serde_json::to_value(r).unwrap_or(Value::Null),
        }
    }

    /// `{"value<Kind>": ...}` as FHIR writes an answer or an option.
    pub fn to_value_object(&self, prefix: &str) -> Map<String, Value> {
        let mut object = Map::new();
        object.insert(format!("{prefix}{}", self.kind().suffix()), self.to_json());
        object
    }

    /// Equality in the sense of enableWhen `=`: codings by concept, quantities by value
    /// and unit, numbers across integer and decimal.
    pub fn matches(&self, other: &AnswerValue) -> bool {
        match (self, other) {
            (AnswerValue::Coding(a), AnswerValue::Coding(b)) => a.same_concept(b),
            (AnswerValue::Quantity(a), AnswerValue::Quantity(b)) => a.value == b.value && a.same_unit(b),
            (AnswerValue::Reference(a), AnswerValue::Reference(b)) => {
                a.reference.is_some() && a.reference == b.reference
            }
            // An open-choice answer typed as text matches a string condition.
            (AnswerValue::String(a), AnswerValue::Coding(c)) | (AnswerValue::Coding(c), AnswerValue::String(a)) => {
                c.display.as_deref() == Some(a.as_str()) || c.code.as_deref() == Some(a.as_str())
            }
            _ => self.compare(other) == Some(Ordering::Equal),
        }
    }

    /// Order, where the two values can be ordered (numbers, dates, times, text,
    /// quantities in the same unit).
    pub fn compare(&self, other: &AnswerValue) -> Option<Ordering> {
        use AnswerValue as A;
        match (self, other) {
            (A::Boolean(a), A::Boolean(b)) => Some(a.cmp(b)),
            (A::Integer(a), A::Integer(b)) => Some(a.cmp(b)),
            (A::Decimal(a), A::Decimal(b)) => a.partial_cmp(b),
            (A::Integer(a), A::Decimal(b)) => (*a as f64).partial_cmp(b),
            (A::Decimal(a), A::Integer(b)) => a.partial_cmp(&(*b as f64)),
            (A::Date(a), A::Date(b)) => compare_dates(a, b),
            (A::DateTime(a), A::DateTime(b)) => a.partial_cmp(b),
            (A::Date(a), A::DateTime(b)) => compare_dates(a, &b.date()),
            (A::DateTime(a), A::Date(b)) => compare_dates(&a.date(), b),
            (A::Time(a), A::Time(b)) => Some(a.cmp(b)),
            (A::String(a), A::String(b)) | (A::Uri(a), A::Uri(b)) => Some(a.cmp(b)),
            (A::Quantity(a), A::Quantity(b)) if a.same_unit(b) => a.value?.partial_cmp(&b.value?),
            (A::Coding(a), A::Coding(b)) if a.same_concept(b) => Some(Ordering::Equal),
            _ => None,
        }
    }

    /// How a person reads the value, in lists and summaries.
    pub fn label(&self) -> String {
        match self {
            AnswerValue::Boolean(true) => "Yes".into(),
            AnswerValue::Boolean(false) => "No".into(),
            AnswerValue::Decimal(d) => format_number(*d),
            AnswerValue::Integer(i) => i.to_string(),
            AnswerValue::Date(d) => d.human(),
            AnswerValue::DateTime(d) => d.human(),
            AnswerValue::Time(t) => t.human().to_owned(),
            AnswerValue::String(s) | AnswerValue::Uri(s) => s.clone(),
            AnswerValue::Attachment(a) => {
                a.title.clone().or_else(|| a.url.clone()).unwrap_or_else(|| "attachment".into())
            }
            AnswerValue::Coding(c) => c.label().to_owned(),
            AnswerValue::Quantity(q) => {
                let value = q.value.map(format_number).unwrap_or_default();
                match q.unit.as_deref().or(q.code.as_deref()) {
                    Some(unit) => format!("{value} {unit}"),
                    None => value,
                }
            }
            AnswerValue::Reference(r) => r.display.clone().or_else(|| r.reference.clone()).unwrap_or_default(),
        }
    }
}

/// A decimal as JSON: whole values stay decimals in FHIR's eyes but print without ".0"
/// noise only when they are integral, as FHIR servers echo them.
fn decimal_json(d: f64) -> Value {
    serde_json::Number::from_f64(d).map(Value::Number).unwrap_or(Value::Null)
}

/// A number as people read it: no trailing ".0". Written by serde_json's own float
/// formatting, which every response needs anyway, rather than `f64`'s Display or a second
/// float-formatting crate: each costs the wasm bundle several KB.
pub fn format_number(d: f64) -> String {
    if d.fract() == 0.0 && d.abs() < 1e15 {
        (d as i64).to_string()
    } else {
        serde_json::Number::from_f64(d).map(|n| n.to_string()).unwrap_or_default()
    }
}

fn read_quantity(json: &Value) -> Result<(Quantity, bool), String> {
    let mut object =
        json.as_object().cloned().ok_or_else(|| format!("expected a Quantity object, found {}", describe(json)))?;
    let mut coerced = false;
    if let Some(Value::String(s)) = object.get("value") {
        let number = crate::form::input::decimal_from_text(s).ok_or_else(|| format!("Quantity value \"{s}\" is not a number"))?;
        object.insert("value".into(), decimal_json(number));
        coerced = true;
    }
    serde_json::from_value(Value::Object(object)).map(|q| (q, coerced)).map_err(|e| format!("not a Quantity: {e}"))
}

/// "a number", "text \"abc\"", for messages about the wrong JSON type.
pub(crate) fn describe(json: &Value) -> String {
    match json {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the text \"{}\"", s.chars().take(40).collect::<String>()),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}
