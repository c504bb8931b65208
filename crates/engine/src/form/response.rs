//! QuestionnaireResponse out of a form, and a saved response back into one (to resume a
//! draft or amend a submission). Only enabled items with answers are written: a disabled
//! question contributes nothing, whatever it held.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::form::answer::{describe, AnswerValue};
use crate::form::datatypes::Reference;
use crate::form::diagnostic::{Diagnostic, Diagnostics, LoadError};
use crate::form::load::widen;
use crate::form::questionnaire::{ItemId, ItemType, Questionnaire};
use crate::form::{Action, FormState, NodeId};

/// Whether a response is still being filled or finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseStatus {
    #[default]
    InProgress,
    Completed,
    Amended,
    EnteredInError,
    Stopped,
}

impl ResponseStatus {
    /// The R4 code.
    pub fn code(self) -> &'static str {
        match self {
            ResponseStatus::InProgress => "in-progress",
            ResponseStatus::Completed => "completed",
            ResponseStatus::Amended => "amended",
            ResponseStatus::EnteredInError => "entered-in-error",
            ResponseStatus::Stopped => "stopped",
        }
    }

    /// Reads the R4 code.
    pub fn from_code(code: &str) -> Option<ResponseStatus> {
        Some(match code {
            "in-progress" => ResponseStatus::InProgress,
            "completed" => ResponseStatus::Completed,
            "amended" => ResponseStatus::Amended,
            "entered-in-error" => ResponseStatus::EnteredInError,
            "stopped" => ResponseStatus::Stopped,
            _ => return None,
        })
    }
}

/// Everything in a response besides the answers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResponseHeader {
    pub id: Option<String>,
    /// The business identifier (FHIR `Identifier` JSON), kept as given.
    pub identifier: Option<Value>,
    pub status: ResponseStatus,
    /// When it was answered, as a FHIR dateTime. The engine does not read a clock.
    pub authored: Option<String>,
    pub subject: Option<Reference>,
    pub author: Option<Reference>,
    pub source: Option<Reference>,
    pub encounter: Option<Reference>,
}

impl FormState {
    /// The QuestionnaireResponse for the form as it stands.
    pub fn to_response(&self, header: &ResponseHeader) -> Value {
        let q = self.questionnaire();
        let mut response = Map::new();
        response.insert("resourceType".into(), json!("QuestionnaireResponse"));
        if let Some(id) = &header.id {
            response.insert("id".into(), json!(id));
        }
        if let Some(identifier) = &header.identifier {
            response.insert("identifier".into(), identifier.clone());
        }
        if let Some(canonical) = q.canonical() {
            response.insert("questionnaire".into(), json!(canonical));
        }
        response.insert("status".into(), json!(header.status.code()));
        let references = [("subject", &header.subject), ("encounter", &header.encounter)];
        for (key, reference) in references {
            if let Some(r) = reference {
                response.insert(key.into(), serde_json::to_value(r).unwrap_or(Value::Null));
            }
        }
        if let Some(authored) = &header.authored {
            response.insert("authored".into(), json!(authored));
        }
        for (key, reference) in [("author", &header.author), ("source", &header.source)] {
            if let Some(r) = reference {
                response.insert(key.into(), serde_json::to_value(r).unwrap_or(Value::Null));
            }
        }
        let items = self.response_items(self.roots());
        if !items.is_empty() {
            response.insert("item".into(), Value::Array(items));
        }
        Value::Object(response)
    }

    fn response_items(&self, nodes: &[NodeId]) -> Vec<Value> {
        nodes.iter().filter_map(|n| self.response_item(*n)).collect()
    }

    /// One instance as a response item, or nothing when it is disabled or holds no
    /// answer anywhere inside it.
    fn response_item(&self, id: NodeId) -> Option<Value> {
        let evaluation = self.evaluate();
        if !evaluation.is_enabled(id) {
            return None;
        }
        let node = self.node(id)?;
        let item = self.questionnaire().item(node.item);
        let mut out = Map::new();
        out.insert("linkId".into(), json!(item.link_id));
        if let Some(definition) = &item.definition {
            out.insert("definition".into(), json!(definition));
        }
        if let Some(text) = &item.text {
            out.insert("text".into(), json!(text));
        }
        let children = self.response_items(&node.children);
        match item.kind {
            ItemType::Display => return None,
            ItemType::Group => {
                if children.is_empty() {
                    return None;
                }
                out.insert("item".into(), Value::Array(children));
            }
            _ => {
                if node.answers.is_empty() {
                    return None;
                }
                out.insert("answer".into(), Value::Array(answers_with_items(&node.answers, children)));
            }
        }
        Some(Value::Object(out))
    }

    /// Loads a saved QuestionnaireResponse into a form for this template. Initial values
    /// are not applied: the response is the truth. Every answer must find its place; one
    /// that does not (an unknown linkId, a value of the wrong type) fails the load rather
    /// than being dropped.
    pub fn from_response(
        questionnaire: Arc<Questionnaire>,
        json: &Value,
    ) -> Result<(FormState, ResponseHeader, Vec<Diagnostic>), LoadError> {
        let mut d = Diagnostics::default();
        let root = "QuestionnaireResponse";
        let Some(object) = json.as_object() else {
            d.error(root, format!("expected a QuestionnaireResponse object, found {}", describe(json)));
            return Err(LoadError { diagnostics: d.0 });
        };
        if object.get("resourceType").and_then(Value::as_str) != Some("QuestionnaireResponse") {
            d.error(format!("{root}.resourceType"), "this is not a QuestionnaireResponse");
            return Err(LoadError { diagnostics: d.0 });
        }
        let header = read_header(object, &mut d);
        if let (Some(answered), Some(url)) = (object.get("questionnaire").and_then(Value::as_str), &questionnaire.url) {
            let (answered_url, answered_version) =
                answered.split_once('|').map_or((answered, None), |(u, v)| (u, Some(v)));
            if answered_url != url {
                d.error(format!("{root}.questionnaire"), format!("the response answers {answered_url}, not {url}"));
            } else if answered_version.is_some() && answered_version != questionnaire.version.as_deref() {
                d.warn(
                    format!("{root}.questionnaire"),
                    format!(
                        "the response was given to version {}; it is loaded into version {}: check it before submitting",
                        answered_version.unwrap_or("?"),
                        questionnaire.version.as_deref().unwrap_or("(none)")
                    ),
                );
            }
        }
        let mut form = FormState::without_answers(questionnaire);
        let items = object.get("item").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
        let mut loader = ResponseLoader { form: &mut form, d: &mut d };
        loader.items(items, None, root);
        form.reevaluate_all();
        if d.has_errors() {
            return Err(LoadError { diagnostics: d.0 });
        }
        Ok((form, header, d.0))
    }
}

fn read_header(object: &Map<String, Value>, d: &mut Diagnostics) -> ResponseHeader {
    let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);
    let reference = |key: &str, d: &mut Diagnostics| {
        object.get(key).and_then(|r| match serde_json::from_value::<Reference>(r.clone()) {
            Ok(r) => Some(r),
            Err(e) => {
                d.error(format!("QuestionnaireResponse.{key}"), format!("not a Reference: {e}"));
                None
            }
        })
    };
    let status = match object.get("status").and_then(Value::as_str) {
        Some(code) => ResponseStatus::from_code(code).unwrap_or_else(|| {
            d.error("QuestionnaireResponse.status", format!("\"{code}\" is not a response status"));
            ResponseStatus::InProgress
        }),
        None => {
            d.warn("QuestionnaireResponse.status", "status is missing; read as in-progress");
            ResponseStatus::InProgress
        }
    };
    ResponseHeader {
        id: text("id"),
        identifier: object.get("identifier").cloned(),
        status,
        authored: text("authored"),
        subject: reference("subject", d),
        author: reference("author", d),
        source: reference("source", d),
        encounter: reference("encounter", d),
    }
}

struct ResponseLoader<'a> {
    form: &'a mut FormState,
    d: &'a mut Diagnostics,
}

impl ResponseLoader<'_> {
    /// Places response items under an instance (or at the top). A repeating group's
    /// second and later items become new instances.
    fn items(&mut self, items: &[Value], parent: Option<NodeId>, path: &str) {
        let mut used: Vec<NodeId> = Vec::new();
        for (i, json) in items.iter().enumerate() {
            let ipath = format!("{path}.item[{i}]");
            let Some(link_id) = json.get("linkId").and_then(Value::as_str) else {
                self.d.error(format!("{ipath}.linkId"), "a response item needs a linkId");
                continue;
            };
            // The item of that linkId in this place (a linkId may be used again in
            // another group), else the template's first, whose place is then checked.
            let q = self.form.questionnaire().clone();
            let parent_item = parent.and_then(|p| self.form.node(p)).map(|n| n.item);
            let here = match parent_item {
                Some(p) => q.item(p).children.iter().map(|c| q.item(*c)).find(|c| c.link_id == link_id),
                None => q.roots.iter().map(|r| q.item(*r)).find(|r| r.link_id == link_id),
            };
            let Some(item) = here.or_else(|| q.item_by_link_id(link_id)) else {
                self.d.error(
                    format!("{ipath}.linkId"),
                    format!("\"{link_id}\" is not an item of this template; its answers would be lost"),
                );
                continue;
            };
            let item_id = item.id;
            let Some(node) = self.instance_for(parent, item_id, &used, &ipath, link_id) else { continue };
            used.push(node);
            self.answers(json, node, item_id, &ipath);
        }
    }

    /// The next unused instance of `item` under `parent`, adding one for repeating groups.
    fn instance_for(
        &mut self,
        parent: Option<NodeId>,
        item: ItemId,
        used: &[NodeId],
        path: &str,
        link_id: &str,
    ) -> Option<NodeId> {
        let expected_parent = self.form.questionnaire().item(item).parent;
        let parent_item = parent.and_then(|p| self.form.node(p)).map(|n| n.item);
        if expected_parent != parent_item {
            self.d.error(format!("{path}.linkId"), format!("\"{link_id}\" is not in this place in the template"));
            return None;
        }
        let existing = match parent {
            Some(p) => self.form.node(p).map(|n| n.children.clone()).unwrap_or_default(),
            None => self.form.roots().to_vec(),
        };
        let free =
            existing.into_iter().find(|c| !used.contains(c) && self.form.node(*c).is_some_and(|n| n.item == item));
        if free.is_some() {
            return free;
        }
        match self.form.apply(Action::AddInstance { parent, item }) {
            Ok(node) => node,
            Err(e) => {
                self.d.error(format!("{path}.linkId"), format!("\"{link_id}\" appears more than once, but {e}"));
                None
            }
        }
    }

    fn answers(&mut self, json: &Value, node: NodeId, item_id: ItemId, path: &str) {
        let item = self.form.questionnaire().item(item_id).clone();
        if let Some(children) = json.get("item").and_then(Value::as_array) {
            if item.is_question() {
                self.d.warn(
                    format!("{path}.item"),
                    "items under a question belong under its answer (R4 qrs-1); read from here",
                );
            }
            self.items(children, Some(node), path);
        }
        let answers = json.get("answer").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
        if !answers.is_empty() && !item.is_question() {
            self.d.error(
                format!("{path}.answer"),
                format!("\"{}\" is {} item and takes no answers", item.link_id, item.kind.with_article()),
            );
            return;
        }
        let mut values = Vec::new();
        for (i, answer) in answers.iter().enumerate() {
            let apath = format!("{path}.answer[{i}]");
            let Some(answer_object) = answer.as_object() else {
                self.d.error(&apath, "an answer must be an object");
                continue;
            };
            match AnswerValue::read_from(answer_object, "value") {
                Ok(Some(read)) => {
                    let value = widen(item.kind, read.value);
                    if item.kind.accepts(value.kind()) {
                        values.push(value);
                    } else {
                        self.d.error(
                            format!("{apath}.value{}", value.kind().suffix()),
                            format!(
                                "\"{}\" is {} question; this answer does not fit it",
                                item.link_id,
                                item.kind.with_article()
                            ),
                        );
                    }
                }
                Ok(None) => {}
                Err(e) => self.d.error(format!("{apath}.{}", e.property), e.message),
            }
            if let Some(children) = answer_object.get("item").and_then(Value::as_array) {
                self.items(children, Some(node), &apath);
            }
        }
        if values.len() > 1 && !item.repeats {
            self.d.error(
                format!("{path}.answer"),
                format!("\"{}\" takes one answer; the response has {}", item.link_id, values.len()),
            );
        }
        self.form.set_loaded_answers(node, values);
    }
}

/// A question's answers as response JSON, with the items nested under the question placed
/// under its answer (R4 qrs-1); with several answers they go under the first.
pub(crate) fn answers_with_items(answers: &[AnswerValue], items: Vec<Value>) -> Vec<Value> {
    let mut items = Some(items).filter(|i| !i.is_empty());
    answers
        .iter()
        .map(|a| {
            let mut answer = a.to_value_object("value");
            if let Some(items) = items.take() {
                answer.insert("item".into(), Value::Array(items));
            }
            Value::Object(answer)
        })
        .collect()
}
