//! Helpers shared by the engine's behaviour tests.
#![allow(dead_code)]

use std::sync::Arc;

use formwell_engine::{Action, AnswerValue, FormState, NodeId, Questionnaire, Severity};
use serde_json::Value;

/// A questionnaire from JSON, which must load without errors.
pub fn questionnaire(json: Value) -> Arc<Questionnaire> {
    let loaded = Questionnaire::from_json(&json).unwrap_or_else(|e| panic!("{e}"));
    Arc::new(loaded.questionnaire)
}

/// A questionnaire with these items and nothing else.
pub fn with_items(items: Value) -> Arc<Questionnaire> {
    questionnaire(serde_json::json!({
        "resourceType": "Questionnaire", "status": "active",
        "url": "http://example.org/Questionnaire/test", "version": "1.0.0",
        "item": items
    }))
}

/// Warnings and unsupported features as (severity, path) pairs.
pub fn findings(json: Value) -> Vec<(Severity, String, String)> {
    let loaded = Questionnaire::from_json(&json).unwrap_or_else(|e| panic!("{e}"));
    loaded.diagnostics.into_iter().map(|d| (d.severity, d.path, d.message)).collect()
}

pub fn node(form: &FormState, link_id: &str) -> NodeId {
    form.node_by_link_id(link_id).unwrap_or_else(|| panic!("no instance of {link_id}"))
}

pub fn set(form: &mut FormState, link_id: &str, value: AnswerValue) {
    let node = node(form, link_id);
    form.apply(Action::SetAnswer { node, value: Some(value) }).unwrap();
}

pub fn type_in(form: &mut FormState, link_id: &str, text: &str) {
    let node = node(form, link_id);
    form.apply(Action::SetInput { node, text: text.into() }).unwrap();
}

pub fn enabled(form: &FormState, link_id: &str) -> bool {
    form.evaluate().is_enabled(node(form, link_id))
}

pub fn messages(form: &FormState, link_id: &str) -> Vec<String> {
    form.evaluate().issues_of(node(form, link_id)).iter().map(|i| i.message()).collect()
}
