//! The morning's installation (R1), before the care worker's round: home
//! care orders a lock for a brukare still without one (R1.3, R1.8); the
//! alarm group's technician commissions it, shows the brukare how it works
//! with demonstration keys (R1.9), takes the brukare's signed receipt and
//! agreement (a PDF to keep), and puts the lock in service, after which the
//! night patrol's coordinator and home care are told (R1.10).

use std::path::Path;
use std::sync::Arc;

use nyckelfri_core::guidance::Language;
use nyckelfri_core::{
    AppConfig, BrukareConsent, NyckelfriApp, SignatureStroke, SoftwareSigner, StrokePoint,
    UnlockListener, UnlockOutcome, UnlockStep,
};
use nyckelfri_protocol::PublicKey;
use serde::Serialize;
use serde_json::json;

use super::server_api::Api;
use crate::exit::CliError;
use crate::style::Style;
use crate::texts::Lang;

/// The brukare the demo installs for: care, but no lock yet (R1.2).
pub const BRUKARE: &str = "b-tumba-14";
/// The id the new lock takes.
pub const LOCK: &str = "l-tumba-14";

/// What the installation did.
#[derive(Debug, Clone, Serialize)]
pub struct InstallationReport {
    /// The lock.
    pub lock_id: String,
    /// The home care group's order, and its state at the end ("installed").
    pub order_status: String,
    /// The lock's answer to commissioning ("ok").
    pub commissioned: String,
    /// Demonstration steps that moved the lock, and how many worked.
    pub demonstration_moves: usize,
    /// Of which the lock did.
    pub demonstration_ok: usize,
    /// The signed receipt's checksum, and whether it verifies.
    pub receipt_sha256: String,
    /// Whether the receipt verifies.
    pub receipt_verified: bool,
    /// Size of the receipt PDF handed to the brukare.
    pub receipt_pdf_bytes: usize,
    /// Whether the lock was put in service.
    pub in_service: bool,
}

struct Quiet;
impl UnlockListener for Quiet {
    fn on_step(&self, _: UnlockStep) {}
}

fn opened(o: &UnlockOutcome) -> bool {
    matches!(
        o,
        UnlockOutcome::Opened { .. } | UnlockOutcome::OpenedBatteryLow { .. }
    )
}

/// Plays the installation with a technician's phone of its own.
#[allow(clippy::too_many_arguments)]
pub async fn install(
    dir: &Path,
    api: &Api,
    server_url: &str,
    technician_code: String,
    lock_key: &PublicKey,
    app_config: AppConfig,
    transport: Arc<dyn nyckelfri_core::transport::LockTransport>,
    clocks: Box<dyn nyckelfri_core::time::Clocks>,
    style: Style,
    lang: Lang,
) -> Result<InstallationReport, CliError> {
    let order = api
        .call(
            "POST",
            "/v1/orders/existing-brukare",
            Some(
                json!({ "brukare_id": BRUKARE, "name": "Elsa N.", "phone": "+46 70 123 45 67",
                         "address": "Demogatan 41, 2 tr" }),
            ),
        )
        .await?;
    let order_id = order
        .get("id")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned();
    style.say(format!(
        "       {} home care orders a lock for Elsa N. (R1.3, R1.8): order {order_id}",
        style.ok("✓")
    ));

    let signer = SoftwareSigner::open_or_create(dir.join("technician.key").display().to_string())?;
    let tech = NyckelfriApp::with_parts(app_config, signer, transport, clocks)?;
    let technician = tech
        .enroll(server_url.to_owned(), technician_code, "technician".into())
        .await?;
    // The alarm group books the visit for this technician, now: the
    // order's demonstration and installation keys are theirs alone.
    let now = api
        .call("GET", "/v1/time", None)
        .await?
        .get("server_time")
        .and_then(|v| v.as_i64())
        .unwrap_or_default();
    api.call(
        "POST",
        &format!("/v1/orders/{order_id}/scheduled"),
        Some(json!({ "scheduled_for": now, "technician_id": technician.staff_id })),
    )
    .await?;
    let commissioned = tech
        .commission_lock(
            order_id.clone(),
            LOCK.into(),
            hex::encode(lock_key.as_bytes()),
        )
        .await?;
    style.say(format!(
        "       {} the technician commissions the new lock as {LOCK}: {} (R1.6)",
        if commissioned.status == "ok" {
            style.ok("✓")
        } else {
            style.bad("✗")
        },
        commissioned.status
    ));
    let language = match lang {
        Lang::Sv => Language::Swedish,
        Lang::En => Language::English,
    };
    let steps = tech
        .demonstrate(LOCK.into(), language, Arc::new(Quiet))
        .await?;
    let moves: Vec<_> = steps.iter().filter_map(|s| s.outcome.as_ref()).collect();
    let moved = moves.iter().filter(|o| opened(o)).count();
    style.say(format!(
        "       {} demonstration for the brukare (R1.9): {}",
        if moved == moves.len() {
            style.ok("✓")
        } else {
            style.bad("✗")
        },
        steps
            .iter()
            .map(|s| s.title.clone())
            .collect::<Vec<_>>()
            .join(" → ")
    ));
    // The brukare signs on the screen: a line of strokes.
    let strokes = (0..3)
        .map(|k| SignatureStroke {
            points: (0..24)
                .map(|i| StrokePoint {
                    x: 0.08 + 0.28 * k as f32 + i as f32 * 0.01,
                    y: 0.5 + ((i as f32) * 0.6 + k as f32).sin() * 0.15,
                })
                .collect(),
        })
        .collect();
    let receipt = tech.sign_installation_receipt(
        LOCK.into(),
        BRUKARE.into(),
        "Elsa N.".into(),
        1,
        language,
        BrukareConsent::Signed { strokes },
    )?;
    let verified = tech.verify_installation_receipt(receipt.clone());
    let pdf = tech.installation_receipt_pdf(receipt.clone(), language)?;
    std::fs::write(dir.join("kvittens.pdf"), &pdf)?;
    style.say(format!(
        "       {} receipt and agreement signed, checksum {}…, PDF for the brukare ({} bytes)",
        if verified {
            style.ok("✓")
        } else {
            style.bad("✗")
        },
        receipt.content_sha256.get(..16).unwrap_or_default(),
        pdf.len()
    ));
    let done = tech
        .finish_installation(LOCK.into(), BRUKARE.into(), Arc::new(Quiet))
        .await?;
    tech.sync().await?;
    let order = api
        .call("GET", &format!("/v1/orders/{order_id}"), None)
        .await?;
    let order_status = order
        .get("status")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned();
    style.say(format!(
        "       {} in service; the night patrol's coordinator and home care are told (R1.10); order {order_status}",
        if opened(&done) { style.ok("✓") } else { style.bad("✗") }
    ));
    Ok(InstallationReport {
        lock_id: LOCK.into(),
        order_status,
        commissioned: commissioned.status,
        demonstration_moves: moves.len(),
        demonstration_ok: moved,
        receipt_sha256: receipt.content_sha256,
        receipt_verified: verified,
        receipt_pdf_bytes: pdf.len(),
        in_service: opened(&done),
    })
}
