//! FHIRPath, for the SDC expressions templates carry (`variable`, `calculatedExpression`,
//! `enableWhenExpression`, `answerExpression`, `initialExpression`, dynamic text).
//!
//! A focused evaluator rather than a crate: the Rust FHIRPath crates measured either fail
//! much of HL7's suite or add hundreds of kilobytes to the wasm tablets download
//! (BENCHMARKS.md, "FHIRPath"). It reads JSON as it is (choice elements by their suffix,
//! no model of FHIR's types), borrows what it navigates, and is bounded: nesting when it
//! parses, work when it evaluates.

mod case;
mod eval;
mod parse;
pub(crate) mod value;

pub use case::{lend_case, HostCase};
pub use eval::{as_bool, evaluate, Environment, EvalError};
pub use parse::{parse, BinaryOp, Expr, Literal, ParseError};
pub use value::{decimal_text, Collection, Item};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    struct Env<'a> {
        resource: &'a Value,
    }

    impl<'a> Environment<'a> for Env<'a> {
        fn variable(&self, name: &str) -> Option<Collection<'a>> {
            (name == "resource").then(|| vec![Item::Node(self.resource, None)])
        }
        fn today(&self) -> Option<String> {
            Some("2026-12-01".into())
        }
        fn now(&self) -> Option<String> {
            None
        }
    }

    fn run(expression: &str, resource: &Value) -> Result<Vec<String>, String> {
        let parsed = parse(expression).map_err(|e| e.to_string())?;
        let out = evaluate(&parsed, vec![Item::Node(resource, None)], &Env { resource }).map_err(|e| e.to_string())?;
        Ok(out.iter().map(|i| i.to_text().unwrap_or_else(|| "(node)".into())).collect())
    }

    fn response() -> Value {
        json!({"resourceType": "QuestionnaireResponse", "item": [
            {"linkId": "q1", "answer": [{"valueCoding": {"code": "LA6569-3", "display": "Several days"}}]},
            {"linkId": "age", "answer": [{"valueInteger": 34}]},
            {"linkId": "weight", "answer": [{"valueDecimal": 70.5}]},
            {"linkId": "g", "item": [{"linkId": "dob", "answer": [{"valueDate": "1992-05-03"}]}]}
        ]})
    }

    #[test]
    fn choice_elements_are_found_by_their_short_name_and_typed() {
        let r = response();
        assert_eq!(run("%resource.item.where(linkId='q1').answer.value.code", &r).unwrap(), ["LA6569-3"]);
        assert_eq!(run("%resource.item.where(linkId='q1').answer.value is Coding", &r).unwrap(), ["true"]);
        assert_eq!(run("%resource.item.where(linkId='weight').answer.value * 2", &r).unwrap(), ["141"]);
        assert_eq!(
            run("%resource.descendants().where(linkId='dob').answer.value < today() - 18 years", &r).unwrap(),
            ["true"]
        );
    }

    #[test]
    fn empty_propagates_and_logic_is_three_valued() {
        let r = response();
        assert_eq!(run("%resource.item.where(linkId='none').answer.value + 1", &r).unwrap(), Vec::<String>::new());
        assert_eq!(run("{} or true", &r).unwrap(), ["true"]);
        assert_eq!(run("{} and true", &r).unwrap(), Vec::<String>::new());
        assert_eq!(run("iif({}, 1, 2)", &r).unwrap(), ["2"]);
    }

    #[test]
    fn functions_forms_use() {
        let r = response();
        assert_eq!(run("%resource.item.linkId.join(', ')", &r).unwrap(), ["q1, age, weight, g"]);
        assert_eq!(run("'2026-12-01'.substring(0, 4).toInteger() - 1992", &r).unwrap(), ["34"]);
        assert_eq!(run("(75 / (1.8 * 1.8)).round(1)", &r).unwrap(), ["23.1"]);
        assert_eq!(run("'abc'.replace('b', 'x').upper()", &r).unwrap(), ["AXC"]);
        assert_eq!(run("(1 | 2 | 2).count()", &r).unwrap(), ["2"]);
        assert_eq!(run("(1 | 2 | 3).aggregate($this + $total, 0)", &r).unwrap(), ["6"]);
        assert_eq!(run("'07700 900123'.matches('^0[0-9 ]+$')", &r).unwrap(), ["true"]);
    }

    #[test]
    fn where_by_an_element_gives_what_the_general_comparison_gives() {
        let p = json!({"name": [{"given": ["Amina"], "family": "Begum"}, {"given": ["A", "K"]}], "item": [{"valueString": "x"}, {"linkId": "x"}]});
        assert_eq!(
            run("name.where(given = 'Amina').family", &p).unwrap(),
            ["Begum"],
            "a one-item array compares as its item"
        );
        assert_eq!(run("name.where(given = 'A').count()", &p).unwrap(), ["0"], "two givens are not one");
        assert_eq!(
            run("item.where(value = 'x').count()", &p).unwrap(),
            ["1"],
            "a choice element is found by its short name"
        );
        assert_eq!(run("item.where('x' = linkId).count()", &p).unwrap(), ["1"]);
    }

    #[test]
    fn errors_are_reported_not_panics() {
        let r = response();
        assert!(run("%nowhere", &r).unwrap_err().contains("not defined"));
        assert!(run("frobnicate()", &r).unwrap_err().contains("not a function"));
        assert!(run("(1 | 2) + 1", &r).is_err());
        assert!(run("'a' < 1", &r).is_err());
    }

    #[test]
    fn a_hostile_expression_runs_out_of_budget_instead_of_hanging() {
        let r = response();
        let d = "%resource.descendants()";
        let costly = format!("{d}.select({d}.select({d}.select({d}.select({d}.select({d}))))).count()");
        assert!(run(&costly, &r).unwrap_err().contains("too much work"));
    }
}
