//! The issuer-signed revocation list. One current list in the database;
//! each change bumps its epoch, drops expired entries and re-signs it. It
//! holds at most `MAX_REVOKED` entries (what a lock stores); if more tokens
//! are revoked at once, the ones that expire soonest are dropped first (they
//! are the least exposure) and the drop is logged and reported.

use nyckelfri_protocol::revocation::{MAX_REVOKED, RevocationList, RevokedToken};
use nyckelfri_protocol::{SoftwareKey, TOKEN_ID_LEN};
use sqlx::{Any, Row, Transaction};

use crate::codec;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::model::RevocationInfo;

/// What a rebuild did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rebuilt {
    /// The new epoch.
    pub epoch: i64,
    /// Entries in the list.
    pub entries: u64,
    /// Unexpired entries dropped to stay within the bound.
    pub dropped: u64,
}

/// The current list, signing it first if a change left it unsigned (a CSV
/// import run without the issuer key, or the first start).
pub async fn current(db: &Db, issuer: &SoftwareKey, now: i64) -> Result<RevocationInfo> {
    const SQL: &str = "SELECT epoch, issued_at, entries, signed FROM revocation WHERE id = 1";
    let mut r = sqlx::query(SQL).fetch_one(db.pool()).await?;
    if r.try_get::<Option<Vec<u8>>, _>("signed")?.is_none() {
        ensure_signed(db, issuer, now).await?;
        r = sqlx::query(SQL).fetch_one(db.pool()).await?;
    }
    let signed: Vec<u8> = r
        .try_get::<Option<Vec<u8>>, _>("signed")?
        .ok_or_else(|| Error::Internal("the revocation list could not be signed".into()))?;
    Ok(RevocationInfo {
        epoch: r.try_get("epoch")?,
        issued_at: r.try_get("issued_at")?,
        entries: u64::try_from(r.try_get::<i64, _>("entries")?).unwrap_or(0),
        list: codec::b64(&signed),
    })
}

/// Signs the list if it is unsigned (first start, or after a change made
/// without the issuer key). Several instances may race here; the first one
/// to bump the epoch signs, the others find it signed.
pub async fn ensure_signed(db: &Db, issuer: &SoftwareKey, now: i64) -> Result<()> {
    let mut tx = db.pool().begin().await?;
    let claimed = sqlx::query(
        "UPDATE revocation SET epoch = epoch + 1, issued_at = $1 WHERE id = 1 AND signed IS NULL",
    )
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(());
    }
    rebuild_locked(&mut tx, issuer, now, false).await?;
    tx.commit().await?;
    Ok(())
}

/// Marks tokens revoked and leaves the list unsigned: the next server to
/// read it signs it with a new epoch. For changes made without the issuer
/// key (CSV import from the command line).
/// Whose issued tokens a revocation covers.
pub enum Holder<'a> {
    /// Every token of a device (the device is revoked).
    Device(&'a str),
    /// Every token for a lock (the lock is removed).
    Lock(&'a str),
    /// A decision's tokens that outlast its new end.
    DecisionEndingAt(&'a str, i64),
}

/// The tokens of `holder` that are still good at `now` and not yet revoked,
/// as (token id, expiry): what a revocation must put on the list.
pub async fn live_tokens(
    tx: &mut Transaction<'static, Any>,
    holder: Holder<'_>,
    now: i64,
) -> Result<Vec<(Vec<u8>, i64)>> {
    let (column, id, after) = match holder {
        Holder::Device(id) => ("device_id", id, now),
        Holder::Lock(id) => ("lock_id", id, now),
        Holder::DecisionEndingAt(id, ends) => ("decision_id", id, ends.max(now)),
    };
    let rows = sqlx::query(&format!(
        "SELECT token_id, expires FROM issued_tokens \
         WHERE {column} = $1 AND expires > $2 AND revoked_at IS NULL"
    ))
    .bind(id)
    .bind(after)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<Vec<u8>, _>("token_id")?,
                r.try_get::<i64, _>("expires")?,
            ))
        })
        .collect()
}

pub async fn revoke_unsigned(
    tx: &mut Transaction<'static, Any>,
    now: i64,
    tokens: &[(Vec<u8>, i64)],
) -> Result<()> {
    mark(tx, now, tokens).await?;
    sqlx::query("UPDATE revocation SET signed = NULL WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn mark(
    tx: &mut Transaction<'static, Any>,
    now: i64,
    tokens: &[(Vec<u8>, i64)],
) -> Result<()> {
    for (id, expires) in tokens {
        sqlx::query("UPDATE issued_tokens SET revoked_at = $1 WHERE token_id = $2")
            .bind(now)
            .bind(id.clone())
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO revoked_tokens (token_id, expires, revoked_at) VALUES ($1, $2, $3) \
             ON CONFLICT (token_id) DO NOTHING",
        )
        .bind(id.clone())
        .bind(*expires)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Puts tokens on the list and re-signs it, inside the caller's write
/// transaction (which must already have written, see `db`).
pub async fn revoke(
    tx: &mut Transaction<'static, Any>,
    issuer: &SoftwareKey,
    now: i64,
    tokens: &[(Vec<u8>, i64)],
) -> Result<Rebuilt> {
    mark(tx, now, tokens).await?;
    rebuild(tx, issuer, now).await
}

/// Bumps the epoch (taking the list's lock first), drops expired and
/// overflowing entries, signs and stores the list.
pub async fn rebuild(
    tx: &mut Transaction<'static, Any>,
    issuer: &SoftwareKey,
    now: i64,
) -> Result<Rebuilt> {
    rebuild_locked(tx, issuer, now, true).await
}

async fn rebuild_locked(
    tx: &mut Transaction<'static, Any>,
    issuer: &SoftwareKey,
    now: i64,
    bump: bool,
) -> Result<Rebuilt> {
    let epoch: i64 = if bump {
        sqlx::query_scalar(
            "UPDATE revocation SET epoch = epoch + 1, issued_at = $1 WHERE id = 1 RETURNING epoch",
        )
        .bind(now)
        .fetch_one(&mut **tx)
        .await?
    } else {
        sqlx::query_scalar("SELECT epoch FROM revocation WHERE id = 1")
            .fetch_one(&mut **tx)
            .await?
    };
    sqlx::query("DELETE FROM revoked_tokens WHERE expires <= $1")
        .bind(now)
        .execute(&mut **tx)
        .await?;
    let rows =
        sqlx::query("SELECT token_id, expires FROM revoked_tokens ORDER BY expires DESC, token_id")
            .fetch_all(&mut **tx)
            .await?;
    let mut revoked = Vec::with_capacity(rows.len().min(MAX_REVOKED));
    let mut dropped = 0u64;
    for r in &rows {
        let id: Vec<u8> = r.try_get("token_id")?;
        let expires: i64 = r.try_get("expires")?;
        if revoked.len() >= MAX_REVOKED {
            sqlx::query("DELETE FROM revoked_tokens WHERE token_id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            dropped += 1;
            continue;
        }
        let token_id: [u8; TOKEN_ID_LEN] = id
            .as_slice()
            .try_into()
            .map_err(|_| Error::Internal("stored token id has the wrong length".into()))?;
        revoked.push(RevokedToken {
            token_id,
            expires: u64::try_from(expires).unwrap_or(0),
        });
    }
    if dropped > 0 {
        tracing::warn!(
            dropped,
            max = MAX_REVOKED,
            "revocation list full: dropped the soonest-expiring entries"
        );
    }
    let list = RevocationList {
        epoch: u64::try_from(epoch).unwrap_or(0),
        issued_at: u64::try_from(now).unwrap_or(0),
        revoked,
    };
    let signed = list.sign(issuer)?;
    sqlx::query("UPDATE revocation SET signed = $1, entries = $2 WHERE id = 1")
        .bind(signed)
        .bind(list.revoked.len() as i64)
        .execute(&mut **tx)
        .await?;
    Ok(Rebuilt {
        epoch,
        entries: list.revoked.len() as u64,
        dropped,
    })
}
