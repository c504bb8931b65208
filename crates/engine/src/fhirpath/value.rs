//! What an expression yields: a collection of items, each a FHIRPath value or a node of the
//! JSON it reads (borrowed, never copied), with equality, order and arithmetic as the
//! specification defines them for the types forms use.

use std::borrow::Cow;
use std::cmp::Ordering;

use chrono::{Datelike, Months, NaiveDate};
use serde_json::Value as Json;

/// One item of a collection.
#[derive(Debug, Clone, PartialEq)]
pub enum Item<'a> {
    Bool(bool),
    Integer(i64),
    Decimal(f64),
    String(Cow<'a, str>),
    Date(Cow<'a, str>),
    DateTime(Cow<'a, str>),
    Time(Cow<'a, str>),
    Quantity(f64, Cow<'a, str>),
    /// An element or resource of the input; `kind` is the type a choice element's name
    /// gave it (`valueCoding` → `Coding`), or the resource type.
    Node(&'a Json, Option<&'a str>),
}

pub type Collection<'a> = Vec<Item<'a>>;

impl<'a> Item<'a> {
    /// A JSON value as an item: objects stay nodes; primitives become values, typed by the
    /// choice suffix when there is one (`valueDate` → Date).
    pub fn from_json(json: &'a Json, kind: Option<&'a str>) -> Option<Item<'a>> {
        Some(match json {
            Json::Null => return None,
            Json::Bool(b) => Item::Bool(*b),
            Json::Number(n) => match (n.as_i64(), kind) {
                (Some(i), k) if k != Some("Decimal") => Item::Integer(i),
                _ => Item::Decimal(n.as_f64()?),
            },
            Json::String(s) => match kind {
                Some("Date") => Item::Date(Cow::Borrowed(s)),
                Some("DateTime") | Some("Instant") => Item::DateTime(Cow::Borrowed(s)),
                Some("Time") => Item::Time(Cow::Borrowed(s)),
                _ => Item::String(Cow::Borrowed(s)),
            },
            Json::Object(_) | Json::Array(_) => Item::Node(json, kind),
        })
    }

    /// The type's name, as `is` and `ofType` test it.
    pub fn type_name(&self) -> Option<&str> {
        Some(match self {
            Item::Bool(_) => "Boolean",
            Item::Integer(_) => "Integer",
            Item::Decimal(_) => "Decimal",
            Item::String(_) => "String",
            Item::Date(_) => "Date",
            Item::DateTime(_) => "DateTime",
            Item::Time(_) => "Time",
            Item::Quantity(..) => "Quantity",
            Item::Node(json, kind) => return kind.or_else(|| json.get("resourceType").and_then(Json::as_str)),
        })
    }

    /// The item as text, as `toString()` gives it.
    pub fn to_text(&self) -> Option<String> {
        Some(match self {
            Item::Bool(b) => b.to_string(),
            Item::Integer(i) => i.to_string(),
            Item::Decimal(d) => decimal_text(*d),
            Item::String(s) | Item::Date(s) | Item::DateTime(s) | Item::Time(s) => s.to_string(),
            Item::Quantity(v, u) => format!("{} '{}'", decimal_text(*v), u),
            Item::Node(..) => match self.as_quantity() {
                Some((v, u)) => format!("{} '{}'", decimal_text(v), u),
                None => return None,
            },
        })
    }

    pub fn as_number(&self) -> Option<f64> {
        match self {
            Item::Integer(i) => Some(*i as f64),
            Item::Decimal(d) => Some(*d),
            _ => None,
        }
    }

    /// A Quantity, from a literal or a FHIR Quantity element.
    pub fn as_quantity(&self) -> Option<(f64, Cow<'a, str>)> {
        match self {
            Item::Quantity(v, u) => Some((*v, u.clone())),
            Item::Node(json @ Json::Object(map), _)
                if map.contains_key("value") && json.get("resourceType").is_none() =>
            {
                let value = map.get("value")?.as_f64()?;
                let unit = map.get("code").or_else(|| map.get("unit")).and_then(Json::as_str).unwrap_or("1");
                Some((value, Cow::Borrowed(unit)))
            }
            _ => None,
        }
    }
}

/// A decimal as FHIRPath prints it: no exponent, no binary noise (0.1 + 0.2 is 0.3).
pub fn decimal_text(d: f64) -> String {
    let rounded = (d * 1e8).round() / 1e8;
    // The app's own number formatting (serde_json's), not core's float tables.
    crate::form::answer::format_number(if rounded == 0.0 { 0.0 } else { rounded })
}

/// Equality (`=`) of two single items: `None` when it cannot be known (dates of
/// different precision).
pub fn equal(a: &Item, b: &Item) -> Option<bool> {
    if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
        return Some((x - y).abs() < 1e-9);
    }
    match (a, b) {
        (Item::Bool(x), Item::Bool(y)) => Some(x == y),
        (Item::Node(x, _), Item::Node(y, _)) => Some(x == y),
        (Item::Node(..), Item::Quantity(..))
        | (Item::Quantity(..), Item::Node(..))
        | (Item::Quantity(..), Item::Quantity(..)) => match (a.as_quantity(), b.as_quantity()) {
            (Some(x), Some(y)) => compare_quantities(&x, &y).map(|o| o == Ordering::Equal),
            _ => Some(false),
        },
        _ => {
            let (Some(x), Some(y)) = (text_like(a), text_like(b)) else { return Some(false) };
            if is_temporal(a) || is_temporal(b) {
                compare_temporal(x, y).map(|o| o == Ordering::Equal)
            } else {
                Some(x == y)
            }
        }
    }
}

/// Equivalence (`~`): case- and space-insensitive text, numbers to the lesser precision,
/// dates of different precision unequal rather than unknown.
pub fn equivalent(a: &Item, b: &Item) -> bool {
    match (a, b) {
        (Item::String(x), Item::String(y)) => normalise(x) == normalise(y),
        (Item::Decimal(_), _) | (_, Item::Decimal(_)) if a.as_number().is_some() && b.as_number().is_some() => {
            let (x, y) = (a.as_number().unwrap_or(0.0), b.as_number().unwrap_or(0.0));
            let digits = |v: f64| decimal_text(v).split('.').nth(1).map(str::len).unwrap_or(0);
            let p = digits(x).min(digits(y)) as i32;
            let scale = 10f64.powi(p);
            (x * scale).round() == (y * scale).round()
        }
        _ => equal(a, b).unwrap_or(false),
    }
}

fn normalise(s: &str) -> String {
    super::case::lower(&s.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn is_temporal(item: &Item) -> bool {
    matches!(item, Item::Date(_) | Item::DateTime(_) | Item::Time(_))
}

fn text_like<'b>(item: &'b Item) -> Option<&'b str> {
    match item {
        Item::String(s) | Item::Date(s) | Item::DateTime(s) | Item::Time(s) => Some(s),
        _ => None,
    }
}

/// Order (`<`, `>`, ...): `None` when the two cannot be ordered.
pub fn compare(a: &Item, b: &Item) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
        return x.partial_cmp(&y);
    }
    if let (Some(x), Some(y)) = (a.as_quantity(), b.as_quantity()) {
        return compare_quantities(&x, &y);
    }
    let (x, y) = (text_like(a)?, text_like(b)?);
    if is_temporal(a) || is_temporal(b) {
        compare_temporal(x, y)
    } else {
        Some(x.cmp(y))
    }
}

fn compare_quantities(a: &(f64, Cow<str>), b: &(f64, Cow<str>)) -> Option<Ordering> {
    let (x, y) = (to_base_unit(a)?, to_base_unit(b)?);
    if x.1 != y.1 {
        return None;
    }
    x.0.partial_cmp(&y.0)
}

/// A few UCUM units forms compare across (mass, length, time), in base units.
fn to_base_unit<'b>(q: &'b (f64, Cow<str>)) -> Option<(f64, &'b str)> {
    let (v, unit) = (q.0, q.1.as_ref());
    Some(match unit {
        "g" => (v, "g"),
        "kg" => (v * 1000.0, "g"),
        "mg" => (v / 1000.0, "g"),
        "m" => (v, "m"),
        "cm" => (v / 100.0, "m"),
        "mm" => (v / 1000.0, "m"),
        "[in_i]" => (v * 0.0254, "m"),
        "a" | "year" | "years" => (v * 12.0, "mo"),
        "mo" | "month" | "months" => (v, "mo"),
        "wk" | "week" | "weeks" => (v * 7.0, "d"),
        "d" | "day" | "days" => (v, "d"),
        other => (v, other),
    })
}

/// Dates and times compare field by field; when one stops before the other and they agree
/// so far, the order is unknown (FHIRPath's precision rule).
fn compare_temporal(x: &str, y: &str) -> Option<Ordering> {
    let (x, y) = (x.trim_start_matches('T'), y.trim_start_matches('T'));
    let strip_zone = |s: &str| -> String {
        let s = s.trim_end_matches('Z');
        match s.find('T') {
            Some(t) => {
                let (date, time) = s.split_at(t);
                let time = time.split(['+', '-']).next().unwrap_or(time);
                format!("{date}{time}")
            }
            None => s.to_owned(),
        }
    };
    let (x, y) = (strip_zone(x), strip_zone(y));
    let common = x.len().min(y.len());
    match x[..common].cmp(&y[..common]) {
        Ordering::Equal if x.len() == y.len() => Some(Ordering::Equal),
        Ordering::Equal => {
            // Seconds and milliseconds are one precision: 10:00:31 equals 10:00:31.0.
            let (long, short) = if x.len() > y.len() { (&x, &y) } else { (&y, &x) };
            let rest = &long[short.len()..];
            let short_has_seconds = short.rsplit('T').next().is_some_and(|t| t.matches(':').count() == 2);
            if short_has_seconds && rest.starts_with('.') && rest[1..].chars().all(|c| c == '0') {
                Some(Ordering::Equal)
            } else {
                None
            }
        }
        other => Some(other),
    }
}

/// A date plus (or minus) a calendar quantity. Returns `None` for units that are not
/// calendar durations.
pub fn add_to_date(date: &str, amount: f64, unit: &str, kind_is_datetime: bool) -> Option<String> {
    let (date_part, rest) = match date.find('T') {
        Some(t) => (&date[..t], &date[t..]),
        None => (date, ""),
    };
    let parts: Vec<&str> = date_part.split('-').collect();
    let year: i32 = parts.first()?.parse().ok()?;
    let month: u32 = parts.get(1).map(|m| m.parse().ok()).unwrap_or(Some(1))?;
    let day: u32 = parts.get(2).map(|d| d.parse().ok()).unwrap_or(Some(1))?;
    let start = NaiveDate::from_ymd_opt(year, month, day)?;
    let whole = amount.trunc() as i64;
    let moved = match unit {
        "year" | "years" | "a" => shift_months(start, whole * 12)?,
        "month" | "months" | "mo" => shift_months(start, whole)?,
        "week" | "weeks" | "wk" => start.checked_add_signed(chrono::Duration::days(whole * 7))?,
        "day" | "days" | "d" => start.checked_add_signed(chrono::Duration::days(whole))?,
        _ if kind_is_datetime || !rest.is_empty() => return None,
        _ => return None,
    };
    let text = match parts.len() {
        1 => format!("{:04}", moved.year()),
        2 => format!("{:04}-{:02}", moved.year(), moved.month()),
        _ => format!("{:04}-{:02}-{:02}", moved.year(), moved.month(), moved.day()),
    };
    Some(format!("{text}{rest}"))
}

fn shift_months(date: NaiveDate, months: i64) -> Option<NaiveDate> {
    if months >= 0 {
        date.checked_add_months(Months::new(months as u32))
    } else {
        date.checked_sub_months(Months::new((-months) as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_of_different_precision_are_not_ordered() {
        assert_eq!(compare_temporal("2020-01", "2020-01-05"), None);
        assert_eq!(compare_temporal("2019", "2020-01-05"), Some(Ordering::Less));
        assert_eq!(compare_temporal("2020-01-05T10:00:31", "2020-01-05T10:00:31.000"), Some(Ordering::Equal));
        assert_eq!(compare_temporal("2020-01-05T10:00", "2020-01-05T10:00:00"), None);
    }

    #[test]
    fn calendar_arithmetic_clamps_month_ends() {
        assert_eq!(add_to_date("2024-02-29", 1.0, "year", false).as_deref(), Some("2025-02-28"));
        assert_eq!(add_to_date("2024-01-31", -18.0, "years", false).as_deref(), Some("2006-01-31"));
        assert_eq!(add_to_date("2024-01", 2.0, "months", false).as_deref(), Some("2024-03"));
    }

    #[test]
    fn decimals_print_without_binary_noise() {
        assert_eq!(decimal_text(0.1 + 0.2), "0.3");
        assert_eq!(decimal_text(2.5), "2.5");
    }
}
