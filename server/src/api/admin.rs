//! Administration: units and their settings, brukare, care decisions,
//! visits, shifts and CSV import (staff and devices: `staff.rs`). Who may
//! do what, in which units, is the policy's (`policy.toml`); every write is
//! audited with the record before and after, every read of a brukare's
//! personal data with the brukare.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};

use super::{Json, Path, Query};
use crate::audit::{self, Action};
use crate::codec;
use crate::error::{Error, ErrorBody, Result};
use crate::import::{ImportRules, Reach};
use crate::model::{
    Brukare, CreateBrukare, CreateDecision, CreateShift, CreateUnit, CreateVisit, Decision,
    ImportSummary, Shift, ShiftQuery, Unit, UnitSettings, UpdateDecision, UpdateDecisionResponse,
    Visit, VisitQuery,
};
use crate::permit::{Permit, UnitScope};
use crate::policy::{Scope, Work};
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

/// The units the caller serves (all, for the head of operations), with
/// their settings.
#[utoipa::path(get, path = "/v1/units", tag = "admin", security(("session" = [])),
    responses((status = 200, body = Vec<Unit>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn list_units(
    State(s): State<AppState>,
    permit: Permit,
) -> Result<Json<Vec<Unit>>> {
    let rows = sqlx::query(&format!(
        "SELECT * FROM units u WHERE {} ORDER BY u.id",
        UnitScope::sql("u.id", 1)
    ))
    .bind(permit.unit_scope().param())
    .fetch_all(s.db().pool())
    .await?;
    Ok(Json(
        rows.iter().map(store::row_unit).collect::<Result<_>>()?,
    ))
}

/// Create a unit with its settings.
#[utoipa::path(post, path = "/v1/units", tag = "admin", security(("session" = [])), request_body = CreateUnit,
    responses((status = 200, body = Unit), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn create_unit(
    State(s): State<AppState>,
    permit: Permit,
    Json(req): Json<CreateUnit>,
) -> Result<Json<Unit>> {
    codec::check_id(&req.id, "id")?;
    codec::check_text(&req.name, 100, "name", false)?;
    store::check_settings(&req.settings)?;
    let st = &req.settings;
    let mut tx = s.db().begin_write().await?;
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
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict(e, format!("unit '{}' already exists", req.id)))?;
    let unit = Unit {
        id: req.id.clone(),
        name: req.name.clone(),
        settings: req.settings.clone(),
    };
    let rec = permit
        .record(Action::Write, s.now())
        .target("unit", &req.id, Some(&req.id))
        .after(&unit);
    audit::insert(&mut tx, &[rec]).await?;
    tx.commit().await?;
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
    permit: Permit,
    Path(id): Path<String>,
) -> Result<Json<Unit>> {
    codec::check_id(&id, "unit id")?;
    permit.require_unit(&id)?;
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
    permit: Permit,
    Path(id): Path<String>,
    Json(st): Json<UnitSettings>,
) -> Result<Json<Unit>> {
    codec::check_id(&id, "unit id")?;
    permit.require_unit(&id)?;
    store::check_settings(&st)?;
    let before = store::unit(s.db(), &id).await?;
    let mut tx = s.db().begin_write().await?;
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
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() == 0 {
        return Err(Error::not_found("unit", id));
    }
    let after = Unit {
        settings: st.clone(),
        ..before.clone()
    };
    let rec = permit
        .record(Action::Write, s.now())
        .target("unit", &id, Some(&id))
        .before(&before)
        .after(&after);
    audit::insert(&mut tx, &[rec]).await?;
    tx.commit().await?;
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
    permit: Permit,
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
    permit.require_unit(&id)?;
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

// ---------------------------------------------------------------- brukare

/// Filter for brukare.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct BrukareQuery {
    /// Only this unit's.
    unit_id: Option<String>,
}

/// Brukare of the caller's units, with address and entry notes (a worker
/// sees hers in the bundle instead).
#[utoipa::path(get, path = "/v1/brukare", tag = "admin", security(("session" = [])), params(BrukareQuery),
    responses((status = 200, body = Vec<Brukare>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn list_brukare(
    State(s): State<AppState>,
    permit: Permit,
    Query(q): Query<BrukareQuery>,
) -> Result<Json<Vec<Brukare>>> {
    let unit = permit.list_unit(&q.unit_id, "unit_id")?;
    let rows = sqlx::query(&format!(
        "SELECT * FROM brukare b WHERE ($1 = '' OR b.unit_id = $1) AND {} ORDER BY b.id LIMIT $3",
        UnitScope::sql("b.unit_id", 2)
    ))
    .bind(&unit)
    .bind(permit.unit_scope().param())
    .bind(LIST_LIMIT)
    .fetch_all(s.db().pool())
    .await?;
    let list: Vec<Brukare> = rows.iter().map(store::row_brukare).collect::<Result<_>>()?;
    audit::read(&s, &permit, list.iter().map(|b| b.id.as_str())).await;
    Ok(Json(list))
}

/// Add a brukare: only what a worker needs at the door.
#[utoipa::path(post, path = "/v1/brukare", tag = "admin", security(("session" = [])), request_body = CreateBrukare,
    responses((status = 200, body = Brukare), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn create_brukare(
    State(s): State<AppState>,
    permit: Permit,
    Json(req): Json<CreateBrukare>,
) -> Result<Json<Brukare>> {
    let id = id_or_new(&req.id, "b", "id")?;
    codec::check_id(&req.unit_id, "unit_id")?;
    codec::check_text(&req.display_name, 60, "display_name", false)?;
    codec::check_text(&req.address, 200, "address", false)?;
    let notes = req.entry_notes.clone().unwrap_or_default();
    codec::check_text(&notes, 500, "entry_notes", true)?;
    permit.require_unit(&req.unit_id)?;
    store::unit(s.db(), &req.unit_id).await?;
    let mut tx = s.db().begin_write().await?;
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
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict(e, format!("brukare '{id}' already exists")))?;
    let b = Brukare {
        id: id.clone(),
        unit_id: req.unit_id.clone(),
        display_name: req.display_name.clone(),
        address: req.address.clone(),
        entry_notes: notes,
    };
    let rec = permit
        .record(Action::Write, s.now())
        .target("brukare", &id, Some(&req.unit_id))
        .after(&b)
        .brukare([id.as_str()]);
    audit::insert(&mut tx, &[rec]).await?;
    tx.commit().await?;
    Ok(Json(b))
}

/// A brukare the caller reaches (its unit is one they serve).
async fn brukare_in_reach(s: &AppState, permit: &Permit, id: &str) -> Result<Brukare> {
    let b = store::brukare(s.db(), id).await?;
    permit.require_unit(&b.unit_id)?;
    Ok(b)
}

/// One brukare.
#[utoipa::path(get, path = "/v1/brukare/{id}", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Brukare id")),
    responses((status = 200, body = Brukare), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn get_brukare(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
) -> Result<Json<Brukare>> {
    codec::check_id(&id, "brukare id")?;
    let b = brukare_in_reach(&s, &permit, &id).await?;
    audit::read(&s, &permit, [b.id.as_str()]).await;
    Ok(Json(b))
}

/// A brukare's care decisions: R2.7, the coordinator checks that the
/// decision is still valid.
#[utoipa::path(get, path = "/v1/brukare/{id}/decisions", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Brukare id")),
    responses((status = 200, body = Vec<Decision>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn brukare_decisions(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
) -> Result<Json<Vec<Decision>>> {
    codec::check_id(&id, "brukare id")?;
    brukare_in_reach(&s, &permit, &id).await?;
    let now = s.now();
    let rows = sqlx::query("SELECT * FROM decisions WHERE brukare_id = $1 ORDER BY starts_at, id")
        .bind(&id)
        .fetch_all(s.db().pool())
        .await?;
    audit::read(&s, &permit, [id.as_str()]).await;
    Ok(Json(
        rows.iter()
            .map(|r| store::row_decision(r, now))
            .collect::<Result<_>>()?,
    ))
}

// ---------------------------------------------------------------- decisions

/// Record a care decision (needs assessors, for brukare of their units).
#[utoipa::path(post, path = "/v1/decisions", tag = "admin", security(("session" = [])), request_body = CreateDecision,
    responses((status = 200, body = Decision), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn create_decision(
    State(s): State<AppState>,
    permit: Permit,
    Json(req): Json<CreateDecision>,
) -> Result<Json<Decision>> {
    let id = id_or_new(&req.id, "dec", "id")?;
    codec::check_id(&req.brukare_id, "brukare_id")?;
    codec::check_time(req.starts_at, "starts_at")?;
    codec::check_time(req.ends_at, "ends_at")?;
    if req.ends_at <= req.starts_at {
        return Err(Error::bad("ends_at must be after starts_at"));
    }
    let b = brukare_in_reach(&s, &permit, &req.brukare_id).await?;
    let now = s.now();
    let mut tx = s.db().begin_write().await?;
    sqlx::query(
        "INSERT INTO decisions (id, brukare_id, starts_at, ends_at, updated_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(&req.brukare_id)
    .bind(req.starts_at)
    .bind(req.ends_at)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict(e, format!("decision '{id}' already exists")))?;
    // Care that goes on again no longer needs the server's removal orders.
    orders::decision_changed(&mut tx, &id, None, req.ends_at, now).await?;
    orders::revoke_closed_order_tokens(&mut tx, s.issuer(), now).await?;
    let d = Decision {
        id: id.clone(),
        brukare_id: req.brukare_id.clone(),
        starts_at: req.starts_at,
        ends_at: req.ends_at,
        valid_now: req.starts_at <= now && now < req.ends_at,
    };
    let rec = permit
        .record(Action::Write, now)
        .target("decision", &id, Some(&b.unit_id))
        .after(&d)
        .brukare([b.id.as_str()]);
    audit::insert(&mut tx, &[rec]).await?;
    tx.commit().await?;
    Ok(Json(store::decision(s.db(), &id, now).await?))
}

/// A decision whose brukare the caller reaches, and that brukare.
async fn decision_in_reach(
    s: &AppState,
    permit: &Permit,
    id: &str,
    now: i64,
) -> Result<(Decision, Brukare)> {
    let d = store::decision(s.db(), id, now).await?;
    let b = brukare_in_reach(s, permit, &d.brukare_id).await?;
    Ok((d, b))
}

/// One care decision, with whether it is valid now (R2.7).
#[utoipa::path(get, path = "/v1/decisions/{id}", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Decision id")),
    responses((status = 200, body = Decision), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn get_decision(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
) -> Result<Json<Decision>> {
    codec::check_id(&id, "decision id")?;
    let (d, b) = decision_in_reach(&s, &permit, &id, s.now()).await?;
    audit::read(&s, &permit, [b.id.as_str()]).await;
    Ok(Json(d))
}

/// Change when a decision ends (needs assessors). Ending it earlier
/// revokes the tokens that would outlive the new end.
#[utoipa::path(patch, path = "/v1/decisions/{id}", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Decision id")), request_body = UpdateDecision,
    responses((status = 200, body = UpdateDecisionResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn update_decision(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
    Json(req): Json<UpdateDecision>,
) -> Result<Json<UpdateDecisionResponse>> {
    codec::check_id(&id, "decision id")?;
    codec::check_time(req.ends_at, "ends_at")?;
    let now = s.now();
    let (before, b) = decision_in_reach(&s, &permit, &id, now).await?;
    if req.ends_at <= before.starts_at {
        return Err(Error::bad("ends_at must be after the decision's start"));
    }
    let mut tx = s.db().begin_write().await?;
    sqlx::query("UPDATE decisions SET ends_at = $1, updated_at = $2 WHERE id = $3")
        .bind(req.ends_at)
        .bind(now)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    // R1.5, R1.11: care that ends takes its locks' removal with it.
    orders::decision_changed(&mut tx, &id, Some(before.ends_at), req.ends_at, now).await?;
    let mut tokens = revocation::live_tokens(
        &mut tx,
        revocation::Holder::DecisionEndingAt(&id, req.ends_at),
        now,
    )
    .await?;
    // Installations the end cancelled (R1.5) take their technicians' keys.
    tokens.extend(orders::closed_order_tokens(&mut tx, now).await?);
    let epoch = if tokens.is_empty() {
        None
    } else {
        Some(
            revocation::revoke(&mut tx, s.issuer(), now, &tokens)
                .await?
                .epoch,
        )
    };
    let after = Decision {
        ends_at: req.ends_at,
        valid_now: before.starts_at <= now && now < req.ends_at,
        ..before.clone()
    };
    let rec = permit
        .record(Action::Write, now)
        .target("decision", &id, Some(&b.unit_id))
        .before(&before)
        .after(&after)
        .brukare([b.id.as_str()]);
    audit::insert(&mut tx, &[rec]).await?;
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

/// Visits to brukare of the caller's units, by worker, brukare and time.
#[utoipa::path(get, path = "/v1/visits", tag = "admin", security(("session" = [])), params(VisitQuery),
    responses((status = 200, body = Vec<Visit>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn list_visits(
    State(s): State<AppState>,
    permit: Permit,
    Query(q): Query<VisitQuery>,
) -> Result<Json<Vec<Visit>>> {
    let from = q.from.unwrap_or(0);
    let to = q.to.unwrap_or(4_102_444_800);
    codec::check_time(from, "from")?;
    codec::check_time(to, "to")?;
    let brukare = codec::filter_id(&q.brukare_id, "brukare_id")?;
    if !brukare.is_empty() {
        brukare_in_reach(&s, &permit, &brukare).await?;
    }
    let rows = sqlx::query(&format!(
        "SELECT v.* FROM visits v JOIN brukare b ON b.id = v.brukare_id \
         WHERE ($1 = '' OR v.staff_id = $1) AND ($2 = '' OR v.brukare_id = $2) \
         AND v.ends_at > $3 AND v.starts_at < $4 AND {} ORDER BY v.starts_at, v.id LIMIT $6",
        UnitScope::sql("b.unit_id", 5)
    ))
    .bind(codec::filter_id(&q.staff_id, "staff_id")?)
    .bind(&brukare)
    .bind(from)
    .bind(to)
    .bind(permit.unit_scope().param())
    .bind(LIST_LIMIT)
    .fetch_all(s.db().pool())
    .await?;
    Ok(Json(
        rows.iter().map(store::row_visit).collect::<Result<_>>()?,
    ))
}

/// Checks that `staff_id` may be named for `work` in `unit_id`: a role that
/// does that work (the policy's `[work]`), serving the unit, not ended, and
/// never the caller themself.
async fn check_worker(
    s: &AppState,
    permit: &Permit,
    staff_id: &str,
    work: Work,
    unit_id: &str,
    until: i64,
) -> Result<()> {
    if permit.staff_id() == Some(staff_id) {
        return Err(Error::Forbidden(
            "nobody schedules themself: another person plans your work".into(),
        ));
    }
    let st = store::staff(s.db(), staff_id).await?;
    if !permit.policy().may_work(work, st.role) {
        let allowed: Vec<&str> = permit
            .policy()
            .workers(work)
            .iter()
            .map(|r| r.as_str())
            .collect();
        return Err(Error::bad(format!(
            "a {} is not named for this work (who is: {})",
            st.role.as_str(),
            allowed.join(", ")
        )));
    }
    if !st.serves(unit_id) {
        return Err(Error::bad(format!(
            "staff member '{staff_id}' does not serve unit '{unit_id}'"
        )));
    }
    if st.ends_at.is_some_and(|e| e < until) {
        return Err(Error::bad(format!(
            "staff member '{staff_id}''s account ends before this work ends"
        )));
    }
    Ok(())
}

/// Schedule a visit: to a brukare of the caller's units, by a worker of
/// that unit whose role makes visits, never the caller.
#[utoipa::path(post, path = "/v1/visits", tag = "admin", security(("session" = [])), request_body = CreateVisit,
    responses((status = 200, body = Visit), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn create_visit(
    State(s): State<AppState>,
    permit: Permit,
    Json(req): Json<CreateVisit>,
) -> Result<Json<Visit>> {
    let id = id_or_new(&req.id, "v", "id")?;
    codec::check_id(&req.brukare_id, "brukare_id")?;
    codec::check_id(&req.decision_id, "decision_id")?;
    codec::check_id(&req.staff_id, "staff_id")?;
    check_span(req.starts_at, req.ends_at, MAX_VISIT_HOURS, "visit")?;
    let service = req.service.clone().unwrap_or_default();
    codec::check_text(&service, 100, "service", true)?;
    let db = s.db();
    let b = brukare_in_reach(&s, &permit, &req.brukare_id).await?;
    let d = store::decision(db, &req.decision_id, s.now()).await?;
    if d.brukare_id != b.id {
        return Err(Error::bad(format!(
            "decision '{}' is not {}'s decision",
            d.id, b.id
        )));
    }
    check_worker(
        &s,
        &permit,
        &req.staff_id,
        Work::Visit,
        &b.unit_id,
        req.ends_at,
    )
    .await?;
    let mut tx = db.begin_write().await?;
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
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict(e, format!("visit '{id}' already exists")))?;
    let v = Visit {
        id: id.clone(),
        brukare_id: req.brukare_id.clone(),
        decision_id: req.decision_id.clone(),
        staff_id: req.staff_id.clone(),
        starts_at: req.starts_at,
        ends_at: req.ends_at,
        service,
        cancelled: false,
    };
    let rec = permit
        .record(Action::Write, s.now())
        .target("visit", &id, Some(&b.unit_id))
        .after(&v)
        .brukare([b.id.as_str()]);
    audit::insert(&mut tx, &[rec]).await?;
    tx.commit().await?;
    Ok(Json(v))
}

/// Cancel a visit (no key is issued for it any more).
#[utoipa::path(post, path = "/v1/visits/{id}/cancel", tag = "admin", security(("session" = [])),
    params(("id" = String, Path, description = "Visit id")),
    responses((status = 200, body = Visit), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn cancel_visit(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
) -> Result<Json<Visit>> {
    codec::check_id(&id, "visit id")?;
    let v = store::visit(s.db(), &id).await?;
    let b = brukare_in_reach(&s, &permit, &v.brukare_id).await?;
    let mut tx = s.db().begin_write().await?;
    sqlx::query("UPDATE visits SET cancelled_at = $1 WHERE id = $2 AND cancelled_at IS NULL")
        .bind(s.now())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    let after = Visit {
        cancelled: true,
        ..v.clone()
    };
    let rec = permit
        .record(Action::Write, s.now())
        .target("visit", &id, Some(&b.unit_id))
        .before(&v)
        .after(&after)
        .brukare([b.id.as_str()]);
    audit::insert(&mut tx, &[rec]).await?;
    tx.commit().await?;
    Ok(Json(store::visit(s.db(), &id).await?))
}

// ---------------------------------------------------------------- shifts

/// Shifts in the caller's units, by worker, unit and time.
#[utoipa::path(get, path = "/v1/shifts", tag = "admin", security(("session" = [])), params(ShiftQuery),
    responses((status = 200, body = Vec<Shift>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn list_shifts(
    State(s): State<AppState>,
    permit: Permit,
    Query(q): Query<ShiftQuery>,
) -> Result<Json<Vec<Shift>>> {
    let from = q.from.unwrap_or(0);
    let to = q.to.unwrap_or(4_102_444_800);
    codec::check_time(from, "from")?;
    codec::check_time(to, "to")?;
    let unit = permit.list_unit(&q.unit_id, "unit_id")?;
    let rows = sqlx::query(&format!(
        "SELECT * FROM shifts sh WHERE ($1 = '' OR sh.staff_id = $1) AND ($2 = '' OR sh.unit_id = $2) \
         AND sh.ends_at > $3 AND sh.starts_at < $4 AND {} ORDER BY sh.starts_at, sh.id LIMIT $6",
        UnitScope::sql("sh.unit_id", 5)
    ))
    .bind(codec::filter_id(&q.staff_id, "staff_id")?)
    .bind(&unit)
    .bind(from)
    .bind(to)
    .bind(permit.unit_scope().param())
    .bind(LIST_LIMIT)
    .fetch_all(s.db().pool())
    .await?;
    Ok(Json(
        rows.iter().map(store::row_shift).collect::<Result<_>>()?,
    ))
}

/// Put a worker of the unit on a shift (never oneself). A night shift
/// gives keys to every installed lock of the unit's brukare with a valid
/// decision, so only the night patrol works one.
#[utoipa::path(post, path = "/v1/shifts", tag = "admin", security(("session" = [])), request_body = CreateShift,
    responses((status = 200, body = Shift), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn create_shift(
    State(s): State<AppState>,
    permit: Permit,
    Json(req): Json<CreateShift>,
) -> Result<Json<Shift>> {
    let id = id_or_new(&req.id, "sh", "id")?;
    codec::check_id(&req.unit_id, "unit_id")?;
    codec::check_id(&req.staff_id, "staff_id")?;
    check_span(req.starts_at, req.ends_at, MAX_SHIFT_HOURS, "shift")?;
    permit.require_unit(&req.unit_id)?;
    store::unit(s.db(), &req.unit_id).await?;
    check_worker(
        &s,
        &permit,
        &req.staff_id,
        Work::Shift(req.kind),
        &req.unit_id,
        req.ends_at,
    )
    .await?;
    let mut tx = s.db().begin_write().await?;
    sqlx::query(
        "INSERT INTO shifts (id, unit_id, staff_id, kind, starts_at, ends_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(&req.unit_id)
    .bind(&req.staff_id)
    .bind(req.kind.as_str())
    .bind(req.starts_at)
    .bind(req.ends_at)
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict(e, format!("shift '{id}' already exists")))?;
    let sh = Shift {
        id: id.clone(),
        unit_id: req.unit_id.clone(),
        staff_id: req.staff_id.clone(),
        kind: req.kind,
        starts_at: req.starts_at,
        ends_at: req.ends_at,
    };
    let rec = permit
        .record(Action::Write, s.now())
        .target("shift", &id, Some(&req.unit_id))
        .after(&sh);
    audit::insert(&mut tx, &[rec]).await?;
    tx.commit().await?;
    Ok(Json(sh))
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
    permit: Permit,
    RawBody(body): RawBody,
) -> Result<Json<ImportSummary>> {
    // Each kind of row is the operation it stands for.
    let reach = |key: &str| -> Option<Reach> {
        let p = permit.may(key).ok()?;
        Some(match (p.scope(), p.staff()) {
            (Scope::All, _) | (_, None) => Reach::All,
            (_, Some(st)) => Reach::Units(st.served_units().map(str::to_owned).collect()),
        })
    };
    let rules = ImportRules {
        decisions: reach("POST /v1/decisions"),
        visits: reach("POST /v1/visits"),
        shifts: reach("POST /v1/shifts"),
        importer: permit.staff_id(),
        policy: permit.policy(),
    };
    let rec =
        permit
            .record(Action::Write, s.now())
            .target("import", &codec::sha256_hex(&body), None);
    Ok(Json(
        crate::import::import_csv_with(s.db(), &body, s.now(), &rules, Some(rec)).await?,
    ))
}
