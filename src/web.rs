//! The few things the app asks of the browser: fetching text, reading a chosen file,
//! moving focus, and the location hash. Everything else is the engine's.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

fn describe(error: JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "the browser gave no reason".into())
}

/// Fetches a URL as text; an HTTP error status is an error with the status in words.
pub async fn fetch_text(url: &str) -> Result<String, String> {
    let window = web_sys::window().ok_or("no browser window")?;
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("could not reach {url}: {}", describe(e)))?;
    let response: web_sys::Response = response.dyn_into().map_err(describe)?;
    if !response.ok() {
        return Err(format!("{url} answered {} {}", response.status(), response.status_text()));
    }
    let text = JsFuture::from(response.text().map_err(describe)?).await.map_err(describe)?;
    text.as_string().ok_or_else(|| "the response was not text".into())
}

/// The first file chosen in a file input, from its change event.
pub fn chosen_file(event: &yew::Event) -> Option<web_sys::File> {
    event.target()?.dyn_into::<web_sys::HtmlInputElement>().ok()?.files()?.get(0)
}

/// Reads a chosen file as text.
pub async fn read_text(file: &web_sys::File) -> Result<String, String> {
    let text = JsFuture::from(file.text()).await.map_err(describe)?;
    text.as_string().ok_or_else(|| format!("{} is not a text file", file.name()))
}

/// Reads a chosen file's bytes.
pub async fn read_bytes(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer()).await.map_err(describe)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Moves focus to an element and scrolls it into view (the error summary's links).
pub fn focus(id: &str) {
    focus_in(None, id)
}

/// Moves focus to an element by id within `root` (an embedded form's Shadow DOM, where
/// the page's `getElementById` cannot see), or the page.
pub fn focus_in(root: Option<&web_sys::Node>, id: &str) {
    let found = match root.and_then(|r| r.dyn_ref::<web_sys::DocumentFragment>()) {
        Some(fragment) => fragment.get_element_by_id(id),
        None => web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(id)),
    };
    let Some(element) = found else {
        return;
    };
    element.scroll_into_view();
    if let Some(html) = element.dyn_ref::<web_sys::HtmlElement>() {
        let _ = html.focus();
    }
}

/// The location hash (`#/form/x`).
pub fn hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// The page's path (`/` or the folder a partner serves the app from).
pub fn path() -> String {
    web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default()
}

/// The page's query string (`?setting=midwifery`).
pub fn query() -> String {
    web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default()
}

/// Milliseconds since the page started, for measurements.
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or_default()
}

/// Leaves a measurement on `window` for the benchmark tools to read.
pub fn publish_measure(name: &str, value: f64) {
    if let Some(w) = web_sys::window() {
        let _ = js_sys::Reflect::set(&w, &name.into(), &value.into());
    }
}

/// Adds a measurement to a list on `window` (`window[name]`) when a benchmark tool has
/// asked for them (`window.formwellBench`), so that a day of typing keeps no list.
pub fn push_measure(name: &str, value: f64) {
    let asked = |w: &web_sys::Window| js_sys::Reflect::get(w, &"formwellBench".into()).is_ok_and(|v| v.is_truthy());
    if let Some(w) = web_sys::window().filter(asked) {
        let list = js_sys::Reflect::get(&w, &name.into()).ok().filter(|l| l.is_object()).unwrap_or_else(|| {
            let list = js_sys::Array::new().into();
            let _ = js_sys::Reflect::set(&w, &name.into(), &list);
            list
        });
        list.unchecked_into::<js_sys::Array>().push(&value.into());
    }
}

/// Changes the address without going anywhere (no history entry, no hashchange): the
/// page stays, and a reload comes back to it. `url` may be a hash or a whole address.
pub fn replace_hash(url: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(url));
    }
}

/// Goes to a hash route.
pub fn set_hash(hash: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_hash(hash);
    }
}

/// Calls `on_event` whenever the window hears `event` (`hashchange`), until the returned
/// guard is called.
pub fn on_window_event(event: &'static str, on_event: impl Fn() + 'static) -> impl FnOnce() {
    let closure = Closure::<dyn Fn()>::new(on_event);
    let window = web_sys::window();
    if let Some(w) = &window {
        let _ = w.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
    }
    move || {
        if let Some(w) = window {
            let _ = w.remove_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        }
    }
}

/// Whether a service worker serves this page, so that it opens with no network
/// (`window.formwellOfflineReady`, kept by index.html's script); `None` where the browser
/// has no service workers (the app then never works offline).
pub fn offline_ready() -> Option<bool> {
    let flag = web_sys::window().and_then(|w| js_sys::Reflect::get(&w, &"formwellOfflineReady".into()).ok())?;
    match flag.as_string().as_deref() {
        Some("unsupported") => None,
        _ => Some(flag.is_truthy()),
    }
}

/// What an HTTP exchange came to: a status and body, or no answer at all.
#[derive(Debug, Clone, PartialEq)]
pub enum Exchange {
    Answered {
        status: u16,
        body: String,
    },
    /// The network failed, or no answer came within the time allowed.
    NoAnswer(String),
}

thread_local! {
    /// In the iframe mode, the portal that framed this page (an origin the browser gave its
    /// messages, and the record system agreed the token names): said with every request,
    /// since they come from this server's own origin on the portal's behalf. One page, one
    /// portal.
    static EMBEDDER: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Says, from now on, which portal this page works for (the iframe mode).
pub fn set_embedder(origin: Option<String>) {
    EMBEDDER.with(|e| *e.borrow_mut() = origin);
}

/// Sends a FHIR request (JSON body, bearer token), giving up after `timeout_ms`.
pub async fn fhir_request(
    method: &str,
    url: &str,
    body: Option<&str>,
    token: Option<&str>,
    timeout_ms: u32,
) -> Exchange {
    let Some(window) = web_sys::window() else { return Exchange::NoAnswer("no browser window".into()) };
    let headers = match web_sys::Headers::new() {
        Ok(h) => h,
        Err(e) => return Exchange::NoAnswer(describe(e)),
    };
    let _ = headers.set("Accept", "application/fhir+json");
    if body.is_some() {
        let _ = headers.set("Content-Type", "application/fhir+json");
    }
    if let Some(token) = token {
        let _ = headers.set("Authorization", &format!("Bearer {token}"));
    }
    if let Some(embedder) = EMBEDDER.with(|e| e.borrow().clone()) {
        let _ = headers.set("Formwell-Embedder", &embedder);
    }
    let abort = web_sys::AbortController::new().ok();
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_headers(&headers);
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(body));
    }
    if let Some(abort) = &abort {
        init.set_signal(Some(&abort.signal()));
    }
    // The timer aborts the request; a late answer is then ignored.
    let timer = abort.as_ref().map(|abort| {
        let abort = abort.clone();
        let closure = Closure::once(move || abort.abort());
        let handle = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(closure.as_ref().unchecked_ref(), timeout_ms as i32)
            .unwrap_or(0);
        (handle, closure)
    });
    let outcome = async {
        let response = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await.map_err(|_| {
            if abort.as_ref().is_some_and(|a| a.signal().aborted()) {
                format!("the record system did not answer within {} seconds", timeout_ms / 1000)
            } else if offline() {
                "no internet connection".to_owned()
            } else {
                "the record system could not be reached".to_owned()
            }
        })?;
        let response: web_sys::Response = response.dyn_into().map_err(describe)?;
        let text = JsFuture::from(response.text().map_err(describe)?).await.map_err(|e| {
            if abort.as_ref().is_some_and(|a| a.signal().aborted()) {
                format!("the record system did not answer within {} seconds", timeout_ms / 1000)
            } else {
                describe(e)
            }
        })?;
        Ok::<_, String>((response.status(), text.as_string().unwrap_or_default()))
    }
    .await;
    if let Some((handle, _closure)) = timer {
        window.clear_timeout_with_handle(handle);
    }
    match outcome {
        Ok((status, body)) => Exchange::Answered { status, body },
        Err(why) => Exchange::NoAnswer(why),
    }
}

/// Waits, without blocking the page.
pub async fn sleep(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// A JavaScript regular expression (Unicode mode), or why the pattern is not one.
pub fn regex(pattern: &str) -> Result<js_sys::RegExp, String> {
    // Through Reflect, so a malformed pattern is an error here rather than a trap.
    let constructor = js_sys::Reflect::get(&js_sys::global(), &"RegExp".into()).map_err(describe)?;
    let args = js_sys::Array::of2(&pattern.into(), &"u".into());
    js_sys::Reflect::construct(constructor.unchecked_ref::<js_sys::Function>(), &args)
        .map(JsCast::unchecked_into)
        .map_err(describe)
}

/// Why there is no random identifier: a submission's identifiers derive from one, and are
/// what stops it being stored twice, so without one nothing is sent.
pub const NO_RANDOM_ID: &str = "this browser cannot make the random identifier that stops a form being stored twice (it needs an up-to-date browser, and the app opened over https)";

/// A random (v4) UUID from the browser's cryptographic generator, or why there is none
/// (an old browser, or a page not served over https). Never an empty or made-up one: it
/// is a submission's idempotency key.
pub fn random_uuid() -> Result<String, String> {
    // Through Reflect: a browser without crypto.randomUUID must be an error here, not a trap.
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).ok().filter(JsValue::is_object);
    let make = crypto.as_ref().and_then(|c| {
        js_sys::Reflect::get(c, &"randomUUID".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    });
    let (Some(crypto), Some(make)) = (crypto, make) else { return Err(NO_RANDOM_ID.into()) };
    let uuid = make.call0(&crypto).ok().and_then(|v| v.as_string()).unwrap_or_default();
    if formwell_engine::submit::extract::is_uuid(&uuid) {
        Ok(uuid)
    } else {
        Err(NO_RANDOM_ID.into())
    }
}

/// A random number in [0, 1), for jitter.
pub fn random() -> f64 {
    js_sys::Math::random()
}

/// The current time as a FHIR instant (UTC, to the second).
pub fn now() -> String {
    let iso = String::from(js_sys::Date::new_0().to_iso_string());
    // "2026-11-26T10:15:00.123Z" → "2026-11-26T10:15:00Z"
    match iso.split_once('.') {
        Some((head, _)) => format!("{head}Z"),
        None => iso,
    }
}

/// Text in lower case, in any script: the browser's own `toLowerCase` (Rust's would bring
/// Unicode's case tables, 16 KB, into the wasm).
#[cfg(target_arch = "wasm32")]
pub fn lowercase(text: &str) -> String {
    String::from(js_sys::JsString::from(text).to_lower_case())
}

/// Text in lower case (natively, where the size of the binary does not matter).
#[cfg(not(target_arch = "wasm32"))]
pub fn lowercase(text: &str) -> String {
    text.to_lowercase()
}

/// Text in upper case, in any script: the browser's own `toUpperCase`.
#[cfg(target_arch = "wasm32")]
pub fn uppercase(text: &str) -> String {
    String::from(js_sys::JsString::from(text).to_upper_case())
}

/// Text in upper case (natively).
#[cfg(not(target_arch = "wasm32"))]
pub fn uppercase(text: &str) -> String {
    text.to_uppercase()
}

/// Today where the tablet is (its local date), for what cannot be in the future.
#[cfg(target_arch = "wasm32")]
pub fn today() -> formwell_engine::FhirDate {
    let d = js_sys::Date::new_0();
    formwell_engine::FhirDate {
        year: d.get_full_year() as i32,
        month: Some(d.get_month() + 1),
        day: Some(d.get_date()),
    }
}

/// Today in UTC, for pages rendered natively (the render tests have no browser clock).
#[cfg(not(target_arch = "wasm32"))]
pub fn today() -> formwell_engine::FhirDate {
    use chrono::Datelike;
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let date = chrono::DateTime::from_timestamp(seconds as i64, 0).unwrap_or_default().date_naive();
    formwell_engine::FhirDate { year: date.year(), month: Some(date.month()), day: Some(date.day()) }
}

/// An instant as staff read it where they are: "10:07" today, "10:07 on 3 May" another
/// day (the tablet's time zone, 24-hour clock).
pub fn local_time(instant: &str) -> String {
    let when = js_sys::Date::new(&instant.into());
    if when.get_time().is_nan() {
        return instant.to_owned();
    }
    let two = |n: u32| if n < 10 { format!("0{n}") } else { n.to_string() };
    let time = format!("{}:{}", two(when.get_hours()), two(when.get_minutes()));
    let date = formwell_engine::FhirDate {
        year: when.get_full_year() as i32,
        month: Some(when.get_month() + 1),
        day: Some(when.get_date()),
    };
    if date == today() {
        time
    } else {
        let human = date.human();
        // "3 May 2026" → "3 May" within this year.
        let shown = human.strip_suffix(&format!(" {}", today().year)).unwrap_or(&human).to_owned();
        format!("{time} on {shown}")
    }
}

/// Whether the browser says it is offline (no network at all).
pub fn offline() -> bool {
    web_sys::window().is_some_and(|w| !w.navigator().on_line())
}

/// Template text (as fetched or read), once what reading it needs is there: when it
/// mentions expressions, the module that carries them out is loaded first
/// (`formwellExpressions`, which the release build's glue defines:
/// static/expressions-module.js). A build of one module has nothing to load.
pub async fn template_text(text: Result<String, String>) -> Result<String, String> {
    let text = text?;
    if !formwell_engine::Questionnaire::mentions_expressions(&text) {
        return Ok(text);
    }
    let Some(loader) = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"formwellExpressions".into()).ok())
        .filter(JsValue::is_object)
    else {
        return Ok(text);
    };
    let load: js_sys::Function =
        js_sys::Reflect::get(&loader, &"load".into()).and_then(JsCast::dyn_into).map_err(describe)?;
    let promise: js_sys::Promise = load.call0(&loader).and_then(JsCast::dyn_into).map_err(describe)?;
    JsFuture::from(promise).await.map(|_| text).map_err(|e| {
        format!(
            "the part of Formwell that works out this form's scores and answers could not be downloaded: {}",
            describe(e)
        )
    })
}
