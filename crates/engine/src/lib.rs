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

pub mod fhirpath;
pub mod form;
pub mod impact;
pub mod submit;
pub mod url;

pub use form::answer::{AnswerValue, ValueKind};
pub use form::datatypes::{Attachment, Coding, FhirDate, FhirDateTime, FhirTime, Quantity, Reference};
pub use form::diagnostic::{Diagnostic, LoadError, Severity};
pub use form::load::Loaded;
pub use form::pattern::{lend_regex, HostRegex};
pub use form::questionnaire::{
    AnswerOption, Constraints, EnableBehavior, EnableWhen, Item, ItemControl, ItemId, ItemType, Operator, Questionnaire,
};
pub use form::response::{ResponseHeader, ResponseStatus};
pub use form::validation::{Issue, IssueKind};
pub use form::{Action, ActionError, Completeness, Evaluation, FormState, Node, NodeId};
pub use impact::coded::{CodeSource, WritableCode};
pub use impact::ruleset::{Category, CompiledRuleset, ImpactSeverity, Ruleset, SettingPolicy, UnknownSetting};
pub use impact::{verdict, CodedEntry, Decision, DemographicChange, Finding, LintReport, RecordedDecision, Verdict};
pub use submit::backend::Capabilities;
pub use submit::demographics::{demographic_patch, DemographicChanges};
pub use submit::extract::{Idempotency, Submission};
