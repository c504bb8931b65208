//! Who may read (and so change) what. Writing is checked by the policy re-check; reading
//! is checked here, against who wrote each resource:
//!
//! - a **partner** token (a portal) reads back only what it wrote itself: its own
//!   submissions, so that it can tell whether a send it lost track of was stored;
//! - a **staff** token reads what was written in its own service setting, and the people
//!   and practitioners of the shared record (demographics are what every service shares);
//! - templates (`Questionnaire`) hold no one's data: any token reads them.
//!
//! A resource whose writer is not known (written upstream by another system, behind a
//! gateway) is read only where the type is shared. The same rule answers a read, filters
//! a search and allows an update.

use crate::tokens::{Caller, TokenKind};

/// Who is asking: a token's holder, or the server itself (storing the shipped templates).
#[derive(Debug, Clone, Copy)]
pub enum Principal<'a> {
    Server,
    Token(&'a Caller),
}

/// Who wrote a resource, as recorded when it was first written through this server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// The token's name (`(server)` for what the server wrote itself).
    pub writer: String,
    /// The setting of the token that wrote it; `None` for the server's own writes and for
    /// resources stored before writers were recorded.
    pub setting: Option<String>,
}

impl Principal<'_> {
    /// How this principal is recorded as a writer.
    pub fn owner(&self) -> Owner {
        match self {
            Principal::Server => Owner { writer: "(server)".into(), setting: None },
            Principal::Token(caller) => Owner { writer: caller.name.clone(), setting: Some(caller.setting.clone()) },
        }
    }

    /// Whether this principal may read a resource of `kind` written by `owner` (`None`:
    /// the writer is not known).
    pub fn may_read(&self, kind: &str, owner: Option<&Owner>) -> bool {
        let Principal::Token(caller) = self else { return true };
        if kind == "Questionnaire" {
            return true;
        }
        match caller.kind {
            TokenKind::Partner => owner.is_some_and(|o| o.writer == caller.name),
            TokenKind::Staff if SHARED_WITH_STAFF.contains(&kind) => true,
            TokenKind::Staff => owner.is_some_and(|o| o.setting.as_ref().is_none_or(|s| *s == caller.setting)),
        }
    }
}

/// The resource types every member of staff reads, whatever their setting: the person and
/// the practitioner, which every service sharing the record sees.
const SHARED_WITH_STAFF: &[&str] = &["Patient", "Practitioner"];

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(name: &str, kind: TokenKind, setting: &str) -> Caller {
        Caller {
            name: name.into(),
            kind,
            setting: setting.into(),
            origins: vec![],
            revoked: false,
            created: String::new(),
        }
    }

    #[test]
    fn partners_read_only_their_own_writes_and_staff_their_settings() {
        let portal = caller("portal", TokenKind::Partner, "community");
        let other_portal = caller("other", TokenKind::Partner, "community");
        let centre = caller("centre", TokenKind::Staff, "community");
        let midwife = caller("midwife", TokenKind::Staff, "midwifery");
        let by_portal = Principal::Token(&portal).owner();
        for kind in ["QuestionnaireResponse", "Observation", "Patient"] {
            assert!(Principal::Token(&portal).may_read(kind, Some(&by_portal)));
            assert!(!Principal::Token(&other_portal).may_read(kind, Some(&by_portal)), "{kind}");
        }
        assert!(Principal::Token(&centre).may_read("Observation", Some(&by_portal)), "same setting");
        assert!(!Principal::Token(&midwife).may_read("Observation", Some(&by_portal)), "another setting");
        assert!(Principal::Token(&midwife).may_read("Patient", Some(&by_portal)), "the person is shared");
        assert!(!Principal::Token(&other_portal).may_read("Patient", None), "partners never read the unknown");
        assert!(!Principal::Token(&centre).may_read("Observation", None), "unknown writer, not shared");
        assert!(Principal::Token(&other_portal).may_read("Questionnaire", None), "templates are public");
    }
}
