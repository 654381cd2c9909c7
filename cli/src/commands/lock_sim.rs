//! `nyckelfri lock-sim`: simulated locks behind the stand-in BlueZ on a
//! private D-Bus, for development without a radio. Fresh locks with a
//! fresh issuer, or (`--demo`) the demo municipality's locks trusting the
//! server of `nyckelfri server --demo-data`. Their clocks follow this
//! computer's. Runs until Ctrl-C.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nyckelfri_lock::SimControls;
use nyckelfri_lock::standin::{LockSpec, StandIn};
use nyckelfri_protocol::{PublicKey, Signer, SoftwareKey};
use nyckelfri_server::keys;
use serde::Deserialize;

use super::Ctx;
use super::server::DEMO_LOCKS_FILE;
use crate::device;
use crate::exit::{CliError, Exit};
use crate::files;
use crate::simlocks::{self, LockKey};

/// Where fresh locks' keys are written, in the data directory.
pub const LOCK_SIM_FILE: &str = "lock-sim.json";
/// At most this many fresh locks.
const MAX_LOCKS: usize = 200;

#[derive(Deserialize)]
struct DemoLock {
    lock_id: String,
    pkcs8: String,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn key_error(e: impl std::fmt::Display) -> CliError {
    CliError::failed(format!("cannot make a key: {e}"))
}

/// The demo's locks and the issuer they trust, from DATA_DIR/server.
fn demo_locks(ctx: &Ctx) -> Result<(Vec<LockKey>, PublicKey, String), CliError> {
    let server_dir = ctx.dir()?.join("server");
    let file = server_dir.join(DEMO_LOCKS_FILE);
    if !file.exists() || !server_dir.join(keys::ISSUER_KEY_FILE).exists() {
        return Err(CliError::new(
            Exit::Setup,
            format!("no demo locks in {}", server_dir.display()),
            "start `nyckelfri server --demo-data` first, with the same --data-dir",
        ));
    }
    let text = std::fs::read_to_string(&file)?;
    let list: Vec<DemoLock> = serde_json::from_str(&text)
        .map_err(|e| CliError::failed(format!("{} is not readable: {e}", file.display())))?;
    let keys = list
        .into_iter()
        .map(|l| {
            Ok(LockKey {
                pkcs8: hex::decode(&l.pkcs8)
                    .map_err(|e| CliError::failed(format!("key of {}: {e}", l.lock_id)))?,
                lock_id: l.lock_id,
            })
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    let issuer = keys::load_or_create_issuer(&server_dir, None)?.public_key();
    Ok((keys, issuer, file.display().to_string()))
}

/// `count` fresh locks and a fresh issuer; keys written to DATA_DIR/lock-sim.json.
fn fresh_locks(ctx: &Ctx, count: usize) -> Result<(Vec<LockKey>, PublicKey, String), CliError> {
    if !(1..=MAX_LOCKS).contains(&count) {
        return Err(CliError::new(
            Exit::Usage,
            format!("--count {count} is out of range"),
            format!("give 1 to {MAX_LOCKS}"),
        ));
    }
    let dir = ctx.dir()?;
    device::ensure_private_dir(&dir)?;
    let (issuer, issuer_pkcs8) = SoftwareKey::generate().map_err(key_error)?;
    let mut keys = Vec::new();
    let mut listed = Vec::new();
    for i in 1..=count {
        let (key, pkcs8) = SoftwareKey::generate().map_err(key_error)?;
        let lock_id = format!("lock-{i:04}");
        listed.push(serde_json::json!({
            "lock_id": lock_id,
            "public_key": hex::encode(key.public_key().as_bytes()),
            "pkcs8": hex::encode(&pkcs8),
        }));
        keys.push(LockKey { lock_id, pkcs8 });
    }
    let doc = serde_json::json!({
        "note": "test-only keys of simulated locks; never use them for real locks",
        "issuer": {
            "public_key": hex::encode(issuer.public_key().as_bytes()),
            "pkcs8": hex::encode(&issuer_pkcs8),
        },
        "locks": listed,
    });
    let file = dir.join(LOCK_SIM_FILE);
    let text = serde_json::to_string_pretty(&doc)
        .map_err(|e| CliError::failed(format!("lock keys: {e}")))?;
    files::write_private(&file, text.as_bytes())?;
    Ok((keys, issuer.public_key(), file.display().to_string()))
}

/// Keeps the locks' clocks on this computer's time.
async fn follow_wall_clock(controls: Vec<SimControls>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let now = unix_now();
        for c in &controls {
            c.set_time(now);
        }
    }
}

/// Serves until Ctrl-C.
pub async fn run(ctx: &Ctx, count: usize, demo: bool) -> Result<(), CliError> {
    let (keys, issuer, keys_file) = if demo {
        demo_locks(ctx)?
    } else {
        fresh_locks(ctx, count)?
    };
    let locks = simlocks::build(&keys, &issuer, unix_now())?;
    let controls: Vec<SimControls> = locks.iter().map(|l| l.controls()).collect();
    let bus = simlocks::private_bus()?;
    let specs = locks.into_iter().map(LockSpec::new).collect();
    let standin = StandIn::start(bus.address(), specs).await.map_err(|e| {
        CliError::new(
            Exit::Setup,
            format!("the stand-in BlueZ did not start: {e}"),
            "check that dbus-daemon runs (dbus-daemon --version)",
        )
    })?;
    let clock = tokio::spawn(follow_wall_clock(controls));
    let mut served = Vec::new();
    for i in 0..standin.len() {
        let lock = standin
            .lock(i)
            .map_err(|e| CliError::failed(e.to_string()))?;
        let id = lock.with_lock(|l| l.lock().lock_id().to_owned());
        served.push((id, lock.address(), hex::encode(lock.advertised().tag)));
    }
    let s = &ctx.style;
    if s.json {
        let locks: Vec<_> = served
            .iter()
            .map(|(id, addr, tag)| serde_json::json!({"lock_id": id, "address": addr, "tag": tag}))
            .collect();
        ctx.print_json(&serde_json::json!({
            "ok": true,
            "bus_address": bus.address(),
            "keys_file": keys_file,
            "locks": locks,
        }));
    } else {
        s.say(format!(
            "{} {} simulated locks behind the stand-in BlueZ. In another terminal:",
            s.ok("✓"),
            served.len()
        ));
        s.say(format!(
            "\n  export DBUS_SYSTEM_BUS_ADDRESS='{}'",
            bus.address()
        ));
        s.say("  nyckelfri scan\n");
        for (id, addr, tag) in &served {
            s.say(format!("  {id:<18} {addr}  tag {tag}"));
        }
        s.say(format!("\nKeys (test only): {keys_file}. Ctrl-C stops."));
    }
    let _ = tokio::signal::ctrl_c().await;
    clock.abort();
    // Best effort: the bus goes away right after.
    let _ = standin.shutdown().await;
    drop(bus);
    Ok(())
}
