//! The FHIR R4 data types that answers are made of: Coding, Quantity, Reference, Attachment,
//! and the three temporal types (date, dateTime, time), which FHIR allows to be partial.

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, Timelike};
use serde::{Deserialize, Serialize};

/// A code from a code system, as FHIR writes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Coding {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Coding {
    /// A coding with a system, a code and a display.
    pub fn new(system: &str, code: &str, display: &str) -> Self {
        Coding {
            system: Some(system.to_owned()),
            version: None,
            code: Some(code.to_owned()),
            display: Some(display.to_owned()),
        }
    }

    /// The same concept: equal codes, and equal systems where both name one. Display text
    /// never decides identity; templates often reword it.
    pub fn same_concept(&self, other: &Coding) -> bool {
        let systems_agree = match (&self.system, &other.system) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        systems_agree && self.code.is_some() && self.code == other.code
    }

    /// What a person reads: the display, else the code.
    pub fn label(&self) -> &str {
        self.display.as_deref().or(self.code.as_deref()).unwrap_or("(no code)")
    }
}

/// A measured amount with its unit.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Quantity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl Quantity {
    /// Same unit: by system and code where both have them, else by the printed unit.
    pub fn same_unit(&self, other: &Quantity) -> bool {
        match (&self.code, &other.code) {
            (Some(a), Some(b)) => a == b && (self.system == other.system),
            _ => self.unit == other.unit,
        }
    }
}

/// A reference to another resource.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// A file attached to an answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// A FHIR `date`: a year, a year and month, or a full date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FhirDate {
    pub year: i32,
    pub month: Option<u32>,
    pub day: Option<u32>,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl FhirDate {
    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, rejecting impossible dates (31 February).
    pub fn parse(text: &str) -> Option<FhirDate> {
        let parts: Vec<&str> = text.split('-').collect();
        let number = |s: &str, len: usize| -> Option<u32> {
            (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
        };
        let year = number(parts.first()?, 4)? as i32;
        match parts.len() {
            1 => Some(FhirDate { year, month: None, day: None }),
            2 => {
                let month = number(parts[1], 2).filter(|m| (1..=12).contains(m))?;
                Some(FhirDate { year, month: Some(month), day: None })
            }
            3 => {
                let month = number(parts[1], 2)?;
                let day = number(parts[2], 2)?;
                NaiveDate::from_ymd_opt(year, month, day)?;
                Some(FhirDate { year, month: Some(month), day: Some(day) })
            }
            _ => None,
        }
    }

    /// The date as people in the UK write it: "7 March 2024", "March 2024", "2024".
    pub fn human(&self) -> String {
        match (self.month, self.day) {
            (Some(m), Some(d)) => format!("{} {} {}", d, MONTHS[m as usize - 1], self.year),
            (Some(m), None) => format!("{} {}", MONTHS[m as usize - 1], self.year),
            _ => self.year.to_string(),
        }
    }
}

impl fmt::Display for FhirDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
        }
        if let Some(d) = self.day {
            write!(f, "-{d:02}")?;
        }
        Ok(())
    }
}

/// A FHIR `dateTime`: a partial date, or a date and time with a time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FhirDateTime {
    text: String,
    date: FhirDate,
    instant: Option<DateTime<FixedOffset>>,
}

impl FhirDateTime {
    /// Parses a FHIR dateTime. A time without a time zone (what an HTML
    /// `datetime-local` input gives) is read as UTC, since FHIR requires a zone.
    pub fn parse(text: &str) -> Option<FhirDateTime> {
        let text = text.trim();
        if let Some(date) = FhirDate::parse(text) {
            return Some(FhirDateTime { text: text.to_owned(), date, instant: None });
        }
        let (date_part, _) = text.split_once('T')?;
        let date = FhirDate::parse(date_part).filter(|d| d.day.is_some())?;
        let full = if has_zone(text) { text.to_owned() } else { format!("{}Z", with_seconds(text)) };
        let instant = DateTime::parse_from_rfc3339(&full).ok()?;
        Some(FhirDateTime { text: full, date, instant: Some(instant) })
    }

    /// The date part.
    pub fn date(&self) -> FhirDate {
        self.date
    }

    /// As FHIR writes it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// "7 March 2024 at 14:05" for messages.
    pub fn human(&self) -> String {
        match self.instant {
            Some(i) => format!("{} at {:02}:{:02}", self.date.human(), i.hour(), i.minute()),
            None => self.date.human(),
        }
    }
}

fn has_zone(text: &str) -> bool {
    let time = text.split_once('T').map(|(_, t)| t).unwrap_or("");
    time.ends_with('Z') || time.contains('+') || time.contains('-')
}

fn with_seconds(text: &str) -> String {
    let time = text.split_once('T').map(|(_, t)| t).unwrap_or("");
    if time.len() == 5 {
        format!("{text}:00")
    } else {
        text.to_owned()
    }
}

impl PartialOrd for FhirDateTime {
    /// Two full instants compare in time; otherwise only the dates compare, and a
    /// partial value that cannot be ordered against a finer one is equal to none of it.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self.instant, other.instant) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => compare_dates(&self.date, &other.date),
        }
    }
}

/// Dates of different precision compare only where the coarser one decides.
pub(crate) fn compare_dates(a: &FhirDate, b: &FhirDate) -> Option<Ordering> {
    let same_precision = a.month.is_some() == b.month.is_some() && a.day.is_some() == b.day.is_some();
    if same_precision {
        return Some(a.cmp(b));
    }
    match a.year.cmp(&b.year) {
        Ordering::Equal => match (a.month, b.month) {
            (Some(x), Some(y)) if x != y => Some(x.cmp(&y)),
            _ => None,
        },
        order => Some(order),
    }
}

/// A FHIR `time` (hh:mm:ss), kept normalised so that text order is time order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FhirTime(String);

impl FhirTime {
    /// Parses `hh:mm` or `hh:mm:ss(.fff)`.
    pub fn parse(text: &str) -> Option<FhirTime> {
        let text = text.trim();
        let normalised = if text.len() == 5 { format!("{text}:00") } else { text.to_owned() };
        let b = normalised.as_bytes();
        let digits = |r: std::ops::Range<usize>| b.get(r.clone()).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
        let ok = b.len() >= 8
            && digits(0..2)
            && b[2] == b':'
            && digits(3..5)
            && b[5] == b':'
            && digits(6..8)
            && (b.len() == 8 || (b[8] == b'.' && b.len() > 9 && digits(9..b.len())));
        let (h, m, s): (u32, u32, u32) = (
            normalised.get(0..2)?.parse().ok()?,
            normalised.get(3..5)?.parse().ok()?,
            normalised.get(6..8)?.parse().ok()?,
        );
        (ok && h < 24 && m < 60 && s < 60).then_some(FhirTime(normalised))
    }

    /// As FHIR writes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// "14:05" for messages.
    pub fn human(&self) -> &str {
        &self.0[..5]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_partially_and_reject_impossible_days() {
        assert_eq!(FhirDate::parse("2024").unwrap().to_string(), "2024");
        assert_eq!(FhirDate::parse("2024-03").unwrap().human(), "March 2024");
        assert_eq!(FhirDate::parse("2024-03-07").unwrap().human(), "7 March 2024");
        assert!(FhirDate::parse("2023-02-29").is_none());
        assert!(FhirDate::parse("2024-13").is_none());
        assert!(FhirDate::parse("24-01-01").is_none());
    }

    #[test]
    fn date_times_without_zone_are_read_as_utc_and_order_by_instant() {
        let a = FhirDateTime::parse("2024-03-07T10:00").unwrap();
        assert_eq!(a.as_str(), "2024-03-07T10:00:00Z");
        let b = FhirDateTime::parse("2024-03-07T11:30:00+02:00").unwrap();
        assert_eq!(a.partial_cmp(&b), Some(Ordering::Greater));
        let partial = FhirDateTime::parse("2024-03").unwrap();
        assert_eq!(partial.partial_cmp(&a), None);
    }

    #[test]
    fn times_normalise_to_seconds() {
        assert_eq!(FhirTime::parse("09:05").unwrap().as_str(), "09:05:00");
        assert!(FhirTime::parse("25:00").is_none());
        assert!(FhirTime::parse("9:05").is_none());
        assert!(FhirTime::parse("09:05:00.250").is_some());
    }
}
