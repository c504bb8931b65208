//! Form state: the answers of one filling of a template, keyed by item *instance*, and the
//! evaluation (what is enabled, what is invalid, how complete) kept up to date as answers
//! change.
//!
//! Instances form a tree that mirrors the template: every item has one instance under
//! each instance of its parent, except repeating groups, which have as many as the person
//! adds. A repeating *question* is one instance with several answers, as in a FHIR
//! QuestionnaireResponse.
//!
//! Re-evaluation is incremental. The template's enableWhen edges are indexed once at load
//! ([`Questionnaire::dependents_of`]); after a change, only the instances whose
//! conditions name the changed question are re-checked, and the change travels further
//! only where an instance actually switched between enabled and disabled (a disabled
//! question counts as unanswered for the conditions that name it).

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;

use crate::form::answer::AnswerValue;
use crate::form::datatypes::{Coding, FhirDate};
use crate::form::expressions::{self, Computed, LaunchContext, Reach};
use crate::form::input::{parse_input, NotAValue};
use crate::form::questionnaire::{AnswerOption, EnableBehavior, EnableWhen, Item, ItemId, ItemType, Operator, Questionnaire};
use crate::form::validation::{check_group, check_question, Issue, QuestionFacts};

/// What a launch context filled in (`initialExpression`), and what it could not, with why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prepopulation {
    /// linkIds filled.
    pub filled: Vec<String>,
    /// linkIds left empty, and why.
    pub not_filled: Vec<(String, String)>,
}

/// One instance of an item in a filled form. Ids are never reused, so a renderer can key
/// its widgets by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

impl NodeId {
    fn index(self) -> usize {
        self.0 as usize
    }
}

/// One item instance and its answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: NodeId,
    pub item: ItemId,
    pub parent: Option<NodeId>,
    /// Child instances, in template order; a repeating group's instances side by side.
    pub children: Vec<NodeId>,
    pub answers: Vec<AnswerValue>,
    /// What was last typed into a free-entry field, kept so that text which is not (yet)
    /// a value stays on screen with its message instead of vanishing.
    pub typed: Option<String>,
    /// The typed text is not a value of the item's type.
    pub invalid_input: bool,
    /// The unit chosen for a quantity before or with its value.
    pub unit: Option<Coding>,
}

/// Something a person does to the form.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Replace the answers with one value (or none).
    SetAnswer { node: NodeId, value: Option<AnswerValue> },
    /// Replace the answers with several values (a multi-select).
    SetAnswers { node: NodeId, values: Vec<AnswerValue> },
    /// Typed text, read as the item's type; text that is not a value is kept with an issue.
    SetInput { node: NodeId, text: String },
    /// The unit of a quantity.
    SetUnit { node: NodeId, unit: Coding },
    /// Remove every answer.
    Clear { node: NodeId },
    /// Add an instance of a repeating group after its last one, under `parent`
    /// (`None` for a top-level group).
    AddInstance { parent: Option<NodeId>, item: ItemId },
    /// Remove an instance of a repeating group.
    RemoveInstance { node: NodeId },
}

/// Why an action was refused. The form is unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionError {
    /// No such instance (it was removed, or never existed).
    UnknownNode(NodeId),
    /// The item is read-only.
    ReadOnly(String),
    /// Groups and display items take no answers.
    NotAQuestion(String),
    /// The value does not fit the item's type.
    WrongType { link_id: String, expected: ItemType },
    /// Several answers for an item that does not repeat.
    DoesNotRepeat(String),
    /// Only repeating groups have instances to add and remove.
    NotARepeatingGroup(String),
    /// The group already has maxOccurs instances.
    MaxOccurs { link_id: String, max: u32 },
    /// The group has only minOccurs instances (at least one is always kept).
    MinOccurs { link_id: String, min: u32 },
    /// `AddInstance` named a parent that is not an instance of the item's parent.
    WrongParent(String),
}

impl std::fmt::Display for ActionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ActionError::UnknownNode(n) => write!(f, "no item instance {}", n.0),
            ActionError::ReadOnly(l) => write!(f, "\"{l}\" is read-only"),
            ActionError::NotAQuestion(l) => write!(f, "\"{l}\" is not a question"),
            ActionError::WrongType { link_id, expected } => {
                write!(f, "\"{link_id}\" takes {} answer", expected.with_article())
            }
            ActionError::DoesNotRepeat(l) => write!(f, "\"{l}\" takes one answer"),
            ActionError::NotARepeatingGroup(l) => write!(f, "\"{l}\" is not a repeating group"),
            ActionError::MaxOccurs { link_id, max } => write!(f, "\"{link_id}\" allows at most {max}"),
            ActionError::MinOccurs { link_id, min } => write!(f, "\"{link_id}\" needs at least {min}"),
            ActionError::WrongParent(l) => write!(f, "\"{l}\" cannot be added there"),
        }
    }
}

impl std::error::Error for ActionError {}

/// How far the form is from complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Completeness {
    /// Enabled required questions.
    pub required: usize,
    /// Of those, how many have an answer.
    pub answered: usize,
    /// Validation issues in enabled items.
    pub issues: usize,
}

impl Completeness {
    /// Nothing required is missing and nothing is invalid.
    pub fn is_complete(&self) -> bool {
        self.answered == self.required && self.issues == 0
    }
}

/// What evaluating the form gives: enabled instances, issues and completeness. A view
/// of the state, always current.
#[derive(Debug, Clone, Copy)]
pub struct Evaluation<'a> {
    form: &'a FormState,
}

impl<'a> Evaluation<'a> {
    /// Whether the instance is enabled (its conditions hold, and its parent's).
    pub fn is_enabled(&self, node: NodeId) -> bool {
        self.form.enabled.get(node.index()).copied().unwrap_or(false)
    }

    /// The issues of one instance (none when it is disabled).
    pub fn issues_of(&self, node: NodeId) -> &'a [Issue] {
        self.form.issues.get(node.index()).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every issue, in the order the form shows its items (for an error summary).
    pub fn issues(&self) -> Vec<(NodeId, &'a Issue)> {
        let mut out = Vec::new();
        self.form.walk(&mut |node| {
            out.extend(self.issues_of(node.id).iter().map(|i| (node.id, i)));
        });
        out
    }

    /// Required answers given, and issues outstanding.
    pub fn completeness(&self) -> Completeness {
        self.form.completeness
    }
}

/// The answers of one filling of a template, and their evaluation.
#[derive(Debug, Clone)]
pub struct FormState {
    questionnaire: Arc<Questionnaire>,
    nodes: Vec<Option<Node>>,
    roots: Vec<NodeId>,
    /// Live instances of each item.
    by_item: Vec<Vec<NodeId>>,
    // Evaluation, per node slot.
    own_enabled: Vec<bool>,
    enabled: Vec<bool>,
    issues: Vec<Vec<Issue>>,
    /// Enabled questions with answers in each node's subtree, the node excluded: a
    /// required group asks this.
    answered_below: Vec<u32>,
    contributes: Vec<bool>,
    counted_required: Vec<Option<bool>>,
    completeness: Completeness,
    /// Today, as the device says: the engine reads no clock, so it is told (a date of
    /// birth cannot be after it).
    today: Option<FhirDate>,
    /// What the template's expressions last gave (form/expressions).
    computed: Computed,
    /// The launch context the caller gave (`%patient`, `%user`, `%encounter`).
    launch: Arc<LaunchContext>,
    /// What it filled in.
    prepopulation: Prepopulation,
    /// Per node slot: when what the instance shows last changed (its answers, typed
    /// text, enablement, issues, computed text and options, its children, whether it can
    /// be removed), and when anything in its subtree did; times of `clock`. A view that
    /// keeps what it drew with these redraws only what changed.
    revisions: Vec<(u64, u64)>,
    clock: u64,
}

impl FormState {
    /// A new, empty filling: one instance of every item (`minOccurs` of a repeating
    /// group), initial values and initially selected options filled in.
    pub fn new(questionnaire: Arc<Questionnaire>) -> FormState {
        let mut form = FormState::without_answers(questionnaire);
        for root in form.roots.clone() {
            form.fill_initial(root);
        }
        form.reevaluate_all();
        form.fill_initial_expressions();
        form
    }

    /// Gives the form its launch context (`%patient`, `%user`, `%encounter`: FHIR
    /// resources by name) and fills the questions an `initialExpression` can now answer
    /// that are still empty. Says what was filled and what could not be, and why.
    pub fn set_launch_context(&mut self, launch: LaunchContext) -> Prepopulation {
        self.launch = Arc::new(launch);
        let report = self.fill_initial_expressions();
        // Sources add up: what the tablet knew, then the Patient read, then the searches.
        self.add_prepopulation(&report);
        report
    }

    /// Fills empty questions from their `initialExpression`s.
    fn fill_initial_expressions(&mut self) -> Prepopulation {
        let q = self.questionnaire.clone();
        if !q.expressions.items.iter().any(|x| x.initial.is_some()) {
            return Prepopulation::default();
        }
        let outcome = expressions::evaluate(self, &self.launch, self.today, Reach::All, true);
        let mut report = Prepopulation::default();
        for (node, values) in outcome.initial {
            if let Some(item) = self.node(node).map(|n| q.item(n.item).link_id.clone()) {
                report.filled.push(item);
            }
            self.set_loaded_answers(node, values);
        }
        let problems: std::collections::HashMap<&str, &str> =
            outcome.evaluated.iter().filter_map(|(p, why)| Some((p.as_str(), why.as_deref()?))).collect();
        for (index, x) in q.expressions.items.iter().enumerate() {
            let Some(e) = &x.initial else { continue };
            let link_id = &q.items()[index].link_id;
            // Answered already (by an earlier source, or by hand): nothing to say.
            let answered = self.by_item[index].iter().any(|n| self.node(*n).is_some_and(|n| !n.answers.is_empty()));
            if !answered && !report.filled.contains(link_id) && !report.not_filled.iter().any(|(l, _)| l == link_id) {
                let why = problems.get(e.path.as_str()).map(|m| m.to_string());
                report
                    .not_filled
                    .push((link_id.clone(), why.unwrap_or_else(|| "the record has no value for it".into())));
            }
        }
        self.reevaluate_all();
        report
    }

    /// Re-evaluates the template's expressions that a change reaches, until nothing more
    /// changes: enableWhenExpression switches, calculated values, dynamic text and answer
    /// lists. `changed` is the item whose answers changed (`None`: evaluate everything).
    fn run_expressions(&mut self, changed: Option<ItemId>) {
        let q = self.questionnaire.clone();
        if q.expressions.is_empty() {
            return;
        }
        // What the change reaches: the item, and what its enableWhen conditions switch.
        let mut reached: Option<Vec<ItemId>> = changed.map(|c| self.reached_by(&[c]));
        // Calculated items that feed each other settle in as many passes as the longest
        // chain; loops cannot load, and the bound stops anything else.
        let passes = 2 + q.expressions.items.iter().filter(|x| x.calculated.is_some()).count().min(50);
        for _ in 0..passes {
            if reached.as_ref().is_some_and(|r| !r.iter().any(|i| q.expressions.read_by_any(*i))) {
                return;
            }
            let reach = match &reached {
                Some(items) => Reach::Items(items),
                None => Reach::All,
            };
            let mut outcome = expressions::evaluate(self, &self.launch, self.today, reach, false);
            let (switched, redrawn) = self.computed.merge(&mut outcome);
            for node in redrawn {
                self.touch(node);
            }
            let mut moved: Vec<ItemId> = switched.iter().filter_map(|n| self.node(*n).map(|n| n.item)).collect();
            if !switched.is_empty() {
                self.settle(switched.into_iter().collect());
            }
            for (node, values) in outcome.calculated {
                if self.node(node).is_some_and(|n| n.answers != values) {
                    moved.extend(self.node(node).map(|n| n.item));
                    self.replace_answers(node, values, None, false);
                }
            }
            if moved.is_empty() {
                break;
            }
            reached = Some(self.reached_by(&moved));
        }
    }

    /// The items a change to these items' answers or enablement can alter as expressions
    /// see them: the items, what their enableWhen conditions switch, and everything below.
    fn reached_by(&self, items: &[ItemId]) -> Vec<ItemId> {
        let q = &self.questionnaire;
        let mut out: Vec<ItemId> = items.to_vec();
        let mut i = 0;
        while i < out.len() {
            let item = out[i];
            for &d in q.dependents_of(item).iter().chain(&q.item(item).children) {
                if !out.contains(&d) {
                    out.push(d);
                }
            }
            i += 1;
        }
        out.sort();
        out
    }

    /// What the template's expressions give: dynamic text, answer lists, and the
    /// expressions that could not be evaluated.
    pub fn computed(&self) -> &Computed {
        &self.computed
    }

    /// The dynamic text of an instance, when its template gives one.
    pub fn text_of(&self, node: NodeId) -> Option<&str> {
        self.computed.text.get(&node).map(String::as_str)
    }

    /// An instance's item as a person should see it now: its dynamic text and the options
    /// its `answerExpression` gives, where the template has them; otherwise the item.
    pub fn item_as_shown(&self, node: NodeId) -> Option<Cow<'_, Item>> {
        let item = self.questionnaire.item(self.node(node)?.item);
        let (text, options) = (self.computed.text.get(&node), self.computed.options.get(&node));
        if text.is_none() && options.is_none() {
            return Some(Cow::Borrowed(item));
        }
        let mut shown = item.clone();
        if let Some(t) = text {
            shown.text = Some(t.clone());
            shown.rendered_text = None;
        }
        if let Some(options) = options {
            shown.answer_options =
                options.iter().map(|v| AnswerOption { value: v.clone(), initial_selected: false }).collect();
        }
        Some(Cow::Owned(shown))
    }

    /// What the launch context and the record's Observations filled in, and what they
    /// could not (and why).
    pub fn prepopulation(&self) -> &Prepopulation {
        &self.prepopulation
    }

    /// Adds what a later source (the record's Observations) filled to the report.
    pub(crate) fn add_prepopulation(&mut self, more: &Prepopulation) {
        for l in &more.filled {
            self.prepopulation.not_filled.retain(|(n, _)| n != l);
            if !self.prepopulation.filled.contains(l) {
                self.prepopulation.filled.push(l.clone());
            }
        }
        for (l, why) in &more.not_filled {
            if !self.prepopulation.filled.contains(l) && !self.prepopulation.not_filled.iter().any(|(n, _)| n == l) {
                self.prepopulation.not_filled.push((l.clone(), why.clone()));
            }
        }
    }

    /// The launch context the form was given.
    pub fn launch_context(&self) -> &LaunchContext {
        &self.launch
    }

    /// Today, as the caller said (`set_today`).
    pub fn today(&self) -> Option<FhirDate> {
        self.today
    }

    /// Tells the form what day it is, and checks its answers again against it.
    pub fn set_today(&mut self, today: FhirDate) {
        if self.today != Some(today) {
            self.today = Some(today);
            self.reevaluate_all();
        }
    }

    /// Puts the template's initial values into a subtree of new instances.
    fn fill_initial(&mut self, root: NodeId) {
        let q = self.questionnaire.clone();
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            let Some(n) = self.nodes[id.index()].as_mut() else { continue };
            n.answers = q.item(n.item).initial.clone();
            stack.extend(n.children.iter().copied());
        }
    }

    /// The instance tree with no answers at all, not even initial values, and not yet
    /// evaluated: the starting point for loading a saved response.
    pub(crate) fn without_answers(questionnaire: Arc<Questionnaire>) -> FormState {
        let item_count = questionnaire.items().len();
        let mut form = FormState {
            questionnaire: questionnaire.clone(),
            nodes: Vec::new(),
            roots: Vec::new(),
            by_item: vec![Vec::new(); item_count],
            own_enabled: Vec::new(),
            enabled: Vec::new(),
            issues: Vec::new(),
            answered_below: Vec::new(),
            contributes: Vec::new(),
            counted_required: Vec::new(),
            completeness: Completeness::default(),
            today: None,
            computed: Computed::default(),
            launch: Arc::new(LaunchContext::new()),
            prepopulation: Prepopulation::default(),
            revisions: Vec::new(),
            clock: 0,
        };
        for &root in &questionnaire.roots {
            for _ in 0..form.initial_instances(root) {
                let id = form.build(root, None);
                form.roots.push(id);
            }
        }
        form
    }

    fn initial_instances(&self, item: ItemId) -> u32 {
        let item = self.questionnaire.item(item);
        if item.repeats && item.kind == ItemType::Group {
            item.constraints.min_occurs.unwrap_or(1).max(1)
        } else {
            1
        }
    }

    /// Creates an instance of `item` and its subtree, unevaluated.
    fn build(&mut self, item: ItemId, parent: Option<NodeId>) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(Some(Node {
            id,
            item,
            parent,
            children: Vec::new(),
            answers: Vec::new(),
            typed: None,
            invalid_input: false,
            unit: None,
        }));
        self.own_enabled.push(false);
        self.enabled.push(false);
        self.issues.push(Vec::new());
        self.answered_below.push(0);
        self.contributes.push(false);
        self.counted_required.push(None);
        self.revisions.push((self.clock, self.clock));
        self.by_item[item.index()].push(id);
        let q = self.questionnaire.clone();
        let mut children = Vec::new();
        for &child in &q.item(item).children {
            for _ in 0..self.initial_instances(child) {
                children.push(self.build(child, Some(id)));
            }
        }
        if let Some(n) = self.nodes[id.index()].as_mut() {
            n.children = children;
        }
        id
    }

    /// The template being filled.
    pub fn questionnaire(&self) -> &Arc<Questionnaire> {
        &self.questionnaire
    }

    /// When what this instance shows last changed: equal revisions, the same view (its
    /// answers, typed text, enablement, issues, computed text and options, its list of
    /// children and whether it can be removed). 0 for an instance that is gone.
    pub fn revision(&self, node: NodeId) -> u64 {
        self.revisions.get(node.index()).filter(|_| self.node(node).is_some()).map_or(0, |r| r.0)
    }

    /// When anything in this instance's subtree, itself included, last changed.
    pub fn subtree_revision(&self, node: NodeId) -> u64 {
        self.revisions.get(node.index()).filter(|_| self.node(node).is_some()).map_or(0, |r| r.1)
    }

    /// When anything in the form last changed (the top-level list included).
    pub fn form_revision(&self) -> u64 {
        self.clock
    }

    /// An instance, if it exists.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.index()).and_then(Option::as_ref)
    }

    /// Top-level instances, in order.
    pub fn roots(&self) -> &[NodeId] {
        &self.roots
    }

    /// Every live instance, in creation order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().flatten()
    }

    /// The live instances of an item.
    pub fn instances_of(&self, item: ItemId) -> &[NodeId] {
        &self.by_item[item.index()]
    }

    /// The first instance of the item with this linkId (the only one outside repeating
    /// groups).
    pub fn node_by_link_id(&self, link_id: &str) -> Option<NodeId> {
        let item = self.questionnaire.item_by_link_id(link_id)?;
        self.by_item[item.id.index()].first().copied()
    }

    /// The enabled instance of the item whose `definition` ends with an element path
    /// (`Consent.provision.type`): how definition-based extraction finds its answers.
    pub fn node_by_definition(&self, element: &str) -> Option<&Node> {
        let evaluation = self.evaluate();
        self.nodes().find(|n| {
            evaluation.is_enabled(n.id)
                && self.questionnaire.item(n.item).definition.as_deref().is_some_and(|d| d.ends_with(element))
        })
    }

    /// The evaluation: what is enabled, each issue, completeness.
    pub fn evaluate(&self) -> Evaluation<'_> {
        Evaluation { form: self }
    }

    /// Visits live instances depth-first in template order.
    pub fn walk(&self, visit: &mut dyn FnMut(&Node)) {
        let mut stack: Vec<NodeId> = self.roots.iter().rev().copied().collect();
        while let Some(id) = stack.pop() {
            if let Some(node) = self.node(id) {
                visit(node);
                stack.extend(node.children.iter().rev());
            }
        }
    }

    /// Carries out an action and brings the evaluation up to date.
    pub fn apply(&mut self, action: Action) -> Result<Option<NodeId>, ActionError> {
        let changed = match &action {
            Action::SetAnswer { node, .. }
            | Action::SetAnswers { node, .. }
            | Action::SetInput { node, .. }
            | Action::SetUnit { node, .. }
            | Action::Clear { node } => self.node(*node).map(|n| n.item),
            Action::AddInstance { .. } | Action::RemoveInstance { .. } => None,
        };
        let result = self.apply_action(action);
        if result.is_ok() {
            self.run_expressions(changed);
        }
        result
    }

    fn apply_action(&mut self, action: Action) -> Result<Option<NodeId>, ActionError> {
        match action {
            Action::SetAnswer { node, value } => {
                self.check_answerable(node)?;
                let values: Vec<AnswerValue> = value.into_iter().collect();
                self.check_values(node, &values)?;
                self.replace_answers(node, values, None, false);
                Ok(None)
            }
            Action::SetAnswers { node, values } => {
                self.check_answerable(node)?;
                self.check_values(node, &values)?;
                self.replace_answers(node, values, None, false);
                Ok(None)
            }
            Action::Clear { node } => {
                self.check_answerable(node)?;
                self.replace_answers(node, Vec::new(), None, false);
                Ok(None)
            }
            Action::SetInput { node, text } => {
                self.check_answerable(node)?;
                let n = self.node(node).ok_or(ActionError::UnknownNode(node))?;
                let item = self.questionnaire.item(n.item);
                match parse_input(item, &text, n.unit.as_ref()) {
                    Ok(value) => {
                        let values: Vec<AnswerValue> = value.into_iter().collect();
                        self.replace_answers(node, values, Some(text), false)
                    }
                    Err(NotAValue) => self.replace_answers(node, Vec::new(), Some(text), true),
                }
                Ok(None)
            }
            Action::SetUnit { node, unit } => {
                self.check_answerable(node)?;
                let n = self.nodes[node.index()].as_mut().ok_or(ActionError::UnknownNode(node))?;
                n.unit = Some(unit.clone());
                let typed = n.typed.clone();
                let mut values = n.answers.clone();
                for v in &mut values {
                    if let AnswerValue::Quantity(q) = v {
                        q.unit = Some(unit.label().to_owned());
                        q.system = unit.system.clone();
                        q.code = unit.code.clone();
                    }
                }
                let invalid = n.invalid_input;
                self.replace_answers(node, values, typed, invalid);
                Ok(None)
            }
            Action::AddInstance { parent, item } => self.add_instance(parent, item).map(Some),
            Action::RemoveInstance { node } => self.remove_instance(node).map(|_| None),
        }
    }

    fn check_answerable(&self, node: NodeId) -> Result<(), ActionError> {
        let n = self.node(node).ok_or(ActionError::UnknownNode(node))?;
        let item = self.questionnaire.item(n.item);
        if !item.is_question() {
            return Err(ActionError::NotAQuestion(item.link_id.clone()));
        }
        if item.read_only {
            return Err(ActionError::ReadOnly(item.link_id.clone()));
        }
        Ok(())
    }

    fn check_values(&self, node: NodeId, values: &[AnswerValue]) -> Result<(), ActionError> {
        let item = self
            .questionnaire
            .item(self.nodes[node.index()].as_ref().map(|n| n.item).ok_or(ActionError::UnknownNode(node))?);
        if values.len() > 1 && !item.repeats {
            return Err(ActionError::DoesNotRepeat(item.link_id.clone()));
        }
        if values.iter().any(|v| !item.kind.accepts(v.kind())) {
            return Err(ActionError::WrongType { link_id: item.link_id.clone(), expected: item.kind });
        }
        Ok(())
    }

    /// Sets a node's answers directly (loading a response), without the read-only check.
    pub(crate) fn set_loaded_answers(&mut self, node: NodeId, answers: Vec<AnswerValue>) {
        if let Some(n) = self.nodes[node.index()].as_mut() {
            n.answers = answers;
            self.touch(node);
        }
    }

    fn replace_answers(&mut self, node: NodeId, values: Vec<AnswerValue>, typed: Option<String>, invalid: bool) {
        let Some(n) = self.nodes[node.index()].as_mut() else { return };
        let answers_changed = n.answers != values;
        n.answers = values;
        n.typed = typed;
        n.invalid_input = invalid;
        self.refresh(node);
        if answers_changed && self.enabled[node.index()] {
            let mut queue = VecDeque::new();
            self.queue_dependents(node, &mut queue);
            self.settle(queue);
        }
    }

    fn add_instance(&mut self, parent: Option<NodeId>, item_id: ItemId) -> Result<NodeId, ActionError> {
        let item = self.questionnaire.item(item_id);
        if !(item.repeats && item.kind == ItemType::Group) {
            return Err(ActionError::NotARepeatingGroup(item.link_id.clone()));
        }
        let parent_item =
            parent.map(|p| self.node(p).map(|n| n.item).ok_or(ActionError::UnknownNode(p))).transpose()?;
        if parent_item != item.parent {
            return Err(ActionError::WrongParent(item.link_id.clone()));
        }
        let siblings = self.siblings(parent, item_id);
        if let Some(max) = item.constraints.max_occurs.filter(|m| siblings.len() as u32 >= *m) {
            return Err(ActionError::MaxOccurs { link_id: item.link_id.clone(), max });
        }
        let id = self.build(item_id, parent);
        self.fill_initial(id);
        let insert_at = {
            let list = match parent {
                Some(p) => &self.nodes[p.index()].as_ref().map(|n| n.children.clone()).unwrap_or_default(),
                None => &self.roots.clone(),
            };
            let last = siblings.last().and_then(|s| list.iter().position(|c| c == s));
            last.map(|i| i + 1).unwrap_or(list.len())
        };
        match parent {
            Some(p) => {
                if let Some(n) = self.nodes[p.index()].as_mut() {
                    n.children.insert(insert_at, id);
                }
            }
            None => self.roots.insert(insert_at, id),
        }
        self.siblings_changed(parent, item_id, siblings.len() as u32, siblings.len() as u32 + 1);
        // Evaluate the new subtree: parents before children, then whatever its answers touch.
        let mut queue = VecDeque::new();
        let mut subtree = Vec::new();
        self.collect_subtree(id, &mut subtree);
        // Conditions may name questions later in the same instance: evaluate in the
        // template's dependency order, not document order.
        let q = self.questionnaire.clone();
        subtree.sort_by_key(|n| self.node(*n).map(|x| q.evaluation_rank(x.item)));
        for &n in &subtree {
            self.own_enabled[n.index()] = self.conditions_hold(n);
            let parent_enabled = self.node(n).and_then(|x| x.parent).is_none_or(|p| self.enabled[p.index()]);
            self.enabled[n.index()] = parent_enabled && self.own_enabled[n.index()];
        }
        for &n in &subtree {
            self.refresh(n);
            if self.enabled[n.index()] {
                self.queue_dependents(n, &mut queue);
            }
        }
        self.settle(queue);
        Ok(id)
    }

    fn remove_instance(&mut self, node: NodeId) -> Result<(), ActionError> {
        let n = self.node(node).ok_or(ActionError::UnknownNode(node))?;
        let (item_id, parent) = (n.item, n.parent);
        let item = self.questionnaire.item(item_id);
        if !(item.repeats && item.kind == ItemType::Group) {
            return Err(ActionError::NotARepeatingGroup(item.link_id.clone()));
        }
        let min = item.constraints.min_occurs.unwrap_or(1).max(1);
        if (self.siblings(parent, item_id).len() as u32) <= min {
            return Err(ActionError::MinOccurs { link_id: item.link_id.clone(), min });
        }
        let mut subtree = Vec::new();
        self.collect_subtree(node, &mut subtree);
        // Withdraw the subtree's answers from the conditions and counts that use them,
        // as if it were disabled, then forget it.
        let mut queue = VecDeque::new();
        for &n in subtree.iter().rev() {
            let was_enabled = self.enabled[n.index()];
            self.enabled[n.index()] = false;
            self.refresh(n);
            if was_enabled {
                self.queue_dependents(n, &mut queue);
            }
        }
        for &n in &subtree {
            if let Some(gone) = self.nodes[n.index()].take() {
                self.by_item[gone.item.index()].retain(|x| *x != n);
            }
        }
        match parent {
            Some(p) => {
                if let Some(pn) = self.nodes[p.index()].as_mut() {
                    pn.children.retain(|c| *c != node);
                }
            }
            None => self.roots.retain(|c| *c != node),
        }
        let left = self.siblings(parent, item_id).len() as u32;
        self.siblings_changed(parent, item_id, left + 1, left);
        self.settle(queue);
        Ok(())
    }

    /// After an instance of a repeating group came or went: its parent's list of
    /// children changed, and, when the count crossed the template's minimum, whether each
    /// instance can be removed (only then: adding the 100th touches no other).
    fn siblings_changed(&mut self, parent: Option<NodeId>, item: ItemId, before: u32, after: u32) {
        match parent {
            Some(p) => self.touch(p),
            None => self.clock += 1,
        }
        let min = self.questionnaire.item(item).constraints.min_occurs.unwrap_or(1).max(1);
        if (before > min) != (after > min) {
            for s in self.siblings(parent, item) {
                self.touch(s);
            }
        }
    }

    /// Instances of `item` directly under `parent`, in order.
    fn siblings(&self, parent: Option<NodeId>, item: ItemId) -> Vec<NodeId> {
        let list = match parent {
            Some(p) => self.node(p).map(|n| n.children.as_slice()).unwrap_or(&[]),
            None => &self.roots,
        };
        list.iter().copied().filter(|c| self.node(*c).is_some_and(|n| n.item == item)).collect()
    }

    fn collect_subtree(&self, root: NodeId, out: &mut Vec<NodeId>) {
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            if let Some(n) = self.node(id) {
                out.push(id);
                stack.extend(n.children.iter().rev());
            }
        }
    }

    /// Recomputes everything from scratch: enabled state in dependency order, then every
    /// instance's issues and counts. Used at start and after loading a response; the
    /// incremental path must always agree with it.
    pub fn reevaluate_all(&mut self) {
        let slots = self.nodes.len();
        self.own_enabled = vec![false; slots];
        self.enabled = vec![false; slots];
        self.issues = vec![Vec::new(); slots];
        self.answered_below = vec![0; slots];
        self.contributes = vec![false; slots];
        self.counted_required = vec![None; slots];
        self.completeness = Completeness::default();
        let q = self.questionnaire.clone();
        for &item in &q.evaluation_order {
            for node in self.by_item[item.index()].clone() {
                self.own_enabled[node.index()] = self.conditions_hold(node);
                let parent_enabled = self.node(node).and_then(|n| n.parent).is_none_or(|p| self.enabled[p.index()]);
                self.enabled[node.index()] = parent_enabled && self.own_enabled[node.index()];
            }
        }
        let all: Vec<NodeId> = self.nodes().map(|n| n.id).collect();
        for node in all {
            self.refresh(node);
        }
        self.run_expressions(None);
    }

    /// Re-checks the conditions of the queued instances and carries every switch between
    /// enabled and disabled down the subtree and on to the conditions that name it.
    /// Terminates because the loader rejects condition loops.
    fn settle(&mut self, mut queue: VecDeque<NodeId>) {
        while let Some(node) = queue.pop_front() {
            let Some(n) = self.node(node) else { continue };
            let parent_enabled = n.parent.is_none_or(|p| self.enabled[p.index()]);
            let own = self.conditions_hold(node);
            self.own_enabled[node.index()] = own;
            if (parent_enabled && own) != self.enabled[node.index()] {
                self.switch_subtree(node, &mut queue);
            }
        }
    }

    /// Brings a subtree's enabled flags in line with its parent's and its own conditions.
    fn switch_subtree(&mut self, root: NodeId, queue: &mut VecDeque<NodeId>) {
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            let Some(n) = self.node(id) else { continue };
            let parent_enabled = n.parent.is_none_or(|p| self.enabled[p.index()]);
            let now = parent_enabled && self.own_enabled[id.index()];
            if now == self.enabled[id.index()] && id != root {
                continue;
            }
            let children = n.children.clone();
            let answered = !n.answers.is_empty();
            self.enabled[id.index()] = now;
            self.refresh(id);
            if answered {
                self.queue_dependents(id, queue);
            }
            stack.extend(children);
        }
    }

    /// Queues the instances whose conditions could read this instance's answers.
    fn queue_dependents(&self, node: NodeId, queue: &mut VecDeque<NodeId>) {
        let Some(n) = self.node(node) else { return };
        for &dependent in self.questionnaire.dependents_of(n.item) {
            for target in self.related_instances(node, dependent) {
                queue.push_back(target);
            }
        }
    }

    /// The instances of `target` that are "the same filling" as `from`: those under the
    /// nearest instance of the items both sit in. Within one instance of a repeating
    /// group, a condition reads its own instance's answers; outside it, all instances.
    fn related_instances(&self, from: NodeId, target: ItemId) -> Vec<NodeId> {
        let Some(from_item) = self.node(from).map(|n| n.item) else { return Vec::new() };
        let q = &self.questionnaire;
        let from_chain = q.chain(from_item);
        let target_chain = q.chain(target);
        let common = from_chain.iter().zip(&target_chain).take_while(|(a, b)| a == b).count();
        // Climb from `from` to its instance of the deepest common item.
        let mut scope = None;
        if common > 0 {
            let common_item = from_chain[common - 1];
            let mut cursor = Some(from);
            while let Some(c) = cursor {
                let cn = self.node(c);
                if cn.map(|n| n.item) == Some(common_item) {
                    scope = Some(c);
                    break;
                }
                cursor = cn.and_then(|n| n.parent);
            }
            if common == target_chain.len() {
                return scope.into_iter().collect();
            }
        }
        self.descend(scope, &target_chain[common..])
    }

    /// Follows a chain of items down from an instance, collecting the instances of the
    /// last item. With no instance to start from, that is every instance of the item.
    fn descend(&self, scope: Option<NodeId>, chain: &[ItemId]) -> Vec<NodeId> {
        let Some(scope) = scope else {
            return chain.last().map(|item| self.by_item[item.index()].clone()).unwrap_or_default();
        };
        let mut current = vec![scope];
        for item in chain {
            current = current
                .iter()
                .filter_map(|c| self.node(*c))
                .flat_map(|n| n.children.iter().copied())
                .filter(|c| self.node(*c).is_some_and(|n| n.item == *item))
                .collect();
        }
        current
    }

    /// Whether an instance's own enableWhen conditions hold. Disabled questions count as
    /// unanswered.
    fn conditions_hold(&self, node: NodeId) -> bool {
        let Some(n) = self.node(node) else { return false };
        if self.computed.disabled.contains(&node) {
            return false;
        }
        let item = self.questionnaire.item(n.item);
        if item.enable_when.is_empty() {
            return true;
        }
        let holds = |c: &EnableWhen| {
            let answers: Vec<&AnswerValue> = self
                .related_instances(node, c.question_item)
                .into_iter()
                .filter(|s| self.enabled[s.index()])
                .filter_map(|s| self.node(s))
                .flat_map(|s| s.answers.iter())
                .collect();
            condition_holds(c, &answers)
        };
        match item.enable_behavior {
            EnableBehavior::All => item.enable_when.iter().all(holds),
            EnableBehavior::Any => item.enable_when.iter().any(holds),
        }
    }

    /// Recomputes one instance's issues, its place in the completeness counts, and its
    /// contribution to the "answered below" counts of its ancestors.
    fn refresh(&mut self, node: NodeId) {
        if self.node(node).is_none() {
            return;
        }
        self.touch(node);
        let Some(n) = self.node(node) else {
            return;
        };
        let enabled = self.enabled[node.index()];
        let item = self.questionnaire.item(n.item);
        let parent = n.parent;
        let is_question = item.is_question();
        let contributes = enabled && is_question && !n.answers.is_empty();
        let counted = (enabled && is_question && item.required).then_some(!n.answers.is_empty() && !n.invalid_input);

        let new_issues = if !enabled {
            Vec::new()
        } else if is_question {
            check_question(&QuestionFacts {
                item,
                answers: &n.answers,
                invalid_input: n.invalid_input,
                typed: n.typed.as_deref(),
                today: self.today.as_ref(),
            })
        } else if item.kind == ItemType::Group {
            check_group(item, self.answered_below[node.index()] > 0)
        } else {
            Vec::new()
        };
        self.set_issues(node, new_issues);

        if let Some(old) = self.counted_required[node.index()] {
            self.completeness.required -= 1;
            self.completeness.answered -= old as usize;
        }
        if let Some(answered) = counted {
            self.completeness.required += 1;
            self.completeness.answered += answered as usize;
        }
        self.counted_required[node.index()] = counted;

        if contributes != self.contributes[node.index()] {
            self.contributes[node.index()] = contributes;
            let mut cursor = parent;
            while let Some(a) = cursor {
                let before = self.answered_below[a.index()] > 0;
                if contributes {
                    self.answered_below[a.index()] += 1;
                } else {
                    self.answered_below[a.index()] -= 1;
                }
                let after = self.answered_below[a.index()] > 0;
                let an = self.node(a);
                let required_group = an.is_some_and(|an| self.questionnaire.item(an.item).required);
                let next = an.and_then(|an| an.parent);
                if before != after && required_group {
                    self.refresh(a);
                }
                cursor = next;
            }
        }
    }

    /// Marks what an instance shows as changed, and its ancestors' subtrees with it.
    fn touch(&mut self, node: NodeId) {
        let parent = self.node(node).and_then(|n| n.parent);
        self.clock += 1;
        let now = self.clock;
        self.revisions[node.index()] = (now, now);
        let mut cursor = parent;
        while let Some(a) = cursor {
            if self.revisions[a.index()].1 == now {
                break;
            }
            self.revisions[a.index()].1 = now;
            cursor = self.node(a).and_then(|n| n.parent);
        }
    }

    fn set_issues(&mut self, node: NodeId, issues: Vec<Issue>) {
        let slot = &mut self.issues[node.index()];
        self.completeness.issues = self.completeness.issues - slot.len() + issues.len();
        *slot = issues;
    }
}

/// One enableWhen condition against the answers of the question it names.
fn condition_holds(condition: &EnableWhen, answers: &[&AnswerValue]) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let expected = &condition.answer;
    match condition.operator {
        Operator::Exists => matches!(expected, AnswerValue::Boolean(b) if *b != answers.is_empty()),
        Operator::Equal => answers.iter().any(|a| a.matches(expected)),
        Operator::NotEqual => !answers.iter().any(|a| a.matches(expected)),
        Operator::Greater => answers.iter().any(|a| a.compare(expected) == Some(Greater)),
        Operator::Less => answers.iter().any(|a| a.compare(expected) == Some(Less)),
        Operator::GreaterOrEqual => answers.iter().any(|a| matches!(a.compare(expected), Some(Greater | Equal))),
        Operator::LessOrEqual => answers.iter().any(|a| matches!(a.compare(expected), Some(Less | Equal))),
    }
}
