//! Reading templates: the model, tolerance of real-world content, and errors a designer
//! can act on.

mod common;

use common::{findings, questionnaire};
use std::sync::Arc;

use formwell_engine::{Action, AnswerValue, Coding, FormState, ItemControl, ItemType, Operator, Questionnaire, Severity};
use serde_json::json;

#[test]
fn every_r4_item_type_and_the_common_extensions_are_read() {
    let types = [
        "group",
        "display",
        "boolean",
        "decimal",
        "integer",
        "date",
        "dateTime",
        "time",
        "string",
        "text",
        "url",
        "choice",
        "open-choice",
        "attachment",
        "reference",
        "quantity",
    ];
    let items: Vec<_> = types.iter().map(|t| json!({"linkId": t, "text": t, "type": t})).collect();
    let q = common::with_items(json!(items));
    for t in types {
        assert_eq!(q.item_by_link_id(t).unwrap().kind.code(), t);
    }

    let q = common::with_items(json!([{
        "linkId": "weight", "type": "quantity", "text": "Weight", "prefix": "3.", "required": true,
        "definition": "http://hl7.org/fhir/StructureDefinition/Observation#Observation.value[x]",
        "code": [{"system": "http://snomed.info/sct", "code": "27113001", "display": "Body weight"}],
        "extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unit", "valueCoding": {"system": "http://unitsofmeasure.org", "code": "kg", "display": "kg"}},
            {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption", "valueCoding": {"system": "http://unitsofmeasure.org", "code": "g", "display": "g"}},
            {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueDecimal": 0.5},
            {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueDecimal": 250},
            {"url": "http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces", "valueInteger": 1},
            {"url": "http://hl7.org/fhir/StructureDefinition/entryFormat", "valueString": "kg"},
            {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-hidden", "valueBoolean": true},
            {"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-observationExtract", "valueBoolean": true},
            {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl", "valueCodeableConcept": {"coding": [{"code": "slider"}]}}
        ]
    }]));
    let item = q.item_by_link_id("weight").unwrap();
    assert_eq!(item.prefix.as_deref(), Some("3."));
    assert!(item.required && item.hidden);
    assert_eq!(item.code[0].code.as_deref(), Some("27113001"));
    assert_eq!(item.unit.as_ref().and_then(|u| u.code.as_deref()), Some("kg"));
    assert_eq!(item.unit_options.len(), 1);
    assert_eq!(item.constraints.max_decimal_places, Some(1));
    assert_eq!(item.entry_format.as_deref(), Some("kg"));
    assert_eq!(item.item_control, Some(ItemControl::Slider));
    assert_eq!(item.observation_extract, Some(true));
    assert!(q.is_observation_extracted(item.id));
    assert!(matches!(&item.constraints.min_value, Some(AnswerValue::Quantity(q)) if q.value == Some(0.5)));
}

#[test]
fn answer_options_of_every_kind_and_initial_selection() {
    let q = common::with_items(json!([
        {"linkId": "c", "type": "choice", "answerOption": [
            {"valueCoding": {"system": "http://snomed.info/sct", "code": "373066001", "display": "Yes"}},
            {"valueCoding": {"system": "http://snomed.info/sct", "code": "373067005", "display": "No"}, "initialSelected": true}
        ]},
        {"linkId": "s", "type": "string", "answerOption": [{"valueString": "a"}, {"valueString": "b"}]},
        {"linkId": "i", "type": "integer", "answerOption": [{"valueInteger": 1}, {"valueInteger": 2}]},
        {"linkId": "d", "type": "date", "answerOption": [{"valueDate": "2024-01-01"}]},
        {"linkId": "t", "type": "time", "answerOption": [{"valueTime": "09:00:00"}]},
        {"linkId": "r", "type": "reference", "answerOption": [{"valueReference": {"reference": "Practitioner/1"}}]}
    ]));
    let c = q.item_by_link_id("c").unwrap();
    assert_eq!(c.answer_options.len(), 2);
    assert_eq!(c.initial, vec![AnswerValue::Coding(Coding::new("http://snomed.info/sct", "373067005", "No"))]);
    assert_eq!(q.item_by_link_id("i").unwrap().answer_options[1].value, AnswerValue::Integer(2));
    assert_eq!(q.item_by_link_id("t").unwrap().answer_options[0].value.label(), "09:00");
}

#[test]
fn contained_value_sets_become_options() {
    let q = questionnaire(json!({
        "resourceType": "Questionnaire", "status": "draft",
        "contained": [{"resourceType": "ValueSet", "id": "yn", "status": "active",
            "expansion": {"contains": [
                {"system": "http://snomed.info/sct", "code": "373066001", "display": "Yes"},
                {"system": "http://snomed.info/sct", "code": "373067005", "display": "No"}]}}],
        "item": [{"linkId": "q", "type": "choice", "answerValueSet": "#yn"}]
    }));
    let item = q.item_by_link_id("q").unwrap();
    assert_eq!(item.answer_options.len(), 2);
    assert_eq!(item.answer_value_set.as_deref(), Some("#yn"));
}

#[test]
fn enable_when_reads_every_operator() {
    let q = common::with_items(json!([
        {"linkId": "n", "type": "integer"},
        {"linkId": "a", "type": "string", "enableWhen": [{"question": "n", "operator": "exists", "answerBoolean": true}]},
        {"linkId": "b", "type": "string", "enableBehavior": "any", "enableWhen": [
            {"question": "n", "operator": "=", "answerInteger": 1},
            {"question": "n", "operator": "!=", "answerInteger": 2},
            {"question": "n", "operator": ">", "answerInteger": 3},
            {"question": "n", "operator": "<", "answerInteger": 4},
            {"question": "n", "operator": ">=", "answerInteger": 5},
            {"question": "n", "operator": "<=", "answerInteger": 6}]}
    ]));
    let ops: Vec<Operator> = q.item_by_link_id("b").unwrap().enable_when.iter().map(|c| c.operator).collect();
    assert_eq!(
        ops,
        [
            Operator::Equal,
            Operator::NotEqual,
            Operator::Greater,
            Operator::Less,
            Operator::GreaterOrEqual,
            Operator::LessOrEqual
        ]
    );
    let n = q.item_by_link_id("n").unwrap().id;
    assert_eq!(q.dependents_of(n).len(), 2, "the dependency graph records both dependents");
}

#[test]
fn real_world_slips_load_with_a_warning_at_their_path() {
    let found = findings(json!({
        "resourceType": "Questionnaire",
        "item": [
            {"linkId": "age", "type": "integer", "required": "true", "maxLength": "3",
             "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": "0"}]},
            {"linkId": "old", "type": "choice", "option": [{"valueString": "x"}]},
            {"linkId": "cond", "type": "string", "enableWhen": [{"question": "age", "hasAnswer": true}]}
        ]
    }));
    let paths: Vec<&str> = found.iter().filter(|f| f.0 == Severity::Warning).map(|f| f.1.as_str()).collect();
    for expected in [
        "Questionnaire.status",
        "Questionnaire.item[0].required",
        "Questionnaire.item[0].maxLength",
        "Questionnaire.item[0].extension[0].valueInteger",
        "Questionnaire.item[1].option",
        "Questionnaire.item[2].enableWhen[0].hasAnswer",
    ] {
        assert!(paths.contains(&expected), "no warning at {expected}; got {paths:?}");
    }
}

#[test]
fn unsupported_features_load_and_are_listed_with_their_path() {
    let found = findings(json!({
        "resourceType": "Questionnaire", "status": "active",
        "extension": [{"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-sourceQueries", "valueReference": {"reference": "#q"}}],
        "item": [
            {"linkId": "bmi", "type": "decimal", "extension": [{"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression", "valueExpression": {"language": "text/cql", "expression": "BMI"}}]},
            {"linkId": "x", "type": "string", "extension": [{"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression", "valueExpression": {"expression": "true and"}}]},
            {"linkId": "q", "type": "string", "extension": [{"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-initialExpression", "valueExpression": {"language": "application/x-fhir-query", "expression": "Patient?_id={{%patient.id}}"}}]},
            {"linkId": "ok", "type": "decimal", "extension": [{"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression", "valueExpression": {"language": "text/fhirpath", "expression": "1 + 1"}}]},
            {"linkId": "style", "type": "string", "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/rendering-style", "valueString": "color:red"}]}
        ]
    }));
    let unsupported: Vec<(&str, &str)> =
        found.iter().filter(|f| f.0 == Severity::Unsupported).map(|f| (f.1.as_str(), f.2.as_str())).collect();
    let paths: Vec<&str> = unsupported.iter().map(|u| u.0).collect();
    assert_eq!(
        paths,
        ["Questionnaire.extension[0]", "Questionnaire.item[0].extension[0]", "Questionnaire.item[1].extension[0]", "Questionnaire.item[2].extension[0]"],
        "population queries, CQL, an unreadable FHIRPath and record queries are listed; FHIRPath and presentation hints are not"
    );
    assert!(unsupported[1].1.contains("text/cql are not evaluated; the item is not calculated"), "{unsupported:?}");
    assert!(
        unsupported[2].1.contains("cannot be read") && unsupported[2].1.contains("the item is always shown"),
        "{unsupported:?}"
    );
    assert!(unsupported[3].1.contains("x-fhir-query"), "{unsupported:?}");
}

#[test]
fn calculated_items_that_read_each_other_cannot_load() {
    let calc = |e: &str| json!([{"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression", "valueExpression": {"language": "text/fhirpath", "expression": e}}]);
    let refused = Questionnaire::from_json(&json!({
        "resourceType": "Questionnaire", "status": "active",
        "item": [
            {"linkId": "a", "type": "integer", "extension": calc("%resource.item.where(linkId='b').answer.value + 1")},
            {"linkId": "b", "type": "integer", "extension": calc("%resource.item.where(linkId='a').answer.value + 1")}
        ]
    }))
    .unwrap_err();
    let errors: Vec<(&str, &str)> = refused.errors().map(|d| (d.path.as_str(), d.message.as_str())).collect();
    assert_eq!(
        errors,
        [("Questionnaire.item[0].extension[0]", "calculated items read each other in a loop: a → b → a")]
    );
}

#[test]
fn rendering_xhtml_is_kept_as_safe_text() {
    let q = common::with_items(json!([{
        "linkId": "d", "type": "display", "text": "Privacy notice",
        "_text": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/rendering-xhtml",
            "valueString": "<div><p>We keep your <b>data</b> safe.</p><script>steal()</script><img src=x onerror=alert(1)></div>"}]}
    }]));
    let item = q.item_by_link_id("d").unwrap();
    assert_eq!(item.label(), "We keep your data safe.");
    assert_eq!(item.text.as_deref(), Some("Privacy notice"));
}

fn errors(text: &str) -> Vec<String> {
    Questionnaire::parse(text).unwrap_err().errors().map(|e| e.to_string()).collect()
}

#[test]
fn syntax_errors_give_line_and_column() {
    let e = errors("{\n  \"resourceType\": \"Questionnaire\",\n  \"item\": [,]\n}");
    assert_eq!(e.len(), 1);
    assert!(e[0].contains("line 3, column 12"), "{e:?}");
    assert!(e[0].contains("not valid JSON"), "{e:?}");
}

#[test]
fn real_errors_fail_with_a_path_a_designer_can_act_on() {
    let e = errors(
        &json!({"resourceType": "Questionnaire", "status": "active", "item": [
            {"linkId": "a", "type": "string"},
            {"linkId": "a", "type": "integer"},
            {"linkId": "b", "type": "string", "enableWhen": [{"question": "nowhere", "operator": "exists", "answerBoolean": true}]},
            {"linkId": "c", "type": "integer", "initial": [{"valueString": "five"}]},
            {"linkId": "d", "type": "boolean", "enableWhen": [{"question": "a", "operator": "=", "answerCoding": {"code": "x"}}]},
            {"linkId": "e", "type": "choice", "enableWhen": [{"question": "a", "operator": "~", "answerString": "x"}]},
            {"linkId": "f", "type": "wibble"}
        ]})
        .to_string(),
    );
    let expect = [
        "Questionnaire.item[1].linkId: linkId \"a\" is used twice",
        "Questionnaire.item[2].enableWhen[0].question: enableWhen names \"nowhere\", but no item has that linkId",
        "Questionnaire.item[3].initial[0].valueString: valueString does not fit an integer item; use valueInteger",
        "Questionnaire.item[5].enableWhen[0].operator: \"~\" is not an enableWhen operator",
        "Questionnaire.item[6].type: \"wibble\" is not an R4 item type",
    ];
    for want in expect {
        assert!(e.iter().any(|got| got.contains(want)), "missing {want:?} in {e:#?}");
    }
    assert_eq!(e.len(), expect.len(), "{e:#?}");
}

#[test]
fn a_linkid_used_again_in_another_group_loads_and_each_condition_finds_its_own() {
    // As in the Android FHIR SDK's samples: each section has its own "consent" and "name".
    let section = |title: &str| {
        json!({"linkId": title, "type": "group", "text": title, "item": [
            {"linkId": "consent", "type": "boolean", "text": "Agrees"},
            {"linkId": "name", "type": "string", "text": "Name", "enableWhen": [{"question": "consent", "operator": "=", "answerBoolean": true}]}
        ]})
    };
    let loaded = Questionnaire::parse(
        &json!({"resourceType": "Questionnaire", "status": "active", "item": [section("mother"), section("father")]}).to_string(),
    )
    .unwrap();
    let warnings: Vec<String> = loaded.diagnostics.iter().map(|d| format!("{}: {}", d.path, d.message)).collect();
    assert!(warnings.iter().any(|w| w.contains("Questionnaire.item[1].item[0].linkId: linkId \"consent\" is used again")), "{warnings:#?}");
    let q = Arc::new(loaded.questionnaire);
    let mut form = FormState::new(q.clone());
    let roots = form.roots().to_vec();
    let children = |form: &FormState, g: usize| form.node(roots[g]).unwrap().children.clone();
    let (father_consent, father_name) = (children(&form, 1)[0], children(&form, 1)[1]);
    let mother_name = children(&form, 0)[1];
    form.apply(Action::SetAnswer { node: father_consent, value: Some(AnswerValue::Boolean(true)) }).unwrap();
    assert!(form.evaluate().is_enabled(father_name), "the father's consent opens the father's name");
    assert!(!form.evaluate().is_enabled(mother_name), "and not the mother's");
    form.apply(Action::SetInput { node: father_name, text: "Tomasz".into() }).unwrap();
    // The response goes out and comes back with each answer in its own group.
    let response = form.to_response(&Default::default());
    let (again, _, _) = FormState::from_response(q, &response).unwrap();
    assert_eq!(again.to_response(&Default::default()), response);
    let again_roots = again.roots().to_vec();
    let father_again = again.node(again_roots[1]).unwrap().children[1];
    assert_eq!(again.node(father_again).unwrap().answers, vec![AnswerValue::String("Tomasz".into())]);
}

#[test]
fn a_reference_to_a_shared_linkid_that_cannot_tell_them_apart_stops_the_load() {
    let e = errors(
        &json!({"resourceType": "Questionnaire", "status": "active", "item": [
            {"linkId": "mother", "type": "group", "item": [{"linkId": "consent", "type": "boolean"}]},
            {"linkId": "father", "type": "group", "item": [{"linkId": "consent", "type": "boolean"}]},
            {"linkId": "gp", "type": "string", "enableWhen": [{"question": "consent", "operator": "=", "answerBoolean": true}]}
        ]})
        .to_string(),
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(e[0].contains("Questionnaire.item[2].enableWhen[0].question: enableWhen names \"consent\", which several items share"), "{e:#?}");
    assert!(e[0].contains("Questionnaire.item[0].item[0], Questionnaire.item[1].item[0]"), "{e:#?}");
}

#[test]
fn a_condition_of_the_wrong_type_is_left_out_with_a_warning_not_the_whole_form() {
    // As in LHC-Forms' enableWhen test form: a month and a time compared with answerInteger.
    let loaded = Questionnaire::parse(
        &json!({"resourceType": "Questionnaire", "status": "active", "item": [
            {"linkId": "when", "type": "date"},
            {"linkId": "text", "type": "string"},
            {"linkId": "a", "type": "string", "enableWhen": [{"question": "when", "operator": "=", "answerInteger": "2022-09"}]},
            {"linkId": "b", "type": "string", "enableWhen": [{"question": "text", "operator": "=", "answerCoding": {"code": "x"}},
                                                              {"question": "text", "operator": "exists", "answerBoolean": true}]}
        ]})
        .to_string(),
    )
    .unwrap();
    let warnings: Vec<String> = loaded.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(
        warnings.iter().any(|w| w.contains("Questionnaire.item[2].enableWhen[0].answerInteger")
            && w.contains("this condition is left out")),
        "{warnings:#?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("Questionnaire.item[3].enableWhen[0].answerCoding: \"text\" is a string question")
                && w.contains("left out")),
        "{warnings:#?}"
    );
    let q = loaded.questionnaire;
    assert!(q.item_by_link_id("a").unwrap().enable_when.is_empty(), "the unreadable condition is gone");
    assert_eq!(q.item_by_link_id("b").unwrap().enable_when.len(), 1, "the other condition of b stays");
}

#[test]
fn a_condition_loop_is_an_error_that_names_the_loop() {
    let e = errors(
        &json!({"resourceType": "Questionnaire", "status": "active", "item": [
            {"linkId": "a", "type": "boolean", "enableWhen": [{"question": "b", "operator": "exists", "answerBoolean": true}]},
            {"linkId": "b", "type": "boolean", "enableWhen": [{"question": "a", "operator": "exists", "answerBoolean": true}]}
        ]})
        .to_string(),
    );
    assert!(e[0].contains("loop") && e[0].contains("\"a\"") && e[0].contains("\"b\""), "{e:?}");
}

#[test]
fn not_a_questionnaire_is_said_plainly() {
    let e = errors(r#"{"resourceType": "Patient"}"#);
    assert!(e[0].contains("this is a Patient, not a Questionnaire"), "{e:?}");
    assert_eq!(ItemType::from_code("open-choice"), Some(ItemType::OpenChoice));
}
