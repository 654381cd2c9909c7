//! Sync with the server: enroll this phone's key, open a session by signing
//! the server's challenge, upload the outbox in batches (the server stores
//! each client-made event id once, so a retry after a crash or a cut
//! connection never duplicates), then fetch the day's bundle and store it in
//! one transaction. Without a network the app keeps working on what it has.

pub(crate) mod client;
pub(crate) mod session_cache;
pub(crate) mod wire;

use std::time::Duration;

use nyckelfri_protocol::Signer;
use rusqlite::{OptionalExtension, params};

use crate::app::AppInner;
use crate::bundle::{DayBundle, HexBytes, LockInfo, ShiftInfo, Visit};
use crate::error::{Error, NyckelfriError};
use crate::model::UnitSettings;
use client::Client;
use wire::*;

/// Events per upload request.
const BATCH: u32 = 100;

/// The domain string the device's session signature starts with (the
/// server's `AUTH_DOMAIN`): `domain || 0x00 || challenge` is signed.
pub(crate) const SESSION_DOMAIN: &str = "nyckelfri/session/v1";

/// Who this phone was enrolled as.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Enrollment {
    /// The server's id for this device.
    pub device_id: String,
    /// The staff member.
    pub staff_id: String,
    /// Their name.
    pub staff_name: String,
    /// Their role (e.g. "care_worker", "night_patrol").
    pub role: String,
    /// Their unit.
    pub unit_id: Option<String>,
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// Events the server now has that it did not before this sync (or
    /// already had from an interrupted earlier one).
    pub events_sent: u32,
    /// Visits in the new schedule.
    pub visits: u32,
    /// Keys received.
    pub keys: u32,
    /// The server's time (now anchoring trusted time).
    pub server_time: i64,
}

fn meta_get(app: &AppInner, key: &str) -> Result<Option<String>, Error> {
    app.store.read(|c| {
        Ok(
            c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()?,
        )
    })
}

pub(crate) async fn enroll(
    app: &AppInner,
    backoff: Duration,
    server_url: &str,
    code: &str,
    label: &str,
) -> Result<Enrollment, NyckelfriError> {
    let client = Client::new(server_url, backoff)?;
    let answer: EnrollResponse = client
        .post(
            "/v1/enroll",
            &EnrollRequest {
                code: code.trim(),
                public_key: hex::encode(app.device.public_key().as_bytes()),
                label,
            },
            None,
        )
        .await?;
    let enrollment = Enrollment {
        device_id: answer.device_id,
        staff_id: answer.staff.id,
        staff_name: answer.staff.name,
        role: answer.staff.role,
        unit_id: answer.staff.unit_id,
    };
    app.store.write(|tx| {
        for (k, v) in [
            ("sync.server_url", server_url.trim_end_matches('/')),
            ("sync.device_id", enrollment.device_id.as_str()),
            ("sync.staff_id", enrollment.staff_id.as_str()),
            ("sync.staff_name", enrollment.staff_name.as_str()),
            ("sync.role", enrollment.role.as_str()),
        ] {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![k, v],
            )?;
        }
        match &enrollment.unit_id {
            Some(unit) => tx.execute(
                "INSERT INTO meta (key, value) VALUES ('sync.unit_id', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [unit],
            )?,
            None => tx.execute("DELETE FROM meta WHERE key = 'sync.unit_id'", [])?,
        };
        Ok(())
    })?;
    Ok(enrollment)
}

/// Who this phone was enrolled for, as stored at enrollment; none before.
pub(crate) fn enrollment(app: &AppInner) -> Result<Option<Enrollment>, Error> {
    let Some(device_id) = meta_get(app, "sync.device_id")? else {
        return Ok(None);
    };
    Ok(Some(Enrollment {
        device_id,
        staff_id: meta_get(app, "sync.staff_id")?.unwrap_or_default(),
        staff_name: meta_get(app, "sync.staff_name")?.unwrap_or_default(),
        role: meta_get(app, "sync.role")?.unwrap_or_default(),
        unit_id: meta_get(app, "sync.unit_id")?,
    }))
}

/// Opens a session: the server's challenge, signed by the device key.
pub(crate) async fn session(
    app: &AppInner,
    client: &Client,
    device_id: &str,
) -> Result<String, NyckelfriError> {
    let opened_at = app.time.since_boot();
    if let Some(token) = app.sessions.get(client.base(), device_id, opened_at) {
        return Ok(token);
    }
    let challenge: Challenge = client
        .post("/v1/auth/challenge", &ChallengeRequest { device_id }, None)
        .await?;
    let nonce = b64(&challenge.challenge).map_err(|reason| NyckelfriError::Network { reason })?;
    // The app says what its key signs, never the server (its `domain` is
    // not even read): a signature over another domain could be replayed
    // where that domain is trusted.
    let mut signed = Vec::with_capacity(SESSION_DOMAIN.len() + 1 + nonce.len());
    signed.extend_from_slice(SESSION_DOMAIN.as_bytes());
    signed.push(0);
    signed.extend_from_slice(&nonce);
    let signature = app
        .device
        .sign(&signed)
        .map_err(|e| NyckelfriError::Signer {
            reason: e.to_string(),
        })?;
    let s: Session = client
        .post(
            "/v1/auth/session",
            &SessionRequest {
                challenge_id: &challenge.challenge_id,
                signature: to_b64(&signature),
            },
            None,
        )
        .await?;
    let _ = s.expires_at;
    app.sessions
        .put(client.base(), device_id, &s.session_token, opened_at);
    Ok(s.session_token)
}

/// A client for the enrolled server and a fresh session on it.
pub(crate) async fn authorized(
    app: &AppInner,
    backoff: Duration,
) -> Result<(Client, String), NyckelfriError> {
    let (Some(url), Some(device_id)) = (
        meta_get(app, "sync.server_url")?,
        meta_get(app, "sync.device_id")?,
    ) else {
        return Err(NyckelfriError::NotEnrolled);
    };
    let mut client = Client::new(&url, backoff)?;
    client.forget_session_on_401(app.sessions.clone());
    let token = session(app, &client, &device_id).await?;
    Ok((client, token))
}

pub(crate) async fn sync(app: &AppInner, backoff: Duration) -> Result<SyncReport, NyckelfriError> {
    let (Some(url), Some(device_id)) = (
        meta_get(app, "sync.server_url")?,
        meta_get(app, "sync.device_id")?,
    ) else {
        return Err(NyckelfriError::NotEnrolled);
    };
    let mut client = Client::new(&url, backoff)?;
    client.forget_session_on_401(app.sessions.clone());
    // The sync is where a revoked phone learns it (below): it always asks
    // for a new session rather than reusing one.
    app.sessions.clear();
    let token = match session(app, &client, &device_id).await {
        Err(NyckelfriError::Server {
            status,
            code,
            detail,
        }) if code == "device_revoked" => {
            // This phone is no longer trusted: it must not keep opening doors.
            app.store.write(|tx| {
                tx.execute("DELETE FROM tokens", [])?;
                Ok(())
            })?;
            return Err(NyckelfriError::Server {
                status,
                code,
                detail,
            });
        }
        other => other?,
    };
    // Events first: they matter even if the bundle fails.
    let events_sent = upload(app, &client, &token).await?;
    let wire: BundleWire = client.get("/v1/bundle", &token).await?;
    let bundle = to_bundle(wire).map_err(|reason| NyckelfriError::Server {
        status: 200,
        code: "bad_bundle".into(),
        detail: format!("the server's bundle is not usable: {reason}"),
    })?;
    let report = SyncReport {
        events_sent,
        visits: u32::try_from(bundle.visits.len()).unwrap_or(u32::MAX),
        keys: u32::try_from(bundle.tokens.len()).unwrap_or(u32::MAX),
        server_time: bundle.server_time,
    };
    app.store
        .write(|tx| crate::bundle::apply(tx, &app.time, &bundle))
        .map_err(|e| match e {
            // The store refuses what breaks its rules: the server's fault.
            Error::InvalidInput(_) | Error::Protocol(_) => NyckelfriError::Server {
                status: 200,
                code: "bad_bundle".into(),
                detail: format!("the server's bundle is not usable: {e}"),
            },
            other => other.into(),
        })?;
    Ok(report)
}

/// Uploads unsent events in batches; marks each as sent once the server
/// answers for it (stored now or stored before).
async fn upload(app: &AppInner, client: &Client, token: &str) -> Result<u32, NyckelfriError> {
    let mut sent = 0u32;
    loop {
        let batch = app.store.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT event_id, kind, payload, created_at FROM outbox
                 WHERE sent_at IS NULL ORDER BY seq LIMIT ?1",
            )?;
            let rows = stmt.query_map([BATCH], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })?;
        if batch.is_empty() {
            return Ok(sent);
        }
        let events = batch
            .iter()
            .map(|(id, kind, payload, at)| {
                let data: serde_json::Value =
                    serde_json::from_str(payload).unwrap_or(serde_json::Value::Null);
                EventWire {
                    id: id.clone(),
                    kind: kind.clone(),
                    occurred_at: *at,
                    lock_id: data
                        .get("lock_id")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned),
                    visit_id: data
                        .get("visit_id")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned),
                    data,
                }
            })
            .collect();
        let answer: EventsResponse = client
            .post("/v1/events", &EventsRequest { events }, Some(token))
            .await?;
        let now = app.store.read(|c| app.time.peek(c))?.unix;
        let acknowledged = app.store.write(|tx| {
            let mut n = 0u32;
            for r in &answer.results {
                // "rejected": the server stored it and will never believe
                // it (no key for the lock, a receipt that does not verify);
                // sending it again changes nothing, so it leaves the outbox.
                if r.status == "stored" || r.status == "duplicate" || r.status == "rejected" {
                    n += u32::try_from(tx.execute(
                        "UPDATE outbox SET sent_at = ?1 WHERE event_id = ?2 AND sent_at IS NULL",
                        params![now, r.id],
                    )?)
                    .unwrap_or(0);
                }
            }
            Ok(n)
        })?;
        if acknowledged == 0 {
            // The server answered for none of them: stop rather than loop.
            return Err(NyckelfriError::Network {
                reason: "the server acknowledged none of the events".into(),
            });
        }
        sent += acknowledged;
    }
}

/// The server's bundle in the core's terms. Each visit opens its brukare's
/// door lock (an entrance lock, portlås, is not the visit's door).
fn to_bundle(w: BundleWire) -> Result<DayBundle, String> {
    let door = |ids: &[String]| -> Option<String> {
        ids.iter()
            .find(|id| {
                w.locks
                    .iter()
                    .any(|l| &l.id == *id && l.kind.as_deref().unwrap_or("door") == "door")
            })
            .or_else(|| ids.first())
            .cloned()
    };
    let mut visits = Vec::new();
    for v in &w.visits {
        let Some(lock_id) = door(&v.lock_ids) else {
            continue; // a brukare without a lock: nothing to open
        };
        let reason = w
            .no_key
            .iter()
            .find(|n| n.visit_id.as_deref() == Some(&v.id) && n.lock_id == lock_id)
            .map(|n| n.reason.clone());
        visits.push(Visit {
            visit_id: v.id.clone(),
            unit_id: w.unit.id.clone(),
            lock_id,
            brukare_id: v.brukare.id.clone(),
            brukare_name: v.brukare.display_name.clone(),
            address: v.brukare.address.clone(),
            starts_at: v.starts_at,
            ends_at: v.ends_at,
            no_key_reason: reason,
        });
    }
    let locks = w
        .locks
        .iter()
        .map(|l| {
            Ok(LockInfo {
                lock_id: l.id.clone(),
                public_key: hex::decode(&l.public_key).map_err(|e| format!("lock key: {e}"))?,
                brukare_id: l.brukare_id.clone(),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let tokens = w
        .tokens
        .iter()
        .map(|t| b64(&t.token).map(HexBytes))
        .collect::<Result<Vec<_>, String>>()?;
    let revocation_lists = w
        .revocation_lists
        .iter()
        .map(|r| b64(&r.list).map(HexBytes))
        .collect::<Result<Vec<_>, String>>()?;
    let issuer_key = match &w.issuer {
        Some(i) => Some(HexBytes(
            hex::decode(&i.public_key).map_err(|e| format!("issuer key: {e}"))?,
        )),
        None => None,
    };
    let issuer_update = match &w.issuer_update {
        Some(u) => Some(HexBytes(b64(u)?)),
        None => None,
    };
    Ok(DayBundle {
        server_time: w.server_time,
        units: vec![UnitSettings {
            unit_id: w.unit.id.clone(),
            name: w.unit.name.clone(),
            coordinator_phone: w.unit.settings.coordinator_phone.clone(),
            day_key_location: w.unit.settings.day_key_location.clone(),
            night_key_location: w.unit.settings.night_key_location.clone(),
            night_patrol_deadline: w.unit.settings.night_patrol_deadline.clone(),
            time_zone: w.unit.settings.time_zone.clone(),
            office_opens: w.unit.settings.office_opens.clone(),
            office_closes: w.unit.settings.office_closes.clone(),
            night_patrol_phone: w.unit.settings.night_patrol_phone.clone(),
            acute_key_routine: w.unit.settings.acute_key_routine.clone(),
            acute_key_routine_en: w.unit.settings.acute_key_routine_en.clone(),
        }],
        locks,
        visits,
        shifts: w
            .shifts
            .iter()
            .map(|sh| ShiftInfo {
                shift_id: sh.id.clone(),
                unit_id: sh.unit_id.clone(),
                kind: sh.kind.clone(),
                starts_at: sh.starts_at,
                ends_at: sh.ends_at,
            })
            .collect(),
        tokens,
        revocation_lists,
        issuer_key,
        issuer_update,
    })
}

/// Events not yet on the server.
pub(crate) fn pending(app: &AppInner) -> Result<u32, Error> {
    app.store.read(|c| {
        Ok(c.query_row(
            "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL",
            [],
            |r| r.get(0),
        )?)
    })
}
