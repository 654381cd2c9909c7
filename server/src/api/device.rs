//! Public endpoints and a worker's device: enrollment, session, bundle,
//! tokens and events.

use nyckelfri_protocol::PublicKey;
use nyckelfri_protocol::keys::{PUBLIC_KEY_LEN, SIGNATURE_LEN};
use sqlx::Row;

use super::{Json, Query};
use crate::auth::{self, Caller};
use crate::codec;
use crate::error::{Error, ErrorBody, Result};
use crate::model::{
    Bundle, BundleQuery, ChallengeRequest, ChallengeResponse, EnrollRequest, EnrollResponse,
    Health, IssuedToken, IssuerInfo, Me, RevocationInfo, RevocationQuery, ServerTime,
    SessionRequest, SessionResponse, TokenRequest,
};
use crate::permit::Permit;
use crate::ratelimit::AddressLimited;
use crate::state::AppState;
use crate::{issuance, revocation, store};
use axum::extract::State;

/// Liveness and which database.
#[utoipa::path(get, path = "/healthz", tag = "public",
    responses((status = 200, body = Health)))]
pub(super) async fn health(State(s): State<AppState>) -> Result<Json<Health>> {
    sqlx::query("SELECT 1").execute(s.db().pool()).await?;
    Ok(Json(Health {
        status: "ok".into(),
        database: s.db().backend().name().into(),
    }))
}

/// The server's time (the app anchors its trusted time to it).
#[utoipa::path(get, path = "/v1/time", tag = "public",
    responses((status = 200, body = ServerTime)))]
pub(super) async fn server_time(State(s): State<AppState>) -> Json<ServerTime> {
    Json(ServerTime {
        server_time: s.now(),
    })
}

/// The issuer's public key, which locks trust (given to them in the
/// commissioning grant).
#[utoipa::path(get, path = "/v1/issuer", tag = "public",
    responses((status = 200, body = IssuerInfo)))]
pub(super) async fn issuer(State(s): State<AppState>) -> Json<IssuerInfo> {
    Json(s.issuer_info())
}

/// A lock's current signed revocation list (404 while nothing for it was
/// ever revoked; its tokens then need none).
#[utoipa::path(get, path = "/v1/revocation", tag = "public", params(RevocationQuery),
    responses((status = 200, body = RevocationInfo), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(super) async fn revocation_list(
    State(s): State<AppState>,
    Query(q): Query<RevocationQuery>,
) -> Result<Json<RevocationInfo>> {
    codec::check_id(&q.lock_id, "lock_id")?;
    revocation::lists_for(
        s.db(),
        s.issuer(),
        std::slice::from_ref(&q.lock_id),
        s.now(),
    )
    .await?
    .into_iter()
    .next()
    .map(Json)
    .ok_or_else(|| Error::not_found("revocation list for lock", &q.lock_id))
}

/// Enroll a device: a one-time code (from a coordinator) registers the
/// device's public key for its staff member. The code is used up.
/// Rate limited per client address.
#[utoipa::path(post, path = "/v1/enroll", tag = "device", request_body = EnrollRequest,
    responses(
        (status = 200, body = EnrollResponse),
        (status = 400, description = "Malformed key or code", body = ErrorBody),
        (status = 401, description = "Unknown, used or expired code", body = ErrorBody),
        (status = 403, description = "The staff account has ended (`account_ended`)", body = ErrorBody),
        (status = 409, description = "This key is already enrolled", body = ErrorBody),
        (status = 429, description = "Too many requests from this address (`rate_limited`, `Retry-After`)", body = ErrorBody),
    ))]
pub(super) async fn enroll(
    State(s): State<AppState>,
    _limited: AddressLimited,
    Json(req): Json<EnrollRequest>,
) -> Result<Json<EnrollResponse>> {
    let code = auth::normalize_code(&req.code);
    if code.is_empty() || code.len() > 64 {
        return Err(Error::bad(
            "code must be the one-time code, e.g. K7QM-2XPD-9FRA",
        ));
    }
    let key = codec::decode_fixed(&req.public_key, PUBLIC_KEY_LEN, "public_key")?;
    // Length and point form are checked here; a point off the curve can
    // never answer a challenge, so such a device never gets a session.
    PublicKey::from_sec1(&key).map_err(|e| Error::bad(format!("public_key: {e}")))?;
    let label = req.label.unwrap_or_default();
    codec::check_text(&label, 100, "label", true)?;
    let now = s.now();
    let mut tx = s.db().begin_write().await?;
    let staff_id: Option<String> = sqlx::query_scalar(
        "UPDATE enrollment_codes SET used_at = $1 \
         WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING staff_id",
    )
    .bind(now)
    .bind(codec::sha256_hex(code.as_bytes()))
    .fetch_optional(&mut *tx)
    .await?;
    let Some(staff_id) = staff_id else {
        return Err(Error::Unauthorized(
            "unknown, used or expired enrollment code; ask the coordinator for a new one".into(),
        ));
    };
    let ends_at: Option<i64> = sqlx::query_scalar("SELECT ends_at FROM staff WHERE id = $1")
        .bind(&staff_id)
        .fetch_one(&mut *tx)
        .await?;
    if ends_at.is_some_and(|e| e <= now) {
        return Err(Error::AccountEnded);
    }
    let taken: Option<String> = sqlx::query_scalar("SELECT id FROM devices WHERE public_key = $1")
        .bind(key.clone())
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(Error::Conflict(
            "this device key is already enrolled; make a new key to enroll again".into(),
        ));
    }
    let device_id = codec::new_id("dev")?;
    sqlx::query(
        "INSERT INTO devices (id, staff_id, public_key, label, enrolled_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&device_id)
    .bind(&staff_id)
    .bind(key)
    .bind(&label)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let staff = store::staff(s.db(), &staff_id).await?;
    tracing::info!(device = %device_id, "device enrolled");
    Ok(Json(EnrollResponse { device_id, staff }))
}

/// Ask for a challenge. The device signs `"nyckelfri/session/v1" || 0x00
/// || challenge` with its enrolled key (ES256) and sends the signature to
/// `/v1/auth/session`. Rate limited per client address and per device; a
/// device holds at most a few unanswered challenges at a time.
#[utoipa::path(post, path = "/v1/auth/challenge", tag = "device", request_body = ChallengeRequest,
    responses(
        (status = 200, body = ChallengeResponse),
        (status = 400, body = ErrorBody),
        (status = 403, description = "The device is revoked, or its owner's account has ended", body = ErrorBody),
        (status = 404, description = "Unknown device", body = ErrorBody),
        (status = 429, description = "Too many requests from this address or for this device, or too many open challenges (`rate_limited`, `Retry-After`)", body = ErrorBody),
    ))]
pub(super) async fn challenge(
    State(s): State<AppState>,
    _limited: AddressLimited,
    Json(req): Json<ChallengeRequest>,
) -> Result<Json<ChallengeResponse>> {
    codec::check_id(&req.device_id, "device_id")?;
    s.limiter().check_device(&req.device_id)?;
    let d = store::device(s.db(), &req.device_id).await?;
    if d.revoked_at.is_some() {
        return Err(Error::DeviceRevoked);
    }
    let now = s.now();
    if store::staff(s.db(), &d.staff_id).await?.ended(now) {
        return Err(Error::AccountEnded);
    }
    // Bounded: a flood of challenges for one device fills nothing.
    let pending: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM challenges WHERE device_id = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(&d.id)
    .bind(now)
    .fetch_one(s.db().pool())
    .await?;
    if pending >= i64::from(s.settings().rate_limits.max_pending_challenges) {
        return Err(Error::RateLimited {
            retry_after_secs: u64::try_from(s.settings().challenge_ttl_secs).unwrap_or(60),
        });
    }
    let challenge = codec::random_bytes::<{ auth::CHALLENGE_LEN }>()?;
    let id = codec::new_id("ch")?;
    let expires_at = now + s.settings().challenge_ttl_secs;
    sqlx::query(
        "INSERT INTO challenges (id, device_id, challenge, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&id)
    .bind(&d.id)
    .bind(challenge.to_vec())
    .bind(expires_at)
    .execute(s.db().pool())
    .await?;
    Ok(Json(ChallengeResponse {
        challenge_id: id,
        challenge: codec::b64(&challenge),
        expires_at,
        domain: auth::AUTH_DOMAIN.into(),
    }))
}

/// Answer a challenge; get a short-lived session token. A challenge can be
/// answered once. Rate limited per client address.
#[utoipa::path(post, path = "/v1/auth/session", tag = "device", request_body = SessionRequest,
    responses(
        (status = 200, body = SessionResponse),
        (status = 400, body = ErrorBody),
        (status = 401, description = "Bad signature, or unknown, used or expired challenge", body = ErrorBody),
        (status = 403, description = "The device is revoked, or its owner's account has ended", body = ErrorBody),
        (status = 429, description = "Too many requests from this address (`rate_limited`, `Retry-After`)", body = ErrorBody),
    ))]
pub(super) async fn session(
    State(s): State<AppState>,
    _limited: AddressLimited,
    Json(req): Json<SessionRequest>,
) -> Result<Json<SessionResponse>> {
    codec::check_id(&req.challenge_id, "challenge_id")?;
    let sig = codec::decode_fixed(&req.signature, SIGNATURE_LEN, "signature")?;
    let now = s.now();
    // Used up whatever the outcome: one try per challenge.
    let row = sqlx::query(
        "UPDATE challenges SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1 \
         RETURNING device_id, challenge",
    )
    .bind(now)
    .bind(&req.challenge_id)
    .fetch_optional(s.db().pool())
    .await?
    .ok_or_else(|| {
        Error::Unauthorized("unknown, used or expired challenge; ask for a new one".into())
    })?;
    let device_id: String = row.try_get("device_id")?;
    let challenge: Vec<u8> = row.try_get("challenge")?;
    let d = store::device(s.db(), &device_id).await?;
    if d.revoked_at.is_some() {
        return Err(Error::DeviceRevoked);
    }
    let key_bytes = hex::decode(&d.public_key).map_err(|_| Error::Internal("stored key".into()))?;
    let key = PublicKey::from_sec1(&key_bytes)?;
    key.verify(
        &auth::challenge_message(&challenge),
        &sig,
        "session challenge",
    )
    .map_err(|_| {
        Error::Unauthorized(
            "the signature does not verify with this device's key (signed bytes: \
                 \"nyckelfri/session/v1\", 0x00, the 32 challenge bytes)"
                .into(),
        )
    })?;
    let owner = store::staff(s.db(), &d.staff_id).await?;
    if owner.ended(now) {
        return Err(Error::AccountEnded);
    }
    let token = format!("nfs_{}", hex::encode(codec::random_bytes::<32>()?));
    // A session never outlives the account.
    let expires_at = owner
        .ends_at
        .map_or(now + s.settings().session_ttl_secs, |e| {
            e.min(now + s.settings().session_ttl_secs)
        });
    sqlx::query(
        "INSERT INTO sessions (token_hash, device_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(codec::sha256_hex(token.as_bytes()))
    .bind(&device_id)
    .bind(now)
    .bind(expires_at)
    .execute(s.db().pool())
    .await?;
    Ok(Json(SessionResponse {
        session_token: token,
        expires_at,
        device_id,
        staff: owner,
    }))
}

/// Who am I.
#[utoipa::path(get, path = "/v1/me", tag = "device", security(("session" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn me(permit: Permit) -> Json<Me> {
    Json(match permit.caller().clone() {
        Caller::Admin => Me {
            staff: None,
            device_id: None,
            admin: true,
        },
        Caller::Device(d) => Me {
            staff: Some(d.staff),
            device_id: Some(d.device_id),
            admin: false,
        },
    })
}

/// The worker's day: visits with what is needed at the door, an access
/// token per visit window (or night shift) and lock, lock keys, unit
/// settings, the signed revocation list and the server time; and for
/// every lock without a key, the reason. Fetching again re-uses the tokens
/// already issued to this device. Only today and the next local day (any
/// other date is 400): keys are never issued further ahead. Reading the
/// brukare's entry notes is written to the audit log.
#[utoipa::path(get, path = "/v1/bundle", tag = "device", security(("session" = [])), params(BundleQuery),
    responses(
        (status = 200, body = Bundle),
        (status = 400, description = "Bad date, or not today or the next day", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Revoked device (`device_revoked`), ended account (`account_ended`) or admin token", body = ErrorBody),
    ))]
pub(super) async fn bundle(
    State(s): State<AppState>,
    permit: Permit,
    Query(q): Query<BundleQuery>,
) -> Result<Json<Bundle>> {
    let dev = permit.device()?;
    let b = issuance::bundle(&s, dev, q.date.as_deref()).await?;
    crate::audit::read(&s, &permit, b.visits.iter().map(|v| v.brukare.id.as_str())).await;
    Ok(Json(b))
}

/// One fresh token for a lock now. Care keys (care workers, the night
/// patrol): for the visit or night shift that is open now (or opens next
/// today). Demo, install and maintenance keys (alarm technicians, R1.9):
/// only for an open order booked for the technician asking, from the
/// booked time, ended when the order closes.
#[utoipa::path(post, path = "/v1/tokens", tag = "device", security(("session" = [])), request_body = TokenRequest,
    responses(
        (status = 200, body = IssuedToken),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "No key (`no_key` with `reason`, e.g. `decision_ended`, `no_order`), a role that gets no keys, or revoked device", body = ErrorBody),
        (status = 404, description = "Unknown lock", body = ErrorBody),
    ))]
pub(super) async fn token(
    State(s): State<AppState>,
    permit: Permit,
    Json(req): Json<TokenRequest>,
) -> Result<Json<IssuedToken>> {
    Ok(Json(issuance::token_now(&s, &permit, &req).await?))
}
