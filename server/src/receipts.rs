//! What the server believes of a phone's event (policy scope `keyed`):
//!
//! - a visit it names must be the sender's own visit;
//! - a lock it names must be one this device was given a key for; without
//!   a key (an outage report, a failed attempt) the lock must be at a
//!   brukare of a unit the sender serves — or, for the alarm group, a lock
//!   not yet placed;
//! - an outage report naming no lock must be about a unit the sender serves;
//! - an `unlock` event claims the door moved: it needs a key for the lock,
//!   and its receipt must verify against the lock's registered key, over
//!   the token this device was given (`protocol::exchange::verify_receipt`).
//!
//! An event that fails is still stored — as `rejected`, with the reason, for
//! the managers (`GET /v1/events?status=rejected`) — and acts on nothing:
//! no outage case, never counted as a visit.

use std::collections::HashMap;

use nyckelfri_protocol::exchange::verify_receipt;
use nyckelfri_protocol::keys::KEY_ID_LEN;
use nyckelfri_protocol::keys::sha256;
use nyckelfri_protocol::messages::{BoltState, IssuerEpoch, LockMode};
use nyckelfri_protocol::transcript::ReceiptFacts;
use nyckelfri_protocol::{NONCE_LEN, PublicKey, REQUEST_ID_LEN, Status};
use serde::Deserialize;
use sqlx::Row;

use crate::auth::DeviceCaller;
use crate::db::Db;
use crate::error::Result;
use crate::model::EventIn;
use crate::outages::CheckedReport;

/// The event kind that claims a door was opened (or locked) by the lock.
pub const UNLOCK_KIND: &str = "unlock";

/// The server's judgement of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The unit the event concerns.
    pub unit_id: Option<String>,
    /// `None`: accepted; else why it is rejected.
    pub rejected: Option<&'static str>,
    /// Its receipt verified.
    pub receipt_verified: bool,
}

#[derive(Debug, Clone)]
struct LockRow {
    public_key: Vec<u8>,
    unit_id: Option<String>,
}

/// Judges the events of one batch, caching what several events share.
pub struct Judge<'a> {
    db: &'a Db,
    dev: &'a DeviceCaller,
    stock: bool,
    locks: HashMap<String, Option<LockRow>>,
    keyed: HashMap<String, bool>,
}

/// The receipt facts an `unlock` event's `data` carries (API.md, "Events").
#[derive(Deserialize)]
struct UnlockData {
    request_id: String,
    token_id: String,
    counter: u64,
    lock_time: u64,
    #[serde(default)]
    repeated: bool,
    receipt: ReceiptData,
}

#[derive(Deserialize)]
struct ReceiptData {
    nonce: String,
    /// The issuers and list epochs the lock announced in its Hello.
    issuers: Vec<IssuerData>,
    signature: String,
    command: u8,
    status: u8,
    bolt: u8,
    battery: u8,
    mode: u8,
}

#[derive(Deserialize)]
struct IssuerData {
    key_id: String,
    epoch: u64,
}

fn fixed<const N: usize>(hex_text: &str) -> Option<[u8; N]> {
    hex::decode(hex_text).ok()?.try_into().ok()
}

impl<'a> Judge<'a> {
    /// A judge for `dev`'s batch; `stock`: the sender may report on locks
    /// at no brukare (the policy's `locks.stock`).
    pub fn new(db: &'a Db, dev: &'a DeviceCaller, stock: bool) -> Self {
        Self {
            db,
            dev,
            stock,
            locks: HashMap::new(),
            keyed: HashMap::new(),
        }
    }

    async fn lock(&mut self, id: &str) -> Result<Option<LockRow>> {
        if let Some(l) = self.locks.get(id) {
            return Ok(l.clone());
        }
        let row = sqlx::query(
            "SELECT l.public_key, b.unit_id FROM locks l LEFT JOIN brukare b ON b.id = l.brukare_id \
             WHERE l.id = $1",
        )
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        let l = match row {
            Some(r) => Some(LockRow {
                public_key: r.try_get("public_key")?,
                unit_id: r.try_get("unit_id")?,
            }),
            None => None,
        };
        self.locks.insert(id.to_owned(), l.clone());
        Ok(l)
    }

    async fn keyed(&mut self, lock_id: &str) -> Result<bool> {
        if let Some(k) = self.keyed.get(lock_id) {
            return Ok(*k);
        }
        let k: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM issued_tokens WHERE device_id = $1 AND lock_id = $2 LIMIT 1",
        )
        .bind(&self.dev.device_id)
        .bind(lock_id)
        .fetch_optional(self.db.pool())
        .await?;
        self.keyed.insert(lock_id.to_owned(), k.is_some());
        Ok(k.is_some())
    }

    fn serves(&self, unit: &str) -> bool {
        self.dev.staff.serves(unit)
    }

    /// Judges one event (`report`: its checked outage report, if it is one).
    pub async fn judge(&mut self, e: &EventIn, report: Option<&CheckedReport>) -> Result<Verdict> {
        let mut v = Verdict {
            unit_id: None,
            rejected: None,
            receipt_verified: false,
        };
        let reject = |mut v: Verdict, why: &'static str| {
            v.rejected = Some(why);
            Ok(v)
        };
        let visit_id = e
            .visit_id
            .as_deref()
            .or(report.and_then(|r| r.visit_id.as_deref()));
        if let Some(visit) = visit_id {
            let row = sqlx::query(
                "SELECT v.staff_id, b.unit_id FROM visits v JOIN brukare b ON b.id = v.brukare_id \
                 WHERE v.id = $1",
            )
            .bind(visit)
            .fetch_optional(self.db.pool())
            .await?;
            let Some(row) = row else {
                return reject(v, "unknown_visit");
            };
            v.unit_id = Some(row.try_get("unit_id")?);
            if row.try_get::<String, _>("staff_id")? != self.dev.staff.id {
                return reject(v, "not_your_visit");
            }
        }
        let lock_id = e
            .lock_id
            .as_deref()
            .or(report.and_then(|r| r.lock_id.as_deref()));
        if let Some(lock_id) = lock_id {
            let Some(lock) = self.lock(lock_id).await? else {
                return reject(v, "unknown_lock");
            };
            if lock.unit_id.is_some() {
                v.unit_id = lock.unit_id.clone();
            }
            let keyed = self.keyed(lock_id).await?;
            if e.kind == UNLOCK_KIND {
                if !keyed {
                    return reject(v, "no_key_for_lock");
                }
                return match self.receipt(e, lock_id, &lock).await? {
                    Ok(()) => {
                        v.receipt_verified = true;
                        Ok(v)
                    }
                    Err(why) => reject(v, why),
                };
            }
            let mine = keyed
                || match &lock.unit_id {
                    Some(u) => self.serves(u),
                    None => self.stock,
                };
            if !mine {
                return reject(v, "lock_not_in_your_units");
            }
        } else if e.kind == UNLOCK_KIND {
            return reject(v, "receipt_missing");
        }
        if let Some(r) = report {
            v.unit_id.get_or_insert_with(|| r.unit_id.clone());
            if lock_id.is_none() && !self.serves(&r.unit_id) {
                return reject(v, "brukare_not_in_your_units");
            }
        }
        v.unit_id
            .get_or_insert_with(|| self.dev.staff.unit_id.clone());
        Ok(v)
    }

    /// Verifies an `unlock` event's receipt; `Err(reason)` when it does not.
    async fn receipt(
        &mut self,
        e: &EventIn,
        lock_id: &str,
        lock: &LockRow,
    ) -> Result<Result<(), &'static str>> {
        let Some(data) = e
            .data
            .clone()
            .and_then(|d| serde_json::from_value::<UnlockData>(d).ok())
        else {
            return Ok(Err("receipt_missing"));
        };
        let (Some(nonce), Some(request_id), Some(token_id)) = (
            fixed::<NONCE_LEN>(&data.receipt.nonce),
            fixed::<REQUEST_ID_LEN>(&data.request_id),
            fixed::<16>(&data.token_id),
        ) else {
            return Ok(Err("receipt_invalid"));
        };
        let (Some(status), Some(bolt), Some(mode), Some(signature)) = (
            Status::from_code(u64::from(data.receipt.status)),
            BoltState::from_code(u64::from(data.receipt.bolt)),
            LockMode::from_code(u64::from(data.receipt.mode)),
            fixed::<64>(&data.receipt.signature),
        ) else {
            return Ok(Err("receipt_invalid"));
        };
        let Some(issuers) = data
            .receipt
            .issuers
            .iter()
            .map(|i| {
                Some(IssuerEpoch {
                    key_id: fixed::<KEY_ID_LEN>(&i.key_id)?,
                    epoch: i.epoch,
                })
            })
            .collect::<Option<Vec<_>>>()
        else {
            return Ok(Err("receipt_invalid"));
        };
        // The token must be one this device was given for this lock.
        let token: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT token FROM issued_tokens WHERE token_id = $1 AND device_id = $2 AND lock_id = $3",
        )
        .bind(token_id.to_vec())
        .bind(&self.dev.device_id)
        .bind(lock_id)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(token) = token else {
            return Ok(Err("receipt_invalid"));
        };
        let Ok(key) = PublicKey::from_sec1(&lock.public_key) else {
            return Ok(Err("receipt_invalid"));
        };
        let token_hash = sha256(&token);
        let facts = ReceiptFacts {
            lock_id,
            nonce: &nonce,
            issuers: &issuers,
            token_hash: &token_hash,
            command: data.receipt.command,
            request_id: &request_id,
            status,
            counter: data.counter,
            lock_time: data.lock_time,
            bolt,
            repeated: data.repeated,
            battery: data.receipt.battery,
            mode,
        };
        Ok(match verify_receipt(&facts, &signature, &key) {
            Ok(()) => Ok(()),
            Err(_) => Err("receipt_invalid"),
        })
    }
}
