//! How this copy of the app is set up: the record backend it submits to (base URL, bearer
//! token, patient and practitioner), the service setting it is used in (which decides what
//! its forms may write), and who is using it. Read from `formwell.config.json` served
//! beside the app, then from the page's query string for testing
//! (`?fhir=http://127.0.0.1:9000&patient=Patient/1&setting=midwifery`), which wins.
//! The token lives in memory, and on the tablet only encrypted under the signed-in member of
//! staff's key (see `vault`), bound to the record system it was given for; never in
//! localStorage. The served file is public (anyone can fetch it, and the service worker
//! keeps it), so a token in it is refused: each member of staff opens their own link.

use std::rc::Rc;

use formwell_engine::submit::person::Person;
use formwell_engine::{Capabilities, Ruleset};
use serde_json::Value;

use crate::vault::Session;

/// The setting used when none is given: the most careful one.
pub const DEFAULT_SETTING: &str = "community";
/// How long a send may take before it counts as failed and is tried again.
pub const DEFAULT_SEND_TIMEOUT_MS: u32 = 20_000;
/// How long the app may go untouched before it locks and forgets its key.
pub const DEFAULT_LOCK_AFTER_S: u32 = 300;

/// The record backend and the context a submission is made in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Backend {
    /// The FHIR base URL, without a trailing slash.
    pub base: String,
    pub token: Option<String>,
    /// The person a link or an embedding names (`Patient/123`): the launch context. Their
    /// record is read at sign-in and they are chosen for the forms.
    pub patient: Option<String>,
    /// The signed-in member of staff's record, when the record system has one.
    pub practitioner: Option<String>,
}


/// What the backend's `/metadata` said.
#[derive(Debug, Clone, PartialEq)]
pub enum BackendState {
    /// No backend is configured: forms end by showing what they would send.
    NotConfigured,
    Checking,
    Ready(Capabilities),
    /// Reached, but it cannot take Formwell's submissions safely.
    Unsuitable(String),
    /// Not reached; submissions wait and are tried again.
    Unreachable(String),
    /// Reached, but it does not take this tablet's sign-in (or there is none for it):
    /// submissions wait for a working one.
    NotAllowed(String),
}

/// The app's configuration and its code-impact rules, shared with every page.
#[derive(Debug, Clone, PartialEq)]
pub struct AppConfig {
    pub setting: String,
    /// Who is filling forms, as recorded with confirmations.
    pub staff: Option<String>,
    pub backend: Option<Backend>,
    pub backend_state: BackendState,
    pub send_timeout_ms: u32,
    /// Seconds without a touch before the app locks.
    pub lock_after_s: u32,
    pub rules: RulesState,
    /// Who is signed in, with their key; `None` while signed out or locked.
    pub session: Option<Session>,
    /// The record system the served configuration file names: this tablet's own. One the
    /// address names instead is shown as another system.
    pub served_base: Option<String>,
    /// The served configuration file held a token, which was ignored (it is public).
    pub public_token_ignored: bool,
    /// Whose record the forms go into, once chosen (or given by the launch context).
    /// Forgotten when the tablet locks.
    pub person: Option<Person>,
    /// In a partner's page (`embed`): no sign-in, no tablet storage; the portal's token
    /// and person, and how the portal hears what happens.
    pub embedding: Option<crate::embed::Embedding>,
    /// FHIR resources a portal gives for prepopulation (`%patient`, `%user`, `%encounter`),
    /// beyond what the chosen person says.
    pub launch: formwell_engine::form::expressions::LaunchContext,
}

/// Something the app fetches at start (the ruleset, the template library), as far as it
/// has loaded. Compared by identity: a new load is a change.
#[derive(Debug)]
pub enum Loadable<T> {
    Loading,
    Ready(Rc<T>),
    Failed(String),
}

impl<T> Clone for Loadable<T> {
    fn clone(&self) -> Self {
        match self {
            Loadable::Loading => Loadable::Loading,
            Loadable::Ready(t) => Loadable::Ready(t.clone()),
            Loadable::Failed(e) => Loadable::Failed(e.clone()),
        }
    }
}

impl<T> PartialEq for Loadable<T> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Loadable::Loading, Loadable::Loading) => true,
            (Loadable::Ready(a), Loadable::Ready(b)) => Rc::ptr_eq(a, b),
            (Loadable::Failed(a), Loadable::Failed(b)) => a == b,
            _ => false,
        }
    }
}

/// The code-impact ruleset, as far as it has loaded.
pub type RulesState = Loadable<Ruleset>;

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            setting: DEFAULT_SETTING.into(),
            staff: None,
            backend: None,
            backend_state: BackendState::NotConfigured,
            send_timeout_ms: DEFAULT_SEND_TIMEOUT_MS,
            lock_after_s: DEFAULT_LOCK_AFTER_S,
            rules: RulesState::Loading,
            session: None,
            served_base: None,
            public_token_ignored: false,
            person: None,
            embedding: None,
            launch: Default::default(),
        }
    }
}

impl AppConfig {
    /// The launch context a form starts from: what the portal gave, and the chosen person
    /// as `%patient` when it gave no Patient.
    pub fn launch_context(&self) -> formwell_engine::form::expressions::LaunchContext {
        let mut launch = self.launch.clone();
        if let Some(person) = self.person.as_ref().filter(|_| !launch.contains_key("patient")) {
            launch.insert("patient".into(), person.as_launch_patient());
        }
        launch
    }

    /// Applies one setting by name; unknown names are ignored.
    fn set(&mut self, key: &str, value: String) {
        if value.is_empty() {
            return;
        }
        let backend = || Backend::default();
        match key {
            "setting" => self.setting = value,
            "staff" => self.staff = Some(value),
            "fhir" => self.backend.get_or_insert_with(backend).base = value.trim_end_matches('/').to_owned(),
            "token" => self.backend.get_or_insert_with(backend).token = Some(value),
            "patient" => self.backend.get_or_insert_with(backend).patient = Some(value),
            "practitioner" => self.backend.get_or_insert_with(backend).practitioner = Some(value),
            "sendTimeoutMs" => self.send_timeout_ms = value.parse().unwrap_or(DEFAULT_SEND_TIMEOUT_MS),
            "lockAfterSeconds" => self.lock_after_s = value.parse().unwrap_or(DEFAULT_LOCK_AFTER_S).max(1),
            _ => {}
        }
    }

    /// Reads the served configuration file (a JSON object of the same names). A token in
    /// it is ignored: the file is public.
    pub fn apply_file(&mut self, json: &Value) {
        if let Some(object) = json.as_object() {
            for (key, value) in object {
                if key == "token" {
                    self.public_token_ignored = true;
                    continue;
                }
                let text = value.as_str().map(str::to_owned).or_else(|| value.as_u64().map(|n| n.to_string()));
                if let Some(text) = text {
                    self.set(key, text);
                }
            }
        }
        self.served_base = self.backend.as_ref().map(|b| b.base.clone()).filter(|b| !b.is_empty());
        self.settle_backend();
    }

    /// Whether forms go to a record system other than the one this tablet is set up
    /// for: the address named another one. Kept tokens are for their own systems only.
    pub fn other_system(&self) -> Option<&str> {
        let base = self.backend.as_ref().map(|b| b.base.as_str())?;
        match &self.served_base {
            Some(served) if served != base => Some(base),
            _ => None,
        }
    }

    /// Reads a query string (`?a=b&c=d`).
    pub fn apply_query(&mut self, query: &str) {
        for pair in query.trim_start_matches('?').split('&') {
            if let Some((key, value)) = pair.split_once('=') {
                self.set(key, crate::route::decode(&value.replace('+', " ")));
            }
        }
        self.settle_backend();
    }

    fn settle_backend(&mut self) {
        if self.backend.as_ref().is_some_and(|b| b.base.is_empty()) {
            self.backend = None;
        }
        if self.backend.is_some() && self.backend_state == BackendState::NotConfigured {
            self.backend_state = BackendState::Checking;
        }
    }

    /// Whether forms need someone signed in: they do when they are sent to a record
    /// system (and so kept on the tablet); a preview keeps and sends nothing.
    pub fn needs_sign_in(&self) -> bool {
        self.backend.is_some() && self.embedding.is_none()
    }

    /// The configuration from the query string alone.
    pub fn from_query(query: &str) -> AppConfig {
        let mut config = AppConfig::default();
        config.apply_query(query);
        config
    }

    /// The loaded ruleset, if it has loaded.
    pub fn ruleset(&self) -> Option<&Rc<Ruleset>> {
        match &self.rules {
            RulesState::Ready(r) => Some(r),
            _ => None,
        }
    }
}

/// A change to the app's configuration: what loads at start, what the record system said,
/// signing in and out. The only way it changes (a reducer: each change applies to the
/// latest value, so loads that finish in any order cannot overwrite one another).
pub enum ConfigEvent {
    /// The served configuration file, then the page's query string (which wins).
    FileRead {
        file: Value,
        query: String,
    },
    RulesLoaded(RulesState),
    BackendChecked(BackendState),
    /// Someone signed in; `token` is the one for this record system, if there is one.
    SignedIn {
        session: Session,
        token: Option<String>,
    },
    /// Locked or signed out: the key, the token and the person go.
    SignedOut,
    /// Whose record the forms go into (`None`: choose again).
    PersonChosen(Option<Person>),
}

impl yew::Reducible for AppConfig {
    type Action = ConfigEvent;

    fn reduce(self: Rc<Self>, event: ConfigEvent) -> Rc<Self> {
        let mut config = (*self).clone();
        match event {
            ConfigEvent::FileRead { file, query } => {
                config.apply_file(&file);
                config.apply_query(&query);
            }
            ConfigEvent::RulesLoaded(rules) => config.rules = rules,
            ConfigEvent::BackendChecked(state) => config.backend_state = state,
            ConfigEvent::SignedIn { session, token } => {
                config.session = Some(session);
                if let Some(backend) = config.backend.as_mut() {
                    backend.token = token;
                }
            }
            ConfigEvent::PersonChosen(person) => config.person = person,
            ConfigEvent::SignedOut => {
                config.session = None;
                config.person = None;
                if let Some(backend) = config.backend.as_mut() {
                    backend.token = None;
                }
            }
        }
        Rc::new(config)
    }
}

/// A query string without its token: once the token is kept (encrypted) on the tablet,
/// it is taken out of the address bar and the browser's history.
pub fn without_token(query: &str) -> String {
    let kept: Vec<&str> =
        query.trim_start_matches('?').split('&').filter(|p| !p.is_empty() && !p.starts_with("token=")).collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setting_staff_and_backend_come_from_the_query() {
        let c = AppConfig::from_query(
            "?setting=midwifery&staff=Sam+Patel&fhir=http%3A%2F%2F127.0.0.1%3A9000%2F&patient=Patient%2F1",
        );
        assert_eq!(c.setting, "midwifery");
        assert_eq!(c.staff.as_deref(), Some("Sam Patel"));
        let backend = c.backend.unwrap();
        assert_eq!(backend.base, "http://127.0.0.1:9000");
        assert_eq!(backend.patient.as_deref(), Some("Patient/1"));
        assert_eq!(c.backend_state, BackendState::Checking);
        let plain = AppConfig::from_query("");
        assert_eq!(plain.setting, "community");
        assert_eq!(plain.backend_state, BackendState::NotConfigured);
    }

    #[test]
    fn the_query_overrides_the_served_file() {
        let mut c = AppConfig::default();
        c.apply_file(&serde_json::json!({"fhir": "https://record.example/R4", "setting": "health_visiting", "patient": "Patient/9"}));
        c.apply_query("?patient=Patient/2");
        let backend = c.backend.unwrap();
        assert_eq!(backend.base, "https://record.example/R4");
        assert_eq!(backend.patient.as_deref(), Some("Patient/2"));
        assert_eq!(c.setting, "health_visiting");
    }

    #[test]
    fn the_token_leaves_the_address_and_the_rest_stays() {
        assert_eq!(without_token("?fhir=x&token=secret&patient=Patient%2F1"), "?fhir=x&patient=Patient%2F1");
        assert_eq!(without_token("?token=secret"), "");
        assert_eq!(without_token(""), "");
        assert_eq!(without_token("?tokenish=1"), "?tokenish=1");
    }

    #[test]
    fn a_token_in_the_served_file_is_ignored_and_one_from_the_address_is_used() {
        let mut c = AppConfig::default();
        c.apply_file(&serde_json::json!({"fhir": "https://record.example/R4", "token": "public-token"}));
        assert!(c.public_token_ignored);
        assert_eq!(c.backend.as_ref().unwrap().token, None, "a token anyone can fetch is never used");
        c.apply_query("?token=personal");
        assert_eq!(c.backend.unwrap().token.as_deref(), Some("personal"));
    }

    #[test]
    fn a_record_system_named_only_in_the_address_is_another_system() {
        let mut c = AppConfig::default();
        c.apply_file(&serde_json::json!({"fhir": "https://record.example/R4/"}));
        assert_eq!(c.other_system(), None);
        c.apply_query("?fhir=https%3A%2F%2Felsewhere.example");
        assert_eq!(c.other_system(), Some("https://elsewhere.example"));
        let mut same = AppConfig::default();
        same.apply_file(&serde_json::json!({"fhir": "https://record.example/R4"}));
        same.apply_query("?fhir=https://record.example/R4/");
        assert_eq!(same.other_system(), None, "the same system, however written");
        assert_eq!(AppConfig::from_query("?fhir=https://a.example").other_system(), None, "no system of its own");
    }
}
