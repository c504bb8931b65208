//! Fuzzing the code that reads hostile input: a template (`Questionnaire::parse`), a stored
//! or resumed response (`FormState::from_response`), and a Bundle posted to the server
//! (its validation, the policy re-check and the store's transaction).
//!
//! A seeded, structure-aware mutator rather than a coverage-guided one: every case starts
//! from real input (the shipped templates, the public corpus when it is beside the
//! repository, the responses and Bundles the engine makes from them) and applies a few
//! random mutations, at the JSON level (delete, replace, retype, duplicate, nest, insert
//! names the readers look for) and at the text level (cut, flip, insert bytes). Runs are
//! repeatable: the same seed gives the same cases. A case that panics is a crash; its
//! input is kept to reproduce it.

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use formwell_engine::{FormState, Idempotency, Questionnaire, Reference, ResponseHeader, Ruleset, Submission};
use formwell_server::access::Principal;
use serde_json::{json, Map, Value};

/// What is fuzzed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `Questionnaire::parse` on template text.
    Parse,
    /// `FormState::from_response` on a response to a shipped template.
    Response,
    /// The server's reading of a posted Bundle: validation, policy, transaction.
    Bundle,
}

impl Target {
    pub const ALL: [Target; 3] = [Target::Parse, Target::Response, Target::Bundle];

    pub fn name(self) -> &'static str {
        match self {
            Target::Parse => "Questionnaire::parse",
            Target::Response => "FormState::from_response",
            Target::Bundle => "server Bundle validation",
        }
    }
}

/// A small, fast, seedable generator (SplitMix64): the same seed, the same cases.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Element names the readers look for, so that mutations reach past the first check.
const NAMES: &[&str] = &[
    "resourceType",
    "item",
    "linkId",
    "type",
    "text",
    "enableWhen",
    "question",
    "operator",
    "answer",
    "answerBoolean",
    "answerInteger",
    "answerCoding",
    "answerOption",
    "valueCoding",
    "valueString",
    "valueInteger",
    "valueDecimal",
    "valueDate",
    "valueDateTime",
    "valueQuantity",
    "valueReference",
    "valueAttachment",
    "initial",
    "required",
    "repeats",
    "extension",
    "url",
    "maxLength",
    "code",
    "system",
    "answerValueSet",
    "contained",
    "expansion",
    "contains",
    "enableBehavior",
    "status",
    "definition",
    "readOnly",
    "prefix",
    "entry",
    "resource",
    "request",
    "method",
    "ifNoneExist",
    "fullUrl",
    "identifier",
    "subject",
    "coding",
    "data",
    "contentType",
    "questionnaire",
    "authored",
    "target",
    "policy",
    "provision",
    "meta",
    "security",
];

const STRINGS: &[&str] = &[
    "",
    " ",
    "group",
    "choice",
    "integer",
    "decimal",
    "date",
    "dateTime",
    "boolean",
    "string",
    "text",
    "coding",
    "display",
    "=",
    "!=",
    ">",
    "<=",
    "exists",
    "all",
    "any",
    "Questionnaire",
    "QuestionnaireResponse",
    "Bundle",
    "transaction",
    "batch",
    "POST",
    "PUT",
    "PATCH",
    "GET",
    "Patient/1",
    "Patient",
    "Observation",
    "Binary",
    "http://snomed.info/sct",
    "77386006",
    "http://read.info/readv2",
    "62...00",
    "2026-02-30",
    "2026-13-01T25:61:00Z",
    "-0",
    "1e309",
    "NaN",
    "urn:uuid:",
    "../../x",
    "%2F",
    "\u{0}",
    "\u{202E}",
    "é",
    "🙂",
    "<script>",
    "#/x",
    "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl",
    "http://hl7.org/fhir/StructureDefinition/regex",
    "(a+)+$",
    "[",
    "\\",
    "identifier=x|y",
    "application/json-patch+json",
    "W3sib3AiOiJ0ZXN0In1d",
];

fn random_value(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 3 { 6 } else { 9 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(50)),
        2 => json!(rng.next() as i64),
        3 => json!(*rng.pick(&[0i64, -1, 1, i64::MAX, i64::MIN, 120, 2026])),
        4 => serde_json::Number::from_f64(f64::from_bits(rng.next())).map(Value::Number).unwrap_or(json!(0.5)),
        5 => json!(*rng.pick(STRINGS)),
        6 => Value::Array((0..rng.below(4)).map(|_| random_value(rng, depth + 1)).collect()),
        7 => {
            let mut object = Map::new();
            for _ in 0..rng.below(4) {
                object.insert(rng.pick(NAMES).to_string(), random_value(rng, depth + 1));
            }
            Value::Object(object)
        }
        _ => json!("x".repeat(rng.below(5000))),
    }
}

/// The paths (as child indexes) of every node of a JSON value.
fn paths(value: &Value, here: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    out.push(here.clone());
    let children: Vec<&Value> = match value {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => o.values().collect(),
        _ => return,
    };
    for (i, child) in children.into_iter().enumerate() {
        here.push(i);
        paths(child, here, out);
        here.pop();
    }
}

fn node_mut<'a>(value: &'a mut Value, path: &[usize]) -> &'a mut Value {
    let mut node = value;
    for &i in path {
        node = match node {
            Value::Array(a) => &mut a[i],
            Value::Object(o) => o.values_mut().nth(i).expect("a path from paths()"),
            _ => unreachable!("a path from paths() only goes through containers"),
        };
    }
    node
}

/// One structural mutation somewhere in `value`.
fn mutate_json(rng: &mut Rng, value: &mut Value) {
    let mut all = Vec::new();
    paths(value, &mut Vec::new(), &mut all);
    let path = rng.pick(&all).clone();
    let node = node_mut(value, &path);
    match rng.below(9) {
        0 => *node = random_value(rng, 0),
        1 => {
            // Delete a child.
            match node {
                Value::Array(a) if !a.is_empty() => {
                    let i = rng.below(a.len());
                    a.remove(i);
                }
                Value::Object(o) if !o.is_empty() => {
                    let key = o.keys().nth(rng.below(o.len())).cloned().expect("a key");
                    o.remove(&key);
                }
                _ => *node = Value::Null,
            }
        }
        2 => {
            // Insert a name a reader looks for.
            if let Value::Object(o) = node {
                o.insert(rng.pick(NAMES).to_string(), random_value(rng, 1));
            } else if let Value::Array(a) = node {
                a.push(random_value(rng, 1));
            }
        }
        3 => {
            // Duplicate an element (a repeated linkId, a second entry).
            if let Value::Array(a) = node {
                if !a.is_empty() {
                    let copy = a[rng.below(a.len())].clone();
                    a.push(copy);
                }
            }
        }
        4 => {
            // Retype: text as a number, a number as text, one as a list.
            *node = match node.take() {
                Value::String(s) => s
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or(json!(s.len())),
                Value::Number(n) => json!(n.to_string()),
                Value::Bool(b) => json!(if b { "true" } else { "false" }),
                other => json!([other]),
            }
        }
        5 => {
            // Nest deeply.
            let mut inner = node.take();
            for _ in 0..rng.below(200) {
                inner = if rng.chance(50) { json!([inner]) } else { json!({ "item": [inner] }) };
            }
            *node = inner;
        }
        6 => {
            // Swap in another part of the same document (a reference to an item that is
            // elsewhere, an answer under the wrong question).
            let other = rng.pick(&all).clone();
            let copy = node_mut(value, &other).clone();
            *node_mut(value, &path) = copy;
        }
        7 => {
            // Many copies: a long list.
            if let Value::Array(a) = node {
                if let Some(first) = a.first().cloned() {
                    let n = rng.below(300);
                    a.extend(std::iter::repeat_n(first, n));
                }
            }
        }
        _ => {
            let extra: &str = *rng.pick(STRINGS);
            if let Value::String(s) = node {
                s.push_str(extra);
            } else {
                *node = json!(extra);
            }
        }
    }
}

/// One text-level mutation: what a damaged file or a truncated upload looks like.
fn mutate_text(rng: &mut Rng, text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    if bytes.is_empty() {
        return rng.pick(STRINGS).to_string();
    }
    match rng.below(4) {
        0 => bytes.truncate(rng.below(bytes.len())),
        1 => {
            for _ in 0..=rng.below(8) {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
        }
        2 => {
            let i = rng.below(bytes.len());
            let insert = rng.pick(&["{", "}", "[", "]", ",", ":", "\"", "\\u0000", "1e999", "null", "\\ud800"]);
            bytes.splice(i..i, insert.bytes());
        }
        _ => {
            let (a, b) = (rng.below(bytes.len()), rng.below(bytes.len()));
            let (a, b) = (a.min(b), a.max(b));
            let chunk = bytes[a..b].to_vec();
            bytes.splice(b..b, chunk);
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The inputs every case starts from.
pub struct Seeds {
    templates: Vec<(String, Value)>,
    /// Shipped templates loaded, each with responses and Bundles made from it.
    forms: Vec<(Arc<Questionnaire>, Vec<Value>)>,
    bundles: Vec<Value>,
    ruleset: Ruleset,
}

/// The shipped templates, and (when it is there) the public corpus beside the repository.
pub fn seeds(repo: &Path, shared: Option<&Path>) -> Seeds {
    let mut templates = read_json_dir(&repo.join("templates"));
    let shipped = templates.len();
    if let Some(shared) = shared {
        templates.extend(read_json_dir(&shared.join("data/questionnaires")));
    }
    let mut forms = Vec::new();
    let mut bundles = Vec::new();
    for (name, json) in &templates[..shipped] {
        let Ok(loaded) = Questionnaire::from_json(json) else { continue };
        let q = Arc::new(loaded.questionnaire);
        let form = FormState::new(q.clone());
        let response = form.to_response(&ResponseHeader::default());
        let submission = Submission {
            id: "0b7c1e9e-5f0a-4d43-9a55-2f4f3c1d9e10".into(),
            authored: "2026-11-26T10:15:00Z".into(),
            subject: Some(Reference { reference: Some("Patient/p1".into()), ..Default::default() }),
            author: Some(Reference { reference: Some("Practitioner/s1".into()), ..Default::default() }),
            device: format!("fuzz {name}"),
            ruleset_version: Some("v1".into()),
            decisions: Vec::new(),
        };
        bundles.push(form.transaction_bundle(&submission, Idempotency::ConditionalCreate));
        bundles.push(form.transaction_bundle(&submission, Idempotency::ClientIds));
        forms.push((q, vec![response]));
    }
    let ruleset = Ruleset::new(formwell_rules::compile(&repo.join("rules")).expect("the ruleset source compiles"))
        .expect("the compiled ruleset loads");
    Seeds { templates, forms, bundles, ruleset }
}

fn read_json_dir(dir: &Path) -> Vec<(String, Value)> {
    formwell_pack::template_files(dir)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(id, path)| Some((id, serde_json::from_str(&std::fs::read_to_string(&path).ok()?).ok()?)))
        .collect()
}

impl Seeds {
    /// How many templates the cases start from.
    pub fn template_count(&self) -> usize {
        self.templates.len()
    }
}

/// A case that panicked: which target, and the input that did it.
#[derive(Debug, Clone)]
pub struct Crash {
    pub target: Target,
    pub case: usize,
    pub input: String,
    pub message: String,
}

/// What a run found.
#[derive(Debug, Default)]
pub struct Report {
    pub cases: usize,
    /// Cases the code under test accepted (the rest it refused with an error, as it should
    /// for most mutated input): a run that accepts nothing reaches little.
    pub accepted: usize,
    pub crashes: Vec<Crash>,
}

/// Runs `cases` cases of one target from `seed`.
pub fn run(target: Target, seeds: &Seeds, cases: usize, seed: u64) -> Report {
    let mut rng = Rng::new(seed ^ (target as u64).wrapping_mul(0x1000_0000_01b3));
    let mut report = Report::default();
    // One store for the whole run: what a long-running server sees, state and all.
    let store = formwell_server::Store::in_memory().expect("an in-memory store opens");
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    for case in 0..cases {
        let mutations = 1 + rng.below(4);
        let (input, outcome) = match target {
            Target::Parse => {
                let (_, template) = rng.pick(&seeds.templates);
                let mut json = template.clone();
                for _ in 0..mutations {
                    mutate_json(&mut rng, &mut json);
                }
                let mut text = json.to_string();
                if rng.chance(25) {
                    text = mutate_text(&mut rng, &text);
                }
                let outcome = panic::catch_unwind(|| Questionnaire::parse(&text).is_ok());
                (text, outcome)
            }
            Target::Response => {
                let (q, responses) = rng.pick(&seeds.forms);
                let mut json = rng.pick(responses).clone();
                for _ in 0..mutations {
                    mutate_json(&mut rng, &mut json);
                }
                let q = q.clone();
                let text = json.to_string();
                let outcome = panic::catch_unwind(AssertUnwindSafe(|| FormState::from_response(q, &json).is_ok()));
                (text, outcome)
            }
            Target::Bundle => {
                let mut json = rng.pick(&seeds.bundles).clone();
                for _ in 0..mutations {
                    mutate_json(&mut rng, &mut json);
                }
                let text = json.to_string();
                let setting = *rng.pick(&["community", "midwifery", "health_visiting", "general_practice", "nowhere"]);
                let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
                    formwell_server::validate::bundle(&json).is_ok()
                        && formwell_server::policy::check(&seeds.ruleset, setting, &json).is_ok()
                        && store.bundle(&json, "2026-11-26T10:15:00.000Z", Principal::Server).is_ok()
                }));
                (text, outcome)
            }
        };
        report.cases += 1;
        match outcome {
            Ok(true) => report.accepted += 1,
            Ok(false) => {}
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "(no message)".into());
                report.crashes.push(Crash { target, case, input, message });
            }
        }
    }
    panic::set_hook(previous_hook);
    report
}
