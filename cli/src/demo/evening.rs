//! The evening (issue 16, played end to end): after the coordinators have
//! gone home, an evening care worker finds a lock dead at 19:00. The app's
//! guidance follows the Swedish routine where it matters — can the brukare
//! open? (R2.6), the coordinator's office is closed (R2.6), call the night
//! patrol now with the unit's number (R2.12; on a weekend, R2.13), the
//! unit's key because it is an evening shift, not the night key (R2.1),
//! the unit's own acute key routine (R2.8), document (R2.9), the deviation
//! (R2.15). The report syncs, the server tells the night patrol itself at
//! once and records who was told, and the night patrol's phone shows it.

use std::path::Path;
use std::sync::Arc;

use nyckelfri_core::guidance::FailureKind;
use nyckelfri_core::{AppConfig, FailedLockReport, NyckelfriApp, SoftwareSigner};
use nyckelfri_server::DemoSummary;
use serde::Serialize;
use serde_json::Value;

use super::day::Stage;
use super::server_api::Api;
use crate::exit::CliError;
use crate::localtime::{self, hhmm};
use crate::progress;
use crate::texts::{self, NextStep};

/// The evening care worker (Hemtjänst Tumba, evening shift 15:00-22:00).
pub const EVENING_WORKER: &str = "st-tumba-cw4";
/// The night patrol whose phone shows the message.
pub const NIGHT_PATROL: &str = "st-natt-1";

/// What the evening did.
#[derive(Debug, Clone, Serialize)]
pub struct EveningReport {
    /// The evening worker.
    pub worker: String,
    /// When the lock failed, local "HH:MM".
    pub time: String,
    /// The brukare's display name.
    pub brukare: String,
    /// The lock.
    pub lock_id: String,
    /// The outcome at the door.
    pub outcome: &'static str,
    /// The routine's steps the worker got.
    pub next_steps: Vec<NextStep>,
    /// The outage case on the server (the report's id).
    pub case_id: String,
    /// When the night patrol was told (R2.12, R2.13).
    pub night_patrol_told_at: Option<i64>,
    /// Who told them: absent when the server did, at once (R2.12).
    pub night_patrol_told_by: Option<String>,
    /// Who was told: the night patrol serving the unit (staff ids).
    pub night_patrol_told: Vec<String>,
    /// The night patrol's phone has the message about this case.
    pub night_patrol_inbox: bool,
}

fn field<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.get(key).unwrap_or(&Value::Null)
}

fn code_for(demo: &DemoSummary, staff: &str) -> Result<String, CliError> {
    demo.enrollment_codes
        .iter()
        .find(|(_, c)| c.staff_id == staff)
        .map(|(_, c)| c.code.clone())
        .ok_or_else(|| CliError::failed(format!("the demo data has no {staff}")))
}

/// A phone of its own for `staff`, enrolled and synced.
async fn phone(
    stage: &Stage,
    dir: &Path,
    demo: &DemoSummary,
    staff: &str,
) -> Result<Arc<NyckelfriApp>, CliError> {
    let signer =
        SoftwareSigner::open_or_create(dir.join(format!("{staff}.key")).display().to_string())?;
    let app = NyckelfriApp::with_parts(
        AppConfig {
            database_path: dir.join(format!("{staff}.sqlite3")).display().to_string(),
            connect_timeout_ms: stage.fleet.connect_timeout_ms(),
            message_timeout_ms: stage.fleet.message_timeout_ms(),
            sync_backoff_ms: 20,
        },
        signer,
        stage.fleet.transport.clone(),
        Box::new(stage.clock.phone.clone()),
    )?;
    app.enroll(
        stage.backend.url.clone(),
        code_for(demo, staff)?,
        staff.into(),
    )
    .await?;
    app.sync().await?;
    Ok(app)
}

/// Plays the evening on the same demo world.
pub async fn play(
    stage: &mut Stage,
    dir: &Path,
    demo: &DemoSummary,
    date: chrono::NaiveDate,
) -> Result<EveningReport, CliError> {
    let s = stage.style;
    let indent = "       ";
    // 19:00, the evening round.
    let evening = localtime::at(stage.tz, date, 19, 0)
        .ok_or_else(|| CliError::failed(format!("{date} has no 19:00")))?;
    stage.clock.advance_to(evening);
    s.say("");
    s.say(format!(
        "{}  {}",
        hhmm(stage.tz, stage.clock.now()),
        s.bold("The evening: the coordinators have gone home (R2.12, issue 16)")
    ));
    let app = phone(stage, dir, demo, EVENING_WORKER).await?;
    let who = app
        .enrollment()?
        .map(|e| e.staff_name)
        .unwrap_or_else(|| EVENING_WORKER.into());
    let visits = app.today_visits()?;
    let v = visits
        .iter()
        .find(|v| v.starts_at >= evening - 3600)
        .or(visits.first())
        .cloned()
        .ok_or_else(|| CliError::failed(format!("{EVENING_WORKER} has no visits")))?;
    stage.clock.advance_to(v.starts_at.max(evening));
    if !stage.fleet.jam(&v.lock_id) {
        return Err(CliError::failed(format!("no simulated lock {}", v.lock_id)));
    }
    s.say(format!(
        "{}  {} ({who}, evening shift) · {} · {}",
        hhmm(stage.tz, stage.clock.now()),
        s.bold(&v.brukare_name),
        v.address,
        s.warn("(the demo jams this lock's bolt)")
    ));
    let attempt = progress::open_door(&app, &v.visit_id, s, stage.lang, indent).await?;
    let next_steps = texts::next_steps(&app, stage.lang, &attempt.outcome, Some(&v.visit_id))?;
    progress::print_outcome(s, stage.lang, &attempt, &next_steps, indent);

    // R2.9: the report, with the call to the night patrol done (R2.12, or
    // R2.13 on a weekend), synced at once.
    let failure = FailureKind::from_outcome(&attempt.outcome)
        .ok_or_else(|| CliError::failed("the jammed lock opened"))?;
    let told_step = next_steps
        .iter()
        .filter_map(|n| n.routine.clone())
        .find(|r| r == "R2.12" || r == "R2.13");
    let report_id = app.report_failed_lock(FailedLockReport {
        lock_id: Some(v.lock_id.clone()),
        visit_id: Some(v.visit_id.clone()),
        failure,
        steps_done: ["R2.6".to_owned()]
            .into_iter()
            .chain(told_step.clone())
            .collect(),
    })?;
    stage.clock.advance(2 * 60);
    let synced = app.sync().await?;
    s.say(format!(
        "{indent}{} report synced ({} events); the case reaches the coordinator when the office opens.",
        s.dim("⇅"),
        synced.events_sent
    ));

    // On the server: the night patrol was told, by whom and who.
    let api = Api::new(&stage.backend.url, &stage.backend.admin_token()?);
    let case = api
        .call("GET", &format!("/v1/outages/{report_id}"), None)
        .await?;
    let told_at = field(&case, "night_patrol_messaged_at").as_i64();
    let told_by = field(&case, "night_patrol_messaged_by")
        .as_str()
        .map(str::to_owned);
    let told: Vec<String> = field(&case, "night_patrol_told")
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    s.say(format!(
        "{indent}{} the night patrol was told at {} by {} ({}): {}.",
        if told_at.is_some() && !told.is_empty() {
            s.ok("✓")
        } else {
            s.bad("✗")
        },
        told_at
            .map(|t| hhmm(stage.tz, t))
            .unwrap_or_else(|| "—".into()),
        match &told_by {
            None => "the server itself, at once".to_owned(),
            Some(w) => format!("the worker's report ({w})"),
        },
        told_step.as_deref().unwrap_or("—"),
        told.join(", ")
    ));

    // The night patrol's phone shows it.
    let night = phone(stage, dir, demo, NIGHT_PATROL).await?;
    let inbox = night.inbox().await?;
    let message = inbox
        .iter()
        .find(|m| m.outage_id.as_deref() == Some(report_id.as_str()));
    s.say(format!(
        "{indent}{} the night patrol's phone ({NIGHT_PATROL}): {}",
        if message.is_some() {
            s.ok("✓")
        } else {
            s.bad("✗")
        },
        message
            .map(|m| format!("«{}»", m.subject))
            .unwrap_or_else(|| "no message".into())
    ));
    Ok(EveningReport {
        worker: EVENING_WORKER.into(),
        time: hhmm(stage.tz, v.starts_at.max(evening)),
        brukare: v.brukare_name.clone(),
        lock_id: v.lock_id.clone(),
        outcome: texts::outcome_code(&attempt.outcome),
        next_steps,
        case_id: report_id,
        night_patrol_told_at: told_at,
        night_patrol_told_by: told_by,
        night_patrol_told: told,
        night_patrol_inbox: message.is_some(),
    })
}

impl EveningReport {
    /// What is wrong with the evening, if anything.
    pub fn problems(&self, weekend: bool) -> Vec<String> {
        let mut p = Vec::new();
        let ids: Vec<&str> = self
            .next_steps
            .iter()
            .filter_map(|n| n.routine.as_deref())
            .collect();
        let told_step = if weekend { "R2.13" } else { "R2.12" };
        if !ids.contains(&told_step) {
            p.push(format!(
                "the evening worker was not told {told_step}: {ids:?}"
            ));
        }
        if !ids.contains(&"R2.1") || ids.contains(&"R2.2") {
            p.push(format!(
                "the evening shift's key is the unit's (R2.1), not the night key: {ids:?}"
            ));
        }
        if self.night_patrol_told_at.is_none() || self.night_patrol_told.is_empty() {
            p.push("the night patrol was not told of the evening's lock".into());
        }
        if !weekend && self.night_patrol_told_by.is_some() {
            p.push("after 17:00 the server tells the night patrol itself".into());
        }
        if !self.night_patrol_inbox {
            p.push("the night patrol's phone did not show the evening's lock".into());
        }
        p
    }
}
