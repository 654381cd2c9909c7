//! Administration: units and their settings, staff, enrollment codes,
//! devices, brukare, care decisions, visits, shifts and CSV import.
//! Coordinators and unit managers act within their own unit; the head of
//! operations and the admin token everywhere.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};

use super::{Json, Path, Query};
use crate::auth::{self, Caller, MANAGERS};
use crate::codec;
use crate::error::{Error, ErrorBody, Result};
use crate::model::{
    Brukare, CreateBrukare, CreateDecision, CreateShift, CreateStaff, CreateUnit, CreateVisit,
    Decision, Device, EnrollmentCode, ImportSummary, RevokeDeviceResponse, Role, Shift, ShiftQuery,
    Staff, Unit, UnitSettings, UpdateDecision, UpdateDecisionResponse, Visit, VisitQuery,
};
use crate::state::AppState;
use crate::{orders, revocation, store};

/// Longest visit, in hours.
const MAX_VISIT_HOURS: i64 = 12;
/// Longest shift, in hours.
const MAX_SHIFT_HOURS: i64 = 24;
/// Most rows a list returns.
const LIST_LIMIT: i64 = 5000;

fn check_span(starts_at: i64, ends_at: i64, max_hours: i64, what: &str) -> Result<()> {
    codec::check_time(starts_at, "starts_at")?;
    codec::check_time(ends_at, "ends_at")?;
    if ends_at <= starts_at {
        return Err(Error::bad("ends_at must be after starts_at"));
    }
    if ends_at - starts_at > max_hours * 3600 {
        return Err(Error::bad(format!(
            "a {what} may last at most {max_hours} hours"
        )));
    }
    Ok(())
}

fn id_or_new(id: &Option<String>, prefix: &str, what: &str) -> Result<String> {
    match id {
        Some(id) => {
            codec::check_id(id, what)?;
            Ok(id.clone())
        }
        None => codec::new_id(prefix),
    }
}

// ---------------------------------------------------------------- units

/// All units.
#[utoipa::path(get, path = "/v1/units", tag = "admin", security(("session" = [])),
    responses((status = 200, body = Vec<Unit>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn list_units(
    State(s): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<Unit>>> {
    let rows = sqlx::query("SELECT * FROM units ORDER BY id")
        .fetch_all(s.db().pool())
        .await?;
    Ok(Json(
        rows.iter().map(store::row_unit).collect::<Result<_>>()?,
    ))
}

/// Create a unit with its settings (unit managers, head of operations).
#[utoipa::path(post, path = "/v1/units", tag = "admin", security(("session" = [])), request_body = CreateUnit,
    responses((status = 200, body = Unit), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn create_unit(
    State(s): State<AppState>,
    caller: Caller,
    Json(req): Json<CreateUnit>,
) -> Result<Json<Unit>> {
    caller.require(&[Role::UnitManager, Role::HeadOfOperations])?;
    codec::check_id(&req.id, "id")?;
    codec::check_text(&req.name, 100, "name", false)?;
    store::check_settings(&req.settings)?;
    let st = &req.settings;
    sqlx::query(
        "INSERT INTO units (id, name, coordinator_phone, day_key_location, night_key_location, \
         night_patrol_deadline, time_zone, created_at, office_opens, office_closes, \
         night_patrol_phone, acute_key_routine, acute_key_routine_en) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&req.id)
    .bind(&req.name)
    .bind(&st.coordinator_phone)
    .bind(&st.day_key_location)
    .bind(&st.night_key_location)
    .bind(&st.night_patrol_deadline)
    .bind(&st.time_zone)
    .bind(s.now())
    .bind(&st.office_opens)
    .bind(&st.office_closes)
    .bind(st.night_patrol_phone.clone())
    .bind(st.acute_key_routine.clone())
    .bind(st.acute_key_routine_en.clone())
    .execute(s.db().pool())
    .await
    .map_err(|e| conflict(e, format!("unit '{}' already exists", req.id)))?;
    Ok(Json(store::unit(s.db(), &req.id).await?))
}

/// Maps a unique violation to a conflict with a clear message.
fn conflict(e: sqlx::Error, msg: String) -> Error {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => Error::Conflict(msg),
        _ => Error::Database(e),
    }
}

/// One unit.
#[utoipa::path(get, path = "/v1/units/{id}", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Unit id")),
    responses((status = 200, body = Unit), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn get_unit(
    State(s): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Unit>> {
    codec::check_id(&id, "unit id")?;
    Ok(Json(store::unit(s.db(), &id).await?))
}

/// Change a unit's settings: coordinator's phone, spare key locations,
/// night-patrol deadline, time zone, office hours (R2.12, R2.13), the
/// night patrol's phone and the unit's acute key routine (R2.8). They
/// reach the phones with the next bundle.
#[utoipa::path(put, path = "/v1/units/{id}/settings", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Unit id")), request_body = UnitSettings,
    responses((status = 200, body = Unit), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn update_unit_settings(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(st): Json<UnitSettings>,
) -> Result<Json<Unit>> {
    codec::check_id(&id, "unit id")?;
    caller.require(&[Role::Coordinator, Role::UnitManager, Role::HeadOfOperations])?;
    caller.require_unit(&id)?;
    store::check_settings(&st)?;
    let r = sqlx::query(
        "UPDATE units SET coordinator_phone = $1, day_key_location = $2, night_key_location = $3, \
         night_patrol_deadline = $4, time_zone = $5, office_opens = $6, office_closes = $7, \
         night_patrol_phone = $8, acute_key_routine = $9, acute_key_routine_en = $10 WHERE id = $11",
    )
    .bind(&st.coordinator_phone)
    .bind(&st.day_key_location)
    .bind(&st.night_key_location)
    .bind(&st.night_patrol_deadline)
    .bind(&st.time_zone)
    .bind(&st.office_opens)
    .bind(&st.office_closes)
    .bind(st.night_patrol_phone.clone())
    .bind(st.acute_key_routine.clone())
    .bind(st.acute_key_routine_en.clone())
    .bind(&id)
    .execute(s.db().pool())
    .await?;
    if r.rows_affected() == 0 {
        return Err(Error::not_found("unit", id));
    }
    Ok(Json(store::unit(s.db(), &id).await?))
}

/// Which card.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CardQuery {
    /// `sv` (default) or `en`.
    pub lang: Option<String>,
}

/// The unit's printable routine card, a one-page PDF (R2: "om appen inte
/// fungerar"): the coordinator's and the night patrol's numbers, where the
/// day and night keys are, the unit's acute key routine and the steps, in
/// Swedish or English, from the same settings the phones' guidance uses.
/// Printed and posted at the unit, it is there when the app is not.
#[utoipa::path(get, path = "/v1/units/{id}/card", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Unit id"), CardQuery),
    responses((status = 200, description = "The card (application/pdf, one A4 page)", content_type = "application/pdf"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(super) async fn unit_card(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<CardQuery>,
) -> Result<axum::response::Response> {
    use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
    use axum::response::IntoResponse;
    use nyckelfri_print::card::{CardLanguage, CardSettings, card_pdf};
    codec::check_id(&id, "unit id")?;
    let lang = match q.lang.as_deref().unwrap_or("sv") {
        "sv" => CardLanguage::Swedish,
        "en" => CardLanguage::English,
        _ => return Err(Error::bad("lang must be sv or en")),
    };
    // POLICY: print a unit's routine card: any staff on the units they serve; head_of_operations, alarm_technician on the municipality
    if let Some(st) = caller.staff()
        && !st.serves(&id)
        && !matches!(st.role, Role::HeadOfOperations | Role::AlarmTechnician)
    {
        return Err(Error::Forbidden(format!(
            "the card of unit '{id}' is for the staff who serve it"
        )));
    }
    let (unit, tz) = store::unit_tz(s.db(), &id).await?;
    let st = &unit.settings;
    let english = lang == CardLanguage::English;
    let settings = CardSettings {
        unit_name: unit.name.clone(),
        coordinator_phone: st.coordinator_phone.clone(),
        office_opens: st.office_opens.clone(),
        office_closes: st.office_closes.clone(),
        day_key_location: st.day_key_location.clone(),
        night_key_location: st.night_key_location.clone(),
        night_patrol_phone: st.night_patrol_phone.clone(),
        night_patrol_deadline: st.night_patrol_deadline.clone(),
        acute_key_routine: st.acute_key_routine_in(english).map(str::to_owned),
    };
    let printed = crate::time::local_date(tz, s.now())?
        .format("%Y-%m-%d")
        .to_string();
    let pdf = card_pdf(&settings, lang, &printed);
    Ok((
        [
            (CONTENT_TYPE, "application/pdf".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!(
                    "inline; filename=\"nyckelfri-kort-{id}-{}.pdf\"",
                    if english { "en" } else { "sv" }
                ),
            ),
        ],
        pdf,
    )
        .into_response())
}

// ---------------------------------------------------------------- staff

/// Filter for staff.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct StaffQuery {
    /// Only this unit's.
    unit_id: Option<String>,
    /// Only this role.
    role: Option<Role>,
}

/// Staff, by unit and role.
#[utoipa::path(get, path = "/v1/staff", tag = "admin", security(("session" = [])), params(StaffQuery),
    responses((status = 200, body = Vec<Staff>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn list_staff(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<StaffQuery>,
) -> Result<Json<Vec<Staff>>> {
    caller.require(MANAGERS)?;
    let unit = codec::filter_id(&q.unit_id, "unit_id")?;
    let role = q.role.map(|r| r.as_str()).unwrap_or("");
    let rows = sqlx::query(
        "SELECT * FROM staff WHERE ($1 = '' OR unit_id = $1) AND ($2 = '' OR role = $2) \
         ORDER BY id LIMIT $3",
    )
    .bind(&unit)
    .bind(role)
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

/// Add a staff member (coordinators, unit managers, head of operations).
#[utoipa::path(post, path = "/v1/staff", tag = "admin", security(("session" = [])), request_body = CreateStaff,
    responses((status = 200, body = Staff), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn create_staff(
    State(s): State<AppState>,
    caller: Caller,
    Json(req): Json<CreateStaff>,
) -> Result<Json<Staff>> {
    caller.require(MANAGERS)?;
    let id = id_or_new(&req.id, "staff", "id")?;
    codec::check_id(&req.unit_id, "unit_id")?;
    codec::check_text(&req.name, 100, "name", false)?;
    caller.require_unit(&req.unit_id)?;
    store::unit(s.db(), &req.unit_id).await?;
    let serves = req.serves_unit_ids.clone().unwrap_or_default();
    for u in &serves {
        codec::check_id(u, "serves_unit_ids")?;
        store::unit(s.db(), u).await?;
    }
    let mut tx = s.db().pool().begin().await?;
    sqlx::query(
        "INSERT INTO staff (id, unit_id, name, role, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(&req.unit_id)
    .bind(&req.name)
    .bind(req.role.as_str())
    .bind(s.now())
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict(e, format!("staff member '{id}' already exists")))?;
    for u in serves.iter().filter(|u| **u != req.unit_id) {
        sqlx::query(
            "INSERT INTO staff_units (staff_id, unit_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(&id)
        .bind(u)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Json(store::staff(s.db(), &id).await?))
}

/// One staff member.
#[utoipa::path(get, path = "/v1/staff/{id}", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Staff id")),
    responses((status = 200, body = Staff), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn get_staff(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Staff>> {
    codec::check_id(&id, "staff id")?;
    if caller.staff().map(|st| st.id.as_str()) != Some(id.as_str()) {
        caller.require(MANAGERS)?;
    }
    Ok(Json(store::staff(s.db(), &id).await?))
}

/// Makes an enrollment code for `staff_id` (stores only its hash).
pub async fn make_enrollment_code(
    db: &crate::db::Db,
    staff_id: &str,
    now: i64,
    ttl_secs: i64,
) -> Result<EnrollmentCode> {
    store::staff(db, staff_id).await?;
    let code = auth::new_enrollment_code()?;
    let expires_at = now + ttl_secs;
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

/// A one-time code with which the staff member enrolls a phone.
#[utoipa::path(post, path = "/v1/staff/{id}/enrollment-code", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Staff id")),
    responses((status = 200, body = EnrollmentCode), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn enrollment_code(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<EnrollmentCode>> {
    codec::check_id(&id, "staff id")?;
    caller.require(MANAGERS)?;
    let st = store::staff(s.db(), &id).await?;
    caller.require_unit(&st.unit_id)?;
    Ok(Json(
        make_enrollment_code(s.db(), &id, s.now(), s.settings().enrollment_code_ttl_secs).await?,
    ))
}

// ---------------------------------------------------------------- devices

/// Filter for devices.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DeviceQuery {
    /// Only this staff member's.
    staff_id: Option<String>,
}

/// Enrolled devices.
#[utoipa::path(get, path = "/v1/devices", tag = "admin", security(("session" = [])), params(DeviceQuery),
    responses((status = 200, body = Vec<Device>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn list_devices(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<DeviceQuery>,
) -> Result<Json<Vec<Device>>> {
    caller.require(MANAGERS)?;
    let rows = sqlx::query(
        "SELECT * FROM devices WHERE ($1 = '' OR staff_id = $1) ORDER BY enrolled_at, id LIMIT $2",
    )
    .bind(codec::filter_id(&q.staff_id, "staff_id")?)
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
    let now = state.now();
    let mut tx = state.db().pool().begin().await?;
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

/// Revoke a device (lost or replaced phone, or someone who left). Its
/// unexpired tokens go on the signed revocation list.
#[utoipa::path(post, path = "/v1/devices/{id}/revoke", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Device id")),
    responses((status = 200, body = RevokeDeviceResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn revoke_device_handler(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<RevokeDeviceResponse>> {
    codec::check_id(&id, "device id")?;
    caller.require(MANAGERS)?;
    let d = store::device(s.db(), &id).await?;
    let owner = store::staff(s.db(), &d.staff_id).await?;
    caller.require_unit(&owner.unit_id)?;
    Ok(Json(revoke_device(&s, &id).await?))
}

// ---------------------------------------------------------------- brukare

/// Filter for brukare.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct BrukareQuery {
    /// Only this unit's.
    unit_id: Option<String>,
}

const BRUKARE_READERS: &[Role] = &[
    Role::Coordinator,
    Role::UnitManager,
    Role::HeadOfOperations,
    Role::NeedsAssessor,
    Role::AlarmTechnician,
];

/// Brukare (a worker sees hers in the bundle instead).
#[utoipa::path(get, path = "/v1/brukare", tag = "admin", security(("session" = [])), params(BrukareQuery),
    responses((status = 200, body = Vec<Brukare>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn list_brukare(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<BrukareQuery>,
) -> Result<Json<Vec<Brukare>>> {
    caller.require(BRUKARE_READERS)?;
    let rows =
        sqlx::query("SELECT * FROM brukare WHERE ($1 = '' OR unit_id = $1) ORDER BY id LIMIT $2")
            .bind(codec::filter_id(&q.unit_id, "unit_id")?)
            .bind(LIST_LIMIT)
            .fetch_all(s.db().pool())
            .await?;
    Ok(Json(
        rows.iter().map(store::row_brukare).collect::<Result<_>>()?,
    ))
}

/// Add a brukare: only what a worker needs at the door.
#[utoipa::path(post, path = "/v1/brukare", tag = "admin", security(("session" = [])), request_body = CreateBrukare,
    responses((status = 200, body = Brukare), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn create_brukare(
    State(s): State<AppState>,
    caller: Caller,
    Json(req): Json<CreateBrukare>,
) -> Result<Json<Brukare>> {
    caller.require(&[
        Role::Coordinator,
        Role::UnitManager,
        Role::HeadOfOperations,
        Role::NeedsAssessor,
    ])?;
    let id = id_or_new(&req.id, "b", "id")?;
    codec::check_id(&req.unit_id, "unit_id")?;
    codec::check_text(&req.display_name, 60, "display_name", false)?;
    codec::check_text(&req.address, 200, "address", false)?;
    let notes = req.entry_notes.clone().unwrap_or_default();
    codec::check_text(&notes, 500, "entry_notes", true)?;
    caller.require_unit(&req.unit_id)?;
    store::unit(s.db(), &req.unit_id).await?;
    sqlx::query(
        "INSERT INTO brukare (id, unit_id, display_name, address, entry_notes, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(&req.unit_id)
    .bind(&req.display_name)
    .bind(&req.address)
    .bind(&notes)
    .bind(s.now())
    .execute(s.db().pool())
    .await
    .map_err(|e| conflict(e, format!("brukare '{id}' already exists")))?;
    Ok(Json(store::brukare(s.db(), &id).await?))
}

/// One brukare.
#[utoipa::path(get, path = "/v1/brukare/{id}", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Brukare id")),
    responses((status = 200, body = Brukare), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn get_brukare(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Brukare>> {
    codec::check_id(&id, "brukare id")?;
    caller.require(BRUKARE_READERS)?;
    Ok(Json(store::brukare(s.db(), &id).await?))
}

const DECISION_READERS: &[Role] = &[
    Role::Coordinator,
    Role::UnitManager,
    Role::HeadOfOperations,
    Role::NeedsAssessor,
];

/// A brukare's care decisions: R2.7, the coordinator checks that the
/// decision is still valid.
#[utoipa::path(get, path = "/v1/brukare/{id}/decisions", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Brukare id")),
    responses((status = 200, body = Vec<Decision>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn brukare_decisions(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<Decision>>> {
    codec::check_id(&id, "brukare id")?;
    caller.require(DECISION_READERS)?;
    store::brukare(s.db(), &id).await?;
    let now = s.now();
    let rows = sqlx::query("SELECT * FROM decisions WHERE brukare_id = $1 ORDER BY starts_at, id")
        .bind(&id)
        .fetch_all(s.db().pool())
        .await?;
    Ok(Json(
        rows.iter()
            .map(|r| store::row_decision(r, now))
            .collect::<Result<_>>()?,
    ))
}

// ---------------------------------------------------------------- decisions

/// Record a care decision (needs assessors).
#[utoipa::path(post, path = "/v1/decisions", tag = "admin", security(("session" = [])), request_body = CreateDecision,
    responses((status = 200, body = Decision), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn create_decision(
    State(s): State<AppState>,
    caller: Caller,
    Json(req): Json<CreateDecision>,
) -> Result<Json<Decision>> {
    caller.require(&[Role::NeedsAssessor])?;
    let id = id_or_new(&req.id, "dec", "id")?;
    codec::check_id(&req.brukare_id, "brukare_id")?;
    codec::check_time(req.starts_at, "starts_at")?;
    codec::check_time(req.ends_at, "ends_at")?;
    if req.ends_at <= req.starts_at {
        return Err(Error::bad("ends_at must be after starts_at"));
    }
    store::brukare(s.db(), &req.brukare_id).await?;
    let now = s.now();
    sqlx::query(
        "INSERT INTO decisions (id, brukare_id, starts_at, ends_at, updated_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(&req.brukare_id)
    .bind(req.starts_at)
    .bind(req.ends_at)
    .bind(now)
    .execute(s.db().pool())
    .await
    .map_err(|e| conflict(e, format!("decision '{id}' already exists")))?;
    // Care that goes on again no longer needs the server's removal orders.
    let mut conn = s.db().pool().acquire().await?;
    orders::decision_changed(&mut conn, &id, None, req.ends_at, now).await?;
    drop(conn);
    Ok(Json(store::decision(s.db(), &id, now).await?))
}

/// One care decision, with whether it is valid now (R2.7).
#[utoipa::path(get, path = "/v1/decisions/{id}", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Decision id")),
    responses((status = 200, body = Decision), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn get_decision(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Decision>> {
    codec::check_id(&id, "decision id")?;
    caller.require(DECISION_READERS)?;
    Ok(Json(store::decision(s.db(), &id, s.now()).await?))
}

/// Change when a decision ends (needs assessors). Ending it earlier
/// revokes the tokens that would outlive the new end.
#[utoipa::path(patch, path = "/v1/decisions/{id}", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Decision id")), request_body = UpdateDecision,
    responses((status = 200, body = UpdateDecisionResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn update_decision(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<UpdateDecision>,
) -> Result<Json<UpdateDecisionResponse>> {
    codec::check_id(&id, "decision id")?;
    caller.require(&[Role::NeedsAssessor])?;
    codec::check_time(req.ends_at, "ends_at")?;
    let now = s.now();
    let before = store::decision(s.db(), &id, now).await?;
    if req.ends_at <= before.starts_at {
        return Err(Error::bad("ends_at must be after the decision's start"));
    }
    let mut tx = s.db().pool().begin().await?;
    sqlx::query("UPDATE decisions SET ends_at = $1, updated_at = $2 WHERE id = $3")
        .bind(req.ends_at)
        .bind(now)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    // R1.5, R1.11: care that ends takes its locks' removal with it.
    orders::decision_changed(&mut tx, &id, Some(before.ends_at), req.ends_at, now).await?;
    let tokens = revocation::live_tokens(
        &mut tx,
        revocation::Holder::DecisionEndingAt(&id, req.ends_at),
        now,
    )
    .await?;
    let epoch = if tokens.is_empty() {
        None
    } else {
        Some(
            revocation::revoke(&mut tx, s.issuer(), now, &tokens)
                .await?
                .epoch,
        )
    };
    tx.commit().await?;
    let epoch = match epoch {
        Some(e) => e,
        None => {
            revocation::current(s.db(), s.issuer(), s.now())
                .await?
                .epoch
        }
    };
    Ok(Json(UpdateDecisionResponse {
        decision: store::decision(s.db(), &id, now).await?,
        tokens_revoked: tokens.len() as u64,
        revocation_epoch: epoch,
    }))
}

// ---------------------------------------------------------------- visits

/// Visits, by worker, brukare and time.
#[utoipa::path(get, path = "/v1/visits", tag = "admin", security(("session" = [])), params(VisitQuery),
    responses((status = 200, body = Vec<Visit>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn list_visits(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<VisitQuery>,
) -> Result<Json<Vec<Visit>>> {
    caller.require(MANAGERS)?;
    let from = q.from.unwrap_or(0);
    let to = q.to.unwrap_or(4_102_444_800);
    codec::check_time(from, "from")?;
    codec::check_time(to, "to")?;
    let rows = sqlx::query(
        "SELECT * FROM visits WHERE ($1 = '' OR staff_id = $1) AND ($2 = '' OR brukare_id = $2) \
         AND ends_at > $3 AND starts_at < $4 ORDER BY starts_at, id LIMIT $5",
    )
    .bind(codec::filter_id(&q.staff_id, "staff_id")?)
    .bind(codec::filter_id(&q.brukare_id, "brukare_id")?)
    .bind(from)
    .bind(to)
    .bind(LIST_LIMIT)
    .fetch_all(s.db().pool())
    .await?;
    Ok(Json(
        rows.iter().map(store::row_visit).collect::<Result<_>>()?,
    ))
}

/// Schedule a visit.
#[utoipa::path(post, path = "/v1/visits", tag = "admin", security(("session" = [])), request_body = CreateVisit,
    responses((status = 200, body = Visit), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn create_visit(
    State(s): State<AppState>,
    caller: Caller,
    Json(req): Json<CreateVisit>,
) -> Result<Json<Visit>> {
    caller.require(MANAGERS)?;
    let id = id_or_new(&req.id, "v", "id")?;
    codec::check_id(&req.brukare_id, "brukare_id")?;
    codec::check_id(&req.decision_id, "decision_id")?;
    codec::check_id(&req.staff_id, "staff_id")?;
    check_span(req.starts_at, req.ends_at, MAX_VISIT_HOURS, "visit")?;
    let service = req.service.clone().unwrap_or_default();
    codec::check_text(&service, 100, "service", true)?;
    let db = s.db();
    let b = store::brukare(db, &req.brukare_id).await?;
    caller.require_unit(&b.unit_id)?;
    let d = store::decision(db, &req.decision_id, s.now()).await?;
    if d.brukare_id != b.id {
        return Err(Error::bad(format!(
            "decision '{}' is not {}'s decision",
            d.id, b.id
        )));
    }
    store::staff(db, &req.staff_id).await?;
    sqlx::query(
        "INSERT INTO visits (id, brukare_id, decision_id, staff_id, starts_at, ends_at, service) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(&req.brukare_id)
    .bind(&req.decision_id)
    .bind(&req.staff_id)
    .bind(req.starts_at)
    .bind(req.ends_at)
    .bind(&service)
    .execute(db.pool())
    .await
    .map_err(|e| conflict(e, format!("visit '{id}' already exists")))?;
    Ok(Json(store::visit(db, &id).await?))
}

/// Cancel a visit (no key is issued for it any more).
#[utoipa::path(post, path = "/v1/visits/{id}/cancel", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Visit id")),
    responses((status = 200, body = Visit), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn cancel_visit(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Visit>> {
    codec::check_id(&id, "visit id")?;
    caller.require(MANAGERS)?;
    let v = store::visit(s.db(), &id).await?;
    let b = store::brukare(s.db(), &v.brukare_id).await?;
    caller.require_unit(&b.unit_id)?;
    sqlx::query("UPDATE visits SET cancelled_at = $1 WHERE id = $2 AND cancelled_at IS NULL")
        .bind(s.now())
        .bind(&id)
        .execute(s.db().pool())
        .await?;
    Ok(Json(store::visit(s.db(), &id).await?))
}

// ---------------------------------------------------------------- shifts

/// Shifts, by worker, unit and time.
#[utoipa::path(get, path = "/v1/shifts", tag = "admin", security(("session" = [])), params(ShiftQuery),
    responses((status = 200, body = Vec<Shift>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn list_shifts(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<ShiftQuery>,
) -> Result<Json<Vec<Shift>>> {
    caller.require(MANAGERS)?;
    let from = q.from.unwrap_or(0);
    let to = q.to.unwrap_or(4_102_444_800);
    codec::check_time(from, "from")?;
    codec::check_time(to, "to")?;
    let rows = sqlx::query(
        "SELECT * FROM shifts WHERE ($1 = '' OR staff_id = $1) AND ($2 = '' OR unit_id = $2) \
         AND ends_at > $3 AND starts_at < $4 ORDER BY starts_at, id LIMIT $5",
    )
    .bind(codec::filter_id(&q.staff_id, "staff_id")?)
    .bind(codec::filter_id(&q.unit_id, "unit_id")?)
    .bind(from)
    .bind(to)
    .bind(LIST_LIMIT)
    .fetch_all(s.db().pool())
    .await?;
    Ok(Json(
        rows.iter().map(store::row_shift).collect::<Result<_>>()?,
    ))
}

/// Put a worker on a shift. A night shift gives keys to every installed
/// lock of the unit's brukare with a valid decision.
#[utoipa::path(post, path = "/v1/shifts", tag = "admin", security(("session" = [])), request_body = CreateShift,
    responses((status = 200, body = Shift), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn create_shift(
    State(s): State<AppState>,
    caller: Caller,
    Json(req): Json<CreateShift>,
) -> Result<Json<Shift>> {
    caller.require(MANAGERS)?;
    let id = id_or_new(&req.id, "sh", "id")?;
    codec::check_id(&req.unit_id, "unit_id")?;
    codec::check_id(&req.staff_id, "staff_id")?;
    check_span(req.starts_at, req.ends_at, MAX_SHIFT_HOURS, "shift")?;
    caller.require_unit(&req.unit_id)?;
    store::unit(s.db(), &req.unit_id).await?;
    store::staff(s.db(), &req.staff_id).await?;
    sqlx::query(
        "INSERT INTO shifts (id, unit_id, staff_id, kind, starts_at, ends_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(&req.unit_id)
    .bind(&req.staff_id)
    .bind(req.kind.as_str())
    .bind(req.starts_at)
    .bind(req.ends_at)
    .execute(s.db().pool())
    .await
    .map_err(|e| conflict(e, format!("shift '{id}' already exists")))?;
    let r = sqlx::query("SELECT * FROM shifts WHERE id = $1")
        .bind(&id)
        .fetch_one(s.db().pool())
        .await?;
    Ok(Json(store::row_shift(&r)?))
}

// ---------------------------------------------------------------- import

/// A raw request body, with the crate's JSON errors.
pub(super) struct RawBody(Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|r| Error::Rejected {
                status: r.status(),
                message: r.body_text(),
            })
    }
}

/// Import decisions, visits and shifts from a planning system's CSV export
/// (see API.md for the columns). All rows are checked first; if any is
/// bad, nothing is imported and every bad row is listed.
#[utoipa::path(post, path = "/v1/import/csv", tag = "admin", security(("session" = [])),
    request_body(content = String, content_type = "text/csv", description = "CSV with a header row"),
    responses(
        (status = 200, body = ImportSummary),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 413, description = "Larger than 8 MiB", body = ErrorBody),
        (status = 422, description = "Bad rows (`rows`); nothing was imported", body = ErrorBody),
    ))]
pub(super) async fn import_csv(
    State(s): State<AppState>,
    caller: Caller,
    RawBody(body): RawBody,
) -> Result<Json<ImportSummary>> {
    caller.require(&[Role::Coordinator, Role::UnitManager, Role::HeadOfOperations])?;
    let unit = match &caller {
        Caller::Device(d) if d.staff.role != Role::HeadOfOperations => {
            Some(d.staff.unit_id.clone())
        }
        _ => None,
    };
    Ok(Json(
        crate::import::import_csv_scoped(s.db(), &body, s.now(), unit.as_deref()).await?,
    ))
}
