//! Locks, for the alarm group: commissioning (register the lock's key under
//! a lock id and get the issuer-signed grant, R1.6), the brukare's receipt
//! verified (R1.9), installation at a brukare's door only with that receipt
//! (R1.9; R1.10: the night patrol's coordinator and the home care group are
//! told), and removal after the parties were contacted (R1.12: no more
//! keys, ever; the night patrol and home care learn the lock is gone).

use axum::extract::State;
use nyckelfri_protocol::PublicKey;
use nyckelfri_protocol::commission::CommissionGrant;
use nyckelfri_protocol::keys::PUBLIC_KEY_LEN;

use super::messages::{NewMessage, insert_message};
use super::{Json, Path, Query};
use crate::audit::{self, Action};
use crate::auth::Caller;
use crate::codec;
use crate::error::{Error, ErrorBody, Result};
use crate::installation_receipts as receipts;
use crate::model::{
    InstallLock, InstallationReceiptInfo, Lock, LockKind, LockQuery, LockState, OrderKind,
    RegisterLock, RegisterLockResponse, Role, UploadReceipt,
};
use crate::permit::{Permit, UnitScope};
use crate::policy::Scope;
use crate::state::AppState;
use crate::{orders, revocation, store, time};

/// The policy's action for locks at no brukare (the alarm group's stock).
pub(crate) const STOCK: &str = "locks.stock";

/// The unit a lock belongs to: its brukare's (`None` for a lock in stock).
async fn lock_unit(s: &AppState, lock: &Lock) -> Result<Option<String>> {
    match &lock.brukare_id {
        Some(b) => Ok(Some(store::brukare(s.db(), b).await?.unit_id)),
        None => Ok(None),
    }
}

/// 403 unless the caller reaches the lock: its brukare's unit is one they
/// serve; a lock in stock (at no brukare) is the alarm group's.
async fn lock_in_reach(s: &AppState, permit: &Permit, lock: &Lock) -> Result<Option<String>> {
    let unit = lock_unit(s, lock).await?;
    match &unit {
        Some(u) => permit.require_unit(u)?,
        None => {
            permit.may(STOCK).map_err(|_| {
                Error::Forbidden(format!("lock '{}' is in the alarm group's stock", lock.id))
            })?;
        }
    }
    Ok(unit)
}

/// Locks at brukare of the caller's units (and, for the alarm group and
/// the head of operations, locks in stock), all or one brukare's.
#[utoipa::path(get, path = "/v1/locks", tag = "locks", security(("session" = [])), params(LockQuery),
    responses((status = 200, body = Vec<Lock>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn list(
    State(s): State<AppState>,
    permit: Permit,
    Query(q): Query<LockQuery>,
) -> Result<Json<Vec<Lock>>> {
    let brukare = codec::filter_id(&q.brukare_id, "brukare_id")?;
    if !brukare.is_empty() {
        permit.require_unit(&store::brukare(s.db(), &brukare).await?.unit_id)?;
    }
    let stock = permit.may(STOCK).is_ok();
    let rows = sqlx::query(&format!(
        "SELECT {} FROM locks l LEFT JOIN brukare b ON b.id = l.brukare_id \
         WHERE ($1 = '' OR l.brukare_id = $1) \
         AND ((b.unit_id IS NULL AND $3 = 1) OR (b.unit_id IS NOT NULL AND {})) \
         ORDER BY l.id LIMIT 5000",
        store::LOCK_COLS,
        UnitScope::sql("b.unit_id", 2)
    ))
    .bind(&brukare)
    .bind(permit.unit_scope().param())
    .bind(i64::from(stock))
    .fetch_all(s.db().pool())
    .await?;
    Ok(Json(
        rows.iter().map(store::row_lock).collect::<Result<_>>()?,
    ))
}

/// One lock.
#[utoipa::path(get, path = "/v1/locks/{id}", tag = "locks", security(("session" = [])),
    params(("id" = String, Path, description = "Lock id")),
    responses((status = 200, body = Lock), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn get_one(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
) -> Result<Json<Lock>> {
    codec::check_id(&id, "lock id")?;
    let lock = store::lock(s.db(), &id).await?;
    lock_in_reach(&s, &permit, &lock).await?;
    Ok(Json(lock))
}

/// Commission a lock (alarm technicians): register its public key (from
/// its Hello in commissioning mode) under a lock id, for an open
/// installation order, and get the grant the app passes to the lock.
/// Registering the same id and key again, while an installation order is
/// open, gives a fresh grant.
#[utoipa::path(post, path = "/v1/locks", tag = "locks", security(("session" = [])), request_body = RegisterLock,
    responses(
        (status = 200, body = RegisterLockResponse),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "No such order", body = ErrorBody),
        (status = 409, description = "The id or key belongs to another lock, the lock was removed, or the order is not an open installation order for this kind of lock", body = ErrorBody),
    ))]
pub(super) async fn register(
    State(s): State<AppState>,
    permit: Permit,
    Json(req): Json<RegisterLock>,
) -> Result<Json<RegisterLockResponse>> {
    codec::check_id(&req.lock_id, "lock_id")?;
    let key_bytes = codec::decode_fixed(&req.public_key, PUBLIC_KEY_LEN, "public_key")?;
    let key =
        PublicKey::from_sec1(&key_bytes).map_err(|e| Error::bad(format!("public_key: {e}")))?;
    let kind = req.kind.unwrap_or(LockKind::Door);
    let now = s.now();
    let db = s.db();
    open_installation_order(db, &permit, &req.order_id, kind).await?;
    match store::lock(db, &req.lock_id).await {
        Ok(existing) => {
            // A fresh grant for a lock at a door is for who reaches that door.
            lock_in_reach(&s, &permit, &existing).await?;
            if existing.public_key != hex::encode(&key_bytes) {
                return Err(Error::Conflict(format!(
                    "lock id '{}' belongs to another lock key",
                    req.lock_id
                )));
            }
            if existing.state == LockState::Removed {
                return Err(Error::Conflict(format!(
                    "lock '{}' was removed; a removed lock gets a new id",
                    req.lock_id
                )));
            }
        }
        Err(Error::NotFound { .. }) => {
            let other: Option<String> =
                sqlx::query_scalar("SELECT id FROM locks WHERE public_key = $1")
                    .bind(key_bytes.clone())
                    .fetch_optional(db.pool())
                    .await?;
            if let Some(other) = other {
                return Err(Error::Conflict(format!(
                    "this lock key is already registered as lock '{other}'"
                )));
            }
            let mut tx = db.begin_write().await?;
            sqlx::query(
                "INSERT INTO locks (id, public_key, kind, commissioned_at, order_id) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&req.lock_id)
            .bind(key_bytes.clone())
            .bind(kind.as_str())
            .bind(now)
            .bind(&req.order_id)
            .execute(&mut *tx)
            .await?;
            let rec = permit
                .record(Action::Write, now)
                .target("lock", &req.lock_id, None)
                .after(
                    &serde_json::json!({"id": req.lock_id, "public_key": hex::encode(&key_bytes),
                                           "kind": kind.as_str(), "state": "commissioned"}),
                );
            audit::insert(&mut tx, &[rec]).await?;
            tx.commit().await?;
        }
        Err(e) => return Err(e),
    }
    sqlx::query("UPDATE locks SET order_id = $1 WHERE id = $2")
        .bind(&req.order_id)
        .bind(&req.lock_id)
        .execute(db.pool())
        .await?;
    let grant_expires = now + s.settings().grant_ttl_secs;
    let grant = CommissionGrant::issue(
        &key,
        &req.lock_id,
        s.issuer(),
        u64::try_from(now).unwrap_or(0),
        u64::try_from(grant_expires).unwrap_or(0),
    )?;
    Ok(Json(RegisterLockResponse {
        lock: store::lock(db, &req.lock_id).await?,
        grant: codec::b64(&grant),
        grant_expires,
    }))
}

/// Grants are issued only for a lock key on an open installation order of
/// the lock's kind: a door lock for a new or existing brukare, an entrance
/// lock for an entrance order (R1.1, R1.3, R1.4) — of a unit the caller
/// serves.
async fn open_installation_order(
    db: &crate::db::Db,
    permit: &Permit,
    order_id: &str,
    kind: LockKind,
) -> Result<()> {
    codec::check_id(order_id, "order_id")?;
    let row: Option<(String, String, String)> =
        sqlx::query_as("SELECT kind, status, unit_id FROM orders WHERE id = $1")
            .bind(order_id)
            .fetch_optional(db.pool())
            .await?;
    let Some((order_kind, status, unit_id)) = row else {
        return Err(Error::not_found("order", order_id));
    };
    permit.require_unit(&unit_id)?;
    let kinds: &[&str] = match kind {
        LockKind::Door => &["new_brukare", "existing_brukare"],
        LockKind::Entrance => &["entrance"],
    };
    if !matches!(status.as_str(), "open" | "scheduled") || !kinds.contains(&order_kind.as_str()) {
        return Err(Error::Conflict(format!(
            "order '{order_id}' is not an open installation order for a {} lock \
             ({order_kind}, {status}): no grant",
            kind.as_str()
        )));
    }
    Ok(())
}

/// R1.9: upload the brukare's signed receipt and responsibility agreement
/// (the technician's device that signed it). The server verifies the
/// content's hash, the signature under this device's enrolled key, the
/// agreement text it names and the consent: the brukare's signature, or
/// — when the brukare cannot sign — a named second person who is not the
/// technician, and the reason. It links it to the brukare's installation
/// order. The same receipt again answers as it is.
#[utoipa::path(post, path = "/v1/installation-receipts", tag = "locks", security(("session" = [])),
    request_body = UploadReceipt,
    responses((status = 200, body = InstallationReceiptInfo),
        (status = 400, description = "The receipt does not verify (the message says why)", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "Unknown lock or brukare", body = ErrorBody),
        (status = 409, description = "The lock was removed or is at another brukare, or the id is another receipt's", body = ErrorBody)))]
pub(super) async fn upload_receipt(
    State(s): State<AppState>,
    permit: Permit,
    Json(req): Json<UploadReceipt>,
) -> Result<Json<InstallationReceiptInfo>> {
    Ok(Json(
        receipts::verify_and_store(s.db(), &permit, &req, s.now()).await?,
    ))
}

/// One verified receipt (R1.9).
#[utoipa::path(get, path = "/v1/installation-receipts/{id}", tag = "locks", security(("session" = [])),
    params(("id" = String, Path, description = "Receipt id")),
    responses((status = 200, body = InstallationReceiptInfo), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn get_receipt(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
) -> Result<Json<InstallationReceiptInfo>> {
    codec::check_id(&id, "receipt id")?;
    let r = receipts::receipt(s.db(), &id).await?;
    permit.require_unit(&store::brukare(s.db(), &r.brukare_id).await?.unit_id)?;
    crate::audit::read(&s, &permit, [r.brukare_id.as_str()]).await;
    Ok(Json(r))
}

/// Install a commissioned lock at a brukare's door: the technician of an
/// open installation order of the lock's kind for that brukare, booked for
/// them (the admin token, setting up, needs no order). The order is done,
/// and its keys end.
/// R1.9: a device installs only with the brukare's receipt for this lock
/// and brukare, verified by the server (`POST /v1/installation-receipts`;
/// 409 `conflict` without one); the admin token may register a lock
/// installed before the system. R1.10: the night patrol's coordinator and
/// the home care group's coordinator get a message saying when.
#[utoipa::path(post, path = "/v1/locks/{id}/install", tag = "locks", security(("session" = [])),
    params(("id" = String, Path, description = "Lock id")), request_body = InstallLock,
    responses((status = 200, body = Lock), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Removed, installed at another brukare, or no verified receipt (R1.9)", body = ErrorBody)))]
pub(super) async fn install(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
    Json(req): Json<InstallLock>,
) -> Result<Json<Lock>> {
    codec::check_id(&id, "lock id")?;
    codec::check_id(&req.brukare_id, "brukare_id")?;
    let db = s.db();
    let lock = store::lock(db, &id).await?;
    let b = store::brukare(db, &req.brukare_id).await?;
    permit.require_unit(&b.unit_id)?;
    match lock.state {
        LockState::Removed => {
            return Err(Error::Conflict(format!("lock '{id}' has been removed")));
        }
        LockState::Installed if lock.brukare_id.as_deref() != Some(b.id.as_str()) => {
            return Err(Error::Conflict(format!(
                "lock '{id}' is installed at another brukare; remove it first"
            )));
        }
        LockState::Installed => return Ok(Json(lock)),
        LockState::Commissioned => {}
    }
    if permit.scope() == Scope::Assigned {
        // No order, no installation: an open installation order of this
        // kind, for this brukare, booked for the caller.
        let kinds: &[OrderKind] = match lock.kind {
            LockKind::Door => &[OrderKind::NewBrukare, OrderKind::ExistingBrukare],
            LockKind::Entrance => &[OrderKind::Entrance],
        };
        let me = permit.staff_id().unwrap_or_default();
        let booked: Option<String> = sqlx::query_scalar(&format!(
            "SELECT id FROM orders WHERE brukare_id = $1 AND status IN {} AND scheduled_to = $2 \
             AND kind IN ($3, $4) AND (lock_id IS NULL OR lock_id = $5) LIMIT 1",
            orders::ACTIVE
        ))
        .bind(&b.id)
        .bind(me)
        .bind(kinds.first().map(|k| k.as_str()).unwrap_or(""))
        .bind(
            kinds
                .get(1)
                .or(kinds.first())
                .map(|k| k.as_str())
                .unwrap_or(""),
        )
        .bind(&id)
        .fetch_optional(db.pool())
        .await?;
        if booked.is_none() {
            return Err(Error::Forbidden(format!(
                "no open installation order for {} is booked for you",
                b.id
            )));
        }
    }
    // R1.9: "Brukaren bekräftar installationen genom att skriva under
    // kvittensen och ett ansvarsavtal" — no service without it.
    let receipt = match permit.caller() {
        Caller::Admin => receipts::for_lock(db.pool(), &id, &b.id).await?,
        Caller::Device(_) => Some(receipts::for_lock(db.pool(), &id, &b.id).await?.ok_or_else(
            || {
                Error::Conflict(format!(
                    "R1.9: no verified receipt from the brukare for lock '{id}' at '{}': upload \
                     the signed receipt and agreement (POST /v1/installation-receipts) first",
                    b.id
                ))
            },
        )?),
    };
    let now = s.now();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE locks SET brukare_id = $1, installed_at = $2, receipt_id = $3 \
         WHERE id = $4 AND removed_at IS NULL",
    )
    .bind(&b.id)
    .bind(now)
    .bind(receipt.clone())
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    // R1.6: the brukare's open installation order is done, with its receipt, and its keys end.
    let order =
        orders::lock_installed(&mut tx, &id, lock.kind, &b.id, permit.staff_id(), now).await?;
    if let (Some(order), Some(receipt)) = (&order, &receipt) {
        sqlx::query("UPDATE orders SET receipt_id = $1 WHERE id = $2")
            .bind(receipt)
            .bind(order)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE installation_receipts SET order_id = COALESCE(order_id, $1) WHERE id = $2",
        )
        .bind(order)
        .bind(receipt)
        .execute(&mut *tx)
        .await?;
    }
    orders::revoke_closed_order_tokens(&mut tx, s.issuer(), now).await?;
    let after = Lock {
        brukare_id: Some(b.id.clone()),
        state: LockState::Installed,
        installed_at: Some(now),
        ..lock.clone()
    };
    let rec = permit
        .record(Action::Write, now)
        .target("lock", &id, Some(&b.unit_id))
        .before(&lock)
        .after(&after)
        .brukare([b.id.as_str()]);
    audit::insert(&mut tx, &[rec]).await?;
    tx.commit().await?;
    let (_, tz) = store::unit_tz(db, &b.unit_id).await?;
    let when = tz
        .timestamp_opt_local(now)
        .unwrap_or_else(|| now.to_string());
    let body = format!(
        "Låsvred {id} installerat {when} hos {} ({}).",
        b.display_name, b.id
    );
    let from = permit.from();
    // R1.10: "koordinatorn för nattpatrullen och hemtjänstgruppen".
    for role in [Role::NightPatrolCoordinator, Role::Coordinator] {
        insert_message(
            db,
            &NewMessage {
                id: format!("r1.10-{id}-{}", role.as_str()),
                to_role: role,
                unit_id: Some(&b.unit_id),
                from,
                routine_step: Some("R1.10"),
                subject: "Elektroniskt låsvred installerat",
                body: &body,
                brukare_id: Some(&b.id),
                lock_id: Some(&id),
                handle_from: None,
                outage_id: None,
                deadline_at: None,
            },
            now,
        )
        .await?;
    }
    Ok(Json(store::lock(db, &id).await?))
}

trait LocalStamp {
    fn timestamp_opt_local(&self, t: i64) -> Option<String>;
}

impl LocalStamp for chrono_tz::Tz {
    fn timestamp_opt_local(&self, t: i64) -> Option<String> {
        use chrono::TimeZone;
        self.timestamp_opt(t, 0)
            .single()
            .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
    }
}

/// Mark a lock removed (alarm technicians, R1.12). When the lock has an
/// open removal order, the alarm group must first have recorded whom they
/// contacted (`POST /v1/orders/{id}/contacts`; 409 otherwise). It never
/// gets a key again; its outstanding tokens go on the revocation list; the
/// home care group's coordinator and the night patrol learn it is gone.
#[utoipa::path(post, path = "/v1/locks/{id}/remove", tag = "locks", security(("session" = [])),
    params(("id" = String, Path, description = "Lock id")),
    responses((status = 200, body = Lock), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn remove(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
) -> Result<Json<Lock>> {
    codec::check_id(&id, "lock id")?;
    let db = s.db();
    let lock = store::lock(db, &id).await?;
    let unit = lock_in_reach(&s, &permit, &lock).await?;
    if lock.state == LockState::Removed {
        return Ok(Json(lock));
    }
    let now = s.now();
    let mut tx = db.begin_write().await?;
    // A write first (db.rs); a refusal below rolls it back.
    sqlx::query("UPDATE locks SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL")
        .bind(now)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    // R1.12: "Larmgruppen tar kontakt med berörda parter och genomför
    // nedmonteringen" — the contact comes first.
    let uncontacted: Option<String> = sqlx::query_scalar(&format!(
        "SELECT o.id FROM orders o WHERE o.lock_id = $1 AND o.kind = 'removal' \
         AND o.status IN {} \
         AND NOT EXISTS (SELECT 1 FROM order_contacts c WHERE c.order_id = o.id) LIMIT 1",
        orders::ACTIVE
    ))
    .bind(&id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(order) = uncontacted {
        return Err(Error::Conflict(format!(
            "R1.12: record whom you contacted about removal order '{order}' (POST \
             /v1/orders/{order}/contacts) before removing the lock"
        )));
    }
    // R1.12: the lock's open removal order is done.
    orders::lock_removed(&mut tx, &id, permit.staff_id(), now).await?;
    let tokens = revocation::live_tokens(&mut tx, revocation::Holder::Lock(&id), now).await?;
    if !tokens.is_empty() {
        revocation::revoke(&mut tx, s.issuer(), now, &tokens).await?;
    }
    orders::revoke_closed_order_tokens(&mut tx, s.issuer(), now).await?;
    let after = Lock {
        state: LockState::Removed,
        removed_at: Some(now),
        ..lock.clone()
    };
    let rec = permit
        .record(Action::Write, now)
        .target("lock", &id, unit.as_deref())
        .before(&lock)
        .after(&after)
        .brukare(lock.brukare_id.iter().map(String::as_str));
    audit::insert(&mut tx, &[rec]).await?;
    tx.commit().await?;
    if let Some(bid) = &lock.brukare_id {
        let b = store::brukare(db, bid).await?;
        let (_, tz) = store::unit_tz(db, &b.unit_id).await?;
        let when = time::local_date(tz, now)?.format("%Y-%m-%d").to_string();
        let body = format!(
            "Låsvred {id} hos {} ({}) borttaget {when}.",
            b.display_name, b.id
        );
        // Home care, and the night patrol, who would otherwise come at
        // night with a key for a lock that is gone.
        for (role, tag) in [(Role::Coordinator, ""), (Role::NightPatrol, "-natt")] {
            insert_message(
                db,
                &NewMessage {
                    id: format!("r1.12-{id}{tag}"),
                    to_role: role,
                    unit_id: Some(&b.unit_id),
                    from: permit.from(),
                    routine_step: Some("R1.12"),
                    subject: "Elektroniskt låsvred borttaget",
                    body: &body,
                    brukare_id: Some(&b.id),
                    lock_id: Some(&id),
                    handle_from: None,
                    outage_id: None,
                    deadline_at: None,
                },
                now,
            )
            .await?;
        }
    }
    Ok(Json(store::lock(db, &id).await?))
}
