//! Staff, their enrollment codes and their phones. Who may create, change,
//! enroll or revoke whom is the policy's granting rule: nobody grants a
//! role above their own, and only within the units they serve.

use axum::extract::State;
use sqlx::{Any, Transaction};

use super::{Json, Path, Query};
use crate::audit::{self, Action};
use crate::auth;
use crate::codec;
use crate::error::{Error, ErrorBody, Result};
use crate::model::{
    CreateStaff, Device, EnrollmentCode, RevokeDeviceResponse, Role, Staff, StaffChange,
    UpdateStaff,
};
use crate::permit::{Permit, UnitScope};
use crate::state::AppState;
use crate::{revocation, store};

/// Most rows a list returns.
const LIST_LIMIT: i64 = 5000;

fn conflict(e: sqlx::Error, msg: String) -> Error {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => Error::Conflict(msg),
        _ => Error::Database(e),
    }
}

/// Filter for staff.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct StaffQuery {
    /// Only those who work in or serve this unit.
    unit_id: Option<String>,
    /// Only this role.
    role: Option<Role>,
}

/// Staff who work in or serve the caller's units.
#[utoipa::path(get, path = "/v1/staff", tag = "admin", security(("session" = [])), params(StaffQuery),
    responses((status = 200, body = Vec<Staff>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn list_staff(
    State(s): State<AppState>,
    permit: Permit,
    Query(q): Query<StaffQuery>,
) -> Result<Json<Vec<Staff>>> {
    let unit = permit.list_unit(&q.unit_id, "unit_id")?;
    let role = q.role.map(|r| r.as_str()).unwrap_or("");
    let rows = sqlx::query(&format!(
        "SELECT * FROM staff st WHERE ($1 = '' OR st.unit_id = $1 \
           OR st.id IN (SELECT staff_id FROM staff_units WHERE unit_id = $1)) \
         AND ($2 = '' OR st.role = $2) \
         AND ({} OR EXISTS (SELECT 1 FROM staff_units su WHERE su.staff_id = st.id AND {})) \
         ORDER BY st.id LIMIT $4",
        UnitScope::sql("st.unit_id", 3),
        UnitScope::sql("su.unit_id", 3)
    ))
    .bind(&unit)
    .bind(role)
    .bind(permit.unit_scope().param())
    .bind(LIST_LIMIT)
    .fetch_all(s.db().pool())
    .await?;
    let mut list = rows
        .iter()
        .map(store::row_staff)
        .collect::<Result<Vec<_>>>()?;
    store::fill_served_units(s.db(), &mut list).await?;
    Ok(Json(list))
}

/// Checks the other units a person in `role` is to serve: only roles that
/// serve several may have any, each must exist and be within the caller's
/// reach.
async fn check_serves(
    s: &AppState,
    permit: &Permit,
    role: Role,
    unit_id: &str,
    serves: &[String],
) -> Result<Vec<String>> {
    let mut out: Vec<String> = serves
        .iter()
        .filter(|u| u.as_str() != unit_id)
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    if !out.is_empty() && !permit.policy().may_serve_several(role) {
        return Err(Error::bad(format!(
            "a {} serves their own unit only (serves_unit_ids must be empty)",
            role.as_str()
        )));
    }
    for u in &out {
        codec::check_id(u, "serves_unit_ids")?;
        store::unit(s.db(), u).await?;
    }
    Ok(out)
}

fn check_end(ends_at: Option<i64>, now: i64) -> Result<()> {
    if let Some(t) = ends_at {
        codec::check_time(t, "ends_at")?;
        if t <= now {
            return Err(Error::bad("ends_at must be in the future"));
        }
    }
    Ok(())
}

async fn set_serves(
    tx: &mut Transaction<'static, Any>,
    staff_id: &str,
    serves: &[String],
) -> Result<()> {
    sqlx::query("DELETE FROM staff_units WHERE staff_id = $1")
        .bind(staff_id)
        .execute(&mut **tx)
        .await?;
    for u in serves {
        sqlx::query(
            "INSERT INTO staff_units (staff_id, unit_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(staff_id)
        .bind(u)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Add a staff member: a role the caller may grant (AUTHORIZATION.md), in
/// a unit the caller serves.
#[utoipa::path(post, path = "/v1/staff", tag = "admin", security(("session" = [])), request_body = CreateStaff,
    responses((status = 200, body = Staff), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "A role or unit the caller may not grant", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn create_staff(
    State(s): State<AppState>,
    permit: Permit,
    Json(req): Json<CreateStaff>,
) -> Result<Json<Staff>> {
    let id = match &req.id {
        Some(id) => {
            codec::check_id(id, "id")?;
            id.clone()
        }
        None => codec::new_id("staff")?,
    };
    codec::check_id(&req.unit_id, "unit_id")?;
    codec::check_text(&req.name, 100, "name", false)?;
    permit.may_grant(req.role, &req.unit_id)?;
    store::unit(s.db(), &req.unit_id).await?;
    let serves = req.serves_unit_ids.clone().unwrap_or_default();
    let serves = check_serves(&s, &permit, req.role, &req.unit_id, &serves).await?;
    for u in &serves {
        permit.require_unit(u)?;
    }
    let now = s.now();
    check_end(req.ends_at, now)?;
    let mut tx = s.db().begin_write().await?;
    sqlx::query(
        "INSERT INTO staff (id, unit_id, name, role, created_at, ends_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(&req.unit_id)
    .bind(&req.name)
    .bind(req.role.as_str())
    .bind(now)
    .bind(req.ends_at)
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict(e, format!("staff member '{id}' already exists")))?;
    set_serves(&mut tx, &id, &serves).await?;
    let staff = Staff {
        id: id.clone(),
        unit_id: req.unit_id.clone(),
        name: req.name.clone(),
        role: req.role,
        serves_unit_ids: serves,
        ends_at: req.ends_at,
    };
    let rec = permit
        .record(Action::Write, now)
        .target("staff", &id, Some(&req.unit_id))
        .after(&staff);
    audit::insert(&mut tx, &[rec]).await?;
    tx.commit().await?;
    Ok(Json(store::staff(s.db(), &id).await?))
}

/// One staff member (oneself, or within one's units).
#[utoipa::path(get, path = "/v1/staff/{id}", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Staff id")),
    responses((status = 200, body = Staff), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn get_staff(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
) -> Result<Json<Staff>> {
    codec::check_id(&id, "staff id")?;
    let st = store::staff(s.db(), &id).await?;
    permit.require_staff(&st)?;
    Ok(Json(st))
}

/// The live tokens of `staff_id` that are good after `after`.
pub(crate) async fn staff_tokens(
    tx: &mut Transaction<'static, Any>,
    staff_id: &str,
    after: i64,
) -> Result<Vec<revocation::LiveToken>> {
    let rows = sqlx::query(
        "SELECT token_id, expires, lock_id, issued_at FROM issued_tokens \
         WHERE staff_id = $1 AND expires > $2 AND revoked_at IS NULL",
    )
    .bind(staff_id)
    .bind(after)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(revocation::row_live_token).collect()
}

/// Change a staff member's name, role, unit, units served or end date.
/// The caller must manage the person now (could have granted their role in
/// their unit, and serves every unit they serve) and may grant the new
/// role in the new unit. A new role, unit or set of units revokes the
/// person's live keys; an end date revokes those that outlive it.
#[utoipa::path(patch, path = "/v1/staff/{id}", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Staff id")), request_body = UpdateStaff,
    responses((status = 200, body = StaffChange), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "The caller may not manage this person or grant the new role or unit", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(super) async fn update_staff(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
    Json(req): Json<UpdateStaff>,
) -> Result<Json<StaffChange>> {
    codec::check_id(&id, "staff id")?;
    let before = store::staff(s.db(), &id).await?;
    permit.may_manage(&before)?;
    let now = s.now();
    let name = req.name.clone().unwrap_or_else(|| before.name.clone());
    codec::check_text(&name, 100, "name", false)?;
    let role = req.role.unwrap_or(before.role);
    let unit_id = req
        .unit_id
        .clone()
        .unwrap_or_else(|| before.unit_id.clone());
    codec::check_id(&unit_id, "unit_id")?;
    if role != before.role || unit_id != before.unit_id {
        permit.may_grant(role, &unit_id)?;
        store::unit(s.db(), &unit_id).await?;
    }
    let serves = match &req.serves_unit_ids {
        Some(list) => check_serves(&s, &permit, role, &unit_id, list).await?,
        None => {
            let kept: Vec<String> = before
                .serves_unit_ids
                .iter()
                .filter(|u| **u != unit_id)
                .cloned()
                .collect();
            if !kept.is_empty() && !permit.policy().may_serve_several(role) {
                return Err(Error::bad(format!(
                    "a {} serves their own unit only: give serves_unit_ids: []",
                    role.as_str()
                )));
            }
            kept
        }
    };
    // Adding or removing a unit someone serves is for whoever serves it.
    for u in serves
        .iter()
        .filter(|u| !before.serves_unit_ids.contains(u))
        .chain(
            before
                .serves_unit_ids
                .iter()
                .filter(|u| !serves.contains(u)),
        )
    {
        permit.require_unit(u)?;
    }
    let ends_at = match req.ends_at {
        Some(e) => {
            check_end(e, now)?;
            e
        }
        None => before.ends_at,
    };
    let reach_changed =
        role != before.role || unit_id != before.unit_id || serves != before.serves_unit_ids;
    let mut tx = s.db().begin_write().await?;
    sqlx::query("UPDATE staff SET name = $1, role = $2, unit_id = $3, ends_at = $4 WHERE id = $5")
        .bind(&name)
        .bind(role.as_str())
        .bind(&unit_id)
        .bind(ends_at)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    set_serves(&mut tx, &id, &serves).await?;
    let tokens = if reach_changed {
        staff_tokens(&mut tx, &id, now).await?
    } else if let Some(end) = ends_at.filter(|e| before.ends_at.is_none_or(|b| *e < b)) {
        staff_tokens(&mut tx, &id, end).await?
    } else {
        Vec::new()
    };
    if !tokens.is_empty() {
        revocation::revoke(&mut tx, s.issuer(), now, &tokens).await?;
    }
    let after = Staff {
        id: id.clone(),
        unit_id: unit_id.clone(),
        name,
        role,
        serves_unit_ids: serves,
        ends_at,
    };
    let rec = permit
        .record(Action::Write, now)
        .target("staff", &id, Some(&unit_id))
        .before(&before)
        .after(&after);
    audit::insert(&mut tx, &[rec]).await?;
    tx.commit().await?;
    Ok(Json(StaffChange {
        staff: store::staff(s.db(), &id).await?,
        tokens_revoked: tokens.len() as u64,
    }))
}

/// Makes an enrollment code for `staff_id` (stores only its hash). It
/// expires after `ttl_secs`, or when the account ends if that is sooner.
pub async fn make_enrollment_code(
    db: &crate::db::Db,
    staff_id: &str,
    now: i64,
    ttl_secs: i64,
) -> Result<EnrollmentCode> {
    let st = store::staff(db, staff_id).await?;
    if st.ended(now) {
        return Err(Error::AccountEnded);
    }
    let code = auth::new_enrollment_code()?;
    let expires_at = st.ends_at.map_or(now + ttl_secs, |e| e.min(now + ttl_secs));
    sqlx::query(
        "INSERT INTO enrollment_codes (code_hash, staff_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(codec::sha256_hex(auth::normalize_code(&code).as_bytes()))
    .bind(staff_id)
    .bind(now)
    .bind(expires_at)
    .execute(db.pool())
    .await?;
    Ok(EnrollmentCode {
        staff_id: staff_id.to_owned(),
        code,
        expires_at,
    })
}

/// A one-time code with which the staff member enrolls a phone (for
/// someone the caller manages; never after the account's end).
#[utoipa::path(post, path = "/v1/staff/{id}/enrollment-code", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Staff id")),
    responses((status = 200, body = EnrollmentCode), (status = 401, body = ErrorBody),
        (status = 403, description = "Not someone the caller manages, or the account has ended (`account_ended`)", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(super) async fn enrollment_code(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
) -> Result<Json<EnrollmentCode>> {
    codec::check_id(&id, "staff id")?;
    let st = store::staff(s.db(), &id).await?;
    permit.may_manage(&st)?;
    let now = s.now();
    let code =
        make_enrollment_code(s.db(), &id, now, s.settings().enrollment_code_ttl_secs).await?;
    let rec = permit
        .record(Action::Write, now)
        .target("enrollment_code", &id, Some(&st.unit_id))
        .after(&serde_json::json!({"staff_id": id, "expires_at": code.expires_at}));
    let mut conn = s.db().pool().acquire().await?;
    audit::insert(&mut conn, &[rec]).await?;
    Ok(Json(code))
}

// ---------------------------------------------------------------- devices

/// Filter for devices.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DeviceQuery {
    /// Only this staff member's.
    staff_id: Option<String>,
}

/// Enrolled devices of staff who work in or serve the caller's units.
#[utoipa::path(get, path = "/v1/devices", tag = "admin", security(("session" = [])), params(DeviceQuery),
    responses((status = 200, body = Vec<Device>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn list_devices(
    State(s): State<AppState>,
    permit: Permit,
    Query(q): Query<DeviceQuery>,
) -> Result<Json<Vec<Device>>> {
    let staff = codec::filter_id(&q.staff_id, "staff_id")?;
    if !staff.is_empty() {
        permit.require_staff(&store::staff(s.db(), &staff).await?)?;
    }
    let rows = sqlx::query(&format!(
        "SELECT d.* FROM devices d JOIN staff st ON st.id = d.staff_id \
         WHERE ($1 = '' OR d.staff_id = $1) \
         AND ({} OR EXISTS (SELECT 1 FROM staff_units su WHERE su.staff_id = st.id AND {})) \
         ORDER BY d.enrolled_at, d.id LIMIT $3",
        UnitScope::sql("st.unit_id", 2),
        UnitScope::sql("su.unit_id", 2)
    ))
    .bind(&staff)
    .bind(permit.unit_scope().param())
    .bind(LIST_LIMIT)
    .fetch_all(s.db().pool())
    .await?;
    Ok(Json(
        rows.iter().map(store::row_device).collect::<Result<_>>()?,
    ))
}

/// Revokes a device: its sessions end, it gets no more keys, and its
/// unexpired tokens go on the revocation list (new epoch).
pub async fn revoke_device(state: &AppState, id: &str) -> Result<RevokeDeviceResponse> {
    revoke_device_audited(state, id, None).await
}

async fn revoke_device_audited(
    state: &AppState,
    id: &str,
    audit_record: Option<audit::Record>,
) -> Result<RevokeDeviceResponse> {
    let now = state.now();
    let mut tx = state.db().begin_write().await?;
    let r = sqlx::query("UPDATE devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if r.rows_affected() == 0 {
        let revoked_at: Option<Option<i64>> =
            sqlx::query_scalar("SELECT revoked_at FROM devices WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        tx.rollback().await?;
        return match revoked_at {
            None => Err(Error::not_found("device", id)),
            Some(at) => Ok(RevokeDeviceResponse {
                device_id: id.to_owned(),
                revoked_at: at.unwrap_or(now),
                tokens_revoked: 0,
                revocation_epoch: revocation::current(state.db(), state.issuer(), now)
                    .await?
                    .epoch,
                entries_dropped: 0,
            }),
        };
    }
    // Its sessions stay until they expire: every request checks the device,
    // so the app hears `device_revoked` rather than "unknown session".
    let tokens = revocation::live_tokens(&mut tx, revocation::Holder::Device(id), now).await?;
    let rebuilt = revocation::revoke(&mut tx, state.issuer(), now, &tokens).await?;
    if let Some(rec) = audit_record {
        audit::insert(&mut tx, &[rec]).await?;
    }
    tx.commit().await?;
    tracing::info!(device = %id, tokens = tokens.len(), epoch = rebuilt.epoch, "device revoked");
    Ok(RevokeDeviceResponse {
        device_id: id.to_owned(),
        revoked_at: now,
        tokens_revoked: tokens.len() as u64,
        revocation_epoch: rebuilt.epoch,
        entries_dropped: rebuilt.dropped,
    })
}

/// Revoke a device (lost or replaced phone, or someone who left) of
/// someone the caller manages. Its unexpired tokens go on the signed
/// revocation list.
#[utoipa::path(post, path = "/v1/devices/{id}/revoke", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Device id")),
    responses((status = 200, body = RevokeDeviceResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn revoke_device_handler(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
) -> Result<Json<RevokeDeviceResponse>> {
    codec::check_id(&id, "device id")?;
    let d = store::device(s.db(), &id).await?;
    let owner = store::staff(s.db(), &d.staff_id).await?;
    permit.may_manage(&owner)?;
    let mut after = d.clone();
    after.revoked_at = Some(d.revoked_at.unwrap_or(s.now()));
    let rec = permit
        .record(Action::Write, s.now())
        .target("device", &id, Some(&owner.unit_id))
        .before(&d)
        .after(&after);
    Ok(Json(revoke_device_audited(&s, &id, Some(rec)).await?))
}
