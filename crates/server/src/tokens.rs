//! Bearer tokens for staff and partner integrations, each bound to a service setting (and,
//! for partners, to the web origins allowed to use it). Only a SHA-256 hash of each token
//! is stored; the token itself is shown once, when it is made.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::outcome::FhirError;

/// Who a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Staff,
    Partner,
}

impl TokenKind {
    pub fn code(self) -> &'static str {
        match self {
            TokenKind::Staff => "staff",
            TokenKind::Partner => "partner",
        }
    }

    pub fn from_code(code: &str) -> Option<TokenKind> {
        match code {
            "staff" => Some(TokenKind::Staff),
            "partner" => Some(TokenKind::Partner),
            _ => None,
        }
    }
}

/// A token's record (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub name: String,
    pub kind: TokenKind,
    /// The service setting whose policy applies to what this caller writes.
    pub setting: String,
    /// For partners: the web origins allowed to call with this token.
    pub origins: Vec<String>,
    pub revoked: bool,
    pub created: String,
}

fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates the table if it is not there.
pub fn prepare(connection: &Connection) -> Result<(), FhirError> {
    connection.execute_batch(
        "CREATE TABLE IF NOT EXISTS token (
             hash TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, setting TEXT NOT NULL,
             origins TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL)",
    )?;
    Ok(())
}

/// Makes a token and returns it; only its hash is kept.
pub fn add(connection: &Connection, caller: &Caller) -> Result<String, FhirError> {
    let random: String = connection.query_row("SELECT lower(hex(randomblob(24)))", [], |r| r.get(0))?;
    let token = format!("fw_{random}");
    connection
        .execute(
            "INSERT INTO token (hash, name, kind, setting, origins, revoked, created) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)",
            params![hash(&token), caller.name, caller.kind.code(), caller.setting, caller.origins.join(" "), caller.created],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                FhirError::new(409, "duplicate", format!("a token named \"{}\" exists already", caller.name))
            }
            other => other.into(),
        })?;
    Ok(token)
}

/// Every token's record, oldest first.
pub fn list(connection: &Connection) -> Result<Vec<Caller>, FhirError> {
    let mut statement = connection
        .prepare("SELECT name, kind, setting, origins, revoked, created FROM token ORDER BY created, name")?;
    let rows = statement.query_map([], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Revokes a token by name; false when there is no such token.
pub fn revoke(connection: &Connection, name: &str) -> Result<bool, FhirError> {
    Ok(connection.execute("UPDATE token SET revoked = 1 WHERE name = ?1", params![name])? > 0)
}

/// The caller a presented token belongs to, if it is known and not revoked.
pub fn caller(connection: &Connection, token: &str) -> Result<Option<Caller>, FhirError> {
    let found = connection
        .query_row(
            "SELECT name, kind, setting, origins, revoked, created FROM token WHERE hash = ?1",
            params![hash(token)],
            row,
        )
        .optional()?;
    Ok(found.filter(|c| !c.revoked))
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Caller> {
    let origins: String = r.get(3)?;
    Ok(Caller {
        name: r.get(0)?,
        kind: TokenKind::from_code(&r.get::<_, String>(1)?).unwrap_or(TokenKind::Staff),
        setting: r.get(2)?,
        origins: origins.split(' ').filter(|o| !o.is_empty()).map(str::to_owned).collect(),
        revoked: r.get::<_, i64>(4)? != 0,
        created: r.get(5)?,
    })
}
