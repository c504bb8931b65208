//! The candidates, each behind the same signature: expression and resource in, outputs as text.
use crate::Evaluate;
use serde_json::Value;

pub const ALL: &[(&str, Evaluate)] = &[
    #[cfg(feature = "fhirpathrs")]
    ("fhirpathrs 0.1.1", fhirpathrs),
    ("rh-fhirpath 0.3.0", rh_fhirpath),
    ("formwell (engine)", formwell),
];

fn as_text(v: Value) -> String {
    match v { Value::String(s) => s, other => other.to_string().trim_matches('"').to_string() }
}

#[cfg(feature = "fhirpathrs")]
fn fhirpathrs(expression: &str, resource: &Value) -> Result<Vec<String>, String> {
    use fhirpathrs::evaluate::{compile, EvaluateOptions};
    use fhirpathrs::models::{get_model_details, ModelType};
    let compiled = compile(expression).map_err(|e| format!("{e:?}"))?;
    let options = EvaluateOptions { model: Some(get_model_details(ModelType::R4).unwrap()), vars: None, now: None, trace_function: None };
    let result = compiled.evaluate(vec![resource.clone()], Some(options)).map_err(|e| format!("{e:?}"))?;
    Ok(result.iter().map(|v| as_text(serde_json::to_value(v).unwrap_or(Value::Null))).collect())
}

fn rh_fhirpath(expression: &str, resource: &Value) -> Result<Vec<String>, String> {
    use rh_fhirpath::{EvaluationContext, FhirPathEvaluator, FhirPathParser, FhirPathValue};
    let parsed = FhirPathParser::new().parse(expression).map_err(|e| e.to_string())?;
    let out = FhirPathEvaluator::new().evaluate(&parsed, &EvaluationContext::new(resource.clone())).map_err(|e| e.to_string())?;
    fn flat(v: FhirPathValue, into: &mut Vec<String>) {
        match v {
            FhirPathValue::Collection(items) | FhirPathValue::UnorderedCollection(items) => items.into_iter().for_each(|i| flat(i, into)),
            FhirPathValue::Empty => {}
            FhirPathValue::Quantity { .. } => into.push(v.to_string_value().unwrap_or_default()),
            other => into.push(as_text(other.to_json())),
        }
    }
    let mut outputs = Vec::new();
    flat(out, &mut outputs);
    Ok(outputs)
}

/// Formwell's own evaluator (crates/engine/src/fhirpath), with the suite's `%context` and
/// today's date from this machine's clock (the engine reads none).
fn formwell(expression: &str, resource: &Value) -> Result<Vec<String>, String> {
    use formwell_engine::fhirpath::{evaluate, parse, Collection, Environment, Item};
    struct Suite<'a>(&'a Value);
    impl<'a> Environment<'a> for Suite<'a> {
        fn variable(&self, name: &str) -> Option<Collection<'a>> {
            match name {
                "context" | "resource" | "rootResource" => Some(vec![Item::Node(self.0, None)]),
                _ => None,
            }
        }
        fn today(&self) -> Option<String> {
            Some(chrono::Local::now().format("%Y-%m-%d").to_string())
        }
        fn now(&self) -> Option<String> {
            Some(chrono::Local::now().format("%Y-%m-%dT%H:%M:%S%:z").to_string())
        }
    }
    let parsed = parse(expression).map_err(|e| e.to_string())?;
    let out = evaluate(&parsed, vec![Item::Node(resource, None)], &Suite(resource)).map_err(|e| e.to_string())?;
    Ok(out.iter().map(|i| i.to_text().unwrap_or_else(|| "(node)".into())).collect())
}
