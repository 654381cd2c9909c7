//! Orders to the alarm group (routine R1): what the server does by itself
//! when a care decision ends (R1.5, R1.11: a removal order for each
//! installed lock, and planned installations cancelled), when a lock is
//! installed (the installation order becomes `installed`, R1.6, R1.10) and
//! when it is removed (the removal order becomes `removed`, R1.12). The
//! endpoints are `api/orders.rs`.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::api::messages::{NewMessage, insert_message_in};
use crate::codec;
use crate::error::Result;
use crate::model::{LockKind, Order, OrderKind, OrderStatus, Role};
use crate::store;

/// Selects an order with its brukare's name, as [`row_order`] reads it.
pub(crate) const ORDER_SELECT: &str = "SELECT o.*, b.display_name AS brukare_display_name FROM orders o \
     JOIN brukare b ON b.id = o.brukare_id";

/// Statuses of an order the alarm group still has to work on.
pub(crate) const ACTIVE: &str = "('open', 'scheduled')";

fn flag(r: &AnyRow, col: &str) -> Result<Option<bool>> {
    Ok(r.try_get::<Option<i64>, _>(col)?.map(|v| v != 0))
}

pub(crate) fn row_order(r: &AnyRow) -> Result<Order> {
    Ok(Order {
        id: r.try_get("id")?,
        kind: OrderKind::parse(&r.try_get::<String, _>("kind")?)?,
        status: OrderStatus::parse(&r.try_get::<String, _>("status")?)?,
        unit_id: r.try_get("unit_id")?,
        brukare_id: r.try_get("brukare_id")?,
        brukare_display_name: r.try_get("brukare_display_name")?,
        lock_id: r.try_get("lock_id")?,
        decision_id: r.try_get("decision_id")?,
        brukare_informed: flag(r, "brukare_informed")?,
        brukare_accepted: flag(r, "brukare_accepted")?,
        contact_name: r.try_get("contact_name")?,
        contact_phone: r.try_get("contact_phone")?,
        address: r.try_get("address")?,
        note: r.try_get("note")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        due_at: r.try_get("due_at")?,
        scheduled_for: r.try_get("scheduled_for")?,
        scheduled_to: r.try_get("scheduled_to")?,
        scheduled_at: r.try_get("scheduled_at")?,
        installed_at: r.try_get("installed_at")?,
        removed_at: r.try_get("removed_at")?,
        cancelled_at: r.try_get("cancelled_at")?,
        cancel_reason: r.try_get("cancel_reason")?,
        closed_by: r.try_get("closed_by")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// One order, on a connection.
pub(crate) async fn order_in(conn: &mut AnyConnection, id: &str) -> Result<Order> {
    let r = sqlx::query(&format!("{ORDER_SELECT} WHERE o.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| crate::error::Error::not_found("order", id))?;
    row_order(&r)
}

/// Messages the alarm group (the technicians of the brukare's unit) about
/// an order.
pub(crate) async fn message_alarm_group(
    conn: &mut AnyConnection,
    o: &Order,
    step: &str,
    subject: &str,
    body: &str,
    from: Option<(&str, Role)>,
    now: i64,
) -> Result<()> {
    message_role(
        conn,
        o,
        Role::AlarmTechnician,
        step,
        subject,
        body,
        from,
        now,
    )
    .await
}

/// Messages `role` in the brukare's unit about an order (once per order,
/// step and role: the message id is made from them).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn message_role(
    conn: &mut AnyConnection,
    o: &Order,
    role: Role,
    step: &str,
    subject: &str,
    body: &str,
    from: Option<(&str, Role)>,
    now: i64,
) -> Result<()> {
    let who = match role {
        Role::AlarmTechnician => "alarm",
        Role::Coordinator => "coord",
        other => other.as_str(),
    };
    insert_message_in(
        conn,
        &NewMessage {
            id: format!("{}-{}-{who}", step.to_ascii_lowercase(), o.id),
            to_role: role,
            unit_id: Some(&o.unit_id),
            from,
            routine_step: Some(step),
            subject,
            body,
            brukare_id: Some(&o.brukare_id),
            lock_id: o.lock_id.as_deref(),
            handle_from: None,
            outage_id: None,
            deadline_at: None,
        },
        now,
    )
    .await?;
    Ok(())
}

/// Cancels an active order (R1.5) and tells the alarm group.
pub(crate) async fn cancel_in(
    conn: &mut AnyConnection,
    id: &str,
    reason: &str,
    by: Option<(&str, Role)>,
    now: i64,
) -> Result<Order> {
    sqlx::query(&format!(
        "UPDATE orders SET status = 'cancelled', cancelled_at = $1, cancel_reason = $2, \
         closed_by = $3, updated_at = $1 WHERE id = $4 AND status IN {ACTIVE}"
    ))
    .bind(now)
    .bind(reason)
    .bind(by.map(|(s, _)| s.to_owned()))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let o = order_in(conn, id).await?;
    let what = if o.kind == OrderKind::Removal {
        "Borttagning av låsvred"
    } else {
        "Planerad installation av låsvred"
    };
    let body = format!(
        "{what} hos {} ({}) behövs inte längre ({reason}). Beställning {} är avbeställd.",
        o.brukare_display_name, o.brukare_id, o.id
    );
    message_alarm_group(conn, &o, "R1.5", "Beställning avbeställd", &body, by, now).await?;
    Ok(o)
}

/// A care decision's end was set (PATCH, CSV import) or a decision was
/// added (`old_end` = `None`). When the end moved earlier and no other
/// decision of the brukare lasts longer, the care ends at `new_end`:
/// each installed lock gets a removal order, messaged to the alarm group
/// (R1.5, R1.11, due at the end), and open installation orders are
/// cancelled (R1.5). When the brukare's care now lasts past the due time
/// of removal orders the server made, those are cancelled.
/// Runs on the caller's transaction.
pub(crate) async fn decision_changed(
    conn: &mut AnyConnection,
    decision_id: &str,
    old_end: Option<i64>,
    new_end: i64,
    now: i64,
) -> Result<()> {
    let brukare_id: String = sqlx::query_scalar("SELECT brukare_id FROM decisions WHERE id = $1")
        .bind(decision_id)
        .fetch_one(&mut *conn)
        .await?;
    let latest: Option<i64> =
        sqlx::query_scalar("SELECT MAX(ends_at) FROM decisions WHERE brukare_id = $1")
            .bind(&brukare_id)
            .fetch_one(&mut *conn)
            .await?;
    let latest = latest.unwrap_or(new_end);
    let ended_earlier = old_end.is_some_and(|o| new_end < o);
    if ended_earlier && latest <= new_end {
        care_ends(conn, &brukare_id, decision_id, new_end, now).await?;
    } else {
        let stale: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT id FROM orders WHERE brukare_id = $1 AND kind = 'removal' \
             AND status IN {ACTIVE} AND decision_id IS NOT NULL AND due_at < $2 ORDER BY id"
        ))
        .bind(&brukare_id)
        .bind(latest)
        .fetch_all(&mut *conn)
        .await?;
        for id in stale {
            cancel_in(conn, &id, "decision_extended", None, now).await?;
        }
    }
    Ok(())
}

async fn care_ends(
    conn: &mut AnyConnection,
    brukare_id: &str,
    decision_id: &str,
    ends_at: i64,
    now: i64,
) -> Result<()> {
    let b = store::brukare_in(conn, brukare_id).await?;
    let locks: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM locks WHERE brukare_id = $1 AND installed_at IS NOT NULL \
         AND removed_at IS NULL ORDER BY id",
    )
    .bind(brukare_id)
    .fetch_all(&mut *conn)
    .await?;
    let (_, tz) = store::unit_tz_in(conn, &b.unit_id).await?;
    let when = crate::time::local_date(tz, ends_at)?
        .format("%Y-%m-%d")
        .to_string();
    for lock_id in locks {
        let existing: Option<String> = sqlx::query_scalar(&format!(
            "SELECT id FROM orders WHERE lock_id = $1 AND kind = 'removal' AND status IN {ACTIVE}"
        ))
        .bind(&lock_id)
        .fetch_optional(&mut *conn)
        .await?;
        let id = match existing {
            Some(id) => {
                sqlx::query(
                    "UPDATE orders SET due_at = $1, decision_id = $2, updated_at = $3 WHERE id = $4",
                )
                .bind(ends_at)
                .bind(decision_id)
                .bind(now)
                .bind(&id)
                .execute(&mut *conn)
                .await?;
                id
            }
            None => {
                let id = codec::new_id("ord")?;
                sqlx::query(
                    "INSERT INTO orders (id, kind, status, unit_id, brukare_id, lock_id, \
                     decision_id, address, created_at, due_at, updated_at) \
                     VALUES ($1, 'removal', 'open', $2, $3, $4, $5, $6, $7, $8, $7)",
                )
                .bind(&id)
                .bind(&b.unit_id)
                .bind(&b.id)
                .bind(&lock_id)
                .bind(decision_id)
                .bind(&b.address)
                .bind(now)
                .bind(ends_at)
                .execute(&mut *conn)
                .await?;
                id
            }
        };
        let o = order_in(conn, &id).await?;
        let body = format!(
            "Insatsen hos {} ({}) upphör {when} (beslut {decision_id}). Låsvred {lock_id} ska \
             tas bort. Beställning {id}.",
            b.display_name, b.id
        );
        message_alarm_group(conn, &o, "R1.11", "Låsvred ska tas bort", &body, None, now).await?;
    }
    let planned: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT id FROM orders WHERE brukare_id = $1 AND kind <> 'removal' \
         AND status IN {ACTIVE} ORDER BY id"
    ))
    .bind(brukare_id)
    .fetch_all(&mut *conn)
    .await?;
    for id in planned {
        cancel_in(conn, &id, "decision_ended", None, now).await?;
    }
    Ok(())
}

/// R1.6, R1.10: a lock was installed at a brukare; the oldest active
/// installation order of its kind becomes `installed`.
pub(crate) async fn lock_installed(
    conn: &mut AnyConnection,
    lock_id: &str,
    kind: LockKind,
    brukare_id: &str,
    by: Option<&str>,
    now: i64,
) -> Result<Option<String>> {
    let kinds = match kind {
        LockKind::Door => "('new_brukare', 'existing_brukare')",
        LockKind::Entrance => "('entrance')",
    };
    let id: Option<String> = sqlx::query_scalar(&format!(
        "SELECT id FROM orders WHERE brukare_id = $1 AND kind IN {kinds} \
         AND status IN {ACTIVE} ORDER BY created_at, id LIMIT 1"
    ))
    .bind(brukare_id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = &id {
        sqlx::query(&format!(
            "UPDATE orders SET status = 'installed', installed_at = $1, lock_id = $2, \
             closed_by = $3, updated_at = $1 WHERE id = $4 AND status IN {ACTIVE}"
        ))
        .bind(now)
        .bind(lock_id)
        .bind(by.map(str::to_owned))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// R1.12: a lock was removed; its active removal order becomes `removed`.
pub(crate) async fn lock_removed(
    conn: &mut AnyConnection,
    lock_id: &str,
    by: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query(&format!(
        "UPDATE orders SET status = 'removed', removed_at = $1, closed_by = $2, updated_at = $1 \
         WHERE lock_id = $3 AND kind = 'removal' AND status IN {ACTIVE}"
    ))
    .bind(now)
    .bind(by.map(str::to_owned))
    .bind(lock_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The live technicians' keys of orders that are closed (installed,
/// removed, cancelled, declined, done): an order's keys end with it.
pub(crate) async fn closed_order_tokens(
    conn: &mut AnyConnection,
    now: i64,
) -> Result<Vec<(Vec<u8>, i64)>> {
    let rows = sqlx::query(&format!(
        "SELECT t.token_id, t.expires FROM issued_tokens t JOIN orders o ON o.id = t.order_id \
         WHERE o.status NOT IN {ACTIVE} AND t.revoked_at IS NULL AND t.expires > $1"
    ))
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("token_id")?, r.try_get("expires")?)))
        .collect()
}

/// Revokes the keys of orders closed in this transaction (see
/// [`closed_order_tokens`]); returns how many.
pub(crate) async fn revoke_closed_order_tokens(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    issuer: &nyckelfri_protocol::SoftwareKey,
    now: i64,
) -> Result<u64> {
    let tokens = closed_order_tokens(tx, now).await?;
    if !tokens.is_empty() {
        crate::revocation::revoke(tx, issuer, now, &tokens).await?;
    }
    Ok(tokens.len() as u64)
}
