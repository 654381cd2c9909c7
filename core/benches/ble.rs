//! Opening a door through the core's btleplug transport and the stand-in
//! BlueZ (release build), against a raw write → notify echo over the same
//! stand-in, with no link latency and with 15 ms per message (a connection
//! interval). Prints a table. Run: `cargo bench -p nyckelfri-core --bench ble`.
//! Needs `dbus-daemon`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use btleplug::api::{Central, Manager as _, Peripheral as _, ScanFilter, WriteType};
use btleplug::platform::Manager;
use futures_util::StreamExt;
use nyckelfri_core::time::ManualClocks;
use nyckelfri_core::transport::BleTransport;
use nyckelfri_core::{
    AppConfig, DayBundle, DeviceSigner, HexBytes, LockInfo, NyckelfriApp, SoftwareSigner,
    UnitSettings, UnlockListener, UnlockOutcome, UnlockStep, Visit,
};
use nyckelfri_lock::standin::{LockSpec, PrivateBus, StandIn};
use nyckelfri_lock::{LockConfig, SimulatedLock};
use nyckelfri_protocol::gatt::SERVICE_UUID;
use nyckelfri_protocol::messages::LockMode;
use nyckelfri_protocol::token::{AccessClaims, Scope, issue};
use nyckelfri_protocol::{PublicKey, Signer, SoftwareKey};
use uuid::Uuid;

const NOW: i64 = 1_795_424_400;
const RUNS: usize = 30;
const ECHO_CHAR_UUID: u128 = 0x0754_00fe_340b_426c_9b5f_a367_0fd2_8f8d;

struct Quiet;
impl UnlockListener for Quiet {
    fn on_step(&self, _: UnlockStep) {}
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let bus = PrivateBus::start().expect("dbus-daemon");
    // SAFETY: before any thread or D-Bus connection exists.
    unsafe { std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", bus.address()) };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let signer =
        SoftwareSigner::open_or_create(dir.path().join("k").display().to_string()).unwrap();
    let device = PublicKey::from_sec1(&signer.public_key().unwrap()).unwrap();
    let issuer = SoftwareKey::generate().unwrap().0;
    let lock_key = SoftwareKey::generate().unwrap().0;
    let lock_public = lock_key.public_key();
    let standin = rt
        .block_on(StandIn::start(
            bus.address(),
            vec![LockSpec::new(SimulatedLock::new(
                Box::new(lock_key),
                LockConfig {
                    lock_id: "lock-1".into(),
                    issuers: vec![issuer.public_key()],
                    mode: LockMode::Normal,
                },
                NOW as u64,
            ))],
        ))
        .unwrap();
    let handle = standin.lock(0).unwrap();
    let controls = handle.controls();
    let app = NyckelfriApp::with_parts(
        AppConfig {
            database_path: dir.path().join("app.db").display().to_string(),
            connect_timeout_ms: 10_000,
            message_timeout_ms: 5_000,
            sync_backoff_ms: 50,
        },
        signer.clone() as Arc<dyn DeviceSigner>,
        Arc::new(BleTransport::new().unwrap()),
        Box::new(ManualClocks::new(NOW)),
    )
    .unwrap();
    let claims = AccessClaims {
        token_id: [1; 16],
        staff_id: "s".into(),
        lock_id: "lock-1".into(),
        not_before: (NOW - 3_600) as u64,
        expires: (NOW + 8 * 3_600) as u64,
        issued_at: (NOW - 3_600) as u64,
        decision_id: "d".into(),
        decision_end: (NOW + 86_400) as u64,
        scope: Scope::Care,
        min_epoch: 0,
        device_key: device,
    };
    app.apply_bundle(&DayBundle {
        server_time: NOW,
        units: vec![UnitSettings {
            unit_id: "u".into(),
            name: "U".into(),
            coordinator_phone: "1".into(),
            day_key_location: "c".into(),
            night_key_location: "n".into(),
            night_patrol_deadline: "17:00".into(),
            time_zone: "Europe/Stockholm".into(),
            office_opens: "07:00".into(),
            office_closes: "17:00".into(),
            night_patrol_phone: Some("+46 8 123 456 99".into()),
            acute_key_routine: None,
            acute_key_routine_en: None,
        }],
        locks: vec![LockInfo {
            lock_id: "lock-1".into(),
            public_key: lock_public.as_bytes().to_vec(),
            brukare_id: None,
        }],
        visits: vec![Visit {
            visit_id: "v".into(),
            unit_id: "u".into(),
            lock_id: "lock-1".into(),
            brukare_id: "b".into(),
            brukare_name: "B".into(),
            address: "A".into(),
            starts_at: NOW,
            ends_at: NOW + 1_800,
            no_key_reason: None,
        }],
        shifts: vec![],
        tokens: vec![HexBytes(issue(&claims, &issuer).unwrap())],
        revocation_lists: vec![],
        issuer_key: None,
        issuer_update: None,
    })
    .unwrap();
    let listener: Arc<dyn UnlockListener> = Arc::new(Quiet);

    println!(
        "| latency | whole unlock (app core) | raw connect+discover+subscribe | raw echo round trip | floor = connect + 2 round trips | unlock / floor |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for latency in [Duration::ZERO, Duration::from_millis(15)] {
        controls.set_latency(latency);
        // Warm up (finds and caches the peripheral).
        handle.with_lock(|l| l.controls().advance(1));
        rt.block_on(app.open_door("v".into(), listener.clone()))
            .unwrap();
        let unlock = median(
            (0..RUNS)
                .map(|_| {
                    // A lock's clock moves on between unlocks (a motor takes
                    // seconds); the stand-in's does only when told. Standing
                    // still, after 32 unlocks in one second it would refuse
                    // new request ids of that second (PROTOCOL.md §5.6).
                    handle.with_lock(|l| l.controls().advance(1));
                    let t = Instant::now();
                    let o = rt
                        .block_on(app.open_door("v".into(), listener.clone()))
                        .unwrap();
                    assert!(matches!(o, UnlockOutcome::Opened { .. }), "{o:?}");
                    t.elapsed()
                })
                .collect(),
        );
        let (connect, echo) = rt.block_on(raw_link());
        let floor = connect + 2 * echo;
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "| {} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2}× |",
            latency.as_millis(),
            ms(unlock),
            ms(connect),
            ms(echo),
            ms(floor),
            unlock.as_secs_f64() / floor.as_secs_f64()
        );
    }
    drop(app);
    rt.block_on(standin.shutdown()).unwrap();
}

/// Medians over raw btleplug: connect + discover + subscribe, and a write
/// (with response) → notify round trip on the stand-in's echo characteristic.
async fn raw_link() -> (Duration, Duration) {
    let manager = Manager::new().await.unwrap();
    let adapter = manager.adapters().await.unwrap().remove(0);
    adapter
        .start_scan(ScanFilter {
            services: vec![Uuid::from_u128(SERVICE_UUID)],
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let p = adapter.peripherals().await.unwrap().remove(0);
    adapter.stop_scan().await.unwrap();
    let mut connects = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        p.connect().await.unwrap();
        p.discover_services().await.unwrap();
        let echo = p
            .characteristics()
            .into_iter()
            .find(|c| c.uuid == Uuid::from_u128(ECHO_CHAR_UUID))
            .unwrap();
        p.subscribe(&echo).await.unwrap();
        connects.push(t.elapsed());
        p.disconnect().await.unwrap();
    }
    p.connect().await.unwrap();
    p.discover_services().await.unwrap();
    let echo = p
        .characteristics()
        .into_iter()
        .find(|c| c.uuid == Uuid::from_u128(ECHO_CHAR_UUID))
        .unwrap();
    let mut n = p.notifications().await.unwrap();
    p.subscribe(&echo).await.unwrap();
    let mut times = Vec::new();
    for i in 0..RUNS {
        let t = Instant::now();
        p.write(&echo, &[i as u8; 20], WriteType::WithResponse)
            .await
            .unwrap();
        while let Some(v) = n.next().await {
            if v.uuid == echo.uuid {
                break;
            }
        }
        times.push(t.elapsed());
    }
    p.disconnect().await.unwrap();
    (median(connects), median(times))
}
