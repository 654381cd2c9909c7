//! Locks, for the alarm group: commissioning (register the lock's key under
//! a lock id and get the issuer-signed grant, R1.6, R1.9), installation at a
//! brukare's door (R1.10: the night patrol and the home care group are told),
//! and removal (R1.12: no more keys, ever).

use axum::extract::State;
use nyckelfri_protocol::PublicKey;
use nyckelfri_protocol::commission::CommissionGrant;
use nyckelfri_protocol::keys::PUBLIC_KEY_LEN;

use super::messages::{NewMessage, insert_message};
use super::{Json, Path, Query};
use crate::auth::{Caller, MANAGERS};
use crate::codec;
use crate::error::{Error, ErrorBody, Result};
use crate::model::{
    InstallLock, Lock, LockKind, LockQuery, LockState, RegisterLock, RegisterLockResponse, Role,
};
use crate::state::AppState;
use crate::{orders, revocation, store, time};

fn readers() -> Vec<Role> {
    let mut r = MANAGERS.to_vec();
    r.push(Role::AlarmTechnician);
    r
}

/// Locks, all or one brukare's.
#[utoipa::path(get, path = "/v1/locks", tag = "locks", security(("session" = [])), params(LockQuery),
    responses((status = 200, body = Vec<Lock>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn list(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<LockQuery>,
) -> Result<Json<Vec<Lock>>> {
    caller.require(&readers())?;
    let rows = sqlx::query(&format!(
        "SELECT {} FROM locks l WHERE ($1 = '' OR l.brukare_id = $1) ORDER BY l.id LIMIT 5000",
        store::LOCK_COLS
    ))
    .bind(codec::filter_id(&q.brukare_id, "brukare_id")?)
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
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Lock>> {
    codec::check_id(&id, "lock id")?;
    caller.require(&readers())?;
    Ok(Json(store::lock(s.db(), &id).await?))
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
    caller: Caller,
    Json(req): Json<RegisterLock>,
) -> Result<Json<RegisterLockResponse>> {
    caller.require(&[Role::AlarmTechnician])?;
    codec::check_id(&req.lock_id, "lock_id")?;
    let key_bytes = codec::decode_fixed(&req.public_key, PUBLIC_KEY_LEN, "public_key")?;
    let key =
        PublicKey::from_sec1(&key_bytes).map_err(|e| Error::bad(format!("public_key: {e}")))?;
    let kind = req.kind.unwrap_or(LockKind::Door);
    let now = s.now();
    let db = s.db();
    open_installation_order(db, &req.order_id, kind).await?;
    match store::lock(db, &req.lock_id).await {
        Ok(existing) => {
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
            sqlx::query(
                "INSERT INTO locks (id, public_key, kind, commissioned_at, order_id) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&req.lock_id)
            .bind(key_bytes.clone())
            .bind(kind.as_str())
            .bind(now)
            .bind(&req.order_id)
            .execute(db.pool())
            .await?;
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
/// lock for an entrance order (R1.1, R1.3, R1.4).
async fn open_installation_order(db: &crate::db::Db, order_id: &str, kind: LockKind) -> Result<()> {
    codec::check_id(order_id, "order_id")?;
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT kind, status FROM orders WHERE id = $1")
            .bind(order_id)
            .fetch_optional(db.pool())
            .await?;
    let Some((order_kind, status)) = row else {
        return Err(Error::not_found("order", order_id));
    };
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

/// Install a commissioned lock at a brukare's door (alarm technicians).
/// R1.10: the night patrol and the home care group's coordinator get a
/// message saying when.
#[utoipa::path(post, path = "/v1/locks/{id}/install", tag = "locks", security(("session" = [])),
    params(("id" = String, Path, description = "Lock id")), request_body = InstallLock,
    responses((status = 200, body = Lock), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Removed, or installed at another brukare", body = ErrorBody)))]
pub(super) async fn install(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<InstallLock>,
) -> Result<Json<Lock>> {
    codec::check_id(&id, "lock id")?;
    caller.require(&[Role::AlarmTechnician])?;
    codec::check_id(&req.brukare_id, "brukare_id")?;
    let db = s.db();
    let lock = store::lock(db, &id).await?;
    let b = store::brukare(db, &req.brukare_id).await?;
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
    let now = s.now();
    let mut tx = db.pool().begin().await?;
    sqlx::query(
        "UPDATE locks SET brukare_id = $1, installed_at = $2 WHERE id = $3 AND removed_at IS NULL",
    )
    .bind(&b.id)
    .bind(now)
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    // R1.6: the brukare's open installation order is done.
    orders::lock_installed(
        &mut tx,
        &id,
        lock.kind,
        &b.id,
        caller.staff().map(|st| st.id.as_str()),
        now,
    )
    .await?;
    tx.commit().await?;
    let (_, tz) = store::unit_tz(db, &b.unit_id).await?;
    let when = tz
        .timestamp_opt_local(now)
        .unwrap_or_else(|| now.to_string());
    let body = format!(
        "Låsvred {id} installerat {when} hos {} ({}).",
        b.display_name, b.id
    );
    let from = caller.staff().map(|st| (st.id.as_str(), st.role));
    for role in [Role::NightPatrol, Role::Coordinator] {
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

/// Mark a lock removed (alarm technicians, R1.12). It never gets a key
/// again; its outstanding tokens go on the revocation list, and the home
/// care group's coordinator is told.
#[utoipa::path(post, path = "/v1/locks/{id}/remove", tag = "locks", security(("session" = [])),
    params(("id" = String, Path, description = "Lock id")),
    responses((status = 200, body = Lock), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn remove(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Lock>> {
    codec::check_id(&id, "lock id")?;
    caller.require(&[Role::AlarmTechnician])?;
    let db = s.db();
    let lock = store::lock(db, &id).await?;
    if lock.state == LockState::Removed {
        return Ok(Json(lock));
    }
    let now = s.now();
    let mut tx = db.pool().begin().await?;
    sqlx::query("UPDATE locks SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL")
        .bind(now)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    // R1.12: the lock's open removal order is done.
    orders::lock_removed(&mut tx, &id, caller.staff().map(|st| st.id.as_str()), now).await?;
    let tokens = revocation::live_tokens(&mut tx, revocation::Holder::Lock(&id), now).await?;
    if !tokens.is_empty() {
        revocation::revoke(&mut tx, s.issuer(), now, &tokens).await?;
    }
    tx.commit().await?;
    if let Some(bid) = &lock.brukare_id {
        let b = store::brukare(db, bid).await?;
        let (_, tz) = store::unit_tz(db, &b.unit_id).await?;
        let when = time::local_date(tz, now)?.format("%Y-%m-%d").to_string();
        let body = format!(
            "Låsvred {id} hos {} ({}) borttaget {when}.",
            b.display_name, b.id
        );
        insert_message(
            db,
            &NewMessage {
                id: format!("r1.12-{id}"),
                to_role: Role::Coordinator,
                unit_id: Some(&b.unit_id),
                from: caller.staff().map(|st| (st.id.as_str(), st.role)),
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
    Ok(Json(store::lock(db, &id).await?))
}
