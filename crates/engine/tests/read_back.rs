//! What staff read back before sending, and what the engine says about dates people type:
//! through the shipped templates (read from `templates/`).

use std::sync::Arc;

use formwell_engine::{Action, AnswerValue, DemographicChange, FhirDate, FormState, Questionnaire};

fn template(name: &str) -> Arc<Questionnaire> {
    let path = format!("{}/../../templates/{name}.json", env!("CARGO_MANIFEST_DIR"));
    Arc::new(Questionnaire::parse(&std::fs::read_to_string(path).unwrap()).unwrap().questionnaire)
}

fn typed(form: &mut FormState, link_id: &str, text: &str) {
    let node = form.node_by_link_id(link_id).unwrap();
    form.apply(Action::SetInput { node, text: text.into() }).unwrap();
}

fn answer(form: &mut FormState, link_id: &str, value: AnswerValue) {
    let node = form.node_by_link_id(link_id).unwrap();
    form.apply(Action::SetAnswer { node, value: Some(value) }).unwrap();
}

fn messages(form: &FormState, link_id: &str) -> Vec<String> {
    let node = form.node_by_link_id(link_id).unwrap();
    form.evaluate().issues().into_iter().filter(|(n, _)| *n == node).map(|(_, i)| i.message()).collect()
}

#[test]
fn the_read_back_is_every_shown_question_in_plain_words_under_its_headings() {
    let mut form = FormState::new(template("family-registration"));
    assert!(!form.has_answers(), "an opened form holds nothing to keep");
    typed(&mut form, "carer-given-name", "Amina");
    typed(&mut form, "carer-birth-date", "3/5/1992");
    answer(&mut form, "consent-share", AnswerValue::Boolean(true));
    assert!(form.has_answers());
    let lines = form.read_back();
    let line = |label: &str| lines.iter().find(|l| l.label == label).unwrap_or_else(|| panic!("{label}: {lines:?}"));
    assert!(line("Parent or carer").heading);
    assert_eq!(line("First name").answers, vec!["Amina"]);
    assert_eq!(line("Date of birth").answers, vec!["3 May 1992"], "a date as people read it");
    assert_eq!(line("Last name").answers, Vec::<String>::new(), "unanswered, and said so");
    assert!(line("First name").depth > line("Parent or carer").depth);
    assert!(lines.iter().all(|l| l.label != "Which language?"), "a question not shown is not read back");
    assert!(!lines.iter().any(|l| l.label.starts_with("How we use your information")), "display text is not an answer");
}

#[test]
fn a_prompt_an_answer_raised_is_kept_for_the_sent_page() {
    let mut form = FormState::new(template("breastfeeding-peer-support"));
    assert_eq!(form.prompts(), Vec::<String>::new());
    answer(&mut form, "pain", AnswerValue::Boolean(true));
    let prompts = form.prompts();
    assert_eq!(prompts.len(), 1);
    assert!(prompts[0].contains("pass this on"), "{prompts:?}");
}

#[test]
fn a_half_typed_date_says_what_is_missing_and_a_birth_date_cannot_be_in_the_future() {
    let mut form = FormState::new(template("family-registration"));
    typed(&mut form, "child-birth-date", "27//2024");
    assert_eq!(messages(&form, "child-birth-date"), vec!["Enter a month"]);
    typed(&mut form, "child-birth-date", "/5/");
    assert_eq!(messages(&form, "child-birth-date"), vec!["Enter a day and a year"]);
    typed(&mut form, "child-birth-date", "31/2/2024");
    assert_eq!(messages(&form, "child-birth-date"), vec!["Enter a real date, like 27 3 2024"]);
    typed(&mut form, "child-birth-date", "1/1/2027");
    assert_eq!(messages(&form, "child-birth-date"), Vec::<String>::new(), "the form does not know the day yet");
    form.set_today(FhirDate::parse("2026-12-01").unwrap());
    assert_eq!(messages(&form, "child-birth-date"), vec!["Enter a date of birth that is today or in the past"]);
    typed(&mut form, "child-birth-date", "1/12/2026");
    assert_eq!(messages(&form, "child-birth-date"), Vec::<String>::new(), "today is fine");
}

#[test]
fn the_contact_form_says_itself_whether_a_change_is_temporary_and_whether_it_was_read_back() {
    let mut form = FormState::new(template("change-of-contact-details"));
    assert_eq!(form.suggested_demographic_change(), None);
    assert_eq!(form.read_back_to_person(), None);
    let what = form.node_by_link_id("what-changed").unwrap();
    let address = form.questionnaire().item(form.node(what).unwrap().item).answer_options[0].value.clone();
    form.apply(Action::SetAnswer { node: what, value: Some(address) }).unwrap();
    let permanence = form.node_by_link_id("address-permanence").unwrap();
    let options = form.questionnaire().item(form.node(permanence).unwrap().item).answer_options.clone();
    form.apply(Action::SetAnswer { node: permanence, value: Some(options[1].value.clone()) }).unwrap();
    typed(&mut form, "address-until", "31/1/2027");
    assert_eq!(form.suggested_demographic_change(), Some(DemographicChange::Temporary { until: Some("2027-01-31".into()) }));
    form.apply(Action::SetAnswer { node: permanence, value: Some(options[0].value.clone()) }).unwrap();
    assert_eq!(form.suggested_demographic_change(), Some(DemographicChange::Permanent), "the end date goes with temporary");
    answer(&mut form, "confirmed-with-person", AnswerValue::Boolean(false));
    assert_eq!(form.read_back_to_person(), Some(false));
}
