//! The day's data as the server hands it over, and storing it in one
//! transaction: visits, keys, lock keys, unit settings, the revocation list
//! of each of the day's locks, the issuer key, and the server's time to
//! anchor trusted time to.

use nyckelfri_protocol::PublicKey;
use nyckelfri_protocol::issuers::IssuerUpdate;
use nyckelfri_protocol::revocation::RevocationList;
use nyckelfri_protocol::token::SignedToken;
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::UnitSettings;
use crate::time::TrustedTime;

/// A lock the worker may meet today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// The lock's id.
    pub lock_id: String,
    /// Its public key (SEC1, hex in JSON), to check its receipts.
    #[serde(with = "hex::serde")]
    pub public_key: Vec<u8>,
    /// The brukare it belongs to.
    pub brukare_id: Option<String>,
}

/// A scheduled visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    /// Its id.
    pub visit_id: String,
    /// The unit.
    pub unit_id: String,
    /// The door's lock.
    pub lock_id: String,
    /// The brukare.
    pub brukare_id: String,
    /// Name shown at the door.
    pub brukare_name: String,
    /// Address.
    pub address: String,
    /// Start, Unix seconds.
    pub starts_at: i64,
    /// End, Unix seconds.
    pub ends_at: i64,
    /// Why the server issued no key for it, if it did not.
    pub no_key_reason: Option<String>,
}

/// One of the worker's shifts (R2.1, R2.2: day or night key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftInfo {
    /// Its id.
    pub shift_id: String,
    /// The unit.
    pub unit_id: String,
    /// "day", "evening" or "night".
    pub kind: String,
    /// Start, Unix seconds.
    pub starts_at: i64,
    /// End, Unix seconds.
    pub ends_at: i64,
}

/// Everything the phone needs for a day offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayBundle {
    /// The server's time when it made the bundle (Unix seconds).
    pub server_time: i64,
    /// Units with their settings.
    pub units: Vec<UnitSettings>,
    /// Locks with their public keys.
    pub locks: Vec<LockInfo>,
    /// The schedule.
    pub visits: Vec<Visit>,
    /// The worker's shifts.
    #[serde(default)]
    pub shifts: Vec<ShiftInfo>,
    /// Access tokens (hex in JSON).
    pub tokens: Vec<HexBytes>,
    /// The newest signed revocation list of each of the day's locks that
    /// has one (hex): the phone carries a lock's list to it whenever the
    /// lock announces an older epoch, and a token may require it.
    #[serde(default)]
    pub revocation_lists: Vec<HexBytes>,
    /// The issuer key the municipality's locks trust (SEC1, hex): the
    /// technician's app checks a commissioned lock names it.
    #[serde(default)]
    pub issuer_key: Option<HexBytes>,
    /// A signed change of the locks' trusted issuers (key rollover), carried
    /// to every lock whose Hello shows another set (hex).
    #[serde(default)]
    pub issuer_update: Option<HexBytes>,
}

/// Bytes carried as hex in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HexBytes(#[serde(with = "hex::serde")] pub Vec<u8>);

/// How long expired tokens are kept (to explain "expired" rather than "no key").
const EXPIRED_TOKEN_RETENTION_SECS: i64 = 2 * 86_400;

/// Stores a bundle: replaces the schedule, adds keys, anchors time.
pub(crate) fn apply(tx: &Transaction<'_>, time: &TrustedTime, b: &DayBundle) -> Result<()> {
    time.anchor(tx, b.server_time)?;
    for u in &b.units {
        tx.execute(
            "INSERT INTO unit_settings (unit_id, name, coordinator_phone, day_key_location,
                 night_key_location, night_patrol_deadline, time_zone, office_opens,
                 office_closes, night_patrol_phone, acute_key_routine, acute_key_routine_en)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT(unit_id) DO UPDATE SET name = excluded.name,
                 coordinator_phone = excluded.coordinator_phone,
                 day_key_location = excluded.day_key_location,
                 night_key_location = excluded.night_key_location,
                 night_patrol_deadline = excluded.night_patrol_deadline,
                 time_zone = excluded.time_zone,
                 office_opens = excluded.office_opens,
                 office_closes = excluded.office_closes,
                 night_patrol_phone = excluded.night_patrol_phone,
                 acute_key_routine = excluded.acute_key_routine,
                 acute_key_routine_en = excluded.acute_key_routine_en",
            params![
                u.unit_id,
                u.name,
                u.coordinator_phone,
                u.day_key_location,
                u.night_key_location,
                u.night_patrol_deadline,
                u.time_zone,
                u.office_opens,
                u.office_closes,
                u.night_patrol_phone,
                u.acute_key_routine,
                u.acute_key_routine_en
            ],
        )?;
    }
    for l in &b.locks {
        PublicKey::from_sec1(&l.public_key)
            .map_err(|e| Error::InvalidInput(format!("lock {}: {e}", l.lock_id)))?;
        tx.execute(
            "INSERT INTO locks (lock_id, public_key, brukare_id) VALUES (?1, ?2, ?3)
             ON CONFLICT(lock_id) DO UPDATE SET public_key = excluded.public_key,
                 brukare_id = excluded.brukare_id",
            params![l.lock_id, l.public_key, l.brukare_id],
        )?;
    }
    // The bundle is the whole schedule: visits it no longer lists are gone.
    tx.execute("DELETE FROM visits", [])?;
    for v in &b.visits {
        if v.ends_at <= v.starts_at {
            return Err(Error::InvalidInput(format!(
                "visit {} ends before it starts",
                v.visit_id
            )));
        }
        tx.execute(
            "INSERT INTO visits (visit_id, unit_id, lock_id, brukare_id, brukare_name, address,
                 starts_at, ends_at, no_key_reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                v.visit_id,
                v.unit_id,
                v.lock_id,
                v.brukare_id,
                v.brukare_name,
                v.address,
                v.starts_at,
                v.ends_at,
                v.no_key_reason
            ],
        )?;
    }
    // The shifts too: they decide the day or the night key (R2.1, R2.2).
    tx.execute("DELETE FROM shifts", [])?;
    for sh in &b.shifts {
        if !matches!(sh.kind.as_str(), "day" | "evening" | "night") || sh.ends_at <= sh.starts_at {
            return Err(Error::InvalidInput(format!(
                "shift {} is not a day, evening or night shift that ends after it starts",
                sh.shift_id
            )));
        }
        tx.execute(
            "INSERT INTO shifts (shift_id, unit_id, kind, starts_at, ends_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![sh.shift_id, sh.unit_id, sh.kind, sh.starts_at, sh.ends_at],
        )?;
    }
    // The bundle holds every key the server vouches for now: a key it no
    // longer sends (a removed lock, a revoked token, a cancelled visit) must
    // not stay usable on the phone. Expired keys stay a while, to explain
    // "expired" rather than "no key".
    tx.execute("DELETE FROM tokens WHERE expires > ?1", [b.server_time])?;
    for t in &b.tokens {
        store_token(tx, &t.0)?;
    }
    tx.execute(
        "DELETE FROM tokens WHERE expires < ?1",
        [b.server_time - EXPIRED_TOKEN_RETENTION_SECS],
    )?;
    // The bundle holds the current lists of the day's locks: older ones go.
    tx.execute("DELETE FROM meta WHERE key LIKE 'revocation.%'", [])?;
    for list in &b.revocation_lists {
        let header = RevocationList::peek(&list.0)?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [
                format!("revocation.{}", header.lock_id),
                hex::encode(&list.0),
            ],
        )?;
    }
    if let Some(key) = &b.issuer_key {
        PublicKey::from_sec1(&key.0)
            .map_err(|e| Error::InvalidInput(format!("issuer key: {e}")))?;
        set_meta(tx, "issuer.key", &hex::encode(&key.0))?;
    }
    match &b.issuer_update {
        Some(update) => {
            IssuerUpdate::read_unverified(&update.0)?;
            set_meta(tx, "issuer.update", &hex::encode(&update.0))?;
        }
        None => {
            tx.execute("DELETE FROM meta WHERE key = 'issuer.update'", [])?;
        }
    }
    Ok(())
}

fn set_meta(tx: &Transaction<'_>, key: &str, value: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

/// Stores a lock's revocation list that came with a single token, if it is
/// newer than the one held for that lock.
pub(crate) fn store_revocation_list(tx: &Transaction<'_>, list: &[u8]) -> Result<()> {
    let header = RevocationList::peek(list)?;
    let key = format!("revocation.{}", header.lock_id);
    let held: Option<String> = tx
        .query_row("SELECT value FROM meta WHERE key = ?1", [&key], |r| {
            r.get(0)
        })
        .optional()?;
    let newer = held
        .and_then(|h| hex::decode(h).ok())
        .and_then(|h| RevocationList::peek(&h).ok())
        .is_none_or(|h| h.key_id != header.key_id || h.epoch < header.epoch);
    if newer {
        set_meta(tx, &key, &hex::encode(list))?;
    }
    Ok(())
}

/// Stores one token (once per token id).
pub(crate) fn store_token(tx: &Transaction<'_>, token: &[u8]) -> Result<()> {
    let claims = SignedToken::parse(token)?.claims_unverified()?;
    tx.execute(
        "INSERT INTO tokens (token_id, lock_id, not_before, expires, decision_id,
                 decision_end, scope, token)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(token_id) DO NOTHING",
        params![
            claims.token_id.to_vec(),
            claims.lock_id,
            to_i64(claims.not_before)?,
            to_i64(claims.expires)?,
            claims.decision_id,
            to_i64(claims.decision_end)?,
            claims.scope as u8,
            token
        ],
    )?;
    Ok(())
}

pub(crate) fn to_i64(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::InvalidInput("time out of range".into()))
}
