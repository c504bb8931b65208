//! What loading a template found, in plain words for the person who opened it.

use formwell_engine::{Diagnostic, Severity};
use yew::prelude::*;

// These views hold no state, so they are plain functions rather than components: each
// component costs the wasm bundle its own copy of Yew's lifecycle code.

/// A notice above a form that loaded with warnings or unsupported features: a short
/// summary, with the details (each with its place in the file) one tap away.
pub fn load_notice(diagnostics: &[Diagnostic]) -> Html {
    if diagnostics.is_empty() {
        return html! {};
    }
    let count = |s| diagnostics.iter().filter(|d| d.severity == s).count();
    let (warnings, unsupported) = (count(Severity::Warning), count(Severity::Unsupported));
    let mut parts = Vec::new();
    if warnings > 0 {
        parts.push(format!(
            "{warnings} thing{} in the file had to be read generously",
            if warnings == 1 { "" } else { "s" }
        ));
    }
    if unsupported > 0 {
        parts.push(format!(
            "{unsupported} feature{} this app does not carry out yet",
            if unsupported == 1 { "" } else { "s" }
        ));
    }
    html! {
        <div class="notice" role="status">
            <p><strong>{ "This form opened, but " }</strong>{ parts.join(", and ") }{ "." }</p>
            <details>
                <summary>{ "Show the details for the form's designer" }</summary>
                { diagnostic_list(diagnostics) }
            </details>
        </div>
    }
}

/// Each finding with where it is.
pub fn diagnostic_list(diagnostics: &[Diagnostic]) -> Html {
    html! {
        <ul class="diagnostics">
            { for diagnostics.iter().map(|d| {
                let label = match d.severity {
                    Severity::Warning => "Read generously",
                    Severity::Unsupported => "Not carried out",
                    Severity::Error => "Cannot open",
                };
                let place = match (d.line, d.column) {
                    (Some(l), Some(c)) => format!("line {l}, column {c}"),
                    _ => d.path.clone(),
                };
                html! { <li><strong>{ label }{ ": " }</strong>{ &d.message }<br/><code>{ place }</code></li> }
            }) }
        </ul>
    }
}
