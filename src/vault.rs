//! What the app keeps on the tablet, encrypted under the signed-in member of staff's key:
//! drafts, the outbox, and their record-system token. The storage and the cryptography
//! are `vault.js` (IndexedDB and WebCrypto, loaded by index.html as `window.formwellVault`);
//! this is the app's typed view of it. A
//! [`Session`] is a member of staff with their key in memory: locking or signing out drops
//! it, and nothing else holds the key.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(js_namespace = formwellVault)]
extern "C" {
    #[wasm_bindgen(catch, js_name = staffKnown)]
    async fn staff_known_js(staff: &str) -> Result<JsValue, JsValue>;
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
    async fn read(key: &JsValue, id: &str) -> Result<JsValue, JsValue>;
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
            StoreError::Other(why) => f.write_str(why),
        }
    }
}

fn store_error(error: JsValue) -> StoreError {
    let name = js_sys::Reflect::get(&error, &"name".into()).ok().and_then(|n| n.as_string()).unwrap_or_default();
    match name.as_str() {
        "QuotaExceededError" => StoreError::Full,
        "WrongPin" => StoreError::WrongPin,
        "TooManyTries" => StoreError::TooManyTries(
            js_sys::Reflect::get(&error, &"seconds".into()).ok().and_then(|s| s.as_f64()).unwrap_or(30.0) as u32,
        ),
        _ => StoreError::Other(
            error
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
                .unwrap_or_else(|| "the tablet's storage failed".into()),
        ),
    }
}

/// What a record is.
pub const DRAFT: &str = "draft";
pub const OUTBOX: &str = "outbox";
const SECRET: &str = "secret";

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

    /// Keeps (or replaces) one record.
    pub async fn put(&self, kind: &str, id: &str, text: &str) -> Result<(), StoreError> {
        put(&self.key, &self.staff, kind, id, text).await.map(drop).map_err(store_error)
    }

    /// Queues a submission, removing its draft in the same step.
    pub async fn queue(&self, id: &str, text: &str, draft: Option<String>) -> Result<(), StoreError> {
        queue(&self.key, &self.staff, id, text, draft).await.map(drop).map_err(store_error)
    }

    /// Every record of a kind, as (id, text).
    pub async fn list(&self, kind: &str) -> Result<Vec<(String, String)>, StoreError> {
        let rows = list(&self.key, &self.staff, kind).await.map_err(store_error)?;
        Ok(js_sys::Array::from(&rows)
            .iter()
            .filter_map(|row| {
                let row = js_sys::Array::from(&row);
                Some((row.get(0).as_string()?, row.get(1).as_string()?))
            })
            .collect())
    }

    /// One record's text; `None` when it is gone.
    pub async fn get(&self, id: &str) -> Result<Option<String>, StoreError> {
        read(&self.key, id).await.map(|v| v.as_string()).map_err(store_error)
    }

    /// The record-system token kept for this member of staff.
    pub async fn token(&self) -> Option<String> {
        self.get(&self.secret_id()).await.ok().flatten()
    }

    pub async fn keep_token(&self, token: &str) -> Result<(), StoreError> {
        self.put(SECRET, &self.secret_id(), token).await
    }

    fn secret_id(&self) -> String {
        format!("token:{}", self.staff)
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
