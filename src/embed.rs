//! A form inside a partner's page: the same engine, form page, impact guard and outbox as
//! the app, mounted into an element the embedding script (`static/embed.js`) made inside a
//! Shadow DOM. What the portal passes at mount time (`EmbedOptions`) is hostile input: it
//! is read strictly, and anything wrong is said in the form and in an `error` event, with
//! nothing sent. The portal hears what happens through events (`ready`, `change`,
//! `submitted`, `error`) and drives the form through a handle (`EmbeddedForm`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use formwell_engine::submit::delivery::Phase;
use formwell_engine::submit::person::Person;
use formwell_engine::FormState;
use serde_json::{json, Value};
use yew::prelude::*;

use crate::config::{AppConfig, Backend, BackendState, ConfigEvent, DEFAULT_SEND_TIMEOUT_MS};
use crate::form_page::{FormPage, FormPageProps};
use crate::library::{self, Template};
use crate::outbox::{use_page_outbox, Outbox};
use crate::vault::Session;
use crate::web;

/// The service settings a form may be embedded for (the ruleset's; checked again by the
/// server against the token's own).
const SETTINGS: &[&str] = &["community", "health_visiting", "midwifery", "general_practice"];

/// Which template to show.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateChoice {
    /// One of the shipped templates, by id (`family-registration`).
    Shipped(String),
    /// A Questionnaire at a web address.
    Url(String),
    /// A Questionnaire the portal gives as JSON.
    Inline(String),
}

/// What a portal passes at mount time.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbedOptions {
    pub template: TemplateChoice,
    /// The record system's FHIR base; without it the form ends by showing what it would send.
    pub fhir: Option<String>,
    /// The partner token, from the portal's own back end (never in the page's source).
    pub token: Option<String>,
    /// Whose record (`Patient/123`), and their name as the portal knows it.
    pub patient: Option<String>,
    pub patient_name: Option<String>,
    pub practitioner: Option<String>,
    /// Who is filling the form, as recorded with confirmations and as the author.
    pub author: Option<String>,
    pub setting: String,
    pub lang: String,
    pub send_timeout_ms: u32,
    /// The iframe mode's portal (`https://portal.example`), said to the record system with
    /// each request; it counts there only from this server's own pages.
    pub embedder: Option<String>,
    /// Answers to start from (a QuestionnaireResponse, as `response()` gives it): those whose
    /// questions the template still has are kept (the studio's reloads).
    pub response: Option<Value>,
    /// FHIR resources for prepopulation, by launch context name (`patient`, `user`,
    /// `encounter`): the portal's record of the person, fuller than a name.
    pub launch: formwell_engine::form::expressions::LaunchContext,
}

impl EmbedOptions {
    /// Reads the options (a JSON object), refusing what is not right with a reason that
    /// names the option: a typo must not silently send under defaults.
    pub fn from_json(text: &str) -> Result<EmbedOptions, String> {
        let json: Value = serde_json::from_str(text).map_err(|_| "the options are not a JSON object".to_string())?;
        let object = json.as_object().ok_or("the options are not an object")?;
        let known = [
            "template", "templateUrl", "questionnaire", "fhir", "token", "patient", "patientName", "practitioner", "author",
            "setting", "lang", "sendTimeoutMs", "embedder", "response", "launchContext",
        ];
        if let Some(unknown) = object.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(format!("there is no option \"{}\" (the options are: {})", clip(unknown), known.join(", ")));
        }
        let text = |key: &str| -> Result<Option<String>, String> {
            match object.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
                Some(Value::String(s)) if s.len() <= 2048 => Ok(Some(s.trim().to_owned())),
                Some(Value::String(_)) => Err(format!("the option \"{key}\" is too long")),
                Some(_) => Err(format!("the option \"{key}\" must be text")),
            }
        };
        let template = match (text("template")?, text("templateUrl")?, object.get("questionnaire")) {
            (Some(id), None, None) => {
                if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') || id.len() > 64 {
                    return Err(format!("\"{}\" is not the id of a template", clip(&id)));
                }
                TemplateChoice::Shipped(id)
            }
            (None, Some(url), None) => TemplateChoice::Url(web_address("templateUrl", &url)?),
            (None, None, Some(q)) => match q {
                Value::Object(_) => TemplateChoice::Inline(q.to_string()),
                Value::String(s) => TemplateChoice::Inline(s.clone()),
                _ => return Err("the option \"questionnaire\" must be a Questionnaire (a JSON object)".into()),
            },
            (None, None, None) => return Err("say which form to show: template, templateUrl or questionnaire".into()),
            _ => return Err("give only one of template, templateUrl and questionnaire".into()),
        };
        let reference = |key: &str, kind: &str| -> Result<Option<String>, String> {
            match text(key)? {
                None => Ok(None),
                Some(r) => match r.strip_prefix(kind).and_then(|r| r.strip_prefix('/')) {
                    Some(id) if !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') => {
                        Ok(Some(r))
                    }
                    _ => Err(format!("the option \"{key}\" must be a reference like {kind}/123, not \"{}\"", clip(&r))),
                },
            }
        };
        let setting = text("setting")?.unwrap_or_else(|| crate::config::DEFAULT_SETTING.into());
        if !SETTINGS.contains(&setting.as_str()) {
            return Err(format!("\"{}\" is not a service setting (they are: {})", clip(&setting), SETTINGS.join(", ")));
        }
        let fhir = text("fhir")?.map(|f| web_address("fhir", &f)).transpose()?.map(|f| f.trim_end_matches('/').to_owned());
        let token = text("token")?;
        if token.is_some() && fhir.is_none() {
            return Err("a token was given without the record system (fhir) it is for".into());
        }
        let send_timeout_ms = match object.get("sendTimeoutMs") {
            None => DEFAULT_SEND_TIMEOUT_MS,
            Some(v) => v.as_u64().filter(|n| (1000..=120_000).contains(n)).ok_or("sendTimeoutMs must be a number of milliseconds from 1000 to 120000")? as u32,
        };
        let embedder = match text("embedder")? {
            Some(origin) if web_address("embedder", &origin).is_ok() && origin.matches('/').count() == 2 => Some(origin),
            Some(origin) => return Err(format!("\"{}\" is not a web origin", clip(&origin))),
            None => None,
        };
        let response = match object.get("response") {
            None | Some(Value::Null) => None,
            Some(r) if r["resourceType"] == "QuestionnaireResponse" => Some(r.clone()),
            Some(_) => return Err("the option \"response\" must be a QuestionnaireResponse".into()),
        };
        let patient = reference("patient", "Patient")?;
        let launch = launch_context(object.get("launchContext"), patient.as_deref())?;
        Ok(EmbedOptions {
            launch,
            response,
            embedder,
            template,
            fhir,
            token,
            patient,
            patient_name: text("patientName")?,
            practitioner: reference("practitioner", "Practitioner")?,
            author: text("author")?,
            setting,
            lang: text("lang")?.unwrap_or_else(|| "en".into()),
            send_timeout_ms,
        })
    }

    /// The configuration the form runs under: the record system, setting and person the
    /// portal gave; nothing from the app's own configuration file.
    fn config(&self, embedding: Embedding) -> AppConfig {
        let mut config = AppConfig {
            setting: self.setting.clone(),
            staff: self.author.clone(),
            embedding: Some(embedding),
            launch: self.launch.clone(),
            ..AppConfig::default()
        };
        config.send_timeout_ms = self.send_timeout_ms;
        if let Some(base) = &self.fhir {
            config.backend = Some(Backend {
                base: base.clone(),
                token: self.token.clone(),
                patient: self.patient.clone(),
                practitioner: self.practitioner.clone(),
            });
            config.backend_state = BackendState::Checking;
        }
        // The person the portal names; with none, someone new whom the form describes
        // (only a form that registers a person can be sent so).
        config.person = Some(Person {
            reference: self.patient.clone(),
            name: self.patient_name.clone().unwrap_or_default(),
            birth_date: None,
            nhs_number: None,
        });
        config
    }
}

/// The `launchContext` option: FHIR resources by name. `patient` must be a Patient, and the
/// one the `patient` option names when both are given; `user` a Practitioner,
/// PractitionerRole, Patient or RelatedPerson; `encounter` an Encounter.
fn launch_context(
    value: Option<&Value>,
    patient: Option<&str>,
) -> Result<formwell_engine::form::expressions::LaunchContext, String> {
    let mut launch = formwell_engine::form::expressions::LaunchContext::new();
    let object = match value {
        None | Some(Value::Null) => return Ok(launch),
        Some(Value::Object(o)) => o,
        Some(_) => return Err("the option \"launchContext\" must be an object of FHIR resources by name".into()),
    };
    for (name, resource) in object {
        let kind = resource.get("resourceType").and_then(Value::as_str).unwrap_or_default();
        let allowed: &[&str] = match name.as_str() {
            "patient" => &["Patient"],
            "user" => &["Practitioner", "PractitionerRole", "Patient", "RelatedPerson"],
            "encounter" => &["Encounter"],
            "location" => &["Location"],
            "study" => &["ResearchStudy"],
            other => return Err(format!("launchContext has no \"{}\" (patient, user, encounter, location, study)", clip(other))),
        };
        if !allowed.contains(&kind) {
            return Err(format!("launchContext.{name} must be a {}", allowed.join(" or ")));
        }
        if let (Some(named), Some(id)) = (patient.filter(|_| name == "patient"), resource.get("id").and_then(Value::as_str)) {
            if named != format!("Patient/{id}") {
                return Err(format!("launchContext.patient is Patient/{}, but the option patient names {named}", clip(id)));
            }
        }
        launch.insert(name.clone(), resource.clone());
    }
    Ok(launch)
}

/// Only http(s) addresses: a `javascript:` or `data:` one must never be fetched.
fn web_address(key: &str, url: &str) -> Result<String, String> {
    let lower = url.to_ascii_lowercase();
    if (lower.starts_with("https://") || lower.starts_with("http://")) && !url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Ok(url.to_owned())
    } else {
        Err(format!("the option \"{key}\" must be an http or https address"))
    }
}

/// Hostile text, shortened before it is repeated in a message.
fn clip(text: &str) -> String {
    text.chars().take(40).collect()
}

/// What the portal hears, and how its handle reaches the form on the page.
#[derive(Clone)]
pub struct Embedding {
    /// The root the form is in (its Shadow DOM): ids are looked up there, not in the page.
    pub root: web_sys::Node,
    /// An event for the portal: its name and its detail as JSON.
    pub emit: Callback<(&'static str, String)>,
    pub control: Rc<Control>,
}

impl PartialEq for Embedding {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.control, &other.control)
    }
}

impl std::fmt::Debug for Embedding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Embedding")
    }
}

thread_local! {
    /// How many forms this page has mounted: each keeps its records under a name of its own.
    static MOUNTED: Cell<u32> = const { Cell::new(0) };
}

/// The form page's side of the portal's handle: its state, and its "check and send".
#[derive(Default)]
pub struct Control {
    pub form: RefCell<Option<Rc<RefCell<FormState>>>>,
    pub submit: RefCell<Option<Callback<()>>>,
    /// The rules and setting the form is checked under, once loaded (for `wouldSend`).
    pub rules: RefCell<Option<(Rc<formwell_engine::Ruleset>, String)>>,
}

#[derive(Properties, PartialEq)]
pub struct EmbeddedProps {
    pub options: Rc<EmbedOptions>,
    /// Where the app's files are (the embedding script's folder), ending in `/`.
    pub assets: Rc<str>,
    pub embedding: Embedding,
}

/// The embedded form: its configuration, rules, template and outbox, then the form page.
#[function_component(Embedded)]
pub fn embedded(props: &EmbeddedProps) -> Html {
    let config = {
        let (options, embedding) = (props.options.clone(), props.embedding.clone());
        use_reducer(move || options.config(embedding))
    };
    let outbox = use_page_outbox(props.options.send_timeout_ms);
    let template = use_state(|| None::<Result<Template, String>>);
    {
        let (dispatch, assets, outbox, options) = (config.dispatcher(), props.assets.clone(), outbox.clone(), props.options.clone());
        let template = template.clone();
        use_effect_with((), move |_| {
            // The outbox keeps what it sends in the page's memory, with the portal's token
            // kept for the portal's record system alone.
            if let Some(base) = options.fhir.clone() {
                let number = MOUNTED.with(|m| m.replace(m.get() + 1));
                let session = Session::in_page(&format!("embedded-{number}"));
                let (outbox, token) = (outbox.clone(), options.token.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    if let Some(token) = token {
                        let _ = session.keep_token(&base, &token).await;
                    }
                    outbox.set_session(Some(session));
                });
            }
            let rules_from = format!("{assets}{}", crate::loaders::RULESET_FILE);
            wasm_bindgen_futures::spawn_local(async move {
                dispatch.dispatch(ConfigEvent::RulesLoaded(crate::loaders::load_ruleset(&rules_from).await));
            });
            wasm_bindgen_futures::spawn_local(async move {
                template.set(Some(load_template(&options.template, &assets).await));
            });
        });
    }
    crate::loaders::use_backend_check(&config, config.dispatcher());
    if let crate::config::RulesState::Ready(rules) = &config.rules {
        props.embedding.control.rules.replace(Some((rules.clone(), config.setting.clone())));
    }
    // The answers the portal (or the studio) starts from, where they still fit.
    let resume = {
        let response = props.options.response.clone();
        let loaded = (*template).as_ref().and_then(|t| t.as_ref().ok()).map(|t| t.source.clone());
        let template = template.clone();
        use_memo(loaded, move |_| {
            let q = (*template).as_ref()?.as_ref().ok()?.questionnaire.clone();
            let form = crate::studio::carry_answers(q, response.as_ref()?)?;
            Some(Rc::new(crate::drafts::Resumed { id: String::new(), form, changes: Vec::new() }))
        })
    };

    // ready once the form is on the page, or an error; an error in the record system's
    // check as soon as it is known.
    {
        let emit = props.embedding.emit.clone();
        let loaded = (*template).as_ref().map(|t| t.as_ref().map(|t| t.source.clone()).map_err(Clone::clone));
        use_effect_with(loaded, move |loaded| match loaded {
            Some(Ok(source)) => emit.emit(("ready", json!({ "template": source }).to_string())),
            Some(Err(why)) => emit.emit(("error", json!({ "message": why }).to_string())),
            None => {}
        });
    }
    let refused = match &config.backend_state {
        BackendState::NotAllowed(why) | BackendState::Unsuitable(why) => Some(why.clone()),
        _ => None,
    };
    {
        let emit = props.embedding.emit.clone();
        use_effect_with(refused.clone(), move |refused| {
            if let Some(why) = refused {
                emit.emit(("error", json!({ "message": format!("The record system cannot take this form: {why}") }).to_string()));
            }
        });
    }
    use_submitted_events(&outbox, &props.embedding.emit);

    let page = match &*template {
        None => html! { <p class="loading" role="status">{ "Loading the form…" }</p> },
        Some(Err(why)) => html! {
            <div class="error-summary" id="embed-error" role="alert"><h2>{ "This form cannot be shown" }</h2><p>{ why }</p></div>
        },
        Some(Ok(template)) => html! { <FormPage ..FormPageProps { template: template.clone(), resume: (*resume).clone() } /> },
    };
    let config_value: AppConfig = (*config).clone();
    html! {
        <ContextProvider<AppConfig> context={config_value}>
        <ContextProvider<Outbox> context={outbox.clone()}>
            if let Some(why) = refused {
                <div class="error-summary" id="not-allowed" role="alert">
                    <h2>{ "This form cannot be sent from here" }</h2>
                    <p>{ format!("{why} Nothing will be sent. Tell the people who run this website.") }</p>
                </div>
            }
            <main class="page embedded">{ page }</main>
        </ContextProvider<Outbox>>
        </ContextProvider<AppConfig>>
    }
}

/// A `submitted` event for each submission the record system has taken (once), with
/// where it put each resource; an `error` for one it refused.
#[hook]
fn use_submitted_events(outbox: &Outbox, emit: &Callback<(&'static str, String)>) {
    let told = use_mut_ref(Vec::<String>::new);
    let view = outbox.view.clone();
    let emit = emit.clone();
    use_effect_with(view, move |view| {
        for outgoing in &view.outgoing {
            let id = &outgoing.record.id;
            let event = match &outgoing.delivery.phase {
                Phase::Sent { locations } => ("submitted", json!({ "id": id, "locations": locations })),
                Phase::Refused { reason, .. } => ("error", json!({ "id": id, "message": format!("The record system refused the form: {reason}") })),
                _ => continue,
            };
            let key = format!("{}:{id}", event.0);
            if !told.borrow().contains(&key) {
                told.borrow_mut().push(key);
                emit.emit((event.0, event.1.to_string()));
            }
        }
    });
}

async fn load_template(choice: &TemplateChoice, assets: &str) -> Result<Template, String> {
    match choice {
        TemplateChoice::Shipped(id) => {
            let text = web::template_text(web::fetch_text(&format!("{assets}{}", library::LIBRARY_FILE)).await).await?;
            let (templates, _) = library::from_library_json(&text)?;
            templates.into_iter().find(|t| &t.source == id).ok_or_else(|| format!("there is no template \"{id}\""))
        }
        TemplateChoice::Url(url) => {
            let text = web::template_text(web::fetch_text(url).await).await?;
            Template::load(url, &text).map_err(|e| format!("the form at {url} could not be opened: {e}"))
        }
        TemplateChoice::Inline(text) => {
            let text = web::template_text(Ok(text.clone())).await?;
            Template::load("questionnaire", &text).map_err(|e| format!("the questionnaire given could not be opened: {e}"))
        }
    }
}

/// What the embedding build exports to `static/embed.js` (the tablet's app carries none
/// of it).
#[cfg(feature = "embed")]
mod exports {
    use std::rc::Rc;

    use serde_json::{json, Value};
    use wasm_bindgen::prelude::*;
    use yew::prelude::*;

    use super::{Control, EmbedOptions, Embedded, EmbeddedProps, Embedding};
    use crate::web;

    /// The portal's handle on one embedded form (`Formwell.mount` wraps it). Exported by the
    /// embedding build alone: the tablet's app carries none of it.
    #[wasm_bindgen]
    pub struct EmbeddedForm {
        app: Option<yew::AppHandle<Embedded>>,
        control: Rc<Control>,
    }

    #[wasm_bindgen]
    impl EmbeddedForm {
        /// The QuestionnaireResponse as it stands (JSON), `in-progress` until it is complete.
        pub fn response(&self) -> String {
            let Some(form) = self.control.form.borrow().clone() else { return "null".into() };
            let form = form.borrow();
            crate::studio::response_as_it_stands(&form, &web::now()).to_string()
        }

        /// What is missing or wrong (JSON: `[{ linkId, message }]`; empty when it can be sent).
        pub fn validate(&self) -> String {
            let Some(form) = self.control.form.borrow().clone() else { return "[]".into() };
            let form = form.borrow();
            let q = form.questionnaire().clone();
            let issues: Vec<Value> = form
                .evaluate()
                .issues()
                .into_iter()
                .filter_map(|(node, issue)| {
                    let item = q.item(form.node(node)?.item);
                    Some(json!({ "linkId": item.link_id, "message": format!("{}: {}", item.label(), issue.message()) }))
                })
                .collect();
            Value::Array(issues).to_string()
        }

        /// What "Check answers" then "Send" do: problems shown, or the read-back, the impact
        /// guard (a confirmation still needs a person) and the outbox.
        pub fn submit(&self) {
            if let Some(submit) = self.control.submit.borrow().clone() {
                submit.emit(());
            }
        }

        /// What submitting it as it stands would send (JSON: the response, the transaction
        /// Bundle, the decisions), for the studio; nothing is sent.
        #[wasm_bindgen(js_name = wouldSend)]
        pub fn would_send(&self) -> String {
            let Some(form) = self.control.form.borrow().clone() else { return "null".into() };
            let rules = self.control.rules.borrow().clone();
            let setting = rules.as_ref().map(|(_, s)| s.clone()).unwrap_or_default();
            let form = form.borrow();
            let sent = crate::studio::would_send(&form, rules.as_ref().map(|(r, _)| r), &setting, &web::now());
            sent.to_string()
        }

        /// Takes the form off the page.
        pub fn unmount(&mut self) {
            if let Some(app) = self.app.take() {
                app.destroy();
            }
        }
    }

    /// Mounts a form into `container` (inside the portal's Shadow DOM), with the portal's
    /// options as JSON; `emit(name, detailJson)` hears its events. Options that are not
    /// right are an `error` event and a message in the form, never a form under defaults.
    #[wasm_bindgen(js_name = mountForm)]
    pub fn mount_form(container: web_sys::Element, options: &str, assets: &str, emit: js_sys::Function) -> EmbeddedForm {
        let emit = Callback::from(move |(name, detail): (&'static str, String)| {
            let _ = emit.call2(&JsValue::NULL, &JsValue::from_str(name), &JsValue::from_str(&detail));
        });
        let control = Rc::new(Control::default());
        let root = container.get_root_node();
        let embedding = Embedding { root, emit: emit.clone(), control: control.clone() };
        let assets: Rc<str> = Rc::from(if assets.ends_with('/') { assets.to_owned() } else { format!("{assets}/") });
        match EmbedOptions::from_json(options) {
            Ok(options) => {
                web::set_embedder(options.embedder.clone());
                let props = EmbeddedProps { options: Rc::new(options), assets, embedding };
                let app = yew::Renderer::<Embedded>::with_root_and_props(container, props).render();
                EmbeddedForm { app: Some(app), control }
            }
            Err(why) => {
                container.set_text_content(Some(&format!("This form cannot be shown: {why}.")));
                let _ = container.set_attribute("role", "alert");
                emit.emit(("error", json!({ "message": why }).to_string()));
                EmbeddedForm { app: None, control }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(options: Value) -> String {
        EmbedOptions::from_json(&options.to_string()).unwrap_err()
    }

    #[test]
    fn options_are_read_strictly() {
        let ok = EmbedOptions::from_json(
            &json!({"template": "family-registration", "fhir": "https://record.example/fhir/", "token": "t", "patient": "Patient/12", "setting": "health_visiting"}).to_string(),
        )
        .unwrap();
        assert_eq!(ok.template, TemplateChoice::Shipped("family-registration".into()));
        assert_eq!(ok.fhir.as_deref(), Some("https://record.example/fhir"));
        assert_eq!(ok.setting, "health_visiting");
        assert!(refused(json!({"template": "a", "tokne": "t"})).contains("there is no option \"tokne\""));
        assert!(refused(json!({})).contains("say which form"));
        assert!(refused(json!({"template": "a", "templateUrl": "https://x.example/q.json"})).contains("only one"));
        assert!(refused(json!({"template": "../../etc/passwd"})).contains("is not the id of a template"));
        assert!(refused(json!({"templateUrl": "javascript:alert(1)"})).contains("http or https"));
        assert!(refused(json!({"template": "a", "fhir": "data:text/html,x"})).contains("http or https"));
        assert!(refused(json!({"template": "a", "patient": "Patient/1/../../Practitioner/2"})).contains("like Patient/123"));
        assert!(refused(json!({"template": "a", "patient": "Observation/1"})).contains("like Patient/123"));
        assert!(refused(json!({"template": "a", "setting": "anything_goes"})).contains("not a service setting"));
        assert!(refused(json!({"template": "a", "token": "t"})).contains("without the record system"));
        assert!(refused(json!({"template": "a", "token": 7})).contains("must be text"));
        assert!(refused(json!("template")).contains("not an object"));
        assert!(refused(json!({"template": "a", "sendTimeoutMs": 1})).contains("sendTimeoutMs"));
        assert!(refused(json!({"template": "a", "embedder": "https://portal.example/page"})).contains("not a web origin"));
        assert!(refused(json!({"template": "a", "embedder": "https://a.example; frame-ancestors *"})).contains("not a web origin"));
    }

    #[test]
    fn a_launch_context_must_be_the_resources_it_names() {
        let patient = json!({"resourceType": "Patient", "id": "12", "gender": "female"});
        let ok = EmbedOptions::from_json(&json!({"template": "a", "patient": "Patient/12", "launchContext": {"patient": patient}}).to_string()).unwrap();
        assert_eq!(ok.launch["patient"]["gender"], "female");
        let observation = json!({"resourceType": "Observation"});
        assert!(refused(json!({"template": "a", "launchContext": {"patient": observation}})).contains("must be a Patient"));
        let other = json!({"resourceType": "Patient", "id": "99"});
        assert!(refused(json!({"template": "a", "patient": "Patient/12", "launchContext": {"patient": other}})).contains("names Patient/12"));
        assert!(refused(json!({"template": "a", "launchContext": {"secret": patient}})).contains("has no \"secret\""));
        assert!(refused(json!({"template": "a", "launchContext": "Patient/12"})).contains("must be an object"));
    }
}
