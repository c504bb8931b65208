//! The templates the app ships, compiled into it so that they open offline with no request.

use std::rc::Rc;
use std::sync::Arc;

use formwell_engine::{Diagnostic, Questionnaire};

/// The shipped templates, one file beside the app (`formwell library` writes it from
/// `templates/` at build time): outside the wasm, so the form filler stays small, and
/// cached for offline use like the rest of the app.
pub const LIBRARY_FILE: &str = "formwell-templates.json";

/// The template library, as far as it has loaded.
pub type LibraryState = crate::config::Loadable<Vec<Template>>;

impl crate::config::Loadable<Vec<Template>> {
    /// A shipped template by id, when the library has loaded.
    pub fn find(&self, id: &str) -> Option<Template> {
        match self {
            LibraryState::Ready(templates) => templates.iter().find(|t| t.source == id).cloned(),
            _ => None,
        }
    }
}

/// Reads the library file: `{"templates": [{"id": ..., "questionnaire": {...}}]}`. A
/// template in it that does not load is left out and named in the error list.
pub fn from_library_json(text: &str) -> Result<(Vec<Template>, Vec<String>), String> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("the template library is not readable: {e}"))?;
    let mut templates = Vec::new();
    let mut broken = Vec::new();
    for entry in json["templates"].as_array().into_iter().flatten() {
        let id = entry["id"].as_str().unwrap_or("(no id)");
        match Questionnaire::from_json(&entry["questionnaire"]) {
            Ok(loaded) => templates.push(Template {
                source: id.to_owned(),
                shipped: true,
                questionnaire: Arc::new(loaded.questionnaire),
                diagnostics: Rc::new(loaded.diagnostics),
            }),
            Err(e) => broken.push(format!("{id}: {e}")),
        }
    }
    Ok((templates, broken))
}

/// A template ready to fill, with what loading it found.
#[derive(Debug, Clone)]
pub struct Template {
    /// Where it came from: a shipped id, a file name or a URL.
    pub source: String,
    /// One of the app's own templates (which drafts can name and open again offline).
    pub shipped: bool,
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
            shipped: false,
            questionnaire: Arc::new(loaded.questionnaire),
            diagnostics: Rc::new(loaded.diagnostics),
        })
    }
}
