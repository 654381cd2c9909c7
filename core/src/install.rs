//! The alarm group's technician at a new lock (R1.6, R1.9): commissioning.
//! The lock leaves the factory knowing only its own key. The technician's
//! phone registers that key with the server under the lock id, for an open
//! installation order, gets the issuer's grant naming that key, and hands it
//! to the lock (someone has pressed the setup button inside the door). The
//! lock answers with a receipt signed by its key, which the phone checks
//! before it believes the lock took its id: the receipt must show the lock
//! trusts the municipality's issuer. If someone else's grant got there
//! first, the lock's signed refusal names the other issuer, and the
//! technician is told to factory-reset the lock.

use nyckelfri_protocol::commission::CommissionGrant;
use nyckelfri_protocol::exchange::verify_commission_result;
use nyckelfri_protocol::messages::{Command, Commission, LockMode, Message};
use nyckelfri_protocol::token::Scope;
use nyckelfri_protocol::{PublicKey, Status};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::app::AppInner;
use crate::error::NyckelfriError;
use crate::guidance::{self, Language};
use crate::keys::{self, KeyChoice};
use crate::model::UnlockOutcome;
use crate::outbox;
use crate::sync;
use crate::transport::TransportError;
use crate::unlock::{self, Attempt, UnlockListener};

/// What commissioning a lock gave.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CommissionedLock {
    /// The lock's id, as registered.
    pub lock_id: String,
    /// The lock's answer: "ok" (it trusts the municipality's issuer, also
    /// when an earlier attempt had already commissioned it), or e.g.
    /// "presence_required" (press the setup button inside the door and try
    /// again), "bad_commission_grant", or "claimed_by_another_issuer"
    /// (someone else commissioned it first: factory-reset it).
    pub status: String,
    /// The lock's event counter in its signed receipt.
    pub counter: u64,
    /// The lock's signed receipt shows it trusts another issuer than the
    /// municipality's: a long press of the button inside the door (factory
    /// reset), then commission it again.
    pub factory_reset_needed: bool,
    /// The key ids (hex) of the issuers the lock trusts after the answer,
    /// as its signed receipt shows them.
    pub trusted_issuers: Vec<String>,
}

#[derive(Serialize)]
struct RegisterLock<'a> {
    lock_id: &'a str,
    public_key: String,
    kind: &'a str,
    order_id: &'a str,
}

#[derive(Deserialize)]
struct Registered {
    grant: String,
}

fn invalid(reason: impl Into<String>) -> NyckelfriError {
    NyckelfriError::InvalidInput {
        reason: reason.into(),
    }
}

fn link_error(e: TransportError) -> NyckelfriError {
    match e {
        TransportError::NotFound => NyckelfriError::NotFound {
            what: "a lock with this key nearby (is it in commissioning mode?)".into(),
        },
        other => NyckelfriError::Network {
            reason: format!("the lock: {other}"),
        },
    }
}

/// Registers the lock with the server for installation order `order_id`
/// and commissions it as `lock_id`.
pub(crate) async fn commission_lock(
    app: &AppInner,
    order_id: &str,
    lock_id: &str,
    lock_key_hex: &str,
) -> Result<CommissionedLock, NyckelfriError> {
    let key_bytes =
        hex::decode(lock_key_hex.trim()).map_err(|_| invalid("the lock key must be hex"))?;
    let lock_key =
        PublicKey::from_sec1(&key_bytes).map_err(|e| invalid(format!("lock key: {e}")))?;
    let (client, token) = sync::authorized(app, app.sync_backoff).await?;
    let registered: Registered = client
        .post(
            "/v1/locks",
            &RegisterLock {
                lock_id,
                public_key: hex::encode(lock_key.as_bytes()),
                kind: "door",
                order_id,
            },
            Some(&token),
        )
        .await?;
    let grant = sync::wire::b64(&registered.grant).map_err(|reason| NyckelfriError::Server {
        status: 200,
        code: "bad_grant".into(),
        detail: reason,
    })?;

    let mut link = tokio::time::timeout(
        app.timeouts.connect,
        app.transport.connect_commissioning(&lock_key),
    )
    .await
    .map_err(|_| link_error(TransportError::NotFound))?
    .map_err(link_error)?;
    let exchange = async {
        let hello = match receive(app, link.as_mut()).await? {
            Message::Hello(h) => h,
            _ => return Err(invalid("the lock did not greet")),
        };
        // A lock still being installed shows its key too: if someone else
        // commissioned it, the Commission draws a signed refusal that names
        // the issuer it trusts.
        if hello.mode == LockMode::Normal || hello.lock_key.as_ref() != Some(&lock_key) {
            return Err(invalid(
                "that lock is in service or has another key; if it was set up by someone \
                 else, factory-reset it (long press inside the door)",
            ));
        }
        let commission = Message::Commission(Commission {
            nonce: hello.nonce,
            grant: grant.clone(),
        })
        .encode()
        .map_err(|e| invalid(e.to_string()))?;
        tokio::time::timeout(app.timeouts.message, link.send(&commission))
            .await
            .map_err(|_| link_error(TransportError::LinkLost("sending timed out".into())))?
            .map_err(link_error)?;
        let result = match receive(app, link.as_mut()).await? {
            Message::Result(r) => r,
            _ => return Err(invalid("the lock answered out of turn")),
        };
        verify_commission_result(&result, &hello, &grant, lock_id, &lock_key).map_err(|e| {
            NyckelfriError::Server {
                status: 200,
                code: "receipt_invalid".into(),
                detail: format!("the lock's receipt does not verify: {e}"),
            }
        })
    }
    .await;
    link.close().await;
    let receipt = exchange?;
    let ours = municipality_issuer(app, &grant)?;
    let trusts_ours = receipt.trusted_issuers == [ours];
    let status = match receipt.status {
        Status::Ok if trusts_ours => "ok",
        // An earlier attempt commissioned it as this id; its Result was lost.
        Status::WrongMode if trusts_ours && receipt.lock_id == lock_id => "ok",
        Status::Ok | Status::WrongMode => "claimed_by_another_issuer",
        other => other.name(),
    };
    let commissioned = status == "ok";

    app.store.write(|tx| {
        let now = app.time.now(tx)?.unix;
        if commissioned {
            tx.execute(
                "INSERT INTO locks (lock_id, public_key) VALUES (?1, ?2)
                 ON CONFLICT(lock_id) DO UPDATE SET public_key = excluded.public_key",
                params![lock_id, lock_key.as_bytes().to_vec()],
            )?;
        }
        outbox::record_event(
            tx,
            &format!("commission-{}", outbox::new_event_id()?),
            "lock_commissioned",
            &json!({ "lock_id": lock_id, "order_id": order_id, "status": status,
                     "lock_status": receipt.status.name(), "counter": receipt.counter,
                     "trusted_issuers": receipt.trusted_issuers.iter().map(hex::encode)
                         .collect::<Vec<_>>(),
                     "at": now }),
            now,
        )?;
        Ok(())
    })?;
    Ok(CommissionedLock {
        lock_id: lock_id.to_owned(),
        status: status.to_owned(),
        counter: receipt.counter,
        factory_reset_needed: status == "claimed_by_another_issuer",
        trusted_issuers: receipt.trusted_issuers.iter().map(hex::encode).collect(),
    })
}

/// The key id of the municipality's issuer: from the day's bundle, or (on a
/// phone that has not synced one) the issuer of the grant the server gave.
fn municipality_issuer(app: &AppInner, grant: &[u8]) -> Result<[u8; 8], NyckelfriError> {
    let stored: Option<String> = app.store.read(|c| {
        Ok(
            c.query_row("SELECT value FROM meta WHERE key = 'issuer.key'", [], |r| {
                r.get(0)
            })
            .optional()?,
        )
    })?;
    if let Some(key) = stored
        .and_then(|k| hex::decode(k).ok())
        .and_then(|k| PublicKey::from_sec1(&k).ok())
    {
        return Ok(key.key_id());
    }
    CommissionGrant::read_unverified(grant)
        .map(|g| g.issuer_key.key_id())
        .map_err(|e| NyckelfriError::Server {
            status: 200,
            code: "bad_grant".into(),
            detail: e.to_string(),
        })
}

async fn receive(
    app: &AppInner,
    link: &mut dyn crate::transport::LockLink,
) -> Result<Message, NyckelfriError> {
    let bytes = tokio::time::timeout(app.timeouts.message, link.receive())
        .await
        .map_err(|_| link_error(TransportError::LinkLost("the lock went silent".into())))?
        .map_err(link_error)?;
    Message::decode(&bytes).map_err(|e| invalid(format!("unreadable message from the lock: {e}")))
}

/// Fetches a fresh demonstration or installation token for `lock_id` from
/// the server (alarm technicians only; valid for the installation visit).
async fn fetch_token(app: &AppInner, lock_id: &str, scope: Scope) -> Result<(), NyckelfriError> {
    #[derive(Serialize)]
    struct TokenRequest<'a> {
        lock_id: &'a str,
        scope: &'a str,
    }
    #[derive(Deserialize)]
    struct Issued {
        token: String,
        /// The lock's list the token's `min_epoch` asks for.
        revocation_list: Option<String>,
    }
    let (client, session) = sync::authorized(app, app.sync_backoff).await?;
    let scope_name = match scope {
        Scope::Demo => "demo",
        Scope::Install => "install",
        Scope::Maintenance => "maintenance",
        Scope::Care => "care",
    };
    let issued: Issued = client
        .post(
            "/v1/tokens",
            &TokenRequest {
                lock_id,
                scope: scope_name,
            },
            Some(&session),
        )
        .await?;
    let token = sync::wire::b64(&issued.token).map_err(|reason| NyckelfriError::Server {
        status: 200,
        code: "bad_token".into(),
        detail: reason,
    })?;
    let list = match &issued.revocation_list {
        Some(l) => Some(sync::wire::b64(l).map_err(|reason| NyckelfriError::Server {
            status: 200,
            code: "bad_revocation_list".into(),
            detail: reason,
        })?),
        None => None,
    };
    app.store.write(|tx| {
        crate::bundle::store_token(tx, &token)?;
        if let Some(list) = &list {
            crate::bundle::store_revocation_list(tx, list)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// Sends `command` to `lock_id` with a token of `scope`, fetching one from
/// the server if the phone holds none valid now. The same flow as opening a
/// door: one reconnect with the same request id, receipt checked and stored.
pub(crate) async fn lock_command(
    app: &AppInner,
    lock_id: &str,
    scope: Scope,
    command: Command,
    listener: &dyn UnlockListener,
) -> Result<UnlockOutcome, NyckelfriError> {
    let choose = || {
        app.store.read(|c| {
            let now = app.time.peek(c)?.unix;
            keys::choose(c, lock_id, scope, now, None)
        })
    };
    let key = match choose()? {
        KeyChoice::Usable(k) => k,
        KeyChoice::Unusable(_) => {
            fetch_token(app, lock_id, scope).await?;
            match choose()? {
                KeyChoice::Usable(k) => k,
                KeyChoice::Unusable(_) => {
                    return Err(NyckelfriError::Server {
                        status: 200,
                        code: "no_key".into(),
                        detail: "the server's token is not valid now (check the phone's time)"
                            .into(),
                    });
                }
            }
        }
    };
    let attempt = app.store.write(|tx| {
        let now = app.time.now(tx)?.unix;
        let lock_key: Vec<u8> = tx
            .query_row(
                "SELECT public_key FROM locks WHERE lock_id = ?1",
                [lock_id],
                |r| r.get(0),
            )
            .map_err(|_| {
                crate::error::Error::NotFound(format!(
                    "lock {lock_id} (commission it or sync first)"
                ))
            })?;
        let attempt = Attempt {
            command,
            request_id: unlock::random_request_id()?,
            bound: false,
            visit_id: None,
            lock_id: lock_id.to_owned(),
            token_id: key.token_id.as_slice().try_into().map_err(|_| {
                crate::error::Error::InvalidInput("stored token id is not 16 bytes".into())
            })?,
            token: key.token,
            lock_key: PublicKey::from_sec1(&lock_key)?,
        };
        unlock::record_attempt(tx, &attempt, now)?;
        Ok(attempt)
    })?;
    Ok(unlock::run(app, attempt, listener, false).await?)
}

/// One step of the demonstration to the brukare (R1.9).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DemonstrationStep {
    /// A short title.
    pub title: String,
    /// What to say or show.
    pub text: String,
    /// For the steps that move the lock: what it did.
    pub outcome: Option<UnlockOutcome>,
}

/// The demonstration script: open and lock the real lock with
/// demonstration-scope keys (which work only while the lock is in
/// installation mode), then what happens if the phone or the lock fails.
pub(crate) async fn demonstrate(
    app: &AppInner,
    lock_id: &str,
    language: Language,
    listener: &dyn UnlockListener,
) -> Result<Vec<DemonstrationStep>, NyckelfriError> {
    let mut steps = Vec::new();
    for (msg, command) in [("demo-open", Command::Unlock), ("demo-lock", Command::Lock)] {
        let outcome = lock_command(app, lock_id, Scope::Demo, command, listener).await?;
        let (text, title) = guidance::text(language, msg, &[]);
        steps.push(DemonstrationStep {
            title,
            text,
            outcome: Some(outcome),
        });
    }
    for msg in ["demo-phone-fails", "demo-lock-fails"] {
        let (text, title) = guidance::text(language, msg, &[]);
        steps.push(DemonstrationStep {
            title,
            text,
            outcome: None,
        });
    }
    Ok(steps)
}

/// The receipt this phone signed for `lock_id` at `brukare_id` (R1.9), the
/// newest, as queued for the server.
fn signed_receipt(
    app: &AppInner,
    lock_id: &str,
    brukare_id: &str,
) -> Result<Option<serde_json::Value>, NyckelfriError> {
    let payloads: Vec<String> = app.store.read(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT payload FROM outbox WHERE kind = 'installation_receipt' ORDER BY seq DESC",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<Vec<String>, _>>()?)
    })?;
    Ok(payloads
        .iter()
        .filter_map(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .find(|v| {
            v.get("lock_id").and_then(|x| x.as_str()) == Some(lock_id)
                && v.get("brukare_id").and_then(|x| x.as_str()) == Some(brukare_id)
        }))
}

/// Puts the lock in service (installation → normal mode, where
/// demonstration keys stop working) and reports the installation to the
/// server, which messages the night patrol's coordinator and the home care
/// group with the time (R1.6, R1.10). R1.9: only with the brukare's
/// receipt, signed on this phone (`sign_installation_receipt`) and verified
/// by the server first — without it the lock stays in installation mode.
pub(crate) async fn finish_installation(
    app: &AppInner,
    lock_id: &str,
    brukare_id: &str,
    listener: &dyn UnlockListener,
) -> Result<UnlockOutcome, NyckelfriError> {
    let receipt = signed_receipt(app, lock_id, brukare_id)?.ok_or_else(|| {
        invalid(
            "R1.9: the brukare confirms the installation by signing the receipt and the \
             responsibility agreement first (or, if they cannot, a second person confirms it \
             with the reason)",
        )
    })?;
    #[derive(Serialize)]
    struct Upload<'a> {
        content_json: &'a str,
        content_sha256: &'a str,
        device_signature: &'a str,
    }
    let field = |k: &str| receipt.get(k).and_then(|v| v.as_str()).unwrap_or_default();
    {
        let (client, session) = sync::authorized(app, app.sync_backoff).await?;
        let _: serde_json::Value = client
            .post(
                "/v1/installation-receipts",
                &Upload {
                    content_json: field("content"),
                    content_sha256: field("sha256"),
                    device_signature: field("signature"),
                },
                Some(&session),
            )
            .await?;
    }
    let outcome = lock_command(
        app,
        lock_id,
        Scope::Install,
        Command::FinishInstallation,
        listener,
    )
    .await?;
    if matches!(
        outcome,
        UnlockOutcome::Opened { .. } | UnlockOutcome::OpenedBatteryLow { .. }
    ) {
        #[derive(Serialize)]
        struct Install<'a> {
            brukare_id: &'a str,
        }
        let (client, session) = sync::authorized(app, app.sync_backoff).await?;
        let _: serde_json::Value = client
            .post(
                &format!("/v1/locks/{lock_id}/install"),
                &Install { brukare_id },
                Some(&session),
            )
            .await?;
    }
    Ok(outcome)
}

/// Removes a lock (R1.12): the lock forgets its id and issuer (back to
/// commissioning mode, its receipt proving it), and the server marks it
/// removed, after which no key for it is ever issued again. When the lock
/// has an open removal order, whom the alarm group contacted must be
/// recorded first ("Larmgruppen tar kontakt med berörda parter"): checked
/// before the lock is touched.
pub(crate) async fn remove_lock(
    app: &AppInner,
    lock_id: &str,
    listener: &dyn UnlockListener,
) -> Result<UnlockOutcome, NyckelfriError> {
    let open = orders(app).await?;
    if let Some(o) = open
        .iter()
        .find(|o| o.kind == "removal" && o.lock_id.as_deref() == Some(lock_id))
        && o.contacts.is_empty()
    {
        return Err(invalid(format!(
            "R1.12: record whom you contacted about removal order {} (record_removal_contact) \
             before removing the lock",
            o.id
        )));
    }
    let outcome = lock_command(
        app,
        lock_id,
        Scope::Install,
        Command::Decommission,
        listener,
    )
    .await?;
    if matches!(
        outcome,
        UnlockOutcome::Opened { .. } | UnlockOutcome::OpenedBatteryLow { .. }
    ) {
        let (client, session) = sync::authorized(app, app.sync_backoff).await?;
        let _: serde_json::Value = client
            .post(
                &format!("/v1/locks/{lock_id}/remove"),
                &serde_json::json!({}),
                Some(&session),
            )
            .await?;
    }
    Ok(outcome)
}

/// An installation, entrance-lock or removal order, as the technician sees it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, uniffi::Record)]
pub struct InstallationOrder {
    /// The order's id.
    pub id: String,
    /// "new_brukare", "existing_brukare", "entrance" or "removal".
    pub kind: String,
    /// "open", "scheduled", "installed", "removed", "cancelled" or "declined".
    pub status: String,
    /// The brukare.
    pub brukare_id: String,
    /// The brukare's name as shown at the door.
    pub brukare_display_name: String,
    /// The lock, for removal orders and once installed.
    pub lock_id: Option<String>,
    /// Who to call to book the visit (R1.8).
    pub contact_name: Option<String>,
    /// Their phone number (R1.8).
    pub contact_phone: Option<String>,
    /// Where (R1.8).
    pub address: Option<String>,
    /// By when (removal orders: the decision's end).
    pub due_at: Option<i64>,
    /// When the visit is booked.
    pub scheduled_for: Option<i64>,
    /// When the order was made.
    pub created_at: i64,
    /// Removal orders: why ("decision_ended", "service_ended").
    #[serde(default)]
    #[uniffi(default)]
    pub reason: Option<String>,
    /// Removal orders: whom the alarm group contacted (R1.12), first first.
    #[serde(default)]
    #[uniffi(default)]
    pub contacts: Vec<RemovalContact>,
}

/// R1.12: someone the alarm group contacted before a removal.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, uniffi::Record)]
pub struct RemovalContact {
    /// Who ("brukaren", "anhörig", "hemtjänstgruppen").
    pub party: String,
    /// When (Unix seconds).
    pub contacted_at: i64,
    /// What was agreed.
    pub note: Option<String>,
}

/// R1.12: records that the alarm group contacted `party` about a removal
/// order, now. Needs the network.
pub(crate) async fn record_removal_contact(
    app: &AppInner,
    order_id: &str,
    party: &str,
    note: Option<&str>,
) -> Result<InstallationOrder, NyckelfriError> {
    let id = crate::inbox::path_id(order_id)?;
    if party.trim().is_empty() {
        return Err(invalid("say whom you contacted"));
    }
    let (client, session) = sync::authorized(app, app.sync_backoff).await?;
    client
        .post(
            &format!("/v1/orders/{id}/contacts"),
            &json!({ "party": party.trim(), "note": note }),
            Some(&session),
        )
        .await
        .map_err(Into::into)
}

/// The alarm group's open orders (installations, entrance locks, removals),
/// newest first. Needs the network.
pub(crate) async fn orders(app: &AppInner) -> Result<Vec<InstallationOrder>, NyckelfriError> {
    let (client, session) = sync::authorized(app, app.sync_backoff).await?;
    Ok(client.get("/v1/orders", &session).await?)
}
