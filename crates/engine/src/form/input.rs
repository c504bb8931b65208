//! What a person typed, read as an answer of the item's type. A form field hands the
//! engine text; the engine decides whether it is a whole number, a date, a time, so that
//! no component repeats that logic.

use crate::form::answer::AnswerValue;
use crate::form::datatypes::{Coding, FhirDate, FhirDateTime, FhirTime, Quantity};
use crate::form::questionnaire::{Item, ItemType};

/// Typed text that is not a value of the item's type. The validation reports it with a
/// message that says what to enter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAValue;

/// Reads typed text as an answer. `Ok(None)` for empty text (the answer is cleared).
pub fn parse_input(item: &Item, text: &str, unit: Option<&Coding>) -> Result<Option<AnswerValue>, NotAValue> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let value = match item.kind {
        // FHIR's integer is 32-bit: a larger number would be refused by the record.
        ItemType::Integer => AnswerValue::Integer(trimmed.parse::<i32>().map_err(|_| NotAValue)?.into()),
        ItemType::Decimal => AnswerValue::Decimal(parse_decimal(trimmed)?),
        ItemType::Date => AnswerValue::Date(FhirDate::parse(trimmed).ok_or(NotAValue)?),
        ItemType::DateTime => AnswerValue::DateTime(FhirDateTime::parse(trimmed).ok_or(NotAValue)?),
        ItemType::Time => AnswerValue::Time(FhirTime::parse(trimmed).ok_or(NotAValue)?),
        ItemType::Url => {
            if trimmed.contains(char::is_whitespace) || !trimmed.contains(':') {
                return Err(NotAValue);
            }
            AnswerValue::Uri(trimmed.to_owned())
        }
        ItemType::Quantity => {
            let unit = unit.or(item.unit.as_ref()).or(item.unit_options.first());
            AnswerValue::Quantity(Quantity {
                value: Some(parse_decimal(trimmed)?),
                comparator: None,
                unit: unit.map(|u| u.label().to_owned()),
                system: unit.and_then(|u| u.system.clone()),
                code: unit.and_then(|u| u.code.clone()),
            })
        }
        // Free text keeps what was typed, spaces included: only blank text clears it.
        ItemType::String | ItemType::Text | ItemType::Choice | ItemType::OpenChoice => {
            AnswerValue::String(text.to_owned())
        }
        ItemType::Boolean => match trimmed.to_ascii_lowercase().as_str() {
            "true" | "yes" => AnswerValue::Boolean(true),
            "false" | "no" => AnswerValue::Boolean(false),
            _ => return Err(NotAValue),
        },
        ItemType::Group | ItemType::Display | ItemType::Attachment | ItemType::Reference => return Err(NotAValue),
    };
    Ok(Some(value))
}

/// A decimal as people type it, with a point; no exponents, no thousands separators.
fn parse_decimal(text: &str) -> Result<f64, NotAValue> {
    let ok =
        text.bytes().enumerate().all(|(i, b)| b.is_ascii_digit() || b == b'.' || (i == 0 && (b == b'-' || b == b'+')));
    if !ok || text.matches('.').count() > 1 || !text.bytes().any(|b| b.is_ascii_digit()) {
        return Err(NotAValue);
    }
    text.parse::<f64>().map_err(|_| NotAValue)
}

/// How many decimal places typed text has, for `maxDecimalPlaces`.
pub(crate) fn decimal_places(text: &str) -> u32 {
    text.trim().split_once('.').map_or(0, |(_, frac)| frac.len() as u32)
}

/// The text a form field shows for an answer: what `parse_input` reads back to the same
/// value. Dates in ISO form (what date inputs take), times as hh:mm.
pub fn input_text(value: &AnswerValue) -> String {
    match value {
        AnswerValue::Date(d) => d.to_string(),
        AnswerValue::DateTime(d) => {
            // A datetime-local field shows local wall time without a zone: UTC as stored.
            let text = d.as_str();
            match text.split_once('T') {
                Some((date, time)) => format!("{date}T{}", &time[..time.len().min(5)]),
                None => text.to_owned(),
            }
        }
        AnswerValue::Time(t) => t.human().to_owned(),
        AnswerValue::Decimal(d) => crate::form::answer::format_number(*d),
        AnswerValue::Quantity(q) => q.value.map(crate::form::answer::format_number).unwrap_or_default(),
        AnswerValue::Reference(r) => r.reference.clone().unwrap_or_default(),
        other => other.label(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::questionnaire::ItemType;

    fn item(kind: ItemType) -> Item {
        let json = serde_json::json!({"resourceType": "Questionnaire", "status": "draft",
            "item": [{"linkId": "x", "type": kind.code()}]});
        crate::Questionnaire::from_json(&json).unwrap().questionnaire.items()[0].clone()
    }

    #[test]
    fn what_a_field_shows_reads_back_to_the_same_answer() {
        for (kind, text) in [
            (ItemType::Integer, "42"),
            (ItemType::Decimal, "3.25"),
            (ItemType::Date, "2024-03-07"),
            (ItemType::DateTime, "2024-03-07T14:05"),
            (ItemType::Time, "09:30"),
            (ItemType::String, "Amina"),
            (ItemType::Url, "https://example.org"),
        ] {
            let item = item(kind);
            let value = parse_input(&item, text, None).unwrap().unwrap();
            assert_eq!(input_text(&value), text, "{kind}");
        }
        assert_eq!(parse_input(&item(ItemType::Integer), "  ", None), Ok(None));
        assert_eq!(parse_input(&item(ItemType::Decimal), "1e5", None), Err(NotAValue));
    }
}
