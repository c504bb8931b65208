//! The bar at the top of every page: the setting, whether the record system can be
//! reached and takes this tablet's sign-in, whether the tablet is ready to work offline,
//! who is signed in; and below it, what needs saying about the set-up (a link to another
//! record system, a token in the public configuration). Only shows.

use yew::prelude::*;

use crate::config::{AppConfig, BackendState};

/// The header: `lock` and `sign_out` are what its two buttons do.
pub fn header(
    config: &AppConfig,
    online: bool,
    offline_ready: Option<bool>,
    lock: Callback<MouseEvent>,
    sign_out: Callback<MouseEvent>,
) -> Html {
    let setting_title = config
        .ruleset()
        .and_then(|r| r.setting(&config.setting).ok().map(|s| s.title.clone()))
        .unwrap_or_else(|| config.setting.clone());
    let record = match &config.backend_state {
        BackendState::NotConfigured => "No record system configured".to_owned(),
        // Whatever the last check said, with no network there is no record system.
        _ if !online => {
            "Record system not reachable: no internet connection. Forms are kept on this tablet until it is back".to_owned()
        }
        BackendState::Checking => "Checking the record system…".to_owned(),
        BackendState::Ready(caps) => format!("Record system: {}", caps.describe()),
        BackendState::Unsuitable(why) => format!("Record system unsuitable: {why}"),
        BackendState::Unreachable(why) => format!("Record system not reachable: {why}"),
        BackendState::NotAllowed(why) => format!("Record system: {why}"),
    };
    // At phone width a working record system needs only a few words; a problem is said
    // in full at any width.
    let short = match &config.backend_state {
        _ if !online => None,
        BackendState::Ready(_) => Some("Record system ready"),
        BackendState::Checking => Some("Checking the record system…"),
        _ => None,
    };
    // A record system the address named, not this tablet's own: said plainly, in case
    // the link was not what it seemed.
    let other_system = config.other_system().map(|base| {
        format!("This link sends forms to a record system that is not this tablet's usual one: {base}. Your sign-in to the usual one is not used for it.")
    });
    html! {
        <>
            <header class="app-header">
                <a class="app-name" href="#/">{ "Formwell" }</a>
                <span class="app-setting">{ setting_title }</span>
                <span class="app-record" id="record-status" role="status">
                    if let Some(short) = short {
                        <span class="wide-only">{ record }</span><span class="narrow-only">{ short }</span>
                    } else {
                        { record }
                    }
                </span>
                if let Some(ready) = offline_ready {
                    <span class={classes!("app-offline", ready.then_some("ready"))} id="offline-status" role="status">
                        { if ready { "Ready to work offline" } else { "Getting ready to work offline: keep the network on" } }
                    </span>
                }
                if let Some(session) = &config.session {
                    <span class="app-staff">
                        <span class="wide-only">{ "Signed in as " }</span>{ session.staff.clone() }
                        <button type="button" class="button secondary" id="lock-now" onclick={lock}>{ "Lock" }</button>
                        <button type="button" class="button secondary" id="sign-out" onclick={sign_out}>{ "Sign out" }</button>
                    </span>
                }
            </header>
            if let Some(warning) = other_system {
                <p class="notice warning" id="other-system" role="alert">{ warning }</p>
            }
            if config.public_token_ignored {
                <p class="notice warning" id="public-token" role="alert">
                    { "This copy of Formwell has a token in its public configuration file, where anyone could read it, so it is not used. Whoever looks after Formwell should remove it and give each member of staff their own link." }
                </p>
            }
        </>
    }
}
