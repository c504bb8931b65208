//! The HTTP face of the server: FHIR R4 REST under `/fhir` (metadata, transaction and
//! batch, create, update, read, history, search) and the app's files everywhere else.
//! Every error is an OperationOutcome; malformed, oversized or too deeply nested bodies
//! get a 4xx, never a crash.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Extension, Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::access::Principal;
use crate::outcome::FhirError;
use crate::policy;
use crate::store::{self, Store};
use crate::tokens::Caller;
use crate::validate;

/// The largest request body taken.
pub const BODY_LIMIT: usize = 5 * 1024 * 1024;

/// The Content-Security-Policy of every response. Scripts only from this origin (and the
/// app's WebAssembly), no inline script or style, no plugins, no framing, no `<base>`;
/// the app may fetch from this origin and from https (a template opened from a web
/// address, a record system elsewhere).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self' https:; worker-src 'self'; \
manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// What every request handler shares.
pub struct Server {
    pub store: Store,
    /// The app's release build, served at `/`.
    pub dist: Option<PathBuf>,
    /// The code-impact ruleset every write is re-checked against, for the caller's setting.
    pub ruleset: formwell_engine::Ruleset,
    /// Gateway mode: accepted requests go to this FHIR server instead of the store.
    pub upstream: Option<Upstream>,
}

/// The FHIR server a gateway forwards to.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// Its base URL, without a trailing slash.
    pub base: String,
    /// The bearer token the gateway presents to it, if it wants one.
    pub token: Option<String>,
    /// One client for every request, so connections to the upstream are kept and reused.
    agent: ureq::Agent,
}

impl Upstream {
    /// A gateway's upstream server.
    pub fn new(base: &str, token: Option<String>) -> Upstream {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(60)))
            .build()
            .into();
        Upstream { base: base.trim_end_matches('/').to_owned(), token, agent }
    }

    /// Sends a request on and hands its answer back as it came (status, body, location).
    async fn forward(
        &self,
        method: &'static str,
        path: String,
        body: Option<String>,
        if_none_exist: Option<String>,
    ) -> Response {
        match self.exchange(method, path, body, if_none_exist).await {
            Ok(answer) => answer.into_response(),
            Err(e) => error(e),
        }
    }

    /// Sends a request on: its answer's status, location and body.
    async fn exchange(
        &self,
        method: &'static str,
        path: String,
        body: Option<String>,
        if_none_exist: Option<String>,
    ) -> Result<Forwarded, FhirError> {
        let upstream = self.clone();
        let result = tokio::task::spawn_blocking(move || {
            let agent = &upstream.agent;
            let url = format!("{}{path}", upstream.base);
            let with_headers = |mut request: ureq::RequestBuilder<ureq::typestate::WithBody>| {
                request =
                    request.header("accept", "application/fhir+json").header("content-type", "application/fhir+json");
                if let Some(token) = &upstream.token {
                    request = request.header("authorization", &format!("Bearer {token}"));
                }
                if let Some(condition) = &if_none_exist {
                    request = request.header("if-none-exist", condition);
                }
                request
            };
            let response = match (method, body) {
                ("POST", Some(body)) => with_headers(agent.post(&url)).send(body),
                ("PUT", Some(body)) => with_headers(agent.put(&url)).send(body),
                _ => {
                    let mut request = agent.get(&url).header("accept", "application/fhir+json");
                    if let Some(token) = &upstream.token {
                        request = request.header("authorization", &format!("Bearer {token}"));
                    }
                    request.call()
                }
            };
            let mut response = response.map_err(|e| {
                FhirError::new(502, "transient", format!("the upstream FHIR server did not answer: {e}"))
            })?;
            let status = response.status().as_u16();
            let location = response.headers().get("location").and_then(|h| h.to_str().ok()).map(str::to_owned);
            let text =
                response.body_mut().read_to_string().map_err(|e| FhirError::new(502, "transient", e.to_string()))?;
            Ok::<_, FhirError>((status, location, text))
        })
        .await
        .map_err(|e| FhirError::new(500, "exception", e.to_string()))
        .and_then(|r| r);
        result.map(|(status, location, text)| Forwarded { status, location, text })
    }
}

/// An upstream server's answer.
struct Forwarded {
    status: u16,
    location: Option<String>,
    text: String,
}

impl Forwarded {
    fn success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_GATEWAY);
        let mut response =
            (status, [(header::CONTENT_TYPE, "application/fhir+json; charset=utf-8")], self.text).into_response();
        if let Some(value) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            response.headers_mut().insert(header::LOCATION, value);
        }
        response
    }
}

/// `Type/id` from a location (`Observation/7/_history/1`, or a whole URL ending so).
fn type_and_id(location: &str) -> Option<(String, String)> {
    let path = location.split(['?', '#']).next()?;
    let parts: Vec<&str> = path.split('/').collect();
    let at = parts.iter().rposition(|p| validate::R4_TYPES.contains(p))?;
    let id = parts.get(at + 1)?;
    validate::is_id(id).then(|| (parts[at].to_owned(), (*id).to_owned()))
}

/// The router: FHIR under `/fhir`, the app's files at `/`.
pub fn router(server: Arc<Server>) -> Router {
    let fhir = Router::new()
        .route("/AuditEvent", get(audit_events))
        .route("/", axum::routing::post(bundle))
        .route("/{kind}", get(search).post(create))
        .route("/{kind}/{id}", get(read).put(update))
        .route("/{kind}/{id}/_history", get(history))
        .layer(middleware::from_fn_with_state(server.clone(), authorise))
        .route("/metadata", get(metadata))
        .layer(middleware::from_fn(plain_path))
        .layer(middleware::from_fn_with_state(server.clone(), cors))
        .layer(middleware::from_fn_with_state(server.clone(), audit));
    let mut app = Router::new()
        .nest("/fhir", fhir)
        .route("/formwell.config.json", get(app_config))
        .route("/embed", get(embed_page))
        .route("/studio.html", get(|State(server): State<Arc<Server>>| async move { studio_page(server.dist.as_deref()) }))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(server.clone());
    if let Some(dist) = &server.dist {
        // A partner's portal loads the embedding script, the wasm, the ruleset and the
        // templates from here (a module import and fetches, so they need CORS): the same
        // answer as the record's, for the origins tokens name.
        let files = Router::new()
            .fallback_service(tower_http::services::ServeDir::new(dist))
            .layer(middleware::from_fn_with_state(server.clone(), cors));
        app = app.fallback_service(files);
    }
    app.layer(middleware::map_response(security_headers))
}

/// On every response: the Content-Security-Policy, no content-type sniffing, and no
/// Referer at all (an address may carry a token until the app has kept it).
pub async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    // A page that set its own (the iframe mode's, which portals may frame) keeps it.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// Every segment of a FHIR path as it came must be plain (see `validate::plain_path`), so
/// nothing decodes into another path here or upstream.
async fn plain_path(request: Request, next: Next) -> Response {
    let raw = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|| request.uri().path().to_owned());
    match validate::plain_path(&raw) {
        Ok(()) => next.run(request).await,
        Err(e) => error(e),
    }
}

/// The resource type and id of a request path: a type R4 defines (one the store keeps,
/// unless this is a gateway) and an id of R4's form.
fn resource_path(server: &Server, kind: &str, id: Option<&str>) -> Result<(), FhirError> {
    if !validate::R4_TYPES.contains(&kind) {
        return Err(FhirError::invalid("(request path)", format!("\"{kind}\" is not an R4 resource type")));
    }
    if server.upstream.is_none() && !validate::TYPES.contains(&kind) {
        return Err(FhirError::not_found(format!("this server keeps no {kind}")));
    }
    if let Some(id) = id.filter(|id| !validate::is_id(id)) {
        return Err(FhirError::invalid("(request path)", format!("\"{id}\" is not an R4 resource id")));
    }
    Ok(())
}

/// No anonymous calls: every FHIR request but `/metadata` needs a known, unrevoked bearer
/// token; a partner's token works only from its allowed origins.
async fn authorise(State(server): State<Arc<Server>>, mut request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::to_owned);
    let origin = effective_origin(request.headers());
    let caller = match token {
        Some(token) => blocking({
            let server = server.clone();
            move || server.store.caller(&token)
        })
        .await
        .ok()
        .flatten(),
        None => None,
    };
    let Some(caller) = caller else {
        let mut response = error(FhirError::new(401, "login", "a valid bearer token is required"));
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    };
    // A page on another origin may use a token only if the token names that origin (a
    // partner's always must); calls from no page (no Origin) are not a browser's.
    let bound = caller.kind == crate::tokens::TokenKind::Partner || !caller.origins.is_empty();
    if bound && origin.as_ref().is_some_and(|o| !caller.origins.contains(o)) {
        return error(FhirError::new(403, "forbidden", "this token may not be used from this web origin"));
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// The web origin a request is made for. A browser's `Origin`, except from this server's
/// own pages: the iframe mode (`/embed`) runs here on behalf of the portal that framed it,
/// and says which (`Formwell-Embedder`, the origin the browser gave its messages), so a
/// partner token is judged against the portal's origin, as it would be from the portal
/// itself. Another origin cannot claim to be an embedder: the header counts only when the
/// request comes from this server's own origin (or a browser sent no Origin, as for a
/// same-origin GET).
fn effective_origin(headers: &axum::http::HeaderMap) -> Option<String> {
    let text = |name: &str| headers.get(name).and_then(|h| h.to_str().ok()).map(str::to_owned);
    let origin = text(header::ORIGIN.as_str());
    let own = match (&origin, text(header::HOST.as_str())) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin.split_once("://").is_some_and(|(_, rest)| rest == host),
        (Some(_), None) => false,
    };
    match text(EMBEDDER) {
        Some(embedder) if own => Some(embedder),
        _ => origin,
    }
}

/// The iframe mode's page (`/embed?template=…`, `dist/embed.html`), for portals that
/// cannot run the embedding script: the same policy as every page, except that it may be
/// framed, by the origins tokens name and no other.
async fn embed_page(State(server): State<Arc<Server>>) -> Response {
    let origins = blocking({
        let server = server.clone();
        move || Ok(server.store.tokens()?.into_iter().filter(|t| !t.revoked).flat_map(|t| t.origins).collect::<Vec<_>>())
    })
    .await
    .unwrap_or_default();
    let mut ancestors: Vec<String> = origins.into_iter().filter(|o| is_plain_origin(o)).collect();
    ancestors.sort();
    ancestors.dedup();
    let ancestors = if ancestors.is_empty() { "'none'".to_owned() } else { ancestors.join(" ") };
    let policy = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", &format!("frame-ancestors {ancestors}"));
    page_with_policy(server.dist.as_deref(), "embed.html", &policy)
}

/// The template studio's page: the same policy as every page, except that its code
/// editor (CodeMirror) may style its own elements inline. Nothing a designer types is
/// ever markup, and scripts stay 'self' only.
pub fn studio_page(dist: Option<&std::path::Path>) -> Response {
    let policy = CONTENT_SECURITY_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");
    page_with_policy(dist, "studio.html", &policy)
}

/// A page of the app's build served under a policy of its own (`security_headers` keeps
/// it); 404 without a build or the page.
fn page_with_policy(dist: Option<&std::path::Path>, name: &str, policy: &str) -> Response {
    let Some(page) = dist.and_then(|d| std::fs::read_to_string(d.join(name)).ok()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response();
    if let Ok(value) = HeaderValue::from_str(policy) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// `https://host[:port]` and nothing else, so that an origin cannot add a directive to
/// the policy it is written into.
fn is_plain_origin(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else { return false };
    matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && rest.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// The header the iframe mode names its portal's origin with.
pub const EMBEDDER: &str = "formwell-embedder";

/// Every FHIR request goes in the audit log: who (the token's name), when, what (with the
/// query: whom a search looked for), from where, and the status answered. The record is
/// written before the request is handled; a request that cannot be recorded is refused
/// (503), never served unrecorded.
async fn audit(State(server): State<Arc<Server>>, request: Request, next: Next) -> Response {
    // Inside the nested router the path has lost its /fhir; the original one is kept.
    let uri = request.extensions().get::<axum::extract::OriginalUri>().map(|u| u.0.clone());
    let uri = uri.as_ref().unwrap_or(request.uri());
    let action = format!("{} {}", request.method(), uri.path());
    let query = uri.query().map(str::to_owned);
    let origin = request.headers().get(header::ORIGIN).and_then(|h| h.to_str().ok()).map(str::to_owned);
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::to_owned);
    let record_server = server.clone();
    let started = blocking(move || {
        let who = match token {
            Some(t) => record_server.store.caller(&t)?.map(|c| c.name).unwrap_or_else(|| "(unknown token)".into()),
            None => "(anonymous)".into(),
        };
        record_server.store.audit(&crate::store::AuditRecord {
            recorded: now(),
            who,
            action,
            origin,
            outcome: 0,
            query,
        })
    })
    .await;
    let record = match started {
        Ok(record) => record,
        Err(e) => {
            eprintln!("formwell: the audit log cannot be written, so a request was refused: {e}");
            return error(FhirError::new(
                503,
                "transient",
                "the audit log cannot be written just now, so nothing is served; try again shortly",
            ));
        }
    };
    let response = next.run(request).await;
    let outcome = response.status().as_u16();
    if let Err(e) = blocking(move || server.store.audit_outcome(record, outcome)).await {
        // The request is in the log already; only its ending is missing.
        eprintln!("formwell: the audit log did not take a request's outcome ({outcome}): {e}");
    }
    response
}

/// The audit log as FHIR AuditEvents (staff tokens only), oldest first, in pages
/// (`_count`, at most 1,000; `_offset`) with a `next` link.
async fn audit_events(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if caller.kind != crate::tokens::TokenKind::Staff {
        return error(FhirError::new(403, "forbidden", "only staff tokens may read the audit log"));
    }
    let (mut count, mut offset) = (100usize, 0usize);
    for (name, value) in query_pairs(query.as_deref()) {
        let number = || {
            value.parse::<usize>().map_err(|_| FhirError::invalid(name.clone(), format!("{name} is a whole number")))
        };
        match name.as_str() {
            "_count" => match number() {
                Ok(n) => count = n.min(1000),
                Err(e) => return error(e),
            },
            "_offset" => match number() {
                Ok(n) => offset = n,
                Err(e) => return error(e),
            },
            other => {
                return error(FhirError::invalid(
                    other,
                    format!("the audit log is searched by _count and _offset, not {other}"),
                ))
            }
        }
    }
    let base = base(&headers);
    match blocking(move || server.store.audit_page(offset, count)).await {
        Ok((total, page)) => {
            let entries: Vec<Value> = page.iter().map(|r| json!({ "resource": r.to_audit_event() })).collect();
            let mut bundle = json!({ "resourceType": "Bundle", "type": "searchset", "total": total, "entry": entries });
            if offset + count < total {
                bundle["link"] = json!([{ "relation": "next",
                    "url": format!("{base}/AuditEvent?_count={count}&_offset={}", offset + count) }]);
            }
            fhir_json(StatusCode::OK, bundle)
        }
        Err(e) => error(e),
    }
}

/// A query string's name=value pairs, decoded.
fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            (store::decode(name), store::decode(value))
        })
        .collect()
}

/// CORS only for the origins tokens name: a preflight carries no token, so the union of
/// them is what may ask; the token then decides.
async fn cors(State(server): State<Arc<Server>>, request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).and_then(|h| h.to_str().ok()).map(str::to_owned);
    let allowed = match &origin {
        Some(origin) => {
            let server = server.clone();
            let origin = origin.clone();
            blocking(move || Ok(server.store.tokens()?.iter().any(|t| !t.revoked && t.origins.contains(&origin))))
                .await
                .unwrap_or(false)
        }
        None => false,
    };
    let preflight = request.method() == Method::OPTIONS;
    let mut response = if preflight { StatusCode::NO_CONTENT.into_response() } else { next.run(request).await };
    if allowed {
        let headers = response.headers_mut();
        if let Some(Ok(value)) = origin.map(|o| HeaderValue::from_str(&o)) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        }
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("location"));
        if preflight {
            headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, PUT, OPTIONS"));
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("authorization, content-type, if-none-exist"),
            );
            headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        }
    }
    response
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn fhir_json(status: StatusCode, body: Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/fhir+json; charset=utf-8")], body.to_string()).into_response()
}

fn error(e: FhirError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    fhir_json(status, e.outcome())
}

/// Reads a request body as JSON, with a clear error for what is not (too large, not
/// JSON, nested too deeply).
fn body_json(body: &Result<Bytes, BytesRejection>) -> Result<Value, FhirError> {
    let body = body.as_ref().map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            FhirError::new(413, "too-costly", format!("the body is larger than {} MB", BODY_LIMIT / 1024 / 1024))
        } else {
            FhirError::new(400, "structure", format!("the body could not be read: {e}"))
        }
    })?;
    serde_json::from_slice(body).map_err(|e| {
        let why = if e.to_string().contains("recursion limit") {
            "the JSON is nested too deeply"
        } else {
            "the body is not valid JSON"
        };
        FhirError::new(400, "structure", format!("{why}: {e}"))
    })
}

/// The store is blocking (SQLite, fsync on commit): it runs off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, FhirError> + Send + 'static,
) -> Result<T, FhirError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| FhirError::new(500, "exception", e.to_string()))?
}

fn base(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    format!("http://{host}/fhir")
}

async fn metadata(State(server): State<Arc<Server>>) -> Response {
    if let Some(upstream) = &server.upstream {
        return upstream.forward("GET", "/metadata".into(), None, None).await;
    }
    let interactions: Vec<Value> =
        ["read", "update", "create", "search-type", "history-instance"].iter().map(|c| json!({ "code": c })).collect();
    let resources: Vec<Value> = validate::TYPES
        .iter()
        .map(|kind| {
            let params: Vec<Value> = store::search_params(kind)
                .iter()
                .map(|p| {
                    let kind = match *p {
                        "name" | "family" | "given" | "version" => "string",
                        "birthdate" | "_lastUpdated" => "date",
                        "subject" | "patient" | "target" => "reference",
                        "url" | "questionnaire" => "uri",
                        "_count" | "_offset" => "number",
                        _ => "token",
                    };
                    json!({ "name": p, "type": kind })
                })
                .collect();
            json!({
                "type": kind,
                "interaction": interactions,
                "updateCreate": true,
                "conditionalCreate": true,
                "searchParam": params,
            })
        })
        .collect();
    fhir_json(
        StatusCode::OK,
        json!({
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": "2026-11-26",
            "kind": "instance",
            "software": { "name": "Formwell server", "version": env!("CARGO_PKG_VERSION") },
            "fhirVersion": "4.0.1",
            "format": ["json"],
            "rest": [{
                "mode": "server",
                "interaction": [{ "code": "transaction" }, { "code": "batch" }],
                "resource": resources,
            }],
        }),
    )
}

async fn bundle(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let json = body_json(&body)?;
        validate::bundle(&json)?;
        policy::check(&server.ruleset, &caller.setting, &json)?;
        if let Some(upstream) = &server.upstream {
            for entry in json["entry"].as_array().into_iter().flatten() {
                if matches!(entry["request"]["method"].as_str(), Some("PUT" | "PATCH" | "DELETE")) {
                    let url = entry["request"]["url"].as_str().unwrap_or_default();
                    gateway_may_change(&server, upstream, &caller, url).await?;
                }
            }
            let answer = upstream.exchange("POST", String::new(), Some(json.to_string()), None).await?;
            if answer.success() {
                // What the upstream server now holds was written by this caller.
                let written: Vec<(String, String)> = serde_json::from_str::<Value>(&answer.text)
                    .ok()
                    .and_then(|r| r["entry"].as_array().cloned())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|e| e["response"]["location"].as_str().and_then(type_and_id))
                    .collect();
                let (server, caller) = (server.clone(), caller.clone());
                blocking(move || server.store.record_owners(&written, Principal::Token(&caller))).await?;
            }
            return Ok(Err(answer.into_response()));
        }
        blocking(move || server.store.bundle(&json, &now(), Principal::Token(&caller))).await.map(Ok)
    }
    .await;
    match result {
        Ok(Ok(response)) => fhir_json(StatusCode::OK, response),
        Ok(Err(forwarded)) => forwarded,
        Err(e) => error(e),
    }
}

/// Whether a gateway's caller may change `url` (`Type/id`) upstream: what it may read, as
/// this gateway recorded its writer; where it recorded none, what the upstream server does
/// not hold yet (a create by id) or what the caller may read unknown (the shared types).
async fn gateway_may_change(
    server: &Arc<Server>,
    upstream: &Upstream,
    caller: &Caller,
    url: &str,
) -> Result<(), FhirError> {
    let (kind, id) = type_and_id(url)
        .ok_or_else(|| FhirError::invalid("request.url", format!("\"{url}\" is not Type/id of an R4 resource")))?;
    let owner = blocking({
        let (server, kind, id) = (server.clone(), kind.clone(), id.clone());
        move || server.store.owner(&kind, &id)
    })
    .await?;
    let who = Principal::Token(caller);
    let allowed = match owner {
        Some(owner) => who.may_read(&kind, Some(&owner)),
        None if who.may_read(&kind, None) => true,
        None => upstream.exchange("GET", format!("/{kind}/{id}"), None, None).await?.status == 404,
    };
    if allowed {
        Ok(())
    } else {
        Err(FhirError::new(403, "forbidden", format!("this token may not change {kind}/{id}")))
    }
}

/// A single write as a transaction of one entry, so it goes through the same checks;
/// the answer is the stored resource, with its location.
async fn single(server: Arc<Server>, caller: Caller, entry: Value) -> Response {
    let kind =
        entry["request"]["url"].as_str().unwrap_or_default().split(['/', '?']).next().unwrap_or_default().to_owned();
    let bundle = json!({ "resourceType": "Bundle", "type": "transaction", "entry": [entry] });
    // Name the element as the resource has it, not as the one-entry Bundle does.
    let within_resource = |mut e: FhirError| {
        e.expression = e.expression.map(|x| x.replacen("Bundle.entry[0].resource", &kind, 1));
        e
    };
    if let Err(e) = policy::check(&server.ruleset, &caller.setting, &bundle) {
        return error(within_resource(e));
    }
    if let Some(upstream) = &server.upstream {
        let entry = &bundle["entry"][0];
        let method = if entry["request"]["method"] == "PUT" { "PUT" } else { "POST" };
        let url = entry["request"]["url"].as_str().unwrap_or_default();
        if method == "PUT" {
            if let Err(e) = gateway_may_change(&server, upstream, &caller, url).await {
                return error(e);
            }
        }
        let path = format!("/{url}");
        let condition = entry["request"]["ifNoneExist"].as_str().map(str::to_owned);
        let answer = match upstream.exchange(method, path, Some(entry["resource"].to_string()), condition).await {
            Ok(answer) => answer,
            Err(e) => return error(e),
        };
        if answer.success() {
            let written = answer.location.as_deref().and_then(type_and_id).or_else(|| {
                let stored: Value = serde_json::from_str(&answer.text).ok()?;
                Some((stored["resourceType"].as_str()?.to_owned(), stored["id"].as_str()?.to_owned()))
            });
            if let Some((kind, id)) = written {
                let recorded =
                    blocking(move || server.store.record_owners(&[(kind, id)], Principal::Token(&caller))).await;
                if let Err(e) = recorded {
                    return error(e);
                }
            }
        }
        return answer.into_response();
    }
    let result = blocking(move || {
        let response = server.store.transaction(&bundle, &now(), Principal::Token(&caller))?;
        let r = &response["entry"][0]["response"];
        let location = r["location"].as_str().unwrap_or_default().to_owned();
        let mut parts = location.split('/');
        let (kind, id) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        let stored = server.store.read(kind, id, Principal::Token(&caller))?;
        Ok((r["status"] == "201 Created", location, stored))
    })
    .await;
    match result {
        Ok((created, location, stored)) => {
            let mut response = fhir_json(if created { StatusCode::CREATED } else { StatusCode::OK }, stored);
            if let Ok(value) = header::HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
        Err(e) => error(within_resource(e)),
    }
}

async fn create(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(e) = resource_path(&server, &kind, None) {
        return error(e);
    }
    let resource = match body_json(&body) {
        Ok(r) => r,
        Err(e) => return error(e),
    };
    let mut request = json!({ "method": "POST", "url": kind });
    if let Some(condition) = headers.get("if-none-exist").and_then(|h| h.to_str().ok()) {
        request["ifNoneExist"] = json!(condition);
    }
    single(server, caller, json!({ "resource": resource, "request": request })).await
}

async fn update(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path((kind, id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(e) = resource_path(&server, &kind, Some(&id)) {
        return error(e);
    }
    let resource = match body_json(&body) {
        Ok(r) => r,
        Err(e) => return error(e),
    };
    if resource["id"].as_str().is_some_and(|rid| rid != id) {
        return error(FhirError::invalid("id", "the resource's id is not the one in the URL"));
    }
    single(
        server,
        caller,
        json!({ "resource": resource, "request": { "method": "PUT", "url": format!("{kind}/{id}") } }),
    )
    .await
}

/// Whether a gateway's caller may read `kind/id`, as far as this gateway knows its writer.
async fn gateway_may_read(server: &Arc<Server>, caller: &Caller, kind: &str, id: &str) -> Result<bool, FhirError> {
    let owner = blocking({
        let (server, kind, id) = (server.clone(), kind.to_owned(), id.to_owned());
        move || server.store.owner(&kind, &id)
    })
    .await?;
    Ok(Principal::Token(caller).may_read(kind, owner.as_ref()))
}

/// A read or a history of one resource: forwarded by a gateway, or from the store; only
/// what the caller may read, anything else as absent.
async fn read_one(server: Arc<Server>, caller: Caller, kind: String, id: String, history: bool) -> Response {
    if let Err(e) = resource_path(&server, &kind, Some(&id)) {
        return error(e);
    }
    if let Some(upstream) = &server.upstream {
        return match gateway_may_read(&server, &caller, &kind, &id).await {
            Ok(true) => {
                let path = if history { format!("/{kind}/{id}/_history") } else { format!("/{kind}/{id}") };
                upstream.forward("GET", path, None, None).await
            }
            Ok(false) => error(FhirError::not_found(format!("no {kind}/{id} that this token may read"))),
            Err(e) => error(e),
        };
    }
    let who = caller;
    match blocking(move || {
        if history {
            server.store.history(&kind, &id, Principal::Token(&who))
        } else {
            server.store.read(&kind, &id, Principal::Token(&who))
        }
    })
    .await
    {
        Ok(found) => fhir_json(StatusCode::OK, found),
        Err(e) => error(e),
    }
}

async fn read(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path((kind, id)): Path<(String, String)>,
) -> Response {
    read_one(server, caller, kind, id, false).await
}

async fn history(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path((kind, id)): Path<(String, String)>,
) -> Response {
    read_one(server, caller, kind, id, true).await
}

async fn search(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path(kind): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Err(e) = resource_path(&server, &kind, None) {
        return error(e);
    }
    if let Some(upstream) = &server.upstream {
        let query = query.as_deref().map(|q| format!("?{q}")).unwrap_or_default();
        return match upstream.exchange("GET", format!("/{kind}{query}"), None, None).await {
            Ok(answer) if answer.success() => match gateway_visible(&server, &caller, &answer.text).await {
                Ok(bundle) => fhir_json(StatusCode::OK, bundle),
                Err(e) => error(e),
            },
            Ok(answer) => answer.into_response(),
            Err(e) => error(e),
        };
    }
    let params = query_pairs(query.as_deref());
    let base = base(&headers);
    match blocking(move || server.store.search(&kind, &params, &base, Principal::Token(&caller))).await {
        Ok(bundle) => fhir_json(StatusCode::OK, bundle),
        Err(e) => error(e),
    }
}

/// An upstream search's Bundle with only the entries the caller may read. Its `total`
/// then counts what the upstream server found, not what is shown, so it is dropped.
async fn gateway_visible(server: &Arc<Server>, caller: &Caller, text: &str) -> Result<Value, FhirError> {
    let mut bundle: Value = serde_json::from_str(text)
        .map_err(|e| FhirError::new(502, "transient", format!("the upstream server's search is not JSON: {e}")))?;
    let entries = bundle["entry"].as_array().cloned().unwrap_or_default();
    let mut visible = Vec::new();
    for entry in entries {
        let resource = &entry["resource"];
        let (Some(kind), Some(id)) = (resource["resourceType"].as_str(), resource["id"].as_str()) else { continue };
        // An OperationOutcome in a searchset is the server speaking, not a record.
        if kind == "OperationOutcome" || gateway_may_read(server, caller, kind, id).await? {
            visible.push(entry);
        }
    }
    if let Some(object) = bundle.as_object_mut() {
        object.remove("total");
        if visible.is_empty() {
            object.remove("entry");
        } else {
            object.insert("entry".into(), Value::Array(visible));
        }
    }
    Ok(bundle)
}

/// The configuration the app reads at start: this server is its record backend.
async fn app_config() -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], json!({ "fhir": "/fhir" }).to_string())
        .into_response()
}
