//! The decisions a submission carries: every decision the guard made about its coded
//! entries, and for the ones that needed a person's confirmation, who confirmed, when,
//! and why (and for a change of demographics, whether it is temporary or permanent).

use crate::impact::ruleset::ImpactSeverity;
use crate::impact::{Decision, DemographicChange, RecordedDecision};

/// What a member of staff confirmed in the guard's dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    /// Why it is right to record, in their words.
    pub reason: String,
    /// For a change of name, address or phone: temporary (until a date) or permanent.
    pub demographic_change: Option<DemographicChange>,
}

/// Every decision as it travels with the submission. Confirm-level ones are recorded as
/// confirmed by `confirmed_by` at `at`, with the confirmation's reason; a demographic one
/// also with whether the change is temporary. `setting` is the service setting the form
/// was filled in.
pub fn record_decisions(
    decisions: Vec<Decision>,
    confirmation: Option<&Confirmation>,
    confirmed_by: &str,
    at: &str,
    setting: &str,
) -> Vec<RecordedDecision> {
    decisions
        .into_iter()
        .map(|decision| {
            let confirmed = decision.severity == ImpactSeverity::Confirm;
            let confirmation = confirmation.filter(|_| confirmed);
            RecordedDecision {
                setting: setting.to_owned(),
                confirmed_by: confirmation.map(|_| confirmed_by.to_owned()),
                confirmed_at: confirmation.map(|_| at.to_owned()),
                reason: confirmation.map(|c| c.reason.clone()),
                demographic_change: confirmation
                    .filter(|_| decision.demographic)
                    .and_then(|c| c.demographic_change.clone()),
                decision,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::impact::CodedEntry;
    use crate::NodeId;

    fn decision(severity: ImpactSeverity, demographic: bool) -> Decision {
        Decision {
            entry: CodedEntry {
                node: NodeId(1),
                link_id: "x".into(),
                coding: None,
                definition: None,
                value: "Yes".into(),
            },
            category: Some(if demographic { "demographics" } else { "child_protection" }.into()),
            category_title: None,
            severity,
            effect: String::new(),
            services: vec![],
            instead: None,
            ruleset_version: "v1".into(),
            demographic,
        }
    }

    #[test]
    fn only_what_needed_confirming_is_recorded_as_confirmed_and_only_demographics_say_temporary() {
        let confirmation = Confirmation {
            reason: "Moved in with her sister".into(),
            demographic_change: Some(DemographicChange::Temporary { until: Some("2027-01-31".into()) }),
        };
        let recorded = record_decisions(
            vec![
                decision(ImpactSeverity::Allow, false),
                decision(ImpactSeverity::Confirm, false),
                decision(ImpactSeverity::Confirm, true),
            ],
            Some(&confirmation),
            "Sam Patel",
            "2026-11-26T10:16:00Z",
            "community",
        );
        assert_eq!(recorded[0].confirmed_by, None, "an allowed entry needs no one's confirmation");
        assert_eq!(recorded[0].reason, None);
        assert_eq!(recorded[1].confirmed_by.as_deref(), Some("Sam Patel"));
        assert_eq!(recorded[1].reason.as_deref(), Some("Moved in with her sister"));
        assert_eq!(recorded[1].demographic_change, None, "not a change of demographics");
        assert_eq!(recorded[2].demographic_change, confirmation.demographic_change);
        assert!(recorded.iter().all(|r| r.setting == "community"));
        let unconfirmed =
            record_decisions(vec![decision(ImpactSeverity::Confirm, false)], None, "Sam Patel", "t", "community");
        assert_eq!(unconfirmed[0].confirmed_by, None, "no confirmation given, none recorded");
    }
}
