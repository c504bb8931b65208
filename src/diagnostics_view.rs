//! What loading a template found, in plain words for the person who opened it.

use formwell_engine::{Diagnostic, Severity};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LoadNoticeProps {
    pub diagnostics: Vec<Diagnostic>,
}

/// A notice above a form that loaded with warnings or unsupported features: a short
/// summary, with the details (each with its place in the file) one tap away.
#[function_component(LoadNotice)]
pub fn load_notice(props: &LoadNoticeProps) -> Html {
    if props.diagnostics.is_empty() {
        return html! {};
    }
    let count = |s| props.diagnostics.iter().filter(|d| d.severity == s).count();
    let (warnings, unsupported) = (count(Severity::Warning), count(Severity::Unsupported));
    let mut parts = Vec::new();
    if warnings > 0 {
        parts.push(format!("{warnings} thing{} in the file had to be read generously", if warnings == 1 { "" } else { "s" }));
    }
    if unsupported > 0 {
        parts.push(format!("{unsupported} feature{} this app does not carry out yet", if unsupported == 1 { "" } else { "s" }));
    }
    html! {
        <div class="notice" role="status">
            <p><strong>{ "This form opened, but " }</strong>{ parts.join(", and ") }{ "." }</p>
            <details>
                <summary>{ "Show the details for the form's designer" }</summary>
                <DiagnosticList diagnostics={props.diagnostics.clone()} />
            </details>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct DiagnosticListProps {
    pub diagnostics: Vec<Diagnostic>,
}

/// Each finding with where it is.
#[function_component(DiagnosticList)]
pub fn diagnostic_list(props: &DiagnosticListProps) -> Html {
    html! {
        <ul class="diagnostics">
            { for props.diagnostics.iter().map(|d| {
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
