//! `nyckelfri demo`: the product doing its job, end to end, in one command.
//! A server on SQLite in a temporary folder with the demo municipality,
//! simulated locks (behind the stand-in BlueZ, or in memory), this device
//! enrolled and synced as a care worker, and the worker's day played on a
//! demo clock. Ends with a summary (table or JSON) and a check on the
//! server that every event arrived exactly once.

mod backend;
mod clock;
mod coordinator;
mod day;
mod evening;
mod fleet;
mod installation;
mod report;
mod server_api;

use std::collections::HashMap;
use std::time::Instant;

use chrono::NaiveDate;
use nyckelfri_core::{AppConfig, NyckelfriApp, SoftwareSigner};

use crate::exit::CliError;
use crate::localtime::{self, hhmm};
use crate::simlocks::{self, LockKey};
use crate::style::Style;
use crate::texts::Lang;
use backend::Backend;
use clock::DayClock;
use day::Stage;
pub use fleet::{Medium, prepare};
use report::{DemoReport, Worker};

/// The care worker whose day is played: eight visits, all at working locks.
const WORKER: &str = "st-tumba-cw2";
/// The coordinator of the worker's unit, who works the day's outage case.
const COORDINATOR: &str = "st-tumba-koord";
/// When the worker's day starts (the day shift), local time.
const SHIFT_START: (u32, u32) = (7, 0);

/// Whether the demo's evening (19:00 on `date`) is the routine's weekend
/// for the demo units (07:00-17:00): then R2.13, else R2.12.
fn demo_is_weekend(date: NaiveDate) -> bool {
    date.and_hms_opt(19, 0, 0).is_some_and(|t| {
        nyckelfri_calendar::is_weekend(t, nyckelfri_calendar::OfficeHours::STANDARD)
    })
}

/// Plays the day and returns its summary (already printed unless `--json`).
pub async fn run(
    medium: Medium,
    date: Option<NaiveDate>,
    style: Style,
    lang: Lang,
) -> Result<DemoReport, CliError> {
    let started = Instant::now();
    let tz = localtime::DEFAULT_TZ;
    let date = date.unwrap_or_else(|| localtime::today(tz));
    let start = localtime::at(tz, date, SHIFT_START.0, SHIFT_START.1)
        .ok_or_else(|| CliError::failed(format!("{date} has no {SHIFT_START:?} local time")))?;
    let dir = tempfile::Builder::new()
        .prefix("nyckelfri-demo-")
        .tempdir()?;
    let mut clock = DayClock::new(start);

    style.say(style.bold("Nyckelfri demo: a care worker's day, on the same core the phones run"));
    let backend = Backend::start(dir.path(), clock.server.clone()).await?;
    let demo = backend.load_demo(date, start).await?;
    style.say(format!(
        "  server  {} (SQLite in {})",
        backend.url,
        backend.data_dir().display()
    ));
    style.say(format!(
        "  data    demo municipality for {}: {} units, {} brukare, {} visits, {} locks",
        demo.date, demo.units, demo.brukare, demo.visits, demo.locks
    ));

    let keys = demo
        .new_lock_keys
        .iter()
        .map(|k| {
            Ok(LockKey {
                lock_id: k.lock_id.clone(),
                pkcs8: hex::decode(&k.pkcs8_hex)
                    .map_err(|e| CliError::failed(format!("demo lock key: {e}")))?,
            })
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    let mut locks = simlocks::build(&keys, &backend.issuer()?, u64::try_from(start).unwrap_or(0))?;
    // A lock still in its box for the morning's installation; the
    // technician presses its setup button when fitting it.
    let (new_key, _) = nyckelfri_protocol::SoftwareKey::generate()
        .map_err(|e| CliError::failed(format!("a key for the new lock: {e}")))?;
    let new_lock_key = nyckelfri_protocol::Signer::public_key(&new_key);
    let new_lock = nyckelfri_lock::SimulatedLock::new(
        Box::new(new_key),
        nyckelfri_lock::LockConfig::factory_new(),
        u64::try_from(start).unwrap_or(0),
    );
    new_lock.controls().press_setup_button();
    locks.push(new_lock);
    let fleet = fleet::Fleet::start(medium, locks).await?;
    clock.add_locks(fleet.controls());
    style.say(format!("  locks   {}", fleet.note));

    let signer =
        SoftwareSigner::open_or_create(dir.path().join("device.key").display().to_string())?;
    let app = NyckelfriApp::with_parts(
        AppConfig {
            database_path: dir.path().join("app.sqlite3").display().to_string(),
            connect_timeout_ms: fleet.connect_timeout_ms(),
            message_timeout_ms: fleet.message_timeout_ms(),
            sync_backoff_ms: 20,
        },
        signer,
        fleet.transport.clone(),
        Box::new(clock.phone.clone()),
    )?;
    let code = demo
        .enrollment_codes
        .iter()
        .find(|(_, c)| c.staff_id == WORKER)
        .map(|(_, c)| c.code.clone())
        .ok_or_else(|| CliError::failed(format!("the demo data has no {WORKER}")))?;
    let enrollment = app
        .enroll(backend.url.clone(), code, "nyckelfri demo".into())
        .await?;
    style.say(format!(
        "  worker  {} ({}, {}), this device enrolled as {}",
        enrollment.staff_name,
        enrollment.role,
        enrollment.unit_id.as_deref().unwrap_or("no unit"),
        enrollment.device_id
    ));
    style.say("");
    let first = app.sync().await?;
    let visits = app.today_visits()?;
    let valid_until = app.keys_valid_until()?.map(|t| hhmm(tz, t));
    style.say(format!(
        "{}  {} synced: {} visits and {} keys for today; keys valid until {}.",
        hhmm(tz, clock.now()),
        style.dim("⇅"),
        first.visits,
        first.keys,
        valid_until.as_deref().unwrap_or("—")
    ));

    // Before the round: the alarm group installs a lock (R1).
    style.say(format!(
        "{}  {}",
        hhmm(tz, clock.now()),
        style.bold("Installation at Elsa N. (R1)")
    ));
    let technician_code = demo
        .enrollment_codes
        .iter()
        .find(|(role, _)| role.as_str() == "alarm_technician")
        .map(|(_, c)| c.code.clone())
        .ok_or_else(|| CliError::failed("the demo data has no alarm technician".to_owned()))?;
    let api = server_api::Api::new(&backend.url, &backend.admin_token()?);
    let install = installation::install(
        dir.path(),
        &api,
        &backend.url,
        technician_code,
        &new_lock_key,
        AppConfig {
            database_path: dir.path().join("technician.sqlite3").display().to_string(),
            connect_timeout_ms: fleet.connect_timeout_ms(),
            message_timeout_ms: fleet.message_timeout_ms(),
            sync_backoff_ms: 20,
        },
        fleet.transport.clone(),
        Box::new(clock.phone.clone()),
        style,
        lang,
    )
    .await?;
    style.say("");

    let mut stage = Stage {
        app,
        backend,
        fleet,
        clock,
        style,
        lang,
        tz,
    };
    let played = day::play(&mut stage, &visits).await?;

    // On the server: every event id from this device, each exactly once.
    let stored = stage.backend.stored_events(&enrollment.device_id).await?;
    let outbox = stage.app.recent_events(100_000)?;
    let mut copies: HashMap<&str, usize> = HashMap::new();
    for (id, _) in &stored {
        *copies.entry(id.as_str()).or_default() += 1;
    }
    let delivered = outbox
        .iter()
        .filter(|e| copies.contains_key(e.event_id.as_str()))
        .count();
    let duplicated: usize = copies.values().map(|c| c.saturating_sub(1)).sum();
    let pending = stage.app.pending_events()?;
    let all_once = delivered == outbox.len() && duplicated == 0;
    style.say(format!(
        "       {} server check: {} of {} event ids from this phone stored, each once ({} duplicates).",
        if all_once { style.ok("✓") } else { style.bad("✗") },
        delivered,
        outbox.len(),
        duplicated
    ));

    // The coordinator handles the outage the worker reported (R2.7,
    // R2.10-R2.12), from the coordinator's own phone.
    let coordinator_code = demo
        .enrollment_codes
        .iter()
        .find(|(_, c)| c.staff_id == COORDINATOR)
        .map(|(_, c)| c.code.clone())
        .ok_or_else(|| CliError::failed(format!("the demo data has no {COORDINATOR}")))?;
    let coordinator_phone = NyckelfriApp::with_parts(
        AppConfig {
            database_path: dir.path().join("coordinator.sqlite3").display().to_string(),
            connect_timeout_ms: stage.fleet.connect_timeout_ms(),
            message_timeout_ms: stage.fleet.message_timeout_ms(),
            sync_backoff_ms: 20,
        },
        SoftwareSigner::open_or_create(dir.path().join("coordinator.key").display().to_string())?,
        stage.fleet.transport.clone(),
        Box::new(stage.clock.phone.clone()),
    )?;
    coordinator_phone
        .enroll(
            stage.backend.url.clone(),
            coordinator_code,
            "koordinator".into(),
        )
        .await?;
    let cases = coordinator::handle_open_cases(
        &stage.backend.url,
        &stage.backend.admin_token()?,
        &coordinator_phone,
    )
    .await?;
    drop(coordinator_phone);
    for c in &cases {
        style.say(format!(
            "       {} coordinator: outage at {} (decision {}, R2.7) → alarm group told (R2.11) → night patrol told at {} before {} (R2.12) → lock working again (R2.10).",
            if c.night_patrol_in_time && c.closed { style.ok("✓") } else { style.bad("✗") },
            c.lock_id.as_deref().unwrap_or("an unknown lock"),
            c.decision,
            c.night_patrol_told_at.map(|t| crate::localtime::hhmm(stage.tz, t)).unwrap_or_else(|| "—".into()),
            crate::localtime::hhmm(stage.tz, c.night_patrol_deadline_at),
        ));
    }

    // The evening: a lock dead after the coordinators have gone home.
    let evening = evening::play(&mut stage, dir.path(), &demo, date).await?;
    let weekend = demo_is_weekend(date);

    let mut report = DemoReport {
        ok: false,
        transport: stage.fleet.kind,
        transport_note: stage.fleet.note.clone(),
        date: demo.date.clone(),
        worker: Worker {
            staff_id: enrollment.staff_id.clone(),
            name: enrollment.staff_name.clone(),
            unit_id: enrollment.unit_id.clone(),
        },
        visits_scheduled: visits.len(),
        visits: played.visits,
        offline_attempts: played.offline_attempts,
        offline_opens: played.offline_opens,
        offline_sync_failed_as_expected: played.offline_sync_failed,
        events_created: outbox.len(),
        events_delivered: delivered,
        events_duplicated_on_server: duplicated,
        events_pending: pending,
        coordinator: cases,
        installation: install,
        evening,
        evening_is_weekend: weekend,
        problems: Vec::new(),
        elapsed_ms: 0,
    };

    let Stage {
        app,
        backend,
        fleet,
        ..
    } = stage;
    drop(app);
    backend.shutdown().await?;
    fleet.shutdown().await;
    drop(dir);
    report.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    report.check();
    Ok(report)
}
