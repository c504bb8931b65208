//! **The form**: a template and one filling of it. Template JSON is read tolerantly
//! (`load`) into a typed, immutable [`Questionnaire`](questionnaire::Questionnaire); a
//! [`FormState`] holds the answers of one filling, keyed by item instance, and keeps its
//! evaluation (enabled, valid, complete) current as [`Action`]s change it; the result
//! leaves as a QuestionnaireResponse and comes back the same way (`response`).

pub mod answer;
pub mod datatypes;
pub mod diagnostic;
pub mod expressions;
pub(crate) mod extension;
pub mod input;
pub mod load;
pub mod pattern;
pub mod population;
pub mod queries;
pub mod questionnaire;
pub mod read_back;
pub mod response;
pub mod state;
pub mod validation;
pub mod valuesets;
pub mod xhtml;

pub use state::{Action, ActionError, Completeness, Evaluation, FormState, Node, NodeId};
