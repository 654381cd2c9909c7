//! The brukare's receipt and responsibility agreement at installation
//! (R1.9): the agreement text of a given version, the brukare's signature
//! strokes (or a witnessed confirmation), hashed and signed by the
//! technician's device key so any later change is detectable, and a PDF the
//! brukare can keep.

use chrono::{TimeZone, Utc};
use nyckelfri_protocol::keys::sha256;
use nyckelfri_protocol::{PublicKey, Signer};
use serde_json::json;

use crate::app::AppInner;
use crate::error::{Error, NyckelfriError};
use crate::guidance::Language;
use crate::outbox;
use nyckelfri_print::pdf::{self, Pt};

/// Domain of the signed content, so the signature serves nothing else.
const DOMAIN: &str = "nyckelfri/installation-receipt/v1";

/// The agreement texts by version and language.
fn agreement(version: u32, language: Language) -> Option<&'static str> {
    match (version, language) {
        (1, Language::Swedish) => Some(include_str!("../agreements/v1.sv.txt")),
        (1, Language::English) => Some(include_str!("../agreements/v1.en.txt")),
        _ => None,
    }
}

/// A point of a signature stroke, 0..=1 across and down the signature box.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct StrokePoint {
    /// Across, 0 (left) to 1 (right).
    pub x: f32,
    /// Down, 0 (top) to 1 (bottom).
    pub y: f32,
}

/// One stroke of the finger or pen.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SignatureStroke {
    /// The points, in drawing order.
    pub points: Vec<StrokePoint>,
}

/// How the brukare agreed.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum BrukareConsent {
    /// Signed on the phone's screen.
    Signed {
        /// The strokes drawn.
        strokes: Vec<SignatureStroke>,
    },
    /// R1.9's exception: the brukare agreed but cannot sign; a second
    /// person present — not the technician — confirms it, and why the
    /// brukare could not sign is recorded.
    Confirmed {
        /// Who confirms it (e.g. "anhörig Eva S.", "undersköterska Amina Y.").
        witnessed_by: String,
        /// Why the brukare could not sign (e.g. "skadad hand").
        reason: String,
    },
}

/// Whether a witness's name is the technician's own, as typed: every word
/// of one is a word of the other ("tekniker Erik Malm", "Malm").
fn is_the_technician(witness: &str, technician: &str) -> bool {
    let words = |s: &str| {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect::<std::collections::BTreeSet<_>>()
    };
    let (w, t) = (words(witness), words(technician));
    !w.is_empty() && !t.is_empty() && (w.is_subset(&t) || t.is_subset(&w))
}

/// A signed installation receipt.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct InstallationReceipt {
    /// Its id.
    pub receipt_id: String,
    /// The signed content: canonical JSON (sorted keys).
    pub content_json: String,
    /// SHA-256 of the content, hex.
    pub content_sha256: String,
    /// The technician's device signature over the content (ES256, r||s, hex).
    pub device_signature: String,
}

/// Makes, signs and queues the receipt (sent to the server on the next sync).
pub(crate) fn sign(
    app: &AppInner,
    lock_id: &str,
    brukare_id: &str,
    brukare_name: &str,
    agreement_version: u32,
    language: Language,
    consent: &BrukareConsent,
) -> Result<InstallationReceipt, NyckelfriError> {
    let text =
        agreement(agreement_version, language).ok_or_else(|| NyckelfriError::InvalidInput {
            reason: format!("no agreement text of version {agreement_version}"),
        })?;
    match consent {
        BrukareConsent::Signed { strokes } if strokes.iter().all(|s| s.points.len() < 2) => {
            return Err(NyckelfriError::InvalidInput {
                reason: "the signature is empty; ask the brukare to sign, or, if they cannot, \
                         have a second person confirm it and give the reason"
                    .into(),
            });
        }
        BrukareConsent::Confirmed {
            witnessed_by,
            reason,
        } => {
            if witnessed_by.trim().is_empty() || reason.trim().is_empty() {
                return Err(NyckelfriError::InvalidInput {
                    reason: "when the brukare cannot sign, name the second person who confirms \
                             it and why the brukare could not sign (R1.9)"
                        .into(),
                });
            }
            let technician = crate::sync::enrollment(app)?
                .map(|e| e.staff_name)
                .unwrap_or_default();
            if is_the_technician(witnessed_by, &technician) {
                return Err(NyckelfriError::InvalidInput {
                    reason: "the one who confirms must be a second person, not the technician \
                             who installs (R1.9)"
                        .into(),
                });
            }
        }
        BrukareConsent::Signed { .. } => {}
    }
    let receipt_id = outbox::new_event_id()?;
    let now = app.store.read(|c| app.time.peek(c))?.unix;
    let consent_json = match consent {
        BrukareConsent::Signed { strokes } => json!({
            "kind": "signed",
            "strokes": strokes.iter().map(|s| s.points.iter().map(|p| [round(p.x), round(p.y)]).collect::<Vec<_>>()).collect::<Vec<_>>(),
        }),
        BrukareConsent::Confirmed {
            witnessed_by,
            reason,
        } => {
            json!({ "kind": "confirmed", "witnessed_by": witnessed_by.trim(), "reason": reason.trim() })
        }
    };
    let content = json!({
        "domain": DOMAIN,
        "receipt_id": receipt_id,
        "lock_id": lock_id,
        "brukare_id": brukare_id,
        "brukare_name": brukare_name,
        "agreement_version": agreement_version,
        "agreement_language": match language { Language::Swedish => "sv", Language::English => "en" },
        "agreement_sha256": hex::encode(sha256(text.as_bytes())),
        "signed_at": now,
        "technician_device_key": hex::encode(app.device.public_key().as_bytes()),
        "consent": consent_json,
    });
    // serde_json's map keeps keys sorted: the same content, the same bytes.
    let content_json = content.to_string();
    let signature =
        app.device
            .sign(content_json.as_bytes())
            .map_err(|e| NyckelfriError::Signer {
                reason: e.to_string(),
            })?;
    let receipt = InstallationReceipt {
        receipt_id: receipt_id.clone(),
        content_sha256: hex::encode(sha256(content_json.as_bytes())),
        device_signature: hex::encode(signature),
        content_json,
    };
    app.store.write(|tx| {
        outbox::record_event(
            tx,
            &format!("installation-receipt-{receipt_id}"),
            "installation_receipt",
            &json!({ "lock_id": lock_id, "brukare_id": brukare_id,
                     "content": receipt.content_json, "sha256": receipt.content_sha256,
                     "signature": receipt.device_signature }),
            now,
        )?;
        Ok(())
    })?;
    Ok(receipt)
}

/// Coordinates in the signature box, to 1/1000: enough, and stable in JSON.
fn round(v: f32) -> f64 {
    (f64::from(v.clamp(0.0, 1.0)) * 1000.0).round() / 1000.0
}

/// Whether a receipt is intact: the hash matches the content and the
/// signature verifies under the technician's key named in it.
pub(crate) fn verify(receipt: &InstallationReceipt) -> bool {
    let ok = || -> Option<bool> {
        if hex::encode(sha256(receipt.content_json.as_bytes())) != receipt.content_sha256 {
            return Some(false);
        }
        let content: serde_json::Value = serde_json::from_str(&receipt.content_json).ok()?;
        if content.get("domain")?.as_str()? != DOMAIN {
            return Some(false);
        }
        let key = PublicKey::from_sec1(
            &hex::decode(content.get("technician_device_key")?.as_str()?).ok()?,
        )
        .ok()?;
        let sig = hex::decode(&receipt.device_signature).ok()?;
        Some(
            key.verify(receipt.content_json.as_bytes(), &sig, "receipt")
                .is_ok(),
        )
    };
    ok().unwrap_or(false)
}

/// The receipt as a one-page PDF for the brukare.
pub(crate) fn pdf(receipt: &InstallationReceipt, language: Language) -> Result<Vec<u8>, Error> {
    let c: serde_json::Value = serde_json::from_str(&receipt.content_json)?;
    let field = |k: &str| {
        c.get(k)
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string())
            })
            .unwrap_or_default()
    };
    let version = c
        .get("agreement_version")
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    let lang = if field("agreement_language") == "en" {
        Language::English
    } else {
        language
    };
    let text = agreement(u32::try_from(version).unwrap_or(0), lang).unwrap_or("");
    let signed_at = c.get("signed_at").and_then(|v| v.as_i64()).unwrap_or(0);
    let when = Utc
        .timestamp_opt(signed_at, 0)
        .single()
        .map(|t| {
            t.with_timezone(&chrono_tz::Europe::Stockholm)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default();
    let sv = lang == Language::Swedish;
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.push(String::new());
    let label = |s: &str, e: &str| if sv { s.to_owned() } else { e.to_owned() };
    lines.push(format!(
        "{} {}",
        label("Brukare:", "Brukare:"),
        field("brukare_name")
    ));
    lines.push(format!("{} {}", label("Lås:", "Lock:"), field("lock_id")));
    lines.push(format!("{} {when}", label("Datum:", "Date:")));
    lines.push(format!(
        "{} {version}",
        label("Avtalsversion:", "Agreement version:")
    ));
    lines.push(format!(
        "{} {}",
        label("Kontrollsumma (SHA-256):", "Checksum (SHA-256):"),
        receipt.content_sha256
    ));
    lines.push(label(
        "Signerat av personalens telefon; en ändring i efterhand syns.",
        "Signed by the staff's phone; any later change shows.",
    ));
    let consent = c.get("consent").cloned().unwrap_or_default();
    let strokes: Vec<Vec<Pt>> = consent
        .get("strokes")
        .and_then(|s| s.as_array())
        .map(|strokes| {
            strokes
                .iter()
                .filter_map(|s| s.as_array())
                .map(|pts| {
                    pts.iter()
                        .filter_map(|p| {
                            let p = p.as_array()?;
                            Some(Pt {
                                x: p.first()?.as_f64()? as f32,
                                y: p.get(1)?.as_f64()? as f32,
                            })
                        })
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(w) = consent.get("witnessed_by").and_then(|w| w.as_str()) {
        lines.push(format!(
            "{} {w}",
            label(
                "Brukaren kunde inte skriva under; bekräftat av:",
                "The brukare could not sign; confirmed by:"
            )
        ));
        if let Some(r) = consent.get("reason").and_then(|r| r.as_str()) {
            lines.push(format!("{} {r}", label("Skäl:", "Reason:")));
        }
    }
    Ok(pdf::receipt_page(
        &lines,
        &label("Brukarens underskrift:", "The brukare's signature:"),
        &strokes,
    ))
}
