//! The app's real BLE stack (btleplug 0.13 → bluez-async → libdbus) opens
//! a simulated lock through the stand-in BlueZ: scan by service UUID, pick
//! the right door by its advertised tag among several locks, connect,
//! subscribe, Hello, Request in fragments, Result, verified receipt — at the
//! smallest, a typical and the largest MTU.
//!
//! libdbus reads DBUS_SYSTEM_BUS_ADDRESS once per process, so this file
//! holds one test that runs its scenarios in order on one private bus.
//! Run: `cargo test -p nyckelfri-lock --all-features --test ble_exchange`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use btleplug::api::Peripheral as _;
use common::{Fixture, STEP, central, exchange, find_lock, open_link, within};
use nyckelfri_lock::standin::ECHO_CHAR_UUID;
use nyckelfri_protocol::Status;
use nyckelfri_protocol::framing::{MAX_MTU, MIN_MTU};
use nyckelfri_protocol::gatt::{
    ADV_FLAG_LOW_BATTERY, advertised_lock_tag, info_value, uuid_string,
};
use nyckelfri_protocol::messages::{BoltState, LockMode};

const SCAN: Duration = Duration::from_secs(5);

#[test]
fn btleplug_opens_the_right_lock_through_the_standin_bluez() {
    let bus = common::private_bus_for_this_process();
    common::runtime().block_on(async {
        within(Duration::from_secs(120), "whole test", scenarios(bus))
            .await
            .unwrap();
    });
}

async fn scenarios(bus: nyckelfri_lock::standin::PrivateBus) {
    let mut f = Fixture::start(bus, 3).await;
    let central = central().await;

    finds_the_door_by_its_tag_among_several_locks(&mut f, &central).await;
    for mtu in [185, MIN_MTU, MAX_MTU] {
        unlocks_once_at_mtu(&mut f, &central, mtu).await;
    }
}

async fn finds_the_door_by_its_tag_among_several_locks(
    f: &mut Fixture,
    central: &btleplug::platform::Adapter,
) {
    // Lock 2 reports a low battery in its flags; lock 1 does not.
    f.standin.lock(2).unwrap().controls().sim().set_battery(10);
    for (i, low) in [(1, false), (2, true)] {
        let tag = advertised_lock_tag(&f.lock_ids[i]);
        let (p, adv) = find_lock(central, tag, SCAN).await.unwrap();
        let handle = f.standin.lock(i).unwrap();
        assert_eq!(p.address().to_string(), handle.address());
        assert_eq!(adv.tag, tag);
        assert!(!adv.commissioning());
        assert_eq!(adv.low_battery(), low);
        assert_eq!(adv.flags & ADV_FLAG_LOW_BATTERY != 0, low);
        let props = p.properties().await.unwrap().unwrap();
        assert!(
            props
                .services
                .iter()
                .any(|u| u.to_string() == nyckelfri_protocol::gatt::SERVICE_UUID_STR)
        );
        assert_eq!(props.rssi, Some(-60));
    }
}

async fn unlocks_once_at_mtu(f: &mut Fixture, central: &btleplug::platform::Adapter, mtu: usize) {
    let i = 0;
    let handle = f.standin.lock(i).unwrap();
    handle.controls().set_mtu(mtu).unwrap();
    let tag = advertised_lock_tag(&f.lock_ids[i]);
    let (p, _) = find_lock(central, tag, SCAN).await.unwrap();
    let before = handle.with_lock(|l| l.lock().actuations());

    let mut link = open_link(&p).await.unwrap();
    assert_eq!(link.mtu, mtu, "btleplug reads the MTU property");
    assert!(
        p.characteristics()
            .iter()
            .any(|c| c.uuid.to_string() == uuid_string(ECHO_CHAR_UUID)),
        "the stand-in's echo characteristic is there too"
    );
    let info = within(STEP, "read info", p.read(&link.info))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info, info_value());

    let (token, token_id) = f.token(i);
    let request_id = nyckelfri_protocol::request_id_for(
        nyckelfri_lock::scenario::SCENARIO_NOW - 86_400,
        u64::try_from(mtu).unwrap().to_be_bytes(),
    );
    let (hello, _, receipt) = exchange(
        &mut link,
        &f.device,
        &token,
        token_id,
        &f.lock_keys[i],
        request_id,
    )
    .await
    .unwrap();
    assert_eq!(hello.lock_id, f.lock_ids[i]);
    assert_eq!(hello.mode, LockMode::Normal);
    assert_eq!(receipt.status, Status::Ok, "mtu {mtu}");
    assert!(!receipt.repeated);
    assert_eq!(
        handle.with_lock(|l| l.lock().actuations()),
        before + 1,
        "the bolt moved exactly once"
    );
    assert_eq!(handle.with_lock(|l| l.lock().bolt()), BoltState::Unlocked);

    link.close().await.unwrap();
    assert!(!handle.connected());
    assert!(
        !within(STEP, "is_connected", p.is_connected())
            .await
            .unwrap()
            .unwrap()
    );
}
