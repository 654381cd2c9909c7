//! Issuer-signed revocation lists, one per lock (PROTOCOL.md §6).
//!
//! A revoked token goes on the list of the lock it opens (its `aud`), so a
//! unit with many locks never shares one list's capacity. Each (lock, issuer
//! key) pair has its own rising epoch. Every token the server signs names the
//! epoch of its lock's list at that moment (`min_epoch`): a phone with a
//! fresh token carries the fresh list, or the lock refuses the token. The
//! phones get the lists of their day's locks in the bundle.
//!
//! A list holds at most `MAX_REVOKED` entries. If a lock's revoked tokens do
//! not fit, nothing is dropped: the list revokes every token for the lock
//! issued before now (`revoked_before`), the server marks that lock's other
//! live tokens revoked too, and the phones get fresh tokens at their next
//! sync.
//!
//! The `revocation` table's epoch is a revision of all lists: it rises with
//! every change (the admin API reports it).

use std::collections::BTreeSet;

use nyckelfri_protocol::revocation::{MAX_REVOKED, RevocationList, RevokedToken};
use nyckelfri_protocol::{Signer, SoftwareKey, TOKEN_ID_LEN};
use sqlx::{Any, Row, Transaction};

use crate::codec;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::model::RevocationInfo;

/// What a revocation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rebuilt {
    /// The revision of all lists now.
    pub epoch: i64,
    /// Entries in the lists that changed.
    pub entries: u64,
    /// Always 0: an overflowing list revokes by issue time instead of
    /// dropping entries.
    pub dropped: u64,
}

/// The revision of all lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revision {
    /// Rises with every change of any lock's list.
    pub epoch: i64,
}

/// A live token that a revocation puts on its lock's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveToken {
    /// Token id (cti).
    pub token_id: Vec<u8>,
    /// Its expiry.
    pub expires: i64,
    /// The lock it opens.
    pub lock_id: String,
    /// When it was issued.
    pub issued_at: i64,
}

/// The revision, after signing any list a change left unsigned.
pub async fn current(db: &Db, issuer: &SoftwareKey, now: i64) -> Result<Revision> {
    ensure_signed(db, issuer, now).await?;
    let epoch: i64 = sqlx::query_scalar("SELECT epoch FROM revocation WHERE id = 1")
        .fetch_one(db.pool())
        .await?;
    Ok(Revision { epoch })
}

/// The current signed lists of `lock_ids` under the issuer key (locks
/// without one have nothing revoked), signing any a change left unsigned.
pub async fn lists_for(
    db: &Db,
    issuer: &SoftwareKey,
    lock_ids: &[String],
    now: i64,
) -> Result<Vec<RevocationInfo>> {
    ensure_signed(db, issuer, now).await?;
    let kid = issuer.public_key().key_id().to_vec();
    let mut out = Vec::new();
    for lock_id in lock_ids.iter().collect::<BTreeSet<_>>() {
        let row = sqlx::query(
            "SELECT epoch, issued_at, revoked_before, entries, signed FROM lock_revocations \
             WHERE lock_id = $1 AND issuer_kid = $2",
        )
        .bind(lock_id)
        .bind(kid.clone())
        .fetch_optional(db.pool())
        .await?;
        let Some(r) = row else { continue };
        let Some(signed) = r.try_get::<Option<Vec<u8>>, _>("signed")? else {
            return Err(Error::Internal(format!(
                "the revocation list of lock {lock_id} could not be signed"
            )));
        };
        out.push(RevocationInfo {
            lock_id: lock_id.clone(),
            key_id: hex::encode(&kid),
            epoch: r.try_get("epoch")?,
            issued_at: r.try_get("issued_at")?,
            revoked_before: r.try_get("revoked_before")?,
            entries: u64::try_from(r.try_get::<i64, _>("entries")?).unwrap_or(0),
            list: codec::b64(&signed),
        });
    }
    Ok(out)
}

/// The epoch of the issuer's list for `lock_id` (0: none yet), the least a
/// lock must hold before it accepts a token signed now; and the list's
/// `revoked_before`, the earliest issue time a new token may have.
pub async fn list_state(db: &Db, issuer: &SoftwareKey, lock_id: &str) -> Result<(u64, i64)> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT epoch, revoked_before FROM lock_revocations \
         WHERE lock_id = $1 AND issuer_kid = $2",
    )
    .bind(lock_id)
    .bind(issuer.public_key().key_id().to_vec())
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map_or((0, 0), |(e, rb)| (u64::try_from(e).unwrap_or(0), rb)))
}

/// Signs every list a change left unsigned (a CSV import run without the
/// issuer key), and builds the lists of locks with revoked tokens but no
/// list under this issuer key yet (the first start after an upgrade or a
/// key rollover). Several instances may race here; each list is rebuilt in
/// its own transaction, and rebuilding twice only bumps the epoch.
pub async fn ensure_signed(db: &Db, issuer: &SoftwareKey, now: i64) -> Result<()> {
    let kid = issuer.public_key().key_id().to_vec();
    let pending: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT lock_id FROM lock_revocations WHERE signed IS NULL AND issuer_kid = $2 \
         UNION SELECT DISTINCT r.lock_id FROM revoked_tokens r WHERE r.lock_id IS NOT NULL \
           AND r.expires > $1 AND NOT EXISTS (SELECT 1 FROM lock_revocations l \
           WHERE l.lock_id = r.lock_id AND l.issuer_kid = $2) ORDER BY 1",
    )
    .bind(now)
    .bind(kid)
    .fetch_all(db.pool())
    .await?;
    for lock_id in pending {
        let mut tx = db.begin_write().await?;
        // Take the list's row first, so the rebuild writes before it reads.
        bump_revision(&mut tx, now).await?;
        rebuild_lock(&mut tx, issuer, &lock_id, now).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Whose issued tokens a revocation covers.
pub enum Holder<'a> {
    /// Every token of a device (the device is revoked).
    Device(&'a str),
    /// Every token for a lock (the lock is removed).
    Lock(&'a str),
    /// A decision's tokens that outlast its new end.
    DecisionEndingAt(&'a str, i64),
}

/// A row of `issued_tokens` (its `token_id`, `expires`, `lock_id` and
/// `issued_at`) as the token a revocation lists.
pub fn row_live_token(r: &sqlx::any::AnyRow) -> Result<LiveToken> {
    Ok(LiveToken {
        token_id: r.try_get("token_id")?,
        expires: r.try_get("expires")?,
        lock_id: r.try_get("lock_id")?,
        issued_at: r.try_get("issued_at")?,
    })
}

/// The tokens of `holder` that are still good at `now` and not yet revoked:
/// what a revocation must put on their locks' lists.
pub async fn live_tokens(
    tx: &mut Transaction<'static, Any>,
    holder: Holder<'_>,
    now: i64,
) -> Result<Vec<LiveToken>> {
    let (column, id, after) = match holder {
        Holder::Device(id) => ("device_id", id, now),
        Holder::Lock(id) => ("lock_id", id, now),
        Holder::DecisionEndingAt(id, ends) => ("decision_id", id, ends.max(now)),
    };
    let rows = sqlx::query(&format!(
        "SELECT token_id, expires, lock_id, issued_at FROM issued_tokens \
         WHERE {column} = $1 AND expires > $2 AND revoked_at IS NULL"
    ))
    .bind(id)
    .bind(after)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(row_live_token).collect()
}

/// Marks tokens revoked and leaves their locks' lists unsigned with a new
/// epoch: the next server to read them signs them. For changes made without
/// the issuer key (CSV import from the command line).
pub async fn revoke_unsigned(
    tx: &mut Transaction<'static, Any>,
    now: i64,
    tokens: &[LiveToken],
) -> Result<()> {
    bump_revision(tx, now).await?;
    mark(tx, now, tokens).await?;
    // A lock with no list yet gets one from ensure_signed, under the key of
    // the instance that signs it.
    for lock_id in locks_of(tokens) {
        sqlx::query(
            "UPDATE lock_revocations SET epoch = epoch + 1, issued_at = $1, signed = NULL \
             WHERE lock_id = $2",
        )
        .bind(now)
        .bind(&lock_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn mark(tx: &mut Transaction<'static, Any>, now: i64, tokens: &[LiveToken]) -> Result<()> {
    for t in tokens {
        sqlx::query("UPDATE issued_tokens SET revoked_at = $1 WHERE token_id = $2")
            .bind(now)
            .bind(t.token_id.clone())
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO revoked_tokens (token_id, expires, revoked_at, lock_id, issued_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (token_id) DO NOTHING",
        )
        .bind(t.token_id.clone())
        .bind(t.expires)
        .bind(now)
        .bind(&t.lock_id)
        .bind(t.issued_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn locks_of(tokens: &[LiveToken]) -> BTreeSet<String> {
    tokens.iter().map(|t| t.lock_id.clone()).collect()
}

/// Puts tokens on their locks' lists and re-signs those lists, inside the
/// caller's write transaction (which must already have written, see `db`).
pub async fn revoke(
    tx: &mut Transaction<'static, Any>,
    issuer: &SoftwareKey,
    now: i64,
    tokens: &[LiveToken],
) -> Result<Rebuilt> {
    let epoch = bump_revision(tx, now).await?;
    mark(tx, now, tokens).await?;
    let mut entries = 0;
    for lock_id in locks_of(tokens) {
        entries += rebuild_lock(tx, issuer, &lock_id, now).await?;
    }
    Ok(Rebuilt {
        epoch,
        entries,
        dropped: 0,
    })
}

async fn bump_revision(tx: &mut Transaction<'static, Any>, now: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "UPDATE revocation SET epoch = epoch + 1, issued_at = $1 WHERE id = 1 RETURNING epoch",
    )
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

/// Gives the lock's list under the issuer key a new epoch, drops expired
/// entries and signs it. Returns its entries.
async fn rebuild_lock(
    tx: &mut Transaction<'static, Any>,
    issuer: &SoftwareKey,
    lock_id: &str,
    now: i64,
) -> Result<u64> {
    let kid = issuer.public_key().key_id().to_vec();
    let (epoch, mut revoked_before): (i64, i64) = {
        let r = sqlx::query(
            "INSERT INTO lock_revocations (lock_id, issuer_kid, epoch, issued_at) \
             VALUES ($1, $2, 1, $3) ON CONFLICT (lock_id, issuer_kid) DO UPDATE \
             SET epoch = lock_revocations.epoch + 1, issued_at = excluded.issued_at \
             RETURNING epoch, revoked_before",
        )
        .bind(lock_id)
        .bind(kid.clone())
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        (r.try_get("epoch")?, r.try_get("revoked_before")?)
    };
    sqlx::query("DELETE FROM revoked_tokens WHERE expires <= $1")
        .bind(now)
        .execute(&mut **tx)
        .await?;
    let rows = sqlx::query(
        "SELECT token_id, expires, issued_at FROM revoked_tokens \
         WHERE lock_id = $1 AND issued_at >= $2 ORDER BY expires DESC, token_id",
    )
    .bind(lock_id)
    .bind(revoked_before)
    .fetch_all(&mut **tx)
    .await?;
    let mut listed: Vec<(Vec<u8>, i64, i64)> = rows
        .iter()
        .map(|r| {
            Ok((
                r.try_get("token_id")?,
                r.try_get("expires")?,
                r.try_get("issued_at")?,
            ))
        })
        .collect::<Result<_>>()?;
    if listed.len() > MAX_REVOKED {
        // Too many to list: revoke every token for this lock issued up to
        // now instead (tokens signed from now on get a later issue time),
        // and stop handing out the good ones among them: their phones get
        // fresh tokens at the next sync.
        revoked_before = now + 1;
        listed.clear();
        sqlx::query(
            "UPDATE issued_tokens SET revoked_at = $1 \
             WHERE lock_id = $2 AND issued_at < $3 AND expires > $1 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(lock_id)
        .bind(revoked_before)
        .execute(&mut **tx)
        .await?;
        tracing::warn!(
            lock = %lock_id,
            max = MAX_REVOKED,
            "revocation list full: every token for the lock issued before now is revoked"
        );
    }
    let revoked = listed
        .into_iter()
        .take(MAX_REVOKED)
        .map(|(id, expires, _)| {
            let token_id: [u8; TOKEN_ID_LEN] = id
                .as_slice()
                .try_into()
                .map_err(|_| Error::Internal("stored token id has the wrong length".into()))?;
            Ok(RevokedToken {
                token_id,
                expires: u64::try_from(expires).unwrap_or(0),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let list = RevocationList {
        lock_id: lock_id.to_owned(),
        epoch: u64::try_from(epoch).unwrap_or(0),
        issued_at: u64::try_from(now).unwrap_or(0),
        revoked_before: u64::try_from(revoked_before).unwrap_or(0),
        revoked,
    };
    let signed = list.sign(issuer)?;
    sqlx::query(
        "UPDATE lock_revocations SET signed = $1, entries = $2, revoked_before = $3 \
         WHERE lock_id = $4 AND issuer_kid = $5",
    )
    .bind(signed)
    .bind(list.revoked.len() as i64)
    .bind(revoked_before)
    .bind(lock_id)
    .bind(kid)
    .execute(&mut **tx)
    .await?;
    Ok(list.revoked.len() as u64)
}
