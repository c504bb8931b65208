//! The template's SDC expressions: `variable` (questionnaire and item level, scoped to the
//! item and what is below it), `calculatedExpression`, `enableWhenExpression`,
//! `initialExpression`, `answerExpression` and `cqf-expression` on an item's text; read at
//! load, and evaluated against a filling.
//!
//! An expression sees the response as it stands (`%resource`: every enabled instance, with
//! its answers), the template (`%questionnaire`), its own response item (`%context`), the
//! variables in scope, and the launch context the caller gives (`%patient`, `%user`,
//! `%encounter`). Which questions an expression reads is worked out at load from the
//! linkIds it names (and those of the variables it uses), so that a change re-evaluates
//! only the expressions it can reach; an expression that names none reads everything.
//! Calculated items that read each other in a loop cannot load.

use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::fhirpath::{self, Collection, Environment, Expr, Item as Fp};
use crate::form::answer::AnswerValue;
use crate::form::datatypes::{Coding, FhirDate, Quantity};
use crate::form::diagnostic::Diagnostics;
use crate::form::questionnaire::{Item, ItemId, ItemType, Questionnaire};
use crate::form::response::answers_with_items;
use crate::form::{FormState, NodeId};

pub const VARIABLE: &str = "http://hl7.org/fhir/StructureDefinition/variable";
pub const CQF_EXPRESSION: &str = "http://hl7.org/fhir/StructureDefinition/cqf-expression";
const SDC: &str = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-";

/// One expression as read from the template.
#[derive(Debug, Clone, PartialEq)]
pub struct Expression {
    pub source: String,
    pub path: String,
    pub(crate) parsed: Expr,
    /// The items whose answers it can read; `None`: any.
    pub(crate) reads: Option<Vec<ItemId>>,
    linked: Vec<String>,
    variables: Vec<String>,
}

/// The expressions an item carries.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ItemExpressions {
    pub variables: Vec<(String, Expression)>,
    pub calculated: Option<Expression>,
    pub enable_when: Option<Expression>,
    pub initial: Option<Expression>,
    pub answer_options: Option<Expression>,
    pub text: Option<Expression>,
    /// `answerOptionsToggleExpression`: options offered only while their expression holds.
    pub option_toggles: Vec<(Vec<AnswerValue>, Expression)>,
}

impl ItemExpressions {
    fn all(&self) -> impl Iterator<Item = &Expression> {
        self.variables.iter().map(|(_, e)| e).chain(self.option_toggles.iter().map(|(_, e)| e)).chain(
            [&self.calculated, &self.enable_when, &self.initial, &self.answer_options, &self.text]
                .into_iter()
                .flatten(),
        )
    }

    fn all_mut(&mut self) -> impl Iterator<Item = &mut Expression> {
        self.variables.iter_mut().map(|(_, e)| e).chain(self.option_toggles.iter_mut().map(|(_, e)| e)).chain(
            [&mut self.calculated, &mut self.enable_when, &mut self.initial, &mut self.answer_options, &mut self.text]
                .into_iter()
                .flatten(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.all().next().is_none()
    }
}

/// Every expression of a template, and what evaluating them needs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TemplateExpressions {
    pub variables: Vec<(String, Expression)>,
    /// By item index; empty when the template has no item expressions.
    pub items: Vec<ItemExpressions>,
    /// The launch context the template asks for (`%patient` → Patient).
    pub launch_context: Vec<(String, String)>,
    /// The template itself, for `%questionnaire`; kept only when an expression exists.
    pub source: Option<Arc<Value>>,
    /// Variables that are searches of the record (`application/x-fhir-query`).
    pub queries: Vec<crate::form::queries::RecordQuery>,
}

impl TemplateExpressions {
    pub fn is_empty(&self) -> bool {
        self.variables.is_empty() && self.items.iter().all(ItemExpressions::is_empty)
    }

    pub fn of(&self, item: ItemId) -> Option<&ItemExpressions> {
        self.items.get(item.index()).filter(|e| !e.is_empty())
    }

    /// Whether a change to `item`'s answers can reach any expression.
    pub fn read_by_any(&self, item: ItemId) -> bool {
        let reads = |e: &Expression| e.reads.as_ref().is_none_or(|r| r.contains(&item));
        self.variables.iter().any(|(_, e)| reads(e)) || self.items.iter().any(|x| x.all().any(reads))
    }
}

/// What an extension of this URL is, when it is an expression the engine evaluates.
pub(crate) enum Kind {
    Variable,
    Calculated,
    EnableWhen,
    Initial,
    AnswerOptions,
    Text,
    OptionToggle,
}

pub(crate) fn kind_of(url: &str) -> Option<Kind> {
    match url {
        VARIABLE => Some(Kind::Variable),
        CQF_EXPRESSION => Some(Kind::Text),
        // The name initialExpression had before SDC took it over; still in real templates.
        "http://hl7.org/fhir/StructureDefinition/questionnaire-initialExpression" => Some(Kind::Initial),
        _ => match url.strip_prefix(SDC)? {
            "calculatedExpression" => Some(Kind::Calculated),
            "enableWhenExpression" => Some(Kind::EnableWhen),
            "initialExpression" => Some(Kind::Initial),
            "answerExpression" => Some(Kind::AnswerOptions),
            "answerOptionsToggleExpression" => Some(Kind::OptionToggle),
            _ => None,
        },
    }
}

/// A `variable` that is a search of the record (`application/x-fhir-query`), by its name.
/// `Some(None)`: it is one, but can never run here (another address, or not about the
/// person), said as not carried out.
pub(crate) fn read_query(
    ext: &Value,
    path: &str,
    d: &mut Diagnostics,
) -> Option<Option<crate::form::queries::RecordQuery>> {
    let value = ext.get("valueExpression")?;
    if value.get("language").and_then(Value::as_str) != Some("application/x-fhir-query") {
        return None;
    }
    let url = ext.get("url").and_then(Value::as_str).unwrap_or_default();
    let (Some(name), Some(query)) =
        (value.get("name").and_then(Value::as_str), value.get("expression").and_then(Value::as_str))
    else {
        d.warn(path, format!("{url}: a query needs a name and an expression; ignored"));
        return Some(None);
    };
    // Its shape, with every {{…}} standing for the person (or the member of staff).
    let mut shape = String::new();
    let mut rest = query;
    while let Some(start) = rest.find("{{") {
        shape.push_str(&rest[..start]);
        shape.push_str("SOMEONE");
        rest = rest[start..].find("}}").map(|e| &rest[start + e + 2..]).unwrap_or("");
    }
    shape.push_str(rest);
    if let Err(why) = crate::form::queries::check(&shape, Some("SOMEONE"), Some("SOMEONE")) {
        d.unsupported(
            path,
            format!("{url}: the record query (x-fhir-query) {query} is not run: {why}; the variable is empty"),
        );
        return Some(None);
    }
    Some(Some(crate::form::queries::RecordQuery {
        name: name.to_owned(),
        query: query.to_owned(),
        path: path.to_owned(),
    }))
}

/// Reads an Expression-valued extension: its name and parsed FHIRPath. Other languages and
/// unreadable expressions are reported as not carried out, with what the user sees instead.
pub(crate) fn read(
    ext: &Value,
    path: &str,
    instead: &str,
    d: &mut Diagnostics,
) -> Option<(Option<String>, Expression)> {
    let url = ext.get("url").and_then(Value::as_str).unwrap_or_default();
    let Some(value) = ext.get("valueExpression").and_then(Value::as_object) else {
        d.warn(path, format!("{url}: an expression extension without valueExpression is ignored"));
        return None;
    };
    let name = value.get("name").and_then(Value::as_str).map(str::to_owned);
    let language = value.get("language").and_then(Value::as_str).unwrap_or("text/fhirpath");
    let Some(source) = value.get("expression").and_then(Value::as_str) else {
        d.unsupported(
            path,
            format!("{url}: the expression is given by reference only, which is not fetched; {instead}"),
        );
        return None;
    };
    match language {
        "text/fhirpath" => {}
        "application/x-fhir-query" => {
            d.unsupported(path, format!("{url}: a query against the record (x-fhir-query) is not run; {instead}"));
            return None;
        }
        other => {
            d.unsupported(path, format!("{url}: expressions in {other} are not evaluated; {instead}"));
            return None;
        }
    }
    match fhirpath::parse(source) {
        Ok(parsed) => {
            let (mut linked, mut variables) = (Vec::new(), Vec::new());
            names_in(&parsed, &mut linked, &mut variables);
            Some((
                name,
                Expression { source: source.to_owned(), path: path.to_owned(), parsed, reads: None, linked, variables },
            ))
        }
        Err(e) => {
            d.unsupported(path, format!("{url}: the FHIRPath cannot be read ({e}); {instead}"));
            None
        }
    }
}

/// The linkIds an expression names (`linkId = 'x'`) and the variables it uses.
fn names_in(expr: &Expr, linked: &mut Vec<String>, variables: &mut Vec<String>) {
    use fhirpath::{BinaryOp, Literal};
    match expr {
        Expr::Binary(BinaryOp::Equal | BinaryOp::Equivalent, a, b) => {
            for (x, y) in [(a, b), (b, a)] {
                if matches!(x.as_ref(), Expr::Member(_, n) if n == "linkId") {
                    if let Expr::Literal(Literal::String(s)) = y.as_ref() {
                        linked.push(s.clone());
                    }
                }
            }
            names_in(a, linked, variables);
            names_in(b, linked, variables);
        }
        Expr::Variable(v) => variables.push(v.clone()),
        Expr::Binary(_, a, b) | Expr::Index(a, b) => {
            names_in(a, linked, variables);
            names_in(b, linked, variables);
        }
        Expr::Member(Some(a), _) | Expr::Negate(a) | Expr::Type(_, a, _) => names_in(a, linked, variables),
        Expr::Call(base, _, args) => {
            if let Some(b) = base {
                names_in(b, linked, variables);
            }
            args.iter().for_each(|a| names_in(a, linked, variables));
        }
        _ => {}
    }
}

/// After every item is read: works out what each expression reads and refuses loops
/// between calculated items.
pub(crate) fn resolve(expressions: &mut TemplateExpressions, items: &[Item], d: &mut Diagnostics) {
    // Variables visible to an item: its own, its ancestors', the template's, innermost first.
    let scope_of = |item: Option<ItemId>, expressions: &TemplateExpressions| -> Vec<(String, Expression)> {
        let mut scope = Vec::new();
        let mut cursor = item;
        while let Some(i) = cursor {
            if let Some(x) = expressions.items.get(i.index()) {
                scope.extend(x.variables.iter().rev().cloned());
            }
            cursor = items[i.index()].parent;
        }
        scope.extend(expressions.variables.iter().rev().cloned());
        scope
    };
    let subtree = |id: ItemId| -> Vec<ItemId> {
        let mut out = vec![id];
        let mut i = 0;
        while i < out.len() {
            out.extend(items[out[i].index()].children.iter().copied());
            i += 1;
        }
        out
    };
    let reads_of = |e: &Expression, own: Option<ItemId>, scope: &[(String, Expression)]| -> Option<Vec<ItemId>> {
        let mut reads = Vec::new();
        let mut seen_variables = Vec::new();
        let mut pending: Vec<(Expression, usize)> = vec![(e.clone(), 0)];
        while let Some((x, depth)) = pending.pop() {
            if depth > 50 {
                return None;
            }
            // A named item is read with what is below it, unless the expression names
            // something below it too: then it is a step on the way there.
            let named: Vec<ItemId> = items.iter().filter(|i| x.linked.contains(&i.link_id)).map(|i| i.id).collect();
            for &item in &named {
                let below = subtree(item);
                if named.iter().any(|n| *n != item && below.contains(n)) {
                    reads.push(item);
                } else {
                    reads.extend(below);
                }
            }
            let mut reads_response = false;
            for v in &x.variables {
                match v.as_str() {
                    "resource" | "rootResource" => reads_response = true,
                    "context" => reads.extend(own.map(subtree).unwrap_or_default()),
                    name => {
                        if !seen_variables.iter().any(|s: &String| s == name) {
                            seen_variables.push(name.to_owned());
                            if let Some((_, var)) = scope.iter().find(|(n, _)| n == name) {
                                pending.push((var.clone(), depth + 1));
                            }
                        }
                    }
                }
            }
            if reads_response && x.linked.is_empty() {
                return None;
            }
        }
        reads.sort();
        reads.dedup();
        Some(reads)
    };
    let root_scope = scope_of(None, expressions);
    let mut root_variables = expressions.variables.clone();
    for (_, e) in &mut root_variables {
        e.reads = reads_of(e, None, &root_scope);
    }
    expressions.variables = root_variables;
    for index in 0..expressions.items.len() {
        let own = ItemId(index as u32);
        let scope = scope_of(Some(own), expressions);
        let mut x = expressions.items[index].clone();
        for e in x.all_mut() {
            e.reads = reads_of(e, Some(own), &scope);
        }
        expressions.items[index] = x;
    }
    // Loops between calculated items: a calculated item that reads, through others, itself.
    let mut reported: Vec<ItemId> = Vec::new();
    for index in 0..expressions.items.len() {
        let start = ItemId(index as u32);
        let Some(calc) = &expressions.items[index].calculated else { continue };
        if reported.contains(&start) {
            continue; // one loop, said once
        }
        let mut stack: Vec<(ItemId, Vec<ItemId>)> =
            calc.reads.iter().flatten().map(|r| (*r, vec![start, *r])).collect();
        let mut visited = Vec::new();
        while let Some((at, chain)) = stack.pop() {
            if at == start {
                let names: Vec<&str> = chain.iter().map(|i| items[i.index()].link_id.as_str()).collect();
                d.error(&calc.path, format!("calculated items read each other in a loop: {}", names.join(" → ")));
                reported.extend(chain);
                break;
            }
            if visited.contains(&at) {
                continue;
            }
            visited.push(at);
            if let Some(next) = expressions.items.get(at.index()).and_then(|x| x.calculated.as_ref()) {
                for r in next.reads.iter().flatten() {
                    let mut c = chain.clone();
                    c.push(*r);
                    stack.push((*r, c));
                }
            }
        }
    }
}

/// What the caller knows about the launch: `%patient`, `%user`, `%encounter`, by name.
pub type LaunchContext = BTreeMap<String, Value>;

/// A variable in scope, evaluated when first used (most expressions need few of the
/// variables around them, and a change re-evaluates only what it reaches).
struct Binding<'a> {
    name: &'a str,
    expression: &'a Expression,
    context: Collection<'a>,
    value: OnceCell<Collection<'a>>,
}

/// The environment of one expression: the bindings before it are visible.
struct Scope<'r, 'a> {
    run: &'r Run<'a>,
    bindings: &'r [Binding<'a>],
    context: Collection<'a>,
}

impl<'a> Environment<'a> for Scope<'_, 'a> {
    fn variable(&self, name: &str) -> Option<Collection<'a>> {
        if let Some(j) = self.bindings.iter().rposition(|b| b.name == name) {
            let b = &self.bindings[j];
            let value = b.value.get_or_init(|| {
                let inner = Scope { run: self.run, bindings: &self.bindings[..j], context: b.context.clone() };
                self.run.eval(b.expression, &inner).unwrap_or_default()
            });
            return Some(value.clone());
        }
        match name {
            "resource" | "rootResource" => Some(vec![Fp::Node(self.run.view, None)]),
            "questionnaire" => Some(self.run.source.map(|q| Fp::Node(q, None)).into_iter().collect()),
            "context" => Some(self.context.clone()),
            _ => self.run.launch.get(name).map(|v| vec![Fp::Node(v, None)]),
        }
    }

    fn today(&self) -> Option<String> {
        self.run.today.map(|d| d.to_string())
    }

    fn now(&self) -> Option<String> {
        None
    }
}

/// A result as the item's answers, when it fits the item's type.
pub(crate) fn as_answers(item: &Item, result: &Collection) -> Vec<AnswerValue> {
    let mut out = Vec::new();
    for r in result {
        let value = match (item.kind, r) {
            (ItemType::Decimal, x) => x.as_number().map(AnswerValue::Decimal),
            (ItemType::Integer, Fp::Integer(i)) => Some(AnswerValue::Integer(*i)),
            (ItemType::Integer, Fp::Decimal(d)) if d.fract() == 0.0 => Some(AnswerValue::Integer(*d as i64)),
            (ItemType::Boolean, Fp::Bool(b)) => Some(AnswerValue::Boolean(*b)),
            (ItemType::String | ItemType::Text | ItemType::Url, x) if !matches!(x, Fp::Node(..)) => {
                x.to_text().map(AnswerValue::String)
            }
            (ItemType::Date, Fp::Date(d) | Fp::DateTime(d) | Fp::String(d)) => {
                FhirDate::parse(d.split('T').next().unwrap_or_default()).map(AnswerValue::Date)
            }
            (ItemType::Quantity, x) => x.as_quantity().map(|(v, u)| {
                AnswerValue::Quantity(Quantity {
                    value: Some(v),
                    unit: Some(u.to_string()),
                    system: Some("http://unitsofmeasure.org".into()),
                    code: Some(u.to_string()),
                    ..Quantity::default()
                })
            }),
            (ItemType::Choice | ItemType::OpenChoice, Fp::Node(json, _)) if json.get("code").is_some() => {
                coding(json).map(AnswerValue::Coding)
            }
            // Text names an option by its code or its words (FHIR's `female` is the option
            // "Female"); a choice takes nothing else, an open choice takes the text itself.
            (ItemType::Choice | ItemType::OpenChoice, x) => x.to_text().and_then(|t| {
                let named = item.answer_options.iter().map(|o| &o.value).find(|v| match v {
                    AnswerValue::Coding(c) => {
                        c.code.as_deref() == Some(t.as_str())
                            || c.display.as_deref().is_some_and(|d| d.eq_ignore_ascii_case(&t))
                    }
                    other => other.label() == t,
                });
                match named {
                    Some(v) => Some(v.clone()),
                    None if item.kind == ItemType::OpenChoice => Some(AnswerValue::String(t)),
                    None => None,
                }
            }),
            _ => None,
        };
        out.extend(value);
        if !item.repeats {
            break;
        }
    }
    out
}

fn coding(json: &Value) -> Option<Coding> {
    let text = |k: &str| json.get(k).and_then(Value::as_str).map(str::to_owned);
    Some(Coding { system: text("system"), code: text("code"), display: text("display"), ..Coding::default() })
}

/// `answerExpression` results as options: codings, or plain values.
pub(crate) fn as_options(result: &Collection) -> Vec<AnswerValue> {
    result
        .iter()
        .filter_map(|r| match r {
            Fp::Node(json, _) if json.get("code").is_some() => coding(json).map(AnswerValue::Coding),
            Fp::Integer(i) => Some(AnswerValue::Integer(*i)),
            Fp::Date(d) => FhirDate::parse(d).map(AnswerValue::Date),
            other => other.to_text().map(AnswerValue::String),
        })
        .collect()
}

/// The response as expressions see it: every enabled instance (answered or not) with its
/// linkId and answers, items under a question's answer as R4 places them. Returns the JSON
/// pointer of each instance whose item has expressions (its `%context`), by node slot.
pub(crate) fn response_view(form: &FormState) -> (Value, Vec<Option<String>>) {
    struct View<'f> {
        form: &'f FormState,
        pointers: Vec<Option<String>>,
        path: String,
    }
    impl View<'_> {
        fn build(&mut self, id: NodeId) -> Option<Value> {
            let form = self.form;
            if !form.evaluate().is_enabled(id) {
                return None;
            }
            let node = form.node(id)?;
            let q = form.questionnaire();
            let item = q.item(node.item);
            if q.expressions.of(node.item).is_some() {
                let slot = id.0 as usize;
                if self.pointers.len() <= slot {
                    self.pointers.resize(slot + 1, None);
                }
                self.pointers[slot] = Some(self.path.clone());
            }
            let mut out = Map::new();
            out.insert("linkId".into(), Value::String(item.link_id.clone()));
            let under_answer = item.kind != ItemType::Group && !node.answers.is_empty();
            let base = self.path.len();
            self.path.push_str(if under_answer { "/answer/0/item/" } else { "/item/" });
            let mut children = Vec::new();
            for &c in &node.children {
                let mark = self.path.len();
                self.path.push_str(&children.len().to_string());
                if let Some(v) = self.build(c) {
                    children.push(v);
                }
                self.path.truncate(mark);
            }
            self.path.truncate(base);
            if !node.answers.is_empty() {
                out.insert("answer".into(), Value::Array(answers_with_items(&node.answers, children)));
            } else if !children.is_empty() {
                out.insert("item".into(), Value::Array(children));
            }
            Some(Value::Object(out))
        }
    }
    let mut view = View { form, pointers: Vec::new(), path: String::from("/item/") };
    let mut items = Vec::new();
    for &root in form.roots() {
        view.path.truncate("/item/".len());
        view.path.push_str(&items.len().to_string());
        if let Some(v) = view.build(root) {
            items.push(v);
        }
    }
    let mut response = Map::new();
    response.insert("resourceType".into(), Value::String("QuestionnaireResponse".into()));
    response.insert("item".into(), Value::Array(items));
    (Value::Object(response), view.pointers)
}

/// What the expressions last gave for a filling.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Computed {
    /// Instances an `enableWhenExpression` switched off.
    pub disabled: HashSet<NodeId>,
    /// Dynamic text (`cqf-expression` on text), by instance.
    pub text: HashMap<NodeId, String>,
    /// Options from `answerExpression`, by instance.
    pub options: HashMap<NodeId, Vec<AnswerValue>>,
    /// Expressions that could not be evaluated, by path, and why (their result is empty).
    pub problems: BTreeMap<String, String>,
}

/// One evaluation of the expressions a change reaches.
#[derive(Default)]
pub(crate) struct Outcome {
    pub enabled: Vec<(NodeId, bool)>,
    pub calculated: Vec<(NodeId, Vec<AnswerValue>)>,
    pub initial: Vec<(NodeId, Vec<AnswerValue>)>,
    pub text: Vec<(NodeId, Option<String>)>,
    pub options: Vec<(NodeId, Vec<AnswerValue>)>,
    /// Every expression evaluated, by path, with its problem if it had one.
    pub evaluated: Vec<(String, Option<String>)>,
}

impl Computed {
    /// Takes in what an evaluation found; what it did not evaluate stays as it was.
    /// Returns the instances whose enablement changed, and those whose text or options did.
    pub(crate) fn merge(&mut self, outcome: &mut Outcome) -> (Vec<NodeId>, Vec<NodeId>) {
        let mut switched = Vec::new();
        let mut redrawn = Vec::new();
        for &(node, on) in &outcome.enabled {
            let changed = if on { self.disabled.remove(&node) } else { self.disabled.insert(node) };
            if changed {
                switched.push(node);
            }
        }
        for (node, text) in outcome.text.drain(..) {
            let unchanged = match text {
                Some(t) => self.text.insert(node, t.clone()).filter(|b| *b == t).is_some(),
                None => self.text.remove(&node).is_none(),
            };
            if !unchanged {
                redrawn.push(node);
            }
        }
        for (node, options) in outcome.options.drain(..) {
            if self.options.get(&node) != Some(&options) {
                self.options.insert(node, options);
                redrawn.push(node);
            }
        }
        for (path, problem) in outcome.evaluated.drain(..) {
            match problem {
                Some(p) => self.problems.insert(path, p),
                None => self.problems.remove(&path),
            };
        }
        (switched, redrawn)
    }
}

struct Run<'a> {
    view: &'a Value,
    source: Option<&'a Value>,
    launch: &'a LaunchContext,
    today: Option<FhirDate>,
    evaluated: RefCell<Vec<(String, Option<String>)>>,
}

impl<'a> Run<'a> {
    fn eval(&self, e: &'a Expression, scope: &Scope<'_, 'a>) -> Option<Collection<'a>> {
        let result = fhirpath::evaluate(&e.parsed, scope.context.clone(), scope);
        let problem = result.as_ref().err().map(|err| err.0.clone());
        self.evaluated.borrow_mut().push((e.path.clone(), problem));
        result.ok()
    }
}

/// Which expressions to evaluate: every one, or those that read what changed.
#[derive(Clone, Copy)]
pub(crate) enum Reach<'c> {
    All,
    Items(&'c [ItemId]),
}

impl Reach<'_> {
    fn reaches(&self, e: &Expression) -> bool {
        match (self, &e.reads) {
            (Reach::All, _) | (_, None) => true,
            (Reach::Items(changed), Some(reads)) => changed.iter().any(|c| reads.binary_search(c).is_ok()),
        }
    }
}

struct Walk<'r, 'a> {
    run: &'r Run<'a>,
    form: &'a FormState,
    pointers: &'r [Option<String>],
    reach: Reach<'r>,
    want_initial: bool,
    out: Outcome,
}

impl<'r, 'a> Walk<'r, 'a> {
    fn visit(&mut self, id: NodeId, bindings: &mut Vec<Binding<'a>>) {
        let form = self.form;
        let Some(node) = form.node(id) else { return };
        let q: &'a Questionnaire = form.questionnaire();
        let item = q.item(node.item);
        let before = bindings.len();
        let context: Collection<'a> = self
            .pointers
            .get(id.0 as usize)
            .and_then(|p| p.as_deref())
            .and_then(|p| self.run.view.pointer(p))
            .map(|v| vec![Fp::Node(v, None)])
            .unwrap_or_default();
        if let Some(x) = q.expressions.of(node.item) {
            for (name, e) in &x.variables {
                bindings.push(Binding { name, expression: e, context: context.clone(), value: OnceCell::new() });
            }
            let reach = self.reach;
            let scope = Scope { run: self.run, bindings, context: context.clone() };
            if let Some(e) = x.enable_when.as_ref().filter(|e| reach.reaches(e)) {
                // An expression that fails leaves the item shown: nothing is hidden by an error.
                let on = self.run.eval(e, &scope).map(|r| fhirpath::as_bool(&r).ok().flatten() == Some(true));
                self.out.enabled.push((id, on != Some(false)));
            }
            if let Some(e) = x.calculated.as_ref().filter(|e| reach.reaches(e)) {
                if form.evaluate().is_enabled(id) {
                    if let Some(r) = self.run.eval(e, &scope) {
                        self.out.calculated.push((id, as_answers(item, &r)));
                    }
                }
            }
            if let Some(e) = x.initial.as_ref().filter(|_| self.want_initial && node.answers.is_empty()) {
                if let Some(r) = self.run.eval(e, &scope) {
                    let values = as_answers(item, &r);
                    if !values.is_empty() {
                        self.out.initial.push((id, values));
                    }
                }
            }
            if let Some(e) = x.answer_options.as_ref().filter(|e| reach.reaches(e)) {
                let options = self.run.eval(e, &scope).map(|r| as_options(&r)).unwrap_or_default();
                self.out.options.push((id, options));
            }
            if !x.option_toggles.is_empty() && x.option_toggles.iter().any(|(_, e)| reach.reaches(e)) {
                // Every option the template lists, less those whose toggle does not hold.
                let mut offered: Vec<AnswerValue> = item.answer_options.iter().map(|o| o.value.clone()).collect();
                for (options, e) in &x.option_toggles {
                    let on =
                        self.run.eval(e, &scope).is_some_and(|r| fhirpath::as_bool(&r).ok().flatten() == Some(true));
                    if !on {
                        offered.retain(|v| !options.iter().any(|o| o.matches(v)));
                    }
                }
                self.out.options.push((id, offered));
            }
            if let Some(e) = x.text.as_ref().filter(|e| reach.reaches(e)) {
                let text = self.run.eval(e, &scope).and_then(|r| r.first().and_then(Fp::to_text));
                self.out.text.push((id, text));
            }
        }
        for &child in &node.children {
            self.visit(child, bindings);
        }
        bindings.truncate(before);
    }
}

/// Evaluates the expressions a change reaches against the filling: enablement, calculated
/// values, dynamic texts and option lists, and (when asked) the initial values of empty
/// questions.
pub(crate) fn evaluate(
    form: &FormState,
    launch: &LaunchContext,
    today: Option<FhirDate>,
    reach: Reach,
    want_initial: bool,
) -> Outcome {
    let (view, pointers) = response_view(form);
    let q = form.questionnaire();
    let run = Run {
        view: &view,
        source: q.expressions.source.as_deref(),
        launch,
        today,
        evaluated: RefCell::new(Vec::new()),
    };
    let mut walk = Walk { run: &run, form, pointers: &pointers, reach, want_initial, out: Outcome::default() };
    let root: Collection = vec![Fp::Node(&view, None)];
    let mut bindings: Vec<Binding> = q
        .expressions
        .variables
        .iter()
        .map(|(name, e)| Binding { name, expression: e, context: root.clone(), value: OnceCell::new() })
        .collect();
    for &r in form.roots() {
        walk.visit(r, &mut bindings);
    }
    drop(bindings);
    let mut out = walk.out;
    out.evaluated = run.evaluated.into_inner();
    out
}
