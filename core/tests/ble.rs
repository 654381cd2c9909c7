//! The app core opening doors over real btleplug, through the stand-in BlueZ
//! on a private D-Bus, to simulated reference locks: the happy path and each
//! fault, each with its outcome. One test: libdbus reads the bus address
//! once per process.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{NOW, Steps, World};
use nyckelfri_core::transport::BleTransport;
use nyckelfri_core::{
    AppConfig, DeviceSigner, NyckelfriApp, UnlockListener, UnlockOutcome, UnlockStep,
};
use nyckelfri_lock::standin::{LockControls, LockSpec, PrivateBus, StandIn};
use nyckelfri_lock::{LockConfig, SimulatedLock};
use nyckelfri_protocol::messages::LockMode;
use nyckelfri_protocol::{Signer, SoftwareKey};

#[test]
fn doors_open_over_bluetooth_and_every_fault_has_its_outcome() {
    let bus = PrivateBus::start().expect("dbus-daemon (apt-get install dbus-daemon)");
    // SAFETY: set before any thread or D-Bus connection exists in this process.
    unsafe { std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", bus.address()) };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // The world's locks are replaced by stand-in locks with the same keys.
    let mut w = World::new(0);
    let mut specs = Vec::new();
    for i in 1..=3 {
        let key = SoftwareKey::generate().unwrap().0;
        let id = format!("lock-{i}");
        w.lock_keys.insert(id.clone(), key.public_key());
        specs.push(LockSpec::new(SimulatedLock::new(
            Box::new(key),
            LockConfig {
                lock_id: id,
                issuers: vec![w.issuer.public_key()],
                mode: LockMode::Normal,
            },
            NOW as u64,
        )));
    }
    let standin = rt.block_on(StandIn::start(bus.address(), specs)).unwrap();
    let controls = |i: usize| -> LockControls { standin.lock(i).unwrap().controls() };
    let actuations = |i: usize| {
        standin
            .lock(i)
            .unwrap()
            .with_lock(|l| l.lock().actuations())
    };

    let transport = BleTransport::new()
        .unwrap()
        .with_scan_time(Duration::from_millis(1500));
    let app = NyckelfriApp::with_parts(
        AppConfig {
            database_path: w.db_path(),
            connect_timeout_ms: 4_000,
            message_timeout_ms: 1_000,
            sync_backoff_ms: 50,
        },
        w.signer.clone() as Arc<dyn DeviceSigner>,
        Arc::new(transport),
        Box::new(w.clocks.clone()),
    )
    .unwrap();
    app.apply_bundle(&w.bundle()).unwrap();
    let open = |visit: &str| -> (UnlockOutcome, Vec<UnlockStep>, Duration) {
        let steps = Steps::new();
        let listener: Arc<dyn UnlockListener> = steps.clone();
        let started = Instant::now();
        let outcome = rt.block_on(app.open_door(visit.into(), listener)).unwrap();
        (outcome, steps.seen(), started.elapsed())
    };

    // The right door among three, found by its advertised tag.
    let (outcome, steps, took) = open("visit-2");
    assert!(
        matches!(outcome, UnlockOutcome::Opened { .. }),
        "{outcome:?}"
    );
    assert_eq!(
        steps,
        [
            UnlockStep::Searching,
            UnlockStep::Connecting,
            UnlockStep::Verifying,
            UnlockStep::Open
        ]
    );
    assert_eq!((actuations(0), actuations(1), actuations(2)), (0, 1, 0));
    assert!(took < Duration::from_secs(2), "{took:?}");
    // Again, through the cached peripheral handle.
    assert!(matches!(open("visit-2").0, UnlockOutcome::Opened { .. }));
    assert_eq!(actuations(1), 2);

    // Not advertising: not found, nothing sent.
    controls(0).set_advertising(false);
    let (outcome, steps, _) = open("visit-1");
    assert_eq!(outcome, UnlockOutcome::LockNotFound);
    assert!(!steps.contains(&UnlockStep::Connecting), "{steps:?}");
    controls(0).set_advertising(true);

    // A connect that fails once is retried.
    controls(0).fail_next_connects(1);
    assert!(matches!(open("visit-1").0, UnlockOutcome::Opened { .. }));
    assert_eq!(actuations(0), 1);

    // The link drops while the Request is being written: link lost, the
    // door never moved, and the reconnect could not finish either.
    controls(2).drop_link_after_writes(Some(2));
    let (outcome, steps, _) = open("visit-3");
    assert_eq!(outcome, UnlockOutcome::LinkLost, "{steps:?}");
    assert!(steps.contains(&UnlockStep::Retrying));
    assert_eq!(actuations(2), 0);
    controls(2).drop_link_after_writes(None);

    // The Result is lost after the bolt moved: the retry with the same
    // request id gets the lock's stored answer; the door moved once.
    controls(2).drop_next_results(1);
    let (outcome, _, _) = open("visit-3");
    let UnlockOutcome::Opened { receipt } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(receipt.repeated);
    assert_eq!(actuations(2), 1);

    // Garbage on the link: never an opening, never a panic.
    controls(0).set_garbage_notifications(true);
    let (outcome, _, _) = open("visit-1");
    assert_eq!(outcome, UnlockOutcome::LinkLost);
    assert_eq!(actuations(0), 1);
    controls(0).set_garbage_notifications(false);

    // A 15 ms connection interval: still opens.
    controls(0).set_latency(Duration::from_millis(15));
    let (outcome, steps, took) = open("visit-1");
    assert_eq!(steps.len(), 4, "no retry: {steps:?}");
    assert!(
        matches!(outcome, UnlockOutcome::Opened { .. }),
        "{outcome:?}"
    );
    assert!(took >= Duration::from_millis(45), "{took:?}");
    println!("15 ms latency: {took:?}");
    controls(0).set_latency(Duration::ZERO);

    // A lock slower than the message timeout.
    controls(0).set_response_delay(Duration::from_millis(1_500));
    let (outcome, _, _) = open("visit-1");
    assert_eq!(outcome, UnlockOutcome::LinkLost);
    controls(0).set_response_delay(Duration::ZERO);
    // The slow lock's late messages do not hold up the next visit.
    let (outcome, _, took) = open("visit-1");
    assert!(
        matches!(outcome, UnlockOutcome::Opened { .. }),
        "{outcome:?}"
    );
    assert!(took < Duration::from_millis(900), "{took:?}");

    let events = app.recent_events(100).unwrap();
    assert!(events.iter().any(|e| e.kind == "unlock_failed"));
    drop(app);
    rt.block_on(standin.shutdown()).unwrap();
    drop(bus);
}
