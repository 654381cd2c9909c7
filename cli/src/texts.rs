//! Every text the care worker reads, in Swedish (the default) and English:
//! the outage routine's next steps with their routine ids, the names of the
//! unlock outcomes and the progress steps. Nothing else in the CLI holds
//! worker-facing wording, so a translation is done here and only here.
//!
//! The outage routine's steps (R2) come from the app core's guidance and
//! its message catalogue, as on the phones.

use chrono_tz::Tz;
use nyckelfri_core::guidance::Language;
use nyckelfri_core::{KeyStatus, NyckelfriApp, NyckelfriError, UnlockOutcome, UnlockStep};
use serde::Serialize;

use crate::localtime::hhmm;

/// The language of the worker-facing text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Lang {
    /// Svenska.
    #[default]
    Sv,
    /// English.
    En,
}

/// One thing the worker should do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextStep {
    /// The routine step it implements (`R2.6`, …), or none for app advice.
    pub routine: Option<String>,
    /// What to do.
    pub text: String,
}

fn pick(lang: Lang, sv: &str, en: &str) -> String {
    match lang {
        Lang::Sv => sv.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// What the worker does next after `outcome`: the outage routine's steps
/// (R2) from the app core's guidance and its message catalogue, by the
/// unit's settings the phone holds (so it works offline). Empty when the
/// door opened.
pub fn next_steps(
    app: &NyckelfriApp,
    lang: Lang,
    outcome: &UnlockOutcome,
    visit_id: Option<&str>,
) -> Result<Vec<NextStep>, NyckelfriError> {
    let language = match lang {
        Lang::Sv => Language::Swedish,
        Lang::En => Language::English,
    };
    Ok(app
        .guidance_for_outcome(outcome.clone(), visit_id.map(str::to_owned), language)?
        .into_iter()
        .map(|g| NextStep {
            routine: g.routine_id,
            text: g.text,
        })
        .collect())
}

/// A stable name for scripts (the JSON `outcome`).
pub fn outcome_code(outcome: &UnlockOutcome) -> &'static str {
    match outcome {
        UnlockOutcome::Opened { .. } => "opened",
        UnlockOutcome::OpenedBatteryLow { .. } => "opened_battery_low",
        UnlockOutcome::LockNotFound => "lock_not_found",
        UnlockOutcome::LinkLost => "link_lost",
        UnlockOutcome::Refused { .. } => "refused",
        UnlockOutcome::NoKey { .. } => "no_key",
        UnlockOutcome::KeyNotYetValid { .. } => "key_not_yet_valid",
        UnlockOutcome::KeyExpired { .. } => "key_expired",
        UnlockOutcome::DecisionEnded { .. } => "decision_ended",
        UnlockOutcome::Jammed { .. } => "jammed",
        UnlockOutcome::ReceiptInvalid => "receipt_invalid",
    }
}

/// Whether the door opened.
pub fn opened(outcome: &UnlockOutcome) -> bool {
    matches!(
        outcome,
        UnlockOutcome::Opened { .. } | UnlockOutcome::OpenedBatteryLow { .. }
    )
}

/// The outcome as the worker reads it.
pub fn outcome_text(lang: Lang, outcome: &UnlockOutcome) -> String {
    let (sv, en) = match outcome {
        UnlockOutcome::Opened { .. } => ("öppen", "open"),
        UnlockOutcome::OpenedBatteryLow { .. } => ("öppen, svagt batteri", "open, battery low"),
        UnlockOutcome::LockNotFound => ("låset hittades inte", "lock not found"),
        UnlockOutcome::LinkLost => ("anslutningen bröts", "connection lost"),
        UnlockOutcome::Refused { code, .. } => {
            return match lang {
                Lang::Sv => format!("låset nekade ({code})"),
                Lang::En => format!("the lock refused ({code})"),
            };
        }
        UnlockOutcome::NoKey { .. } => ("ingen nyckel", "no key"),
        UnlockOutcome::KeyNotYetValid { .. } => ("nyckeln gäller inte än", "key not valid yet"),
        UnlockOutcome::KeyExpired { .. } => ("nyckeln har gått ut", "key expired"),
        UnlockOutcome::DecisionEnded { .. } => ("beslutet har upphört", "care decision ended"),
        UnlockOutcome::Jammed { .. } => (
            "fastnat: regeln rörde sig inte",
            "jammed: the bolt did not move",
        ),
        UnlockOutcome::ReceiptInvalid => {
            ("låsets svar är ogiltigt", "the lock's answer is invalid")
        }
    };
    pick(lang, sv, en)
}

/// A progress step as the worker reads it.
pub fn step_text(lang: Lang, s: UnlockStep) -> &'static str {
    match (lang, s) {
        (Lang::Sv, UnlockStep::Searching) => "Söker",
        (Lang::Sv, UnlockStep::Connecting) => "Ansluter",
        (Lang::Sv, UnlockStep::Verifying) => "Verifierar",
        (Lang::Sv, UnlockStep::Retrying) => "Försöker igen",
        (Lang::Sv, UnlockStep::Open) => "Öppen",
        (Lang::En, UnlockStep::Searching) => "Searching",
        (Lang::En, UnlockStep::Connecting) => "Connecting",
        (Lang::En, UnlockStep::Verifying) => "Verifying",
        (Lang::En, UnlockStep::Retrying) => "Retrying",
        (Lang::En, UnlockStep::Open) => "Open",
    }
}

/// The status of a visit's key as the worker reads it, times in `tz`.
pub fn key_status_text(lang: Lang, status: &KeyStatus, tz: Tz) -> String {
    let t = |unix: i64| hhmm(tz, unix);
    match (lang, status) {
        (Lang::Sv, KeyStatus::Ready { valid_until }) => {
            format!("klar, gäller till {}", t(*valid_until))
        }
        (Lang::En, KeyStatus::Ready { valid_until }) => format!("ready until {}", t(*valid_until)),
        (Lang::Sv, KeyStatus::NotYetValid { valid_from }) => {
            format!("gäller från {}", t(*valid_from))
        }
        (Lang::En, KeyStatus::NotYetValid { valid_from }) => {
            format!("valid from {}", t(*valid_from))
        }
        (Lang::Sv, KeyStatus::Expired { expired_at }) => {
            format!("gick ut {}; synka", t(*expired_at))
        }
        (Lang::En, KeyStatus::Expired { expired_at }) => {
            format!("expired {}; sync", t(*expired_at))
        }
        (Lang::Sv, KeyStatus::DecisionEnded { .. }) => "beslutet har upphört (R2.7)".into(),
        (Lang::En, KeyStatus::DecisionEnded { .. }) => "care decision ended (R2.7)".into(),
        (Lang::Sv, KeyStatus::NoKey { reason }) => {
            format!(
                "ingen nyckel{}",
                reason
                    .as_ref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            )
        }
        (Lang::En, KeyStatus::NoKey { reason }) => {
            format!(
                "no key{}",
                reason
                    .as_ref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            )
        }
    }
}

/// The heading above the next steps after `outcome`.
pub fn next_steps_heading(lang: Lang, outcome: &UnlockOutcome) -> &'static str {
    let lock_failed = matches!(
        outcome,
        UnlockOutcome::LockNotFound
            | UnlockOutcome::LinkLost
            | UnlockOutcome::Refused { .. }
            | UnlockOutcome::Jammed { .. }
            | UnlockOutcome::ReceiptInvalid
    );
    match (lang, lock_failed) {
        (Lang::Sv, true) => "Gör så här (rutin R2, låsvred ur funktion):",
        (Lang::En, true) => "Next steps (routine R2, lock out of order):",
        (Lang::Sv, false) => "Gör så här:",
        (Lang::En, false) => "Next steps:",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_is_the_default_and_english_differs() {
        assert_eq!(Lang::default(), Lang::Sv);
        let o = UnlockOutcome::LockNotFound;
        assert_ne!(outcome_text(Lang::Sv, &o), outcome_text(Lang::En, &o));
    }
}
