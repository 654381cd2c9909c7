//! The core's costs on the host (release build): opening a store that holds
//! 10,000 tokens and 500 visits, finding the key for a lock among them, and
//! one whole unlock over the in-memory transport (our CPU time: two P-256
//! signatures and three verifications across phone and lock, SQLite commits,
//! no radio). Run: `cargo bench -p nyckelfri-core`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use nyckelfri_core::time::ManualClocks;
use nyckelfri_core::transport::{MemoryTransport, SimulatedLockSet};
use nyckelfri_core::{
    AppConfig, DayBundle, DeviceSigner, HexBytes, LockInfo, NyckelfriApp, SoftwareSigner,
    UnitSettings, UnlockListener, UnlockOutcome, UnlockStep, Visit,
};
use nyckelfri_lock::{LockConfig, SimulatedLock};
use nyckelfri_protocol::messages::LockMode;
use nyckelfri_protocol::token::{AccessClaims, Scope, issue};
use nyckelfri_protocol::{PublicKey, Signer, SoftwareKey};

const NOW: i64 = 1_795_424_400;
const LOCKS: usize = 500;
const TOKENS: usize = 10_000;

struct Quiet;
impl UnlockListener for Quiet {
    fn on_step(&self, _: UnlockStep) {}
}

fn big_bundle(issuer: &SoftwareKey, device: &PublicKey, lock_keys: &[PublicKey]) -> DayBundle {
    let mut tokens = Vec::with_capacity(TOKENS);
    for i in 0..TOKENS {
        let lock = i % LOCKS;
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&(i as u64).to_be_bytes());
        // Twenty keys per lock, spread over the day and the days before.
        let start = NOW - 3_600 - (i / LOCKS) as i64 * 2 * 3_600;
        tokens.push(HexBytes(
            issue(
                &AccessClaims {
                    token_id: id,
                    staff_id: "staff-1".into(),
                    lock_id: format!("lock-{lock}"),
                    not_before: start as u64,
                    expires: (start + 8 * 3_600) as u64,
                    issued_at: start as u64,
                    decision_id: format!("d-{lock}"),
                    decision_end: (NOW + 86_400 * 30) as u64,
                    scope: Scope::Care,
                    min_epoch: 0,
                    device_key: device.clone(),
                },
                issuer,
            )
            .unwrap(),
        ));
    }
    DayBundle {
        server_time: NOW,
        units: vec![UnitSettings {
            unit_id: "u".into(),
            name: "Unit".into(),
            coordinator_phone: "1".into(),
            day_key_location: "cabinet".into(),
            night_key_location: "central".into(),
            night_patrol_deadline: "17:00".into(),
            time_zone: "Europe/Stockholm".into(),
            office_opens: "07:00".into(),
            office_closes: "17:00".into(),
            night_patrol_phone: Some("+46 8 123 456 99".into()),
            acute_key_routine: None,
            acute_key_routine_en: None,
        }],
        locks: (0..LOCKS)
            .map(|i| LockInfo {
                lock_id: format!("lock-{i}"),
                public_key: lock_keys[i].as_bytes().to_vec(),
                brukare_id: None,
            })
            .collect(),
        visits: (0..LOCKS)
            .map(|i| Visit {
                visit_id: format!("visit-{i}"),
                unit_id: "u".into(),
                lock_id: format!("lock-{i}"),
                brukare_id: format!("b-{i}"),
                brukare_name: format!("Brukare {i}"),
                address: format!("Gatan {i}"),
                starts_at: NOW + i as i64 * 60,
                ends_at: NOW + i as i64 * 60 + 1_800,
                no_key_reason: None,
            })
            .collect(),
        shifts: vec![],
        tokens,
        revocation_lists: vec![],
        issuer_key: None,
        issuer_update: None,
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let signer =
        SoftwareSigner::open_or_create(dir.path().join("k").display().to_string()).unwrap();
    let device = PublicKey::from_sec1(&signer.public_key().unwrap()).unwrap();
    let issuer = SoftwareKey::generate().unwrap().0;
    let locks = SimulatedLockSet::new();
    let mut lock_keys = Vec::new();
    for i in 0..LOCKS {
        let key = SoftwareKey::generate().unwrap().0;
        lock_keys.push(key.public_key());
        locks.add(SimulatedLock::new(
            Box::new(key),
            LockConfig {
                lock_id: format!("lock-{i}"),
                issuers: vec![issuer.public_key()],
                mode: LockMode::Normal,
            },
            NOW as u64,
        ));
    }
    let config = AppConfig {
        database_path: dir.path().join("app.db").display().to_string(),
        connect_timeout_ms: 5_000,
        message_timeout_ms: 5_000,
        sync_backoff_ms: 50,
    };
    let open = || {
        NyckelfriApp::with_parts(
            config.clone(),
            signer.clone() as Arc<dyn DeviceSigner>,
            Arc::new(MemoryTransport::new(locks.clone())),
            Box::new(ManualClocks::new(NOW)),
        )
        .unwrap()
    };
    let app = open();
    app.apply_bundle(&big_bundle(&issuer, &device, &lock_keys))
        .unwrap();
    let held: i64 = rusqlite_count(&config.database_path);
    println!(
        "store holds {held} tokens and {} visits",
        app.today_visits().unwrap().len()
    );

    c.bench_function("open a store with 10,000 tokens and 500 visits", |b| {
        b.iter(|| drop(open()))
    });
    c.bench_function("find the key for one lock among 10,000", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i += 1;
            app.key_status(format!("lock-{}", i % LOCKS)).unwrap()
        })
    });
    c.bench_function("today's 500 visits with their key status", |b| {
        b.iter(|| app.today_visits().unwrap())
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener: Arc<dyn UnlockListener> = Arc::new(Quiet);
    let mut n = 0usize;
    c.bench_function("one whole unlock, in-memory transport", |b| {
        b.iter(|| {
            n += 1;
            let outcome = rt
                .block_on(app.open_door(format!("visit-{}", n % LOCKS), listener.clone()))
                .unwrap();
            assert!(
                matches!(outcome, UnlockOutcome::Opened { .. }),
                "{outcome:?}"
            );
        })
    });
}

fn rusqlite_count(path: &str) -> i64 {
    // Read the file itself, so the figure is what is stored.
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM tokens", [], |r| r.get(0))
        .unwrap()
}

criterion_group!(benches, bench);
criterion_main!(benches);
