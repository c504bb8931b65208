//! What the template designers' studio (`static/studio/`) asks of the engine: a template's
//! load findings and its impact lint for every service setting, side by side; and, for a
//! filled preview, what submitting would send (the response, the transaction Bundle, the
//! decisions), built exactly as the app builds it, sent nowhere. Exported by the embedding
//! build, which the studio loads for its live preview.

use std::rc::Rc;

use formwell_engine::impact::decisions::record_decisions;
use formwell_engine::submit::stored::OutboxRecord;
use formwell_engine::{FormState, Idempotency, Questionnaire, Reference, ResponseHeader, ResponseStatus, Ruleset, Submission};
use serde_json::{json, Value};

/// The record system a preview's Bundle is addressed to: an example, never contacted.
pub const PREVIEW_BASE: &str = "https://record.example/fhir";

/// A template's findings and lint. `loaded`: whether it loads at all (when it does not,
/// the findings say why, with the line of a syntax error).
pub fn check(text: &str, ruleset: Option<&Ruleset>) -> Value {
    let (questionnaire, findings) = match Questionnaire::parse(text) {
        Ok(loaded) => (Some(loaded.questionnaire), loaded.diagnostics),
        Err(e) => (None, e.diagnostics),
    };
    let settings: Vec<Value> = match (&questionnaire, ruleset) {
        (Some(q), Some(rules)) => rules
            .settings()
            .iter()
            .filter_map(|setting| {
                let report = rules.lint(q, &setting.id).ok()?;
                Some(json!({
                    "id": setting.id,
                    "title": setting.title,
                    "blocked": report.is_blocked(),
                    "worst": report.worst(),
                    "summary": report.summary,
                    "findings": report.findings,
                }))
            })
            .collect(),
        _ => Vec::new(),
    };
    json!({
        "loaded": questionnaire.is_some(),
        "title": questionnaire.as_ref().map(|q| q.display_title()),
        "findings": findings,
        "settings": settings,
    })
}

/// The QuestionnaireResponse as the form stands: `completed` once nothing is missing,
/// `in-progress` until then.
pub fn response_as_it_stands(form: &FormState, now: &str) -> Value {
    let status = if form.evaluate().completeness().is_complete() { ResponseStatus::Completed } else { ResponseStatus::InProgress };
    form.to_response(&ResponseHeader { status, authored: Some(now.to_owned()), ..Default::default() })
}

/// What submitting the form as it stands would send for `setting`: the response, the
/// transaction Bundle (for an example person and record system), and every impact
/// decision with its severity. `now` is the time to stamp it with.
pub fn would_send(form: &FormState, ruleset: Option<&Rc<Ruleset>>, setting: &str, now: &str) -> Value {
    let complete = form.evaluate().completeness().is_complete();
    let response = response_as_it_stands(form, now);
    let decisions = match ruleset.map(|r| r.check(&form.coded_entries(), setting)) {
        Some(Ok(decisions)) => decisions,
        Some(Err(unknown)) => return json!({ "response": response, "error": unknown.to_string() }),
        None => Vec::new(),
    };
    let recorded = record_decisions(decisions, None, "(the designer's preview)", now, setting);
    let submission = Submission {
        id: "00000000-0000-4000-8000-000000000000".into(),
        authored: now.to_owned(),
        subject: Some(Reference { reference: Some("Patient/example".into()), ..Default::default() }),
        author: Some(Reference { display: Some("Template designer (preview)".into()), ..Default::default() }),
        device: format!("Formwell {} (studio preview)", env!("CARGO_PKG_VERSION")),
        ruleset_version: ruleset.map(|r| r.version().to_owned()),
        decisions: recorded.clone(),
    };
    let record = OutboxRecord::new(form, &submission, PREVIEW_BASE, Idempotency::ConditionalCreate);
    let bundle: Value = serde_json::from_str(&record.bundle).unwrap_or(Value::Null);
    json!({ "complete": complete, "response": response, "bundle": bundle, "decisions": recorded })
}

/// The answers of an earlier response carried into a new version of the template, where
/// their questions still exist: what does not fit any more (a question removed, its type
/// changed) is left out, so that editing one item does not clear the rest of the preview.
pub fn carry_answers(questionnaire: std::sync::Arc<Questionnaire>, response: &Value) -> Option<FormState> {
    if let Ok((form, _, _)) = FormState::from_response(questionnaire.clone(), response) {
        return Some(form);
    }
    // Item by item: each answer kept only if the response with it still loads.
    let mut kept = json!({"resourceType": "QuestionnaireResponse", "status": "in-progress", "item": []});
    let mut form = None;
    for item in response["item"].as_array().into_iter().flatten() {
        if questionnaire.item_by_link_id(item["linkId"].as_str().unwrap_or_default()).is_none() {
            continue;
        }
        let mut trial = kept.clone();
        trial["item"].as_array_mut()?.push(item.clone());
        if let Ok((loaded, _, _)) = FormState::from_response(questionnaire.clone(), &trial) {
            kept = trial;
            form = Some(loaded);
        }
    }
    form
}

/// The studio's calls into the engine (the embedding build exports them).
#[cfg(feature = "embed")]
mod exports {
    use std::cell::RefCell;
    use std::rc::Rc;

    use formwell_engine::Ruleset;
    use wasm_bindgen::prelude::*;

    thread_local! {
        /// The ruleset the studio checks against, read once (reading it takes longer than
        /// a keystroke should).
        static RULES: RefCell<Option<Rc<Ruleset>>> = const { RefCell::new(None) };
    }

    /// Reads the compiled ruleset for `checkTemplate`.
    #[wasm_bindgen(js_name = studioRules)]
    pub fn studio_rules(text: &str) -> Result<(), JsValue> {
        let rules = Ruleset::from_json(text).map_err(|e| JsValue::from_str(&e))?;
        RULES.with(|r| *r.borrow_mut() = Some(Rc::new(rules)));
        Ok(())
    }

    /// A template's findings and its lint for every setting (JSON; see `studio::check`).
    #[wasm_bindgen(js_name = checkTemplate)]
    pub fn check_template(text: &str) -> String {
        let rules = RULES.with(|r| r.borrow().clone());
        super::check(text, rules.as_deref()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Ruleset {
        Ruleset::new(formwell_rules::compile(&formwell_rules::source_dir()).unwrap()).unwrap()
    }

    #[test]
    fn answers_are_carried_into_a_new_version_where_their_questions_remain() {
        let v1 = json!({"resourceType": "Questionnaire", "item": [
            {"linkId": "a", "type": "string", "text": "A"}, {"linkId": "b", "type": "string", "text": "B"}]});
        let mut form = FormState::new(std::sync::Arc::new(Questionnaire::parse(&v1.to_string()).unwrap().questionnaire));
        for (link, text) in [("a", "kept"), ("b", "dropped")] {
            let node = form.roots().iter().copied().find(|n| form.questionnaire().item(form.node(*n).unwrap().item).link_id == link).unwrap();
            form.apply(formwell_engine::Action::SetInput { node, text: text.into() }).unwrap();
        }
        let response = serde_json::to_value(form.to_response(&ResponseHeader::default())).unwrap();
        // B is now a whole number: its text answer no longer fits; A's still does.
        let v2 = json!({"resourceType": "Questionnaire", "item": [
            {"linkId": "a", "type": "string", "text": "A"}, {"linkId": "b", "type": "integer", "text": "B"}, {"linkId": "c", "type": "string"}]});
        let q2 = std::sync::Arc::new(Questionnaire::parse(&v2.to_string()).unwrap().questionnaire);
        let carried = carry_answers(q2, &response).unwrap();
        let answers = serde_json::to_string(&carried.to_response(&ResponseHeader::default())).unwrap();
        assert!(answers.contains("kept") && !answers.contains("dropped"), "{answers}");
    }

    #[test]
    fn a_syntax_error_is_a_finding_with_its_line() {
        let checked = check("{\n  \"resourceType\": \"Questionnaire\",\n  \"item\": [,]\n}", None);
        assert_eq!(checked["loaded"], false);
        assert_eq!(checked["findings"][0]["severity"], "error");
        assert_eq!(checked["findings"][0]["line"], 3, "{checked}");
    }

    #[test]
    fn a_template_that_loads_has_a_lint_per_setting() {
        let rules = rules();
        let q = json!({"resourceType": "Questionnaire", "status": "active", "item": [
            {"linkId": "p", "type": "boolean", "text": "Pregnant?", "code": [{"system": "http://snomed.info/sct", "code": "77386006", "display": "Pregnant"}],
             "extension": [{"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-observationExtract", "valueBoolean": true}]}]});
        let checked = check(&q.to_string(), Some(&rules));
        assert_eq!(checked["loaded"], true);
        let settings = checked["settings"].as_array().unwrap();
        assert_eq!(settings.len(), rules.settings().len());
        let blocked = |id: &str| settings.iter().find(|s| s["id"] == id).unwrap()["blocked"].as_bool().unwrap();
        assert!(blocked("community"), "{checked}");
        assert!(!blocked("midwifery"), "{checked}");
    }
}
