//! Orders to the alarm group (routine R1): what the server does when a
//! care decision ends — its end date edited, or simply reached (the
//! scheduler) — and when home care says a service ended (R1.5, R1.11: a
//! removal order for each installed lock, and planned installations
//! cancelled); the alarm group's contacts before removal (R1.12); when a
//! lock is installed (the installation order becomes `installed`, R1.6,
//! R1.9, R1.10) and when it is removed (the removal order becomes
//! `removed`, R1.12). The endpoints are `api/orders.rs`.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::api::messages::{NewMessage, insert_message_in};
use crate::codec;
use crate::db::Db;
use crate::error::Result;
use crate::model::{LockKind, Order, OrderContact, OrderKind, OrderStatus, Role};
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
        reason: r.try_get("reason")?,
        receipt_id: r.try_get("receipt_id")?,
        contacts: Vec::new(),
    })
}

/// R1.12: the contacts recorded for an order, first first.
pub(crate) async fn contacts_in(
    conn: &mut AnyConnection,
    order_id: &str,
) -> Result<Vec<OrderContact>> {
    sqlx::query("SELECT * FROM order_contacts WHERE order_id = $1 ORDER BY contacted_at, id")
        .bind(order_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(OrderContact {
                id: r.try_get("id")?,
                party: r.try_get("party")?,
                contacted_at: r.try_get("contacted_at")?,
                note: r.try_get("note")?,
                recorded_by: r.try_get("recorded_by")?,
                recorded_at: r.try_get("recorded_at")?,
            })
        })
        .collect()
}

/// Fills in the orders' contacts (removal orders have them).
pub(crate) async fn with_contacts(conn: &mut AnyConnection, orders: &mut [Order]) -> Result<()> {
    for o in orders.iter_mut().filter(|o| o.kind == OrderKind::Removal) {
        o.contacts = contacts_in(conn, &o.id).await?;
    }
    Ok(())
}

/// One order, on a connection.
pub(crate) async fn order_in(conn: &mut AnyConnection, id: &str) -> Result<Order> {
    let r = sqlx::query(&format!("{ORDER_SELECT} WHERE o.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| crate::error::Error::not_found("order", id))?;
    let mut o = row_order(&r)?;
    if o.kind == OrderKind::Removal {
        o.contacts = contacts_in(conn, id).await?;
    }
    Ok(o)
}

/// The scheduler's claim on a date-driven action: true for the one
/// transaction (on any instance) that inserted it.
pub(crate) async fn claim(conn: &mut AnyConnection, key: &str, now: i64) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO scheduler_claims (key, claimed_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(key)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1)
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
    removal_orders(
        conn,
        brukare_id,
        Removal {
            decision_id: Some(decision_id),
            reason: "decision_ended",
            due_at: ends_at,
            note: None,
            from: None,
        },
        now,
    )
    .await
    .map(|_| ())
}

/// Why and when locks are to be removed.
pub(crate) struct Removal<'a> {
    /// The decision that ended, if that is why.
    pub decision_id: Option<&'a str>,
    /// `decision_ended` or `service_ended`.
    pub reason: &'a str,
    /// When the care or the service ends.
    pub due_at: i64,
    /// Home care's note.
    pub note: Option<&'a str>,
    /// Who says so (`None`: the server).
    pub from: Option<(&'a str, Role)>,
}

/// R1.5, R1.11: a removal order for each installed lock of the brukare
/// (an open one is kept, due no later than `due_at`), messaged to the
/// alarm group once per order, and the brukare's planned installations
/// cancelled. Returns the removal orders and the cancelled ones.
pub(crate) async fn removal_orders(
    conn: &mut AnyConnection,
    brukare_id: &str,
    why: Removal<'_>,
    now: i64,
) -> Result<(Vec<Order>, Vec<Order>)> {
    let Removal {
        decision_id,
        reason,
        due_at: ends_at,
        note,
        from,
    } = why;
    let mut removals = Vec::new();
    let mut cancelled = Vec::new();
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
                // The decision's end moves the due date either way; home
                // care's "service ended" only brings it earlier.
                let sql = if decision_id.is_some() {
                    "UPDATE orders SET due_at = $1, decision_id = COALESCE($2, decision_id), \
                     updated_at = $3 WHERE id = $4"
                } else {
                    "UPDATE orders SET due_at = CASE WHEN due_at IS NULL OR due_at > $1 THEN $1 \
                     ELSE due_at END, decision_id = COALESCE($2, decision_id), updated_at = $3 \
                     WHERE id = $4"
                };
                sqlx::query(sql)
                    .bind(ends_at)
                    .bind(decision_id.map(str::to_owned))
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
                     decision_id, address, created_at, created_by, due_at, updated_at, reason, note) \
                     VALUES ($1, 'removal', 'open', $2, $3, $4, $5, $6, $7, $8, $9, $7, $10, $11)",
                )
                .bind(&id)
                .bind(&b.unit_id)
                .bind(&b.id)
                .bind(&lock_id)
                .bind(decision_id.map(str::to_owned))
                .bind(&b.address)
                .bind(now)
                .bind(from.map(|(s, _)| s.to_owned()))
                .bind(ends_at)
                .bind(reason)
                .bind(note.map(str::to_owned))
                .execute(&mut *conn)
                .await?;
                id
            }
        };
        let o = order_in(conn, &id).await?;
        let why = match decision_id {
            Some(d) => format!(
                "Insatsen hos {} ({}) upphör {when} (beslut {d}).",
                b.display_name, b.id
            ),
            None => format!(
                "Hemtjänsten meddelar att insatsen hos {} ({}) avslutas {when}.",
                b.display_name, b.id
            ),
        };
        let note = note
            .filter(|n| !n.trim().is_empty())
            .map(|n| format!(" {n}"))
            .unwrap_or_default();
        let body = format!(
            "{why} Låsvred {lock_id} ska avinstalleras: ta kontakt med berörda parter och ta bort \
             det (R1.12). Beställning {id}.{note}"
        );
        message_alarm_group(conn, &o, "R1.11", "Låsvred ska tas bort", &body, from, now).await?;
        removals.push(o);
    }
    let planned: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT id FROM orders WHERE brukare_id = $1 AND kind <> 'removal' \
         AND status IN {ACTIVE} ORDER BY id"
    ))
    .bind(brukare_id)
    .fetch_all(&mut *conn)
    .await?;
    for id in planned {
        cancelled.push(cancel_in(conn, &id, reason, from, now).await?);
    }
    Ok((removals, cancelled))
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
) -> Result<Vec<crate::revocation::LiveToken>> {
    let rows = sqlx::query(&format!(
        "SELECT t.token_id, t.expires, t.lock_id, t.issued_at FROM issued_tokens t \
         JOIN orders o ON o.id = t.order_id \
         WHERE o.status NOT IN {ACTIVE} AND t.revoked_at IS NULL AND t.expires > $1"
    ))
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(crate::revocation::row_live_token).collect()
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

/// The scheduler (R1.5, R1.11): brukare whose care decisions have all
/// reached their end, with an installed lock or a planned installation,
/// get their removal orders (and cancellations) — once per brukare and
/// end, whichever instance runs it. Returns how many brukare.
pub(crate) async fn care_ended_by_date(db: &Db, now: i64) -> Result<u32> {
    let ended = sqlx::query(&format!(
        "SELECT e.brukare_id, e.ends_at FROM (\
           SELECT d.brukare_id, MAX(d.ends_at) AS ends_at FROM decisions d \
           WHERE EXISTS (SELECT 1 FROM locks l WHERE l.brukare_id = d.brukare_id \
                         AND l.installed_at IS NOT NULL AND l.removed_at IS NULL) \
              OR EXISTS (SELECT 1 FROM orders o WHERE o.brukare_id = d.brukare_id \
                         AND o.kind <> 'removal' AND o.status IN {ACTIVE}) \
           GROUP BY d.brukare_id) e \
         WHERE e.ends_at <= $1 AND NOT EXISTS (SELECT 1 FROM scheduler_claims c \
             WHERE c.key = 'care_ended:' || e.brukare_id || ':' || CAST(e.ends_at AS TEXT)) \
         ORDER BY e.brukare_id LIMIT 500"
    ))
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    let mut n = 0;
    for r in &ended {
        let brukare_id: String = r.try_get("brukare_id")?;
        let ends_at: i64 = r.try_get("ends_at")?;
        let mut tx = db.begin_write().await?;
        if !claim(&mut tx, &format!("care_ended:{brukare_id}:{ends_at}"), now).await? {
            continue;
        }
        let decision_id: String = sqlx::query_scalar(
            "SELECT id FROM decisions WHERE brukare_id = $1 AND ends_at = $2 ORDER BY id LIMIT 1",
        )
        .bind(&brukare_id)
        .bind(ends_at)
        .fetch_one(&mut *tx)
        .await?;
        care_ends(&mut tx, &brukare_id, &decision_id, ends_at, now).await?;
        tx.commit().await?;
        n += 1;
    }
    Ok(n)
}

/// The scheduler (R1.12): removal orders made ahead of their date remind
/// the alarm group the day they fall due — once per order and date.
pub(crate) async fn orders_due(db: &Db, now: i64) -> Result<u32> {
    let due: Vec<(String, i64)> = sqlx::query(&format!(
        "SELECT id, due_at FROM orders WHERE kind = 'removal' AND status IN {ACTIVE} \
         AND due_at <= $1 AND created_at < due_at \
         AND NOT EXISTS (SELECT 1 FROM scheduler_claims c \
             WHERE c.key = 'order_due:' || orders.id || ':' || CAST(orders.due_at AS TEXT)) \
         ORDER BY due_at, id LIMIT 500"
    ))
    .bind(now)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("due_at")?)))
    .collect::<Result<_>>()?;
    let mut n = 0;
    for (id, due_at) in due {
        let mut tx = db.begin_write().await?;
        if !claim(&mut tx, &format!("order_due:{id}:{due_at}"), now).await? {
            continue;
        }
        let o = order_in(&mut tx, &id).await?;
        let (_, tz) = store::unit_tz_in(&mut tx, &o.unit_id).await?;
        let when = crate::time::local_date(tz, due_at)?.format("%Y-%m-%d");
        let body = format!(
            "Insatsen hos {} ({}) har upphört {when}. Låsvred {} ska tas bort nu: ta kontakt med \
             berörda parter och genomför nedmonteringen (R1.12). Beställning {}.",
            o.brukare_display_name,
            o.brukare_id,
            o.lock_id.as_deref().unwrap_or("?"),
            o.id
        );
        insert_message_in(
            &mut tx,
            &NewMessage {
                id: format!("r1.12-due-{}-{due_at}", o.id),
                to_role: Role::AlarmTechnician,
                unit_id: Some(&o.unit_id),
                from: None,
                routine_step: Some("R1.12"),
                subject: "Låsvred ska tas bort nu",
                body: &body,
                brukare_id: Some(&o.brukare_id),
                lock_id: o.lock_id.as_deref(),
                handle_from: None,
                outage_id: None,
                deadline_at: None,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        n += 1;
    }
    Ok(n)
}

/// R1.12: records whom the alarm group contacted about a removal order.
pub(crate) async fn add_contact(
    conn: &mut AnyConnection,
    order_id: &str,
    party: &str,
    contacted_at: i64,
    note: Option<&str>,
    by: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO order_contacts (id, order_id, party, contacted_at, note, recorded_by, \
         recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(codec::new_id("kontakt")?)
    .bind(order_id)
    .bind(party)
    .bind(contacted_at)
    .bind(note.map(str::to_owned))
    .bind(by.map(str::to_owned))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
