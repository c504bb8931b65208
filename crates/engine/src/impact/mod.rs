//! **Impact**: what a code does to the other services that share the record. The compiled
//! code-impact ruleset (`ruleset`), the codes a template can write (`coded`), judging
//! them for a service setting (`judge`: `lint` a template, `check` a filled form, the
//! `verdict`), and the decisions a submission carries (`decisions`).

pub mod coded;
pub mod decisions;
pub mod judge;
pub mod ruleset;

pub use decisions::Confirmation;
pub use judge::{verdict, CodedEntry, Decision, DemographicChange, Finding, LintReport, RecordedDecision, Verdict};
