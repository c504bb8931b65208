//! `formwell preview DIR`: the template studio on a folder of templates, for designers
//! who edit in their own editor. It serves the app's build (the studio page and the
//! embedding engine it previews with) and the folder's `*.json` files, watches the
//! folder, and tells the studio when a file changed (a long poll), so the preview reloads
//! as soon as a file is saved. No record: nothing is stored or sent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;
use tokio::sync::watch;

/// How often the folder is looked at.
const WATCH_EVERY: Duration = Duration::from_millis(250);
/// How long a poll for changes waits before answering that nothing changed.
const POLL_FOR: Duration = Duration::from_secs(20);
/// A template file larger than this is not served (nor read).
const MAX_TEMPLATE: u64 = 8 * 1024 * 1024;

struct Preview {
    dir: PathBuf,
    /// The version of the folder: it goes up whenever any file changes.
    version: watch::Receiver<u64>,
    /// Which files changed in each version (the last few).
    changed: Mutex<Vec<(u64, String)>>,
}

/// The templates in the folder: `*.json` files directly in it, by name.
fn templates(dir: &Path) -> BTreeMap<String, SystemTime> {
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_file() && path.extension().is_some_and(|e| e == "json") && meta.len() <= MAX_TEMPLATE {
            found.insert(name, meta.modified().unwrap_or(SystemTime::UNIX_EPOCH));
        }
    }
    found
}

/// A name the folder may serve: a plain file name, never a path out of it.
fn plain_name(name: &str) -> bool {
    name.ends_with(".json")
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Serves the studio on `dir` until stopped; `on_change(name, text)` hears each template
/// that was added or saved (the CLI prints its findings).
pub async fn serve(
    addr: std::net::SocketAddr,
    dist: PathBuf,
    dir: PathBuf,
    on_change: impl Fn(&str, &str) + Send + 'static,
) -> Result<(), String> {
    if !dir.is_dir() {
        return Err(format!("{} is not a folder", dir.display()));
    }
    let (tell, version) = watch::channel(0u64);
    let preview = Arc::new(Preview { dir: dir.clone(), version, changed: Mutex::new(Vec::new()) });
    {
        let preview = preview.clone();
        let mut seen = templates(&dir);
        for name in seen.keys() {
            if let Ok(text) = std::fs::read_to_string(dir.join(name)) {
                on_change(name, &text);
            }
        }
        std::thread::spawn(move || loop {
            std::thread::sleep(WATCH_EVERY);
            let now = templates(&preview.dir);
            let changed: Vec<String> =
                now.iter().filter(|(name, time)| seen.get(*name) != Some(*time)).map(|(name, _)| name.clone()).collect();
            let removed = seen.keys().any(|name| !now.contains_key(name));
            seen = now;
            if changed.is_empty() && !removed {
                continue;
            }
            let next = *tell.borrow() + 1;
            {
                let mut log = preview.changed.lock().unwrap_or_else(|e| e.into_inner());
                log.extend(changed.iter().map(|name| (next, name.clone())));
                let keep = log.len().saturating_sub(200);
                log.drain(..keep);
            }
            for name in &changed {
                if let Ok(text) = std::fs::read_to_string(preview.dir.join(name)) {
                    on_change(name, &text);
                }
            }
            if tell.send(next).is_err() {
                return;
            }
        });
    }
    let app = Router::new()
        .route("/preview/templates", get(list))
        .route("/preview/templates/{name}", get(read))
        .route("/preview/changes", get(changes))
        .route("/studio.html", get({
            let dist = dist.clone();
            move || async move { crate::http::studio_page(Some(&dist)) }
        }))
        .with_state(preview)
        .fallback_service(tower_http::services::ServeDir::new(dist))
        .layer(axum::middleware::map_response(crate::http::security_headers));
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("formwell: previewing {} on http://{addr}/studio.html", dir.display());
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}

async fn list(State(preview): State<Arc<Preview>>) -> Response {
    let names: Vec<String> = templates(&preview.dir).into_keys().collect();
    let version = *preview.version.borrow();
    axum::Json(json!({ "folder": preview.dir.display().to_string(), "version": version, "templates": names })).into_response()
}

async fn read(State(preview): State<Arc<Preview>>, UrlPath(name): UrlPath<String>) -> Response {
    if !plain_name(&name) {
        return (StatusCode::NOT_FOUND, "no such template").into_response();
    }
    match std::fs::read_to_string(preview.dir.join(&name)) {
        Ok(text) => ([(header::CONTENT_TYPE, "application/json; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], text)
            .into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "no such template").into_response(),
    }
}

/// Answers once the folder's version is past `since` (with what changed since), or after
/// a while with nothing.
async fn changes(State(preview): State<Arc<Preview>>, Query(query): Query<BTreeMap<String, String>>) -> Response {
    let since: u64 = query.get("since").and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut version = preview.version.clone();
    let _ = tokio::time::timeout(POLL_FOR, version.wait_for(|v| *v > since)).await;
    let now = *version.borrow();
    let changed: Vec<String> = {
        let log = preview.changed.lock().unwrap_or_else(|e| e.into_inner());
        let mut names: Vec<String> = log.iter().filter(|(v, _)| *v > since).map(|(_, n)| n.clone()).collect();
        names.dedup();
        names
    };
    ([(header::CACHE_CONTROL, "no-store")], axum::Json(json!({ "version": now, "changed": changed }))).into_response()
}

#[cfg(test)]
mod tests {
    use super::plain_name;

    #[test]
    fn only_plain_file_names_are_served() {
        assert!(plain_name("family-registration.json"));
        for name in ["../secret.json", "a/b.json", "..json", ".hidden.json", "notes.txt", "%2e%2e.json", "a b.json"] {
            assert!(!plain_name(name), "{name}");
        }
    }
}
