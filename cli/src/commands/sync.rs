//! `nyckelfri sync`: send the recorded events, fetch today's visits and keys.

use nyckelfri_core::NyckelfriError;

use super::{Ctx, display_zone};
use crate::device;
use crate::exit::CliError;
use crate::localtime::hhmm;

/// Syncs once (with the core's retries and backoff).
pub async fn run(ctx: &Ctx) -> Result<(), CliError> {
    let dir = ctx.dir()?;
    device::require_enrolled(&dir)?;
    let app = device::open_without_locks(&dir)?;
    let report = match app.sync().await {
        Ok(r) => r,
        Err(e @ NyckelfriError::Network { .. }) => {
            let waiting = app.pending_events().unwrap_or(0);
            let mut err = CliError::from(e);
            err.message = format!(
                "{}; {waiting} events wait on this device, nothing is lost",
                err.message
            );
            return Err(err);
        }
        Err(e) => return Err(e.into()),
    };
    let pending = app.pending_events()?;
    let tz = display_zone(&app);
    let valid_until = app.keys_valid_until()?;
    if ctx.style.json {
        ctx.print_json(&serde_json::json!({
            "ok": true,
            "events_sent": report.events_sent,
            "visits": report.visits,
            "keys": report.keys,
            "server_time": report.server_time,
            "events_pending": pending,
            "keys_valid_until": valid_until,
        }));
    } else {
        let s = &ctx.style;
        s.say(format!(
            "{} Synced: {} events sent; {} visits and {} keys for today; keys valid until {}.",
            s.ok("✓"),
            report.events_sent,
            report.visits,
            report.keys,
            valid_until
                .map(|t| hhmm(tz, t))
                .unwrap_or_else(|| "—".into())
        ));
        if pending > 0 {
            s.say(s.warn(&format!("  {pending} events still wait; sync again later.")));
        }
    }
    Ok(())
}
