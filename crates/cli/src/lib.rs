//! Formwell's native tools over the engine: the bundled code-impact ruleset, and the lint
//! report a template designer reads.

use formwell_engine::{ImpactSeverity, LintReport, Ruleset};

/// The compiled ruleset, as built from `rules/` when this crate was compiled.
pub const BUNDLED_RULESET_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/ruleset.json"));

/// The bundled ruleset, loaded.
pub fn bundled_ruleset() -> Ruleset {
    Ruleset::from_json(BUNDLED_RULESET_JSON).expect("the bundled ruleset was checked when it was compiled")
}

/// The human report for one template: the summary, then each category that needs
/// attention, most severe first, with what it does and the items that write it.
pub fn human_report(file: &str, title: &str, report: &LintReport) -> String {
    let mut out = format!(
        "{file}: {title}\n  setting {} · ruleset {}\n  {}\n",
        report.setting, report.ruleset_version, report.summary
    );
    let mut findings: Vec<_> = report.findings.iter().filter(|f| f.severity >= ImpactSeverity::Warn).collect();
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.category.cmp(&b.category)));
    let mut current: Option<(&Option<String>, ImpactSeverity)> = None;
    for f in findings {
        if current != Some((&f.category, f.severity)) {
            current = Some((&f.category, f.severity));
            out.push_str(&format!(
                "\n  {} {}\n    {}\n",
                f.severity.word().to_uppercase(),
                f.category_title.as_deref().unwrap_or(""),
                f.reason
            ));
            if let Some(instead) = &f.instead {
                out.push_str(&format!("    Instead: {instead}\n"));
            }
        }
        let what = match (&f.coding, &f.definition) {
            (Some(c), _) => format!(
                "{} {} {}",
                system_name(c.system.as_deref()),
                c.code.as_deref().unwrap_or("?"),
                c.display.as_deref().unwrap_or("")
            ),
            (None, Some(d)) => format!("extracts to {}", d.rsplit_once('#').map_or(d.as_str(), |(_, e)| e)),
            _ => String::new(),
        };
        out.push_str(&format!("    - {} at {} ({}): {}\n", f.link_id, f.path, f.source, what.trim_end()));
    }
    out
}

fn system_name(system: Option<&str>) -> &str {
    match system {
        Some(formwell_engine::impact::ruleset::SNOMED_CT) => "SNOMED CT",
        Some(formwell_engine::impact::ruleset::READ_V2) => "Read v2",
        Some(formwell_engine::impact::ruleset::CTV3) => "CTV3",
        Some(other) => other,
        None => "(no system)",
    }
}
