//! Validation issues, each attached to one item instance, each with a message that says
//! what to do ("Enter a whole number from 0 to 120"), not which rule failed.

use std::cmp::Ordering;
use std::fmt;

use crate::form::answer::{format_number, AnswerValue};
use crate::form::datatypes::compare_dates;
use crate::form::input::decimal_places;
use crate::form::questionnaire::{Item, ItemType};

/// What is wrong with one item instance.
#[derive(Debug, Clone, PartialEq)]
pub enum IssueKind {
    /// A required question has no answer.
    Required,
    /// A required group has no answered question inside it.
    RequiredGroup,
    /// What was typed is not a value of the item's type.
    NotAValue {
        expected: ItemType,
    },
    /// A date typed day, month and year with some of them missing ("a month").
    IncompleteDate {
        missing: String,
    },
    /// A date of birth after today.
    FutureBirthDate,
    /// A value outside minValue/maxValue.
    OutOfRange {
        expected: ItemType,
        min: Box<Option<AnswerValue>>,
        max: Box<Option<AnswerValue>>,
    },
    TooShort {
        min: u32,
    },
    TooLong {
        max: u32,
    },
    /// Does not match the `regex` extension; the entry format, if any, shows what fits.
    PatternMismatch {
        entry_format: Option<String>,
    },
    TooManyDecimalPlaces {
        max: u32,
    },
    /// A choice answer that is not one of the options.
    NotAnOption,
    /// Fewer answers than minOccurs.
    TooFew {
        min: u32,
    },
    /// More answers than maxOccurs.
    TooMany {
        max: u32,
    },
}

/// One validation issue at one item instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub kind: IssueKind,
}

impl Issue {
    /// The message to show next to the field and in the error summary.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            IssueKind::Required => f.write_str("Answer this question"),
            IssueKind::RequiredGroup => f.write_str("Answer at least one question in this section"),
            IssueKind::NotAValue { expected } => f.write_str(what_to_enter(*expected)),
            IssueKind::IncompleteDate { missing } => write!(f, "Enter {missing}"),
            IssueKind::FutureBirthDate => f.write_str("Enter a date of birth that is today or in the past"),
            IssueKind::OutOfRange { expected, min, max } => {
                f.write_str(&range_message(*expected, min.as_ref().as_ref(), max.as_ref().as_ref()))
            }
            IssueKind::TooShort { min } => write!(f, "Enter at least {min} character{}", plural(*min)),
            IssueKind::TooLong { max } => write!(f, "Enter {max} character{} or fewer", plural(*max)),
            IssueKind::PatternMismatch { entry_format: Some(format) } => write!(f, "Enter it in the format {format}"),
            IssueKind::PatternMismatch { entry_format: None } => {
                f.write_str("Enter it in the format this question asks for")
            }
            IssueKind::TooManyDecimalPlaces { max: 0 } => f.write_str("Enter a whole number"),
            IssueKind::TooManyDecimalPlaces { max } => {
                write!(f, "Enter a number with no more than {max} decimal place{}", plural(*max))
            }
            IssueKind::NotAnOption => f.write_str("Choose one of the options"),
            IssueKind::TooFew { min } => write!(f, "Give at least {min} answer{}", plural(*min)),
            IssueKind::TooMany { max } => write!(f, "Give no more than {max} answer{}", plural(*max)),
        }
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn what_to_enter(kind: ItemType) -> &'static str {
    match kind {
        ItemType::Integer => "Enter a whole number, like 12",
        ItemType::Decimal | ItemType::Quantity => "Enter a number, like 12 or 3.5",
        ItemType::Date => "Enter a real date, like 27 3 2024",
        ItemType::DateTime => "Enter a real date and time, like 2024-03-27 14:30",
        ItemType::Time => "Enter a time, like 14:30",
        ItemType::Url => "Enter a web address, like https://example.org",
        ItemType::Boolean => "Choose yes or no",
        _ => "Enter a valid answer",
    }
}

fn range_message(kind: ItemType, min: Option<&AnswerValue>, max: Option<&AnswerValue>) -> String {
    let show = |v: &AnswerValue| match v {
        AnswerValue::Quantity(q) => q.value.map(format_number).unwrap_or_default(),
        other => other.label(),
    };
    match kind {
        ItemType::Date | ItemType::DateTime | ItemType::Time => {
            let noun = match kind {
                ItemType::Time => "a time",
                ItemType::DateTime => "a date and time",
                _ => "a date",
            };
            match (min, max) {
                (Some(a), Some(b)) => format!("Enter {noun} between {} and {}", show(a), show(b)),
                (Some(a), None) => format!("Enter {noun} on or after {}", show(a)),
                (None, Some(b)) => format!("Enter {noun} on or before {}", show(b)),
                (None, None) => what_to_enter(kind).to_owned(),
            }
        }
        _ => {
            let noun = if kind == ItemType::Integer { "a whole number" } else { "a number" };
            match (min, max) {
                (Some(a), Some(b)) => format!("Enter {noun} from {} to {}", show(a), show(b)),
                (Some(a), None) => format!("Enter {noun} of {} or more", show(a)),
                (None, Some(b)) => format!("Enter {noun} of {} or less", show(b)),
                (None, None) => what_to_enter(kind).to_owned(),
            }
        }
    }
}

/// A limit without a unit (a plain minValue on a quantity item) bounds the number in
/// whatever unit was chosen; otherwise values compare as enableWhen compares them.
fn compare_with_limit(answer: &AnswerValue, limit: &AnswerValue) -> Option<Ordering> {
    match (answer, limit) {
        (AnswerValue::Quantity(a), AnswerValue::Quantity(l)) if l.unit.is_none() && l.code.is_none() => {
            a.value?.partial_cmp(&l.value?)
        }
        _ => answer.compare(limit),
    }
}

/// What the validator needs to know about one enabled question instance.
pub(crate) struct QuestionFacts<'a> {
    pub item: &'a Item,
    pub answers: &'a [AnswerValue],
    /// What was last typed, when it is not (yet) a value.
    pub invalid_input: bool,
    /// What was last typed, for decimal places.
    pub typed: Option<&'a str>,
    /// Today, when the form knows it (a date of birth cannot be after it).
    pub today: Option<&'a crate::form::datatypes::FhirDate>,
}

/// The issues of an enabled question instance, in the order a person should fix them.
pub(crate) fn check_question(facts: &QuestionFacts<'_>) -> Vec<Issue> {
    let item = facts.item;
    let c = &item.constraints;
    let mut issues = Vec::new();
    let mut push = |kind| issues.push(Issue { kind });
    if facts.invalid_input {
        let missing = (item.kind == ItemType::Date).then(|| facts.typed.and_then(crate::form::input::missing_date_parts));
        match missing.flatten() {
            Some(missing) => push(IssueKind::IncompleteDate { missing }),
            None => push(IssueKind::NotAValue { expected: item.kind }),
        }
        return issues;
    }
    if facts.answers.is_empty() {
        if item.required {
            push(IssueKind::Required);
        }
        return issues;
    }
    let count = facts.answers.len() as u32;
    if let Some(min) = c.min_occurs.filter(|m| count < *m) {
        push(IssueKind::TooFew { min });
    }
    if let Some(max) = c.max_occurs.filter(|m| count > *m) {
        push(IssueKind::TooMany { max });
    }
    for answer in facts.answers {
        let below = c.min_value.as_ref().is_some_and(|min| compare_with_limit(answer, min) == Some(Ordering::Less));
        let above = c.max_value.as_ref().is_some_and(|max| compare_with_limit(answer, max) == Some(Ordering::Greater));
        if below || above {
            push(IssueKind::OutOfRange {
                expected: item.kind,
                min: Box::new(c.min_value.clone()),
                max: Box::new(c.max_value.clone()),
            });
        }
        if let AnswerValue::String(text) | AnswerValue::Uri(text) = answer {
            let length = text.chars().count() as u32;
            if let Some(min) = c.min_length.filter(|m| length < *m) {
                push(IssueKind::TooShort { min });
            }
            if let Some(max) = c.max_length.filter(|m| length > *m) {
                push(IssueKind::TooLong { max });
            }
            if c.regex.as_ref().is_some_and(|r| !r.is_match(text)) {
                push(IssueKind::PatternMismatch { entry_format: item.entry_format.clone() });
            }
        }
        let number = match answer {
            AnswerValue::Decimal(d) => Some(*d),
            AnswerValue::Quantity(q) => q.value,
            _ => None,
        };
        if let (Some(max), Some(number)) = (c.max_decimal_places, number) {
            let places = match facts.typed {
                Some(typed) if facts.answers.len() == 1 => decimal_places(typed),
                _ => decimal_places(&format_number(number)),
            };
            if places > max {
                push(IssueKind::TooManyDecimalPlaces { max });
            }
        }
        if let (Some(today), AnswerValue::Date(date), true) = (facts.today, answer, item.is_birth_date()) {
            if compare_dates(date, today) == Some(Ordering::Greater) {
                push(IssueKind::FutureBirthDate);
            }
        }
        if item.kind == ItemType::Choice
            && !item.answer_options.is_empty()
            && !item.answer_options.iter().any(|o| o.value.matches(answer))
        {
            push(IssueKind::NotAnOption);
        }
    }
    issues.dedup();
    issues
}

/// The issues of an enabled group instance. (How many instances a repeating group has is
/// kept within minOccurs and maxOccurs by the actions that add and remove them.)
pub(crate) fn check_group(item: &Item, has_answered_question: bool) -> Vec<Issue> {
    if item.required && !has_answered_question {
        vec![Issue { kind: IssueKind::RequiredGroup }]
    } else {
        Vec::new()
    }
}
