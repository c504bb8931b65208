//! Value sets shipped with the app (`valuesets/` at the repository's root, with their
//! provenance): expanded answer lists for the canonical URLs templates name in
//! `answerValueSet`, compiled in so that a question offers its list offline.

use serde_json::Value;

use crate::form::datatypes::Coding;

/// Every file in `valuesets/` (a test checks that none is left out).
pub const SHIPPED: &[(&str, &str)] = &[
    ("administrative-gender.json", include_str!("../../../../valuesets/administrative-gender.json")),
    ("observation-category.json", include_str!("../../../../valuesets/observation-category.json")),
    ("observation-status.json", include_str!("../../../../valuesets/observation-status.json")),
    ("yesnodontknow.json", include_str!("../../../../valuesets/yesnodontknow.json")),
];

/// The expansion of a shipped value set, by its canonical URL (a `|version` is ignored:
/// these lists have not changed across R4's versions).
pub fn expansion(canonical: &str) -> Option<Vec<Coding>> {
    let url = canonical.split('|').next().unwrap_or(canonical);
    SHIPPED.iter().find_map(|(_, text)| {
        let set: Value = serde_json::from_str(text).ok()?;
        (set["url"].as_str() == Some(url)).then(|| {
            set["expansion"]["contains"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    let text = |k: &str| c[k].as_str().map(str::to_owned);
                    Coding { system: text("system"), version: None, code: text("code"), display: text("display") }
                })
                .collect()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_the_folder_is_shipped_and_expands() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../valuesets");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|f| f.ends_with(".json"))
            .collect();
        files.sort();
        let listed: Vec<&str> = SHIPPED.iter().map(|(f, _)| *f).collect();
        assert_eq!(files, listed, "valuesets/ and the list here must agree");
        for (file, text) in SHIPPED {
            let set: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
            let url = set["url"].as_str().unwrap_or_else(|| panic!("{file}: no url"));
            let codes = expansion(url).unwrap();
            assert!(
                !codes.is_empty()
                    && codes.iter().all(|c| c.system.is_some() && c.code.is_some() && c.display.is_some()),
                "{file}"
            );
        }
        let yes_no = expansion("http://hl7.org/fhir/ValueSet/yesnodontknow|4.0.1").unwrap();
        let labels: Vec<&str> = yes_no.iter().filter_map(|c| c.display.as_deref()).collect();
        assert_eq!(labels, ["Yes", "No", "Don't know"]);
        assert!(expansion("http://example.org/ValueSet/unknown").is_none());
    }
}
