//! `nyckelfri visits`: today's visits and the status of each key, from what
//! the device holds (works offline).

use nyckelfri_core::KeyStatus;
use nyckelfri_core::time::TimeSource;

use super::{Ctx, display_zone};
use crate::device;
use crate::exit::CliError;
use crate::localtime::hhmm;
use crate::texts;

/// Lists the visits.
pub async fn run(ctx: &Ctx) -> Result<(), CliError> {
    let dir = ctx.dir()?;
    device::require_enrolled(&dir)?;
    let app = device::open_without_locks(&dir)?;
    let visits = app.today_visits()?;
    let now = app.trusted_time()?;
    let valid_until = app.keys_valid_until()?;
    let tz = display_zone(&app);
    let trusted = now.source == TimeSource::ServerAnchored;
    if ctx.style.json {
        let list: Vec<_> = visits
            .iter()
            .map(|v| {
                serde_json::json!({
                    "visit_id": v.visit_id,
                    "unit_id": v.unit_id,
                    "brukare": v.brukare_name,
                    "address": v.address,
                    "starts_at": v.starts_at,
                    "ends_at": v.ends_at,
                    "lock_id": v.lock_id,
                    "key_ready": matches!(v.key_status, KeyStatus::Ready { .. }),
                    "key_status": texts::key_status_text(ctx.lang, &v.key_status, tz),
                })
            })
            .collect();
        ctx.print_json(&serde_json::json!({
            "ok": true,
            "trusted_time": now.unix,
            "time_trusted": trusted,
            "keys_valid_until": valid_until,
            "visits": list,
        }));
        return Ok(());
    }
    let s = &ctx.style;
    if visits.is_empty() {
        s.say("No visits today on this device (nyckelfri sync fetches the newest schedule).");
        return Ok(());
    }
    s.say(s.dim(&format!(
        "  {:<11}  {:<40}  {:<14}  {:<22}  key",
        "time", "visit", "brukare", "address"
    )));
    for v in &visits {
        let key = texts::key_status_text(ctx.lang, &v.key_status, tz);
        let key = if matches!(v.key_status, KeyStatus::Ready { .. }) {
            s.ok(&key)
        } else {
            s.warn(&key)
        };
        s.say(format!(
            "  {}–{}  {:<40}  {:<14}  {:<22}  {key}",
            hhmm(tz, v.starts_at),
            hhmm(tz, v.ends_at),
            v.visit_id,
            v.brukare_name,
            v.address
        ));
    }
    s.say(format!(
        "\n  Keys valid until {}. Time {}.",
        valid_until
            .map(|t| hhmm(tz, t))
            .unwrap_or_else(|| "—".into()),
        if trusted {
            "from the server (trusted)"
        } else {
            "from this computer's clock since a restart; sync to restore trust"
        }
    ));
    s.say("  Open a door: nyckelfri open <visit>");
    Ok(())
}
