//! Render tests of each widget, natively, through yew's server renderer: the form page
//! renders the widget an item's type and itemControl ask for, with its label, hint,
//! prefix and read-only state, and renders nothing for hidden or disabled items.

use formwell_app::form_page::{FormPage, FormPageProps};
use formwell_app::library::{self, Template};
use serde_json::{json, Value};
use yew::LocalServerRenderer;

async fn render_items(items: Value) -> String {
    let text =
        json!({"resourceType": "Questionnaire", "status": "active", "title": "Test form", "item": items}).to_string();
    let template = Template::load("test", &text).unwrap();
    render(template).await
}

async fn render(template: Template) -> String {
    LocalServerRenderer::<FormPage>::with_props(FormPageProps { template, resume: None })
        .hydratable(false)
        .render()
        .await
}

fn control(code: &str) -> Value {
    json!([{"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl", "valueCodeableConcept": {"coding": [{"code": code}]}}])
}

fn options() -> Value {
    json!([{"valueCoding": {"system": "http://snomed.info/sct", "code": "1", "display": "First"}},
           {"valueCoding": {"system": "http://snomed.info/sct", "code": "2", "display": "Second"}}])
}

#[tokio::test(flavor = "current_thread")]
async fn free_entry_widgets_follow_the_item_type() {
    let html = render_items(json!([
        {"linkId": "s", "type": "string", "text": "Name", "prefix": "1.", "maxLength": 20},
        {"linkId": "t", "type": "text", "text": "Notes"},
        {"linkId": "i", "type": "integer", "text": "Age"},
        {"linkId": "d", "type": "decimal", "text": "Height"},
        {"linkId": "date", "type": "date", "text": "Born"},
        {"linkId": "dt", "type": "dateTime", "text": "Seen"},
        {"linkId": "tm", "type": "time", "text": "At"},
        {"linkId": "u", "type": "url", "text": "Website"},
        {"linkId": "a", "type": "attachment", "text": "Photo"},
        {"linkId": "r", "type": "reference", "text": "Practitioner"}
    ]))
    .await;
    for expected in [
        r#"<span class="prefix">1. </span>Name"#,
        r#"maxlength="20""#,
        r#"<textarea"#,
        r#"inputmode="numeric""#,
        r#"inputmode="decimal""#,
        r#"<legend class="question">Born</legend>"#,
        r#"For example, 27 3 2024"#,
        r#"<label for="fw-4-month">Month</label>"#,
        r#"type="datetime-local""#,
        r#"type="time""#,
        r#"type="url""#,
        r#"type="file""#,
        r#"placeholder="Patient/123""#,
    ] {
        assert!(html.contains(expected), "missing {expected} in\n{html}");
    }
    // Nine questions with one field each, and a date of three labelled parts.
    let labels = html.matches(r#"<label for="fw-"#).count();
    assert_eq!(labels, 9 + 3, "every field has a label");
}

#[tokio::test(flavor = "current_thread")]
async fn choice_widgets_follow_the_item_control() {
    let html = render_items(json!([
        {"linkId": "radio", "type": "choice", "text": "Radio", "answerOption": options(), "extension": control("radio-button")},
        {"linkId": "check", "type": "choice", "text": "Check", "repeats": true, "answerOption": options()},
        {"linkId": "drop", "type": "choice", "text": "Drop", "answerOption": options(), "extension": control("drop-down")},
        {"linkId": "auto", "type": "choice", "text": "Auto", "answerOption": options(), "extension": control("autocomplete")},
        {"linkId": "open", "type": "open-choice", "text": "Open", "repeats": true, "answerOption": options()},
        {"linkId": "yn", "type": "boolean", "text": "Agree?"},
        {"linkId": "tick", "type": "boolean", "text": "Tick", "extension": control("check-box")}
    ]))
    .await;
    assert_eq!(html.matches(r#"type="radio""#).count(), 2 + 2, "two options, and yes/no");
    assert_eq!(html.matches(r#"type="checkbox""#).count(), 2 + 2 + 1, "two multi-selects of two, and a tick box");
    assert!(html.contains("<select") && html.contains("Choose…"));
    assert!(html.contains("<datalist") && html.contains(r#"<option value="Second">"#));
    assert!(html.contains("Something else (say what)"), "open choice takes a typed answer");
    assert!(html.contains(r#"<legend class="question">Radio"#), "a set of options is a fieldset with a legend");
}

#[tokio::test(flavor = "current_thread")]
async fn sliders_and_quantities_with_units() {
    let slider = |link: &str, max: i64| {
        json!({"linkId": link, "type": "integer", "text": link, "extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl", "valueCodeableConcept": {"coding": [{"code": "slider"}]}},
            {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": 0},
            {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": max}]})
    };
    let html = render_items(json!([
        slider("Score", 10),
        slider("Percent", 100),
        {"linkId": "w", "type": "quantity", "text": "Weight", "extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption", "valueCoding": {"system": "http://unitsofmeasure.org", "code": "kg", "display": "kg"}},
            {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption", "valueCoding": {"system": "http://unitsofmeasure.org", "code": "[lb_av]", "display": "lb"}}]}
    ]))
    .await;
    // A short scale is a row of radio buttons, so its lowest point can be chosen (and
    // cleared): a range input always holds a value and cannot say "not answered".
    assert!(html.contains(r#"<legend class="question">Score</legend><div class="radios scale">"#), "{html}");
    assert_eq!(html.matches(r#"name="fw-0""#).count(), 11, "0 to 10 is eleven choices: {html}");
    assert!(html.contains(r#"<label for="fw-0">0</label>"#), "the minimum is a choice of its own");
    assert!(html.contains(r#"type="range""#) && html.contains(r#"min="0""#) && html.contains(r#"max="100""#), "{html}");
    assert!(html.contains(r#"aria-label="Unit""#) && html.contains(">lb</option>"), "{html}");
}

#[tokio::test(flavor = "current_thread")]
async fn groups_repeats_display_hidden_and_read_only() {
    let html = render_items(json!([
        {"linkId": "note", "type": "display", "text": "Plain", "_text": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/rendering-xhtml",
            "valueString": "<p>Safe <b>words</b></p><script>alert('x')</script>"}]}},
        {"linkId": "g", "type": "group", "text": "Child", "repeats": true, "item": [{"linkId": "n", "type": "string", "text": "Child name"}]},
        {"linkId": "secret", "type": "string", "text": "Hidden one", "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-hidden", "valueBoolean": true}]},
        {"linkId": "ro", "type": "string", "text": "Fixed", "readOnly": true, "initial": [{"valueString": "kept"}]},
        {"linkId": "later", "type": "string", "text": "Only when agreed", "enableWhen": [{"question": "ro", "operator": "=", "answerString": "other"}]}
    ]))
    .await;
    assert!(html.contains("Safe words"), "display text as safe text");
    assert!(!html.contains("<script") && !html.contains("alert("), "no markup from the template reaches the page");
    assert!(
        html.contains(r#"class="item group""#) && html.contains("<legend>Child</legend>"),
        "a group is a fieldset with a legend"
    );
    assert!(html.contains("Add another: Child"));
    assert!(!html.contains("Hidden one"), "hidden items are not shown");
    assert!(html.contains(r#"value="kept""#) && html.contains("readonly"), "read-only items show their value, fixed");
    assert!(!html.contains("Only when agreed"), "a disabled item renders nothing");
}

#[tokio::test(flavor = "current_thread")]
async fn a_template_with_warnings_says_so_above_the_form() {
    let html = render_items(json!([{"linkId": "x", "type": "string", "required": "true",
        "extension": [{"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression", "valueExpression": {"language": "text/cql", "expression": "1"}}]}]))
    .await;
    assert!(html.contains("This form opened, but"), "{html}");
    assert!(html.contains("1 thing in the file had to be read generously"));
    assert!(html.contains("1 feature this app does not carry out yet"));
    assert!(html.contains("Questionnaire.item[0].required"));
}

#[tokio::test(flavor = "current_thread")]
async fn a_calculated_item_shows_its_value_and_dynamic_text_its_words() {
    let calc = |e: &str| json!([{"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression", "valueExpression": {"language": "text/fhirpath", "expression": e}}]);
    let html = render_items(json!([
        {"linkId": "a", "type": "integer", "text": "A", "initial": [{"valueInteger": 4}]},
        {"linkId": "total", "type": "integer", "text": "Total", "readOnly": true, "extension": calc("%resource.item.where(linkId='a').answer.value * 2")},
        {"linkId": "say", "type": "display", "text": "static", "_text": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/cqf-expression",
            "valueExpression": {"language": "text/fhirpath", "expression": "'A is ' + %resource.item.where(linkId='a').answer.value.toString()"}}]}}
    ]))
    .await;
    assert!(html.contains(r#"value="8""#), "the total is calculated: {html}");
    assert!(html.contains("A is 4") && !html.contains("static"), "the display item shows its dynamic text: {html}");
}

#[tokio::test(flavor = "current_thread")]
async fn every_shipped_template_renders_and_loads_cleanly() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let id = path.file_stem().unwrap().to_string_lossy().into_owned();
        let template = Template::load(&id, &std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(template.diagnostics.is_empty(), "{id}: {:?}", template.diagnostics);
        let q = &template.questionnaire;
        for field in [&q.title, &q.description, &q.publisher, &q.version, &q.status] {
            assert!(field.is_some(), "{id} lacks title, description, publisher, version or status");
        }
        let html = render(template.clone()).await;
        assert!(html.contains(q.display_title()), "{id}");
        assert!(html.contains("Check answers"));
        count += 1;
    }
    assert_eq!(count, 7);
}

#[test]
fn the_library_file_gives_every_template_and_names_a_broken_one() {
    let good =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/family-registration.json")).unwrap();
    let text = format!(
        r#"{{"templates": [{{"id": "family-registration", "questionnaire": {good}}}, {{"id": "broken", "questionnaire": {{"resourceType": "Patient"}}}}]}}"#
    );
    let (templates, broken) = library::from_library_json(&text).unwrap();
    assert_eq!(templates.len(), 1);
    assert_eq!(templates[0].source, "family-registration");
    assert_eq!(broken.len(), 1);
    assert!(broken[0].starts_with("broken: "), "{broken:?}");
    assert!(library::from_library_json("not json").is_err());
}
