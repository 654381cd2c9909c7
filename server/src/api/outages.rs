//! Outage cases for the coordinator and the alarm group (routine R2): list
//! open cases with the care decision's validity (R2.7), the alarm group's
//! report that a lock is repaired and the coordinator's that it works again
//! (R2.10), inform the alarm group (R2.11) and the night
//! patrol (R2.12, by 17:00), ask the needs assessor about an ended decision
//! (R2.7); and the deviation reports the routine expects (R2.15, R2.16).
//! Cases are opened by the app's `outage_report` events (see
//! [`crate::outages`]).

use axum::extract::State;

use super::messages::{client_message_id, load_message};
use super::{Json, Path, Query};
use crate::audit::{self, Action};
use crate::codec;
use crate::error::{Error, ErrorBody, Result};
use crate::model::{
    Deviation, DeviationKind, DeviationQuery, EventStatus, MarkDeviationReported, MarkWorking,
    Outage, OutageFilter, OutageMessageRequest, OutageMessageResponse, OutageQuery,
};
use crate::outages::{self, CaseMessage, MAX_NOTE};
use crate::permit::Permit;
use crate::state::AppState;

/// Default and largest page of cases.
const DEFAULT_LIMIT: i64 = 200;
const MAX_LIMIT: i64 = 1000;

/// Checks access to one case; returns its unit.
async fn case_access(s: &AppState, permit: &Permit, id: &str) -> Result<String> {
    codec::check_id(id, "outage id")?;
    let unit = outages::case_unit(s.db(), id).await?;
    permit.require_unit(&unit)?;
    Ok(unit)
}

/// Writes a desk action on a case to the audit log.
async fn audit_case(s: &AppState, permit: &Permit, before: &Outage, after: &Outage) -> Result<()> {
    let rec = permit
        .record(Action::Write, s.now())
        .target("outage", &after.id, Some(&after.unit_id))
        .before(before)
        .after(after)
        .brukare(after.brukare_id.iter().map(String::as_str));
    let mut conn = s.db().pool().acquire().await?;
    audit::insert(&mut conn, &[rec]).await
}

fn check_note(note: &Option<String>) -> Result<()> {
    if let Some(n) = note {
        codec::check_text(n, MAX_NOTE, "note", true)?;
    }
    Ok(())
}

/// Outage cases of the caller's units (every unit for the head of
/// operations; or one, with `unit_id`), newest first, with the brukare's
/// care decision checked now (R2.7) and the night-patrol deadline (R2.12).
#[utoipa::path(get, path = "/v1/outages", tag = "outages", security(("session" = [])), params(OutageQuery),
    responses(
        (status = 200, body = Vec<Outage>),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub(super) async fn list(
    State(s): State<AppState>,
    permit: Permit,
    Query(q): Query<OutageQuery>,
) -> Result<Json<Vec<Outage>>> {
    let unit = permit.list_unit(&q.unit_id, "unit_id")?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::bad(format!("limit must be 1 to {MAX_LIMIT}")));
    }
    let filter = q.status.unwrap_or(OutageFilter::Open);
    let list = outages::outages(
        s.db(),
        &unit,
        &permit.unit_scope().param(),
        filter,
        limit,
        s.now(),
    )
    .await?;
    crate::audit::read(
        &s,
        &permit,
        list.iter().filter_map(|o| o.brukare_id.as_deref()),
    )
    .await;
    Ok(Json(list))
}

/// One outage case (R2.7: with the care decision checked now).
#[utoipa::path(get, path = "/v1/outages/{id}", tag = "outages", security(("session" = [])),
    params(("id" = String, Path, description = "Outage case id (the report id that opened it)")),
    responses(
        (status = 200, body = Outage),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub(super) async fn get_one(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
) -> Result<Json<Outage>> {
    case_access(&s, &permit, &id).await?;
    let o = outages::outage(s.db(), &id, s.now()).await?;
    crate::audit::read(&s, &permit, o.brukare_id.as_deref()).await;
    Ok(Json(o))
}

/// R2.10: the lock works again. Closes the case and records who and when.
/// When it was the last open case of a major outage, all unit managers and
/// the head of operations are told the locks work again (R2.4, R2.14). A
/// closed case is answered as it is.
#[utoipa::path(post, path = "/v1/outages/{id}/working", tag = "outages", security(("session" = [])),
    params(("id" = String, Path, description = "Outage case id")), request_body = MarkWorking,
    responses(
        (status = 200, body = Outage),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub(super) async fn working(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
    Json(req): Json<MarkWorking>,
) -> Result<Json<Outage>> {
    case_access(&s, &permit, &id).await?;
    check_note(&req.note)?;
    let now = s.now();
    let case = outages::outage(s.db(), &id, now).await?;
    let working_at = req.working_at.unwrap_or(now);
    codec::check_time(working_at, "working_at")?;
    if working_at > now {
        return Err(Error::bad("working_at must not be in the future"));
    }
    if working_at < case.opened_at {
        return Err(Error::bad(
            "working_at must not be before the case opened (opened_at)",
        ));
    }
    let by = permit.staff_id();
    let note = req.note.as_deref().filter(|n| !n.trim().is_empty());
    outages::close_case(s.db(), &id, working_at, note, by, now).await?;
    let after = outages::outage(s.db(), &id, now).await?;
    audit_case(&s, &permit, &case, &after).await?;
    Ok(Json(after))
}

async fn message(
    s: &AppState,
    permit: &Permit,
    id: &str,
    kind: CaseMessage,
    req: &OutageMessageRequest,
) -> Result<OutageMessageResponse> {
    case_access(s, permit, id).await?;
    check_note(&req.note)?;
    // A client's id is namespaced by its sender, as for any message.
    let message_id = match (&req.id, permit.staff_id()) {
        (Some(m), Some(me)) => {
            codec::check_id(m, "id")?;
            client_message_id(me, m)
        }
        (Some(m), None) => {
            codec::check_id(m, "id")?;
            client_message_id("", m)
        }
        (None, _) => codec::new_id("msg")?,
    };
    let now = s.now();
    let before = outages::outage(s.db(), id, now).await?;
    let from = permit.from();
    let fresh = outages::message_case(
        s.db(),
        id,
        kind,
        &message_id,
        req.note.as_deref(),
        from,
        now,
    )
    .await?;
    let reader = permit.staff_id().unwrap_or_default();
    let message = load_message(s.db(), &message_id, reader).await?;
    if !fresh && (message.outage_id.as_deref() != Some(id) || message.to_role != kind.role()) {
        return Err(Error::Conflict(format!(
            "message id '{message_id}' is already used by a different message"
        )));
    }
    let outage = outages::outage(s.db(), id, now).await?;
    if fresh {
        audit_case(s, permit, &before, &outage).await?;
    }
    Ok(OutageMessageResponse {
        status: if fresh {
            EventStatus::Stored
        } else {
            EventStatus::Duplicate
        },
        message,
        outage,
    })
}

/// R2.11: inform the alarm group (their role inbox, `alarm_technician`, in
/// the case's unit), who try to fix the lock. Out of office hours the
/// message carries `handle_from`: the next working day (not a weekend or
/// Swedish public holiday) at 07:00. The case records the first time.
#[utoipa::path(post, path = "/v1/outages/{id}/alarm-group", tag = "outages", security(("session" = [])),
    params(("id" = String, Path, description = "Outage case id")), request_body = OutageMessageRequest,
    responses(
        (status = 200, body = OutageMessageResponse),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The case is closed, or the message id is taken", body = ErrorBody),
    ))]
pub(super) async fn alarm_group(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
    Json(req): Json<OutageMessageRequest>,
) -> Result<Json<OutageMessageResponse>> {
    Ok(Json(
        message(&s, &permit, &id, CaseMessage::AlarmGroup, &req).await?,
    ))
}

/// R2.12: message the night patrol (their role inbox in the case's unit)
/// so that they can prepare for the night — by the unit's deadline, 17:00
/// local, on the day the case opened (at once for a case opened after it).
/// The case records the first time; `night_patrol_overdue` turns false.
#[utoipa::path(post, path = "/v1/outages/{id}/night-patrol", tag = "outages", security(("session" = [])),
    params(("id" = String, Path, description = "Outage case id")), request_body = OutageMessageRequest,
    responses(
        (status = 200, body = OutageMessageResponse),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The case is closed, or the message id is taken", body = ErrorBody),
    ))]
pub(super) async fn night_patrol(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
    Json(req): Json<OutageMessageRequest>,
) -> Result<Json<OutageMessageResponse>> {
    Ok(Json(
        message(&s, &permit, &id, CaseMessage::NightPatrol, &req).await?,
    ))
}

/// R2.7: the care decision has ended (`contact_needs_assessor`): message
/// the needs assessor (their role inbox in the case's unit) with the
/// brukare and the decision.
#[utoipa::path(post, path = "/v1/outages/{id}/needs-assessor", tag = "outages", security(("session" = [])),
    params(("id" = String, Path, description = "Outage case id")), request_body = OutageMessageRequest,
    responses(
        (status = 200, body = OutageMessageResponse),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The case is closed or names no brukare, or the message id is taken", body = ErrorBody),
    ))]
pub(super) async fn needs_assessor(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
    Json(req): Json<OutageMessageRequest>,
) -> Result<Json<OutageMessageResponse>> {
    Ok(Json(
        message(&s, &permit, &id, CaseMessage::NeedsAssessor, &req).await?,
    ))
}

/// Deviation reports the routine expects, newest first: a minor one per
/// outage case for the worker (R2.15), a major one per major outage for
/// the head of operations (R2.16).
#[utoipa::path(get, path = "/v1/deviations", tag = "outages", security(("session" = [])), params(DeviationQuery),
    responses(
        (status = 200, body = Vec<Deviation>),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub(super) async fn list_deviations(
    State(s): State<AppState>,
    permit: Permit,
    Query(q): Query<DeviationQuery>,
) -> Result<Json<Vec<Deviation>>> {
    let unit = permit.list_unit(&q.unit_id, "unit_id")?;
    Ok(Json(
        outages::deviations(
            s.db(),
            &unit,
            &permit.unit_scope().param(),
            q.status,
            q.kind,
        )
        .await?,
    ))
}

/// Mark a deviation report written: a major one by the head of operations
/// (R2.16), a minor one by the coordinator or unit manager (the worker's
/// app marks it through the report's step R2.15). Already written: answered
/// as it is.
#[utoipa::path(post, path = "/v1/deviations/{id}/reported", tag = "outages", security(("session" = [])),
    params(("id" = String, Path, description = "Deviation id")), request_body = MarkDeviationReported,
    responses(
        (status = 200, body = Deviation),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub(super) async fn deviation_reported(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
    Json(req): Json<MarkDeviationReported>,
) -> Result<Json<Deviation>> {
    codec::check_id(&id, "deviation id")?;
    let d = outages::deviation(s.db(), &id).await?;
    permit.require_unit(&d.unit_id)?;
    if d.kind == DeviationKind::Major {
        // R2.16: the major deviation report is the head of operations'.
        permit.may("deviations.major")?;
    }
    let now = s.now();
    let at = req.reported_at.unwrap_or(now);
    codec::check_time(at, "reported_at")?;
    if at > now {
        return Err(Error::bad("reported_at must not be in the future"));
    }
    let by = permit.staff_id();
    outages::mark_deviation_reported(s.db(), &id, at, by).await?;
    let after = outages::deviation(s.db(), &id).await?;
    let rec = permit
        .record(Action::Write, now)
        .target("deviation", &id, Some(&after.unit_id))
        .before(&d)
        .after(&after);
    let mut conn = s.db().pool().acquire().await?;
    audit::insert(&mut conn, &[rec]).await?;
    Ok(Json(after))
}

/// R2.10, R2.11: the alarm group reports the lock repaired; the case's
/// coordinator is messaged to check and document that it works again
/// ("Koordinator dokumenterar när elektroniskt låsvred fungerar igen"). The
/// case stays open until then. Reporting again answers the case as it is.
#[utoipa::path(post, path = "/v1/outages/{id}/repaired", tag = "outages", security(("session" = [])),
    params(("id" = String, Path, description = "Outage case id")), request_body = OutageMessageRequest,
    responses(
        (status = 200, body = Outage),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The case is closed", body = ErrorBody),
    ))]
pub(super) async fn repaired(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
    Json(req): Json<OutageMessageRequest>,
) -> Result<Json<Outage>> {
    case_access(&s, &permit, &id).await?;
    check_note(&req.note)?;
    let now = s.now();
    let before = outages::outage(s.db(), &id, now).await?;
    outages::report_repaired(s.db(), &id, req.note.as_deref(), permit.from(), now).await?;
    let after = outages::outage(s.db(), &id, now).await?;
    audit_case(&s, &permit, &before, &after).await?;
    Ok(Json(after))
}
