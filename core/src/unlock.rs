//! Opening a door: choose the key, run the exchange (with one reconnect
//! that reuses the request id, so the door never opens twice), check the
//! lock's receipt against its registered key, and store receipt and event
//! in one transaction.

use std::time::Duration;

use nyckelfri_protocol::exchange::{VerifiedReceipt, build_request, new_request_id, verify_result};
use nyckelfri_protocol::issuers::IssuerUpdate;
use nyckelfri_protocol::messages::{Command, Hello, Message, Request, ResultMessage};
use nyckelfri_protocol::revocation::RevocationList;
use nyckelfri_protocol::token::Scope;
use nyckelfri_protocol::{LOW_BATTERY_PERCENT, PublicKey, REQUEST_ID_LEN, Status, TOKEN_ID_LEN};
use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::json;

use crate::app::AppInner;
use crate::error::{Error, Result};
use crate::keys::{self, KeyChoice};
use crate::model::{KeyStatus, UnlockOutcome, UnlockStep};
use crate::outbox;
use crate::time::TimeSource;
use crate::transport::{LockLink, TransportError};

/// Hears how opening a door goes, step by step.
#[uniffi::export(with_foreign)]
pub trait UnlockListener: Send + Sync {
    /// The flow reached `step`.
    fn on_step(&self, step: UnlockStep);
}

/// How long each phase may take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    /// Finding and connecting to the lock.
    pub(crate) connect: Duration,
    /// Each message from the lock.
    pub(crate) message: Duration,
}

/// How long after a crash an interrupted attempt may still be finished by
/// resending it, when the worker taps to. Later, the worker may have left
/// the door: the attempt is closed as "outcome unknown" rather than opening
/// an unattended door.
pub(crate) const RESUME_WINDOW_SECS: i64 = 120;

/// An opening a crash interrupted after its Request may have reached the
/// lock. The app shows it and resends it only when the worker taps
/// ([`crate::NyckelfriApp::resume_unlock`]): the lock answers from its
/// request cache and never moves the bolt twice.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PendingUnlock {
    /// The attempt's request id (hex): what `resume_unlock` takes.
    pub request_id: String,
    /// The visit, if it was a visit's door.
    pub visit_id: Option<String>,
    /// The lock.
    pub lock_id: String,
    /// "unlock", "lock", "finish_installation", "enter_installation" or
    /// "decommission".
    pub command: String,
    /// When the worker started it (Unix seconds, trusted time).
    pub started_at: i64,
    /// Until when it can still be finished (Unix seconds, trusted time).
    pub resumable_until: i64,
}

/// What one attempt is about.
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    pub(crate) command: Command,
    /// Random until the first Hello; then the Hello's lock time and 8
    /// random bytes (what the lock expects of a request id), kept for every
    /// retry.
    pub(crate) request_id: [u8; REQUEST_ID_LEN],
    /// Whether `request_id` was made for a Hello (and may have been sent).
    pub(crate) bound: bool,
    pub(crate) visit_id: Option<String>,
    pub(crate) lock_id: String,
    pub(crate) token: Vec<u8>,
    pub(crate) token_id: [u8; TOKEN_ID_LEN],
    pub(crate) lock_key: PublicKey,
}

/// Why the exchange produced no verified answer.
enum Failure {
    NotFound,
    LinkLost(String),
    Invalid(String),
}

struct Answer {
    hello: Hello,
    request: Request,
    result: ResultMessage,
}

/// Opens the door of `visit_id`, on the worker's tap. An opening of this
/// visit that a crash (or a lost link) interrupted after its Request may
/// have reached the lock is finished first, with its own request id: if the
/// lock acted, it answers from its cache and the door does not move again.
pub(crate) async fn open_door(
    app: &AppInner,
    visit_id: &str,
    listener: &dyn UnlockListener,
) -> Result<UnlockOutcome> {
    let interrupted = app.store.write(|tx| {
        let now = app.time.now(tx)?.unix;
        Ok(close_stale(tx, now)?
            .into_iter()
            .find(|p| p.attempt.visit_id.as_deref() == Some(visit_id)))
    })?;
    if let Some(p) = interrupted {
        return run(app, p.attempt, listener, true).await;
    }
    let attempt = match app.store.write(|tx| plan(app, tx, visit_id))? {
        Ok(attempt) => attempt,
        Err(outcome) => return Ok(outcome),
    };
    run(app, attempt, listener, false).await
}

/// Picks the key and records the attempt, or says why there is nothing to try.
fn plan(
    app: &AppInner,
    tx: &Transaction<'_>,
    visit_id: &str,
) -> Result<std::result::Result<Attempt, UnlockOutcome>> {
    let reading = app.time.now(tx)?;
    let now = reading.unix;
    let (lock_id, reason): (String, Option<String>) = tx
        .query_row(
            "SELECT lock_id, no_key_reason FROM visits WHERE visit_id = ?1",
            [visit_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("visit {visit_id}")))?;
    let choice = match keys::choose(tx, &lock_id, Scope::Care, now, reason.as_deref())? {
        // Only the phone's clock is known (rebooted, not synced since): it
        // may be wrong either way, so let the lock, whose clock decides,
        // judge the newest key rather than refuse here.
        KeyChoice::Unusable(_) if reading.source == TimeSource::PhoneClock => {
            match keys::newest(tx, &lock_id, Scope::Care)? {
                Some(k) => KeyChoice::Usable(k),
                None => keys::choose(tx, &lock_id, Scope::Care, now, reason.as_deref())?,
            }
        }
        other => other,
    };
    let key = match choice {
        KeyChoice::Usable(k) => k,
        KeyChoice::Unusable(status) => {
            let outcome = outcome_for_status(status);
            outbox::record_event(
                tx,
                &outbox::new_event_id()?,
                "unlock_not_possible",
                &json!({ "visit_id": visit_id, "lock_id": lock_id,
                         "outcome": outcome_name(&outcome), "at": now }),
                now,
            )?;
            return Ok(Err(outcome));
        }
    };
    let lock_key: Option<Vec<u8>> = tx
        .query_row(
            "SELECT public_key FROM locks WHERE lock_id = ?1",
            [&lock_id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(lock_key) = lock_key else {
        return Ok(Err(UnlockOutcome::NoKey {
            reason: Some("lock_key_missing".into()),
        }));
    };
    let attempt = Attempt {
        command: Command::Unlock,
        request_id: random_request_id()?,
        bound: false,
        visit_id: Some(visit_id.to_owned()),
        lock_id,
        token_id: key
            .token_id
            .as_slice()
            .try_into()
            .map_err(|_| Error::InvalidInput("stored token id is not 16 bytes".into()))?,
        token: key.token,
        lock_key: PublicKey::from_sec1(&lock_key)?,
    };
    record_attempt(tx, &attempt, now)?;
    Ok(Ok(attempt))
}

/// Records an attempt as started, before anything is sent.
pub(crate) fn record_attempt(tx: &Transaction<'_>, attempt: &Attempt, now: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO unlock_attempts (request_id, visit_id, lock_id, token_id, command, state,
             started_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'started', ?6, ?6)",
        params![
            attempt.request_id.to_vec(),
            attempt.visit_id,
            attempt.lock_id,
            attempt.token_id.to_vec(),
            attempt.command as u8,
            now
        ],
    )?;
    Ok(())
}

pub(crate) fn random_request_id() -> Result<[u8; REQUEST_ID_LEN]> {
    let mut id = [0u8; REQUEST_ID_LEN];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut id)
        .map_err(|_| Error::Signer("no randomness for a request id".into()))?;
    Ok(id)
}

/// Runs an attempt to its outcome and records it.
pub(crate) async fn run(
    app: &AppInner,
    mut attempt: Attempt,
    listener: &dyn UnlockListener,
    resuming: bool,
) -> Result<UnlockOutcome> {
    match exchange(app, &mut attempt, listener, resuming).await {
        Ok(answer) => commit(app, &attempt, &answer, listener),
        Err(failure) => {
            let outcome = match &failure {
                Failure::NotFound => UnlockOutcome::LockNotFound,
                Failure::LinkLost(_) => UnlockOutcome::LinkLost,
                Failure::Invalid(_) => UnlockOutcome::ReceiptInvalid,
            };
            let detail = match &failure {
                Failure::NotFound => "lock not found".to_owned(),
                Failure::LinkLost(d) | Failure::Invalid(d) => d.clone(),
            };
            app.store.write(|tx| {
                let now = app.time.now(tx)?.unix;
                outbox::record_event(
                    tx,
                    &format!("unlock-failed-{}", outbox::new_event_id()?),
                    "unlock_failed",
                    &json!({ "visit_id": attempt.visit_id, "lock_id": attempt.lock_id,
                             "request_id": hex::encode(attempt.request_id),
                             "outcome": outcome_name(&outcome), "detail": detail, "at": now }),
                    now,
                )?;
                // Not found: nothing was sent, the attempt is over. Otherwise
                // the lock may have acted: keep it open for resuming.
                if matches!(failure, Failure::NotFound) {
                    set_state(tx, &attempt.request_id, "abandoned", now)?;
                }
                Ok(())
            })?;
            Ok(outcome)
        }
    }
}

/// Connect, Hello, Request, Result — with one reconnect on a lost link that
/// resends the same request id.
async fn exchange(
    app: &AppInner,
    attempt: &mut Attempt,
    listener: &dyn UnlockListener,
    resuming: bool,
) -> std::result::Result<Answer, Failure> {
    let mut last = Failure::NotFound;
    // Never connected at all means the lock could not be reached: nothing
    // was sent, so it is "not found", not "link lost".
    let mut connected = false;
    for round in 0..2 {
        listener.on_step(if round == 0 && !resuming {
            UnlockStep::Searching
        } else {
            UnlockStep::Retrying
        });
        let reached = tokio::time::timeout(
            app.timeouts.connect,
            app.transport.connect(&attempt.lock_id),
        )
        .await;
        let mut link = match reached {
            Ok(Ok(link)) => link,
            // Not found at first: nothing was sent, the lock is just not there.
            Ok(Err(TransportError::NotFound)) | Err(_) if round == 0 => {
                return Err(Failure::NotFound);
            }
            Ok(Err(TransportError::NotFound)) | Err(_) => break,
            Ok(Err(e)) => {
                last = Failure::LinkLost(e.to_string());
                continue;
            }
        };
        connected = true;
        listener.on_step(UnlockStep::Connecting);
        let result = one_session(app, attempt, link.as_mut(), listener).await;
        link.close().await;
        match result {
            Ok(answer) => return Ok(answer),
            Err(e @ Failure::LinkLost(_)) => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(if connected { last } else { Failure::NotFound })
}

async fn one_session(
    app: &AppInner,
    attempt: &mut Attempt,
    link: &mut dyn LockLink,
    listener: &dyn UnlockListener,
) -> std::result::Result<Answer, Failure> {
    let hello = match receive(app, link).await? {
        Message::Hello(h) => h,
        _ => return Err(Failure::LinkLost("the lock did not greet".into())),
    };
    if hello.lock_id != attempt.lock_id {
        return Err(Failure::Invalid(format!(
            "another lock answered ({})",
            hello.lock_id
        )));
    }
    if !attempt.bound {
        // The lock takes a request id made no later than its Hello: the
        // Hello's lock time, then random bytes. Stored before anything is sent.
        let id =
            new_request_id(&hello).map_err(|e| Failure::Invalid(format!("no request id: {e}")))?;
        app.store
            .write(|tx| {
                tx.execute(
                    "UPDATE unlock_attempts SET request_id = ?1 WHERE request_id = ?2",
                    params![id.to_vec(), attempt.request_id.to_vec()],
                )?;
                Ok(())
            })
            .map_err(|e| Failure::Invalid(format!("could not record the attempt: {e}")))?;
        attempt.request_id = id;
        attempt.bound = true;
    }
    let mut request = build_request(
        &hello,
        &attempt.token,
        attempt.command,
        attempt.request_id,
        &app.device,
        newer_revocation_list(app, &hello),
    )
    .map_err(|e| Failure::Invalid(format!("could not sign: {e}")))?;
    request.issuer_update = issuer_update_for(app, &hello);
    let bytes = Message::Request(request.clone())
        .encode()
        .map_err(|e| Failure::Invalid(e.to_string()))?;
    // Recorded before sending: after a crash from here on, the lock may
    // have acted, and only this request id can safely ask again.
    app.store
        .write(|tx| {
            let now = app.time.now(tx)?.unix;
            set_state(tx, &attempt.request_id, "sent", now)
        })
        .map_err(|e| Failure::Invalid(format!("could not record the attempt: {e}")))?;
    listener.on_step(UnlockStep::Verifying);
    tokio::time::timeout(app.timeouts.message, link.send(&bytes))
        .await
        .map_err(|_| Failure::LinkLost("sending timed out".into()))?
        .map_err(|e| Failure::LinkLost(e.to_string()))?;
    let result = match receive(app, link).await? {
        Message::Result(r) => r,
        _ => return Err(Failure::LinkLost("the lock answered out of turn".into())),
    };
    Ok(Answer {
        hello,
        request,
        result,
    })
}

async fn receive(app: &AppInner, link: &mut dyn LockLink) -> std::result::Result<Message, Failure> {
    let bytes = tokio::time::timeout(app.timeouts.message, link.receive())
        .await
        .map_err(|_| Failure::LinkLost("the lock went silent".into()))?
        .map_err(|e| Failure::LinkLost(e.to_string()))?;
    // Garbage on the link is treated like a lost link: retry once.
    Message::decode(&bytes).map_err(|e| Failure::LinkLost(format!("unreadable message: {e}")))
}

/// The lock's revocation list from the bundle, if the lock announced an
/// older epoch for the list's issuer than the list has.
fn newer_revocation_list(app: &AppInner, hello: &Hello) -> Option<Vec<u8>> {
    let list = meta(app, &format!("revocation.{}", hello.lock_id))?;
    let header = RevocationList::peek(&list).ok()?;
    (header.lock_id == hello.lock_id && hello.epoch_for(&header.key_id) < header.epoch)
        .then_some(list)
}

/// The issuer update from the bundle, if the lock trusts its signer and
/// announced another set of issuers than the update makes.
fn issuer_update_for(app: &AppInner, hello: &Hello) -> Option<Vec<u8>> {
    let bytes = meta(app, "issuer.update")?;
    let (signer, _) = IssuerUpdate::peek(&bytes).ok()?;
    let update = IssuerUpdate::read_unverified(&bytes).ok()?;
    let announced: Vec<[u8; 8]> = hello.issuers.iter().map(|i| i.key_id).collect();
    let wanted: Vec<[u8; 8]> = update.keys.iter().map(|k| k.key_id()).collect();
    (announced.contains(&signer) && announced != wanted).then_some(bytes)
}

fn meta(app: &AppInner, key: &str) -> Option<Vec<u8>> {
    app.store
        .read(|conn| {
            Ok(conn
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| {
                    r.get::<_, String>(0)
                })
                .optional()?)
        })
        .ok()
        .flatten()
        .and_then(|v| hex::decode(v).ok())
}

fn set_state(tx: &Transaction<'_>, request_id: &[u8], state: &str, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE unlock_attempts SET state = ?1, updated_at = ?2 WHERE request_id = ?3",
        params![state, now, request_id],
    )?;
    Ok(())
}

/// Checks the receipt and stores it with its event, in one transaction.
fn commit(
    app: &AppInner,
    attempt: &Attempt,
    answer: &Answer,
    listener: &dyn UnlockListener,
) -> Result<UnlockOutcome> {
    let receipt = match verify_result(
        &answer.result,
        &answer.hello,
        &answer.request,
        attempt.token_id,
        &attempt.lock_key,
    ) {
        Ok(r) => r,
        Err(e) => {
            app.store.write(|tx| {
                let now = app.time.now(tx)?.unix;
                outbox::record_event(
                    tx,
                    &format!("unlock-invalid-{}", hex::encode(attempt.request_id)),
                    "unlock_receipt_invalid",
                    &json!({ "visit_id": attempt.visit_id, "lock_id": attempt.lock_id,
                             "request_id": hex::encode(attempt.request_id),
                             "detail": e.to_string(), "at": now }),
                    now,
                )?;
                set_state(tx, &attempt.request_id, "done", now)
            })?;
            return Ok(UnlockOutcome::ReceiptInvalid);
        }
    };
    let outcome = app.store.write(|tx| {
        let now = app.time.now(tx)?;
        outbox::store_receipt(tx, &receipt, attempt.visit_id.as_deref(), now.unix)?;
        outbox::record_event(
            tx,
            &format!("unlock-{}", hex::encode(attempt.request_id)),
            "unlock",
            &event_payload(attempt, &receipt, now),
            now.unix,
        )?;
        set_state(tx, &attempt.request_id, "done", now.unix)?;
        Ok(outcome_for_receipt(&receipt, attempt, now.unix))
    })?;
    if matches!(
        outcome,
        UnlockOutcome::Opened { .. } | UnlockOutcome::OpenedBatteryLow { .. }
    ) {
        listener.on_step(UnlockStep::Open);
    }
    Ok(outcome)
}

fn event_payload(
    attempt: &Attempt,
    r: &VerifiedReceipt,
    now: crate::time::Now,
) -> serde_json::Value {
    json!({
        "visit_id": attempt.visit_id,
        "lock_id": r.lock_id,
        "request_id": hex::encode(r.request_id),
        "token_id": hex::encode(r.token_id),
        "status": r.status.name(),
        "counter": r.counter,
        "lock_time": r.lock_time,
        "bolt": format!("{:?}", r.bolt).to_lowercase(),
        "battery": r.battery,
        "mode": format!("{:?}", r.mode).to_lowercase(),
        "repeated": r.repeated,
        "command": format!("{:?}", r.command).to_lowercase(),
        // Everything the lock signed, in the protocol's wire codes, so the
        // server can verify the receipt (API.md, "Receipts on events") and
        // trust the battery and the mode for the lock's health.
        "receipt": {
            "nonce": hex::encode(r.nonce),
            "issuers": r.issuers.iter()
                .map(|i| json!({ "key_id": hex::encode(i.key_id), "epoch": i.epoch }))
                .collect::<Vec<_>>(),
            "token_hash": hex::encode(r.token_hash),
            "command": r.command as u8,
            "signature": hex::encode(r.lock_signature),
            "status": r.status.code(),
            "bolt": r.bolt as u8,
            "battery": r.battery,
            "mode": r.mode as u8,
        },
        "recorded_at": now.unix,
        "time_source": format!("{:?}", now.source),
    })
}

fn outcome_for_receipt(r: &VerifiedReceipt, attempt: &Attempt, now: i64) -> UnlockOutcome {
    let receipt = outbox::receipt_view(r, attempt.visit_id.as_deref(), now);
    match r.status {
        Status::Ok if r.battery <= LOW_BATTERY_PERCENT => UnlockOutcome::OpenedBatteryLow {
            battery_percent: r.battery,
            receipt,
        },
        Status::Ok => UnlockOutcome::Opened { receipt },
        Status::Jammed => UnlockOutcome::Jammed { receipt },
        // The lock's clock is the authority; say it in the worker's terms.
        Status::Expired => UnlockOutcome::KeyExpired { expired_at: None },
        Status::DecisionEnded => UnlockOutcome::DecisionEnded { ended_at: None },
        other => UnlockOutcome::Refused {
            code: other.name().to_owned(),
            receipt,
        },
    }
}

fn outcome_for_status(status: KeyStatus) -> UnlockOutcome {
    match status {
        KeyStatus::Ready { .. } => UnlockOutcome::NoKey { reason: None },
        KeyStatus::NotYetValid { valid_from } => UnlockOutcome::KeyNotYetValid { valid_from },
        KeyStatus::Expired { expired_at } => UnlockOutcome::KeyExpired {
            expired_at: Some(expired_at),
        },
        KeyStatus::DecisionEnded { ended_at } => UnlockOutcome::DecisionEnded { ended_at },
        KeyStatus::NoKey { reason } => UnlockOutcome::NoKey { reason },
    }
}

/// A stable name for an outcome, for events and logs.
pub(crate) fn outcome_name(o: &UnlockOutcome) -> &'static str {
    match o {
        UnlockOutcome::Opened { .. } => "opened",
        UnlockOutcome::OpenedBatteryLow { .. } => "opened_battery_low",
        UnlockOutcome::LockNotFound => "lock_not_found",
        UnlockOutcome::LinkLost => "link_lost",
        UnlockOutcome::Refused { .. } => "refused",
        UnlockOutcome::NoKey { .. } => "no_key",
        UnlockOutcome::KeyNotYetValid { .. } => "key_not_yet_valid",
        UnlockOutcome::KeyExpired { .. } => "key_expired",
        UnlockOutcome::DecisionEnded { .. } => "decision_ended",
        UnlockOutcome::Jammed { .. } => "jammed",
        UnlockOutcome::ReceiptInvalid => "receipt_invalid",
    }
}

/// Attempts a crash interrupted. Never sent: the lock cannot have acted,
/// they are closed. Sent longer ago than the resume window: closed as
/// "outcome unknown". The rest are returned, to be finished only when the
/// worker taps ([`resume`]).
pub(crate) fn pending(app: &AppInner) -> Result<Vec<PendingUnlock>> {
    let rows = app.store.write(|tx| {
        let now = app.time.now(tx)?.unix;
        Ok((close_stale(tx, now)?, now))
    })?;
    let (rows, _) = rows;
    Ok(rows
        .into_iter()
        .map(|a| PendingUnlock {
            request_id: hex::encode(a.attempt.request_id),
            visit_id: a.attempt.visit_id,
            lock_id: a.attempt.lock_id,
            command: command_name(a.attempt.command).to_owned(),
            started_at: a.started_at,
            resumable_until: a.started_at + RESUME_WINDOW_SECS,
        })
        .collect())
}

/// Finishes one interrupted attempt, on the worker's tap: the same request
/// id is sent again, so the lock answers from its cache if it acted.
pub(crate) async fn resume(
    app: &AppInner,
    request_id: &str,
    listener: &dyn UnlockListener,
) -> Result<UnlockOutcome> {
    let wanted = hex::decode(request_id.trim())
        .map_err(|_| Error::InvalidInput("request id must be hex".into()))?;
    let attempt = app.store.write(|tx| {
        let now = app.time.now(tx)?.unix;
        Ok(close_stale(tx, now)?
            .into_iter()
            .find(|a| a.attempt.request_id.as_slice() == wanted.as_slice()))
    })?;
    let Some(p) = attempt else {
        return Err(Error::NotFound(
            "an interrupted opening that can still be finished".into(),
        ));
    };
    run(app, p.attempt, listener, true).await
}

fn command_name(c: Command) -> &'static str {
    match c {
        Command::Unlock => "unlock",
        Command::Lock => "lock",
        Command::FinishInstallation => "finish_installation",
        Command::EnterInstallation => "enter_installation",
        Command::Decommission => "decommission",
    }
}

struct Interrupted {
    attempt: Attempt,
    started_at: i64,
}

/// Closes the attempts that can no longer be finished and returns the rest.
fn close_stale(tx: &Transaction<'_>, now: i64) -> Result<Vec<Interrupted>> {
    // Never sent: the lock cannot have acted.
    tx.execute(
        "UPDATE unlock_attempts SET state = 'abandoned', updated_at = ?1 WHERE state = 'started'",
        [now],
    )?;
    let mut stmt = tx.prepare(
        "SELECT a.request_id, a.visit_id, a.lock_id, a.token_id, a.started_at, t.token, l.public_key,
                a.command
         FROM unlock_attempts a
         LEFT JOIN tokens t ON t.token_id = a.token_id
         LEFT JOIN locks l ON l.lock_id = a.lock_id
         WHERE a.state = 'sent' ORDER BY a.started_at",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Vec<u8>>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, Option<Vec<u8>>>(5)?,
                r.get::<_, Option<Vec<u8>>>(6)?,
                r.get::<_, u8>(7)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    drop(stmt);
    let mut resumable = Vec::new();
    for (request_id, visit_id, lock_id, token_id, started_at, token, key, command) in rows {
        let command = Command::from_code(u64::from(command)).unwrap_or(Command::Unlock);
        let parts = (
            <[u8; REQUEST_ID_LEN]>::try_from(request_id.as_slice()),
            <[u8; TOKEN_ID_LEN]>::try_from(token_id.as_slice()),
            token,
            key.and_then(|k| PublicKey::from_sec1(&k).ok()),
        );
        match parts {
            (Ok(rid), Ok(tid), Some(token), Some(lock_key))
                if now - started_at <= RESUME_WINDOW_SECS =>
            {
                resumable.push(Interrupted {
                    attempt: Attempt {
                        command,
                        request_id: rid,
                        bound: true,
                        visit_id,
                        lock_id,
                        token,
                        token_id: tid,
                        lock_key,
                    },
                    started_at,
                });
            }
            _ => {
                outbox::record_event(
                    tx,
                    &format!("unlock-unknown-{}", hex::encode(&request_id)),
                    "unlock_outcome_unknown",
                    &json!({ "visit_id": visit_id, "lock_id": lock_id,
                             "request_id": hex::encode(&request_id),
                             "started_at": started_at, "at": now }),
                    now,
                )?;
                set_state(tx, &request_id, "abandoned", now)?;
            }
        }
    }
    Ok(resumable)
}
