//! Events from the phones' outboxes (`POST /v1/events`), and the managers'
//! view of them (`GET /v1/events`, e.g. the rejected ones). What the server
//! believes of an event is [`crate::receipts`]'s to say.

use axum::extract::State;
use sqlx::Row;

use super::{Json, Query};
use crate::codec;
use crate::error::{Error, ErrorBody, Result};
use crate::model::{
    EventBatch, EventBatchResponse, EventQuery, EventResult, EventStatus, StoredEvent,
};
use crate::outages;
use crate::permit::{Permit, UnitScope};
use crate::receipts::Judge;
use crate::state::AppState;

/// Most events in one batch.
pub const MAX_EVENTS_PER_BATCH: usize = 500;
/// Largest `data` object of an event, serialized.
pub const MAX_EVENT_DATA: usize = 8 * 1024;
/// Largest receipt.
pub const MAX_RECEIPT: usize = 1024;

fn check_event_kind(kind: &str) -> Result<()> {
    let ok = !kind.is_empty()
        && kind.len() <= 64
        && kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(Error::bad(
            "kind must be 1 to 64 of lowercase letters, digits, '_' and '.'",
        ))
    }
}

/// Upload events from the app's outbox. Idempotent by the client's event
/// id: an id already stored is answered `duplicate` and not stored again.
/// The batch is checked whole first; one malformed event refuses the batch.
/// An event about a lock this device was never given a key for (outside
/// the sender's units), about another worker's visit, or an `unlock`
/// whose receipt does not verify against the lock's key is stored as
/// `rejected` with a `reason` and acts on nothing. An event of kind
/// `outage_report` (R2.9) carries an `OutageReportData` in `data`: when
/// accepted it opens the lock's outage case, attaches to its open case, or
/// updates its report (same `report_id`); see the `outages` tag.
#[utoipa::path(post, path = "/v1/events", tag = "device", security(("session" = [])), request_body = EventBatch,
    responses(
        (status = 200, body = EventBatchResponse),
        (status = 400, description = "A bad event (the message names its index)", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub(super) async fn post_events(
    State(s): State<AppState>,
    permit: Permit,
    Json(batch): Json<EventBatch>,
) -> Result<Json<EventBatchResponse>> {
    let dev = permit.device()?;
    if batch.events.is_empty() || batch.events.len() > MAX_EVENTS_PER_BATCH {
        return Err(Error::bad(format!(
            "events must hold 1 to {MAX_EVENTS_PER_BATCH} events"
        )));
    }
    let mut prepared = Vec::with_capacity(batch.events.len());
    let mut judge = Judge::new(s.db(), dev, permit.may(super::locks::STOCK).is_ok());
    for (i, e) in batch.events.iter().enumerate() {
        let at = |err: Error| Error::bad(format!("event {i}: {err}"));
        codec::check_id(&e.id, "id").map_err(at)?;
        check_event_kind(&e.kind).map_err(at)?;
        codec::check_time(e.occurred_at, "occurred_at").map_err(at)?;
        if let Some(l) = &e.lock_id {
            codec::check_id(l, "lock_id").map_err(at)?;
        }
        if let Some(v) = &e.visit_id {
            codec::check_id(v, "visit_id").map_err(at)?;
        }
        if let Some(r) = &e.routine_step {
            codec::check_routine_step(r).map_err(at)?;
        }
        let receipt = match &e.receipt {
            Some(r) => Some(codec::decode_b64(r, MAX_RECEIPT, "receipt").map_err(at)?),
            None => None,
        };
        let data = match &e.data {
            None | Some(serde_json::Value::Null) => "{}".to_owned(),
            Some(v @ serde_json::Value::Object(_)) => {
                serde_json::to_string(v).map_err(|_| at(Error::bad("data is not serializable")))?
            }
            Some(_) => return Err(at(Error::bad("data must be a JSON object"))),
        };
        if data.len() > MAX_EVENT_DATA {
            return Err(at(Error::bad(format!(
                "data must be at most {MAX_EVENT_DATA} bytes"
            ))));
        }
        // R2.9: an outage report must be whole before anything is stored.
        let report = if e.kind == outages::REPORT_KIND {
            Some(
                outages::check_report(s.db(), &dev.staff.unit_id, e)
                    .await
                    .map_err(|err| match err {
                        Error::BadRequest(m) => Error::bad(format!("event {i}: {m}")),
                        other => other,
                    })?,
            )
        } else {
            None
        };
        let verdict = judge.judge(e, report.as_ref()).await?;
        prepared.push((e, receipt, data, report, verdict));
    }
    let now = s.now();
    let mut results = Vec::with_capacity(prepared.len());
    let (mut stored, mut rejected) = (0u64, 0u64);
    let mut tx = s.db().begin_write().await?;
    for (e, receipt, data, report, verdict) in prepared {
        let r = sqlx::query(
            "INSERT INTO events (id, device_id, staff_id, kind, occurred_at, received_at, lock_id, \
             visit_id, routine_step, receipt, data, unit_id, status, reject_reason, receipt_verified) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&e.id)
        .bind(&dev.device_id)
        .bind(&dev.staff.id)
        .bind(&e.kind)
        .bind(e.occurred_at)
        .bind(now)
        .bind(e.lock_id.clone())
        .bind(e.visit_id.clone())
        .bind(e.routine_step.clone())
        .bind(receipt)
        .bind(data)
        .bind(verdict.unit_id.clone())
        .bind(if verdict.rejected.is_some() {
            "rejected"
        } else {
            "accepted"
        })
        .bind(verdict.rejected)
        .bind(i64::from(verdict.receipt_verified))
        .execute(&mut *tx)
        .await?;
        let (status, reason) = if r.rows_affected() == 0 {
            (EventStatus::Duplicate, None)
        } else if let Some(why) = verdict.rejected {
            rejected += 1;
            tracing::info!(event = %e.id, device = %dev.device_id, reason = why, "event rejected");
            (EventStatus::Rejected, Some(why.to_owned()))
        } else {
            stored += 1;
            // A new outage report opens, joins or updates its case; a
            // duplicate or rejected event changes nothing.
            if let Some(report) = &report {
                outages::ingest(&mut tx, s.settings(), dev, &e.id, report, now).await?;
            }
            (EventStatus::Stored, None)
        };
        results.push(EventResult {
            id: e.id.clone(),
            status,
            reason,
        });
    }
    tx.commit().await?;
    let duplicates = results.len() as u64 - stored - rejected;
    Ok(Json(EventBatchResponse {
        results,
        stored,
        duplicates,
        rejected,
    }))
}

/// Events from the phones concerning the caller's units, newest first:
/// e.g. `?status=rejected`, the events the server did not believe (a
/// receipt that does not verify, a lock never keyed), for follow-up.
#[utoipa::path(get, path = "/v1/events", tag = "device", security(("session" = [])), params(EventQuery),
    responses(
        (status = 200, body = Vec<StoredEvent>),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub(super) async fn list_events(
    State(s): State<AppState>,
    permit: Permit,
    Query(q): Query<EventQuery>,
) -> Result<Json<Vec<StoredEvent>>> {
    let unit = permit.list_unit(&q.unit_id, "unit_id")?;
    let status = q.status.clone().unwrap_or_default();
    if !["", "accepted", "rejected"].contains(&status.as_str()) {
        return Err(Error::bad("status must be accepted or rejected"));
    }
    let kind = q.kind.clone().unwrap_or_default();
    if !kind.is_empty() {
        check_event_kind(&kind)?;
    }
    let limit = q.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(Error::bad("limit must be 1 to 1000"));
    }
    let rows = sqlx::query(&format!(
        "SELECT id, kind, device_id, staff_id, unit_id, occurred_at, received_at, lock_id, \
                visit_id, routine_step, status, reject_reason, receipt_verified \
         FROM events e WHERE ($1 = '' OR e.status = $1) AND ($2 = '' OR e.unit_id = $2) \
         AND ($3 = '' OR e.kind = $3) AND e.unit_id IS NOT NULL AND {} \
         ORDER BY e.received_at DESC, e.id LIMIT $5",
        UnitScope::sql("e.unit_id", 4)
    ))
    .bind(&status)
    .bind(&unit)
    .bind(&kind)
    .bind(permit.unit_scope().param())
    .bind(limit)
    .fetch_all(s.db().pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(StoredEvent {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            device_id: r.try_get("device_id")?,
            staff_id: r.try_get("staff_id")?,
            unit_id: r.try_get("unit_id")?,
            occurred_at: r.try_get("occurred_at")?,
            received_at: r.try_get("received_at")?,
            lock_id: r.try_get("lock_id")?,
            visit_id: r.try_get("visit_id")?,
            routine_step: r.try_get("routine_step")?,
            status: r.try_get("status")?,
            reject_reason: r.try_get("reject_reason")?,
            receipt_verified: r.try_get::<i64, _>("receipt_verified")? != 0,
        });
    }
    Ok(Json(out))
}
