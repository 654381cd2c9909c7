//! The alarm group's technician at a new lock (R1.6, R1.9): commissioning.
//! The lock leaves the factory knowing only its own key. The technician's
//! phone registers that key with the server under the lock id from the
//! order, gets the issuer's grant naming that key, and hands it to the lock
//! (someone has pressed the setup button inside the door). The lock answers
//! with a receipt signed by its key, which the phone checks before it
//! believes the lock took its id.

use nyckelfri_protocol::exchange::verify_commission_result;
use nyckelfri_protocol::messages::{Commission, LockMode, Message};
use nyckelfri_protocol::{PublicKey, Status};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::app::AppInner;
use crate::error::NyckelfriError;
use crate::outbox;
use crate::sync;
use crate::transport::TransportError;

/// What commissioning a lock gave.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CommissionedLock {
    /// The lock's id, as registered.
    pub lock_id: String,
    /// The lock's answer: "ok", or e.g. "presence_required" (press the setup
    /// button inside the door and try again) or "bad_commission_grant".
    pub status: String,
    /// The lock's event counter in its signed receipt.
    pub counter: u64,
}

#[derive(Serialize)]
struct RegisterLock<'a> {
    lock_id: &'a str,
    public_key: String,
    kind: &'a str,
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

/// Registers the lock with the server and commissions it as `lock_id`.
pub(crate) async fn commission_lock(
    app: &AppInner,
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
            },
            Some(&token),
        )
        .await?;
    let grant = sync::wire::b64(&registered.grant).map_err(|reason| NyckelfriError::Server {
        status: 200,
        code: "bad_grant".into(),
        message: reason,
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
        if hello.mode != LockMode::Commissioning || hello.lock_key.as_ref() != Some(&lock_key) {
            return Err(invalid(
                "that lock is not in commissioning mode with this key",
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
        verify_commission_result(&result, &hello, &grant, lock_id).map_err(|e| {
            NyckelfriError::Server {
                status: 200,
                code: "receipt_invalid".into(),
                message: format!("the lock's receipt does not verify: {e}"),
            }
        })
    }
    .await;
    link.close().await;
    let receipt = exchange?;

    app.store.write(|tx| {
        let now = app.time.now(tx)?.unix;
        if receipt.status == Status::Ok {
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
            &json!({ "lock_id": lock_id, "status": receipt.status.name(),
                     "counter": receipt.counter, "at": now }),
            now,
        )?;
        Ok(())
    })?;
    Ok(CommissionedLock {
        lock_id: lock_id.to_owned(),
        status: receipt.status.name().to_owned(),
        counter: receipt.counter,
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
