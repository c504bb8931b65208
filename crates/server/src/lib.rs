//! Formwell's server: an embedded FHIR R4 store on SQLite that takes the app's
//! submissions (transactions, conditional create, search), validating every write.
//! The HTTP layer, policy re-check, tokens and gateway mode build on this.

pub mod outcome;
pub mod store;
pub mod validate;

pub use outcome::FhirError;
pub use store::Store;
