//! Failed locks: the guidance for one (R2) and the worker's report of it
//! (R2.9), kept offline with the steps done and their times, and sent to
//! the server as events (each revision its own event id; the server keys
//! the case on the report id).

use chrono::{TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::json;

use crate::app::AppInner;
use crate::error::{Error, Result};
use crate::guidance::{
    self, FailureKind, GuidanceContext, GuidanceStep, Language, Shift, is_night,
};
use crate::model::UnitSettings;
use crate::outbox;

/// A worker's report of a lock that does not work.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FailedLockReport {
    /// The lock, if known (a lock not found may still be named by the visit).
    pub lock_id: Option<String>,
    /// The visit, if the report is made for one.
    pub visit_id: Option<String>,
    /// What failed (from the unlock outcome, or a manual report).
    pub failure: FailureKind,
    /// Routine steps already done (e.g. ["R2.6"] after calling the coordinator).
    pub steps_done: Vec<String>,
}

/// A stored report with its steps.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OutageReportView {
    /// The report's id.
    pub report_id: String,
    /// The lock, if known.
    pub lock_id: Option<String>,
    /// The visit, if any.
    pub visit_id: Option<String>,
    /// What failed ("jammed", "lock_not_found", …).
    pub cause: String,
    /// When (trusted time).
    pub occurred_at: i64,
    /// The routine's steps and when each was done.
    pub steps: Vec<ReportStep>,
}

/// A routine step in a report.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReportStep {
    /// E.g. "R2.6".
    pub routine_id: String,
    /// When it was done, if it was.
    pub done_at: Option<i64>,
}

/// The unit, lock and brukare a failure concerns.
struct Place {
    unit: UnitSettings,
    lock_id: Option<String>,
    brukare_id: Option<String>,
}

fn place(
    tx: &rusqlite::Connection,
    visit_id: Option<&str>,
    lock_id: Option<&str>,
) -> Result<Place> {
    let from_visit: Option<(String, String, String)> = match visit_id {
        Some(v) => tx
            .query_row(
                "SELECT unit_id, lock_id, brukare_id FROM visits WHERE visit_id = ?1",
                [v],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?,
        None => None,
    };
    let lock_id = lock_id
        .map(str::to_owned)
        .or_else(|| from_visit.as_ref().map(|v| v.1.clone()));
    let brukare_id = match (&from_visit, &lock_id) {
        (Some(v), _) => Some(v.2.clone()),
        (None, Some(l)) => tx
            .query_row(
                "SELECT brukare_id FROM locks WHERE lock_id = ?1",
                [l],
                |r| r.get(0),
            )
            .optional()?
            .flatten(),
        _ => None,
    };
    // The visit's unit, else the worker's own.
    let unit_id: Option<String> = match from_visit.map(|v| v.0) {
        Some(u) => Some(u),
        None => tx
            .query_row(
                "SELECT value FROM meta WHERE key = 'sync.unit_id'",
                [],
                |r| r.get(0),
            )
            .optional()?,
    };
    let unit = tx
        .query_row(
            &format!(
                "SELECT {} FROM unit_settings WHERE (?1 IS NULL OR unit_id = ?1) \
                 ORDER BY unit_id LIMIT 1",
                UnitSettings::COLUMNS
            ),
            [&unit_id],
            UnitSettings::from_row,
        )
        .optional()?
        .ok_or_else(|| Error::NotFound("unit settings (sync first)".into()))?;
    Ok(Place {
        unit,
        lock_id,
        brukare_id,
    })
}

/// The worker's shift at `now` (R2.1, R2.2: day or night key): the night
/// patrol's role; else a shift in the bundle around now (an hour either
/// side); else the day's round of visits, by when its first visit starts
/// (night 22–07, evening from 14:00, day before); none when nothing is
/// known (the clock decides then).
fn shift(tx: &rusqlite::Connection, unit: &UnitSettings, now: i64) -> Result<Option<Shift>> {
    let role: Option<String> = tx
        .query_row("SELECT value FROM meta WHERE key = 'sync.role'", [], |r| {
            r.get(0)
        })
        .optional()?;
    if role.as_deref() == Some("night_patrol") {
        return Ok(Some(Shift::Night));
    }
    let around: Option<String> = tx
        .query_row(
            "SELECT kind FROM shifts WHERE starts_at - 3600 <= ?1 AND ends_at + 3600 > ?1
             ORDER BY (starts_at <= ?1 AND ends_at > ?1) DESC, starts_at DESC LIMIT 1",
            [now],
            |r| r.get(0),
        )
        .optional()?;
    match around.as_deref() {
        Some("night") => return Ok(Some(Shift::Night)),
        Some("evening") => return Ok(Some(Shift::Evening)),
        Some("day") => return Ok(Some(Shift::Day)),
        _ => {}
    }
    let round: Option<(Option<i64>, Option<i64>)> = tx
        .query_row("SELECT MIN(starts_at), MAX(ends_at) FROM visits", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let Some((Some(first), Some(last))) = round else {
        return Ok(None);
    };
    if now < first - 3600 || now > last + 2 * 3600 {
        return Ok(None);
    }
    let tz: Tz = unit
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Europe::Stockholm);
    let Some(start) = Utc.timestamp_opt(first, 0).single() else {
        return Ok(None);
    };
    let start = start.with_timezone(&tz).time();
    Ok(Some(if is_night(start) {
        Shift::Night
    } else if start.hour() >= 14 {
        Shift::Evening
    } else {
        Shift::Day
    }))
}

/// Distinct locks this phone knows to be down in the last 12 hours,
/// counting `also` (the lock failing now).
fn locks_down(tx: &rusqlite::Connection, now: i64, also: Option<&str>) -> Result<u32> {
    let mut stmt = tx.prepare_cached(
        "SELECT DISTINCT lock_id FROM outage_reports WHERE lock_id IS NOT NULL AND occurred_at > ?1",
    )?;
    let mut locks: Vec<String> = stmt
        .query_map([now - 12 * 3_600], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if let Some(l) = also
        && !locks.iter().any(|x| x == l)
    {
        locks.push(l.to_owned());
    }
    Ok(u32::try_from(locks.len()).unwrap_or(u32::MAX).max(1))
}

/// The routine's steps for a failure now.
pub(crate) fn guidance_for(
    app: &AppInner,
    failure: FailureKind,
    visit_id: Option<&str>,
    lock_id: Option<&str>,
    language: Language,
) -> Result<Vec<GuidanceStep>> {
    app.store.read(|c| {
        let now = app.time.peek(c)?.unix;
        let p = place(c, visit_id, lock_id)?;
        Ok(guidance::guidance(&GuidanceContext {
            failure,
            at: now,
            shift: shift(c, &p.unit, now)?,
            locks_down: locks_down(c, now, p.lock_id.as_deref())?,
            unit: p.unit,
            language,
        }))
    })
}

/// Stores a report and queues it for the server.
pub(crate) fn report(app: &AppInner, r: &FailedLockReport) -> Result<String> {
    app.store.write(|tx| {
        let now = app.time.now(tx)?.unix;
        let p = place(tx, r.visit_id.as_deref(), r.lock_id.as_deref())?;
        let shift = shift(tx, &p.unit, now)?;
        let steps = guidance::guidance(&GuidanceContext {
            failure: r.failure.clone(),
            at: now,
            shift,
            locks_down: locks_down(tx, now, p.lock_id.as_deref())?,
            unit: p.unit.clone(),
            language: Language::Swedish,
        });
        // Each routine step once (R2.6 is both the question and the call).
        let mut report_steps: Vec<ReportStep> = Vec::new();
        for id in steps.iter().filter_map(|s| s.routine_id.clone()) {
            if !report_steps.iter().any(|s| s.routine_id == id) {
                report_steps.push(ReportStep {
                    done_at: r.steps_done.contains(&id).then_some(now),
                    routine_id: id,
                });
            }
        }
        // Making this report is documenting the outage (R2.9).
        for s in &mut report_steps {
            if s.routine_id == "R2.9" {
                s.done_at = Some(now);
            }
        }
        let tz: Tz = p.unit.time_zone.parse().unwrap_or(chrono_tz::Europe::Stockholm);
        let local = Utc.timestamp_opt(now, 0).single().map(|t| t.with_timezone(&tz));
        // R2.13: the routine's weekend from the unit's own hours.
        let weekend = guidance::is_weekend(&p.unit, now);
        let night = match shift {
            Some(s) => s == Shift::Night,
            None => local.is_some_and(|t| is_night(t.time())),
        };
        let report_id = outbox::new_event_id()?;
        tx.execute(
            "INSERT INTO outage_reports (report_id, lock_id, brukare_id, visit_id, cause, occurred_at,
                 steps, weekend_or_holiday, night, revision, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?6)",
            params![
                report_id,
                p.lock_id,
                p.brukare_id,
                r.visit_id,
                r.failure.code(),
                now,
                steps_json(&report_steps).to_string(),
                weekend,
                night
            ],
        )?;
        queue(tx, &report_id, now)?;
        Ok(report_id)
    })
}

/// Marks a routine step of a report done now, and queues the update.
pub(crate) fn mark_step_done(app: &AppInner, report_id: &str, routine_id: &str) -> Result<()> {
    app.store.write(|tx| {
        let now = app.time.now(tx)?.unix;
        let steps: String = tx
            .query_row(
                "SELECT steps FROM outage_reports WHERE report_id = ?1",
                [report_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("report {report_id}")))?;
        let mut steps = parse_steps(&steps);
        let step = steps
            .iter_mut()
            .find(|s| s.routine_id == routine_id)
            .ok_or_else(|| {
                Error::InvalidInput(format!("{routine_id} is not a step of this report"))
            })?;
        if step.done_at.is_some() {
            return Ok(()); // already done: nothing new to tell
        }
        step.done_at = Some(now);
        tx.execute(
            "UPDATE outage_reports SET steps = ?1, revision = revision + 1, updated_at = ?2
             WHERE report_id = ?3",
            params![steps_json(&steps).to_string(), now, report_id],
        )?;
        queue(tx, report_id, now)
    })
}

fn steps_json(steps: &[ReportStep]) -> serde_json::Value {
    serde_json::Value::Array(
        steps
            .iter()
            .map(|s| json!({ "id": s.routine_id, "done_at": s.done_at }))
            .collect(),
    )
}

fn parse_steps(s: &str) -> Vec<ReportStep> {
    serde_json::from_str::<Vec<serde_json::Value>>(s)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| {
            Some(ReportStep {
                routine_id: v.get("id")?.as_str()?.to_owned(),
                done_at: v.get("done_at").and_then(|d| d.as_i64()),
            })
        })
        .collect()
}

/// Queues the report's current revision as an `outage_report` event.
fn queue(tx: &Transaction<'_>, report_id: &str, now: i64) -> Result<()> {
    let (payload, revision): (serde_json::Value, i64) = tx.query_row(
        "SELECT lock_id, brukare_id, visit_id, cause, occurred_at, steps, weekend_or_holiday,
                night, revision
         FROM outage_reports WHERE report_id = ?1",
        [report_id],
        |r| {
            let steps: String = r.get(5)?;
            Ok((
                json!({
                    "report_id": report_id,
                    "lock_id": r.get::<_, Option<String>>(0)?,
                    "brukare_id": r.get::<_, Option<String>>(1)?,
                    "visit_id": r.get::<_, Option<String>>(2)?,
                    "cause": r.get::<_, String>(3)?,
                    "occurred_at": r.get::<_, i64>(4)?,
                    "steps": serde_json::from_str::<serde_json::Value>(&steps).unwrap_or_default(),
                    "weekend_or_holiday": r.get::<_, bool>(6)?,
                    "night": r.get::<_, bool>(7)?,
                }),
                r.get(8)?,
            ))
        },
    )?;
    outbox::record_event(
        tx,
        &format!("outage-{report_id}-{revision}"),
        "outage_report",
        &payload,
        now,
    )?;
    Ok(())
}

/// Reports made on this phone, newest first.
pub(crate) fn reports(app: &AppInner, limit: u32) -> Result<Vec<OutageReportView>> {
    app.store.read(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT report_id, lock_id, visit_id, cause, occurred_at, steps
             FROM outage_reports ORDER BY occurred_at DESC, rowid DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok(OutageReportView {
                report_id: r.get(0)?,
                lock_id: r.get(1)?,
                visit_id: r.get(2)?,
                cause: r.get(3)?,
                occurred_at: r.get(4)?,
                steps: parse_steps(&r.get::<_, String>(5)?),
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
}
