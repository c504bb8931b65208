//! HL7's FHIRPath R4 test suite against the candidate evaluators: how many of its 687 tests
//! pass, how many of those the SDC expressions need (tests whose every function is one the
//! shared corpus's expressions call), and how long they take. The comparison is lenient
//! (outputs compared as text, `@` and `T` prefixes ignored; a predicate test passes on a
//! non-empty result), so each figure is an upper bound. Prints figures; asserts nothing.
//!   cargo run --release --manifest-path tools/fhirpath-suite/Cargo.toml -- ../shared/data/fhirpath-tests [../shared/data/questionnaires]
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

mod candidates;

/// One evaluator under test: the expression against the resource, each output as text.
pub type Evaluate = fn(&str, &Value) -> Result<Vec<String>, String>;

struct Case { expression: String, resource: usize, invalid: bool, predicate: bool, expected: Vec<String> }

fn main() {
    let dir = std::env::args().nth(1).expect("fhirpath-tests dir");
    let corpus = std::env::args().nth(2);
    let (cases, resources) = read_suite(&dir);
    let sdc_functions = corpus.as_deref().map(corpus_functions);
    let sdc: Vec<bool> = cases.iter().map(|c| match &sdc_functions {
        Some(known) => functions_in(&c.expression).is_subset(known),
        None => true,
    }).collect();
    println!("{} tests read; {} use only functions the corpus's SDC expressions call", cases.len(), sdc.iter().filter(|s| **s).count());
    println!("{:<22} {:>12} {:>14} {:>14}", "candidate", "all tests", "SDC subset", "time (all)");
    for (name, evaluate) in candidates::ALL {
        let (mut pass, mut pass_sdc) = (0, 0);
        let mut spent = Duration::ZERO;
        for (case, in_sdc) in cases.iter().zip(&sdc) {
            let started = Instant::now();
            let outcome = std::panic::catch_unwind(|| evaluate(&case.expression, &resources[case.resource].1));
            spent += started.elapsed();
            let ok = match outcome {
                Err(_) => false,
                Ok(Err(_)) => case.invalid,
                Ok(Ok(_)) if case.invalid => false,
                Ok(Ok(got)) => {
                    let norm = |s: &str| s.trim_start_matches('@').trim_start_matches('T').trim_matches('\'').to_string();
                    let got: Vec<String> = got.iter().map(|s| norm(s)).collect();
                    let exp: Vec<String> = case.expected.iter().map(|s| norm(s)).collect();
                    got == exp || (case.predicate && exp == ["true"] && !got.is_empty())
                }
            };
            if ok { pass += 1; if *in_sdc { pass_sdc += 1 } }
        }
        let n_sdc = sdc.iter().filter(|s| **s).count();
        println!("{:<22} {:>5} of {:<5} {:>6} of {:<5} {:>12.1?}", name, pass, cases.len(), pass_sdc, n_sdc, spent);
    }
}

/// The names called as functions in an expression (`name(`).
fn functions_in(expression: &str) -> BTreeSet<String> {
    let bytes = expression.as_bytes();
    let mut found = BTreeSet::new();
    for (i, _) in expression.match_indices('(') {
        let mut start = i;
        while start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') { start -= 1 }
        if start < i { found.insert(expression[start..i].to_string()); }
    }
    found
}

/// Every function the corpus's FHIRPath expressions call.
fn corpus_functions(dir: &str) -> BTreeSet<String> {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                if let (Some(Value::String(e)), Some(Value::String(l))) = (map.get("expression"), map.get("language")) {
                    if l == "text/fhirpath" { out.extend(functions_in(e)) }
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("corpus dir").flatten() {
        if let Ok(v) = serde_json::from_str::<Value>(&std::fs::read_to_string(entry.path()).unwrap_or_default()) { walk(&v, &mut out) }
    }
    out
}

fn read_suite(dir: &str) -> (Vec<Case>, Vec<(String, Value)>) {
    let xml = std::fs::read_to_string(format!("{dir}/tests-fhir-r4.xml")).unwrap();
    let xml = xml.replacen("<?xml version=\"1.0\" encoding=\"utf-8\" ?>", "", 1);
    // The suite's file has unescaped < and & inside expressions: escape them.
    let mut fixed = String::new();
    let mut rest = xml.as_str();
    while let Some(start) = rest.find("<expression") {
        let open_end = start + rest[start..].find('>').unwrap() + 1;
        if rest[..open_end].ends_with("/>") { fixed.push_str(&rest[..open_end]); rest = &rest[open_end..]; continue; }
        let Some(close) = rest[open_end..].find("</expression>").map(|c| c + open_end) else { break };
        fixed.push_str(&rest[..open_end]);
        fixed.push_str(&rest[open_end..close].replace('&', "&amp;").replace('<', "&lt;"));
        rest = &rest[close..];
    }
    fixed.push_str(rest);
    // One test in the suite repeats an attribute: the second is dropped.
    let xml = fixed.lines().map(|l| {
        let first = l.find(" name=\"");
        match (first, first.and_then(|f| l[f + 1..].find(" name=\"").map(|g| g + f + 1))) {
            (Some(_), Some(second)) => { let end = second + 7 + l[second + 7..].find('"').unwrap() + 1; format!("{}{}", &l[..second], &l[end..]) }
            _ => l.to_string(),
        }
    }).collect::<Vec<_>>().join("\n");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let mut resources: Vec<(String, Value)> = Vec::new();
    let mut cases = Vec::new();
    for test in doc.descendants().filter(|n| n.has_tag_name("test")) {
        let input = test.attribute("inputfile").unwrap_or("patient-example.xml").replace(".xml", ".json");
        let resource = match resources.iter().position(|(n, _)| *n == input) {
            Some(i) => i,
            None => {
                let v: Value = serde_json::from_str(&std::fs::read_to_string(format!("{dir}/input/{input}")).unwrap()).unwrap();
                resources.push((input, v));
                resources.len() - 1
            }
        };
        let Some(expr_node) = test.children().find(|n| n.has_tag_name("expression")) else { continue };
        cases.push(Case {
            expression: expr_node.text().unwrap_or("").to_string(),
            resource,
            invalid: expr_node.attribute("invalid").is_some(),
            predicate: test.attribute("predicate") == Some("true"),
            expected: test.children().filter(|n| n.has_tag_name("output")).map(|n| n.text().unwrap_or("").to_string()).collect(),
        });
    }
    (cases, resources)
}
