//! `nyckelfri enroll`: register this device's key with the server using a
//! one-time code from the coordinator.

use nyckelfri_core::NyckelfriError;

use super::Ctx;
use crate::device;
use crate::exit::{CliError, Exit};

/// Enrolls; the device key is created in the data directory if missing.
pub async fn run(ctx: &Ctx, server: String, code: String, label: String) -> Result<(), CliError> {
    let dir = ctx.dir()?;
    device::ensure_private_dir(&dir)?;
    let app = device::open_without_locks(&dir)?;
    let e = app
        .enroll(server.clone(), code, label)
        .await
        .map_err(|e| match e {
            NyckelfriError::Server {
                status: 400 | 401, ..
            } => CliError::new(
                Exit::Setup,
                e.to_string(),
                "the code is wrong, used or expired; ask your coordinator for a new one",
            ),
            NyckelfriError::Network { reason } => CliError::new(
                Exit::Unreachable,
                format!("cannot enroll at {server}: {reason}"),
                "check the server address and the network; enrolling needs the server",
            ),
            NyckelfriError::Server { status: 409, .. } => CliError::new(
                Exit::Setup,
                e.to_string(),
                "this data directory is already enrolled; enroll another person with another --data-dir",
            ),
            e => e.into(),
        })?;
    if ctx.style.json {
        ctx.print_json(&serde_json::json!({
            "ok": true,
            "server": server,
            "device_id": e.device_id,
            "staff_id": e.staff_id,
            "staff_name": e.staff_name,
            "role": e.role,
            "unit_id": e.unit_id,
            "data_dir": dir,
        }));
    } else {
        let s = &ctx.style;
        s.say(format!(
            "{} Enrolled at {server} as {} ({}{}).",
            s.ok("✓"),
            e.staff_name,
            e.role,
            e.unit_id.map(|u| format!(", unit {u}")).unwrap_or_default()
        ));
        s.say(format!(
            "  device id {}; state in {}",
            e.device_id,
            dir.display()
        ));
        s.say("  Next: nyckelfri sync   (fetches today's visits and keys)");
    }
    Ok(())
}
