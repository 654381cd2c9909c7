//! R1.9: "Brukaren bekräftar installationen genom att skriva under
//! kvittensen och ett ansvarsavtal." The technician's phone makes the
//! receipt (the agreement's version and checksum, the brukare's signature
//! strokes, or — when the brukare cannot sign — a named second person and
//! the reason) and signs it with its device key. The server verifies it
//! here before anything else: the content's hash, the signature under the
//! uploading device's own enrolled key, the agreement text it names, the
//! consent, and that the lock and brukare are the ones installed. It links
//! the receipt to the brukare's installation order. A lock goes into
//! service (`POST /v1/locks/{id}/install` from a device) only with one.

use nyckelfri_protocol::PublicKey;
use nyckelfri_protocol::keys::sha256;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::auth::DeviceCaller;
use crate::codec;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::model::{InstallationReceiptInfo, LockKind, LockState, ReceiptConsent, UploadReceipt};
use crate::orders::ACTIVE;
use crate::permit::Permit;
use crate::store;

/// The domain string that starts every receipt's content.
pub const DOMAIN: &str = "nyckelfri/installation-receipt/v1";
/// Largest receipt content (the strokes of a long signature fit well).
pub const MAX_CONTENT: usize = 256 * 1024;
/// How long before now a receipt may have been signed (an installation
/// finished the next morning after a night without network).
const MAX_AGE_SECS: i64 = 7 * 86_400;
/// How far ahead of the server's clock a phone's may run.
const MAX_AHEAD_SECS: i64 = 10 * 60;

/// The agreement texts the brukare can have signed, by version and
/// language: the same files the app shows (`core/agreements`).
fn agreement(version: u64, language: &str) -> Option<&'static str> {
    match (version, language) {
        (1, "sv") => Some(include_str!("../../core/agreements/v1.sv.txt")),
        (1, "en") => Some(include_str!("../../core/agreements/v1.en.txt")),
        _ => None,
    }
}

fn bad(why: impl Into<String>) -> Error {
    Error::bad(format!("the receipt is not valid: {}", why.into()))
}

fn text<'a>(c: &'a Value, key: &str) -> Result<&'a str> {
    c.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(format!("{key} is missing")))
}

/// Whether a witness's name is the technician's as typed: every word of
/// one is a word of the other ("tekniker Erik Malm", "malm"), case and
/// punctuation aside.
fn same_name(witness: &str, technician: &str) -> bool {
    let words = |s: &str| {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect::<std::collections::BTreeSet<_>>()
    };
    let (w, t) = (words(witness), words(technician));
    !w.is_empty() && !t.is_empty() && (w.is_subset(&t) || t.is_subset(&w))
}

/// What the consent says.
struct Consent {
    kind: ReceiptConsent,
    witnessed_by: Option<String>,
    reason: Option<String>,
}

fn consent(c: &Value, technician: &DeviceCaller) -> Result<Consent> {
    let consent = c.get("consent").ok_or_else(|| bad("consent is missing"))?;
    match consent.get("kind").and_then(Value::as_str) {
        Some("signed") => {
            let strokes = consent
                .get("strokes")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("a signed consent needs the signature's strokes"))?;
            let drawn = strokes
                .iter()
                .filter_map(Value::as_array)
                .any(|points| points.len() >= 2);
            if !drawn {
                return Err(bad("the signature is empty"));
            }
            Ok(Consent {
                kind: ReceiptConsent::Signed,
                witnessed_by: None,
                reason: None,
            })
        }
        Some("confirmed") => {
            // R1.9's exception: the brukare agreed but cannot sign. A second
            // person, not the technician, confirms it, and why is recorded.
            let witness = consent
                .get("witnessed_by")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .ok_or_else(|| {
                    bad("when the brukare cannot sign, witnessed_by must name the second person")
                })?;
            codec::check_text(witness, 100, "consent.witnessed_by", false)?;
            if same_name(witness, &technician.staff.name) {
                return Err(bad(
                    "the witness must be a second person, not the technician who installs",
                ));
            }
            let reason = consent
                .get("reason")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .ok_or_else(|| bad("when the brukare cannot sign, the reason must be given"))?;
            codec::check_text(reason, 500, "consent.reason", false)?;
            Ok(Consent {
                kind: ReceiptConsent::Confirmed,
                witnessed_by: Some(witness.to_owned()),
                reason: Some(reason.to_owned()),
            })
        }
        _ => Err(bad("consent.kind must be signed or confirmed")),
    }
}

fn row_info(r: &AnyRow) -> Result<InstallationReceiptInfo> {
    Ok(InstallationReceiptInfo {
        id: r.try_get("id")?,
        lock_id: r.try_get("lock_id")?,
        brukare_id: r.try_get("brukare_id")?,
        order_id: r.try_get("order_id")?,
        content_sha256: r.try_get("content_sha256")?,
        staff_id: r.try_get("staff_id")?,
        device_id: r.try_get("device_id")?,
        consent: ReceiptConsent::parse(&r.try_get::<String, _>("consent")?)?,
        witnessed_by: r.try_get("witnessed_by")?,
        witness_reason: r.try_get("witness_reason")?,
        signed_at: r.try_get("signed_at")?,
        verified_at: r.try_get("verified_at")?,
    })
}

/// One verified receipt.
pub(crate) async fn receipt(db: &Db, id: &str) -> Result<InstallationReceiptInfo> {
    let r = sqlx::query("SELECT * FROM installation_receipts WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| Error::not_found("installation receipt", id))?;
    row_info(&r)
}

/// The newest verified receipt for a lock at a brukare.
pub(crate) async fn for_lock<'e, E>(
    ex: E,
    lock_id: &str,
    brukare_id: &str,
) -> Result<Option<String>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT id FROM installation_receipts WHERE lock_id = $1 AND brukare_id = $2 \
         ORDER BY verified_at DESC, id LIMIT 1",
    )
    .bind(lock_id)
    .bind(brukare_id)
    .fetch_optional(ex)
    .await?)
}

/// Verifies and stores a receipt uploaded by a technician's device; the
/// same receipt again answers as it is.
pub(crate) async fn verify_and_store(
    db: &Db,
    permit: &Permit,
    up: &UploadReceipt,
    now: i64,
) -> Result<InstallationReceiptInfo> {
    let dev = permit.device()?;
    if up.content_json.len() > MAX_CONTENT {
        return Err(bad(format!(
            "the content must be at most {MAX_CONTENT} bytes"
        )));
    }
    // The hash names exactly these bytes.
    let digest = hex::encode(sha256(up.content_json.as_bytes()));
    if !digest.eq_ignore_ascii_case(up.content_sha256.trim()) {
        return Err(bad("content_sha256 is not the SHA-256 of content_json"));
    }
    // Signed by this device's own enrolled key, and the content says so.
    let c: Value =
        serde_json::from_str(&up.content_json).map_err(|_| bad("content_json is not JSON"))?;
    if text(&c, "domain")? != DOMAIN {
        return Err(bad(format!("the domain must be {DOMAIN}")));
    }
    let key_hex = hex::encode(dev.public_key.as_bytes());
    if !text(&c, "technician_device_key")?.eq_ignore_ascii_case(&key_hex) {
        return Err(bad(
            "it names another device's key: a receipt is uploaded by the phone that signed it",
        ));
    }
    let signature = hex::decode(up.device_signature.trim())
        .map_err(|_| bad("device_signature must be hex (r || s)"))?;
    PublicKey::verify(
        &dev.public_key,
        up.content_json.as_bytes(),
        &signature,
        "receipt",
    )
    .map_err(|_| bad("the device signature does not verify under this device's key"))?;
    // The agreement the brukare signed is one we know, word for word.
    let version = c
        .get("agreement_version")
        .and_then(Value::as_u64)
        .ok_or_else(|| bad("agreement_version is missing"))?;
    let language = text(&c, "agreement_language")?;
    let agreement = agreement(version, language)
        .ok_or_else(|| bad(format!("no agreement of version {version} in '{language}'")))?;
    if !text(&c, "agreement_sha256")?
        .eq_ignore_ascii_case(&hex::encode(sha256(agreement.as_bytes())))
    {
        return Err(bad("agreement_sha256 is not the agreement's text"));
    }
    let signed_at = c
        .get("signed_at")
        .and_then(Value::as_i64)
        .ok_or_else(|| bad("signed_at is missing"))?;
    if signed_at > now + MAX_AHEAD_SECS || signed_at < now - MAX_AGE_SECS {
        return Err(bad(
            "signed_at is not within the last seven days (check the phone's clock)",
        ));
    }
    let consent = consent(&c, dev)?;
    let id = text(&c, "receipt_id")?.to_owned();
    codec::check_id(&id, "receipt_id")?;
    let lock_id = text(&c, "lock_id")?.to_owned();
    let brukare_id = text(&c, "brukare_id")?.to_owned();
    codec::check_id(&lock_id, "lock_id")?;
    codec::check_id(&brukare_id, "brukare_id")?;
    let lock = store::lock(db, &lock_id).await?;
    let b = store::brukare(db, &brukare_id).await?;
    permit.require_unit(&b.unit_id)?;
    match lock.state {
        LockState::Removed => {
            return Err(Error::Conflict(format!(
                "lock '{lock_id}' has been removed"
            )));
        }
        LockState::Installed if lock.brukare_id.as_deref() != Some(b.id.as_str()) => {
            return Err(Error::Conflict(format!(
                "lock '{lock_id}' is installed at another brukare"
            )));
        }
        _ => {}
    }
    // The same receipt again: as it is; another under its id: refused.
    if let Ok(existing) = receipt(db, &id).await {
        if existing.content_sha256.eq_ignore_ascii_case(&digest) {
            return Ok(existing);
        }
        return Err(Error::Conflict(format!(
            "receipt id '{id}' is already another receipt"
        )));
    }
    let kinds = match lock.kind {
        LockKind::Door => "('new_brukare', 'existing_brukare')",
        LockKind::Entrance => "('entrance')",
    };
    let order_id: Option<String> = sqlx::query_scalar(&format!(
        "SELECT id FROM orders WHERE brukare_id = $1 AND kind IN {kinds} AND status IN {ACTIVE} \
         ORDER BY created_at, id LIMIT 1"
    ))
    .bind(&b.id)
    .fetch_optional(db.pool())
    .await?;
    sqlx::query(
        "INSERT INTO installation_receipts (id, lock_id, brukare_id, order_id, content, \
         content_sha256, signature, device_id, staff_id, consent, witnessed_by, witness_reason, \
         signed_at, verified_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&id)
    .bind(&lock_id)
    .bind(&b.id)
    .bind(order_id)
    .bind(&up.content_json)
    .bind(&digest)
    .bind(hex::encode(&signature))
    .bind(&dev.device_id)
    .bind(&dev.staff.id)
    .bind(consent.kind.as_str())
    .bind(consent.witnessed_by)
    .bind(consent.reason)
    .bind(signed_at)
    .bind(now)
    .execute(db.pool())
    .await?;
    let stored = receipt(db, &id).await?;
    if !stored.content_sha256.eq_ignore_ascii_case(&digest) {
        return Err(Error::Conflict(format!(
            "receipt id '{id}' is already another receipt"
        )));
    }
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_witness_named_like_the_technician_is_the_technician() {
        assert!(same_name("Erik Malm", "erik malm"));
        assert!(same_name("tekniker Erik Malm", "Erik Malm"));
        assert!(same_name("Malm", "Erik Malm"));
        assert!(!same_name("Eva S. (dotter)", "Erik Malm"));
        assert!(!same_name("Alice Svensson, granne", "Ali Hassan"));
        assert!(!same_name("", "Erik Malm"));
    }
}
