//! The embedded record store: FHIR resources in one SQLite file (WAL; every committed
//! transaction is on disk before it is acknowledged), with their history and a search
//! index. A transaction Bundle is carried out inside one SQLite transaction, so it is
//! stored whole or not at all.

use std::path::Path;
use std::sync::Mutex;

use base64::Engine as _;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde_json::{json, Map, Value};

use crate::access::{Owner, Principal};
use crate::outcome::FhirError;
use crate::validate;

/// The search parameters the store indexes, per resource type, and where their values are.
const PARAMS: &[(&str, &str, Index)] = &[
    ("QuestionnaireResponse", "identifier", Index::Identifier("identifier")),
    ("QuestionnaireResponse", "subject", Index::Reference("subject")),
    ("QuestionnaireResponse", "patient", Index::Reference("subject")),
    ("QuestionnaireResponse", "questionnaire", Index::Canonical("questionnaire")),
    ("Observation", "identifier", Index::Identifier("identifier")),
    ("Observation", "subject", Index::Reference("subject")),
    ("Observation", "patient", Index::Reference("subject")),
    ("Observation", "code", Index::Code("code")),
    ("Consent", "identifier", Index::Identifier("identifier")),
    ("Consent", "patient", Index::Reference("patient")),
    ("Provenance", "target", Index::Reference("target")),
    ("Provenance", "patient", Index::Reference("target")),
    ("Patient", "identifier", Index::Identifier("identifier")),
    ("Patient", "name", Index::Name("name")),
    ("Patient", "family", Index::Name("name")),
    ("Patient", "given", Index::Name("name")),
    ("Patient", "birthdate", Index::Text("birthDate")),
    ("Practitioner", "identifier", Index::Identifier("identifier")),
    ("Questionnaire", "url", Index::Canonical("url")),
    ("Questionnaire", "version", Index::Text("version")),
    ("Questionnaire", "identifier", Index::Identifier("identifier")),
];

#[derive(Clone, Copy)]
enum Index {
    Identifier(&'static str),
    Reference(&'static str),
    Canonical(&'static str),
    Code(&'static str),
    Text(&'static str),
    /// The words of a HumanName (text, given names, family), lower-cased, matched by the
    /// start of a word: `name=ami` finds Amina.
    Name(&'static str),
}

/// The search parameters the store supports for a type, for the CapabilityStatement.
pub fn search_params(kind: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = PARAMS.iter().filter(|(t, ..)| *t == kind).map(|(_, p, _)| *p).collect();
    out.extend(["_id", "_lastUpdated", "_count"]);
    out
}

/// One request in the audit log: who, when, what, from where, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub recorded: String,
    /// The token's name, or "(anonymous)".
    pub who: String,
    /// Method and path (`POST /fhir`).
    pub action: String,
    /// The query string as sent (`name=Begum&birthdate=1992-05-03`): for a search, whom
    /// it looked for.
    pub query: Option<String>,
    /// The web origin or the peer address.
    pub origin: Option<String>,
    /// The HTTP status answered; 0 while the request is being handled (or if the server
    /// stopped before it answered).
    pub outcome: u16,
}

impl AuditRecord {
    /// As a FHIR AuditEvent.
    pub fn to_audit_event(&self) -> Value {
        let (method, path) = self.action.split_once(' ').unwrap_or((&self.action, ""));
        let action = match method {
            "POST" | "PUT" => "C",
            "PATCH" => "U",
            "DELETE" => "D",
            _ => "R",
        };
        let outcome = match self.outcome {
            200..=299 => "0",
            400..=499 => "4",
            _ => "8",
        };
        // A read of one resource names it, so the log says whose record was opened; a
        // search keeps its query (base64, as R4's AuditEvent.entity.query is).
        let resource =
            path.strip_prefix("/fhir/").filter(|p| p.split('/').count() >= 2 && !p.starts_with("AuditEvent"));
        let mut entity = json!({ "what": { "display": path } });
        if let Some(reference) = resource {
            let mut parts = reference.split('/');
            let (kind, id) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            entity["what"]["reference"] = json!(format!("{kind}/{id}"));
        }
        if let Some(query) = self.query.as_deref().filter(|q| !q.is_empty()) {
            entity["query"] = json!(base64::engine::general_purpose::STANDARD.encode(query));
            entity["description"] = json!(query);
        }
        json!({
            "resourceType": "AuditEvent",
            "type": { "system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest", "display": "RESTful Operation" },
            "action": action,
            "recorded": self.recorded,
            "outcome": outcome,
            "outcomeDesc": if self.outcome == 0 { "no answer recorded".to_owned() } else { format!("HTTP {}", self.outcome) },
            "agent": [{ "who": { "display": self.who }, "requestor": true,
                        "network": { "address": self.origin.clone().unwrap_or_else(|| "unknown".into()), "type": "5" } }],
            "source": { "observer": { "display": "Formwell server" } },
            "entity": [entity],
        })
    }
}

/// The FHIR store on SQLite.
pub struct Store {
    connection: Mutex<Connection>,
}

/// What one entry of a transaction did.
struct Done {
    status: &'static str,
    kind: String,
    id: String,
    version: i64,
    last_updated: String,
}

impl Store {
    /// Opens (or creates) the store in a file.
    pub fn open(path: &Path) -> Result<Store, FhirError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| FhirError::new(500, "exception", format!("cannot create {}: {e}", dir.display())))?;
        }
        Store::with(Connection::open(path)?)
    }

    /// A store in memory, for tests.
    pub fn in_memory() -> Result<Store, FhirError> {
        Store::with(Connection::open_in_memory()?)
    }

    fn with(connection: Connection) -> Result<Store, FhirError> {
        // WAL for concurrent readers; synchronous FULL so an acknowledged transaction
        // survives a crash or a power cut.
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.execute_batch(
            "CREATE TABLE IF NOT EXISTS resource (
                 type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
                 last_updated TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (type, id));
             CREATE TABLE IF NOT EXISTS history (
                 type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
                 last_updated TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (type, id, version));
             CREATE TABLE IF NOT EXISTS search (
                 type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL, system TEXT, value TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS search_value ON search (type, param, value);
             CREATE INDEX IF NOT EXISTS search_resource ON search (type, id);",
        )?;
        // Who first wrote each resource through this server, for `access`. A store made
        // before writers were recorded has them all written by no one known, in no setting.
        let had_owners: bool = connection.query_row(
            "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'owner'",
            [],
            |r| r.get(0),
        )?;
        connection.execute_batch(
            "CREATE TABLE IF NOT EXISTS owner (
                 type TEXT NOT NULL, id TEXT NOT NULL, writer TEXT NOT NULL, setting TEXT, PRIMARY KEY (type, id));",
        )?;
        if !had_owners {
            connection.execute(
                "INSERT OR IGNORE INTO owner (type, id, writer, setting)
                 SELECT type, id, '(before writers were recorded)', NULL FROM resource",
                [],
            )?;
        }
        crate::tokens::prepare(&connection)?;
        connection.execute_batch(
            "CREATE TABLE IF NOT EXISTS audit (
                 recorded TEXT NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL,
                 origin TEXT, outcome INTEGER NOT NULL)",
        )?;
        let has_query: bool = connection.query_row(
            "SELECT COUNT(*) > 0 FROM pragma_table_info('audit') WHERE name = 'query'",
            [],
            |r| r.get(0),
        )?;
        if !has_query {
            connection.execute_batch("ALTER TABLE audit ADD COLUMN query TEXT")?;
        }
        Ok(Store { connection: Mutex::new(connection) })
    }

    /// Makes a bearer token for a caller; returns the token (only its hash is kept).
    pub fn add_token(&self, caller: &crate::tokens::Caller) -> Result<String, FhirError> {
        crate::tokens::add(&self.lock(), caller)
    }

    /// Every token's record.
    pub fn tokens(&self) -> Result<Vec<crate::tokens::Caller>, FhirError> {
        crate::tokens::list(&self.lock())
    }

    /// Revokes a token by name; false when there is none.
    pub fn revoke_token(&self, name: &str) -> Result<bool, FhirError> {
        crate::tokens::revoke(&self.lock(), name)
    }

    /// The caller a presented token belongs to, unless unknown or revoked.
    pub fn caller(&self, token: &str) -> Result<Option<crate::tokens::Caller>, FhirError> {
        crate::tokens::caller(&self.lock(), token)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (its own
        // transaction rolls back), so a poisoned lock is safe to take.
        self.connection.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Carries out a transaction (all or nothing) or a batch (each entry on its own),
    /// returning the response Bundle.
    pub fn bundle(&self, bundle: &Value, now: &str, who: Principal<'_>) -> Result<Value, FhirError> {
        match bundle["type"].as_str() {
            Some("transaction") => self.transaction(bundle, now, who),
            Some("batch") => self.batch(bundle, now, who),
            _ => Err(FhirError::invalid("Bundle.type", "POST to the base takes a transaction or batch Bundle")),
        }
    }

    /// All entries in one SQLite transaction; the first failure rolls everything back.
    /// `who` is recorded as the writer of what is new, and may change only what it may read.
    pub fn transaction(&self, bundle: &Value, now: &str, who: Principal<'_>) -> Result<Value, FhirError> {
        let entries = bundle["entry"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        for (i, entry) in entries.iter().enumerate() {
            if let Some(resource) = entry.get("resource").filter(|r| r["resourceType"] != "Binary") {
                validate::resource(resource).map_err(|e| e.within(&format!("Bundle.entry[{i}].resource")))?;
            }
        }
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        // First every entry's id, so that references between entries can be rewritten.
        let mut ids: Vec<Option<(String, String, bool)>> = Vec::new(); // (type, id, exists already)
        let mut rewrites: Vec<(String, String)> = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let at = format!("Bundle.entry[{i}]");
            let method = entry["request"]["method"].as_str().unwrap_or("");
            let url = entry["request"]["url"].as_str().unwrap_or("");
            let resolved = match method {
                "POST" => {
                    let kind = url.split(['/', '?']).next().unwrap_or("").to_owned();
                    let existing = match entry["request"]["ifNoneExist"].as_str() {
                        Some(condition) => conditional_match(&tx, &kind, condition).map_err(|e| e.within(&at))?,
                        None => None,
                    };
                    match existing {
                        Some(id) => Some((kind, id, true)),
                        None => Some((kind, new_id(&tx)?, false)),
                    }
                }
                "PUT" | "PATCH" => {
                    let (kind, id) = url
                        .split_once('/')
                        .ok_or_else(|| FhirError::invalid(format!("{at}.request.url"), "expected Type/id"))?;
                    Some((kind.to_owned(), id.to_owned(), false))
                }
                "GET" => None,
                other => {
                    return Err(FhirError::invalid(
                        format!("{at}.request.method"),
                        format!("\"{other}\" is not supported in a transaction"),
                    ))
                }
            };
            if let (Some((kind, id, _)), Some(full_url)) = (&resolved, entry["fullUrl"].as_str()) {
                rewrites.push((full_url.to_owned(), format!("{kind}/{id}")));
            }
            ids.push(resolved);
        }
        let mut done = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let at = format!("Bundle.entry[{i}]");
            let Some((kind, id, exists)) = ids[i].clone() else {
                done.push(None);
                continue;
            };
            let method = entry["request"]["method"].as_str().unwrap_or("");
            if matches!(method, "PUT" | "PATCH") && current(&tx, &kind, &id)?.is_some() {
                let owner = owner_of(&tx, &kind, &id)?;
                if !who.may_read(&kind, owner.as_ref()) {
                    return Err(FhirError {
                        status: 403,
                        code: "forbidden",
                        text: format!("this token may not change {kind}/{id}"),
                        expression: Some(format!("{at}.request.url")),
                    });
                }
            }
            let result = match method {
                "POST" if exists => {
                    let version = current(&tx, &kind, &id)?.map(|(v, _, _)| v).unwrap_or(1);
                    let last_updated = current(&tx, &kind, &id)?.map(|(_, l, _)| l).unwrap_or_default();
                    Done { status: "200 OK", kind, id, version, last_updated }
                }
                "POST" | "PUT" => {
                    let mut resource = entry["resource"].clone();
                    if resource["resourceType"] != kind.as_str() {
                        return Err(FhirError::invalid(
                            format!("{at}.resource.resourceType"),
                            format!("expected a {kind}"),
                        ));
                    }
                    rewrite_references(&mut resource, &rewrites);
                    let (version, status) = write(&tx, &kind, &id, resource, now, who)?;
                    Done { status, kind, id, version, last_updated: now.to_owned() }
                }
                "PATCH" => {
                    let patched = patch(&tx, &kind, &id, &entry["resource"]).map_err(|e| {
                        if e.expression.is_none() {
                            e.within(&at)
                        } else {
                            e
                        }
                    })?;
                    validate::resource(&patched).map_err(|e| e.within(&format!("{kind}/{id}")))?;
                    let (version, status) = write(&tx, &kind, &id, patched, now, who)?;
                    Done { status, kind, id, version, last_updated: now.to_owned() }
                }
                _ => unreachable!("methods were checked above"),
            };
            done.push(Some(result));
        }
        tx.commit()?;
        Ok(response_bundle("transaction-response", done.into_iter().map(|d| d.map(Ok)).collect()))
    }

    /// Each entry on its own; a failure is reported in that entry's response.
    fn batch(&self, bundle: &Value, now: &str, who: Principal<'_>) -> Result<Value, FhirError> {
        let entries = bundle["entry"].as_array().cloned().unwrap_or_default();
        let mut results = Vec::new();
        for entry in entries {
            let single = json!({ "resourceType": "Bundle", "type": "transaction", "entry": [entry] });
            results.push(Some(match self.transaction(&single, now, who) {
                Ok(response) => Ok(response["entry"][0].clone()),
                Err(e) => Err(e),
            }));
        }
        let mut out = Vec::new();
        for r in results {
            out.push(match r {
                Some(Ok(entry)) => json!(entry),
                Some(Err(e)) => {
                    json!({ "response": { "status": format!("{} {}", e.status, e.code), "outcome": e.outcome() } })
                }
                None => json!({}),
            });
        }
        Ok(json!({ "resourceType": "Bundle", "type": "batch-response", "entry": out }))
    }

    /// A resource's current version, if `who` may read it (one it may not read is as
    /// good as absent: its existence is not given away either).
    pub fn read(&self, kind: &str, id: &str, who: Principal<'_>) -> Result<Value, FhirError> {
        let connection = self.lock();
        if !who.may_read(kind, owner_of(&connection, kind, id)?.as_ref()) {
            return Err(FhirError::not_found(format!("no {kind}/{id} that this token may read")));
        }
        let json: Option<String> = connection
            .query_row("SELECT json FROM resource WHERE type = ?1 AND id = ?2", params![kind, id], |r| r.get(0))
            .optional()?;
        let json = json.ok_or_else(|| FhirError::not_found(format!("no {kind}/{id}")))?;
        serde_json::from_str(&json).map_err(|e| FhirError::new(500, "exception", e.to_string()))
    }

    /// Every version of a resource, newest first, if `who` may read it.
    pub fn history(&self, kind: &str, id: &str, who: Principal<'_>) -> Result<Value, FhirError> {
        let connection = self.lock();
        if !who.may_read(kind, owner_of(&connection, kind, id)?.as_ref()) {
            return Err(FhirError::not_found(format!("no {kind}/{id} that this token may read")));
        }
        let mut statement =
            connection.prepare("SELECT json FROM history WHERE type = ?1 AND id = ?2 ORDER BY version DESC")?;
        let versions: Vec<String> = statement.query_map(params![kind, id], |r| r.get(0))?.collect::<Result<_, _>>()?;
        if versions.is_empty() {
            return Err(FhirError::not_found(format!("no {kind}/{id}")));
        }
        let entries: Vec<Value> = versions
            .iter()
            .filter_map(|j| serde_json::from_str::<Value>(j).ok())
            .map(|r| json!({ "resource": r }))
            .collect();
        Ok(json!({ "resourceType": "Bundle", "type": "history", "total": entries.len(), "entry": entries }))
    }

    /// A search: every parameter must match (AND); `_count` pages, `_offset` moves along.
    /// Only what `who` may read is found.
    pub fn search(
        &self,
        kind: &str,
        query: &[(String, String)],
        base: &str,
        who: Principal<'_>,
    ) -> Result<Value, FhirError> {
        let connection = self.lock();
        let mut ids: Option<std::collections::HashSet<String>> = None;
        let mut count = 50usize;
        let mut offset = 0usize;
        let mut last_updated: Vec<(String, String)> = Vec::new();
        for (name, value) in query {
            let matched: Vec<String> = match name.as_str() {
                "_count" => {
                    count = value.parse().map_err(|_| FhirError::invalid("_count", "_count is a whole number"))?;
                    count = count.min(1000);
                    continue;
                }
                "_offset" => {
                    offset = value.parse().map_err(|_| FhirError::invalid("_offset", "_offset is a whole number"))?;
                    continue;
                }
                "_lastUpdated" => {
                    let (op, date) = split_prefix(value);
                    last_updated.push((op.to_owned(), date.to_owned()));
                    continue;
                }
                "_id" => vec![value.clone()],
                param => {
                    let index = PARAMS.iter().find(|(t, p, _)| *t == kind && *p == param).ok_or_else(|| {
                        FhirError::invalid(param, format!("{kind} cannot be searched by {param} here; see /metadata"))
                    })?;
                    matching(&connection, kind, index.1, value)?
                }
            };
            ids = Some(match ids {
                None => matched.into_iter().collect(),
                Some(previous) => matched.into_iter().filter(|id| previous.contains(id)).collect(),
            });
        }
        // The rows the parameters matched (through the index), or every row of the type;
        // without their JSON, which is read for the page alone: a search by identifier or
        // subject costs what it finds, not what the record holds.
        let owned_row = |r: &rusqlite::Row<'_>| -> rusqlite::Result<(String, String, Option<Owner>)> {
            let writer: Option<String> = r.get(2)?;
            Ok((r.get(0)?, r.get(1)?, writer.map(|writer| Owner { writer, setting: r.get(3).ok().flatten() })))
        };
        let candidates: Vec<(String, String, Option<Owner>)> = match &ids {
            Some(ids) => {
                let list = serde_json::to_string(&ids.iter().collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into());
                let mut statement = connection.prepare(
                    "SELECT r.id, r.last_updated, o.writer, o.setting FROM resource r
                     LEFT JOIN owner o ON o.type = r.type AND o.id = r.id
                     WHERE r.type = ?1 AND r.id IN (SELECT value FROM json_each(?2))",
                )?;
                let found = statement.query_map(params![kind, list], owned_row)?;
                found.collect::<Result<_, _>>()?
            }
            None => {
                let mut statement = connection.prepare(
                    "SELECT r.id, r.last_updated, o.writer, o.setting FROM resource r
                     LEFT JOIN owner o ON o.type = r.type AND o.id = r.id WHERE r.type = ?1",
                )?;
                let found = statement.query_map(params![kind], owned_row)?;
                found.collect::<Result<_, _>>()?
            }
        };
        let mut rows: Vec<(String, String)> = candidates
            .into_iter()
            .filter(|(_, _, owner)| who.may_read(kind, owner.as_ref()))
            .filter(|(_, updated, _)| last_updated.iter().all(|(op, date)| compare_prefix(op, updated, date)))
            .map(|(id, updated, _)| (id, updated))
            .collect();
        rows.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
        let total = rows.len();
        let wanted: Vec<&String> = rows.iter().skip(offset).take(count).map(|(id, _)| id).collect();
        let mut texts: std::collections::HashMap<String, String> = {
            let list = serde_json::to_string(&wanted).unwrap_or_else(|_| "[]".into());
            let mut statement = connection
                .prepare("SELECT id, json FROM resource WHERE type = ?1 AND id IN (SELECT value FROM json_each(?2))")?;
            let found = statement.query_map(params![kind, list], |r| Ok((r.get(0)?, r.get(1)?)))?;
            found.collect::<Result<_, _>>()?
        };
        let page: Vec<Value> = wanted
            .into_iter()
            .filter_map(|id| Some((id, texts.remove(id)?)))
            .filter_map(|(id, j)| serde_json::from_str::<Value>(&j).ok().map(|r| json!({ "fullUrl": format!("{base}/{kind}/{id}"), "resource": r, "search": { "mode": "match" } })))
            .collect();
        let mut bundle = json!({ "resourceType": "Bundle", "type": "searchset", "total": total });
        if !page.is_empty() {
            bundle["entry"] = Value::Array(page);
        }
        if offset + count < total {
            let mut next: Vec<String> = query
                .iter()
                .filter(|(n, _)| n != "_offset")
                .map(|(n, v)| format!("{n}={}", formwell_engine::url::encode_component(v)))
                .collect();
            next.push(format!("_offset={}", offset + count));
            if !query.iter().any(|(n, _)| n == "_count") {
                next.push(format!("_count={count}"));
            }
            bundle["link"] = json!([{ "relation": "next", "url": format!("{base}/{kind}?{}", next.join("&")) }]);
        }
        Ok(bundle)
    }

    /// Records a request in the audit log before it is handled, returning the record's
    /// number for [`Store::audit_outcome`]. A request whose record cannot be written is
    /// not to be handled at all (the audit log fails closed).
    pub fn audit(&self, event: &AuditRecord) -> Result<i64, FhirError> {
        let connection = self.lock();
        connection.execute(
            "INSERT INTO audit (recorded, who, action, origin, outcome, query) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![event.recorded, event.who, event.action, event.origin, event.outcome, event.query],
        )?;
        Ok(connection.last_insert_rowid())
    }

    /// Records how a request ended (its HTTP status).
    pub fn audit_outcome(&self, record: i64, outcome: u16) -> Result<(), FhirError> {
        self.lock().execute("UPDATE audit SET outcome = ?2 WHERE rowid = ?1", params![record, outcome])?;
        Ok(())
    }

    /// The whole audit log, oldest first.
    pub fn audit_log(&self) -> Result<Vec<AuditRecord>, FhirError> {
        Ok(self.audit_page(0, usize::MAX)?.1)
    }

    /// One page of the audit log, oldest first, and how many records it holds in all.
    pub fn audit_page(&self, offset: usize, count: usize) -> Result<(usize, Vec<AuditRecord>), FhirError> {
        let connection = self.lock();
        let total: i64 = connection.query_row("SELECT COUNT(*) FROM audit", [], |r| r.get(0))?;
        let mut statement = connection.prepare(
            "SELECT recorded, who, action, origin, outcome, query FROM audit ORDER BY rowid LIMIT ?1 OFFSET ?2",
        )?;
        let limit = i64::try_from(count).unwrap_or(i64::MAX);
        let rows = statement.query_map(params![limit, offset as i64], |r| {
            Ok(AuditRecord {
                recorded: r.get(0)?,
                who: r.get(1)?,
                action: r.get(2)?,
                origin: r.get(3)?,
                outcome: r.get(4)?,
                query: r.get(5)?,
            })
        })?;
        Ok((total as usize, rows.collect::<Result<_, _>>()?))
    }

    /// Records who wrote the resources a gateway's upstream server now holds (the store's
    /// own writes record it in the same transaction), in one transaction.
    pub fn record_owners(&self, written: &[(String, String)], who: Principal<'_>) -> Result<(), FhirError> {
        let owner = who.owner();
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        for (kind, id) in written {
            tx.execute(
                "INSERT OR IGNORE INTO owner (type, id, writer, setting) VALUES (?1, ?2, ?3, ?4)",
                params![kind, id, owner.writer, owner.setting],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Who first wrote a resource through this server, if that is known.
    pub fn owner(&self, kind: &str, id: &str) -> Result<Option<Owner>, FhirError> {
        owner_of(&self.lock(), kind, id)
    }

    /// How many resources of a type are stored.
    pub fn count(&self, kind: &str) -> Result<usize, FhirError> {
        let n: i64 =
            self.lock().query_row("SELECT COUNT(*) FROM resource WHERE type = ?1", params![kind], |r| r.get(0))?;
        Ok(n as usize)
    }
}

fn split_prefix(value: &str) -> (&str, &str) {
    for op in ["ge", "le", "gt", "lt", "eq"] {
        if let Some(rest) = value.strip_prefix(op) {
            return (op, rest);
        }
    }
    ("eq", value)
}

/// Instants in the store are UTC `YYYY-MM-DDThh:mm:ss.sssZ`, so text order is time order;
/// a date compares with its prefix.
fn compare_prefix(op: &str, stored: &str, wanted: &str) -> bool {
    let stored = &stored[..wanted.len().min(stored.len())];
    match op {
        "ge" => stored >= wanted,
        "le" => stored <= wanted,
        "gt" => stored > wanted,
        "lt" => stored < wanted,
        _ => stored == wanted,
    }
}

/// Who first wrote a resource through this server, if that is known.
fn owner_of(connection: &Connection, kind: &str, id: &str) -> Result<Option<Owner>, FhirError> {
    Ok(connection
        .query_row("SELECT writer, setting FROM owner WHERE type = ?1 AND id = ?2", params![kind, id], |r| {
            Ok(Owner { writer: r.get(0)?, setting: r.get(1)? })
        })
        .optional()?)
}

fn new_id(tx: &Transaction<'_>) -> Result<String, FhirError> {
    let hex: String = tx.query_row("SELECT lower(hex(randomblob(16)))", [], |r| r.get(0))?;
    Ok(format!("{}-{}-4{}-{}-{}", &hex[0..8], &hex[8..12], &hex[13..16], &hex[16..20], &hex[20..32]))
}

fn current(tx: &Transaction<'_>, kind: &str, id: &str) -> Result<Option<(i64, String, String)>, FhirError> {
    Ok(tx
        .query_row(
            "SELECT version, last_updated, json FROM resource WHERE type = ?1 AND id = ?2",
            params![kind, id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?)
}

/// Stores a new version of a resource, with its meta, history and search index.
fn write(
    tx: &Transaction<'_>,
    kind: &str,
    id: &str,
    mut resource: Value,
    now: &str,
    who: Principal<'_>,
) -> Result<(i64, &'static str), FhirError> {
    let previous = current(tx, kind, id)?;
    let version = previous.as_ref().map_or(1, |(v, _, _)| v + 1);
    resource["id"] = json!(id);
    let meta = resource["meta"].as_object().cloned().unwrap_or_default();
    let mut meta = Map::from_iter(meta);
    meta.insert("versionId".into(), json!(version.to_string()));
    meta.insert("lastUpdated".into(), json!(now));
    resource["meta"] = Value::Object(meta);
    let text = resource.to_string();
    tx.execute(
        "INSERT INTO resource (type, id, version, last_updated, json) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (type, id) DO UPDATE SET version = ?3, last_updated = ?4, json = ?5",
        params![kind, id, version, now, text],
    )?;
    tx.execute(
        "INSERT INTO history (type, id, version, last_updated, json) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![kind, id, version, now, text],
    )?;
    if previous.is_none() {
        let owner = who.owner();
        tx.execute(
            "INSERT OR IGNORE INTO owner (type, id, writer, setting) VALUES (?1, ?2, ?3, ?4)",
            params![kind, id, owner.writer, owner.setting],
        )?;
    }
    tx.execute("DELETE FROM search WHERE type = ?1 AND id = ?2", params![kind, id])?;
    for (param, system, value) in index_values(kind, &resource) {
        tx.execute(
            "INSERT INTO search (type, id, param, system, value) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![kind, id, param, system, value],
        )?;
    }
    Ok((version, if previous.is_some() { "200 OK" } else { "201 Created" }))
}

/// The (param, system, value) rows a resource adds to the search index.
fn index_values(kind: &str, resource: &Value) -> Vec<(&'static str, Option<String>, String)> {
    let mut out = Vec::new();
    let as_list = |v: &Value| -> Vec<Value> {
        match v {
            Value::Array(a) => a.clone(),
            Value::Null => Vec::new(),
            other => vec![other.clone()],
        }
    };
    for (t, param, index) in PARAMS {
        if *t != kind {
            continue;
        }
        match index {
            Index::Identifier(field) => {
                for identifier in as_list(&resource[*field]) {
                    if let Some(value) = identifier["value"].as_str() {
                        out.push((*param, identifier["system"].as_str().map(str::to_owned), value.to_owned()));
                    }
                }
            }
            Index::Reference(field) => {
                for reference in as_list(&resource[*field]) {
                    if let Some(value) = reference["reference"].as_str() {
                        if *param == "patient" && !value.starts_with("Patient/") {
                            continue;
                        }
                        out.push((*param, None, value.to_owned()));
                    }
                }
            }
            Index::Canonical(field) => {
                if let Some(value) = resource[*field].as_str() {
                    out.push((*param, None, value.to_owned()));
                    if let Some((url, _)) = value.split_once('|') {
                        out.push((*param, None, url.to_owned()));
                    }
                }
            }
            Index::Code(field) => {
                for coding in as_list(&resource[*field]["coding"]) {
                    if let Some(code) = coding["code"].as_str() {
                        out.push((*param, coding["system"].as_str().map(str::to_owned), code.to_owned()));
                    }
                }
            }
            Index::Text(field) => {
                if let Some(value) = resource[*field].as_str() {
                    out.push((*param, None, value.to_owned()));
                }
            }
            Index::Name(field) => {
                let mut words = Vec::new();
                for name in as_list(&resource[*field]) {
                    let given: Vec<Value> = as_list(&name["given"]);
                    let parts = match *param {
                        "family" => vec![name["family"].clone()],
                        "given" => given,
                        _ => [given, vec![name["family"].clone(), name["text"].clone()]].concat(),
                    };
                    for part in parts.iter().filter_map(Value::as_str) {
                        words.extend(part.split_whitespace().map(str::to_lowercase));
                    }
                }
                words.sort();
                words.dedup();
                out.extend(words.into_iter().map(|w| (*param, None, w)));
            }
        }
    }
    out
}

/// Ids of resources whose parameter matches a search value: `system|code`, `|code`
/// (no system), `code` (any system), or a reference / canonical as written.
fn matching(connection: &Connection, kind: &str, param: &str, value: &str) -> Result<Vec<String>, FhirError> {
    let mut ids = Vec::new();
    if matches!(param, "name" | "family" | "given") {
        // By the start of any word of the name, whatever its case.
        let start = value.trim().to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let mut statement = connection.prepare(
            "SELECT DISTINCT id FROM search WHERE type = ?1 AND param = ?2 AND value LIKE ?3 || '%' ESCAPE '\\'",
        )?;
        let found = statement.query_map(params![kind, param, start], |r| r.get(0))?;
        return Ok(found.collect::<Result<_, _>>()?);
    }
    for alternative in value.split(',') {
        let (sql, system, code): (&str, Option<&str>, &str) = match alternative.split_once('|') {
            Some(("", code)) => {
                ("SELECT id FROM search WHERE type = ?1 AND param = ?2 AND value = ?3 AND system IS NULL", None, code)
            }
            Some((system, code)) => (
                "SELECT id FROM search WHERE type = ?1 AND param = ?2 AND value = ?3 AND system = ?4",
                Some(system),
                code,
            ),
            None => ("SELECT id FROM search WHERE type = ?1 AND param = ?2 AND value = ?3", None, alternative),
        };
        let mut statement = connection.prepare(sql)?;
        let found: Vec<String> = match system {
            Some(system) => {
                statement.query_map(params![kind, param, code, system], |r| r.get(0))?.collect::<Result<_, _>>()?
            }
            None => statement.query_map(params![kind, param, code], |r| r.get(0))?.collect::<Result<_, _>>()?,
        };
        for id in found {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    Ok(ids)
}

/// The id of the one resource an `ifNoneExist` condition matches, if any.
fn conditional_match(tx: &Transaction<'_>, kind: &str, condition: &str) -> Result<Option<String>, FhirError> {
    let mut ids: Option<Vec<String>> = None;
    for pair in condition.trim_start_matches('?').split('&') {
        let (name, value) =
            pair.split_once('=').ok_or_else(|| FhirError::invalid("request.ifNoneExist", "expected name=value"))?;
        let value = decode(value);
        let param =
            PARAMS.iter().find(|(t, p, _)| *t == kind && *p == name).map(|(_, p, _)| *p).ok_or_else(|| {
                FhirError::invalid("request.ifNoneExist", format!("{kind} cannot be matched by {name}"))
            })?;
        let matched = matching(tx, kind, param, &value)?;
        ids = Some(match ids {
            None => matched,
            Some(previous) => previous.into_iter().filter(|id| matched.contains(id)).collect(),
        });
    }
    match ids.unwrap_or_default().as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        _ => Err(FhirError::new(412, "duplicate", "ifNoneExist matches more than one resource")),
    }
}

pub use formwell_engine::url::decode_component as decode;

/// Applies a JSON Patch (a Binary of `application/json-patch+json`) to the current
/// version. A failed `test` means the record changed since the patch was made.
fn patch(tx: &Transaction<'_>, kind: &str, id: &str, binary: &Value) -> Result<Value, FhirError> {
    if binary["resourceType"] != "Binary" || binary["contentType"] != "application/json-patch+json" {
        return Err(FhirError::invalid("resource", "a PATCH entry carries a Binary of application/json-patch+json"));
    }
    let data = binary["data"].as_str().unwrap_or_default();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| FhirError::invalid("resource.data", format!("not base64: {e}")))?;
    let operations: json_patch::Patch = serde_json::from_slice(&bytes)
        .map_err(|e| FhirError::invalid("resource.data", format!("not a JSON Patch: {e}")))?;
    let (_, _, text) =
        current(tx, kind, id)?.ok_or_else(|| FhirError::not_found(format!("no {kind}/{id} to patch")))?;
    let mut resource: Value =
        serde_json::from_str(&text).map_err(|e| FhirError::new(500, "exception", e.to_string()))?;
    json_patch::patch(&mut resource, &operations).map_err(|e| {
        FhirError::new(
            412,
            "conflict",
            format!("{kind}/{id} changed since the patch was made, so it was not applied ({e})"),
        )
    })?;
    Ok(resource)
}

/// Replaces references to entries' fullUrls with the ids they were given.
fn rewrite_references(value: &mut Value, rewrites: &[(String, String)]) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(reference)) = object.get_mut("reference") {
                if let Some((_, to)) = rewrites.iter().find(|(from, _)| from == reference) {
                    *reference = to.clone();
                }
            }
            for child in object.values_mut() {
                rewrite_references(child, rewrites);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| rewrite_references(i, rewrites)),
        _ => {}
    }
}

fn response_bundle(kind: &str, done: Vec<Option<Result<Done, FhirError>>>) -> Value {
    let entries: Vec<Value> = done
        .into_iter()
        .map(|d| match d {
            Some(Ok(d)) => json!({ "response": {
                "status": d.status,
                "location": format!("{}/{}/_history/{}", d.kind, d.id, d.version),
                "etag": format!("W/\"{}\"", d.version),
                "lastModified": d.last_updated,
            }}),
            Some(Err(e)) => json!({ "response": { "status": e.status.to_string(), "outcome": e.outcome() } }),
            None => json!({ "response": { "status": "200 OK" } }),
        })
        .collect();
    json!({ "resourceType": "Bundle", "type": kind, "entry": entries })
}
