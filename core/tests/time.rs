//! Trusted time: setting the phone's clock forward or back neither revives
//! an expired key nor kills a valid one; a reboot falls back to the phone's
//! clock floored at the newest trusted time; a sync restores trust.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{HOUR, NOW, World};
use nyckelfri_core::KeyStatus;
use nyckelfri_core::time::TimeSource;

#[test]
fn setting_the_phone_clock_back_does_not_revive_an_expired_key() {
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    w.clocks.advance(9 * HOUR as u64);
    assert!(matches!(
        app.today_visits().unwrap()[0].key_status,
        KeyStatus::Expired { .. }
    ));
    w.clocks.set_wall(NOW);
    assert!(matches!(
        app.today_visits().unwrap()[0].key_status,
        KeyStatus::Expired { .. }
    ));
    assert_eq!(app.trusted_time().unwrap().unix, NOW + 9 * HOUR);
}

#[test]
fn setting_the_phone_clock_forward_does_not_kill_a_valid_key() {
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    w.clocks.set_wall(NOW + 30 * 24 * HOUR);
    assert_eq!(
        app.today_visits().unwrap()[0].key_status,
        KeyStatus::Ready {
            valid_until: NOW + 8 * HOUR
        }
    );
    assert_eq!(
        app.trusted_time().unwrap().source,
        TimeSource::ServerAnchored
    );
}

#[test]
fn anchored_time_survives_an_app_restart_in_the_same_boot() {
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    drop(app);
    w.clocks.advance(HOUR as u64);
    w.clocks.set_wall(NOW - 5 * HOUR);
    let app = w.open_app();
    let t = app.trusted_time().unwrap();
    assert_eq!((t.unix, t.source), (NOW + HOUR, TimeSource::ServerAnchored));
}

#[test]
fn after_a_reboot_the_phone_clock_is_used_but_never_below_the_newest_trusted_time() {
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    w.clocks.advance(2 * HOUR as u64);
    // Reading trusted time moves the high-water mark.
    assert_eq!(app.trusted_time().unwrap().unix, NOW + 2 * HOUR);
    app.today_visits().unwrap();
    let steps = common::Steps::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(app.open_door("visit-1".into(), steps)).unwrap();
    w.clocks.reboot();
    w.clocks.set_wall(NOW - 24 * HOUR);
    let t = app.trusted_time().unwrap();
    assert_eq!(t.source, TimeSource::PhoneClock);
    assert_eq!(t.unix, NOW + 2 * HOUR, "floored at the high-water mark");
    // A sync restores trust.
    let mut b = w.bundle();
    b.server_time = NOW + 3 * HOUR;
    app.apply_bundle(&b).unwrap();
    let t = app.trusted_time().unwrap();
    assert_eq!(
        (t.unix, t.source),
        (NOW + 3 * HOUR, TimeSource::ServerAnchored)
    );
}

#[test]
fn a_phone_clock_set_far_ahead_while_rebooted_does_not_poison_trusted_time() {
    let mut w = World::new(1);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    w.clocks.reboot();
    w.clocks.set_wall(NOW + 365 * 24 * HOUR);
    assert_eq!(app.trusted_time().unwrap().unix, NOW + 365 * 24 * HOUR);
    // The keys look unusable by the wrong phone clock...
    assert!(!matches!(
        app.today_visits().unwrap()[0].key_status,
        KeyStatus::Ready { .. }
    ));
    // ...but without trusted time the lock, whose clock is right, decides: the door opens.
    let steps = common::Steps::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let outcome = rt.block_on(app.open_door("visit-1".into(), steps)).unwrap();
    assert!(
        matches!(outcome, nyckelfri_core::UnlockOutcome::Opened { .. }),
        "{outcome:?}"
    );
    // And the next sync brings the real time back, and the key works.
    let mut b = w.bundle();
    b.server_time = NOW + 60;
    app.apply_bundle(&b).unwrap();
    assert_eq!(app.trusted_time().unwrap().unix, NOW + 60);
    assert!(matches!(
        app.today_visits().unwrap()[0].key_status,
        KeyStatus::Ready { .. }
    ));
}

#[test]
fn keys_valid_until_follows_trusted_time() {
    let mut w = World::new(2);
    let app = w.open_app();
    app.apply_bundle(&w.bundle()).unwrap();
    assert_eq!(app.keys_valid_until().unwrap(), Some(NOW + 8 * HOUR));
    w.clocks.advance(8 * HOUR as u64);
    assert_eq!(app.keys_valid_until().unwrap(), None);
}
