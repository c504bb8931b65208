//! What loading a template found: warnings about content that was fixed up, features that
//! are not supported, and errors that stop the template from loading. Every one names the
//! JSON path, so a template designer can find it.

use std::fmt;

use serde::Serialize;

/// How much a diagnostic matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Loaded, with the content read in a tolerant way (a number written as text, an STU3
    /// property): the form behaves as the designer meant, but the file should be fixed.
    Warning,
    /// A feature the engine does not carry out yet: the form renders without it.
    Unsupported,
    /// The template cannot be used as it is.
    Error,
}

/// One finding about a template or a response, at a JSON path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Where, as a FHIRPath-like JSON path: `Questionnaire.item[2].enableWhen[0].question`.
    pub path: String,
    /// What a designer should know, in plain words.
    pub message: String,
    /// Line and column in the source text, for syntax errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl Diagnostic {
    pub(crate) fn new(severity: Severity, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic { severity, path: path.into(), message: message.into(), line: None, column: None }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Warning => "warning",
            Severity::Unsupported => "not supported",
            Severity::Error => "error",
        };
        write!(f, "{label}: {}", self.path)?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, " (line {line}, column {column})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A template that could not be loaded, with every error found (not just the first), and
/// the warnings found on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadError {
    /// Only the errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Error)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors: Vec<_> = self.errors().collect();
        write!(
            f,
            "the template cannot be loaded ({} error{})",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        )?;
        for e in errors {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// Collects diagnostics while a loader walks a document.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn warn(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Diagnostic::new(Severity::Warning, path, message));
    }
    pub fn unsupported(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Diagnostic::new(Severity::Unsupported, path, message));
    }
    pub fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Diagnostic::new(Severity::Error, path, message));
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }
}
