//! The outage routine (R2) as guidance at the door: a pure function from
//! what failed, when, on which shift, for which unit and how many locks are
//! down, to the ordered steps the worker takes — each with its routine id,
//! an action the app can act on (a number to dial, where the key is) and
//! its text from the message catalogue.

mod calendar;
mod catalog;

pub(crate) use catalog::text;

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;

pub(crate) use calendar::{is_night, is_weekend_or_holiday};
pub use catalog::Language;

use crate::model::{UnitSettings, UnlockOutcome};

/// Locks down at once (in the unit) from which the outage counts as major (R2.3).
pub const MAJOR_OUTAGE_LOCKS: u32 = 3;

/// What failed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum FailureKind {
    /// The lock was not found nearby.
    LockNotFound,
    /// The connection to the lock broke.
    LinkLost,
    /// The bolt did not move.
    Jammed,
    /// The lock refused (its status name).
    Refused {
        /// The lock's code.
        code: String,
    },
    /// The phone holds no key for the lock.
    NoKey,
    /// The phone's key has expired.
    KeyExpired,
    /// The key starts later.
    KeyNotYetValid {
        /// When it starts (Unix seconds).
        valid_from: i64,
    },
    /// The care decision has ended.
    DecisionEnded,
    /// The door opened but the lock's battery is low.
    BatteryLow,
    /// The app itself does not work (crashes, no Bluetooth, dead phone).
    AppFailure,
    /// The worker reports a broken lock by hand.
    ManualReport,
}

impl FailureKind {
    /// The failure an unlock outcome stands for; none for a clean opening.
    pub fn from_outcome(outcome: &UnlockOutcome) -> Option<FailureKind> {
        Some(match outcome {
            UnlockOutcome::Opened { .. } => return None,
            UnlockOutcome::OpenedBatteryLow { .. } => FailureKind::BatteryLow,
            UnlockOutcome::LockNotFound => FailureKind::LockNotFound,
            UnlockOutcome::LinkLost => FailureKind::LinkLost,
            UnlockOutcome::Refused { code, .. } => FailureKind::Refused { code: code.clone() },
            UnlockOutcome::NoKey { .. } => FailureKind::NoKey,
            UnlockOutcome::KeyNotYetValid { valid_from } => FailureKind::KeyNotYetValid {
                valid_from: *valid_from,
            },
            UnlockOutcome::KeyExpired { .. } => FailureKind::KeyExpired,
            UnlockOutcome::DecisionEnded { .. } => FailureKind::DecisionEnded,
            UnlockOutcome::Jammed { .. } => FailureKind::Jammed,
            UnlockOutcome::ReceiptInvalid => FailureKind::Refused {
                code: "receipt_invalid".into(),
            },
        })
    }

    /// A stable name for reports ("jammed", "refused:wrong_lock", …).
    pub fn code(&self) -> String {
        match self {
            FailureKind::LockNotFound => "lock_not_found".into(),
            FailureKind::LinkLost => "link_lost".into(),
            FailureKind::Jammed => "jammed".into(),
            FailureKind::Refused { code } => format!("refused:{code}"),
            FailureKind::NoKey => "no_key".into(),
            FailureKind::KeyExpired => "key_expired".into(),
            FailureKind::KeyNotYetValid { .. } => "key_not_yet_valid".into(),
            FailureKind::DecisionEnded => "decision_ended".into(),
            FailureKind::BatteryLow => "battery_low".into(),
            FailureKind::AppFailure => "app_failure".into(),
            FailureKind::ManualReport => "manual".into(),
        }
    }
}

/// The failure an unlock outcome stands for, to report it (R2.9); none for a
/// clean opening. The shells ask rather than map outcomes themselves.
#[uniffi::export]
pub fn failure_kind_for_outcome(outcome: UnlockOutcome) -> Option<FailureKind> {
    FailureKind::from_outcome(&outcome)
}

/// The worker's shift, where known (else the local time decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Shift {
    /// Day.
    Day,
    /// Evening.
    Evening,
    /// Night (night patrol).
    Night,
}

/// What a step asks for, for the app to act on (dial, show a place).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum StepAction {
    /// Call the coordinator (R2.6).
    CallCoordinator {
        /// The number to dial.
        phone: String,
    },
    /// Take the spare key from the unit's cabinet (R2.1).
    FetchDaySpareKey {
        /// Where it is.
        location: String,
    },
    /// Fetch the night/alarm key from the central site (R2.2).
    FetchNightKey {
        /// Where it is.
        location: String,
    },
    /// Follow acute key handling (R2.8).
    AcuteKeyHandling,
    /// Document the outage: the app's failed-lock report (R2.9).
    DocumentOutage,
    /// Weekend: tell the night patrol now and message the alarm group (R2.13).
    NotifyNightPatrolAndAlarmGroup,
    /// Report the deviation (R2.15).
    ReportDeviation,
    /// The decision has ended: the coordinator contacts the needs assessor (R2.7).
    DecisionEnded,
    /// Many locks are down: the alarm group's unit manager coordinates (R2.3).
    MajorOutage,
    /// Sync to get new keys.
    SyncKeys,
    /// The key starts later.
    WaitForKey {
        /// When it starts (Unix seconds).
        valid_from: i64,
    },
    /// Report the lock's low battery.
    ReportLowBattery,
}

/// One step of guidance.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GuidanceStep {
    /// The routine step, e.g. "R2.6"; none for app housekeeping (sync).
    pub routine_id: Option<String>,
    /// What to do, for the app to act on.
    pub action: StepAction,
    /// A short title.
    pub title: String,
    /// The instruction.
    pub text: String,
}

/// Everything the guidance depends on.
#[derive(Debug, Clone)]
pub struct GuidanceContext {
    /// What failed.
    pub failure: FailureKind,
    /// When (Unix seconds, trusted time).
    pub at: i64,
    /// The worker's shift, if known.
    pub shift: Option<Shift>,
    /// The unit's settings (numbers, key places, time zone).
    pub unit: UnitSettings,
    /// Distinct locks of the unit known to be down now, this one included.
    pub locks_down: u32,
    /// The worker's language.
    pub language: Language,
}

/// The steps, in order.
pub fn guidance(ctx: &GuidanceContext) -> Vec<GuidanceStep> {
    let lang = ctx.language;
    let tz: Tz = ctx
        .unit
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Europe::Stockholm);
    let local = Utc
        .timestamp_opt(ctx.at, 0)
        .single()
        .map(|t| t.with_timezone(&tz));
    let night = match ctx.shift {
        Some(Shift::Night) => true,
        Some(Shift::Day | Shift::Evening) => false,
        None => local.is_some_and(|t| is_night(t.time())),
    };
    let weekend = local.is_some_and(|t| is_weekend_or_holiday(t.date_naive()));
    let step = |id: Option<&str>, msg: &str, args: &[(&str, String)], action: StepAction| {
        let (text, title) = catalog::text(lang, msg, args);
        GuidanceStep {
            routine_id: id.map(str::to_owned),
            action,
            title,
            text,
        }
    };
    let phone = ctx.unit.coordinator_phone.clone();
    let call = || {
        step(
            Some("R2.6"),
            "call-coordinator",
            &[("phone", phone.clone())],
            StepAction::CallCoordinator {
                phone: phone.clone(),
            },
        )
    };
    let mut steps = Vec::new();
    match &ctx.failure {
        FailureKind::BatteryLow => {
            steps.push(step(None, "low-battery", &[], StepAction::ReportLowBattery));
            return steps;
        }
        FailureKind::KeyNotYetValid { valid_from } => {
            let from = Utc
                .timestamp_opt(*valid_from, 0)
                .single()
                .map(|t| t.with_timezone(&tz).format("%H:%M").to_string())
                .unwrap_or_default();
            steps.push(step(
                None,
                "key-not-yet-valid",
                &[("from", from)],
                StepAction::WaitForKey {
                    valid_from: *valid_from,
                },
            ));
            steps.push(call());
            return steps;
        }
        FailureKind::DecisionEnded => {
            // R2.7: no key can open the door; the coordinator takes it up.
            steps.push(step(
                Some("R2.7"),
                "decision-ended",
                &[],
                StepAction::DecisionEnded,
            ));
            steps.push(call());
            return steps;
        }
        FailureKind::NoKey | FailureKind::KeyExpired => {
            steps.push(step(None, "sync-keys", &[], StepAction::SyncKeys));
        }
        _ => {}
    }
    // The routine proper (R2.6, R2.1/R2.2, R2.8, R2.9, R2.13, R2.15).
    steps.push(call());
    if ctx.locks_down >= MAJOR_OUTAGE_LOCKS {
        steps.push(step(
            Some("R2.3"),
            "major-outage",
            &[],
            StepAction::MajorOutage,
        ));
    }
    if night {
        let location = ctx.unit.night_key_location.clone();
        steps.push(step(
            Some("R2.2"),
            "night-key",
            &[("location", location.clone())],
            StepAction::FetchNightKey { location },
        ));
    } else {
        let location = ctx.unit.day_key_location.clone();
        steps.push(step(
            Some("R2.1"),
            "day-spare-key",
            &[("location", location.clone())],
            StepAction::FetchDaySpareKey { location },
        ));
    }
    steps.push(step(
        Some("R2.8"),
        "acute-key-handling",
        &[],
        StepAction::AcuteKeyHandling,
    ));
    steps.push(step(
        Some("R2.9"),
        "document-outage",
        &[],
        StepAction::DocumentOutage,
    ));
    if weekend {
        steps.push(step(
            Some("R2.13"),
            "weekend-night-patrol",
            &[],
            StepAction::NotifyNightPatrolAndAlarmGroup,
        ));
    }
    steps.push(step(
        Some("R2.15"),
        "report-deviation",
        &[],
        StepAction::ReportDeviation,
    ));
    steps
}

#[cfg(test)]
mod tests;
