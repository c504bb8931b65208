//! How this copy of the app is set up: the service setting it is used in (which decides
//! what its forms may write) and who is using it. Read from the page's query string
//! (`?setting=midwifery&staff=Sam%20Patel`) until the backend configuration arrives.

use std::rc::Rc;

use formwell_engine::Ruleset;

/// The setting used when none is given: the most careful one.
pub const DEFAULT_SETTING: &str = "community";

/// The app's configuration and its code-impact rules, shared with every page.
#[derive(Debug, Clone, PartialEq)]
pub struct AppConfig {
    pub setting: String,
    /// Who is filling forms, as recorded with confirmations.
    pub staff: Option<String>,
    pub rules: RulesState,
}

/// The ruleset, as far as it has loaded.
#[derive(Debug, Clone)]
pub enum RulesState {
    Loading,
    Ready(Rc<Ruleset>),
    Failed(String),
}

impl PartialEq for RulesState {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (RulesState::Loading, RulesState::Loading) => true,
            (RulesState::Ready(a), RulesState::Ready(b)) => Rc::ptr_eq(a, b),
            (RulesState::Failed(a), RulesState::Failed(b)) => a == b,
            _ => false,
        }
    }
}

impl AppConfig {
    /// Reads `setting` and `staff` from a query string (`?a=b&c=d`).
    pub fn from_query(query: &str) -> AppConfig {
        let mut config = AppConfig { setting: DEFAULT_SETTING.into(), staff: None, rules: RulesState::Loading };
        for pair in query.trim_start_matches('?').split('&') {
            let Some((key, value)) = pair.split_once('=') else { continue };
            let value = crate::route::decode(&value.replace('+', " "));
            match key {
                "setting" if !value.is_empty() => config.setting = value,
                "staff" if !value.is_empty() => config.staff = Some(value),
                _ => {}
            }
        }
        config
    }

    /// The loaded ruleset, if it has loaded.
    pub fn ruleset(&self) -> Option<&Rc<Ruleset>> {
        match &self.rules {
            RulesState::Ready(r) => Some(r),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setting_and_staff_come_from_the_query() {
        let c = AppConfig::from_query("?setting=midwifery&staff=Sam+Patel");
        assert_eq!(c.setting, "midwifery");
        assert_eq!(c.staff.as_deref(), Some("Sam Patel"));
        assert_eq!(AppConfig::from_query("").setting, "community");
    }
}
