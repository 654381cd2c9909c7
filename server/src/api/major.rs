//! Major outages (R2.3, R2.4, R2.14, R2.16): the alarm group declares,
//! updates and ends them; everyone is told in their inbox and the managers
//! (external providers' too) by email; the server's suggestions; the
//! managers' contact list. See `crate::major`.

use axum::extract::State;

use super::{Json, Path, Query};
use crate::audit::{self, Action};
use crate::codec;
use crate::error::{Error, ErrorBody, Result};
use crate::major;
use crate::model::{
    ContactRole, DeclareMajorOutage, MajorOutage, MajorOutageNoticeKind, MajorOutageNoticeRequest,
    MajorOutageQuery, MajorOutageSuggestion, ManagerContact, ManagerContactRequest,
};
use crate::permit::Permit;
use crate::state::AppState;
use crate::{mail, scheduler};

/// 403 unless a unit manager acting for the alarm group is its own unit
/// manager (the policy's scope `alarm_group`).
fn alarm_group_manager(s: &AppState, permit: &Permit) -> Result<()> {
    permit.require_alarm_group(s.settings().alarm_group_unit_id.as_deref())
}

/// Sends what the notice queued now, in the background (the scheduler
/// sends whatever this misses).
fn send_now(s: &AppState) {
    let state = s.clone();
    tokio::spawn(async move {
        if let Err(e) = mail::send_pending(&state, state.now()).await {
            tracing::warn!(error = %e, "sending the major outage's emails; the scheduler retries");
        }
    });
}

/// Major outages, newest first.
#[utoipa::path(get, path = "/v1/major-outages", tag = "outages", security(("session" = [])),
    params(MajorOutageQuery),
    responses((status = 200, body = Vec<MajorOutage>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn list(
    State(s): State<AppState>,
    _permit: Permit,
    Query(q): Query<MajorOutageQuery>,
) -> Result<Json<Vec<MajorOutage>>> {
    Ok(Json(major::list(s.db(), q.status).await?))
}

/// One major outage with its cases, notices and emails.
#[utoipa::path(get, path = "/v1/major-outages/{id}", tag = "outages", security(("session" = [])),
    params(("id" = String, Path, description = "Major outage id")),
    responses((status = 200, body = MajorOutage), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn get_one(
    State(s): State<AppState>,
    _permit: Permit,
    Path(id): Path<String>,
) -> Result<Json<MajorOutage>> {
    codec::check_id(&id, "major outage id")?;
    Ok(Json(major::get(s.db(), &id).await?))
}

/// R2.3: the alarm group declares a major outage ("stort driftstopp där
/// samtliga låsvred är ur funktion som kräver samordnande insatser"). The
/// alarm group's unit manager is told at once (R2.3); all unit managers and
/// the head of operations in their inboxes, and every active manager
/// contact (external providers' too) by email (R2.4); the head of
/// operations gets the deviation to write (R2.16). Every open outage case
/// becomes part of it. The summary may not name a brukare (400).
#[utoipa::path(post, path = "/v1/major-outages", tag = "outages", security(("session" = [])),
    request_body = DeclareMajorOutage,
    responses((status = 200, body = MajorOutage),
        (status = 400, description = "Bad input, or the summary names a brukare", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "A major outage is already open, or the id is taken", body = ErrorBody)))]
pub(super) async fn declare(
    State(s): State<AppState>,
    permit: Permit,
    Json(req): Json<DeclareMajorOutage>,
) -> Result<Json<MajorOutage>> {
    alarm_group_manager(&s, &permit)?;
    let m = major::declare(s.db(), s.settings(), permit.staff(), &req, s.now()).await?;
    send_now(&s);
    Ok(Json(m))
}

async fn notice(
    s: &AppState,
    permit: &Permit,
    id: &str,
    kind: MajorOutageNoticeKind,
    req: &MajorOutageNoticeRequest,
    default: Option<&str>,
) -> Result<MajorOutage> {
    codec::check_id(id, "major outage id")?;
    alarm_group_manager(s, permit)?;
    let text = req
        .text
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .or(default)
        .ok_or_else(|| Error::bad("text is required: what everyone should know now"))?;
    let m = major::notice(
        s.db(),
        s.settings(),
        id,
        kind,
        req.id.as_deref(),
        text,
        permit.staff(),
        s.now(),
    )
    .await?;
    send_now(s);
    Ok(m)
}

/// R2.4: an update to everyone ("Enhetschefen uppdaterar alla
/// kontinuerligt"), in the inboxes and by email. A retry with the same id
/// sends nothing again.
#[utoipa::path(post, path = "/v1/major-outages/{id}/updates", tag = "outages", security(("session" = [])),
    params(("id" = String, Path, description = "Major outage id")), request_body = MajorOutageNoticeRequest,
    responses((status = 200, body = MajorOutage),
        (status = 400, description = "Bad input, or the text names a brukare", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "It has ended, or the id is taken", body = ErrorBody)))]
pub(super) async fn update(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
    Json(req): Json<MajorOutageNoticeRequest>,
) -> Result<Json<MajorOutage>> {
    Ok(Json(
        notice(&s, &permit, &id, MajorOutageNoticeKind::Update, &req, None).await?,
    ))
}

/// R2.14: the locks work again ("när de är åter i funktion"): everyone is
/// told, in the inboxes and by email. The cases stay open until each
/// coordinator documents its lock working (R2.10).
#[utoipa::path(post, path = "/v1/major-outages/{id}/end", tag = "outages", security(("session" = [])),
    params(("id" = String, Path, description = "Major outage id")), request_body = MajorOutageNoticeRequest,
    responses((status = 200, body = MajorOutage),
        (status = 400, description = "Bad input, or the text names a brukare", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "It has ended, or the id is taken", body = ErrorBody)))]
pub(super) async fn end(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
    Json(req): Json<MajorOutageNoticeRequest>,
) -> Result<Json<MajorOutage>> {
    Ok(Json(
        notice(
            &s,
            &permit,
            &id,
            MajorOutageNoticeKind::End,
            &req,
            Some("De elektroniska låsvreden fungerar igen. / The electronic locks work again."),
        )
        .await?,
    ))
}

/// R2.3: what automatic detection suggests to the alarm group (many locks
/// down across the municipality within the window), newest first;
/// `?all=true` for every suggestion, else the open ones.
#[utoipa::path(get, path = "/v1/major-outage-suggestions", tag = "outages", security(("session" = [])),
    params(("all" = Option<bool>, Query, description = "Every suggestion, not only open ones")),
    responses((status = 200, body = Vec<MajorOutageSuggestion>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(super) async fn suggestions(
    State(s): State<AppState>,
    _permit: Permit,
    Query(q): Query<SuggestionQuery>,
) -> Result<Json<Vec<MajorOutageSuggestion>>> {
    Ok(Json(
        major::suggestions(s.db(), !q.all.unwrap_or(false)).await?,
    ))
}

/// Filter for suggestions.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct SuggestionQuery {
    all: Option<bool>,
}

/// The alarm group judges a suggestion not a major outage.
#[utoipa::path(post, path = "/v1/major-outage-suggestions/{id}/dismiss", tag = "outages", security(("session" = [])),
    params(("id" = String, Path, description = "Suggestion id")),
    responses((status = 200, body = MajorOutageSuggestion), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "It was declared", body = ErrorBody)))]
pub(super) async fn dismiss(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
) -> Result<Json<MajorOutageSuggestion>> {
    codec::check_id(&id, "suggestion id")?;
    alarm_group_manager(&s, &permit)?;
    Ok(Json(
        major::dismiss(s.db(), &id, permit.staff(), s.now()).await?,
    ))
}

/// The managers who get a major outage's emails (R2.4: "samtliga
/// enhetschefer (även externa) och verksamhetschef").
#[utoipa::path(get, path = "/v1/manager-contacts", tag = "outages", security(("session" = [])),
    responses((status = 200, body = Vec<ManagerContact>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(super) async fn contacts(
    State(s): State<AppState>,
    _permit: Permit,
) -> Result<Json<Vec<ManagerContact>>> {
    Ok(Json(major::contacts(s.db()).await?))
}

fn check_contact(req: &ManagerContactRequest) -> Result<()> {
    codec::check_text(&req.name, 100, "name", false)?;
    codec::check_text(&req.organisation, 100, "organisation", false)?;
    mail::check_address(&req.email, "email")
}

/// Add a manager contact.
#[utoipa::path(post, path = "/v1/manager-contacts", tag = "outages", security(("session" = [])),
    request_body = ManagerContactRequest,
    responses((status = 200, body = ManagerContact), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "The id or the email is taken", body = ErrorBody)))]
pub(super) async fn create_contact(
    State(s): State<AppState>,
    permit: Permit,
    Json(req): Json<ManagerContactRequest>,
) -> Result<Json<ManagerContact>> {
    check_contact(&req)?;
    let id = match &req.id {
        Some(id) => {
            codec::check_id(id, "id")?;
            id.clone()
        }
        None => codec::new_id("chef")?,
    };
    sqlx::query(
        "INSERT INTO manager_contacts (id, name, email, organisation, role, external, active, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(req.name.trim())
    .bind(req.email.trim())
    .bind(req.organisation.trim())
    .bind(req.role.unwrap_or(ContactRole::UnitManager).as_str())
    .bind(i64::from(req.external.unwrap_or(false)))
    .bind(i64::from(req.active.unwrap_or(true)))
    .bind(s.now())
    .execute(s.db().pool())
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            Error::Conflict("a contact with this id or email exists".into())
        }
        _ => Error::Database(e),
    })?;
    let after = major::contact(s.db(), &id).await?;
    audit_contact(&s, &permit, None, &after).await?;
    Ok(Json(after))
}

/// Writes a change of the contact list to the audit log.
async fn audit_contact(
    s: &AppState,
    permit: &Permit,
    before: Option<&ManagerContact>,
    after: &ManagerContact,
) -> Result<()> {
    let mut rec = permit
        .record(Action::Write, s.now())
        .target("manager_contact", &after.id, None)
        .after(after);
    if let Some(b) = before {
        rec = rec.before(b);
    }
    let mut conn = s.db().pool().acquire().await?;
    audit::insert(&mut conn, &[rec]).await
}

/// Change a manager contact (e.g. `active: false` to stop their emails).
#[utoipa::path(put, path = "/v1/manager-contacts/{id}", tag = "outages", security(("session" = [])),
    params(("id" = String, Path, description = "Contact id")), request_body = ManagerContactRequest,
    responses((status = 200, body = ManagerContact), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The email is taken", body = ErrorBody)))]
pub(super) async fn update_contact(
    State(s): State<AppState>,
    permit: Permit,
    Path(id): Path<String>,
    Json(req): Json<ManagerContactRequest>,
) -> Result<Json<ManagerContact>> {
    codec::check_id(&id, "contact id")?;
    check_contact(&req)?;
    let before = major::contact(s.db(), &id).await?;
    let n = sqlx::query(
        "UPDATE manager_contacts SET name = $1, email = $2, organisation = $3, role = $4, \
         external = $5, active = $6 WHERE id = $7",
    )
    .bind(req.name.trim())
    .bind(req.email.trim())
    .bind(req.organisation.trim())
    .bind(req.role.unwrap_or(ContactRole::UnitManager).as_str())
    .bind(i64::from(req.external.unwrap_or(false)))
    .bind(i64::from(req.active.unwrap_or(true)))
    .bind(&id)
    .execute(s.db().pool())
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            Error::Conflict("another contact has this email".into())
        }
        _ => Error::Database(e),
    })?
    .rows_affected();
    if n == 0 {
        return Err(Error::not_found("manager contact", id));
    }
    let after = major::contact(s.db(), &id).await?;
    audit_contact(&s, &permit, Some(&before), &after).await?;
    Ok(Json(after))
}

/// Runs the scheduler once now (operators; the admin token): decisions
/// ending, orders due, deadlines passing, emails waiting.
#[utoipa::path(post, path = "/v1/scheduler/run", tag = "admin", security(("session" = [])),
    responses((status = 200, body = SchedulerRun), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(super) async fn run_scheduler(
    State(s): State<AppState>,
    _permit: Permit,
) -> Result<Json<SchedulerRun>> {
    let r = scheduler::tick(&s, s.now()).await?;
    Ok(Json(SchedulerRun {
        care_ended: r.care_ended,
        orders_due: r.orders_due,
        night_patrol_told: r.night_patrol_told,
        emails_sent: r.emails_sent,
        emails_failed: r.emails_failed,
    }))
}

/// What a run of the scheduler did.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SchedulerRun {
    /// Brukare whose care ended by date and got removal orders (R1.11).
    pub care_ended: u32,
    /// Removal orders that fell due (R1.12).
    pub orders_due: u32,
    /// Outage cases whose night patrol the server told (R2.12).
    pub night_patrol_told: u32,
    /// Emails sent (R2.4, R2.14).
    pub emails_sent: u32,
    /// Emails the relay did not take.
    pub emails_failed: u32,
}
