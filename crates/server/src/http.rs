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

use crate::outcome::FhirError;
use crate::policy;
use crate::store::{self, Store};
use crate::tokens::Caller;
use crate::validate;

/// The largest request body taken.
pub const BODY_LIMIT: usize = 5 * 1024 * 1024;

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
        match result {
            Ok((status, location, text)) => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
                let mut response =
                    (status, [(header::CONTENT_TYPE, "application/fhir+json; charset=utf-8")], text).into_response();
                if let Some(value) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
                    response.headers_mut().insert(header::LOCATION, value);
                }
                response
            }
            Err(e) => error(e),
        }
    }
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
        .layer(middleware::from_fn_with_state(server.clone(), cors))
        .layer(middleware::from_fn_with_state(server.clone(), audit));
    let mut app = Router::new()
        .nest("/fhir", fhir)
        .route("/formwell.config.json", get(app_config))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(server.clone());
    if let Some(dist) = &server.dist {
        app = app.fallback_service(tower_http::services::ServeDir::new(dist));
    }
    app
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
    let origin = request.headers().get(header::ORIGIN).and_then(|h| h.to_str().ok()).map(str::to_owned);
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
    if caller.kind == crate::tokens::TokenKind::Partner && origin.as_ref().is_some_and(|o| !caller.origins.contains(o))
    {
        return error(FhirError::new(403, "forbidden", "this token may not be used from this web origin"));
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// Every FHIR request goes in the audit log: who (the token's name), when, what, from
/// where, and the status answered.
async fn audit(State(server): State<Arc<Server>>, request: Request, next: Next) -> Response {
    // Inside the nested router the path has lost its /fhir; the original one is kept.
    let path = request.extensions().get::<axum::extract::OriginalUri>().map(|u| u.path().to_owned());
    let action = format!("{} {}", request.method(), path.as_deref().unwrap_or(request.uri().path()));
    let origin = request.headers().get(header::ORIGIN).and_then(|h| h.to_str().ok()).map(str::to_owned);
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::to_owned);
    let response = next.run(request).await;
    let outcome = response.status().as_u16();
    let record_server = server.clone();
    let _ = blocking(move || {
        let who = match token {
            Some(t) => record_server.store.caller(&t)?.map(|c| c.name).unwrap_or_else(|| "(unknown token)".into()),
            None => "(anonymous)".into(),
        };
        record_server.store.audit(&crate::store::AuditRecord { recorded: now(), who, action, origin, outcome })
    })
    .await;
    response
}

/// The audit log as FHIR AuditEvents (staff tokens only).
async fn audit_events(State(server): State<Arc<Server>>, Extension(caller): Extension<Caller>) -> Response {
    if caller.kind != crate::tokens::TokenKind::Staff {
        return error(FhirError::new(403, "forbidden", "only staff tokens may read the audit log"));
    }
    match blocking(move || server.store.audit_log()).await {
        Ok(log) => {
            let entries: Vec<Value> = log.iter().map(|r| json!({ "resource": r.to_audit_event() })).collect();
            fhir_json(
                StatusCode::OK,
                json!({ "resourceType": "Bundle", "type": "searchset", "total": entries.len(), "entry": entries }),
            )
        }
        Err(e) => error(e),
    }
}

/// CORS only for the origins partner tokens name: a preflight carries no token, so the
/// union of them is what may ask; the token then decides.
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
                .map(|p| json!({ "name": p, "type": if p.starts_with('_') { "special" } else { "token" } }))
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
        if json["resourceType"] != "Bundle" {
            return Err(FhirError::invalid("resourceType", "POST to the base takes a transaction or batch Bundle"));
        }
        policy::check(&server.ruleset, &caller.setting, &json)?;
        if let Some(upstream) = &server.upstream {
            return Ok(Err(upstream.forward("POST", String::new(), Some(json.to_string()), None).await));
        }
        blocking(move || server.store.bundle(&json, &now())).await.map(Ok)
    }
    .await;
    match result {
        Ok(Ok(response)) => fhir_json(StatusCode::OK, response),
        Ok(Err(forwarded)) => forwarded,
        Err(e) => error(e),
    }
}

/// A single write as a transaction of one entry, so it goes through the same checks;
/// the answer is the stored resource, with its location.
async fn single(server: Arc<Server>, caller: Caller, entry: Value) -> Response {
    let kind =
        entry["request"]["url"].as_str().unwrap_or_default().split(['/', '?']).next().unwrap_or_default().to_owned();
    let bundle = json!({ "resourceType": "Bundle", "type": "transaction", "entry": [entry] });
    if let Err(e) = policy::check(&server.ruleset, &caller.setting, &bundle) {
        return error(e);
    }
    if let Some(upstream) = &server.upstream {
        let entry = &bundle["entry"][0];
        let method = if entry["request"]["method"] == "PUT" { "PUT" } else { "POST" };
        let path = format!("/{}", entry["request"]["url"].as_str().unwrap_or_default());
        let condition = entry["request"]["ifNoneExist"].as_str().map(str::to_owned);
        return upstream.forward(method, path, Some(entry["resource"].to_string()), condition).await;
    }
    let result = blocking(move || {
        let response = server.store.transaction(&bundle, &now())?;
        let r = &response["entry"][0]["response"];
        let location = r["location"].as_str().unwrap_or_default().to_owned();
        let mut parts = location.split('/');
        let (kind, id) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        let stored = server.store.read(kind, id)?;
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
        Err(mut e) => {
            // Name the element as the resource has it, not as the one-entry Bundle does.
            e.expression = e.expression.map(|x| x.replacen("Bundle.entry[0].resource", &kind, 1));
            error(e)
        }
    }
}

async fn create(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
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

async fn read(State(server): State<Arc<Server>>, Path((kind, id)): Path<(String, String)>) -> Response {
    if let Some(upstream) = &server.upstream {
        return upstream.forward("GET", format!("/{kind}/{id}"), None, None).await;
    }
    match blocking(move || server.store.read(&kind, &id)).await {
        Ok(resource) => fhir_json(StatusCode::OK, resource),
        Err(e) => error(e),
    }
}

async fn history(State(server): State<Arc<Server>>, Path((kind, id)): Path<(String, String)>) -> Response {
    if let Some(upstream) = &server.upstream {
        return upstream.forward("GET", format!("/{kind}/{id}/_history"), None, None).await;
    }
    match blocking(move || server.store.history(&kind, &id)).await {
        Ok(bundle) => fhir_json(StatusCode::OK, bundle),
        Err(e) => error(e),
    }
}

async fn search(
    State(server): State<Arc<Server>>,
    Path(kind): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Some(upstream) = &server.upstream {
        let query = query.as_deref().map(|q| format!("?{q}")).unwrap_or_default();
        return upstream.forward("GET", format!("/{kind}{query}"), None, None).await;
    }
    if !validate::TYPES.contains(&kind.as_str()) {
        return error(FhirError::not_found(format!("this server keeps no {kind}")));
    }
    let params: Vec<(String, String)> = query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            (store::decode(name), store::decode(value))
        })
        .collect();
    let base = base(&headers);
    match blocking(move || server.store.search(&kind, &params, &base)).await {
        Ok(bundle) => fhir_json(StatusCode::OK, bundle),
        Err(e) => error(e),
    }
}

/// The configuration the app reads at start: this server is its record backend.
async fn app_config() -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], json!({ "fhir": "/fhir" }).to_string())
        .into_response()
}
