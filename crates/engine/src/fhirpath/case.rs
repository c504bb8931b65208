//! Upper and lower case for `lower()`, `upper()` and `~`, in any script. In the browser the
//! host lends its own (`toLowerCase`): Rust's would bring Unicode's case tables, some
//! 17 KB, into the wasm tablets download. Natively, and until a host lends one, Rust's
//! own (in wasm without a host, ASCII only).

use std::sync::OnceLock;

/// Case mapping lent by the host.
pub struct HostCase {
    pub lower: fn(&str) -> String,
    pub upper: fn(&str) -> String,
}

static HOST: OnceLock<HostCase> = OnceLock::new();

/// Lends the engine the host's case mapping, once, before any expression runs.
pub fn lend_case(host: HostCase) {
    let _ = HOST.set(host);
}

pub(crate) fn lower(text: &str) -> String {
    match HOST.get() {
        Some(host) => (host.lower)(text),
        #[cfg(not(target_arch = "wasm32"))]
        None => text.to_lowercase(),
        #[cfg(target_arch = "wasm32")]
        None => text.to_ascii_lowercase(),
    }
}

pub(crate) fn upper(text: &str) -> String {
    match HOST.get() {
        Some(host) => (host.upper)(text),
        #[cfg(not(target_arch = "wasm32"))]
        None => text.to_uppercase(),
        #[cfg(target_arch = "wasm32")]
        None => text.to_ascii_uppercase(),
    }
}
