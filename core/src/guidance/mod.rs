//! The outage routine (R2) as guidance at the door: a pure function from
//! what failed, when, on which shift, for which unit and how many locks are
//! down, to the ordered steps the worker takes — each with its routine id,
//! an action the app can act on (a number to dial, where the key is, the
//! unit's own acute key routine) and its text from the message catalogue.
//!
//! The Swedish routine is the authority ("Elektroniska låsvred ur funktion –
//! driftstopp"): first whether the brukare can open (R2.6 "Om brukare inte
//! kan öppna själv"), then the coordinator (R2.6), who checks the care
//! decision (R2.7) — and for every case the spare key of the worker's shift
//! (R2.1 day, R2.2 night) and acute key handling (R2.8), documentation
//! (R2.9) and the deviation report (R2.15). After the night patrol's
//! deadline (17:00) the worker tells the night patrol at once (R2.12); in
//! the routine's weekend (from the unit's closing time before a non-working
//! day) the night patrol and the alarm group (R2.13).

mod calendar;
mod catalog;

pub(crate) use catalog::text;

use chrono::{NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

pub(crate) use calendar::is_night;
pub use catalog::Language;
use nyckelfri_calendar::Period;

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
    /// Ask whether the brukare can open themselves (R2.6: "Om brukare inte
    /// kan öppna själv").
    AskBrukareToOpen,
    /// Call the coordinator (R2.6).
    CallCoordinator {
        /// The number to dial.
        phone: String,
    },
    /// After the night patrol's deadline: tell the night patrol now (R2.12).
    CallNightPatrol {
        /// The number to dial, if the unit has set one.
        #[uniffi(default)]
        phone: Option<String>,
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
    AcuteKeyHandling {
        /// The unit's own routine for it, in the worker's language when
        /// written (else Swedish); none when the unit has not written one.
        #[uniffi(default)]
        routine: Option<String>,
    },
    /// Document the outage: the app's failed-lock report (R2.9).
    DocumentOutage,
    /// Weekend: tell the night patrol now and message the alarm group (R2.13).
    NotifyNightPatrolAndAlarmGroup {
        /// The night patrol's number, if the unit has set one.
        #[uniffi(default)]
        night_patrol_phone: Option<String>,
    },
    /// Report the deviation (R2.15).
    ReportDeviation,
    /// The decision has ended: the coordinator contacts the needs assessor
    /// (R2.7); the worker still takes the spare key (R2.8).
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

/// The routine's period at `at` in the unit's time zone and hours, and the
/// local time.
fn when(unit: &UnitSettings, at: i64) -> Option<(Period, NaiveTime)> {
    let tz: Tz = unit
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Europe::Stockholm);
    let local = Utc.timestamp_opt(at, 0).single()?.with_timezone(&tz);
    Some((
        nyckelfri_calendar::period(local.naive_local(), unit.office_hours()),
        local.time(),
    ))
}

/// R2.13: whether `at` is in the routine's weekend for the unit (from its
/// closing time before a non-working day to its next opening).
pub(crate) fn is_weekend(unit: &UnitSettings, at: i64) -> bool {
    when(unit, at).is_some_and(|(p, _)| p == Period::Weekend)
}

/// The steps, in order.
pub fn guidance(ctx: &GuidanceContext) -> Vec<GuidanceStep> {
    let lang = ctx.language;
    let unit = &ctx.unit;
    let tz: Tz = unit
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Europe::Stockholm);
    let local = Utc
        .timestamp_opt(ctx.at, 0)
        .single()
        .map(|t| t.with_timezone(&tz));
    // R2.1, R2.2: the worker's shift decides the key; the clock only when
    // no shift is known.
    let night = match ctx.shift {
        Some(Shift::Night) => true,
        Some(Shift::Day | Shift::Evening) => false,
        None => local.is_some_and(|t| is_night(t.time())),
    };
    let (period, time) = when(unit, ctx.at).unwrap_or((Period::Office, NaiveTime::MIN));
    let deadline = NaiveTime::parse_from_str(&unit.night_patrol_deadline, "%H:%M")
        .unwrap_or(nyckelfri_calendar::OfficeHours::STANDARD.closes());
    let step = |id: Option<&str>, msg: &str, args: &[(&str, String)], action: StepAction| {
        let (text, title) = catalog::text(lang, msg, args);
        GuidanceStep {
            routine_id: id.map(str::to_owned),
            action,
            title,
            text,
        }
    };
    let phone = unit.coordinator_phone.clone();
    let hours = unit.office_hours();
    let call = || {
        let action = StepAction::CallCoordinator {
            phone: phone.clone(),
        };
        if period == Period::Office {
            step(
                Some("R2.6"),
                "call-coordinator",
                &[("phone", phone.clone())],
                action,
            )
        } else {
            step(
                Some("R2.6"),
                "call-coordinator-closed",
                &[
                    ("phone", phone.clone()),
                    ("opens", hours.opens().format("%H:%M").to_string()),
                    ("closes", hours.closes().format("%H:%M").to_string()),
                ],
                action,
            )
        }
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
        _ => {}
    }
    // R2.6 "Om brukare inte kan öppna själv …": ask that first.
    steps.push(step(
        Some("R2.6"),
        "ask-brukare-opens",
        &[],
        StepAction::AskBrukareToOpen,
    ));
    if matches!(ctx.failure, FailureKind::NoKey | FailureKind::KeyExpired) {
        steps.push(step(None, "sync-keys", &[], StepAction::SyncKeys));
    }
    // "… kontakta koordinator för att få hjälp med planering."
    steps.push(call());
    if ctx.failure == FailureKind::DecisionEnded {
        // R2.7: the coordinator's step; the worker still gets the spare key,
        // documents and reports the deviation below.
        steps.push(step(
            Some("R2.7"),
            "decision-ended",
            &[],
            StepAction::DecisionEnded,
        ));
    }
    if ctx.locks_down >= MAJOR_OUTAGE_LOCKS {
        steps.push(step(
            Some("R2.3"),
            "major-outage",
            &[],
            StepAction::MajorOutage,
        ));
    }
    let night_patrol = unit
        .night_patrol_phone
        .clone()
        .filter(|p| !p.trim().is_empty());
    if period == Period::Weekend {
        // R2.13: as soon as possible, the night patrol; and the alarm group.
        let action = StepAction::NotifyNightPatrolAndAlarmGroup {
            night_patrol_phone: night_patrol.clone(),
        };
        match &night_patrol {
            Some(p) => steps.push(step(
                Some("R2.13"),
                "weekend-night-patrol-call",
                &[("phone", p.clone())],
                action,
            )),
            None => steps.push(step(Some("R2.13"), "weekend-night-patrol", &[], action)),
        }
    } else if time >= deadline && ctx.shift != Some(Shift::Night) {
        // R2.12: after the deadline the worker on site tells the night
        // patrol at once (the night patrol itself needs no call).
        let action = StepAction::CallNightPatrol {
            phone: night_patrol.clone(),
        };
        let deadline = deadline.format("%H:%M").to_string();
        match &night_patrol {
            Some(p) => steps.push(step(
                Some("R2.12"),
                "evening-night-patrol",
                &[("phone", p.clone()), ("deadline", deadline)],
                action,
            )),
            None => steps.push(step(
                Some("R2.12"),
                "evening-night-patrol-no-phone",
                &[("deadline", deadline)],
                action,
            )),
        }
    }
    // R2.1, R2.2, R2.8 "Medarbetare använder extra nyckel och följer rutiner
    // kring akut nyckelhantering."
    if night {
        let location = unit.night_key_location.clone();
        steps.push(step(
            Some("R2.2"),
            "night-key",
            &[("location", location.clone())],
            StepAction::FetchNightKey { location },
        ));
    } else {
        let location = unit.day_key_location.clone();
        steps.push(step(
            Some("R2.1"),
            "day-spare-key",
            &[("location", location.clone())],
            StepAction::FetchDaySpareKey { location },
        ));
    }
    let own = match lang {
        Language::English => unit
            .acute_key_routine_en
            .clone()
            .or_else(|| unit.acute_key_routine.clone()),
        Language::Swedish => unit.acute_key_routine.clone(),
    }
    .filter(|t| !t.trim().is_empty());
    let action = StepAction::AcuteKeyHandling {
        routine: own.clone(),
    };
    match own {
        Some(routine) => steps.push(step(
            Some("R2.8"),
            "acute-key-handling-unit",
            &[("routine", routine)],
            action,
        )),
        None => steps.push(step(Some("R2.8"), "acute-key-handling", &[], action)),
    }
    steps.push(step(
        Some("R2.9"),
        "document-outage",
        &[],
        StepAction::DocumentOutage,
    ));
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
