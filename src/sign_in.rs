//! Signing in and out on a shared tablet: a name and a PIN. The first time a name is used on the
//! tablet the PIN is set (entered twice); after that it unlocks that person's drafts and
//! outbox. The PIN itself is never kept: it derives the key (see `vault`), and the key is
//! held in memory until the app locks or the person signs out.

use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::vault::{self, Session, StoreError};

/// The shortest PIN accepted when one is set.
pub const MIN_PIN: usize = 6;

#[derive(Properties, PartialEq)]
pub struct SignInProps {
    /// The name to offer (the app's configured member of staff).
    pub staff: Option<String>,
    /// Why the sign-in is showing (locked after inactivity, signed out).
    pub notice: Option<String>,
    pub on_signed_in: Callback<Session>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    /// Name and PIN.
    Enter,
    /// The name is new on this tablet: the PIN again, to set it.
    Set,
    /// Deriving the key (PBKDF2 takes a moment, on purpose).
    Checking,
}

fn value(e: &InputEvent) -> String {
    e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()).map(|i| i.value()).unwrap_or_default()
}

#[function_component(SignIn)]
pub fn sign_in(props: &SignInProps) -> Html {
    let name = use_state(|| props.staff.clone().unwrap_or_default());
    let pin = use_state(String::new);
    let again = use_state(String::new);
    let step = use_state(|| Step::Enter);
    let error = use_state(|| None::<String>);

    let on_submit = {
        let (name, pin, again, step, error, done) =
            (name.clone(), pin.clone(), again.clone(), step.clone(), error.clone(), props.on_signed_in.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let staff = name.trim().to_owned();
            if staff.is_empty() {
                error.set(Some("Enter your name.".into()));
                return;
            }
            let setting = *step == Step::Set;
            if setting && (pin.chars().count() < MIN_PIN) {
                error.set(Some(format!("Choose a PIN of at least {MIN_PIN} characters.")));
                return;
            }
            if setting && *pin != *again {
                error.set(Some("The two PINs are not the same. Enter the PIN twice.".into()));
                return;
            }
            if pin.is_empty() {
                error.set(Some("Enter your PIN.".into()));
                return;
            }
            let (pin_value, step, error, done, pin) =
                ((*pin).clone(), step.clone(), error.clone(), done.clone(), pin.clone());
            step.set(Step::Checking);
            error.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                // "sam patel " is Sam Patel, as this tablet knows them.
                let staff = vault::resolve_staff(&staff).await.unwrap_or(staff);
                let known = match vault::staff_known(&staff).await {
                    Ok(known) => known,
                    Err(e) => {
                        error.set(Some(format!("This tablet's storage cannot be used: {e}.")));
                        step.set(Step::Enter);
                        return;
                    }
                };
                if !known && !setting {
                    error.set(None);
                    step.set(Step::Set);
                    return;
                }
                match Session::open(&staff, &pin_value, !known).await {
                    Ok(session) => done.emit(session),
                    Err(StoreError::WrongPin) => {
                        pin.set(String::new());
                        error.set(Some(format!(
                            "That PIN is not right for {staff}. Drafts and forms waiting to send stay locked."
                        )));
                        step.set(Step::Enter);
                    }
                    Err(StoreError::TooManyTries(seconds)) => {
                        pin.set(String::new());
                        error.set(Some(format!(
                            "Too many wrong PINs for {staff}. Try again in {seconds} seconds; each further wrong PIN doubles the wait."
                        )));
                        step.set(Step::Enter);
                    }
                    Err(e) => {
                        error.set(Some(format!("Could not sign in: {e}.")));
                        step.set(if known { Step::Enter } else { Step::Set });
                    }
                }
            });
        })
    };
    let on_name = {
        let (name, step) = (name.clone(), step.clone());
        Callback::from(move |e: InputEvent| {
            name.set(value(&e));
            step.set(Step::Enter);
        })
    };
    let on_pin = {
        let pin = pin.clone();
        Callback::from(move |e: InputEvent| pin.set(value(&e)))
    };
    let on_again = {
        let again = again.clone();
        Callback::from(move |e: InputEvent| again.set(value(&e)))
    };
    let checking = *step == Step::Checking;
    // The people who use this tablet, offered as buttons, with what waits to send.
    let staff = use_state(Vec::<(String, u32)>::new);
    {
        let staff = staff.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move { staff.set(vault::tablet_staff().await) });
        });
    }
    let waiting: Vec<String> = staff
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(who, n)| format!("{n} form{} from {who} {} waiting: sign in to send {}.", if *n == 1 { "" } else { "s" },
            if *n == 1 { "is" } else { "are" }, if *n == 1 { "it" } else { "them" }))
        .collect();
    let choose = |who: &str| {
        let (name, step, who) = (name.clone(), step.clone(), who.to_owned());
        Callback::from(move |_: MouseEvent| {
            name.set(who.clone());
            step.set(Step::Enter);
            crate::web::focus("staff-pin");
        })
    };
    html! {
        <div class="panel sign-in">
            <h1>{ "Sign in" }</h1>
            if let Some(notice) = &props.notice { <p class="notice" id="sign-in-notice" role="status">{ notice }</p> }
            <p>{ "This tablet is shared. Your drafts and the forms waiting to send are kept on it encrypted, and only your PIN opens them." }</p>
            if let Some(why) = &*error {
                <div class="error-summary" id="sign-in-error" role="alert"><p>{ why }</p></div>
            }
            { for waiting.iter().map(|w| html! { <p class="notice warning waiting-to-send" role="status">{ w }</p> }) }
            if !staff.is_empty() {
                <div class="tablet-staff">
                    <p>{ "Who are you?" }</p>
                    { for staff.iter().map(|(who, _)| html! {
                        <button type="button" class="button secondary" onclick={choose(who)}>{ who.clone() }</button>
                    }) }
                </div>
            }
            <form onsubmit={on_submit} novalidate=true>
                <label class="question" for="staff-name">{ "Your name" }</label>
                <input class="input" id="staff-name" autocomplete="username" value={(*name).clone()} oninput={on_name} />
                <label class="question" for="staff-pin">{ if *step == Step::Set { "Choose a PIN" } else { "PIN" } }</label>
                if *step == Step::Set {
                    <div class="hint">{ format!("First time on this tablet with this name: choose a PIN of at least {MIN_PIN} characters. It cannot be recovered; forgetting it means starting again.") }</div>
                }
                <input class="input" id="staff-pin" type="password" inputmode="numeric" autocomplete="current-password"
                    value={(*pin).clone()} oninput={on_pin} />
                if *step == Step::Set {
                    <label class="question" for="staff-pin-again">{ "The same PIN again" }</label>
                    <input class="input" id="staff-pin-again" type="password" inputmode="numeric" autocomplete="new-password"
                        value={(*again).clone()} oninput={on_again} />
                }
                <button type="submit" class="button" disabled={checking}>
                    { if checking { "Checking…" } else if *step == Step::Set { "Set PIN and sign in" } else { "Sign in" } }
                </button>
            </form>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct SignOutPanelProps {
    pub session: Session,
    pub pending: usize,
    pub on_done: Callback<String>,
    pub on_cancel: Callback<()>,
}

/// Signing out forgets the key; once nothing waits to send, it offers to remove this
/// person's drafts and PIN from the tablet too.
#[function_component(SignOutPanel)]
pub fn sign_out_panel(props: &SignOutPanelProps) -> Html {
    let failed = use_state(|| None::<String>);
    let keep = {
        let done = props.on_done.clone();
        Callback::from(move |_| done.emit("Signed out. Your drafts stay on this tablet, encrypted.".into()))
    };
    let cancel = {
        let cancel = props.on_cancel.clone();
        Callback::from(move |_| cancel.emit(()))
    };
    let wipe = {
        let (session, done, failed) = (props.session.clone(), props.on_done.clone(), failed.clone());
        Callback::from(move |_| {
            let (session, done, failed) = (session.clone(), done.clone(), failed.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match session.wipe().await {
                    Ok(()) => done.emit("Signed out, and your drafts and PIN were removed from this tablet.".into()),
                    Err(e) => failed.set(Some(e.to_string())),
                }
            });
        })
    };
    let waiting = props.pending;
    html! {
        <div class="panel sign-out" id="sign-out-panel" role="dialog" aria-labelledby="sign-out-title">
            <h2 id="sign-out-title">{ "Sign out" }</h2>
            if waiting > 0 {
                <p>{ format!("{waiting} form{} still waiting to send. {} kept on this tablet, encrypted, and sent when you next sign in.",
                    if waiting == 1 { " is" } else { "s are" }, if waiting == 1 { "It is" } else { "They are" }) }</p>
                <div class="actions">
                    <button type="button" class="button" onclick={keep}>{ "Sign out" }</button>
                    <button type="button" class="button secondary" onclick={cancel}>{ "Stay signed in" }</button>
                </div>
            } else {
                <p>{ "Nothing is waiting to send. You can also remove your drafts and your PIN from this tablet." }</p>
                if let Some(why) = &*failed { <p class="error-message" role="alert">{ why }</p> }
                <div class="actions">
                    <button type="button" class="button warning" id="sign-out-wipe" onclick={wipe}>{ "Sign out and remove my data" }</button>
                    <button type="button" class="button" id="sign-out-keep" onclick={keep}>{ "Sign out, keep my drafts" }</button>
                    <button type="button" class="button secondary" onclick={cancel}>{ "Stay signed in" }</button>
                </div>
            }
        </div>
    }
}
