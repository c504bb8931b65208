//! What a person typed, read as an answer of the item's type. A form field hands the
//! engine text; the engine decides whether it is a whole number, a date, a time, so that
//! no component repeats that logic.

use crate::answer::AnswerValue;
use crate::datatypes::{Coding, FhirDate, FhirDateTime, FhirTime, Quantity};
use crate::questionnaire::{Item, ItemType};

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
        ItemType::Integer => AnswerValue::Integer(trimmed.parse().map_err(|_| NotAValue)?),
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
        ItemType::String | ItemType::Text | ItemType::Choice | ItemType::OpenChoice => AnswerValue::String(text.to_owned()),
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
    let ok = text.bytes().enumerate().all(|(i, b)| b.is_ascii_digit() || b == b'.' || (i == 0 && (b == b'-' || b == b'+')));
    if !ok || text.matches('.').count() > 1 || !text.bytes().any(|b| b.is_ascii_digit()) {
        return Err(NotAValue);
    }
    text.parse::<f64>().map_err(|_| NotAValue)
}

/// How many decimal places typed text has, for `maxDecimalPlaces`.
pub(crate) fn decimal_places(text: &str) -> u32 {
    text.trim().split_once('.').map_or(0, |(_, frac)| frac.len() as u32)
}
