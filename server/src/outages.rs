//! Outage cases: routine R2, *locks out of order*, on the server.
//!
//! - **Reports** (R2.9): the app uploads a worker's report of a failed lock
//!   as an event of kind [`REPORT_KIND`] through the idempotent
//!   `POST /v1/events`; each revision of a report is its own event with the
//!   same `report_id`. A stored (not duplicate) event opens a case for the
//!   lock, attaches to the lock's open case, or updates its report.
//! - **Cases** (R2.6-R2.13): one open case per lock. The coordinator sees
//!   the brukare's care decision now (R2.7), marks the lock working again
//!   (R2.10), informs the alarm group (R2.11) and the night patrol, by
//!   17:00 local (R2.12). On a weekend or holiday the worker's report itself
//!   messages the alarm group, who take it on the next working day, and the
//!   night patrol (R2.13).
//! - **After hours** (R2.12): a case the server gets at or after its
//!   night-patrol deadline (a case opened after 17:00, or a report synced
//!   late) is messaged to the night patrol by the server at once, recording
//!   who was told and when; so is an open case whose deadline passes with
//!   no message (the scheduler, `crate::scheduler`).
//! - **Major outages** (R2.3, R2.4, R2.14, R2.16): the municipality's, not
//!   one unit's: the alarm group declares and ends them (`crate::major`);
//!   many locks down across units only suggest one to the alarm group. An
//!   open case joins the open major outage.
//! - **Deviations** (R2.5, R2.15): every case expects the worker's own
//!   deviation report; a report whose step R2.15 is done marks it written.
//!
//! Work on cases runs in transactions that first take a write lock on the
//! unit's row (see `lock_unit`), so that two reports for one lock never
//! open two cases and a case's messages are sent once.

use std::collections::BTreeSet;

use chrono::TimeZone;
use chrono_tz::Tz;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::api::messages::{NewMessage, insert_message_in};
use crate::auth::DeviceCaller;
use crate::codec;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::holidays;
use crate::major;
use crate::model::{
    Brukare, DecisionCheck, DecisionValidity, Deviation, DeviationKind, DeviationStatus, EventIn,
    Outage, OutageFilter, OutageReport, OutageReportData, OutageStatus, ReportStep, Role, Unit,
};
use crate::state::Settings;
use crate::store;
use crate::time;

/// The event kind of a worker's outage report.
pub const REPORT_KIND: &str = "outage_report";
/// Most routine steps in one report.
pub const MAX_STEPS: usize = 64;
/// Longest note a coordinator may add.
pub const MAX_NOTE: usize = 2000;

// ---------------------------------------------------------------- reports in

/// A report checked against the database, ready to ingest.
#[derive(Debug, Clone)]
pub(crate) struct CheckedReport {
    pub report_id: String,
    pub lock_id: Option<String>,
    pub brukare_id: Option<String>,
    pub visit_id: Option<String>,
    pub unit_id: String,
    pub cause: String,
    pub occurred_at: i64,
    pub steps: Vec<ReportStep>,
    pub weekend_or_holiday: bool,
    pub night: bool,
}

fn check_cause(cause: &str) -> Result<()> {
    let ok = !cause.is_empty()
        && cause.len() <= 64
        && cause.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b':' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(Error::bad(
            "data.cause must be 1 to 64 of lowercase letters, digits, '_', '.', ':' and '-' \
             (e.g. jammed, lock_not_found, refused:wrong_lock)",
        ))
    }
}

/// A missing referent in a report is the report's fault (400), not a 404.
fn unknown(e: Error) -> Error {
    match e {
        Error::NotFound { what, id } => Error::bad(format!("data names an unknown {what} '{id}'")),
        e => e,
    }
}

fn short(mut s: String) -> String {
    if s.chars().count() > 200 {
        s = s.chars().take(200).collect::<String>() + "…";
    }
    s
}

/// Checks an `outage_report` event's `data` and resolves its lock,
/// brukare, visit and unit. Unknown ids, a lock or visit of another
/// brukare, or a lock that differs from the event's are refused (400).
pub(crate) async fn check_report(
    db: &Db,
    reporter_unit: &str,
    e: &EventIn,
) -> Result<CheckedReport> {
    let raw = match &e.data {
        Some(v @ serde_json::Value::Object(_)) => v.clone(),
        _ => {
            return Err(Error::bad(
                "an outage_report needs data: {report_id, lock_id, cause, occurred_at, steps, …}",
            ));
        }
    };
    let d: OutageReportData = serde_json::from_value(raw)
        .map_err(|err| Error::bad(short(format!("data is not an outage report: {err}"))))?;
    codec::check_id(&d.report_id, "data.report_id")?;
    check_cause(&d.cause)?;
    let occurred_at = d.occurred_at.unwrap_or(e.occurred_at);
    codec::check_time(occurred_at, "data.occurred_at")?;
    if d.steps.len() > MAX_STEPS {
        return Err(Error::bad(format!(
            "data.steps may hold at most {MAX_STEPS} steps"
        )));
    }
    let mut seen = BTreeSet::new();
    for s in &d.steps {
        codec::check_routine_step(&s.id)?;
        if let Some(t) = s.done_at {
            codec::check_time(t, "data.steps[].done_at")?;
        }
        if !seen.insert(s.id.as_str()) {
            return Err(Error::bad(format!("data.steps names {} twice", s.id)));
        }
    }
    // The event's own lock and visit, if any, must agree with the report's.
    let lock_id = match (&d.lock_id, &e.lock_id) {
        (Some(a), Some(b)) if a != b => {
            return Err(Error::bad(
                "data.lock_id and the event's lock_id name different locks",
            ));
        }
        (a, b) => a.clone().or_else(|| b.clone()),
    };
    let visit_id = match (&d.visit_id, &e.visit_id) {
        (Some(a), Some(b)) if a != b => {
            return Err(Error::bad(
                "data.visit_id and the event's visit_id name different visits",
            ));
        }
        (a, b) => a.clone().or_else(|| b.clone()),
    };
    let mut brukare_id = d.brukare_id.clone();
    if let Some(b) = &brukare_id {
        codec::check_id(b, "data.brukare_id")?;
    }
    if let Some(l) = &lock_id {
        codec::check_id(l, "data.lock_id")?;
        let lock = store::lock(db, l).await.map_err(unknown)?;
        match (&brukare_id, &lock.brukare_id) {
            (Some(a), Some(b)) if a != b => {
                return Err(Error::bad(format!(
                    "lock '{l}' is at another brukare than data.brukare_id"
                )));
            }
            (None, Some(b)) => brukare_id = Some(b.clone()),
            _ => {}
        }
    }
    if let Some(v) = &visit_id {
        codec::check_id(v, "data.visit_id")?;
        let visit = store::visit(db, v).await.map_err(unknown)?;
        match &brukare_id {
            Some(b) if *b != visit.brukare_id => {
                return Err(Error::bad(format!(
                    "visit '{v}' is to another brukare than the report's"
                )));
            }
            None => brukare_id = Some(visit.brukare_id.clone()),
            _ => {}
        }
    }
    let unit_id = match &brukare_id {
        Some(b) => store::brukare(db, b).await.map_err(unknown)?.unit_id,
        None => reporter_unit.to_owned(),
    };
    Ok(CheckedReport {
        report_id: d.report_id,
        lock_id,
        brukare_id,
        visit_id,
        unit_id,
        cause: d.cause,
        occurred_at,
        steps: d.steps,
        weekend_or_holiday: d.weekend_or_holiday,
        night: d.night,
    })
}

// ---------------------------------------------------------------- helpers

/// A write on the unit's row, first in a transaction's outage work: in
/// PostgreSQL it holds the row lock until the transaction ends, so outage
/// work in one unit runs one at a time (one open case per lock, each
/// message once); SQLite serializes writers anyway.
async fn lock_unit(conn: &mut AnyConnection, unit_id: &str) -> Result<()> {
    sqlx::query("UPDATE units SET name = name WHERE id = $1")
        .bind(unit_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn flag(b: bool) -> i64 {
    i64::from(b)
}

fn parse_steps(json: &str) -> Vec<ReportStep> {
    serde_json::from_str(json).unwrap_or_default()
}

fn steps_json(steps: &[ReportStep]) -> Result<String> {
    serde_json::to_string(steps).map_err(|e| Error::Internal(format!("steps: {e}")))
}

/// Steps of two revisions: a step once done stays done (with its first time).
fn merge_steps(old: &[ReportStep], new: &[ReportStep]) -> Vec<ReportStep> {
    let mut out: Vec<ReportStep> = old.to_vec();
    for n in new {
        match out.iter_mut().find(|o| o.id == n.id) {
            Some(o) => o.done_at = o.done_at.or(n.done_at),
            None => out.push(n.clone()),
        }
    }
    out
}

fn local_stamp(tz: Tz, t: i64) -> String {
    tz.timestamp_opt(t, 0)
        .single()
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| t.to_string())
}

/// The case's row as stored.
#[derive(Debug, Clone)]
pub(crate) struct CaseRow {
    id: String,
    unit_id: String,
    status: OutageStatus,
    lock_id: Option<String>,
    brukare_id: Option<String>,
    visit_id: Option<String>,
    cause: String,
    opened_at: i64,
    reported_at: i64,
    reported_by: String,
    weekend_or_holiday: bool,
    night: bool,
    night_patrol_deadline_at: i64,
    night_patrol_messaged_at: Option<i64>,
    night_patrol_messaged_by: Option<String>,
    alarm_group_informed_at: Option<i64>,
    alarm_group_informed_by: Option<String>,
    alarm_group_handle_from: Option<i64>,
    needs_assessor_messaged_at: Option<i64>,
    needs_assessor_messaged_by: Option<String>,
    night_patrol_message_id: Option<String>,
    repaired_at: Option<i64>,
    repaired_by: Option<String>,
    repair_note: Option<String>,
    major_outage_id: Option<String>,
    working_at: Option<i64>,
    closed_at: Option<i64>,
    closed_by: Option<String>,
    close_note: Option<String>,
}

fn row_case(r: &AnyRow) -> Result<CaseRow> {
    Ok(CaseRow {
        id: r.try_get("id")?,
        unit_id: r.try_get("unit_id")?,
        status: OutageStatus::parse(&r.try_get::<String, _>("status")?)?,
        lock_id: r.try_get("lock_id")?,
        brukare_id: r.try_get("brukare_id")?,
        visit_id: r.try_get("visit_id")?,
        cause: r.try_get("cause")?,
        opened_at: r.try_get("opened_at")?,
        reported_at: r.try_get("reported_at")?,
        reported_by: r.try_get("reported_by")?,
        weekend_or_holiday: r.try_get::<i64, _>("weekend_or_holiday")? != 0,
        night: r.try_get::<i64, _>("night")? != 0,
        night_patrol_deadline_at: r.try_get("night_patrol_deadline_at")?,
        night_patrol_messaged_at: r.try_get("night_patrol_messaged_at")?,
        night_patrol_messaged_by: r.try_get("night_patrol_messaged_by")?,
        alarm_group_informed_at: r.try_get("alarm_group_informed_at")?,
        alarm_group_informed_by: r.try_get("alarm_group_informed_by")?,
        alarm_group_handle_from: r.try_get("alarm_group_handle_from")?,
        needs_assessor_messaged_at: r.try_get("needs_assessor_messaged_at")?,
        needs_assessor_messaged_by: r.try_get("needs_assessor_messaged_by")?,
        night_patrol_message_id: r.try_get("night_patrol_message_id")?,
        repaired_at: r.try_get("repaired_at")?,
        repaired_by: r.try_get("repaired_by")?,
        repair_note: r.try_get("repair_note")?,
        major_outage_id: r.try_get("major_outage_id")?,
        working_at: r.try_get("working_at")?,
        closed_at: r.try_get("closed_at")?,
        closed_by: r.try_get("closed_by")?,
        close_note: r.try_get("close_note")?,
    })
}

pub(crate) async fn case_in(conn: &mut AnyConnection, id: &str) -> Result<CaseRow> {
    let r = sqlx::query("SELECT * FROM outages WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::not_found("outage", id))?;
    row_case(&r)
}

async fn case_of(db: &Db, id: &str) -> Result<CaseRow> {
    let r = sqlx::query("SELECT * FROM outages WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| Error::not_found("outage", id))?;
    row_case(&r)
}

/// The unit an existing case belongs to (for access checks).
pub(crate) async fn case_unit(db: &Db, id: &str) -> Result<String> {
    Ok(case_of(db, id).await?.unit_id)
}

/// "Låsvred l1 hos Astrid B. (b1), Demogatan 1": what every message says
/// about the case.
fn place_text(case: &CaseRow, brukare: Option<&Brukare>) -> String {
    let lock = match &case.lock_id {
        Some(l) => format!("Låsvred {l}"),
        None => "Ett låsvred (inte identifierat)".to_owned(),
    };
    match brukare {
        Some(b) => format!("{lock} hos {} ({}), {}", b.display_name, b.id, b.address),
        None => lock,
    }
}

async fn brukare_of(db: &Db, case: &CaseRow) -> Result<Option<Brukare>> {
    match &case.brukare_id {
        Some(b) => Ok(Some(store::brukare(db, b).await?)),
        None => Ok(None),
    }
}

// ---------------------------------------------------------------- ingest

/// Ingests one stored `outage_report` event inside the events transaction
/// (R2.9): updates the report if its id is known, or attaches it to the
/// open case of its lock (or, with no lock, of its brukare), or opens a
/// case with the report's id. Then: the minor deviation (R2.15), the
/// weekend or after-hours messages (R2.12, R2.13) and the major outage
/// (R2.3: it joins an open one, or many locks down suggest one).
pub(crate) async fn ingest(
    conn: &mut AnyConnection,
    settings: &Settings,
    reporter: &DeviceCaller,
    event_id: &str,
    r: &CheckedReport,
    now: i64,
) -> Result<()> {
    lock_unit(conn, &r.unit_id).await?;
    let existing = sqlx::query(
        "SELECT outage_id, staff_id, steps, lock_id, weekend_or_holiday, night \
         FROM outage_reports WHERE report_id = $1",
    )
    .bind(&r.report_id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = existing {
        return update_report(conn, settings, reporter, event_id, r, &row, now).await;
    }

    // A report for a lock (or, unidentified, a brukare) with an open case
    // attaches to it; otherwise it opens one.
    let open: Option<String> = match (&r.lock_id, &r.brukare_id) {
        (Some(l), _) => {
            sqlx::query_scalar("SELECT id FROM outages WHERE lock_id = $1 AND status = 'open'")
                .bind(l)
                .fetch_optional(&mut *conn)
                .await?
        }
        (None, Some(b)) => {
            sqlx::query_scalar(
                "SELECT id FROM outages WHERE brukare_id = $1 AND status = 'open' \
                 ORDER BY opened_at DESC, id LIMIT 1",
            )
            .bind(b)
            .fetch_optional(&mut *conn)
            .await?
        }
        (None, None) => None,
    };
    let (case_id, opened) = match open {
        Some(id) => (id, false),
        None => {
            open_case(conn, reporter, r, now).await?;
            (r.report_id.clone(), true)
        }
    };
    sqlx::query(
        "INSERT INTO outage_reports (report_id, outage_id, event_id, staff_id, device_id, lock_id, \
         brukare_id, visit_id, cause, occurred_at, received_at, updated_at, weekend_or_holiday, \
         night, steps) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14)",
    )
    .bind(&r.report_id)
    .bind(&case_id)
    .bind(event_id)
    .bind(&reporter.staff.id)
    .bind(&reporter.device_id)
    .bind(r.lock_id.clone())
    .bind(r.brukare_id.clone())
    .bind(r.visit_id.clone())
    .bind(&r.cause)
    .bind(r.occurred_at)
    .bind(now)
    .bind(flag(r.weekend_or_holiday))
    .bind(flag(r.night))
    .bind(steps_json(&r.steps)?)
    .execute(&mut *conn)
    .await?;
    if r.weekend_or_holiday {
        sqlx::query("UPDATE outages SET weekend_or_holiday = 1 WHERE id = $1")
            .bind(&case_id)
            .execute(&mut *conn)
            .await?;
    }
    if opened {
        // R2.5, R2.15: the worker's own deviation report is expected.
        let dev = codec::new_id("avv")?;
        sqlx::query(
            "INSERT INTO deviations (id, kind, unit_id, cluster_id, assigned_role, assigned_to, \
             created_at, status) VALUES ($1, 'minor', $2, NULL, $3, $4, $5, 'expected')",
        )
        .bind(&dev)
        .bind(&r.unit_id)
        .bind(reporter.staff.role.as_str())
        .bind(&reporter.staff.id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        sqlx::query("INSERT INTO deviation_outages (deviation_id, outage_id) VALUES ($1, $2)")
            .bind(&dev)
            .bind(&case_id)
            .execute(&mut *conn)
            .await?;
    }
    after_report(conn, reporter, &case_id, r, &r.steps, now).await?;
    if opened {
        major::case_opened(conn, settings, &case_id, now).await?;
    }
    Ok(())
}

async fn open_case(
    conn: &mut AnyConnection,
    reporter: &DeviceCaller,
    r: &CheckedReport,
    now: i64,
) -> Result<()> {
    let (unit, tz) = store::unit_tz_in(conn, &r.unit_id).await?;
    // A clock running ahead on the phone does not open a case in the future.
    let opened_at = r.occurred_at.min(now);
    // R2.12: the night patrol must be told by 17:00 that day, or at once.
    let deadline =
        time::night_patrol_deadline_for(tz, opened_at, &unit.settings.night_patrol_deadline)?;
    // R2.13: the case is a weekend case if the app's calendar or the
    // server's says so, whichever saw it first.
    let weekend = r.weekend_or_holiday
        || holidays::is_weekend_period(tz, unit.settings.office_hours(), opened_at)?;
    sqlx::query(
        "INSERT INTO outages (id, unit_id, lock_id, brukare_id, visit_id, cause, status, opened_at, \
         reported_at, reported_by, weekend_or_holiday, night, night_patrol_deadline_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, $10, $11, $12, $8)",
    )
    .bind(&r.report_id)
    .bind(&r.unit_id)
    .bind(r.lock_id.clone())
    .bind(r.brukare_id.clone())
    .bind(r.visit_id.clone())
    .bind(&r.cause)
    .bind(opened_at)
    .bind(now)
    .bind(&reporter.staff.id)
    .bind(flag(weekend))
    .bind(flag(r.night))
    .bind(deadline)
    .execute(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => Error::Conflict(format!(
            "report id '{}' is already the id of an outage case",
            r.report_id
        )),
        _ => Error::Database(e),
    })?;
    Ok(())
}

/// A later revision of a known report: merge its steps, fill in what was
/// unknown; a case that had no lock takes the report's, unless that lock
/// already has an open case.
#[allow(clippy::too_many_arguments)]
async fn update_report(
    conn: &mut AnyConnection,
    settings: &Settings,
    reporter: &DeviceCaller,
    event_id: &str,
    r: &CheckedReport,
    row: &AnyRow,
    now: i64,
) -> Result<()> {
    let case_id: String = row.try_get("outage_id")?;
    let staff_id: String = row.try_get("staff_id")?;
    if staff_id != reporter.staff.id {
        return Err(Error::Conflict(format!(
            "report id '{}' belongs to another worker's report",
            r.report_id
        )));
    }
    let steps = merge_steps(&parse_steps(&row.try_get::<String, _>("steps")?), &r.steps);
    let weekend = row.try_get::<i64, _>("weekend_or_holiday")? != 0 || r.weekend_or_holiday;
    let night = row.try_get::<i64, _>("night")? != 0 || r.night;
    sqlx::query(
        "UPDATE outage_reports SET event_id = $1, lock_id = COALESCE(lock_id, $2), \
         brukare_id = COALESCE(brukare_id, $3), visit_id = COALESCE(visit_id, $4), cause = $5, \
         updated_at = $6, weekend_or_holiday = $7, night = $8, steps = $9 WHERE report_id = $10",
    )
    .bind(event_id)
    .bind(r.lock_id.clone())
    .bind(r.brukare_id.clone())
    .bind(r.visit_id.clone())
    .bind(&r.cause)
    .bind(now)
    .bind(flag(weekend))
    .bind(flag(night))
    .bind(steps_json(&steps)?)
    .bind(&r.report_id)
    .execute(&mut *conn)
    .await?;
    // The report that opened the case gives it its cause.
    sqlx::query(
        "UPDATE outages SET cause = $1, weekend_or_holiday = $2, updated_at = $3 \
         WHERE id = $4 AND id = $5",
    )
    .bind(&r.cause)
    .bind(flag(weekend))
    .bind(now)
    .bind(&case_id)
    .bind(&r.report_id)
    .execute(&mut *conn)
    .await?;
    let mut lock_attached = false;
    if let Some(l) = &r.lock_id {
        let n = sqlx::query(
            "UPDATE outages SET lock_id = $1, brukare_id = COALESCE(brukare_id, $2), updated_at = $3 \
             WHERE id = $4 AND status = 'open' AND lock_id IS NULL \
             AND NOT EXISTS (SELECT 1 FROM outages o WHERE o.lock_id = $1 AND o.status = 'open')",
        )
        .bind(l)
        .bind(r.brukare_id.clone())
        .bind(now)
        .bind(&case_id)
        .execute(&mut *conn)
        .await?;
        lock_attached = n.rows_affected() == 1;
    }
    let merged = CheckedReport {
        weekend_or_holiday: weekend,
        ..r.clone()
    };
    after_report(conn, reporter, &case_id, &merged, &steps, now).await?;
    if lock_attached {
        major::case_opened(conn, settings, &case_id, now).await?;
    }
    Ok(())
}

/// What every report (new or revised) sets off: R2.15 done marks the
/// case's minor deviation written. Then, once per case: on a weekend or
/// holiday (R2.13) the report messages the alarm group and the night patrol
/// for the worker; otherwise, once the night patrol's deadline has passed
/// (a case opened after 17:00, or a report synced late, R2.12), the server
/// messages the night patrol itself.
async fn after_report(
    conn: &mut AnyConnection,
    reporter: &DeviceCaller,
    case_id: &str,
    r: &CheckedReport,
    steps: &[ReportStep],
    now: i64,
) -> Result<()> {
    if let Some(done) = steps
        .iter()
        .find(|s| s.id == "R2.15")
        .and_then(|s| s.done_at)
    {
        sqlx::query(
            "UPDATE deviations SET status = 'reported', reported_at = $1, reported_by = $2 \
             WHERE kind = 'minor' AND status = 'expected' \
             AND id IN (SELECT deviation_id FROM deviation_outages WHERE outage_id = $3)",
        )
        .bind(done)
        .bind(&reporter.staff.id)
        .bind(case_id)
        .execute(&mut *conn)
        .await?;
    }
    let case = case_in(conn, case_id).await?;
    if case.status != OutageStatus::Open {
        return Ok(());
    }
    let (unit, tz) = store::unit_tz_in(conn, &case.unit_id).await?;
    let hours = unit.settings.office_hours();
    // R2.13: whichever side saw the weekend first sets the case's flag.
    let weekend = case.weekend_or_holiday
        || r.weekend_or_holiday
        || holidays::is_weekend_period(tz, hours, r.occurred_at.min(now))?;
    if weekend && !case.weekend_or_holiday {
        sqlx::query("UPDATE outages SET weekend_or_holiday = 1, updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&case.id)
            .execute(&mut *conn)
            .await?;
    }
    let brukare = match &case.brukare_id {
        Some(b) => Some(store::brukare_in(conn, b).await?),
        None => None,
    };
    let place = place_text(&case, brukare.as_ref());
    let since = local_stamp(tz, case.opened_at);
    let from = Some((reporter.staff.id.as_str(), reporter.staff.role));
    if !weekend {
        // R2.12: past the deadline nobody is left to tell the night patrol
        // in time: the server does, at once.
        if case.night_patrol_messaged_at.is_none() && now >= case.night_patrol_deadline_at {
            let note = format!(
                " Skickat direkt av Nyckelfri: ärendet kom efter kl {} då nattpatrullen ska vara \
                 meddelad (R2.12). Rapporterat av {} på plats.",
                unit.settings.night_patrol_deadline, reporter.staff.name
            );
            message_night_patrol(conn, &case, &unit, &place, "R2.12", None, &note, now).await?;
        }
        return Ok(());
    }
    // R2.13: the worker on site messages the alarm group, who take the case
    // on the next working day, and the night patrol. The app's report does
    // both for the worker.
    if case.alarm_group_informed_at.is_none() {
        let handle_from = holidays::alarm_group_handle_from(tz, hours, r.occurred_at, true)?;
        let when = handle_from
            .map(|t| format!(" Tas om hand från {}.", local_stamp(tz, t)))
            .unwrap_or_default();
        let body = format!(
            "{place} är ur funktion sedan {since} (orsak: {}). Rapporterat under helg av \
             medarbetaren på plats. Ärende {}.{when}",
            case.cause, case.id
        );
        let msg = NewMessage {
            id: codec::new_id("msg")?,
            to_role: Role::AlarmTechnician,
            unit_id: Some(&case.unit_id),
            from,
            routine_step: Some("R2.13"),
            subject: "Låsvred ur funktion (helg)",
            body: &body,
            brukare_id: case.brukare_id.as_deref(),
            lock_id: case.lock_id.as_deref(),
            handle_from,
            outage_id: Some(&case.id),
            deadline_at: None,
        };
        insert_message_in(&mut *conn, &msg, now).await?;
        sqlx::query(
            "UPDATE outages SET alarm_group_informed_at = $1, alarm_group_informed_by = $2, \
             alarm_group_handle_from = $3, updated_at = $1 \
             WHERE id = $4 AND alarm_group_informed_at IS NULL",
        )
        .bind(now)
        .bind(&reporter.staff.id)
        .bind(handle_from)
        .bind(&case.id)
        .execute(&mut *conn)
        .await?;
    }
    if case.night_patrol_messaged_at.is_none() {
        message_night_patrol(conn, &case, &unit, &place, "R2.13", from, "", now).await?;
    }
    Ok(())
}

/// Messages the night patrol of the case's unit (R2.12, R2.13) and records
/// on the case when, by whom (`from`; `None`: the server) and which
/// message, so that who was told is known. Once per case: returns whether
/// this call sent it.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn message_night_patrol(
    conn: &mut AnyConnection,
    case: &CaseRow,
    unit: &Unit,
    place: &str,
    step: &str,
    from: Option<(&str, Role)>,
    note: &str,
    now: i64,
) -> Result<bool> {
    let tz = time::parse_tz(&unit.settings.time_zone)?;
    let id = codec::new_id("msg")?;
    let body = format!(
        "{place} är ur funktion sedan {}. Nattnyckeln: {}. Ärende {}.{note}",
        local_stamp(tz, case.opened_at),
        unit.settings.night_key_location,
        case.id
    );
    let claimed = sqlx::query(
        "UPDATE outages SET night_patrol_messaged_at = $1, night_patrol_messaged_by = $2, \
         night_patrol_message_id = $3, updated_at = $1 \
         WHERE id = $4 AND night_patrol_messaged_at IS NULL AND status = 'open'",
    )
    .bind(now)
    .bind(from.map(|(s, _)| s.to_owned()))
    .bind(&id)
    .bind(&case.id)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if !claimed {
        return Ok(false);
    }
    let msg = NewMessage {
        id,
        to_role: Role::NightPatrol,
        unit_id: Some(&case.unit_id),
        from,
        routine_step: Some(step),
        subject: "Låsvred ur funktion – inför natten",
        body: &body,
        brukare_id: case.brukare_id.as_deref(),
        lock_id: case.lock_id.as_deref(),
        handle_from: None,
        outage_id: Some(&case.id),
        deadline_at: Some(case.night_patrol_deadline_at),
    };
    insert_message_in(&mut *conn, &msg, now).await?;
    Ok(true)
}

/// R2.12, for the scheduler: open cases whose night-patrol deadline has
/// passed with no message get one from the server, recording who was told.
/// Each case once, whichever instance runs it. Returns how many it sent.
pub(crate) async fn night_patrol_deadlines(db: &Db, now: i64) -> Result<u32> {
    let due: Vec<(String, String)> = sqlx::query(
        "SELECT id, unit_id FROM outages WHERE status = 'open' \
         AND night_patrol_messaged_at IS NULL AND night_patrol_deadline_at <= $1 \
         ORDER BY night_patrol_deadline_at, id LIMIT 500",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("unit_id")?)))
    .collect::<Result<_>>()?;
    let mut sent = 0;
    for (id, unit_id) in due {
        let mut tx = db.begin_write().await?;
        lock_unit(&mut tx, &unit_id).await?;
        let case = case_in(&mut tx, &id).await?;
        if case.status != OutageStatus::Open || case.night_patrol_messaged_at.is_some() {
            continue;
        }
        let (unit, _) = store::unit_tz_in(&mut tx, &unit_id).await?;
        let brukare = match &case.brukare_id {
            Some(b) => Some(store::brukare_in(&mut tx, b).await?),
            None => None,
        };
        let place = place_text(&case, brukare.as_ref());
        let note = format!(
            " Skickat av Nyckelfri: ingen hade meddelat nattpatrullen före kl {} (R2.12).",
            unit.settings.night_patrol_deadline
        );
        if message_night_patrol(&mut tx, &case, &unit, &place, "R2.12", None, &note, now).await? {
            sent += 1;
        }
        tx.commit().await?;
    }
    Ok(sent)
}

// ---------------------------------------------------------------- the coordinator

/// R2.10: closes the case (the lock works again at `working_at`): the
/// coordinator documents it. A case already closed is left as it was.
/// Ending a major outage is the alarm group's own act (`crate::major`).
pub(crate) async fn close_case(
    db: &Db,
    id: &str,
    working_at: i64,
    note: Option<&str>,
    by: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE outages SET status = 'closed', working_at = $1, closed_at = $2, closed_by = $3, \
         close_note = $4, updated_at = $2 WHERE id = $5 AND status = 'open'",
    )
    .bind(working_at)
    .bind(now)
    .bind(by.map(str::to_owned))
    .bind(note.map(str::to_owned))
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// R2.10, R2.11: the alarm group reports the lock repaired; the coordinator
/// is messaged to check and document that it works again ("Koordinator
/// dokumenterar när elektroniskt låsvred fungerar igen"). Once per case
/// (a repeat answers the case as it is). Returns whether it was recorded now.
pub(crate) async fn report_repaired(
    db: &Db,
    id: &str,
    note: Option<&str>,
    by: Option<(&str, Role)>,
    now: i64,
) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let n = sqlx::query(
        "UPDATE outages SET repaired_at = $1, repaired_by = $2, repair_note = $3, updated_at = $1 \
         WHERE id = $4 AND status = 'open' AND repaired_at IS NULL",
    )
    .bind(now)
    .bind(by.map(|(s, _)| s.to_owned()))
    .bind(note.map(str::to_owned))
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        let case = case_in(&mut tx, id).await?;
        if case.status != OutageStatus::Open {
            return Err(Error::Conflict(format!(
                "outage '{id}' is closed: the coordinator has documented that the lock works"
            )));
        }
        return Ok(false);
    }
    let case = case_in(&mut tx, id).await?;
    let (_, tz) = store::unit_tz_in(&mut tx, &case.unit_id).await?;
    let brukare = match &case.brukare_id {
        Some(b) => Some(store::brukare_in(&mut tx, b).await?),
        None => None,
    };
    let note = note
        .filter(|n| !n.trim().is_empty())
        .map(|n| format!("\n\n{n}"))
        .unwrap_or_default();
    let body = format!(
        "Larmgruppen har lagat {} ({}). Kontrollera och dokumentera att låsvredet fungerar igen \
         (R2.10). Ärende {}.{note}",
        place_text(&case, brukare.as_ref()),
        local_stamp(tz, now),
        case.id
    );
    let msg = NewMessage {
        id: format!("r2.10-{}", case.id),
        to_role: Role::Coordinator,
        unit_id: Some(&case.unit_id),
        from: by,
        routine_step: Some("R2.10"),
        subject: "Låsvred lagat – dokumentera att det fungerar",
        body: &body,
        brukare_id: case.brukare_id.as_deref(),
        lock_id: case.lock_id.as_deref(),
        handle_from: None,
        outage_id: Some(&case.id),
        deadline_at: None,
    };
    insert_message_in(&mut tx, &msg, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Which role a coordinator's message about a case goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CaseMessage {
    /// R2.7: the care decision has ended; the needs assessor decides.
    NeedsAssessor,
    /// R2.11: the alarm group tries to fix the lock.
    AlarmGroup,
    /// R2.12: the night patrol prepares for the night.
    NightPatrol,
}

impl CaseMessage {
    /// The role whose inbox gets it.
    pub(crate) fn role(self) -> Role {
        match self {
            Self::NeedsAssessor => Role::NeedsAssessor,
            Self::AlarmGroup => Role::AlarmTechnician,
            Self::NightPatrol => Role::NightPatrol,
        }
    }

    fn step(self) -> &'static str {
        match self {
            Self::NeedsAssessor => "R2.7",
            Self::AlarmGroup => "R2.11",
            Self::NightPatrol => "R2.12",
        }
    }

    fn columns(self) -> (&'static str, &'static str) {
        match self {
            Self::NeedsAssessor => ("needs_assessor_messaged_at", "needs_assessor_messaged_by"),
            Self::AlarmGroup => ("alarm_group_informed_at", "alarm_group_informed_by"),
            Self::NightPatrol => ("night_patrol_messaged_at", "night_patrol_messaged_by"),
        }
    }
}

/// Sends a coordinator's message about an open case and records it on the
/// case (the first time). Returns whether the message is new (a retry with
/// the same id is not).
pub(crate) async fn message_case(
    db: &Db,
    id: &str,
    kind: CaseMessage,
    message_id: &str,
    note: Option<&str>,
    from: Option<(&str, Role)>,
    now: i64,
) -> Result<bool> {
    let case = case_of(db, id).await?;
    let (unit, tz) = store::unit_tz(db, &case.unit_id).await?;
    let brukare = brukare_of(db, &case).await?;
    let place = place_text(&case, brukare.as_ref());
    let since = local_stamp(tz, case.opened_at);
    let note = note
        .filter(|n| !n.trim().is_empty())
        .map(|n| format!("\n\n{n}"))
        .unwrap_or_default();
    let mut handle_from = None;
    let (subject, body) = match kind {
        CaseMessage::NeedsAssessor => {
            let check = decision_check(db, case.brukare_id.as_deref(), tz, now).await?;
            let Some(b) = &brukare else {
                return Err(Error::Conflict(
                    "the case names no brukare, so there is no decision to ask about".into(),
                ));
            };
            let decision = match (&check.decision_id, check.ends_at) {
                (Some(d), Some(end)) => {
                    format!("Beslut {d} gäller till {}.", local_stamp(tz, end))
                }
                _ => "Inget beslut finns registrerat.".to_owned(),
            };
            (
                "Beslut har gått ut – låsvredet går inte att öppna",
                format!(
                    "Brukare {} ({}): {decision} Låsvredet går inte att öppna utan giltigt beslut. \
                     Ärende {}.{note}",
                    b.display_name, b.id, case.id
                ),
            )
        }
        CaseMessage::AlarmGroup => {
            handle_from =
                holidays::alarm_group_handle_from(tz, unit.settings.office_hours(), now, false)?;
            let when = handle_from
                .map(|t| format!(" Tas om hand från {}.", local_stamp(tz, t)))
                .unwrap_or_default();
            (
                "Låsvred ur funktion",
                format!(
                    "{place} är ur funktion sedan {since} (orsak: {}). Ärende {}.{when}{note}",
                    case.cause, case.id
                ),
            )
        }
        CaseMessage::NightPatrol => (
            "Låsvred ur funktion – inför natten",
            format!(
                "{place} är ur funktion sedan {since}. Nattnyckeln: {}. Ärende {}.{note}",
                unit.settings.night_key_location, case.id
            ),
        ),
    };
    let mut tx = db.begin_write().await?;
    let open = sqlx::query("UPDATE outages SET updated_at = $1 WHERE id = $2 AND status = 'open'")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1;
    if !open {
        return Err(Error::Conflict(format!(
            "outage '{id}' is closed: the lock works again"
        )));
    }
    let msg = NewMessage {
        id: message_id.to_owned(),
        to_role: kind.role(),
        unit_id: Some(&case.unit_id),
        from,
        routine_step: Some(kind.step()),
        subject,
        body: &body,
        brukare_id: case.brukare_id.as_deref(),
        lock_id: case.lock_id.as_deref(),
        handle_from,
        outage_id: Some(&case.id),
        deadline_at: (kind == CaseMessage::NightPatrol).then_some(case.night_patrol_deadline_at),
    };
    let fresh = insert_message_in(&mut tx, &msg, now).await?;
    if fresh {
        let (at, by) = kind.columns();
        let extra = match kind {
            CaseMessage::AlarmGroup => ", alarm_group_handle_from = $4",
            CaseMessage::NightPatrol => ", night_patrol_message_id = $4",
            CaseMessage::NeedsAssessor => "",
        };
        let sql = format!(
            "UPDATE outages SET {at} = $1, {by} = $2{extra} WHERE id = $3 AND {at} IS NULL"
        );
        let mut q = sqlx::query(&sql)
            .bind(now)
            .bind(from.map(|(s, _)| s.to_owned()))
            .bind(id);
        match kind {
            CaseMessage::AlarmGroup => q = q.bind(handle_from),
            CaseMessage::NightPatrol => q = q.bind(message_id.to_owned()),
            CaseMessage::NeedsAssessor => {}
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(fresh)
}

// ---------------------------------------------------------------- reading

/// R2.7: the brukare's care decision now. The one valid now with the
/// latest end; else the next to start; else the latest ended.
pub(crate) async fn decision_check(
    db: &Db,
    brukare_id: Option<&str>,
    tz: Tz,
    now: i64,
) -> Result<DecisionCheck> {
    let none = |status| DecisionCheck {
        status,
        decision_id: None,
        starts_at: None,
        ends_at: None,
        checked_at: now,
    };
    let Some(b) = brukare_id else {
        return Ok(none(DecisionValidity::UnknownBrukare));
    };
    let rows = sqlx::query("SELECT * FROM decisions WHERE brukare_id = $1")
        .bind(b)
        .fetch_all(db.pool())
        .await?;
    let decisions = rows
        .iter()
        .map(|r| store::row_decision(r, now))
        .collect::<Result<Vec<_>>>()?;
    let valid = decisions
        .iter()
        .filter(|d| d.valid_now)
        .max_by_key(|d| (d.ends_at, d.id.clone()));
    let next = decisions
        .iter()
        .filter(|d| d.starts_at > now)
        .min_by_key(|d| (d.starts_at, d.id.clone()));
    let ended = decisions
        .iter()
        .filter(|d| d.ends_at <= now)
        .max_by_key(|d| (d.ends_at, d.id.clone()));
    let (status, d) = if let Some(d) = valid {
        let (_, day_end) = time::day_bounds(tz, time::local_date(tz, now)?)?;
        if d.ends_at <= day_end {
            (DecisionValidity::EndsToday, d)
        } else {
            (DecisionValidity::Valid, d)
        }
    } else if let Some(d) = next {
        (DecisionValidity::NotStarted, d)
    } else if let Some(d) = ended {
        (DecisionValidity::Ended, d)
    } else {
        return Ok(none(DecisionValidity::NoDecision));
    };
    Ok(DecisionCheck {
        status,
        decision_id: Some(d.id.clone()),
        starts_at: Some(d.starts_at),
        ends_at: Some(d.ends_at),
        checked_at: now,
    })
}

fn row_report(r: &AnyRow) -> Result<OutageReport> {
    Ok(OutageReport {
        report_id: r.try_get("report_id")?,
        event_id: r.try_get("event_id")?,
        staff_id: r.try_get("staff_id")?,
        lock_id: r.try_get("lock_id")?,
        brukare_id: r.try_get("brukare_id")?,
        visit_id: r.try_get("visit_id")?,
        cause: r.try_get("cause")?,
        occurred_at: r.try_get("occurred_at")?,
        received_at: r.try_get("received_at")?,
        updated_at: r.try_get("updated_at")?,
        weekend_or_holiday: r.try_get::<i64, _>("weekend_or_holiday")? != 0,
        night: r.try_get::<i64, _>("night")? != 0,
        steps: parse_steps(&r.try_get::<String, _>("steps")?),
    })
}

async fn full(db: &Db, c: CaseRow, unit: &Unit, now: i64) -> Result<Outage> {
    let tz = time::parse_tz(&unit.settings.time_zone)?;
    let decision = decision_check(db, c.brukare_id.as_deref(), tz, now).await?;
    let contact_needs_assessor = matches!(
        decision.status,
        DecisionValidity::Ended | DecisionValidity::NoDecision
    );
    let brukare_display_name = match &c.brukare_id {
        Some(b) => Some(store::brukare(db, b).await?.display_name),
        None => None,
    };
    let reports = sqlx::query(
        "SELECT * FROM outage_reports WHERE outage_id = $1 ORDER BY received_at, report_id",
    )
    .bind(&c.id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(row_report)
    .collect::<Result<Vec<_>>>()?;
    let deviation_ids: Vec<String> = sqlx::query_scalar(
        "SELECT deviation_id FROM deviation_outages WHERE outage_id = $1 ORDER BY deviation_id",
    )
    .bind(&c.id)
    .fetch_all(db.pool())
    .await?;
    let open = c.status == OutageStatus::Open;
    let night_patrol_told = match &c.night_patrol_message_id {
        Some(m) => crate::api::messages::recipients(db.pool(), m).await?,
        None => Vec::new(),
    };
    Ok(Outage {
        night_patrol_overdue: open
            && c.night_patrol_messaged_at.is_none()
            && now > c.night_patrol_deadline_at,
        id: c.id,
        unit_id: c.unit_id,
        status: c.status,
        lock_id: c.lock_id,
        brukare_id: c.brukare_id,
        brukare_display_name,
        visit_id: c.visit_id,
        cause: c.cause,
        opened_at: c.opened_at,
        reported_at: c.reported_at,
        reported_by: c.reported_by,
        weekend_or_holiday: c.weekend_or_holiday,
        night: c.night,
        decision,
        contact_needs_assessor,
        needs_assessor_messaged_at: c.needs_assessor_messaged_at,
        needs_assessor_messaged_by: c.needs_assessor_messaged_by,
        alarm_group_informed_at: c.alarm_group_informed_at,
        alarm_group_informed_by: c.alarm_group_informed_by,
        alarm_group_handle_from: c.alarm_group_handle_from,
        night_patrol_deadline_at: c.night_patrol_deadline_at,
        night_patrol_messaged_at: c.night_patrol_messaged_at,
        night_patrol_messaged_by: c.night_patrol_messaged_by,
        night_patrol_message_id: c.night_patrol_message_id,
        working_at: c.working_at,
        closed_at: c.closed_at,
        closed_by: c.closed_by,
        close_note: c.close_note,
        night_patrol_told,
        repaired_at: c.repaired_at,
        repaired_by: c.repaired_by,
        repair_note: c.repair_note,
        major_outage_id: c.major_outage_id,
        deviation_ids,
        reports,
    })
}

/// One case, as the coordinator sees it now.
pub(crate) async fn outage(db: &Db, id: &str, now: i64) -> Result<Outage> {
    let c = case_of(db, id).await?;
    let unit = store::unit(db, &c.unit_id).await?;
    full(db, c, &unit, now).await
}

/// Cases, newest first: one unit's (`unit_id`) or all (`""`), within the
/// units `scope` serves (a [`crate::permit::UnitScope`] value: `""` for all).
pub(crate) async fn outages(
    db: &Db,
    unit_id: &str,
    scope: &str,
    filter: OutageFilter,
    limit: i64,
    now: i64,
) -> Result<Vec<Outage>> {
    let rows = sqlx::query(&format!(
        "SELECT * FROM outages o WHERE ($1 = '' OR o.unit_id = $1) \
         AND ($2 = 'all' OR o.status = $2) AND {} ORDER BY o.opened_at DESC, o.id LIMIT $3",
        crate::permit::UnitScope::sql("o.unit_id", 4)
    ))
    .bind(unit_id)
    .bind(filter.as_str())
    .bind(limit)
    .bind(scope)
    .fetch_all(db.pool())
    .await?;
    let mut units: Vec<Unit> = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let c = row_case(r)?;
        let unit = match units.iter().find(|u| u.id == c.unit_id) {
            Some(u) => u.clone(),
            None => {
                let u = store::unit(db, &c.unit_id).await?;
                units.push(u.clone());
                u
            }
        };
        out.push(full(db, c, &unit, now).await?);
    }
    Ok(out)
}

fn row_deviation(r: &AnyRow, outage_ids: Vec<String>) -> Result<Deviation> {
    Ok(Deviation {
        id: r.try_get("id")?,
        kind: DeviationKind::parse(&r.try_get::<String, _>("kind")?)?,
        unit_id: r.try_get("unit_id")?,
        major_outage_id: r.try_get("major_outage_id")?,
        outage_ids,
        assigned_role: Role::parse(&r.try_get::<String, _>("assigned_role")?)?,
        assigned_to: r.try_get("assigned_to")?,
        created_at: r.try_get("created_at")?,
        status: DeviationStatus::parse(&r.try_get::<String, _>("status")?)?,
        reported_at: r.try_get("reported_at")?,
        reported_by: r.try_get("reported_by")?,
    })
}

async fn deviation_outages(db: &Db, id: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT outage_id FROM deviation_outages WHERE deviation_id = $1 ORDER BY outage_id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?)
}

/// One deviation.
pub(crate) async fn deviation(db: &Db, id: &str) -> Result<Deviation> {
    let r = sqlx::query("SELECT * FROM deviations WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| Error::not_found("deviation", id))?;
    row_deviation(&r, deviation_outages(db, id).await?)
}

/// Deviations, newest first, filtered by unit (`""`: all), status and
/// kind, within the units `scope` serves (`""`: all).
pub(crate) async fn deviations(
    db: &Db,
    unit_id: &str,
    scope: &str,
    status: Option<DeviationStatus>,
    kind: Option<DeviationKind>,
) -> Result<Vec<Deviation>> {
    let rows = sqlx::query(&format!(
        "SELECT * FROM deviations d WHERE ($1 = '' OR d.unit_id = $1) \
         AND ($2 = '' OR d.status = $2) AND ($3 = '' OR d.kind = $3) AND {} \
         ORDER BY d.created_at DESC, d.id LIMIT 1000",
        crate::permit::UnitScope::sql("d.unit_id", 4)
    ))
    .bind(unit_id)
    .bind(status.map(|s| s.as_str()).unwrap_or(""))
    .bind(kind.map(|k| k.as_str()).unwrap_or(""))
    .bind(scope)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: String = r.try_get("id")?;
        out.push(row_deviation(r, deviation_outages(db, &id).await?)?);
    }
    Ok(out)
}

/// Marks a deviation written (once; later calls leave it as it was).
pub(crate) async fn mark_deviation_reported(
    db: &Db,
    id: &str,
    at: i64,
    by: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE deviations SET status = 'reported', reported_at = $1, reported_by = $2 \
         WHERE id = $3 AND status = 'expected'",
    )
    .bind(at)
    .bind(by.map(str::to_owned))
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn step(id: &str, done_at: Option<i64>) -> ReportStep {
        ReportStep {
            id: id.into(),
            done_at,
        }
    }

    #[test]
    fn merged_steps_stay_done_with_their_first_time() {
        let old = [step("R2.6", Some(10)), step("R2.15", None)];
        let new = [
            step("R2.6", Some(20)),
            step("R2.15", Some(30)),
            step("R2.8", None),
        ];
        let m = merge_steps(&old, &new);
        assert_eq!(
            m,
            vec![
                step("R2.6", Some(10)),
                step("R2.15", Some(30)),
                step("R2.8", None)
            ]
        );
        // A later revision cannot undo a step.
        let m2 = merge_steps(&m, &[step("R2.15", None)]);
        assert_eq!(m2[1], step("R2.15", Some(30)));
    }

    #[test]
    fn causes_are_plain_tokens() {
        for ok in [
            "jammed",
            "lock_not_found",
            "refused:wrong_lock",
            "app_failure",
        ] {
            assert!(check_cause(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Jammed", "a b", "å", &"x".repeat(65)] {
            assert!(check_cause(bad).is_err(), "{bad}");
        }
    }
}
