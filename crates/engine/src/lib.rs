//! Formwell's form engine: everything a form *is* and *does*, with no browser in it.
//!
//! Template JSON is read into a typed [`Questionnaire`] ([`Questionnaire::parse`]), which
//! reports what it had to fix up, what it does not support and what stops it loading, each
//! at a JSON path. A [`FormState`] holds one filling of it: answers keyed by item instance,
//! changed through [`Action`]s, with the evaluation ([`FormState::evaluate`]: what is
//! enabled, each validation [`Issue`], completeness) kept current incrementally. The
//! result leaves as a FHIR R4 QuestionnaireResponse ([`FormState::to_response`]) and comes
//! back in the same way ([`FormState::from_response`]).
//!
//! The crate builds for wasm32 (the browser app) and natively (the command-line tools and
//! the server), and never touches the DOM.

pub mod answer;
pub mod backend;
pub mod coded;
pub mod datatypes;
pub mod demographics;
pub mod diagnostic;
mod extension;
pub mod extract;
pub mod form;
pub mod impact;
pub mod input;
pub mod load;
pub mod pattern;
pub mod questionnaire;
pub mod response;
pub mod ruleset;
pub mod url;
pub mod validation;
pub mod xhtml;

pub use answer::{AnswerValue, ValueKind};
pub use backend::Capabilities;
pub use coded::{CodeSource, WritableCode};
pub use datatypes::{Attachment, Coding, FhirDate, FhirDateTime, FhirTime, Quantity, Reference};
pub use demographics::{demographic_patch, DemographicChanges};
pub use diagnostic::{Diagnostic, LoadError, Severity};
pub use extract::{Idempotency, Submission};
pub use form::{Action, ActionError, Completeness, Evaluation, FormState, Node, NodeId};
pub use impact::{verdict, CodedEntry, Decision, DemographicChange, Finding, LintReport, RecordedDecision, Verdict};
pub use load::Loaded;
pub use pattern::{lend_regex, HostRegex};
pub use questionnaire::{
    AnswerOption, Constraints, EnableBehavior, EnableWhen, Item, ItemControl, ItemId, ItemType, Operator, Questionnaire,
};
pub use response::{ResponseHeader, ResponseStatus};
pub use ruleset::{Category, CompiledRuleset, ImpactSeverity, Ruleset, SettingPolicy, UnknownSetting};
pub use validation::{Issue, IssueKind};
