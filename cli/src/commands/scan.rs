//! `nyckelfri scan`: the Nyckelfri locks advertising nearby, through BlueZ
//! (or the stand-in of `nyckelfri lock-sim` when `DBUS_SYSTEM_BUS_ADDRESS`
//! points at its bus). Filters on the service UUID and decodes the
//! advertised tag and flags; a tag is named when it is the lock of one of
//! today's visits on this device.

use std::collections::HashMap;
use std::time::Duration;

use btleplug::api::{Central, Manager as _, Peripheral as _, ScanFilter};
use btleplug::platform::{Adapter, Manager};
use nyckelfri_protocol::gatt::{AdvertisedLock, SERVICE_UUID, advertised_lock_tag};
use serde::Serialize;
use uuid::Uuid;

use super::Ctx;
use crate::device;
use crate::exit::{CliError, Exit};

/// How long to wait for BlueZ to answer at all.
const BLUEZ_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Serialize)]
struct Found {
    address: String,
    tag: String,
    commissioning: bool,
    low_battery: bool,
    rssi: Option<i16>,
    company_id: u16,
    lock_id: Option<String>,
}

fn unavailable(reason: impl std::fmt::Display) -> CliError {
    CliError::new(
        Exit::Setup,
        format!("Bluetooth is not available: {reason}"),
        "check that Bluetooth is on and bluetoothd runs; for simulated locks start \
         `nyckelfri lock-sim` and export the DBUS_SYSTEM_BUS_ADDRESS it prints",
    )
}

async fn adapter() -> Result<Adapter, CliError> {
    let manager = Manager::new().await.map_err(unavailable)?;
    manager
        .adapters()
        .await
        .map_err(unavailable)?
        .into_iter()
        .next()
        .ok_or_else(|| unavailable("no Bluetooth adapter"))
}

/// Tags of the locks on today's visits, if this device is enrolled.
fn known_locks(ctx: &Ctx) -> HashMap<[u8; 8], String> {
    let Ok(dir) = ctx.dir() else {
        return HashMap::new();
    };
    if device::require_enrolled(&dir).is_err() {
        return HashMap::new();
    }
    device::open_without_locks(&dir)
        .ok()
        .and_then(|app| app.today_visits().ok())
        .unwrap_or_default()
        .into_iter()
        .map(|v| (advertised_lock_tag(&v.lock_id), v.lock_id))
        .collect()
}

/// Scans for `seconds` and lists what advertised.
pub async fn run(ctx: &Ctx, seconds: u64) -> Result<(), CliError> {
    let known = known_locks(ctx);
    let adapter = tokio::time::timeout(BLUEZ_TIMEOUT, adapter())
        .await
        .map_err(|_| unavailable("BlueZ did not answer"))??;
    adapter
        .start_scan(ScanFilter {
            services: vec![Uuid::from_u128(SERVICE_UUID)],
        })
        .await
        .map_err(unavailable)?;
    ctx.style
        .say(ctx.style.dim(&format!("Scanning for {seconds} s…")));
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let peripherals = adapter.peripherals().await.map_err(unavailable);
    // Always stop: scanning drains the battery.
    let _ = adapter.stop_scan().await;
    let mut found = Vec::new();
    for p in peripherals? {
        let Ok(Some(props)) = p.properties().await else {
            continue;
        };
        for (company, data) in &props.manufacturer_data {
            if let Some(adv) = AdvertisedLock::decode(data) {
                found.push(Found {
                    address: props.address.to_string(),
                    tag: hex::encode(adv.tag),
                    commissioning: adv.commissioning(),
                    low_battery: adv.low_battery(),
                    rssi: props.rssi,
                    company_id: *company,
                    lock_id: known.get(&adv.tag).cloned(),
                });
            }
        }
    }
    found.sort_by(|a, b| b.rssi.cmp(&a.rssi).then(a.address.cmp(&b.address)));
    if ctx.style.json {
        ctx.print_json(&serde_json::json!({ "ok": true, "locks": found }));
        return Ok(());
    }
    let s = &ctx.style;
    if found.is_empty() {
        s.say("No Nyckelfri locks found nearby.");
        return Ok(());
    }
    s.say(s.dim(&format!(
        "  {:<17}  {:<16}  {:>5}  {:<22}  lock",
        "address", "tag", "rssi", "flags"
    )));
    for f in &found {
        let mut flags = Vec::new();
        if f.commissioning {
            flags.push("commissioning");
        }
        if f.low_battery {
            flags.push("low battery");
        }
        s.say(format!(
            "  {:<17}  {:<16}  {:>5}  {:<22}  {}",
            f.address,
            f.tag,
            f.rssi.map(|r| r.to_string()).unwrap_or_else(|| "?".into()),
            if flags.is_empty() {
                "-".into()
            } else {
                flags.join(", ")
            },
            f.lock_id.as_deref().unwrap_or("")
        ));
    }
    s.say(format!("  {} Nyckelfri lock(s).", found.len()));
    Ok(())
}
