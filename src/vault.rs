//! What the app keeps on the tablet, encrypted under the signed-in member of staff's key:
//! drafts, the outbox, and their record-system token. The storage and the cryptography
//! are `vault.js` (IndexedDB and WebCrypto, loaded by index.html as `window.formwellVault`);
//! this is the app's typed view of it. A
//! [`Session`] is a member of staff with their key in memory: locking or signing out drops
//! it, and nothing else holds the key.

use std::rc::Rc;

use formwell_engine::submit::person::Person;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(js_namespace = formwellVault)]
extern "C" {
    #[wasm_bindgen(catch, js_name = staffKnown)]
    async fn staff_known_js(staff: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = resolveStaff)]
    async fn resolve_staff_js(typed: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = people)]
    async fn people_js() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn enrol(staff: &str, pin: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn unlock(staff: &str, pin: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn put(key: &JsValue, staff: &str, kind: &str, id: &str, text: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn queue(key: &JsValue, staff: &str, id: &str, text: &str, draft: Option<String>)
        -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn list(key: &JsValue, staff: &str, kind: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn read(key: &JsValue, staff: &str, id: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn remove(id: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn wipe(staff: &str) -> Result<JsValue, JsValue>;
    async fn acquire(name: &str) -> JsValue;
    #[wasm_bindgen(js_name = watchOutbox)]
    pub fn watch_outbox(on_change: &Closure<dyn Fn()>);
    pub fn announce();
    #[wasm_bindgen(js_name = watchIdle)]
    fn watch_idle_js(ms: u32, on_idle: &Closure<dyn FnMut()>) -> js_sys::Function;
}

/// Why the tablet's storage did not do what was asked.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreError {
    /// The browser's storage quota is used up.
    Full,
    WrongPin,
    /// Too many wrong PINs in a row: this many seconds before the next try.
    TooManyTries(u32),
    /// A record that does not decrypt under the signed-in person's key with its own id,
    /// owner and kind: damaged, or changed by something other than this app.
    Unreadable(String),
    Other(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Full => f.write_str(
                "this tablet's storage is full, so nothing more can be kept on it. Send waiting forms or discard drafts you no longer need",
            ),
            StoreError::WrongPin => f.write_str("that PIN is not right for this name"),
            StoreError::TooManyTries(seconds) => {
                write!(f, "too many wrong PINs in a row: try again in {seconds} seconds")
            }
            StoreError::Unreadable(why) => f.write_str(why),
            StoreError::Other(why) => f.write_str(why),
        }
    }
}

fn store_error(error: JsValue) -> StoreError {
    let name = js_sys::Reflect::get(&error, &"name".into()).ok().and_then(|n| n.as_string()).unwrap_or_default();
    match name.as_str() {
        "QuotaExceededError" => StoreError::Full,
        "WrongPin" => StoreError::WrongPin,
        "Unreadable" => StoreError::Unreadable(message(&error)),
        "TooManyTries" => StoreError::TooManyTries(
            js_sys::Reflect::get(&error, &"seconds".into()).ok().and_then(|s| s.as_f64()).unwrap_or(30.0) as u32,
        ),
        _ => StoreError::Other(message(&error)),
    }
}

fn message(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| "the tablet's storage failed".into())
}

/// What a record is.
pub const DRAFT: &str = "draft";
pub const OUTBOX: &str = "outbox";
const SECRET: &str = "secret";
/// Someone this member of staff has recorded for on this tablet.
const PERSON: &str = "person";

/// The name as this tablet knows it (the same whatever the case and spacing typed).
pub async fn resolve_staff(typed: &str) -> Result<String, StoreError> {
    resolve_staff_js(typed).await.map(|v| v.as_string().unwrap_or_else(|| typed.trim().to_owned())).map_err(store_error)
}

/// The people who use this tablet, each with how many forms they have waiting to send.
pub async fn tablet_staff() -> Vec<(String, u32)> {
    let Ok(rows) = people_js().await else { return Vec::new() };
    js_sys::Array::from(&rows)
        .iter()
        .filter_map(|row| {
            let row = js_sys::Array::from(&row);
            Some((row.get(0).as_string()?, row.get(1).as_f64().unwrap_or(0.0) as u32))
        })
        .collect()
}

/// Whether this member of staff has a PIN on this tablet.
pub async fn staff_known(staff: &str) -> Result<bool, StoreError> {
    staff_known_js(staff).await.map(|v| v.is_truthy()).map_err(store_error)
}

/// A signed-in member of staff: their name and their key, in memory only.
#[derive(Clone)]
pub struct Session {
    pub staff: String,
    key: Rc<JsValue>,
}

impl PartialEq for Session {
    fn eq(&self, other: &Self) -> bool {
        self.staff == other.staff && Rc::ptr_eq(&self.key, &other.key)
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("staff", &self.staff).finish_non_exhaustive()
    }
}

impl Session {
    /// Signs in: sets the PIN when this name is new on the tablet, else checks it.
    pub async fn open(staff: &str, pin: &str, new: bool) -> Result<Session, StoreError> {
        let key = if new { enrol(staff, pin).await } else { unlock(staff, pin).await }.map_err(store_error)?;
        Ok(Session { staff: staff.to_owned(), key: Rc::new(key) })
    }

    /// A form embedded in a partner's page: no PIN and no key, since what it keeps goes to
    /// the page's memory (the embedding script's stand-in for `vault.js`), never to the
    /// portal's storage. `name` keeps each embedded form's records apart.
    pub fn in_page(name: &str) -> Session {
        Session { staff: name.to_owned(), key: Rc::new(JsValue::NULL) }
    }

    /// Keeps (or replaces) one record.
    pub async fn put(&self, kind: &str, id: &str, text: &str) -> Result<(), StoreError> {
        put(&self.key, &self.staff, kind, id, text).await.map(drop).map_err(store_error)
    }

    /// Queues a submission, removing its draft in the same step.
    pub async fn queue(&self, id: &str, text: &str, draft: Option<String>) -> Result<(), StoreError> {
        queue(&self.key, &self.staff, id, text, draft).await.map(drop).map_err(store_error)
    }

    /// Every record of a kind, as (id, its text or why it cannot be read). A record that
    /// cannot be read stays in storage: it is listed, never skipped.
    pub async fn list(&self, kind: &str) -> Result<Vec<(String, Result<String, String>)>, StoreError> {
        let rows = list(&self.key, &self.staff, kind).await.map_err(store_error)?;
        Ok(js_sys::Array::from(&rows)
            .iter()
            .filter_map(|row| {
                let row = js_sys::Array::from(&row);
                let id = row.get(0).as_string()?;
                let text = row
                    .get(1)
                    .as_string()
                    .ok_or_else(|| row.get(2).as_string().unwrap_or_else(|| "it cannot be read".into()));
                Some((id, text))
            })
            .collect())
    }

    /// One record's text; `None` when it is gone.
    pub async fn get(&self, id: &str) -> Result<Option<String>, StoreError> {
        read(&self.key, &self.staff, id).await.map(|v| v.as_string()).map_err(store_error)
    }

    /// The token kept for this member of staff for a record system (by its FHIR base). A
    /// token is bound to the system it was given for: another base gets none.
    pub async fn token_for(&self, base: &str) -> Option<String> {
        let text = self.get(&self.secret_id()).await.ok().flatten()?;
        KeptTokens::from_record(&text).get(base).map(str::to_owned)
    }

    /// Keeps a token for a record system (by its FHIR base), beside those for others.
    pub async fn keep_token(&self, base: &str, token: &str) -> Result<(), StoreError> {
        let id = self.secret_id();
        let mut kept = match self.get(&id).await {
            Ok(Some(text)) => KeptTokens::from_record(&text),
            _ => KeptTokens::default(),
        };
        kept.insert(base, token);
        self.put(SECRET, &id, &kept.to_record()).await
    }

    /// Binds a token kept by an earlier version (which did not say for which record
    /// system) to the one the served configuration names; without one it cannot be
    /// bound, and is forgotten rather than sent anywhere.
    pub async fn bind_unbound_token(&self, served_base: Option<&str>) {
        let id = self.secret_id();
        if let Ok(Some(text)) = self.get(&id).await {
            if let Some(upgraded) = KeptTokens::upgrade(&text, served_base) {
                let _ = self.put(SECRET, &id, &upgraded.to_record()).await;
            }
        }
    }

    fn secret_id(&self) -> String {
        format!("token:{}", self.staff)
    }

    /// Remembers someone recorded for, with when (to offer them again first).
    pub async fn remember_person(&self, person: &Person, seen: &str) -> Result<(), StoreError> {
        let Some(reference) = &person.reference else { return Ok(()) };
        let record = serde_json::json!({ "person": person.to_json(), "seen": seen });
        self.put(PERSON, &format!("person:{}:{reference}", self.staff), &record.to_string()).await
    }

    /// The people this member of staff has recorded for on this tablet, most recent first.
    pub async fn people(&self) -> Vec<Person> {
        let mut seen: Vec<(String, Person)> = self
            .list(PERSON)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(_, text)| {
                let json: serde_json::Value = serde_json::from_str(&text.ok()?).ok()?;
                Some((json["seen"].as_str()?.to_owned(), Person::from_json(&json["person"])?))
            })
            .collect();
        seen.sort_by(|a, b| b.0.cmp(&a.0));
        seen.into_iter().map(|(_, p)| p).collect()
    }

    /// Removes everything this member of staff keeps on the tablet.
    pub async fn wipe(&self) -> Result<(), StoreError> {
        wipe(&self.staff).await.map(drop).map_err(store_error)
    }
}

/// Removes one record.
pub async fn remove_record(id: &str) -> Result<(), StoreError> {
    remove(id).await.map(drop).map_err(store_error)
}

/// Holds a lock shared by every tab of the app until the guard is dropped.
pub struct Lock(js_sys::Function);

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.0.call0(&JsValue::NULL);
    }
}

pub async fn lock(name: &str) -> Lock {
    Lock(acquire(name).await.unchecked_into())
}

/// Calls `on_idle` once the page has gone untouched for `ms`; the returned function stops
/// watching.
pub fn watch_idle(ms: u32, on_idle: impl FnMut() + 'static) -> impl FnOnce() {
    let closure = Closure::<dyn FnMut()>::new(on_idle);
    let stop = watch_idle_js(ms, &closure);
    move || {
        let _ = stop.call0(&JsValue::NULL);
        drop(closure);
    }
}

/// The record-system tokens kept for one member of staff, each bound to the FHIR base it
/// was given for. Stored as `{"format": 1, "tokens": {"<base>": "<token>"}}`; format 0
/// (an earlier version) was the bare token, bound to nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeptTokens(Vec<(String, String)>);

impl KeptTokens {
    const FORMAT: u64 = 1;

    /// Reads the stored form; a bare (format 0) token binds to no base.
    pub fn from_record(text: &str) -> KeptTokens {
        let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else { return KeptTokens::default() };
        let tokens = json["tokens"].as_object().into_iter().flatten();
        KeptTokens(tokens.filter_map(|(base, token)| Some((base.clone(), token.as_str()?.to_owned()))).collect())
    }

    pub fn to_record(&self) -> String {
        // Written out by hand: a JSON map built from pairs costs the wasm a sorted tree.
        let quote = |s: &str| serde_json::Value::String(s.to_owned()).to_string();
        let tokens: Vec<String> = self.0.iter().map(|(b, t)| format!("{}:{}", quote(b), quote(t))).collect();
        format!("{{\"format\":{},\"tokens\":{{{}}}}}", Self::FORMAT, tokens.join(","))
    }

    /// The token for exactly this base.
    pub fn get(&self, base: &str) -> Option<&str> {
        self.0.iter().find(|(b, _)| b == base).map(|(_, t)| t.as_str())
    }

    pub fn insert(&mut self, base: &str, token: &str) {
        self.0.retain(|(b, _)| b != base);
        self.0.push((base.to_owned(), token.to_owned()));
    }

    /// The format 1 record for a format 0 one (a bare token), bound to `served_base`, or
    /// an empty one when there is none to bind it to; `None` when it is format 1 already.
    pub fn upgrade(text: &str, served_base: Option<&str>) -> Option<KeptTokens> {
        let current = serde_json::from_str::<serde_json::Value>(text).is_ok_and(|j| j["format"].as_u64().is_some());
        if current {
            return None;
        }
        let mut kept = KeptTokens::default();
        if let Some(base) = served_base {
            kept.insert(base, text);
        }
        Some(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::KeptTokens;

    #[test]
    fn a_kept_token_goes_only_to_the_record_system_it_was_given_for() {
        let mut kept = KeptTokens::default();
        kept.insert("https://record.example/R4", "t1");
        kept.insert("https://other.example", "t2");
        kept.insert("https://record.example/R4", "t3");
        let read = KeptTokens::from_record(&kept.to_record());
        assert_eq!(read.get("https://record.example/R4"), Some("t3"), "a new link replaces the old token");
        assert_eq!(read.get("https://other.example"), Some("t2"));
        assert_eq!(read.get("https://elsewhere.example"), None);
        assert_eq!(read.get("https://record.example/R4/"), None, "exactly the base it was given for");
    }

    #[test]
    fn a_token_kept_before_tokens_were_bound_binds_to_the_served_system_or_is_forgotten() {
        let upgraded = KeptTokens::upgrade("fw_0123abcd", Some("https://record.example/R4")).unwrap();
        assert_eq!(upgraded.get("https://record.example/R4"), Some("fw_0123abcd"));
        let unbound = KeptTokens::upgrade("fw_0123abcd", None).unwrap();
        assert_eq!(unbound, KeptTokens::default(), "no system to bind it to: never sent anywhere");
        let current = KeptTokens::default().to_record();
        assert_eq!(KeptTokens::upgrade(&current, Some("https://record.example/R4")), None, "format 1 stays as it is");
        assert_eq!(
            KeptTokens::from_record("fw_0123abcd"),
            KeptTokens::default(),
            "format 0 read as format 1 binds nothing"
        );
    }
}
