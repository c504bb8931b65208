//! Who is signed in on a shared tablet, and for how long: signing in (the record-system
//! token kept for that person and that record system), the inactivity lock, signing out.
//! The key is in the configuration's session only; everything read with it goes when it
//! goes.

use yew::prelude::*;

use crate::config::{self, AppConfig, ConfigEvent};
use crate::outbox::Outbox;
use crate::vault::{self, Session};
use crate::web;

/// What the sign-in page says, and whether the sign-out panel is open.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionView {
    /// Why the sign-in page shows, when it is not the first sign-in.
    pub notice: Option<String>,
    pub signing_out: bool,
    /// Who was signed in last: the lock screen offers their name again.
    pub last_staff: Option<String>,
}

pub enum SessionEvent {
    /// The key went (locked, signed out), with what to tell the next person, and whose
    /// it was.
    Ended(String, Option<String>),
    AskSignOut,
    CancelSignOut,
}

impl Reducible for SessionView {
    type Action = SessionEvent;

    fn reduce(self: std::rc::Rc<Self>, event: SessionEvent) -> std::rc::Rc<Self> {
        std::rc::Rc::new(match event {
            SessionEvent::Ended(why, staff) => {
                SessionView { notice: Some(why), signing_out: false, last_staff: staff.or(self.last_staff.clone()) }
            }
            SessionEvent::AskSignOut => SessionView { signing_out: true, ..(*self).clone() },
            SessionEvent::CancelSignOut => SessionView { signing_out: false, ..(*self).clone() },
        })
    }
}

/// The session's callbacks: `sign_in` takes a new session, `end` forgets it with a notice.
pub struct SessionHandles {
    pub view: UseReducerHandle<SessionView>,
    pub signed_in: Callback<Session>,
    pub end: Callback<String>,
}

#[hook]
pub fn use_session(config: &AppConfig, dispatch: UseReducerDispatcher<AppConfig>, outbox: &Outbox) -> SessionHandles {
    let view = use_reducer(SessionView::default);
    // Forgets the key and everything read with it; the route is read again by the app, so
    // a form kept as a draft opens where it was after the next sign-in.
    let end = {
        let (dispatch, outbox, view) = (dispatch.clone(), outbox.clone(), view.dispatcher());
        let staff = config.session.as_ref().map(|s| s.staff.clone());
        Callback::from(move |why: String| {
            outbox.set_session(None);
            dispatch.dispatch(ConfigEvent::SignedOut);
            view.dispatch(SessionEvent::Ended(why, staff.clone()));
        })
    };
    let signed_in = {
        let (outbox, base, given, served) = (
            outbox.clone(),
            config.backend.as_ref().map(|b| b.base.clone()).unwrap_or_default(),
            config.backend.as_ref().and_then(|b| b.token.clone()),
            config.served_base.clone(),
        );
        Callback::from(move |session: Session| {
            let (outbox, dispatch, base, given, served) =
                (outbox.clone(), dispatch.clone(), base.clone(), given.clone(), served.clone());
            wasm_bindgen_futures::spawn_local(async move {
                session.bind_unbound_token(served.as_deref()).await;
                // A token given to this page is kept, encrypted, for this member of staff
                // and bound to this record system, and taken out of the address; without
                // one, the one kept for this record system (and no other) is used.
                let token = match given {
                    Some(token) => {
                        if session.keep_token(&base, &token).await.is_ok() {
                            web::replace_hash(&format!(
                                "{}{}{}",
                                web::path(),
                                config::without_token(&web::query()),
                                web::hash()
                            ));
                        }
                        Some(token)
                    }
                    None => session.token_for(&base).await,
                };
                outbox.set_session(Some(session.clone()));
                if token.is_some() {
                    outbox.token_renewed(&base);
                }
                dispatch.dispatch(ConfigEvent::SignedIn { session, token });
            });
        })
    };
    {
        // The inactivity lock: untouched for the configured time, the app forgets the key.
        let end = end.clone();
        use_effect_with((config.session.clone(), config.lock_after_s), move |(session, lock_after_s)| {
            let stop = session.as_ref().map(|_| {
                let minutes = (*lock_after_s).div_ceil(60);
                let why = if *lock_after_s >= 60 {
                    format!("Locked after {minutes} minute{} without use.", if minutes == 1 { "" } else { "s" })
                } else {
                    format!("Locked after {lock_after_s} seconds without use.")
                };
                vault::watch_idle(lock_after_s * 1000, move || {
                    end.emit(format!("{why} Your drafts are kept: sign in to carry on."))
                })
            });
            move || {
                if let Some(stop) = stop {
                    stop()
                }
            }
        });
    }
    SessionHandles { view, signed_in, end }
}
