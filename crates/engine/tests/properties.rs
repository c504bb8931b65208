//! Properties that hold for any input: the parser never panics on arbitrary JSON, and the
//! incremental evaluation after any sequence of actions equals a full recomputation.

mod common;
#[path = "common/generate.rs"]
mod generate;

use std::sync::Arc;

use formwell_engine::{Action, FormState, ItemType, NodeId, Questionnaire};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Arbitrary JSON, biased towards the shapes and names a Questionnaire has, so that the
/// loader's deeper paths are reached.
fn arb_json() -> impl Strategy<Value = Value> {
    let names = prop::sample::select(vec![
        "resourceType",
        "item",
        "linkId",
        "type",
        "text",
        "enableWhen",
        "question",
        "operator",
        "answerBoolean",
        "answerInteger",
        "answerCoding",
        "answerOption",
        "valueCoding",
        "valueString",
        "valueInteger",
        "initial",
        "required",
        "repeats",
        "extension",
        "url",
        "valueDecimal",
        "maxLength",
        "code",
        "system",
        "answerValueSet",
        "contained",
        "expansion",
        "contains",
        "option",
        "hasAnswer",
        "_text",
        "enableBehavior",
        "status",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)),
        prop::sample::select(vec![
            "Questionnaire",
            "group",
            "integer",
            "boolean",
            "choice",
            "date",
            "quantity",
            "display",
            "exists",
            "=",
            ">",
            "q1",
            "q2",
            "#vs",
            "ValueSet",
            "true",
            "5",
            "2024-02-30",
            "http://hl7.org/fhir/StructureDefinition/minValue",
            "http://hl7.org/fhir/StructureDefinition/regex",
            "[",
            "any",
        ])
        .prop_map(|s| Value::String(s.into())),
        ".*".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((names.clone(), inner), 0..8).prop_map(|pairs| {
                let mut m = Map::new();
                for (k, v) in pairs {
                    m.insert(k.to_string(), v);
                }
                Value::Object(m)
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_parser_never_panics_on_arbitrary_json(mut json in arb_json(), questionnaire in any::<bool>()) {
        if questionnaire {
            if let Value::Object(m) = &mut json {
                m.insert("resourceType".into(), json!("Questionnaire"));
            }
        }
        let _ = Questionnaire::from_json(&json);
        let _ = Questionnaire::parse(&json.to_string());
    }

    #[test]
    fn the_parser_never_panics_on_arbitrary_text(text in ".{0,200}") {
        let _ = Questionnaire::parse(&text);
    }
}

/// Every observable part of the evaluation, for comparison.
fn snapshot(form: &FormState) -> (Vec<(NodeId, bool, Vec<String>)>, formwell_engine::Completeness) {
    let e = form.evaluate();
    let mut nodes: Vec<_> = form
        .nodes()
        .map(|n| (n.id, e.is_enabled(n.id), e.issues_of(n.id).iter().map(|i| i.message()).collect()))
        .collect();
    nodes.sort_by_key(|n| n.0);
    (nodes, e.completeness())
}

#[derive(Debug, Clone)]
enum Step {
    Type { pick: usize, text: usize },
    Add { pick: usize },
    Remove { pick: usize },
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (any::<usize>(), any::<usize>()).prop_map(|(pick, text)| Step::Type { pick, text }),
        1 => any::<usize>().prop_map(|pick| Step::Add { pick }),
        1 => any::<usize>().prop_map(|pick| Step::Remove { pick }),
    ]
}

/// Does what a step says to a form of the generated questionnaire: types into a question,
/// adds an instance of a repeating group, or removes one (refused for the last instance;
/// either way what the properties compare must hold).
fn take(form: &mut FormState, step: Step) {
    let q = form.questionnaire().clone();
    let questions: Vec<NodeId> = form.nodes().filter(|n| q.item(n.item).is_question()).map(|n| n.id).collect();
    let repeating: Vec<NodeId> =
        form.nodes().filter(|n| q.item(n.item).repeats && q.item(n.item).kind == ItemType::Group).map(|n| n.id).collect();
    match step {
        Step::Type { pick, text } => {
            let node = questions[pick % questions.len()];
            let kind = q.item(form.node(node).unwrap().item).kind.code();
            form.apply(Action::SetInput { node, text: generate::typed_text(kind, text).into() }).unwrap();
        }
        Step::Add { pick } if !repeating.is_empty() => {
            let item = form.node(repeating[pick % repeating.len()]).unwrap().item;
            form.apply(Action::AddInstance { parent: None, item }).unwrap();
        }
        Step::Remove { pick } if !repeating.is_empty() => {
            let _ = form.apply(Action::RemoveInstance { node: repeating[pick % repeating.len()] });
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn incremental_evaluation_equals_a_full_recomputation(size in 10usize..60, steps in prop::collection::vec(arb_step(), 1..40)) {
        let q = Arc::new(Questionnaire::from_json(&generate::questionnaire(size)).unwrap().questionnaire);
        let mut form = FormState::new(Arc::clone(&q));
        for step in steps {
            take(&mut form, step);
            let mut fresh = form.clone();
            fresh.reevaluate_all();
            prop_assert_eq!(snapshot(&form), snapshot(&fresh));
        }
    }

    #[test]
    fn an_instance_whose_revision_is_unchanged_shows_the_same(size in 10usize..60, steps in prop::collection::vec(arb_step(), 1..30)) {
        let q = Arc::new(Questionnaire::from_json(&generate::questionnaire(size)).unwrap().questionnaire);
        let mut form = FormState::new(Arc::clone(&q));
        for step in steps {
            let before: Vec<(NodeId, u64, u64, String)> =
                form.nodes().map(|n| (n.id, form.revision(n.id), form.subtree_revision(n.id), view(&form, n.id))).collect();
            take(&mut form, step);
            for (id, own, subtree, shown) in before {
                if form.node(id).is_none() {
                    continue;
                }
                if form.revision(id) == own {
                    prop_assert_eq!(&view(&form, id), &shown, "unchanged revision, changed view");
                }
                if form.subtree_revision(id) == subtree {
                    prop_assert_eq!(form.revision(id), own, "unchanged subtree, changed instance");
                }
            }
        }
    }
}

/// Everything the app draws for an instance: its answers and typed text, whether it is
/// shown, its messages, its children, its dynamic text and whether it can be removed.
fn view(form: &FormState, id: NodeId) -> String {
    let n = form.node(id).unwrap();
    let e = form.evaluate();
    let item = form.questionnaire().item(n.item);
    let siblings = form.instances_of(n.item).iter().filter(|s| form.node(**s).unwrap().parent == n.parent).count();
    let removable = siblings as u32 > item.constraints.min_occurs.unwrap_or(1).max(1);
    let messages: Vec<String> = e.issues_of(id).iter().map(|i| i.message()).collect();
    format!(
        "{:?}",
        (&n.answers, &n.typed, &n.unit, e.is_enabled(id), messages, &n.children, form.text_of(id), removable)
    )
}
