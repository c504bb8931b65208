//! Generated questionnaires of any size, for the benchmark and the property tests: groups
//! of ten items with every common type, enableWhen chains inside each group and from group
//! to group, and every fifth group repeating.

use serde_json::{json, Value};

/// The type of the k-th child of a generated group.
pub const CHILD_KINDS: [&str; 9] =
    ["boolean", "integer", "string", "choice", "date", "decimal", "integer", "text", "boolean"];

/// A questionnaire with about `items` items (rounded up to a multiple of ten).
pub fn questionnaire(items: usize) -> Value {
    let groups = items.div_ceil(10).max(1);
    let mut out = Vec::with_capacity(groups);
    for g in 0..groups {
        let id = |k: usize| format!("g{g}.q{k}");
        let mut children = Vec::new();
        for (k, kind) in CHILD_KINDS.iter().enumerate() {
            let mut item = json!({"linkId": id(k), "type": kind, "text": format!("Question {k} of group {g}")});
            match k {
                1 => {
                    item["required"] = json!(true);
                    item["extension"] = json!([
                        {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": 0},
                        {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 120}]);
                    // Shown when the group's first question is answered yes.
                    item["enableWhen"] = json!([{"question": id(0), "operator": "=", "answerBoolean": true}]);
                }
                2 => {
                    item["maxLength"] = json!(20);
                    item["enableWhen"] = json!([{"question": id(1), "operator": ">", "answerInteger": 10}]);
                }
                3 => {
                    item["answerOption"] = json!([
                        {"valueCoding": {"system": "http://snomed.info/sct", "code": "373066001", "display": "Yes"}},
                        {"valueCoding": {"system": "http://snomed.info/sct", "code": "373067005", "display": "No"}}]);
                }
                4 => {
                    item["extension"] =
                        json!([{"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueDate": "2000-01-01"}])
                }
                5 => {
                    item["extension"] =
                        json!([{"url": "http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces", "valueInteger": 2}])
                }
                6 => {
                    item["enableWhen"] = json!([
                    {"question": id(3), "operator": "=", "answerCoding": {"system": "http://snomed.info/sct", "code": "373066001"}},
                    {"question": id(5), "operator": ">=", "answerDecimal": 1.5}])
                }
                7 => item["enableWhen"] = json!([{"question": id(6), "operator": "exists", "answerBoolean": true}]),
                _ => {}
            }
            if k == 6 {
                item["enableBehavior"] = json!("any");
            }
            if k == 8 {
                item["initial"] = json!([{"valueBoolean": true}]);
            }
            children.push(item);
        }
        let mut group =
            json!({"linkId": format!("g{g}"), "type": "group", "text": format!("Group {g}"), "item": children});
        if g % 5 == 4 {
            group["repeats"] = json!(true);
        }
        if g > 0 {
            // A chain from group to group: each is shown while the previous one's last
            // question (initially yes) says yes, so a "no" at the head hides them all.
            group["enableWhen"] =
                json!([{"question": format!("g{}.q8", g - 1), "operator": "=", "answerBoolean": true}]);
        }
        out.push(group);
    }
    json!({
        "resourceType": "Questionnaire", "status": "active",
        "url": "http://example.org/Questionnaire/generated", "version": "1",
        "item": out
    })
}

/// Text a person might type into an item of this kind, valid or not.
#[allow(dead_code)] // used by the property tests, not the benchmark
pub fn typed_text(kind: &str, choice: usize) -> &'static str {
    let pool: &[&str] = match kind {
        "integer" => &["", "5", "11", "42", "200", "-3", "abc"],
        "decimal" => &["", "1.5", "0.25", "2", "1.234", "x"],
        "date" => &["", "2024-03-01", "1999-12-31", "2023-02-30", "2024"],
        "boolean" => &["", "yes", "no", "maybe"],
        _ => &["", "short", "a rather long answer of more than twenty characters", "Yes"],
    };
    pool[choice % pool.len()]
}

/// A questionnaire of `items` items of which `calculated` are totals: groups of integer
/// questions, each followed by a calculated item summing two of them (the shape of a
/// scored instrument), named by linkId as real templates do.
#[allow(dead_code)]
pub fn calculated_questionnaire(items: usize, calculated: usize) -> Value {
    let questions = items - calculated;
    let per_total = questions / calculated;
    let mut out = Vec::with_capacity(items);
    for c in 0..calculated {
        for k in 0..per_total {
            out.push(
                json!({"linkId": format!("q{}", c * per_total + k), "type": "integer", "text": format!("Score {k}")}),
            );
        }
        let a = format!("q{}", c * per_total);
        let b = format!("q{}", c * per_total + 1);
        out.push(json!({
            "linkId": format!("total{c}"), "type": "integer", "text": "Total", "readOnly": true,
            "extension": [{
                "url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression",
                "valueExpression": {"language": "text/fhirpath", "expression": format!(
                    "%resource.item.where(linkId='{a}').answer.value + %resource.item.where(linkId='{b}').answer.value")}
            }]
        }));
    }
    json!({"resourceType": "Questionnaire", "status": "active", "item": out})
}
