//! The decisions a submission carries: every decision the guard made about its coded
//! entries, and for the ones that needed a person's confirmation, who confirmed, when,
//! and why (and for a change of demographics, whether it is temporary or permanent).

use crate::form::datatypes::FhirDate;
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

/// What a member of staff has entered in the guard's dialog so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfirmationDraft {
    /// "I have checked this with the person and it is right to record".
    pub ticked: bool,
    pub reason: String,
    /// For a change of demographics: permanent (`Some(true)`) or temporary.
    pub permanent: Option<bool>,
    /// The end of a temporary change (ISO date), if known.
    pub until: String,
}

impl ConfirmationDraft {
    /// What still stops it being confirmed, in words staff can act on; empty when it
    /// can be. `demographic`: it confirms a change of name, address or phone;
    /// `read_back`: the form's answer to "have you read the details back?"; `today`,
    /// as the device says.
    pub fn missing(&self, demographic: bool, read_back: Option<bool>, today: &FhirDate) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if demographic {
            let until = self.until.trim();
            match self.permanent {
                None => missing.push("say whether the change is temporary or permanent"),
                Some(true) if !until.is_empty() => {
                    missing.push("a permanent change has no end date: remove it, or choose temporary")
                }
                Some(false) if !until.is_empty() => match FhirDate::parse(until) {
                    None => missing.push("enter the end date as a real date"),
                    Some(end) if end < *today => missing.push("the end date is in the past: enter one from today"),
                    _ => {}
                },
                _ => {}
            }
            if read_back == Some(false) {
                missing.push("read the new details back to the person (the form says you have not)");
            }
        }
        if self.reason.trim().is_empty() {
            missing.push("say why it is right to record");
        }
        if !self.ticked {
            missing.push("tick to say you have checked it with the person");
        }
        missing
    }

    /// The confirmation, once nothing is missing.
    pub fn confirm(&self, demographic: bool, read_back: Option<bool>, today: &FhirDate) -> Option<Confirmation> {
        if !self.missing(demographic, read_back, today).is_empty() {
            return None;
        }
        let demographic_change = demographic.then(|| match self.permanent {
            Some(true) => DemographicChange::Permanent,
            _ => DemographicChange::Temporary { until: Some(self.until.trim().to_owned()).filter(|u| !u.is_empty()) },
        });
        Some(Confirmation { reason: self.reason.trim().to_owned(), demographic_change })
    }

    /// Starts from what the form itself says of the change (temporary until a date, or
    /// permanent), so that nothing is asked twice.
    pub fn from_form(suggested: Option<&DemographicChange>) -> ConfirmationDraft {
        let (permanent, until) = match suggested {
            Some(DemographicChange::Permanent) => (Some(true), String::new()),
            Some(DemographicChange::Temporary { until }) => (Some(false), until.clone().unwrap_or_default()),
            None => (None, String::new()),
        };
        ConfirmationDraft { permanent, until, ..ConfirmationDraft::default() }
    }
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

    #[test]
    fn a_change_of_address_cannot_be_confirmed_while_it_contradicts_itself() {
        let today = FhirDate::parse("2026-12-01").unwrap();
        let ready =
            ConfirmationDraft { ticked: true, reason: "Moved".into(), permanent: Some(false), until: "2027-01-31".into() };
        assert_eq!(ready.missing(true, Some(true), &today), Vec::<&str>::new());
        let confirmed = ready.confirm(true, Some(true), &today).unwrap();
        assert_eq!(confirmed.demographic_change, Some(DemographicChange::Temporary { until: Some("2027-01-31".into()) }));
        let permanent_with_end = ConfirmationDraft { permanent: Some(true), ..ready.clone() };
        assert_eq!(
            permanent_with_end.missing(true, Some(true), &today),
            vec!["a permanent change has no end date: remove it, or choose temporary"]
        );
        let past = ConfirmationDraft { until: "2026-11-30".into(), ..ready.clone() };
        assert_eq!(past.missing(true, Some(true), &today), vec!["the end date is in the past: enter one from today"]);
        assert_eq!(ready.missing(true, Some(false), &today).len(), 1, "not read back to the person");
        assert!(ready.confirm(true, Some(false), &today).is_none());
        let nothing = ConfirmationDraft::default();
        assert_eq!(
            nothing.missing(false, None, &today),
            vec!["say why it is right to record", "tick to say you have checked it with the person"]
        );
        let from_form =
            ConfirmationDraft::from_form(Some(&DemographicChange::Temporary { until: Some("2027-01-31".into()) }));
        assert_eq!((from_form.permanent, from_form.until.as_str()), (Some(false), "2027-01-31"), "not asked again");
    }
}
