//! Reading a `Questionnaire` from JSON, tolerantly. Real templates lack `status`, write
//! numbers as text and keep STU3 properties: those load, with a warning at their path.
//! Features the engine does not carry out load too, each listed as not supported. What
//! would make the form behave wrongly (duplicate linkIds, a condition on a missing
//! question, an answer of the wrong type) fails, with every error found at once.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::form::answer::{describe, AnswerValue, ValueKind};
use crate::form::datatypes::{Coding, FhirDateTime};
use crate::form::diagnostic::{Diagnostic, Diagnostics, LoadError, Severity};
use crate::form::expressions::{self, TemplateExpressions};
use crate::form::extension::{self, Handling};
use crate::form::questionnaire::{
    AnswerOption, Constraints, EnableBehavior, EnableWhen, Item, ItemControl, ItemId, ItemType, Operator, Pattern,
    Questionnaire,
};
use crate::form::xhtml::safe_text;

/// A template that loaded, with what the loader found on the way (never errors).
#[derive(Debug, Clone)]
pub struct Loaded {
    pub questionnaire: Questionnaire,
    pub diagnostics: Vec<Diagnostic>,
}

impl Questionnaire {
    /// Whether a template's text names an extension that is an expression (a variable, a
    /// calculated, enableWhen, initial or answer expression, an options toggle, dynamic
    /// text), or an Observation to fill a question from (its period is FHIRPath's date
    /// arithmetic). The app's release build keeps the FHIRPath evaluator in a module of its own
    /// and loads it before reading such a template; the rest never download it. Any
    /// mention counts (a question's text too): loading it for nothing costs a download,
    /// missing one would cost a pause (the module then loads at once, synchronously).
    pub fn mentions_expressions(text: &str) -> bool {
        const NAMES: [&str; 8] = [
            "StructureDefinition/variable",
            "cqf-expression",
            "calculatedExpression",
            "enableWhenExpression",
            "initialExpression",
            "answerExpression",
            "answerOptionsToggleExpression",
            "observationLinkPeriod",
        ];
        NAMES.iter().any(|n| text.contains(n))
    }

    /// Parses a Questionnaire from JSON text. Syntax errors carry line and column.
    pub fn parse(text: &str) -> Result<Loaded, LoadError> {
        let json: Value = serde_json::from_str(text).map_err(|e| LoadError {
            diagnostics: vec![Diagnostic {
                severity: Severity::Error,
                path: "(the file)".into(),
                message: format!("not valid JSON: {}", syntax_message(&e)),
                line: Some(e.line()),
                column: Some(e.column()),
            }],
        })?;
        Questionnaire::from_json(&json)
    }

    /// Reads a Questionnaire from parsed JSON.
    pub fn from_json(json: &Value) -> Result<Loaded, LoadError> {
        let mut loader = Loader::default();
        let questionnaire = loader.questionnaire(json);
        match questionnaire {
            Some(q) if !loader.d.has_errors() => Ok(Loaded { questionnaire: q, diagnostics: loader.d.0 }),
            _ => Err(LoadError { diagnostics: loader.d.0 }),
        }
    }
}

fn syntax_message(e: &serde_json::Error) -> String {
    // serde_json appends " at line X column Y"; the position is reported separately.
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// An enableWhen read but not yet resolved: its question may come later in the file.
struct PendingCondition {
    item: ItemId,
    path: String,
    question: String,
    operator: Operator,
    answer: AnswerValue,
}

#[derive(Default)]
struct Loader {
    d: Diagnostics,
    items: Vec<Item>,
    pending: Vec<PendingCondition>,
    value_sets: HashMap<String, Vec<Coding>>,
    expressions: TemplateExpressions,
}

const ITEM_PROPERTIES: &[&str] = &[
    "linkId",
    "definition",
    "code",
    "prefix",
    "text",
    "type",
    "enableWhen",
    "enableBehavior",
    "required",
    "repeats",
    "readOnly",
    "maxLength",
    "answerValueSet",
    "answerOption",
    "initial",
    "item",
    "extension",
    "modifierExtension",
    "id",
];

impl Loader {
    fn questionnaire(&mut self, json: &Value) -> Option<Questionnaire> {
        let root = "Questionnaire";
        let Some(object) = json.as_object() else {
            self.d.error(root, format!("expected a Questionnaire object, found {}", describe(json)));
            return None;
        };
        match object.get("resourceType").and_then(Value::as_str) {
            Some("Questionnaire") => {}
            Some(other) => {
                self.d.error(format!("{root}.resourceType"), format!("this is a {other}, not a Questionnaire"));
                return None;
            }
            None => {
                self.d.error(
                    format!("{root}.resourceType"),
                    "resourceType is missing: a template must say \"resourceType\": \"Questionnaire\"",
                );
                return None;
            }
        }
        let status = self.text_property(object, "status", root);
        match status.as_deref() {
            None => self.d.warn(
                format!("{root}.status"),
                "status is missing (R4 requires draft, active, retired or unknown); read as unknown",
            ),
            Some("draft" | "active" | "retired" | "unknown") => {}
            Some(other) => self.d.warn(
                format!("{root}.status"),
                format!("\"{other}\" is not an R4 status (draft, active, retired, unknown)"),
            ),
        }
        self.contained_value_sets(object);

        let mut observation_extract = false;
        for (i, ext) in array(object, "extension").iter().enumerate() {
            let path = format!("{root}.extension[{i}]");
            let Some(url) = ext.get("url").and_then(Value::as_str) else {
                self.d.warn(&path, "extension without a url is ignored");
                continue;
            };
            if url == extension::OBSERVATION_EXTRACT {
                observation_extract = self.ext_bool(ext, &path).unwrap_or(false);
            } else if let Some(query) =
                (url == expressions::VARIABLE).then(|| expressions::read_query(ext, &path, &mut self.d)).flatten()
            {
                self.expressions.queries.extend(query);
            } else if expressions::kind_of(url).is_some() {
                // At the questionnaire level an expression serves by its name, as a variable.
                if let Some((name, e)) = expressions::read(ext, &path, "the variable is empty", &mut self.d) {
                    match name {
                        Some(name) => self.expressions.variables.push((name, e)),
                        None => self.d.warn(&path, "an expression here without a name cannot be used; ignored"),
                    }
                }
            } else if url == extension::LAUNCH_CONTEXT {
                let name = ext
                    .get("extension")
                    .and_then(Value::as_array)
                    .and_then(|parts| parts.iter().find(|p| p.get("url").and_then(Value::as_str) == Some("name")))
                    .and_then(|p| p.pointer("/valueCoding/code").or(p.get("valueId")).and_then(Value::as_str));
                let kind = ext
                    .get("extension")
                    .and_then(Value::as_array)
                    .and_then(|parts| parts.iter().find(|p| p.get("url").and_then(Value::as_str) == Some("type")))
                    .and_then(|p| p.get("valueCode").and_then(Value::as_str));
                match (name, kind) {
                    (Some(n), Some(k)) => self.expressions.launch_context.push((n.to_owned(), k.to_owned())),
                    _ => self.d.warn(&path, "a launch context needs a name and a type; ignored"),
                }
            } else if let Handling::Unsupported(why) = extension::handling(url) {
                self.d.unsupported(&path, format!("{url}: {why}"));
            }
        }
        self.modifier_extensions(object, root);

        let mut roots = Vec::new();
        let items = array(object, "item");
        if items.is_empty() {
            self.d.warn(format!("{root}.item"), "the questionnaire has no items");
        }
        for (i, item) in items.iter().enumerate() {
            if let Some(id) = self.item(item, &format!("{root}.item[{i}]"), None) {
                roots.push(id);
            }
        }

        let by_link_id = self.index_link_ids();
        let dependents = self.resolve_conditions();
        self.expressions.items.resize(self.items.len(), Default::default());
        if !self.expressions.is_empty() {
            expressions::resolve(&mut self.expressions, &self.items, &mut self.d);
        }
        if !self.expressions.is_empty() {
            self.expressions.source = Some(std::sync::Arc::new(json.clone()));
        } else {
            self.expressions.items.clear();
        }
        let evaluation_order = self.evaluation_order();
        let mut evaluation_rank = vec![0; self.items.len()];
        for (rank, item) in evaluation_order.iter().enumerate() {
            evaluation_rank[item.index()] = rank as u32;
        }

        Some(Questionnaire {
            id: self.text_property(object, "id", root),
            url: self.text_property(object, "url", root),
            version: self.text_property(object, "version", root),
            name: self.text_property(object, "name", root),
            title: self.text_property(object, "title", root),
            status,
            description: self.text_property(object, "description", root),
            topic: use_context_focus(object),
            publisher: self.text_property(object, "publisher", root),
            code: self.codings(object, "code", root),
            observation_extract,
            roots,
            items: std::mem::take(&mut self.items),
            by_link_id,
            dependents,
            evaluation_order,
            evaluation_rank,
            expressions: std::mem::take(&mut self.expressions),
        })
    }

    fn item(&mut self, json: &Value, path: &str, parent: Option<ItemId>) -> Option<ItemId> {
        let Some(object) = json.as_object() else {
            self.d.error(path, format!("expected an item object, found {}", describe(json)));
            return None;
        };
        let link_id = match object.get("linkId") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => {
                self.d.warn(format!("{path}.linkId"), "linkId is a number; read as text");
                n.to_string()
            }
            _ => {
                self.d.error(format!("{path}.linkId"), "every item needs a linkId, so its answers can be stored");
                String::new()
            }
        };
        let kind = match object.get("type").and_then(Value::as_str) {
            Some(code) => match ItemType::from_code(code) {
                Some(kind) => Some(kind),
                None if code == "coding" => {
                    self.d.warn(format!("{path}.type"), "\"coding\" is an R5 type; read as R4 \"choice\"");
                    Some(ItemType::Choice)
                }
                None if code == "question" => {
                    self.d.warn(format!("{path}.type"), "\"question\" is a DSTU2 type; read as \"string\"");
                    Some(ItemType::String)
                }
                None => {
                    self.d.error(format!("{path}.type"), format!("\"{code}\" is not an R4 item type (group, display, boolean, decimal, integer, date, dateTime, time, string, text, url, choice, open-choice, attachment, reference, quantity)"));
                    None
                }
            },
            None => {
                self.d.error(format!("{path}.type"), format!("item \"{link_id}\" has no type"));
                None
            }
        };
        let kind = kind.unwrap_or(ItemType::Display);
        let id = ItemId(self.items.len() as u32);
        for key in object.keys() {
            if !key.starts_with('_') && !ITEM_PROPERTIES.contains(&key.as_str()) && !is_stu3_item_property(key) {
                self.d.warn(format!("{path}.{key}"), format!("\"{key}\" is not an R4 item property and is ignored"));
            }
        }

        let text = self.text_property(object, "text", path);
        let rendered_text = self.rendered_text(object);
        let mut item = Item {
            id,
            parent,
            children: Vec::new(),
            path: path.to_owned(),
            link_id,
            kind,
            text,
            rendered_text,
            prefix: self.text_property(object, "prefix", path),
            definition: self.text_property(object, "definition", path),
            code: self.codings(object, "code", path),
            required: self.bool_property(object, "required", path),
            repeats: self.bool_property(object, "repeats", path),
            read_only: self.bool_property(object, "readOnly", path),
            hidden: false,
            answer_options: Vec::new(),
            answer_value_set: None,
            initial: Vec::new(),
            enable_when: Vec::new(),
            enable_behavior: EnableBehavior::All,
            constraints: Constraints {
                max_length: self.count_property(object, "maxLength", path),
                ..Constraints::default()
            },
            entry_format: None,
            item_control: None,
            unit: None,
            unit_options: Vec::new(),
            slider_step: None,
            observation_extract: None,
            observation_link_period: None,
            has_unsupported_enable_expression: false,
            creates_patient: false,
        };
        if !kind.is_question() && (item.required && kind == ItemType::Display) {
            self.d.warn(format!("{path}.required"), "a display item cannot be required; ignored");
            item.required = false;
        }
        self.answer_options(object, path, &mut item);
        self.initial_values(object, path, &mut item);
        self.conditions(object, path, &mut item);
        self.item_extensions(object, path, &mut item);
        let text_extensions = object.get("_text").and_then(|t| t.get("extension")).and_then(Value::as_array);
        for (i, ext) in text_extensions.map(Vec::as_slice).unwrap_or_default().iter().enumerate() {
            if ext.get("url").and_then(Value::as_str) == Some(expressions::CQF_EXPRESSION) {
                self.item_expression(
                    ext,
                    &format!("{path}._text.extension[{i}]"),
                    expressions::CQF_EXPRESSION,
                    &mut item,
                );
            }
        }
        self.modifier_extensions(object, path);

        self.items.push(item);
        let mut children = Vec::new();
        for (i, child) in array(object, "item").iter().enumerate() {
            if let Some(child_id) = self.item(child, &format!("{path}.item[{i}]"), Some(id)) {
                children.push(child_id);
            }
        }
        if kind == ItemType::Display && !children.is_empty() {
            self.d
                .warn(format!("{path}.type"), "a display item cannot contain other items (R4 que-1); read as a group");
            self.items[id.index()].kind = ItemType::Group;
        }
        self.items[id.index()].children = children;
        Some(id)
    }

    fn answer_options(&mut self, object: &Map<String, Value>, path: &str, item: &mut Item) {
        let (property, options) = if object.contains_key("answerOption") {
            ("answerOption", array(object, "answerOption"))
        } else if object.contains_key("option") {
            self.d.warn(format!("{path}.option"), "\"option\" is STU3; read as R4 \"answerOption\"");
            ("option", array(object, "option"))
        } else {
            ("answerOption", &[][..])
        };
        for (i, option) in options.iter().enumerate() {
            let option_path = format!("{path}.{property}[{i}]");
            let Some(option_object) = option.as_object() else {
                self.d.error(&option_path, format!("expected an answer option object, found {}", describe(option)));
                continue;
            };
            match self.value(option_object, "value", &option_path, item) {
                Ok(Some(value)) => {
                    let initial_selected = self.bool_property(option_object, "initialSelected", &option_path);
                    item.answer_options.push(AnswerOption { value, initial_selected });
                }
                Ok(None) => self.d.error(&option_path, "the answer option has no value[x]"),
                Err(()) => {}
            }
        }
        let value_set = match object.get("answerValueSet") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.d.error(
                    format!("{path}.answerValueSet"),
                    format!("expected a canonical URL, found {}", describe(other)),
                );
                None
            }
            None => object.get("options").and_then(|o| o.get("reference")).and_then(Value::as_str).map(|r| {
                self.d.warn(format!("{path}.options"), "\"options\" is STU3; read as R4 \"answerValueSet\"");
                r.to_owned()
            }),
        };
        if let Some(canonical) = &value_set {
            // Contained in the template (`#id`), else shipped with the app (valuesets/).
            let shipped = crate::form::valuesets::expansion(canonical);
            match canonical.strip_prefix('#').and_then(|id| self.value_sets.get(id)).or(shipped.as_ref()) {
                Some(codes) if item.answer_options.is_empty() => {
                    item.answer_options =
                        codes.iter().map(|c| AnswerOption { value: AnswerValue::Coding(c.clone()), initial_selected: false }).collect();
                }
                Some(_) => {}
                None => self.d.unsupported(
                    format!("{path}.answerValueSet"),
                    format!("the value set {canonical} cannot be expanded offline; the question takes a typed answer instead of a list"),
                ),
            }
        }
        item.answer_value_set = value_set;
        let offers = !item.answer_options.is_empty() || item.answer_value_set.is_some();
        if item.kind == ItemType::Reference && offers {
            self.d.warn(
                format!("{path}.{property}"),
                "R4 allows answer options only on choice and value items (que-5); read as R5 allows them on reference items",
            );
        } else if offers
            && !matches!(
                item.kind,
                ItemType::Choice
                    | ItemType::OpenChoice
                    | ItemType::Decimal
                    | ItemType::Integer
                    | ItemType::Date
                    | ItemType::DateTime
                    | ItemType::Time
                    | ItemType::String
                    | ItemType::Quantity
                    | ItemType::Text
            )
        {
            self.d.error(
                format!("{path}.{property}"),
                format!(
                    "{} item cannot offer answer options (R4 que-5); make it a choice item",
                    item.kind.with_article()
                ),
            );
        }
    }

    fn initial_values(&mut self, object: &Map<String, Value>, path: &str, item: &mut Item) {
        for (i, initial) in array(object, "initial").iter().enumerate() {
            let initial_path = format!("{path}.initial[{i}]");
            match initial.as_object() {
                Some(o) => match self.value(o, "value", &initial_path, item) {
                    Ok(Some(v)) => item.initial.push(v),
                    Ok(None) => self.d.error(&initial_path, "the initial value has no value[x]"),
                    Err(()) => {}
                },
                None => self.d.error(&initial_path, format!("expected an object, found {}", describe(initial))),
            }
        }
        // STU3 put initial[x] on the item itself.
        if let Some(key) = object.keys().find(|k| k.starts_with("initial") && k.len() > "initial".len()) {
            let key = key.clone();
            self.d.warn(format!("{path}.{key}"), format!("\"{key}\" is STU3; read as R4 \"initial\""));
            if let Ok(Some(v)) = self.value(object, "initial", path, item) {
                item.initial.push(v);
            }
        }
        let selected = item.answer_options.iter().filter(|o| o.initial_selected).map(|o| o.value.clone());
        if item.initial.is_empty() {
            item.initial.extend(selected);
        } else if selected.count() > 0 {
            self.d.warn(
                format!("{path}.initial"),
                "both initial and answerOption.initialSelected are given (R4 que-11 allows one); initial is used",
            );
        }
        if !item.initial.is_empty() && !item.kind.is_question() {
            self.d.error(
                format!("{path}.initial"),
                format!("{} item cannot have an initial value", item.kind.with_article()),
            );
        }
        if item.initial.len() > 1 && !item.repeats {
            self.d
                .error(format!("{path}.initial"), "several initial values on an item that does not repeat (R4 que-13)");
        }
    }

    /// Reads `<prefix>[x]` and checks it fits the item's type. Integers on a decimal item
    /// and dates on a dateTime item are widened, as FHIR allows.
    /// `Ok(None)` when there is no such property; `Err` when one was reported.
    fn value(
        &mut self,
        object: &Map<String, Value>,
        prefix: &str,
        path: &str,
        item: &Item,
    ) -> Result<Option<AnswerValue>, ()> {
        let read = match AnswerValue::read_from(object, prefix) {
            Ok(Some(read)) => read,
            Ok(None) => return Ok(None),
            Err(e) => {
                self.d.error(format!("{path}.{}", e.property), e.message);
                return Err(());
            }
        };
        let property = format!("{prefix}{}", read.value.kind().suffix());
        if read.coerced {
            self.d.warn(format!("{path}.{property}"), "the value is written as text; read as its FHIR type");
        }
        let value = widen(item.kind, read.value);
        if !item.kind.accepts(value.kind()) {
            self.d.error(
                format!("{path}.{property}"),
                format!(
                    "{property} does not fit {} item; use {}",
                    item.kind.with_article(),
                    expected_property(item.kind, prefix)
                ),
            );
            return Err(());
        }
        Ok(Some(value))
    }

    fn conditions(&mut self, object: &Map<String, Value>, path: &str, item: &mut Item) {
        let conditions = array(object, "enableWhen");
        for (i, condition) in conditions.iter().enumerate() {
            let cpath = format!("{path}.enableWhen[{i}]");
            let Some(c) = condition.as_object() else {
                self.d.error(&cpath, format!("expected an enableWhen object, found {}", describe(condition)));
                continue;
            };
            let question = match c.get("question") {
                Some(Value::String(q)) => q.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => {
                    self.d.error(
                        format!("{cpath}.question"),
                        "enableWhen needs the linkId of the question it depends on",
                    );
                    continue;
                }
            };
            let answer = match AnswerValue::read_from(c, "answer") {
                Ok(Some(read)) => {
                    if read.coerced {
                        self.d.warn(
                            format!("{cpath}.answer{}", read.value.kind().suffix()),
                            "the value is written as text; read as its FHIR type",
                        );
                    }
                    Some(read.value)
                }
                Ok(None) => None,
                // A value that is not of its answer[x]'s type (a month in answerInteger):
                // the meaning of the rest of the form is clear, so only this condition is
                // left out, said as a warning, rather than refusing the whole form.
                Err(e) => {
                    self.d
                        .warn(format!("{cpath}.{}", e.property), format!("{}; this condition is left out", e.message));
                    continue;
                }
            };
            let operator = match c.get("operator").and_then(Value::as_str) {
                Some(code) => match Operator::from_code(code) {
                    Some(op) => op,
                    None => {
                        self.d.error(
                            format!("{cpath}.operator"),
                            format!("\"{code}\" is not an enableWhen operator (exists, =, !=, >, <, >=, <=)"),
                        );
                        continue;
                    }
                },
                None if c.contains_key("hasAnswer") => {
                    self.d.warn(format!("{cpath}.hasAnswer"), "\"hasAnswer\" is STU3; read as operator \"exists\"");
                    let has = c.get("hasAnswer").and_then(Value::as_bool).unwrap_or(true);
                    self.pending.push(PendingCondition {
                        item: item.id,
                        path: cpath,
                        question,
                        operator: Operator::Exists,
                        answer: AnswerValue::Boolean(has),
                    });
                    continue;
                }
                None => {
                    self.d.warn(format!("{cpath}.operator"), "operator is missing (STU3 style); read as \"=\"");
                    Operator::Equal
                }
            };
            let Some(answer) = answer else {
                self.d.error(&cpath, "enableWhen needs an answer[x] to compare with");
                continue;
            };
            self.pending.push(PendingCondition { item: item.id, path: cpath, question, operator, answer });
        }
        item.enable_behavior = match object.get("enableBehavior").and_then(Value::as_str) {
            Some("all") => EnableBehavior::All,
            Some("any") => EnableBehavior::Any,
            Some(other) => {
                self.d.error(format!("{path}.enableBehavior"), format!("\"{other}\" is not all or any"));
                EnableBehavior::All
            }
            None => {
                if conditions.len() > 1 {
                    self.d.warn(
                        format!("{path}.enableBehavior"),
                        "several enableWhen conditions without enableBehavior (R4 que-12); read as \"all\"",
                    );
                }
                EnableBehavior::All
            }
        };
    }

    /// An SDC expression on an item, kept with the item's others.
    fn item_expression(&mut self, ext: &Value, path: &str, url: &str, item: &mut Item) {
        use expressions::Kind;
        let Some(kind) = expressions::kind_of(url) else { return };
        let instead = match kind {
            Kind::Variable => "the variable is empty",
            Kind::Calculated => "the item is not calculated and can be answered by hand",
            Kind::EnableWhen => {
                item.has_unsupported_enable_expression = true;
                "the item is always shown"
            }
            Kind::Initial => "the item starts empty",
            Kind::AnswerOptions => "only the listed options are offered",
            Kind::Text => "the item's own text is shown",
            Kind::OptionToggle => "every option is offered",
        };
        if matches!(kind, Kind::OptionToggle) {
            return self.option_toggle(ext, path, item);
        }
        // A search of the record: run by the app, read by the name (the scope of a query
        // is the whole form: its Bundle is the same wherever it is read).
        if let Some(query) =
            matches!(kind, Kind::Variable).then(|| expressions::read_query(ext, path, &mut self.d)).flatten()
        {
            self.expressions.queries.extend(query);
            return;
        }
        let Some((name, e)) = expressions::read(ext, path, instead, &mut self.d) else { return };
        let index = item.id.index();
        if self.expressions.items.len() <= index {
            self.expressions.items.resize(index + 1, Default::default());
        }
        let slot = &mut self.expressions.items[index];
        // A named expression is also a variable for the item and those below it (SDC).
        if let (Some(n), false) = (&name, matches!(kind, Kind::Variable)) {
            slot.variables.push((n.clone(), e.clone()));
        }
        match kind {
            Kind::Variable => match name {
                Some(n) => slot.variables.push((n, e)),
                None => self.d.warn(path, "a variable without a name cannot be used; ignored"),
            },
            // A calculated value is the template's, not typed: read-only, as LHC-Forms and
            // Smart Forms show it (a score typed over would be a wrong score).
            Kind::Calculated => {
                item.read_only = true;
                slot.calculated = Some(e)
            }
            Kind::EnableWhen => {
                item.has_unsupported_enable_expression = false;
                slot.enable_when = Some(e)
            }
            Kind::Initial => slot.initial = Some(e),
            Kind::AnswerOptions => slot.answer_options = Some(e),
            Kind::Text => slot.text = Some(e),
            Kind::OptionToggle => {}
        }
    }

    /// `answerOptionsToggleExpression`: the options (`option`, value[x]) and the expression
    /// (`expression`) that must hold for them to be offered.
    fn option_toggle(&mut self, ext: &Value, path: &str, item: &mut Item) {
        let parts = ext.get("extension").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let url = ext.get("url").cloned().unwrap_or_default();
        let mut options = Vec::new();
        let mut expression = None;
        for (i, part) in parts.iter().enumerate() {
            let ppath = format!("{path}.extension[{i}]");
            match part.get("url").and_then(Value::as_str) {
                Some("option") => match part.as_object().map(|o| AnswerValue::read_from(o, "value")) {
                    Some(Ok(Some(read))) => options.push(read.value),
                    _ => self.d.warn(&ppath, "an option without a value is ignored"),
                },
                Some("expression") => {
                    // Read as the whole extension would be, so findings name its URL.
                    let whole = serde_json::json!({"url": url, "valueExpression": part.get("valueExpression")});
                    expression =
                        expressions::read(&whole, &ppath, "every option is offered", &mut self.d).map(|(_, e)| e);
                }
                _ => self.d.warn(&ppath, "answerOptionsToggleExpression takes option and expression; ignored"),
            }
        }
        let unknown: Vec<String> = options
            .iter()
            .filter(|o| !item.answer_options.iter().any(|a| a.value.matches(o)))
            .map(AnswerValue::label)
            .collect();
        if !unknown.is_empty() {
            self.d.warn(path, format!("the toggled options {} are not among the item's options", unknown.join(", ")));
        }
        match (options.is_empty(), expression) {
            (false, Some(e)) => {
                let index = item.id.index();
                if self.expressions.items.len() <= index {
                    self.expressions.items.resize(index + 1, Default::default());
                }
                self.expressions.items[index].option_toggles.push((options, e));
            }
            (true, _) => self.d.warn(path, "answerOptionsToggleExpression without options is ignored"),
            (false, None) => {}
        }
    }

    fn item_extensions(&mut self, object: &Map<String, Value>, path: &str, item: &mut Item) {
        for (i, ext) in array(object, "extension").iter().enumerate() {
            let epath = format!("{path}.extension[{i}]");
            let Some(url) = ext.get("url").and_then(Value::as_str) else {
                self.d.warn(&epath, "extension without a url is ignored");
                continue;
            };
            match url {
                extension::ITEM_CONTROL => {
                    let code = ext.pointer("/valueCodeableConcept/coding/0/code").and_then(Value::as_str);
                    match code {
                        Some(code) => item.item_control = Some(ItemControl::from_code(code)),
                        None => self.d.warn(&epath, "itemControl without a code is ignored"),
                    }
                }
                extension::MIN_VALUE | extension::MAX_VALUE | extension::MIN_QUANTITY | extension::MAX_QUANTITY => {
                    let bound = self.bound(ext, &epath, item);
                    if url == extension::MIN_VALUE || url == extension::MIN_QUANTITY {
                        item.constraints.min_value = bound.or(item.constraints.min_value.take());
                    } else {
                        item.constraints.max_value = bound.or(item.constraints.max_value.take());
                    }
                }
                extension::MIN_LENGTH => item.constraints.min_length = self.ext_count(ext, &epath),
                extension::MAX_DECIMAL_PLACES => item.constraints.max_decimal_places = self.ext_count(ext, &epath),
                extension::MIN_OCCURS => item.constraints.min_occurs = self.ext_count(ext, &epath),
                extension::MAX_OCCURS => item.constraints.max_occurs = self.ext_count(ext, &epath),
                extension::REGEX => {
                    let source = ext.get("valueString").and_then(Value::as_str).unwrap_or_default().to_owned();
                    match Pattern::new(&source) {
                        Ok(pattern) => item.constraints.regex = Some(pattern),
                        Err(why) => self.d.warn(
                            &epath,
                            format!(
                                "the regex \"{source}\" cannot be compiled ({why}); answers are not checked against it"
                            ),
                        ),
                    }
                }
                extension::ENTRY_FORMAT => {
                    item.entry_format = ext.get("valueString").and_then(Value::as_str).map(str::to_owned)
                }
                extension::HIDDEN => item.hidden = self.ext_bool(ext, &epath).unwrap_or(false),
                extension::UNIT => item.unit = self.ext_coding(ext, &epath),
                extension::UNIT_OPTION => item.unit_options.extend(self.ext_coding(ext, &epath)),
                extension::SLIDER_STEP => {
                    item.slider_step = ext.get("valueInteger").or(ext.get("valueDecimal")).and_then(Value::as_f64)
                }
                extension::OBSERVATION_EXTRACT => item.observation_extract = self.ext_bool(ext, &epath),
                extension::OBSERVATION_LINK_PERIOD => item.observation_link_period = self.link_period(ext, &epath),
                // A group that registers a person: carried out. Other extraction contexts
                // (other resources, expressions) are not.
                extension::ITEM_EXTRACTION_CONTEXT
                    if item.kind == ItemType::Group
                        && ext.get("valueCode").and_then(Value::as_str) == Some("Patient") =>
                {
                    item.creates_patient = true
                }
                _ if expressions::kind_of(url).is_some() => self.item_expression(ext, &epath, url, item),
                _ => {
                    if let Handling::Unsupported(why) = extension::handling(url) {
                        self.d.unsupported(&epath, format!("{url}: {why}"));
                    }
                }
            }
        }
        if let (Some(min), Some(max)) = (item.constraints.min_occurs, item.constraints.max_occurs) {
            if min > max {
                self.d.error(format!("{path}.extension"), format!("minOccurs {min} is more than maxOccurs {max}"));
            }
        }
        if let (Some(min), Some(max)) = (&item.constraints.min_value, &item.constraints.max_value) {
            if min.compare(max) == Some(std::cmp::Ordering::Greater) {
                self.d.error(
                    format!("{path}.extension"),
                    format!("minValue {} is more than maxValue {}", min.label(), max.label()),
                );
            }
        }
    }

    /// A minValue/maxValue bound: of the item's own type, or a number for a quantity.
    fn bound(&mut self, ext: &Value, path: &str, item: &Item) -> Option<AnswerValue> {
        let object = ext.as_object()?;
        let read = match AnswerValue::read_from(object, "value") {
            Ok(Some(read)) => {
                if read.coerced {
                    self.d.warn(
                        format!("{path}.value{}", read.value.kind().suffix()),
                        "the value is written as text; read as its FHIR type",
                    );
                }
                read.value
            }
            Ok(None) => {
                self.d.warn(path, "the limit has no value and is ignored");
                return None;
            }
            Err(e) => {
                self.d.error(format!("{path}.{}", e.property), e.message);
                return None;
            }
        };
        let bound = match (item.kind, read) {
            (ItemType::Quantity, AnswerValue::Decimal(d)) => {
                AnswerValue::Quantity(crate::form::datatypes::Quantity { value: Some(d), ..Default::default() })
            }
            (ItemType::Quantity, AnswerValue::Integer(i)) => {
                AnswerValue::Quantity(crate::form::datatypes::Quantity { value: Some(i as f64), ..Default::default() })
            }
            (kind, value) => widen(kind, value),
        };
        let fits = item.kind.accepts(bound.kind()) && !matches!(bound.kind(), ValueKind::Coding | ValueKind::String);
        if !fits {
            self.d
                .error(path, format!("{} limit does not fit {} item", bound.kind().suffix(), item.kind.with_article()));
            return None;
        }
        Some(bound)
    }

    fn rendered_text(&self, object: &Map<String, Value>) -> Option<String> {
        let extensions = object.get("_text")?.get("extension")?.as_array()?;
        extensions
            .iter()
            .find(|e| e.get("url").and_then(Value::as_str) == Some(extension::RENDERING_XHTML))
            .and_then(|e| e.get("valueString").and_then(Value::as_str))
            .map(safe_text)
            .filter(|t| !t.is_empty())
    }

    fn modifier_extensions(&mut self, object: &Map<String, Value>, path: &str) {
        for (i, ext) in array(object, "modifierExtension").iter().enumerate() {
            let url = ext.get("url").and_then(Value::as_str).unwrap_or("(no url)");
            self.d.unsupported(
                format!("{path}.modifierExtension[{i}]"),
                format!("{url} changes the meaning of this element, and the engine does not understand it; check the form behaves as intended"),
            );
        }
    }

    fn contained_value_sets(&mut self, object: &Map<String, Value>) {
        for resource in array(object, "contained") {
            if resource.get("resourceType").and_then(Value::as_str) != Some("ValueSet") {
                continue;
            }
            let Some(id) = resource.get("id").and_then(Value::as_str) else { continue };
            let mut codes = Vec::new();
            if let Some(contains) = resource.pointer("/expansion/contains").and_then(Value::as_array) {
                collect_expansion(contains, &mut codes);
            } else {
                for include in resource.pointer("/compose/include").and_then(Value::as_array).into_iter().flatten() {
                    let system = include.get("system").and_then(Value::as_str);
                    for concept in include.get("concept").and_then(Value::as_array).into_iter().flatten() {
                        codes.push(Coding {
                            system: system.map(str::to_owned),
                            version: None,
                            code: concept.get("code").and_then(Value::as_str).map(str::to_owned),
                            display: concept.get("display").and_then(Value::as_str).map(str::to_owned),
                        });
                    }
                }
            }
            if !codes.is_empty() {
                self.value_sets.insert(id.to_owned(), codes);
            }
        }
    }

    /// The linkId index (the first item of each linkId). A linkId used again in another
    /// group is read with a warning: real templates repeat one per section (a "name" in
    /// each), and what names it is resolved by where it is (`resolve_link`); only a
    /// reference that cannot tell them apart stops the load.
    fn index_link_ids(&mut self) -> HashMap<String, ItemId> {
        let mut index = HashMap::with_capacity(self.items.len());
        for item in &self.items {
            if item.link_id.is_empty() {
                continue;
            }
            if let Some(first) = index.insert(item.link_id.clone(), item.id) {
                let first_item = &self.items[first.index()];
                if first_item.parent == item.parent {
                    // Side by side in one group, two answers would land on one question.
                    self.d.error(
                        format!("{}.linkId", item.path),
                        format!(
                            "linkId \"{}\" is used twice in the same group (first at {}); answers would be mixed up",
                            item.link_id, first_item.path
                        ),
                    );
                } else {
                    self.d.warn(
                        format!("{}.linkId", item.path),
                        format!(
                            "linkId \"{}\" is used again (first at {}); read as separate questions, each known by the group it is in",
                            item.link_id, first_item.path
                        ),
                    );
                }
                index.insert(item.link_id.clone(), first);
            }
        }
        index
    }

    /// The item a reference from `from` to `link_id` means: the only item with that linkId,
    /// or, when several share it, the one nearest `from` (the deepest common group). `None`
    /// when there is none; `Err` with the candidates' paths when two are equally near.
    fn resolve_link(&self, link_id: &str, from: ItemId) -> Result<Option<ItemId>, Vec<String>> {
        let candidates: Vec<ItemId> = self.items.iter().filter(|i| i.link_id == link_id).map(|i| i.id).collect();
        if candidates.len() <= 1 {
            return Ok(candidates.first().copied());
        }
        let ancestors = |mut id: Option<ItemId>| {
            let mut chain = Vec::new();
            while let Some(i) = id {
                chain.push(i);
                id = self.items[i.index()].parent;
            }
            chain.reverse();
            chain
        };
        let from_chain = ancestors(Some(from));
        let nearness = |c: ItemId| {
            let chain = ancestors(self.items[c.index()].parent);
            chain.iter().zip(&from_chain).take_while(|(a, b)| a == b).count()
        };
        let best = candidates.iter().map(|c| nearness(*c)).max().unwrap_or(0);
        let nearest: Vec<ItemId> = candidates.iter().copied().filter(|c| nearness(*c) == best).collect();
        let parent = |c: &ItemId| self.items[c.index()].parent;
        match nearest.as_slice() {
            [one] => Ok(Some(*one)),
            // Side by side in one group: already refused (index_link_ids); no second error.
            [first, rest @ ..] if rest.iter().all(|c| parent(c) == parent(first)) => Ok(Some(*first)),
            _ => Err(nearest.iter().map(|c| self.items[c.index()].path.clone()).collect()),
        }
    }

    fn resolve_conditions(&mut self) -> Vec<Vec<ItemId>> {
        let mut dependents = vec![Vec::new(); self.items.len()];
        for pending in std::mem::take(&mut self.pending) {
            let target = match self.resolve_link(&pending.question, pending.item) {
                Ok(Some(target)) => target,
                Ok(None) => {
                    self.d.error(
                        format!("{}.question", pending.path),
                        format!("enableWhen names \"{}\", but no item has that linkId", pending.question),
                    );
                    continue;
                }
                Err(paths) => {
                    self.d.error(
                        format!("{}.question", pending.path),
                        format!(
                            "enableWhen names \"{}\", which several items share, none nearer than the others ({}); give them different linkIds",
                            pending.question,
                            paths.join(", ")
                        ),
                    );
                    continue;
                }
            };
            let question = &self.items[target.index()];
            let answer_path = format!("{}.answer{}", pending.path, pending.answer.kind().suffix());
            if !question.kind.is_question() {
                self.d.error(
                    format!("{}.question", pending.path),
                    format!(
                        "enableWhen names \"{}\", {} item, which has no answers",
                        pending.question,
                        question.kind.with_article()
                    ),
                );
                continue;
            }
            let answer = widen(question.kind, pending.answer);
            if pending.operator == Operator::Exists {
                if answer.kind() != ValueKind::Boolean {
                    self.d.error(answer_path, "operator \"exists\" takes answerBoolean (true or false)");
                    continue;
                }
            } else {
                let numeric = matches!(question.kind, ItemType::Integer | ItemType::Decimal)
                    && matches!(answer.kind(), ValueKind::Integer | ValueKind::Decimal);
                if !question.kind.accepts(answer.kind()) && !numeric {
                    // Compared with a value of another type (a date question with
                    // answerInteger): this condition is left out, with a warning.
                    self.d.warn(
                        answer_path,
                        format!(
                            "\"{}\" is {} question; answer{} cannot match it ({}); this condition is left out",
                            pending.question,
                            question.kind.with_article(),
                            answer.kind().suffix(),
                            expected_property(question.kind, "answer")
                        ),
                    );
                    continue;
                }
                if pending.operator.is_ordering()
                    && matches!(
                        answer.kind(),
                        ValueKind::Coding | ValueKind::Boolean | ValueKind::Reference | ValueKind::Attachment
                    )
                {
                    self.d.error(
                        format!("{}.operator", pending.path),
                        format!(
                            "a {} answer cannot be greater or less than another; use = or !=",
                            answer.kind().suffix()
                        ),
                    );
                    continue;
                }
            }
            if !dependents[target.index()].contains(&pending.item) {
                dependents[target.index()].push(pending.item);
            }
            self.items[pending.item.index()].enable_when.push(EnableWhen {
                question: pending.question,
                question_item: target,
                operator: pending.operator,
                answer,
            });
        }
        dependents
    }

    /// Orders items so that each comes after what its enabling depends on (its parent and
    /// the questions its conditions name). An item that depends, through conditions and
    /// parents, on itself can never settle: that is an error naming the loop.
    fn evaluation_order(&mut self) -> Vec<ItemId> {
        let mut order = Vec::with_capacity(self.items.len());
        let n = self.items.len();
        // Edges: an item depends on each question its conditions name, and on its parent.
        let depends_on = |i: usize, items: &[Item]| -> Vec<usize> {
            let item = &items[i];
            let mut out: Vec<usize> = item.enable_when.iter().map(|c| c.question_item.index()).collect();
            out.extend(item.parent.map(ItemId::index));
            out
        };
        let mut state = vec![0u8; n]; // 0 new, 1 on the stack, 2 done
        for start in 0..n {
            if state[start] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, Vec<usize>)> = vec![(start, depends_on(start, &self.items))];
            state[start] = 1;
            while let Some((node, next)) = stack.last_mut() {
                let node = *node;
                match next.pop() {
                    Some(m) if state[m] == 1 => {
                        let at = stack.iter().position(|(s, _)| *s == m).unwrap_or(0);
                        let names: Vec<String> =
                            stack[at..].iter().map(|(s, _)| format!("\"{}\"", self.items[*s].link_id)).collect();
                        let item = &self.items[m];
                        self.d.error(
                            format!("{}.enableWhen", item.path),
                            format!("enableWhen conditions form a loop ({} → \"{}\"): no order of answers can settle which are shown", names.join(" → "), item.link_id),
                        );
                        return order;
                    }
                    Some(m) if state[m] == 0 => {
                        state[m] = 1;
                        let deps = depends_on(m, &self.items);
                        stack.push((m, deps));
                    }
                    Some(_) => {}
                    None => {
                        state[node] = 2;
                        order.push(ItemId(node as u32));
                        stack.pop();
                    }
                }
            }
        }
        order
    }

    fn text_property(&mut self, object: &Map<String, Value>, key: &str, path: &str) -> Option<String> {
        match object.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => {
                self.d.warn(format!("{path}.{key}"), format!("{key} is a number; read as text"));
                Some(n.to_string())
            }
            other => {
                self.d.warn(format!("{path}.{key}"), format!("expected text, found {}; ignored", describe(other)));
                None
            }
        }
    }

    fn bool_property(&mut self, object: &Map<String, Value>, key: &str, path: &str) -> bool {
        match object.get(key) {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) if s == "true" || s == "false" => {
                self.d.warn(format!("{path}.{key}"), format!("{key} is the text \"{s}\"; read as the boolean {s}"));
                s == "true"
            }
            Some(other) => {
                self.d
                    .error(format!("{path}.{key}"), format!("{key} must be true or false, found {}", describe(other)));
                false
            }
        }
    }

    fn count_property(&mut self, object: &Map<String, Value>, key: &str, path: &str) -> Option<u32> {
        match object.get(key)? {
            Value::Number(n) if n.as_u64().is_some() => n.as_u64().map(|v| v.min(u32::MAX as u64) as u32),
            Value::String(s) if s.trim().parse::<u32>().is_ok() => {
                self.d.warn(format!("{path}.{key}"), format!("{key} is the text \"{s}\"; read as a number"));
                s.trim().parse().ok()
            }
            other => {
                self.d
                    .error(format!("{path}.{key}"), format!("{key} must be a whole number, found {}", describe(other)));
                None
            }
        }
    }

    fn codings(&mut self, object: &Map<String, Value>, key: &str, path: &str) -> Vec<Coding> {
        let mut out = Vec::new();
        for (i, c) in array(object, key).iter().enumerate() {
            match serde_json::from_value::<Coding>(c.clone()) {
                Ok(coding) => out.push(coding),
                Err(e) => self.d.error(format!("{path}.{key}[{i}]"), format!("not a Coding: {e}")),
            }
        }
        out
    }

    /// An observationLinkPeriod's Duration: a value (a number, or a number written as text,
    /// with a warning) and its unit's code.
    fn link_period(&mut self, ext: &Value, path: &str) -> Option<(f64, String)> {
        let duration = ext.get("valueDuration")?;
        let value = match duration.get("value") {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => {
                let read = crate::form::input::decimal_from_text(s);
                if read.is_some() {
                    self.d
                        .warn(format!("{path}.valueDuration.value"), "the value is written as text; read as a number");
                }
                read
            }
            _ => None,
        };
        let unit = duration.get("code").or(duration.get("unit")).and_then(Value::as_str);
        match (value, unit) {
            (Some(v), Some(u)) if v > 0.0 => Some((v, u.to_owned())),
            _ => {
                self.d.warn(path, "an observationLinkPeriod needs a positive value and a unit; ignored");
                None
            }
        }
    }

    fn ext_bool(&mut self, ext: &Value, path: &str) -> Option<bool> {
        match ext.get("valueBoolean") {
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) if s == "true" || s == "false" => {
                self.d.warn(format!("{path}.valueBoolean"), "the value is written as text; read as a boolean");
                Some(s == "true")
            }
            _ => {
                self.d.warn(path, "expected valueBoolean; extension ignored");
                None
            }
        }
    }

    fn ext_count(&mut self, ext: &Value, path: &str) -> Option<u32> {
        let object = ext.as_object()?;
        self.count_property(object, "valueInteger", path).or_else(|| {
            if !object.contains_key("valueInteger") {
                self.d.warn(path, "expected valueInteger; extension ignored");
            }
            None
        })
    }

    fn ext_coding(&mut self, ext: &Value, path: &str) -> Option<Coding> {
        match ext.get("valueCoding").map(|c| serde_json::from_value::<Coding>(c.clone())) {
            Some(Ok(c)) => Some(c),
            _ => {
                self.d.warn(path, "expected valueCoding; extension ignored");
                None
            }
        }
    }
}

fn collect_expansion(contains: &[Value], out: &mut Vec<Coding>) {
    for c in contains {
        if c.get("code").is_some() {
            out.push(Coding {
                system: c.get("system").and_then(Value::as_str).map(str::to_owned),
                version: None,
                code: c.get("code").and_then(Value::as_str).map(str::to_owned),
                display: c.get("display").and_then(Value::as_str).map(str::to_owned),
            });
        }
        if let Some(nested) = c.get("contains").and_then(Value::as_array) {
            collect_expansion(nested, out);
        }
    }
}

fn is_stu3_item_property(key: &str) -> bool {
    matches!(key, "option" | "options" | "initialValue") || (key.starts_with("initial") && key.len() > 7)
}

/// An integer on a decimal item is a decimal; a date on a dateTime item is a partial dateTime.
pub(crate) fn widen(kind: ItemType, value: AnswerValue) -> AnswerValue {
    match (kind, value) {
        (ItemType::Decimal, AnswerValue::Integer(i)) => AnswerValue::Decimal(i as f64),
        (ItemType::DateTime, AnswerValue::Date(d)) => {
            FhirDateTime::parse(&d.to_string()).map(AnswerValue::DateTime).unwrap_or(AnswerValue::Date(d))
        }
        (_, value) => value,
    }
}

/// Which value[x] property fits an item type, for messages.
fn expected_property(kind: ItemType, prefix: &str) -> String {
    let kinds: Vec<String> =
        ValueKind::ALL.iter().filter(|k| kind.accepts(**k)).map(|k| format!("{prefix}{}", k.suffix())).collect();
    match kinds.len() {
        0 => format!("no {prefix}[x]: a {kind} item takes none"),
        _ => kinds.join(" or "),
    }
}

fn array<'a>(object: &'a Map<String, Value>, key: &str) -> &'a [Value] {
    object.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

/// What a template is about, for grouping a list of forms: the text of its `useContext`
/// whose code is `focus` (R4's usage context for a clinical focus).
fn use_context_focus(object: &Map<String, Value>) -> Option<String> {
    object.get("useContext")?.as_array()?.iter().find(|c| c["code"]["code"] == "focus").and_then(|c| {
        let concept = &c["valueCodeableConcept"];
        concept["text"].as_str().or_else(|| concept["coding"][0]["display"].as_str()).map(str::to_owned)
    })
}
