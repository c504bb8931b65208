//! The typed template: a FHIR R4 `Questionnaire` with the SDC extensions the engine
//! carries out. Items live in one flat arena, in document order, and refer to each other
//! by [`ItemId`]; the tree is kept as parent and child ids.

use std::collections::HashMap;
use std::fmt;

use crate::form::answer::{AnswerValue, ValueKind};
use crate::form::datatypes::Coding;

/// An item of the template (not an instance of it in a filled form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemId(pub u32);

impl ItemId {
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

/// The R4 item types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemType {
    Group,
    Display,
    Boolean,
    Decimal,
    Integer,
    Date,
    DateTime,
    Time,
    String,
    Text,
    Url,
    Choice,
    OpenChoice,
    Attachment,
    Reference,
    Quantity,
}

impl ItemType {
    /// Reads the R4 code.
    pub fn from_code(code: &str) -> Option<ItemType> {
        Some(match code {
            "group" => ItemType::Group,
            "display" => ItemType::Display,
            "boolean" => ItemType::Boolean,
            "decimal" => ItemType::Decimal,
            "integer" => ItemType::Integer,
            "date" => ItemType::Date,
            "dateTime" => ItemType::DateTime,
            "time" => ItemType::Time,
            "string" => ItemType::String,
            "text" => ItemType::Text,
            "url" => ItemType::Url,
            "choice" => ItemType::Choice,
            "open-choice" => ItemType::OpenChoice,
            "attachment" => ItemType::Attachment,
            "reference" => ItemType::Reference,
            "quantity" => ItemType::Quantity,
            _ => return None,
        })
    }

    /// The R4 code.
    pub fn code(self) -> &'static str {
        match self {
            ItemType::Group => "group",
            ItemType::Display => "display",
            ItemType::Boolean => "boolean",
            ItemType::Decimal => "decimal",
            ItemType::Integer => "integer",
            ItemType::Date => "date",
            ItemType::DateTime => "dateTime",
            ItemType::Time => "time",
            ItemType::String => "string",
            ItemType::Text => "text",
            ItemType::Url => "url",
            ItemType::Choice => "choice",
            ItemType::OpenChoice => "open-choice",
            ItemType::Attachment => "attachment",
            ItemType::Reference => "reference",
            ItemType::Quantity => "quantity",
        }
    }

    /// "an integer", "a choice": the code with its article, for messages.
    pub fn with_article(self) -> String {
        let code = self.code();
        let article = if code.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        format!("{article} {code}")
    }

    /// A question takes answers; groups and display items do not.
    pub fn is_question(self) -> bool {
        !matches!(self, ItemType::Group | ItemType::Display)
    }

    /// The answer value kinds an item of this type may hold. Choice items hold a code or,
    /// where the options are plain values, the value itself (R4 allows integer, date,
    /// time and string options).
    pub fn accepts(self, kind: ValueKind) -> bool {
        use ValueKind as K;
        match self {
            ItemType::Group | ItemType::Display => false,
            ItemType::Boolean => kind == K::Boolean,
            ItemType::Decimal => matches!(kind, K::Decimal | K::Integer),
            ItemType::Integer => kind == K::Integer,
            ItemType::Date => kind == K::Date,
            ItemType::DateTime => matches!(kind, K::DateTime | K::Date),
            ItemType::Time => kind == K::Time,
            ItemType::String | ItemType::Text => kind == K::String,
            ItemType::Url => matches!(kind, K::Uri | K::String),
            ItemType::Choice | ItemType::OpenChoice => {
                matches!(kind, K::Coding | K::String | K::Integer | K::Date | K::Time)
            }
            ItemType::Attachment => kind == K::Attachment,
            ItemType::Reference => kind == K::Reference,
            ItemType::Quantity => kind == K::Quantity,
        }
    }
}

impl fmt::Display for ItemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The widget an item asks for (`questionnaire-itemControl`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ItemControl {
    RadioButton,
    CheckBox,
    DropDown,
    Autocomplete,
    Lookup,
    Slider,
    Spinner,
    TextBox,
    /// Group and display controls (`list`, `table`, `page`, `help`, ...) and codes this
    /// engine has no widget for; kept so a renderer can decide.
    Other(String),
}

impl ItemControl {
    /// Reads an itemControl code.
    pub fn from_code(code: &str) -> ItemControl {
        match code {
            "radio-button" => ItemControl::RadioButton,
            "check-box" => ItemControl::CheckBox,
            "drop-down" => ItemControl::DropDown,
            "autocomplete" => ItemControl::Autocomplete,
            "lookup" => ItemControl::Lookup,
            "slider" => ItemControl::Slider,
            "spinner" => ItemControl::Spinner,
            "text-box" => ItemControl::TextBox,
            other => ItemControl::Other(other.to_owned()),
        }
    }
}

/// An enableWhen operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    Exists,
    Equal,
    NotEqual,
    Greater,
    Less,
    GreaterOrEqual,
    LessOrEqual,
}

impl Operator {
    /// Reads the R4 code.
    pub fn from_code(code: &str) -> Option<Operator> {
        Some(match code {
            "exists" => Operator::Exists,
            "=" => Operator::Equal,
            "!=" => Operator::NotEqual,
            ">" => Operator::Greater,
            "<" => Operator::Less,
            ">=" => Operator::GreaterOrEqual,
            "<=" => Operator::LessOrEqual,
            _ => return None,
        })
    }

    /// True for the ordering operators, which need values that can be ordered.
    pub fn is_ordering(self) -> bool {
        matches!(self, Operator::Greater | Operator::Less | Operator::GreaterOrEqual | Operator::LessOrEqual)
    }
}

/// One enableWhen condition, with its question resolved to an item.
#[derive(Debug, Clone, PartialEq)]
pub struct EnableWhen {
    /// The linkId as written.
    pub question: String,
    /// The item it names.
    pub question_item: ItemId,
    pub operator: Operator,
    /// The answer to compare with; a boolean for `exists`.
    pub answer: AnswerValue,
}

/// Whether all or any of an item's conditions must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EnableBehavior {
    #[default]
    All,
    Any,
}

/// One offered answer.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerOption {
    pub value: AnswerValue,
    pub initial_selected: bool,
}

pub use crate::form::pattern::Pattern;

/// The limits an answer must keep.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Constraints {
    /// `minValue` (or `sdc-questionnaire-minQuantity` for quantities).
    pub min_value: Option<AnswerValue>,
    pub max_value: Option<AnswerValue>,
    pub min_length: Option<u32>,
    pub max_length: Option<u32>,
    pub max_decimal_places: Option<u32>,
    pub regex: Option<Pattern>,
    /// How many instances (groups) or answers (questions) at least and at most.
    pub min_occurs: Option<u32>,
    pub max_occurs: Option<u32>,
}

/// One item of the template.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: ItemId,
    pub parent: Option<ItemId>,
    pub children: Vec<ItemId>,
    /// Where the item is in the template's JSON, for messages.
    pub path: String,
    pub link_id: String,
    pub kind: ItemType,
    pub text: Option<String>,
    /// Plain text from a `rendering-xhtml` extension on `_text`, with the markup removed:
    /// templates come from anywhere, so their HTML is never rendered as HTML.
    pub rendered_text: Option<String>,
    pub prefix: Option<String>,
    pub definition: Option<String>,
    pub code: Vec<Coding>,
    pub required: bool,
    pub repeats: bool,
    pub read_only: bool,
    pub hidden: bool,
    pub answer_options: Vec<AnswerOption>,
    /// The `answerValueSet` canonical, if the options come from one.
    pub answer_value_set: Option<String>,
    pub initial: Vec<AnswerValue>,
    pub enable_when: Vec<EnableWhen>,
    pub enable_behavior: EnableBehavior,
    pub constraints: Constraints,
    pub entry_format: Option<String>,
    pub item_control: Option<ItemControl>,
    pub unit: Option<Coding>,
    pub unit_options: Vec<Coding>,
    pub slider_step: Option<f64>,
    /// `sdc-questionnaire-observationExtract` on the item, if stated.
    pub observation_extract: Option<bool>,
    /// `sdc-questionnaire-observationLinkPeriod`: how far back an Observation of the
    /// item's code may be to answer it (value, UCUM or calendar unit).
    pub observation_link_period: Option<(f64, String)>,
    /// The item carries an `enableWhenExpression` that this engine does not evaluate.
    pub has_unsupported_enable_expression: bool,
    /// A group with `sdc-questionnaire-itemExtractionContext` of `Patient`: its answers
    /// (by their `definition`) describe a person the form registers, whose record is
    /// created with the submission.
    pub creates_patient: bool,
}

impl Item {
    /// The question as a person reads it: the safe text of its rendering, else its text,
    /// else its linkId.
    pub fn label(&self) -> &str {
        self.rendered_text.as_deref().or(self.text.as_deref()).unwrap_or(&self.link_id)
    }

    /// Whether the item is a question (takes answers).
    pub fn is_question(&self) -> bool {
        self.kind.is_question()
    }

    /// Whether the item asks for a date of birth (it extracts to `birthDate`, or says so),
    /// which cannot be in the future.
    pub fn is_birth_date(&self) -> bool {
        let said = |text: &str| {
            let text = text.to_ascii_lowercase();
            text.contains("date of birth") || text.contains("birth-date") || text.contains("birthdate")
        };
        matches!(self.kind, ItemType::Date | ItemType::DateTime)
            && (self.definition.as_deref().is_some_and(|d| d.ends_with("birthDate"))
                || said(&self.link_id)
                || said(self.label()))
    }

    /// Whether the item takes a phone number (it extracts to `telecom`, or says so).
    pub fn is_phone(&self) -> bool {
        let label = self.label().to_ascii_lowercase();
        self.kind == ItemType::String
            && (self.definition.as_deref().is_some_and(|d| d.contains("telecom"))
                || label.contains("phone")
                || label.contains("mobile"))
    }
}

/// A loaded template.
#[derive(Debug, Clone, PartialEq)]
pub struct Questionnaire {
    pub id: Option<String>,
    pub url: Option<String>,
    pub version: Option<String>,
    pub name: Option<String>,
    pub title: Option<String>,
    pub status: Option<String>,
    pub description: Option<String>,
    /// What it is about, for grouping lists of forms (`useContext` with code `focus`).
    pub topic: Option<String>,
    pub publisher: Option<String>,
    pub code: Vec<Coding>,
    /// `sdc-questionnaire-observationExtract` on the whole questionnaire.
    pub observation_extract: bool,
    /// Top-level items, in order.
    pub roots: Vec<ItemId>,
    pub(crate) items: Vec<Item>,
    pub(crate) by_link_id: HashMap<String, ItemId>,
    /// For each item, the items whose enableWhen names it: the edges along which a change
    /// of answer travels.
    pub(crate) dependents: Vec<Vec<ItemId>>,
    /// Items ordered so that each comes after its parent and after every question its
    /// conditions name: evaluating in this order settles everything in one pass.
    pub(crate) evaluation_order: Vec<ItemId>,
    /// Each item's position in `evaluation_order`.
    pub(crate) evaluation_rank: Vec<u32>,
    /// The SDC expressions (variables, calculated values, enableWhenExpression, ...).
    pub expressions: crate::form::expressions::TemplateExpressions,
}

impl Questionnaire {
    /// An item by id.
    pub fn item(&self, id: ItemId) -> &Item {
        &self.items[id.index()]
    }

    /// Every item, in document order (a parent before its children).
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// The item with this linkId.
    pub fn item_by_link_id(&self, link_id: &str) -> Option<&Item> {
        self.by_link_id.get(link_id).map(|id| self.item(*id))
    }

    /// The canonical that a response names: `url|version`, or the url alone.
    pub fn canonical(&self) -> Option<String> {
        let url = self.url.as_ref()?;
        Some(match &self.version {
            Some(v) => format!("{url}|{v}"),
            None => url.clone(),
        })
    }

    /// The items whose enableWhen conditions name this item.
    pub fn dependents_of(&self, id: ItemId) -> &[ItemId] {
        &self.dependents[id.index()]
    }

    /// The item and its ancestors, outermost first.
    pub fn chain(&self, id: ItemId) -> Vec<ItemId> {
        let mut chain = vec![id];
        let mut current = self.item(id).parent;
        while let Some(p) = current {
            chain.push(p);
            current = self.item(p).parent;
        }
        chain.reverse();
        chain
    }

    pub(crate) fn evaluation_rank(&self, id: ItemId) -> u32 {
        self.evaluation_rank[id.index()]
    }

    /// The title to show: title, else name, else url.
    pub fn display_title(&self) -> &str {
        self.title.as_deref().or(self.name.as_deref()).or(self.url.as_deref()).unwrap_or("Untitled form")
    }

    /// Whether an item is extracted as an Observation: its own flag wins, else its
    /// ancestors', else the questionnaire's.
    pub fn is_observation_extracted(&self, id: ItemId) -> bool {
        let mut current = Some(id);
        while let Some(i) = current {
            if let Some(flag) = self.item(i).observation_extract {
                return flag;
            }
            current = self.item(i).parent;
        }
        self.observation_extract
    }
}
