//! The form in plain words: what staff read back to the person before it is sent ("Check
//! your answers"), and what the sent page shows. Every enabled question with its answer
//! as a person reads it, under the headings of its groups; and the prompts the answers
//! raised (a display item shown because of an answer: "pass this on to the health visitor
//! today"), which must not be lost once the form has gone.

use crate::form::answer::AnswerValue;
use crate::form::questionnaire::ItemType;
use crate::form::state::{FormState, NodeId};

/// One line of the read-back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadBackLine {
    /// The question (or, for a heading, the group's) instance: where "Change" goes.
    pub node: NodeId,
    /// How deep it is, for indenting headings and their questions.
    pub depth: usize,
    /// A group's heading rather than a question.
    pub heading: bool,
    pub label: String,
    /// The answers as a person reads them; empty when it was not answered.
    pub answers: Vec<String>,
}

impl FormState {
    /// Every enabled question, with its answers in plain words, under its groups'
    /// headings, in the order the form shows them. Hidden items and display text are left
    /// out (prompts are `prompts`).
    pub fn read_back(&self) -> Vec<ReadBackLine> {
        let q = self.questionnaire().clone();
        let evaluation = self.evaluate();
        let mut out = Vec::new();
        let mut stack: Vec<(NodeId, usize)> = self.roots().iter().rev().map(|n| (*n, 0)).collect();
        while let Some((id, depth)) = stack.pop() {
            let Some(node) = self.node(id) else { continue };
            let item = q.item(node.item);
            if !evaluation.is_enabled(id) || item.hidden {
                continue;
            }
            match item.kind {
                ItemType::Display => {}
                ItemType::Group => {
                    out.push(ReadBackLine { node: id, depth, heading: true, label: item.label().to_owned(), answers: vec![] });
                    stack.extend(node.children.iter().rev().map(|c| (*c, depth + 1)));
                }
                _ => {
                    out.push(ReadBackLine {
                        node: id,
                        depth,
                        heading: false,
                        label: item.label().to_owned(),
                        answers: node.answers.iter().map(AnswerValue::label).collect(),
                    });
                    stack.extend(node.children.iter().rev().map(|c| (*c, depth + 1)));
                }
            }
        }
        // A heading with nothing under it says nothing.
        let mut kept: Vec<ReadBackLine> = Vec::with_capacity(out.len());
        for (i, line) in out.iter().enumerate() {
            let has_content = !line.heading || out.get(i + 1).is_some_and(|next| next.depth > line.depth);
            if has_content {
                kept.push(line.clone());
            }
        }
        kept
    }

    /// The prompts the answers raised: display items shown because of an answer (they
    /// have conditions), in form order.
    pub fn prompts(&self) -> Vec<String> {
        let q = self.questionnaire().clone();
        let evaluation = self.evaluate();
        let mut out = Vec::new();
        self.walk(&mut |node| {
            let item = q.item(node.item);
            if item.kind == ItemType::Display && !item.enable_when.is_empty() && evaluation.is_enabled(node.id) {
                out.push(item.label().to_owned());
            }
        });
        out
    }

    /// Whether anything is answered (a draft is kept only once something is).
    pub fn has_answers(&self) -> bool {
        self.nodes().any(|n| !n.answers.is_empty() || n.typed.as_deref().is_some_and(|t| !t.trim().is_empty()))
    }
}
