//! Getting a submission into the record exactly once: the delivery protocol as a pure state
//! machine. It takes events (its turn came, the lock was taken and storage re-read, the
//! person's record was read, a look-up found it or not, the record system answered or
//! did not) and returns the commands to carry out (take the lock, read the person, look
//! it up, send it, keep it, forget it, let the lock go). The browser shell performs the
//! commands; so could a native client. `tests/delivery_model.rs` drives it against a
//! simulated FHIR server under every interleaving of faults it can generate.
//!
//! Why each guard is there (each can be switched off in [`Guards`], only to show in the
//! model check what it prevents):
//!
//! - **Look up before sending again.** A send that went unanswered (a time-out, a dropped
//!   connection, a 5xx) may have been stored. Its conditional creates make a repeat
//!   harmless, but a change of the person's demographics is a patch: built again from the
//!   record as it now is, it would apply a second time.
//! - **Look up after a refusal.** A 4xx can be the refusal of a repeat (a proxy that
//!   delivered the Bundle twice: the second patch fails its version test). Found, it is
//!   sent, not refused.
//! - **Look up what was read back from storage.** Another page (closed, crashed, another
//!   tab) may have sent it without living to forget it.
//! - **One sender at a time, re-reading storage under the lock.** Another tab may have
//!   settled it while this one waited, or made an attempt of its own and closed before
//!   it knew the outcome: every attempt is counted in storage before it is made, so a
//!   count that moved on means ask first.
//!
//! The person's record is read *before* the look-up: a send still in flight that lands in
//! between then fails our patch's version test, instead of our patch being built from a
//! record that already has the change.

/// Which guards are on. Every one is, always, but in the model check that shows what each
/// prevents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guards {
    pub look_up_before_resending: bool,
    pub look_up_after_refusal: bool,
    pub look_up_when_read_back: bool,
    pub lock_and_reread: bool,
}

impl Guards {
    pub const ALL: Guards = Guards {
        look_up_before_resending: true,
        look_up_after_refusal: true,
        look_up_when_read_back: true,
        lock_and_reread: true,
    };
}

impl Default for Guards {
    fn default() -> Self {
        Guards::ALL
    }
}

/// Where a submission is.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Waiting for its turn, from `due_ms`; `error` is why the last attempt did not end it.
    Waiting { due_ms: f64, error: Option<String> },
    /// Waiting for its lock, and for storage to be read again under it.
    Locking,
    /// Reading the person's record, to build the demographic patch from it.
    ReadingPerson,
    /// Asking the record system whether it holds the submission already.
    LookingUp { then: Then },
    /// The Bundle is on its way.
    Sending,
    /// The record system has it (`locations`: what it now holds; empty when another page
    /// sent it).
    Sent { locations: Vec<String> },
    /// The record system said no, for a reason that sending again will not change: kept
    /// with the reason for staff to act on.
    Refused { reason: String },
    /// There is no working sign-in for its record system (none, or a 401/403): kept, and
    /// sent once there is one.
    NotAllowed { reason: String },
}

/// What a look-up that does not find the submission leads to.
#[derive(Debug, Clone, PartialEq)]
pub enum Then {
    Send,
    /// It was refused (the reason), and is not there: the refusal stands.
    Refuse(String),
    /// It went unanswered (why), and is not there: try again later.
    Retry(String),
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Its turn came (a sender took it up, at or after `due_ms`).
    Go,
    /// The lock is held, and storage was read again under it.
    Locked {
        stored: Stored,
        /// Whether there is a token for its record system.
        token: bool,
    },
    /// The person's record, read before a demographic change is sent.
    PersonRead(Reply),
    /// Whether the record system holds the submission.
    LookedUp(InRecord),
    /// The record system answered the send.
    Answered(Reply),
    /// A working token for its record system is there now.
    TokenRenewed,
    /// "Send now": no more waiting.
    Hurry,
    /// "Try again", on a refused submission whose cause someone has put right.
    Retry,
}

/// What storage holds of the submission, read again under its lock.
#[derive(Debug, Clone, PartialEq)]
pub enum Stored {
    /// Nothing: another page sent it.
    Gone,
    /// Refused, by another page.
    Refused(String),
    /// Still to send, after this many attempts (by any page: each attempt is counted in
    /// storage before it is made).
    Present { attempts: u32 },
}

/// An HTTP exchange's outcome, as far as the protocol cares.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// 2xx; for a send, what the record now holds.
    Taken { locations: Vec<String> },
    /// 401 or 403: the sign-in does not work.
    NotAllowed,
    /// Another 4xx but 408 and 429: trying again will not change it.
    Refused { status: u16, reason: String },
    /// 408, 429 or 5xx, a time-out or no connection: it may or may not have been done.
    NoAnswer(String),
}

impl Reply {
    /// Reads an HTTP status; `reason` is the body's OperationOutcome in words.
    pub fn from_status(status: u16, locations: Vec<String>, reason: String) -> Reply {
        match status {
            200..=299 => Reply::Taken { locations },
            401 | 403 => Reply::NotAllowed,
            408 => Reply::NoAnswer("the record system took too long (it answered 408)".into()),
            429 => Reply::NoAnswer("the record system is busy (it answered 429)".into()),
            400..=499 => Reply::Refused { status, reason },
            _ => Reply::NoAnswer(format!("the record system had a problem (it answered {status})")),
        }
    }
}

/// Whether a look-up found the submission in the record.
#[derive(Debug, Clone, PartialEq)]
pub enum InRecord {
    Yes {
        location: String,
    },
    No,
    /// It could not be asked (no answer, an error): not known either way.
    Unknown(String),
}

/// What the shell is to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Take the submission's lock (shared by every tab) and read it from storage again.
    Lock,
    /// Read the person's current record.
    ReadPerson,
    /// Search for the submission's QuestionnaireResponse identifier.
    LookUp,
    /// Send the Bundle (with the demographic patch built from the record just read).
    Send,
    /// Write its phase to storage (an attempt begun, waiting with an error, refused, not
    /// allowed).
    Keep,
    /// Remove it from storage: the record system has it.
    Forget,
    /// Let the lock go.
    Unlock,
}

/// What staff read when there is no working sign-in for the record system.
pub const NOT_ALLOWED: &str = "This tablet is no longer allowed to send to the record system: ask whoever looks after Formwell for a new link; your forms are kept";

/// What staff read when there is no token at all for a submission's record system.
pub fn no_sign_in(base: &str) -> String {
    format!("This tablet has no sign-in for the record system at {base}: open the link you were given for it; your forms are kept")
}

/// How long to wait before trying again after `attempt` attempts: doubling from a second,
/// capped at a minute, spread by `jitter` (0 to 1) so that tablets coming back online
/// together do not all send at once.
pub fn backoff_ms(attempt: u32, jitter: f64) -> f64 {
    let base = 1000.0 * 2f64.powi(attempt.clamp(1, 7) as i32 - 1);
    base.min(60_000.0) * (0.5 + jitter.clamp(0.0, 1.0))
}

/// One submission on its way.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: String,
    /// Its record system (a FHIR base): where it goes, and whose token it is sent with.
    pub base: String,
    pub phase: Phase,
    /// How many attempts were made (a send, or a look-up that stood for one).
    pub attempts: u32,
    /// Whether the record system may hold it already: ask before sending.
    pub ask_first: bool,
    /// Whether it changes the person's demographics (a patch built at each send).
    pub changes_person: bool,
    guards: Guards,
}

impl Delivery {
    /// A submission this page has just kept: nothing can have sent it yet.
    pub fn new(id: &str, base: &str, changes_person: bool) -> Delivery {
        Delivery {
            id: id.to_owned(),
            base: base.to_owned(),
            phase: Phase::Waiting { due_ms: 0.0, error: None },
            attempts: 0,
            ask_first: false,
            changes_person,
            guards: Guards::ALL,
        }
    }

    /// A submission read back from storage, where another page (closed, or another tab)
    /// may have been sending it: asked about before it is sent. One kept as refused stays
    /// so; one kept waiting for a sign-in is tried again (the token may be new).
    pub fn read_back(id: &str, base: &str, changes_person: bool, kept: &KeptPhase) -> Delivery {
        let mut delivery = Delivery::new(id, base, changes_person);
        delivery.ask_first = true;
        match kept {
            KeptPhase::Refused(reason) => delivery.phase = Phase::Refused { reason: reason.clone() },
            KeptPhase::Pending { attempts, error } => {
                delivery.attempts = *attempts;
                delivery.phase = Phase::Waiting { due_ms: 0.0, error: error.clone() };
            }
            KeptPhase::NotAllowed { attempts, .. } => delivery.attempts = *attempts,
        }
        delivery
    }

    /// The same, with some guards off (for the model check only).
    pub fn with_guards(mut self, guards: Guards) -> Delivery {
        if !guards.look_up_when_read_back {
            self.ask_first = false;
        }
        self.guards = guards;
        self
    }

    /// Whether it is settled: taken, or refused.
    pub fn settled(&self) -> bool {
        matches!(self.phase, Phase::Sent { .. } | Phase::Refused { .. })
    }

    /// Whether it is waiting and its time has come.
    pub fn due(&self, now_ms: f64) -> bool {
        matches!(self.phase, Phase::Waiting { due_ms, .. } if due_ms <= now_ms)
    }

    /// When it is next due, if it is waiting.
    pub fn due_at(&self) -> Option<f64> {
        match self.phase {
            Phase::Waiting { due_ms, .. } => Some(due_ms),
            _ => None,
        }
    }

    /// Whether a sender is on it (between its lock and its unlock).
    pub fn busy(&self) -> bool {
        matches!(self.phase, Phase::Locking | Phase::ReadingPerson | Phase::LookingUp { .. } | Phase::Sending)
    }

    /// What storage should say of it, for [`Command::Keep`].
    pub fn kept(&self) -> KeptPhase {
        match &self.phase {
            Phase::Refused { reason } => KeptPhase::Refused(reason.clone()),
            Phase::NotAllowed { reason } => KeptPhase::NotAllowed { reason: reason.clone(), attempts: self.attempts },
            Phase::Waiting { error, .. } => KeptPhase::Pending { attempts: self.attempts, error: error.clone() },
            _ => KeptPhase::Pending { attempts: self.attempts, error: None },
        }
    }

    /// Takes an event at `now_ms`; `jitter` (0 to 1, random) spreads the next wait.
    /// Returns what to do, in order. An event that does not fit the phase (a late answer
    /// after a reload, a second "go") changes nothing.
    pub fn handle(&mut self, event: Event, now_ms: f64, jitter: f64) -> Vec<Command> {
        use Command::*;
        match (&self.phase, event) {
            (Phase::Waiting { .. }, Event::Go) if self.due(now_ms) => {
                self.phase = Phase::Locking;
                vec![Lock]
            }
            (Phase::Waiting { error, .. }, Event::Hurry) => {
                self.phase = Phase::Waiting { due_ms: 0.0, error: error.clone() };
                vec![]
            }
            (Phase::Locking, Event::Locked { stored, token }) => match stored {
                Stored::Gone if self.guards.lock_and_reread => {
                    self.phase = Phase::Sent { locations: Vec::new() };
                    vec![Unlock]
                }
                Stored::Refused(reason) if self.guards.lock_and_reread => {
                    self.phase = Phase::Refused { reason };
                    vec![Unlock]
                }
                _ if !token => {
                    self.phase = Phase::NotAllowed { reason: no_sign_in(&self.base) };
                    vec![Keep, Unlock]
                }
                stored => {
                    // Another page made attempts this one does not know of: one of them
                    // may have been stored.
                    if let Stored::Present { attempts } = stored {
                        if self.guards.lock_and_reread && attempts != self.attempts {
                            self.ask_first = true;
                            self.attempts = self.attempts.max(attempts);
                        }
                    }
                    self.attempts += 1;
                    let mut commands = vec![Keep];
                    commands.extend(self.next_step());
                    commands
                }
            },
            (Phase::ReadingPerson, Event::PersonRead(reply)) => match reply {
                Reply::Taken { .. } if self.ask_first => {
                    self.phase = Phase::LookingUp { then: Then::Send };
                    vec![LookUp]
                }
                Reply::Taken { .. } => {
                    self.phase = Phase::Sending;
                    vec![Send]
                }
                Reply::NotAllowed => self.not_allowed(),
                Reply::Refused { status, reason } => self.settle_refused(format!(
                    "the person's record could not be read to update it: {reason} (HTTP {status})"
                )),
                Reply::NoAnswer(why) => self.wait(why, now_ms, jitter),
            },
            (Phase::LookingUp { then }, Event::LookedUp(found)) => {
                let then = then.clone();
                match found {
                    InRecord::Yes { location } => self.sent(vec![location]),
                    InRecord::No => match then {
                        Then::Send => {
                            self.phase = Phase::Sending;
                            vec![Send]
                        }
                        Then::Refuse(reason) => self.settle_refused(reason),
                        Then::Retry(why) => self.wait(why, now_ms, jitter),
                    },
                    // Not known: never sent blindly. Waits, and asks again first.
                    InRecord::Unknown(why) => {
                        let why = match then {
                            Then::Retry(first) | Then::Refuse(first) => first,
                            Then::Send => why,
                        };
                        self.ask_first = true;
                        self.wait(why, now_ms, jitter)
                    }
                }
            }
            (Phase::Sending, Event::Answered(reply)) => match reply {
                Reply::Taken { locations } => self.sent(locations),
                Reply::NotAllowed => self.not_allowed(),
                Reply::Refused { status, reason } => {
                    let reason = format!("{reason} (HTTP {status})");
                    if self.guards.look_up_after_refusal {
                        self.phase = Phase::LookingUp { then: Then::Refuse(reason) };
                        vec![LookUp]
                    } else {
                        self.settle_refused(reason)
                    }
                }
                Reply::NoAnswer(why) => {
                    if self.guards.look_up_before_resending {
                        self.ask_first = true;
                        self.phase = Phase::LookingUp { then: Then::Retry(why) };
                        vec![LookUp]
                    } else {
                        self.wait(why, now_ms, jitter)
                    }
                }
            },
            (Phase::NotAllowed { .. }, Event::TokenRenewed) => {
                self.ask_first = self.ask_first || self.guards.look_up_before_resending;
                self.phase = Phase::Waiting { due_ms: 0.0, error: None };
                vec![]
            }
            (Phase::Refused { .. }, Event::Retry) => {
                self.ask_first = self.ask_first || self.guards.look_up_before_resending;
                self.phase = Phase::Waiting { due_ms: 0.0, error: None };
                // The stored copy must no longer say refused, or the lock's re-read adopts it.
                vec![Keep]
            }
            _ => vec![],
        }
    }

    /// After the lock: read the person first (a demographic change), then ask, then send.
    fn next_step(&mut self) -> Vec<Command> {
        if self.changes_person {
            self.phase = Phase::ReadingPerson;
            vec![Command::ReadPerson]
        } else if self.ask_first {
            self.phase = Phase::LookingUp { then: Then::Send };
            vec![Command::LookUp]
        } else {
            self.phase = Phase::Sending;
            vec![Command::Send]
        }
    }

    fn sent(&mut self, locations: Vec<String>) -> Vec<Command> {
        self.phase = Phase::Sent { locations };
        vec![Command::Forget, Command::Unlock]
    }

    fn settle_refused(&mut self, reason: String) -> Vec<Command> {
        self.phase = Phase::Refused { reason };
        vec![Command::Keep, Command::Unlock]
    }

    fn not_allowed(&mut self) -> Vec<Command> {
        self.phase = Phase::NotAllowed { reason: NOT_ALLOWED.to_owned() };
        vec![Command::Keep, Command::Unlock]
    }

    fn wait(&mut self, why: String, now_ms: f64, jitter: f64) -> Vec<Command> {
        self.phase = Phase::Waiting { due_ms: now_ms + backoff_ms(self.attempts, jitter), error: Some(why) };
        vec![Command::Keep, Command::Unlock]
    }
}

/// How far a submission got, as storage keeps it.
#[derive(Debug, Clone, PartialEq)]
pub enum KeptPhase {
    /// Still to send, after `attempts` attempts; `error` is why the last did not end it.
    Pending {
        attempts: u32,
        error: Option<String>,
    },
    Refused(String),
    NotAllowed {
        reason: String,
        attempts: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(d: &mut Delivery) -> Vec<Command> {
        d.handle(Event::Go, 0.0, 0.5)
    }

    #[test]
    fn a_fresh_submission_is_sent_without_asking_and_forgotten_once_taken() {
        let mut d = Delivery::new("s1", "https://record.example", false);
        assert_eq!(go(&mut d), vec![Command::Lock]);
        assert_eq!(
            d.handle(Event::Locked { stored: Stored::Present { attempts: 0 }, token: true }, 0.0, 0.5),
            vec![Command::Keep, Command::Send]
        );
        let taken = Reply::Taken { locations: vec!["QuestionnaireResponse/1".into()] };
        assert_eq!(d.handle(Event::Answered(taken), 0.0, 0.5), vec![Command::Forget, Command::Unlock]);
        assert_eq!(d.phase, Phase::Sent { locations: vec!["QuestionnaireResponse/1".into()] });
    }

    #[test]
    fn an_unanswered_send_is_looked_up_and_a_found_one_is_not_sent_again() {
        let mut d = Delivery::new("s1", "b", true);
        go(&mut d);
        assert_eq!(
            d.handle(Event::Locked { stored: Stored::Present { attempts: 0 }, token: true }, 0.0, 0.5),
            vec![Command::Keep, Command::ReadPerson]
        );
        let read = Reply::Taken { locations: vec![] };
        assert_eq!(d.handle(Event::PersonRead(read), 0.0, 0.5), vec![Command::Send]);
        assert_eq!(d.handle(Event::Answered(Reply::NoAnswer("timed out".into())), 0.0, 0.5), vec![Command::LookUp]);
        let found = InRecord::Yes { location: "QuestionnaireResponse/7".into() };
        assert_eq!(d.handle(Event::LookedUp(found), 0.0, 0.5), vec![Command::Forget, Command::Unlock]);
    }

    #[test]
    fn not_found_after_a_time_out_waits_with_backoff_and_asks_again_first() {
        let mut d = Delivery::new("s1", "b", false);
        go(&mut d);
        d.handle(Event::Locked { stored: Stored::Present { attempts: 0 }, token: true }, 0.0, 0.5);
        d.handle(Event::Answered(Reply::NoAnswer("timed out".into())), 0.0, 0.5);
        assert_eq!(d.handle(Event::LookedUp(InRecord::No), 100.0, 0.5), vec![Command::Keep, Command::Unlock]);
        assert_eq!(d.phase, Phase::Waiting { due_ms: 1100.0, error: Some("timed out".into()) });
        assert_eq!(d.handle(Event::Go, 500.0, 0.5), vec![], "not due yet");
        assert_eq!(go_at(&mut d, 1100.0), vec![Command::Lock]);
        assert_eq!(
            d.handle(Event::Locked { stored: Stored::Present { attempts: 1 }, token: true }, 1100.0, 0.5),
            vec![Command::Keep, Command::LookUp]
        );
    }

    fn go_at(d: &mut Delivery, now: f64) -> Vec<Command> {
        d.handle(Event::Go, now, 0.5)
    }

    #[test]
    fn a_look_up_that_fails_never_leads_to_a_blind_send() {
        let mut d = Delivery::new("s1", "b", false);
        go(&mut d);
        d.handle(Event::Locked { stored: Stored::Present { attempts: 0 }, token: true }, 0.0, 0.5);
        d.handle(Event::Answered(Reply::NoAnswer("timed out".into())), 0.0, 0.5);
        assert_eq!(
            d.handle(Event::LookedUp(InRecord::Unknown("503".into())), 0.0, 0.5),
            vec![Command::Keep, Command::Unlock]
        );
        assert!(d.ask_first);
    }

    #[test]
    fn a_refusal_of_something_stored_is_no_refusal_and_a_real_one_is_kept() {
        let mut d = Delivery::new("s1", "b", false);
        go(&mut d);
        d.handle(Event::Locked { stored: Stored::Present { attempts: 0 }, token: true }, 0.0, 0.5);
        let refused = Reply::Refused { status: 412, reason: "changed since".into() };
        assert_eq!(d.handle(Event::Answered(refused.clone()), 0.0, 0.5), vec![Command::LookUp]);
        let mut real = d.clone();
        d.handle(Event::LookedUp(InRecord::Yes { location: "QuestionnaireResponse/1".into() }), 0.0, 0.5);
        assert!(matches!(d.phase, Phase::Sent { .. }));
        assert_eq!(real.handle(Event::LookedUp(InRecord::No), 0.0, 0.5), vec![Command::Keep, Command::Unlock]);
        assert_eq!(real.phase, Phase::Refused { reason: "changed since (HTTP 412)".into() });
        assert_eq!(real.handle(Event::Retry, 0.0, 0.5), vec![Command::Keep], "tried again once the cause is fixed");
        assert!(real.due(0.0) && real.ask_first);
    }

    #[test]
    fn no_token_or_a_rejected_one_waits_for_a_sign_in_without_sending() {
        let mut d = Delivery::new("s1", "https://elsewhere.example", false);
        go(&mut d);
        assert_eq!(
            d.handle(Event::Locked { stored: Stored::Present { attempts: 0 }, token: false }, 0.0, 0.5),
            vec![Command::Keep, Command::Unlock]
        );
        assert!(matches!(&d.phase, Phase::NotAllowed { reason } if reason.contains("https://elsewhere.example")));
        assert_eq!(d.handle(Event::Go, 0.0, 0.5), vec![], "not taken up while it waits for a sign-in");
        d.handle(Event::TokenRenewed, 0.0, 0.5);
        assert_eq!(go(&mut d), vec![Command::Lock]);
        let locked = d.handle(Event::Locked { stored: Stored::Present { attempts: 0 }, token: true }, 0.0, 0.5);
        assert_eq!(
            locked,
            vec![Command::Keep, Command::LookUp],
            "asked first: it may have been sent before the sign-in failed"
        );
        assert_eq!(d.handle(Event::LookedUp(InRecord::No), 0.0, 0.5), vec![Command::Send]);
        assert_eq!(d.handle(Event::Answered(Reply::NotAllowed), 0.0, 0.5), vec![Command::Keep, Command::Unlock]);
        assert_eq!(d.phase, Phase::NotAllowed { reason: NOT_ALLOWED.into() });
    }

    #[test]
    fn another_page_settled_it_while_this_one_waited_for_the_lock() {
        let mut d = Delivery::read_back("s1", "b", false, &KeptPhase::Pending { attempts: 1, error: None });
        go(&mut d);
        assert_eq!(d.handle(Event::Locked { stored: Stored::Gone, token: true }, 0.0, 0.5), vec![Command::Unlock]);
        assert_eq!(d.phase, Phase::Sent { locations: vec![] });
    }

    #[test]
    fn an_attempt_another_page_made_means_asking_first() {
        let mut d = Delivery::new("s1", "b", true);
        go(&mut d);
        // Another tab took it up from storage, made an attempt, and closed.
        let locked = d.handle(Event::Locked { stored: Stored::Present { attempts: 1 }, token: true }, 0.0, 0.5);
        assert_eq!(locked, vec![Command::Keep, Command::ReadPerson]);
        assert!(d.ask_first);
        assert_eq!(d.attempts, 2);
        assert_eq!(d.handle(Event::PersonRead(Reply::Taken { locations: vec![] }), 0.0, 0.5), vec![Command::LookUp]);
    }

    #[test]
    fn backoff_doubles_to_a_minute_and_is_spread() {
        assert_eq!(backoff_ms(1, 0.5), 1000.0);
        assert_eq!(backoff_ms(3, 0.5), 4000.0);
        assert_eq!(backoff_ms(30, 0.5), 60_000.0);
        assert_eq!(backoff_ms(1, 0.0), 500.0);
        assert_eq!(backoff_ms(1, 1.0), 1500.0);
    }

    #[test]
    fn statuses_read_as_the_protocol_means_them() {
        assert_eq!(Reply::from_status(201, vec![], String::new()), Reply::Taken { locations: vec![] });
        assert_eq!(Reply::from_status(403, vec![], String::new()), Reply::NotAllowed);
        assert!(matches!(Reply::from_status(429, vec![], String::new()), Reply::NoAnswer(_)));
        assert!(matches!(Reply::from_status(503, vec![], String::new()), Reply::NoAnswer(_)));
        assert!(matches!(Reply::from_status(422, vec![], String::new()), Reply::Refused { status: 422, .. }));
    }
}
