//! Formwell's server: an embedded FHIR R4 store on SQLite that takes the app's
//! submissions (transactions, conditional create, search), validating every write.
//! `http` puts it on the network with the app's files; `serve` runs it.

pub mod access;
pub mod http;
pub mod outcome;
pub mod policy;
pub mod preview;
pub mod store;
pub mod tokens;
pub mod validate;

pub use outcome::FhirError;
pub use store::Store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// How to run the server.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    /// The SQLite file (created if missing).
    pub data: PathBuf,
    /// The app's release build to serve, if any.
    pub dist: Option<PathBuf>,
    /// The code-impact ruleset every submission is re-checked against.
    pub ruleset: formwell_engine::Ruleset,
    /// The templates to keep as Questionnaire resources (id, JSON), searchable by url
    /// and version.
    pub templates: Vec<(String, serde_json::Value)>,
    /// Gateway mode: forward accepted requests to this FHIR server; the local file then
    /// keeps only tokens and the audit log.
    pub upstream: Option<http::Upstream>,
}

/// Runs the server until it is stopped (Ctrl-C or SIGTERM).
pub async fn serve(options: ServeOptions) -> Result<(), String> {
    let store = Store::open(&options.data).map_err(|e| e.to_string())?;
    // The shipped templates as Questionnaire resources, written as they are (an update
    // when one changed; the same version's history otherwise grows only by a copy).
    let entries: Vec<serde_json::Value> = options
        .templates
        .iter()
        .map(|(id, q)| serde_json::json!({ "resource": q, "request": { "method": "PUT", "url": format!("Questionnaire/{id}") } }))
        .collect();
    if !entries.is_empty() && options.upstream.is_none() {
        let bundle = serde_json::json!({ "resourceType": "Bundle", "type": "transaction", "entry": entries });
        let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        store
            .transaction(&bundle, &now, access::Principal::Server)
            .map_err(|e| format!("the templates could not be stored: {e}"))?;
    }
    let upstream = options.upstream.clone();
    let server = Arc::new(http::Server { store, dist: options.dist.clone(), ruleset: options.ruleset, upstream });
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", options.addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    match &options.upstream {
        Some(upstream) => {
            println!("formwell: serving http://{addr} (record: http://{addr}/fhir, a gateway to {})", upstream.base)
        }
        None => println!(
            "formwell: serving http://{addr} (record: http://{addr}/fhir, stored in {})",
            options.data.display()
        ),
    }
    axum::serve(listener, http::router(server))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}
