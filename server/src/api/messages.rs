//! Role inboxes: the routines' case-system messages (R1.7, R1.10, R1.11,
//! R2.3, R2.4, R2.7, R2.11, R2.12, R2.13, R2.14). A message goes to a role
//! in a unit (or in all units); every holder of that role who serves that
//! unit sees it: their own unit, or one they serve besides it (a needs
//! assessor, the alarm group, the night patrol and its coordinator serve
//! several units). Who it reached when it was sent is recorded with it. A
//! client's message names its routine step, and the policy's `[[message]]`
//! rules say who may send under it, to which roles and units.

use axum::extract::State;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Json, Path, Query};
use crate::codec;
use crate::db::Db;
use crate::error::{Error, ErrorBody, Result};
use crate::model::{EventStatus, InboxQuery, Message, Role, SendMessage, SendMessageResponse};
use crate::permit::{Permit, UnitScope};
use crate::state::AppState;
use crate::{store, time};

/// The stored id of a message a client names `client_id`: namespaced by
/// the sender (`cm-` and 32 hex digits of SHA-256 over the sender's staff
/// id, a zero byte and the client's id). The same sender and id give the
/// same message (a safe retry); no client can take an id the server uses
/// for its own messages (`r1.10-…`, `r1.12-…`, `msg-…`).
pub(crate) fn client_message_id(staff_id: &str, client_id: &str) -> String {
    let mut b = Vec::with_capacity(staff_id.len() + 1 + client_id.len());
    b.extend_from_slice(staff_id.as_bytes());
    b.push(0);
    b.extend_from_slice(client_id.as_bytes());
    let h = codec::sha256_hex(&b);
    format!("cm-{}", h.get(..32).unwrap_or(&h))
}

/// A message to store.
pub(crate) struct NewMessage<'a> {
    pub id: String,
    pub to_role: Role,
    pub unit_id: Option<&'a str>,
    pub from: Option<(&'a str, Role)>,
    pub routine_step: Option<&'a str>,
    pub subject: &'a str,
    pub body: &'a str,
    pub brukare_id: Option<&'a str>,
    pub lock_id: Option<&'a str>,
    /// R2.11, R2.13: for the alarm group, when they take the case.
    pub handle_from: Option<i64>,
    /// The outage case it is about.
    pub outage_id: Option<&'a str>,
    /// R2.12: the deadline a night-patrol message answers to (an outage
    /// case's own); `None`: that day's deadline in the unit.
    pub deadline_at: Option<i64>,
}

fn row_message(r: &AnyRow, recipients: Vec<String>) -> Result<Message> {
    let created_at: i64 = r.try_get("created_at")?;
    let deadline_at: Option<i64> = r.try_get("deadline_at")?;
    Ok(Message {
        id: r.try_get("id")?,
        to_role: Role::parse(&r.try_get::<String, _>("to_role")?)?,
        unit_id: r.try_get("unit_id")?,
        from_staff_id: r.try_get("from_staff_id")?,
        from_role: r
            .try_get::<Option<String>, _>("from_role")?
            .map(|s| Role::parse(&s))
            .transpose()?,
        routine_step: r.try_get("routine_step")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        brukare_id: r.try_get("brukare_id")?,
        lock_id: r.try_get("lock_id")?,
        created_at,
        deadline_at,
        after_deadline: deadline_at.map(|d| created_at > d),
        handle_from: r.try_get("handle_from")?,
        outage_id: r.try_get("outage_id")?,
        read: r.try_get::<Option<i64>, _>("read_at")?.is_some(),
        recipients,
    })
}

/// Who a message reached when it was sent.
pub(crate) async fn recipients<'e, E>(ex: E, message_id: &str) -> Result<Vec<String>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT staff_id FROM message_recipients WHERE message_id = $1 ORDER BY staff_id",
    )
    .bind(message_id)
    .fetch_all(ex)
    .await?)
}

/// Stores a message (a duplicate id is left as it was). Messages to the
/// night patrol of a unit carry that day's deadline (R2.12). Returns
/// whether it was new.
pub(crate) async fn insert_message(db: &Db, m: &NewMessage<'_>, now: i64) -> Result<bool> {
    let mut conn = db.pool().acquire().await?;
    insert_message_in(&mut conn, m, now).await
}

/// [`insert_message`] on a transaction's connection (reads go through it too).
pub(crate) async fn insert_message_in(
    conn: &mut AnyConnection,
    m: &NewMessage<'_>,
    now: i64,
) -> Result<bool> {
    let deadline_at = match (m.to_role, m.unit_id) {
        (Role::NightPatrol, _) if m.deadline_at.is_some() => m.deadline_at,
        (Role::NightPatrol, Some(unit_id)) => {
            let (unit, tz) = store::unit_tz_in(conn, unit_id).await?;
            let today = time::local_date(tz, now)?;
            Some(time::deadline_on(
                tz,
                today,
                &unit.settings.night_patrol_deadline,
            )?)
        }
        _ => None,
    };
    let r = sqlx::query(
        "INSERT INTO messages (id, to_role, unit_id, from_staff_id, from_role, routine_step, \
         subject, body, brukare_id, lock_id, created_at, deadline_at, handle_from, outage_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&m.id)
    .bind(m.to_role.as_str())
    .bind(m.unit_id.map(str::to_owned))
    .bind(m.from.map(|(s, _)| s.to_owned()))
    .bind(m.from.map(|(_, r)| r.as_str().to_owned()))
    .bind(m.routine_step.map(str::to_owned))
    .bind(m.subject)
    .bind(m.body)
    .bind(m.brukare_id.map(str::to_owned))
    .bind(m.lock_id.map(str::to_owned))
    .bind(now)
    .bind(deadline_at)
    .bind(m.handle_from)
    .bind(m.outage_id.map(str::to_owned))
    .execute(&mut *conn)
    .await?;
    let fresh = r.rows_affected() == 1;
    if fresh {
        // Who it reaches now: the role's holders serving the unit.
        sqlx::query(
            "INSERT INTO message_recipients (message_id, staff_id) \
             SELECT $1, st.id FROM staff st WHERE st.role = $2 AND ($3 = '*' OR st.unit_id = $3 \
               OR st.id IN (SELECT su.staff_id FROM staff_units su WHERE su.unit_id = $3))",
        )
        .bind(&m.id)
        .bind(m.to_role.as_str())
        .bind(m.unit_id.unwrap_or("*"))
        .execute(&mut *conn)
        .await?;
    }
    Ok(fresh)
}

pub(crate) async fn load_message(db: &Db, id: &str, staff_id: &str) -> Result<Message> {
    let r = sqlx::query(
        "SELECT m.*, r.read_at FROM messages m LEFT JOIN message_reads r \
         ON r.message_id = m.id AND r.staff_id = $2 WHERE m.id = $1",
    )
    .bind(id)
    .bind(staff_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| Error::not_found("message", id))?;
    row_message(&r, recipients(db.pool(), id).await?)
}

/// Whether `staff` reads message `m` in their inbox: their role, and a
/// unit they serve (or all units).
fn reads(staff: &crate::model::Staff, m: &Message) -> bool {
    m.to_role == staff.role && m.unit_id.as_deref().is_none_or(|u| staff.serves(u))
}

/// Send a message to a role's inbox under a routine step (`routine_step`
/// is required): the policy's rule for the step must name the sender's
/// role and the recipient role, and the unit must be one the sender serves
/// (or `"*"`, every unit, where the step says so, R2.4, R2.14). The stored
/// id of a client-made `id` is namespaced by the sender; a retry with the
/// same `id` stores nothing new. Messages to the night patrol carry the
/// unit's deadline that day and whether they came after it (R2.12).
#[utoipa::path(post, path = "/v1/messages", tag = "messages", security(("session" = [])), request_body = SendMessage,
    responses(
        (status = 200, body = SendMessageResponse),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not the sender's step, or not to this role or unit", body = ErrorBody),
        (status = 404, description = "Unknown unit, brukare or lock", body = ErrorBody),
        (status = 409, description = "The id is taken by a different message", body = ErrorBody),
    ))]
pub(super) async fn send(
    State(s): State<AppState>,
    permit: Permit,
    Json(req): Json<SendMessage>,
) -> Result<Json<SendMessageResponse>> {
    let dev = permit.device()?;
    let me = &dev.staff;
    let id = match &req.id {
        Some(id) => {
            codec::check_id(id, "id")?;
            client_message_id(&me.id, id)
        }
        None => codec::new_id("msg")?,
    };
    codec::check_text(&req.subject, 200, "subject", false)?;
    codec::check_text(&req.body, 4000, "body", true)?;
    let step = req.routine_step.as_deref().ok_or_else(|| {
        Error::bad("routine_step is required: a message belongs to a step of the routines")
    })?;
    codec::check_routine_step(step)?;
    let every_unit = permit
        .policy()
        .may_message(step, me.role, req.to_role)
        .ok_or_else(|| {
            Error::Forbidden(format!(
                "under {step} a {} does not message the role {} (AUTHORIZATION.md, messages)",
                me.role.as_str(),
                req.to_role.as_str()
            ))
        })?;
    let unit_id = match req.unit_id.as_deref() {
        Some("*") if every_unit => None,
        Some("*") => {
            return Err(Error::Forbidden(format!(
                "{step} does not go to every unit at once"
            )));
        }
        Some(u) => {
            codec::check_id(u, "unit_id")?;
            store::unit(s.db(), u).await?;
            if !every_unit {
                permit.require_unit(u)?;
            }
            Some(u.to_owned())
        }
        None => Some(me.unit_id.clone()),
    };
    if let Some(b) = &req.brukare_id {
        codec::check_id(b, "brukare_id")?;
        permit.require_unit(&store::brukare(s.db(), b).await?.unit_id)?;
    }
    if let Some(l) = &req.lock_id {
        codec::check_id(l, "lock_id")?;
        let lock = store::lock(s.db(), l).await?;
        if let Some(b) = &lock.brukare_id {
            permit.require_unit(&store::brukare(s.db(), b).await?.unit_id)?;
        }
    }
    let now = s.now();
    let from = Some((me.id.as_str(), me.role));
    let m = NewMessage {
        id: id.clone(),
        to_role: req.to_role,
        unit_id: unit_id.as_deref(),
        from,
        routine_step: req.routine_step.as_deref(),
        subject: &req.subject,
        body: &req.body,
        brukare_id: req.brukare_id.as_deref(),
        lock_id: req.lock_id.as_deref(),
        handle_from: None,
        outage_id: None,
        deadline_at: None,
    };
    let fresh = insert_message(s.db(), &m, now).await?;
    let message = load_message(s.db(), &id, &me.id).await?;
    if !fresh
        && (message.subject != req.subject
            || message.body != req.body
            || message.to_role != req.to_role
            || message.from_staff_id.as_deref() != from.map(|(f, _)| f))
    {
        return Err(Error::Conflict(format!(
            "message id '{id}' is already used by a different message"
        )));
    }
    Ok(Json(SendMessageResponse {
        status: if fresh {
            EventStatus::Stored
        } else {
            EventStatus::Duplicate
        },
        message,
    }))
}

/// The caller's role inbox: messages to their role in the units they
/// serve (or one of them, `unit_id`), plus messages to every unit; newest
/// first.
#[utoipa::path(get, path = "/v1/inbox", tag = "messages", security(("session" = [])), params(InboxQuery),
    responses(
        (status = 200, body = Vec<Message>),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Another role's inbox, or a unit the caller does not serve", body = ErrorBody),
    ))]
pub(super) async fn inbox(
    State(s): State<AppState>,
    permit: Permit,
    Query(q): Query<InboxQuery>,
) -> Result<Json<Vec<Message>>> {
    let dev = permit.device()?;
    if q.role.is_some_and(|r| r != dev.staff.role) {
        return Err(Error::Forbidden(
            "a device reads only its own role's inbox".into(),
        ));
    }
    let unit = permit.list_unit(&q.unit_id, "unit_id")?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(Error::bad("limit must be 1 to 500"));
    }
    let since = q.since.unwrap_or(0);
    codec::check_time(since, "since")?;
    let rows = sqlx::query(&format!(
        "SELECT m.*, r.read_at FROM messages m LEFT JOIN message_reads r \
         ON r.message_id = m.id AND r.staff_id = $3 \
         WHERE m.to_role = $1 AND (m.unit_id IS NULL OR (($2 = '' OR m.unit_id = $2) AND {})) \
           AND m.created_at >= $4 \
         ORDER BY m.created_at DESC, m.id LIMIT $5",
        UnitScope::sql("m.unit_id", 3)
    ))
    .bind(dev.staff.role.as_str())
    .bind(&unit)
    .bind(&dev.staff.id)
    .bind(since)
    .bind(limit)
    .fetch_all(s.db().pool())
    .await?;
    // Who each reached, in one query for the page.
    let ids: Vec<String> = rows
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<std::result::Result<_, _>>()?;
    let mut reached: std::collections::HashMap<String, Vec<String>> = Default::default();
    if !ids.is_empty() {
        let marks = (1..=ids.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT message_id, staff_id FROM message_recipients WHERE message_id IN ({marks}) \
             ORDER BY message_id, staff_id"
        );
        let mut q = sqlx::query(&sql);
        for id in &ids {
            q = q.bind(id);
        }
        for r in q.fetch_all(s.db().pool()).await? {
            reached
                .entry(r.try_get("message_id")?)
                .or_default()
                .push(r.try_get("staff_id")?);
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for (r, id) in rows.iter().zip(&ids) {
        out.push(row_message(r, reached.remove(id).unwrap_or_default())?);
    }
    Ok(Json(out))
}

/// Mark a message in the caller's inbox as read (by the caller).
#[utoipa::path(post, path = "/v1/messages/{id}/read", tag = "messages", security(("session" = [])),
    params(("id" = String, Path, description = "Message id")),
    responses(
        (status = 200, body = Message),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub(super) async fn mark_read(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
) -> Result<Json<Message>> {
    codec::check_id(&id, "message id")?;
    let dev = permit.device()?;
    let m = load_message(s.db(), &id, &dev.staff.id).await?;
    if !reads(&dev.staff, &m) {
        return Err(Error::Forbidden(format!(
            "message '{id}' is not in your inbox"
        )));
    }
    sqlx::query(
        "INSERT INTO message_reads (message_id, staff_id, read_at) VALUES ($1, $2, $3) \
         ON CONFLICT (message_id, staff_id) DO NOTHING",
    )
    .bind(&id)
    .bind(&dev.staff.id)
    .bind(s.now())
    .execute(s.db().pool())
    .await?;
    Ok(Json(load_message(s.db(), &id, &dev.staff.id).await?))
}
