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
    // Blank, or a date's day, month and year boxes all empty: the answer is cleared.
    let blank_date = item.kind == ItemType::Date && day_month_year(trimmed).is_some_and(|p| p.iter().all(|p| p.is_empty()));
    if trimmed.is_empty() || blank_date {
        return Ok(None);
    }
    let value = match item.kind {
        // FHIR's integer is 32-bit: a larger number would be refused by the record.
        ItemType::Integer => AnswerValue::Integer(trimmed.parse::<i32>().map_err(|_| NotAValue)?.into()),
        ItemType::Decimal => AnswerValue::Decimal(parse_decimal(trimmed)?),
        ItemType::Date => AnswerValue::Date(parse_date(trimmed).ok_or(NotAValue)?),
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

/// A date as FHIR writes it (`2024-03-27`), or as people in the UK do, day first:
/// `27/3/2024`, `27 3 2024` (what the day, month and year boxes send).
pub(crate) fn parse_date(text: &str) -> Option<FhirDate> {
    if let Some(date) = FhirDate::parse(text) {
        return Some(date);
    }
    let [day, month, year] = day_month_year(text)?;
    if day.is_empty() || month.is_empty() || year.len() != 4 {
        return None;
    }
    FhirDate::parse(&format!("{year}-{:0>2}-{:0>2}", month, day)).filter(|d| d.day.is_some())
}

/// The day, month and year of a day-first date, each as typed (perhaps empty).
fn day_month_year(text: &str) -> Option<[&str; 3]> {
    let parts: Vec<&str> = if text.contains('/') { text.split('/').collect() } else { text.split_whitespace().collect() };
    match parts.as_slice() {
        [d, m, y] if [d, m, y].iter().all(|p| p.trim().bytes().all(|b| b.is_ascii_digit())) => {
            Some([d.trim(), m.trim(), y.trim()])
        }
        _ => None,
    }
}

/// What a half-typed day-first date lacks ("a month and a year"), when that is all
/// that is wrong with it.
pub(crate) fn missing_date_parts(text: &str) -> Option<String> {
    let [day, month, year] = day_month_year(text)?;
    let missing: Vec<&str> = [(day, "a day"), (month, "a month"), (year, "a year")]
        .into_iter()
        .filter(|(part, _)| part.is_empty())
        .map(|(_, name)| name)
        .collect();
    match missing.as_slice() {
        [] | [_, _, _] => None,
        [one] => Some((*one).to_owned()),
        [a, b] => Some(format!("{a} and {b}")),
        _ => None,
    }
}

/// A decimal as people type it, with a point; no exponents, no thousands separators.
fn parse_decimal(text: &str) -> Result<f64, NotAValue> {
    let ok =
        text.bytes().enumerate().all(|(i, b)| b.is_ascii_digit() || b == b'.' || (i == 0 && (b == b'-' || b == b'+')));
    if !ok {
        return Err(NotAValue);
    }
    decimal_from_text(text).ok_or(NotAValue)
}

/// A decimal written as text (FHIR's grammar, with a leading `+`, a bare point or leading
/// zeros forgiven: "+1.5", ".5", "5.", "007"), read exactly as the same number in a JSON
/// template is read. Not `str::parse::<f64>`: that also takes "inf" and "NaN", and its
/// tables add some 13 KB (gzip) to the app that serde_json's number parser does not need.
pub(crate) fn decimal_from_text(text: &str) -> Option<f64> {
    let text = text.trim();
    let (negative, unsigned) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || (whole.is_empty() && fraction.is_empty()) {
        return None;
    }
    // JSON's grammar: no leading zeros, a digit before and after any point.
    let whole = whole.trim_start_matches('0');
    let mut json = String::with_capacity(text.len() + 2);
    if negative {
        json.push('-');
    }
    json.push_str(if whole.is_empty() { "0" } else { whole });
    if !fraction.is_empty() {
        json.push('.');
        json.push_str(fraction);
    }
    if let Some(exponent) = exponent {
        let unsigned = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if unsigned.is_empty() || !digits(unsigned) {
            return None;
        }
        json.push('e');
        json.push_str(exponent);
    }
    serde_json::from_str::<f64>(&json).ok().filter(|v| v.is_finite())
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
    #[test]
    fn decimals_read_as_json_reads_them() {
        for (text, value) in [
            ("1.5", Some(1.5)), ("+1.5", Some(1.5)), ("-0.25", Some(-0.25)), (".5", Some(0.5)), ("5.", Some(5.0)),
            ("007", Some(7.0)), ("0.1", Some(0.1)), ("72.35", Some(72.35)), ("1e3", Some(1000.0)), ("2.5E-1", Some(0.25)),
            (" 3 ", Some(3.0)), ("123456789012345678901234567890", Some(1.2345678901234568e29)),
            ("", None), (".", None), ("-", None), ("inf", None), ("NaN", None), ("infinity", None), ("1e", None),
            ("1e400", None), ("1.2.3", None), ("1,5", None), ("0x10", None), ("--1", None),
        ] {
            assert_eq!(super::decimal_from_text(text), value, "{text:?}");
        }
    }

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

    #[test]
    fn dates_are_read_day_first_as_people_in_the_uk_write_them() {
        let date = |text: &str| parse_input(&item(ItemType::Date), text, None);
        let expected = Ok(Some(AnswerValue::Date(FhirDate::parse("2024-03-27").unwrap())));
        assert_eq!(date("27/3/2024"), expected);
        assert_eq!(date("27 03 2024"), expected);
        assert_eq!(date("2024-03-27"), expected);
        assert_eq!(date("31/2/2024"), Err(NotAValue), "not a real date");
        assert_eq!(date("27//2024"), Err(NotAValue));
        assert_eq!(missing_date_parts("27//2024").as_deref(), Some("a month"));
        assert_eq!(missing_date_parts("/3/").as_deref(), Some("a day and a year"));
        assert_eq!(missing_date_parts("27/3/2024"), None);
        assert_eq!(date("//"), Ok(None), "the three boxes emptied: no answer");
    }
}
