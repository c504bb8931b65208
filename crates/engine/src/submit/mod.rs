//! **Submitting**: whose record it goes into (`person`), a filled form as one FHIR
//! transaction Bundle (`extract`), a change of
//! the person's demographics as a version-tested patch (`demographics`), what the record
//! backend says back (`backend`), and getting it there exactly once: the delivery
//! protocol (`delivery`), a pure state machine the browser shell (or any client) drives,
//! and what is kept on the device meanwhile (`stored`).

pub mod backend;
pub mod delivery;
pub mod demographics;
pub mod extract;
pub mod person;
pub mod stored;
