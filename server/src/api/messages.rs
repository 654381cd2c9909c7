//! Role inboxes: the routines' case-system messages (R1.7, R1.10, R1.11,
//! R2.3, R2.4, R2.7, R2.11, R2.12, R2.13, R2.14). A message goes to a role
//! in a unit (or in all units); every holder of that role who serves that
//! unit sees it: their own unit, or one they serve besides it (a needs
//! assessor, the alarm group, the night patrol and its coordinator serve
//! several units). Who it reached when it was sent is recorded with it.

use axum::extract::State;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Json, Path, Query};
use crate::auth::Caller;
use crate::codec;
use crate::db::Db;
use crate::error::{Error, ErrorBody, Result};
use crate::model::{EventStatus, InboxQuery, Message, Role, SendMessage, SendMessageResponse};
use crate::state::AppState;
use crate::{store, time};

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

/// SQL: staff member `$s` (with role `$r`) reads messages to role `$r` in
/// the units they serve, and those to all units. `m` is the message row.
pub(crate) const SERVES_MESSAGE: &str = "(m.unit_id IS NULL OR m.unit_id = st.unit_id \
     OR m.unit_id IN (SELECT su.unit_id FROM staff_units su WHERE su.staff_id = st.id))";

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

/// Send a message to a role's inbox. Messages to the night patrol carry
/// the unit's deadline that day and whether they came after it (R2.12).
/// A retry with the same `id` stores nothing new.
#[utoipa::path(post, path = "/v1/messages", tag = "messages", security(("session" = [])), request_body = SendMessage,
    responses(
        (status = 200, body = SendMessageResponse),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "Unknown unit, brukare or lock", body = ErrorBody),
        (status = 409, description = "The id is taken by a different message", body = ErrorBody),
    ))]
pub(super) async fn send(
    State(s): State<AppState>,
    caller: Caller,
    Json(req): Json<SendMessage>,
) -> Result<Json<SendMessageResponse>> {
    let id = match &req.id {
        Some(id) => {
            codec::check_id(id, "id")?;
            id.clone()
        }
        None => codec::new_id("msg")?,
    };
    codec::check_text(&req.subject, 200, "subject", false)?;
    codec::check_text(&req.body, 4000, "body", true)?;
    if let Some(step) = &req.routine_step {
        codec::check_routine_step(step)?;
    }
    let unit_id = match req.unit_id.as_deref() {
        Some("*") => None,
        Some(u) => {
            codec::check_id(u, "unit_id")?;
            store::unit(s.db(), u).await?;
            Some(u.to_owned())
        }
        None => caller.staff().map(|st| st.unit_id.clone()),
    };
    if let Some(b) = &req.brukare_id {
        codec::check_id(b, "brukare_id")?;
        store::brukare(s.db(), b).await?;
    }
    if let Some(l) = &req.lock_id {
        codec::check_id(l, "lock_id")?;
        store::lock(s.db(), l).await?;
    }
    let now = s.now();
    let from = caller.staff().map(|st| (st.id.as_str(), st.role));
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
    let staff_id = caller.staff().map(|st| st.id.clone()).unwrap_or_default();
    let message = load_message(s.db(), &id, &staff_id).await?;
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

/// The caller's role inbox, newest first: messages to the caller's role in
/// every unit the caller serves (their own and those they serve besides
/// it), and messages to all units.
#[utoipa::path(get, path = "/v1/inbox", tag = "messages", security(("session" = [])), params(InboxQuery),
    responses(
        (status = 200, body = Vec<Message>),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub(super) async fn inbox(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<InboxQuery>,
) -> Result<Json<Vec<Message>>> {
    let (role, unit, staff_id) = match &caller {
        Caller::Device(d) => {
            if q.role.is_some_and(|r| r != d.staff.role) || q.unit_id.is_some() {
                return Err(Error::Forbidden(
                    "a device reads only its own role's inbox in the units it serves".into(),
                ));
            }
            (d.staff.role, String::new(), d.staff.id.clone())
        }
        Caller::Admin => {
            let role = q
                .role
                .ok_or_else(|| Error::bad("the admin token must name the inbox: ?role=..."))?;
            let unit = q.unit_id.clone().unwrap_or_else(|| "*".into());
            if unit != "*" {
                codec::check_id(&unit, "unit_id")?;
            }
            (role, unit, String::new())
        }
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(Error::bad("limit must be 1 to 500"));
    }
    let since = q.since.unwrap_or(0);
    codec::check_time(since, "since")?;
    // A device: the units its staff member serves ($2 = ''); the admin: one
    // unit's or all ('*').
    let rows = sqlx::query(&format!(
        "SELECT m.*, r.read_at FROM messages m LEFT JOIN message_reads r \
         ON r.message_id = m.id AND r.staff_id = $3 \
         LEFT JOIN staff st ON st.id = $3 \
         WHERE m.to_role = $1 \
           AND (($2 = '' AND {SERVES_MESSAGE}) OR $2 = '*' \
                OR ($2 <> '' AND (m.unit_id IS NULL OR m.unit_id = $2))) \
           AND m.created_at >= $4 \
         ORDER BY m.created_at DESC, m.id LIMIT $5"
    ))
    .bind(role.as_str())
    .bind(&unit)
    .bind(&staff_id)
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
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Message>> {
    codec::check_id(&id, "message id")?;
    let dev = caller.device()?;
    let m = load_message(s.db(), &id, &dev.staff.id).await?;
    if !reads(&dev.staff, &m) {
        return Err(Error::not_found("message", id));
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
