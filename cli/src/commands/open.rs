//! `nyckelfri open <visit>`: open a visit's door over Bluetooth, with
//! progress; when it fails, the outage routine's next steps.

use super::{Ctx, display_zone};
use crate::device;
use crate::exit::{CliError, Exit};
use crate::localtime::hhmm;
use crate::progress;
use crate::texts;

const INDENT: &str = "       ";

/// Opens the door of `visit_id`.
pub async fn run(ctx: &Ctx, visit_id: String, timeout_secs: u32) -> Result<(), CliError> {
    let dir = ctx.dir()?;
    device::require_enrolled(&dir)?;
    let app = device::open_with_bluetooth(&dir, timeout_secs)?;
    let visit = app
        .today_visits()?
        .into_iter()
        .find(|v| v.visit_id == visit_id)
        .ok_or_else(|| {
            CliError::new(
                Exit::Failed,
                format!("visit {visit_id} is not on today's list"),
                "run nyckelfri visits to see today's visit ids (nyckelfri sync first if it is empty)",
            )
        })?;
    let tz = display_zone(&app);
    let s = ctx.style;
    s.say(format!(
        "{}  {} · {}",
        hhmm(tz, visit.starts_at),
        s.bold(&visit.brukare_name),
        visit.address
    ));
    let attempt = progress::open_door(&app, &visit.visit_id, s, ctx.lang, INDENT).await?;
    let ms = attempt.millis();
    let opened = texts::opened(&attempt.outcome);
    let text = texts::outcome_text(ctx.lang, &attempt.outcome);
    let steps = texts::next_steps(&app, ctx.lang, &attempt.outcome, Some(&visit.visit_id))?;
    let pending = app.pending_events()?;
    if s.json {
        ctx.print_json(&serde_json::json!({
            "ok": opened,
            "visit_id": visit.visit_id,
            "lock_id": visit.lock_id,
            "outcome": texts::outcome_code(&attempt.outcome),
            "outcome_text": text,
            "ms": ms,
            "next_steps": steps,
            "events_pending": pending,
        }));
    } else {
        progress::print_outcome(s, ctx.lang, &attempt, &steps, INDENT);
        if pending > 0 {
            s.say(s.dim(&format!(
                "  {pending} event{} wait to be sent: nyckelfri sync",
                if pending == 1 { "" } else { "s" }
            )));
        }
    }
    if opened {
        Ok(())
    } else {
        Err(CliError::failed(format!("the door did not open: {text}")).printed())
    }
}
