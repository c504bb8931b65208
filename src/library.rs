//! The templates the app ships, compiled into it so that they open offline with no request.

use std::rc::Rc;
use std::sync::Arc;

use formwell_engine::{Diagnostic, Questionnaire};

/// The shipped templates as (id, JSON): the id is the file name in `templates/`.
pub const SHIPPED: &[(&str, &str)] = &[
    ("family-registration", include_str!("../templates/family-registration.json")),
    ("antenatal-education-attendance", include_str!("../templates/antenatal-education-attendance.json")),
    ("speech-language-check-2y", include_str!("../templates/speech-language-check-2y.json")),
    ("healthy-eating-session", include_str!("../templates/healthy-eating-session.json")),
    ("breastfeeding-peer-support", include_str!("../templates/breastfeeding-peer-support.json")),
    ("change-of-contact-details", include_str!("../templates/change-of-contact-details.json")),
    ("harmful-pregnancy-safeguarding-example", include_str!("../templates/harmful-pregnancy-safeguarding-example.json")),
];

/// A template ready to fill, with what loading it found.
#[derive(Debug, Clone)]
pub struct Template {
    /// Where it came from: a shipped id, a file name or a URL.
    pub source: String,
    pub questionnaire: Arc<Questionnaire>,
    pub diagnostics: Rc<Vec<Diagnostic>>,
}

impl PartialEq for Template {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && Arc::ptr_eq(&self.questionnaire, &other.questionnaire)
    }
}

impl Template {
    /// Loads template text from anywhere.
    pub fn load(source: &str, text: &str) -> Result<Template, formwell_engine::LoadError> {
        let loaded = Questionnaire::parse(text)?;
        Ok(Template {
            source: source.to_owned(),
            questionnaire: Arc::new(loaded.questionnaire),
            diagnostics: Rc::new(loaded.diagnostics),
        })
    }
}

/// Every shipped template, loaded. A shipped template that fails to load is a build
/// defect (the test suite loads them all), so it is left out rather than breaking the app.
pub fn shipped() -> Vec<Template> {
    SHIPPED.iter().filter_map(|(id, text)| Template::load(id, text).ok()).collect()
}

/// One shipped template by id.
pub fn find(id: &str) -> Option<Template> {
    SHIPPED.iter().find(|(i, _)| *i == id).and_then(|(i, text)| Template::load(i, text).ok())
}
