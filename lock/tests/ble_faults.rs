//! What the app's real BLE stack (btleplug 0.13 over libdbus) sees when a
//! lock misbehaves, injected in the stand-in BlueZ: not advertising (or
//! dead), a failed connect, the link dropping mid-Request, a Result that
//! never comes (and the safe retry that recovers it), garbage
//! notifications, a slow lock, and per-message latency.
//!
//! libdbus reads DBUS_SYSTEM_BUS_ADDRESS once per process, so this file
//! holds one test that runs its scenarios in order on one private bus.
//! Run: `cargo test -p nyckelfri-lock --all-features --test ble_faults`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::{Duration, Instant};

use btleplug::api::{Central as _, CentralEvent, Peripheral as _};
use btleplug::platform::Adapter;
use common::{ClientError, Fixture, STEP, central, exchange, find_lock, open_link, within};
use futures_util::StreamExt;
use nyckelfri_protocol::Status;
use nyckelfri_protocol::exchange::build_request;
use nyckelfri_protocol::framing::{self, FramingError, MIN_MTU};
use nyckelfri_protocol::gatt::advertised_lock_tag;
use nyckelfri_protocol::messages::{BoltState, Command, Message};

/// How long the app scans before it calls a lock unreachable.
const SCAN_TIMEOUT: Duration = Duration::from_millis(1500);

#[test]
fn btleplug_sees_each_injected_fault_as_the_app_must_handle_it() {
    let bus = common::private_bus_for_this_process();
    common::runtime().block_on(async {
        within(Duration::from_secs(180), "whole test", scenarios(bus))
            .await
            .unwrap();
    });
}

async fn scenarios(bus: nyckelfri_lock::standin::PrivateBus) {
    let mut f = Fixture::start(bus, 3).await;
    let central = central().await;

    a_lock_that_does_not_advertise_is_not_found(&f, &central).await;
    a_failed_connect_is_an_error_and_a_retry_connects(&mut f, &central).await;
    a_link_dropped_mid_request_is_seen_and_no_result_comes(&mut f, &central).await;
    a_lost_result_is_recovered_by_retrying_the_request_id(&mut f, &central).await;
    garbage_notifications_fail_reassembly(&f, &central).await;
    a_slow_lock_delays_its_hello(&f, &central).await;
    latency_applies_to_every_message(&mut f, &central).await;
}

async fn a_lock_that_does_not_advertise_is_not_found(f: &Fixture, central: &Adapter) {
    let silent = f.standin.lock(0).unwrap();
    silent.controls().set_advertising(false);
    let dead = f.standin.lock(1).unwrap();
    dead.controls().sim().set_dead(true);
    for i in [0, 1] {
        let started = Instant::now();
        let found = find_lock(central, advertised_lock_tag(&f.lock_ids[i]), SCAN_TIMEOUT).await;
        assert!(
            matches!(found, Err(ClientError::Timeout("scan"))),
            "lock {i}: {found:?}"
        );
        assert!(started.elapsed() >= SCAN_TIMEOUT);
    }
    // Back on the air while the app is scanning: found during that scan.
    dead.controls().sim().set_dead(false);
    let tag = advertised_lock_tag(&f.lock_ids[0]);
    let scan = find_lock(central, tag, Duration::from_secs(5));
    let on_air = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        silent.controls().set_advertising(true);
    };
    let (found, ()) = tokio::join!(scan, on_air);
    assert_eq!(found.unwrap().0.address().to_string(), silent.address());
}

async fn a_failed_connect_is_an_error_and_a_retry_connects(f: &mut Fixture, central: &Adapter) {
    let i = 1;
    let handle = f.standin.lock(i).unwrap();
    let (p, _) = find_lock(central, advertised_lock_tag(&f.lock_ids[i]), STEP)
        .await
        .unwrap();
    handle.controls().fail_next_connects(1);
    let err = within(STEP, "connect", p.connect()).await.unwrap();
    let message = format!("{err:?}");
    assert!(
        message.contains("le-connection-abort-by-local"),
        "BlueZ's error reaches the app: {message}"
    );
    assert!(!handle.connected());

    let mut link = open_link(&p).await.unwrap();
    let (token, token_id) = f.token(i);
    let (_, _, receipt) = exchange(
        &mut link,
        &f.device,
        &token,
        token_id,
        &f.lock_keys[i],
        common::rid(1),
    )
    .await
    .unwrap();
    assert_eq!(receipt.status, Status::Ok);
    link.close().await.unwrap();
}

async fn a_link_dropped_mid_request_is_seen_and_no_result_comes(
    f: &mut Fixture,
    central: &Adapter,
) {
    let i = 2;
    let handle = f.standin.lock(i).unwrap();
    let controls = handle.controls();
    // At the smallest MTU a Request takes about 20 fragments.
    controls.set_mtu(MIN_MTU).unwrap();
    controls.drop_link_after_writes(Some(3));
    let (p, _) = find_lock(central, advertised_lock_tag(&f.lock_ids[i]), STEP)
        .await
        .unwrap();
    let mut events = within(STEP, "events", central.events())
        .await
        .unwrap()
        .unwrap();
    let mut link = open_link(&p).await.unwrap();
    let hello = link.hello().await.unwrap();
    let (token, _) = f.token(i);
    let request = build_request(
        &hello,
        &token,
        Command::Unlock,
        common::rid(2),
        &f.device,
        None,
    )
    .unwrap();
    let sent = link
        .send(&Message::Request(request).encode().unwrap())
        .await;
    assert!(sent.is_err(), "writes fail once the link is gone");
    assert_eq!(handle.written_fragments(), 0, "counter reset by the drop");

    let id = p.id();
    within(STEP, "disconnect event", async {
        while let Some(e) = events.next().await {
            if matches!(&e, CentralEvent::DeviceDisconnected(gone) if *gone == id) {
                return;
            }
        }
        panic!("event stream ended");
    })
    .await
    .unwrap();
    assert!(
        !within(STEP, "is_connected", p.is_connected())
            .await
            .unwrap()
            .unwrap()
    );
    assert!(link.result(Duration::from_millis(500)).await.is_err());
    assert_eq!(handle.with_lock(|l| l.lock().actuations()), 0);

    // Fault cleared: the next connection works.
    controls.drop_link_after_writes(None);
    let mut link = open_link(&p).await.unwrap();
    let (token, token_id) = f.token(i);
    let (_, _, receipt) = exchange(
        &mut link,
        &f.device,
        &token,
        token_id,
        &f.lock_keys[i],
        common::rid(3),
    )
    .await
    .unwrap();
    assert_eq!(receipt.status, Status::Ok);
    link.close().await.unwrap();
}

async fn a_lost_result_is_recovered_by_retrying_the_request_id(f: &mut Fixture, central: &Adapter) {
    let i = 0;
    let handle = f.standin.lock(i).unwrap();
    let (p, _) = find_lock(central, advertised_lock_tag(&f.lock_ids[i]), STEP)
        .await
        .unwrap();
    let before = handle.with_lock(|l| l.lock().actuations());
    handle.controls().drop_next_results(1);
    let (token, token_id) = f.token(i);
    let request_id = common::rid(4);

    let mut link = open_link(&p).await.unwrap();
    let hello = link.hello().await.unwrap();
    let request =
        build_request(&hello, &token, Command::Unlock, request_id, &f.device, None).unwrap();
    link.send(&Message::Request(request).encode().unwrap())
        .await
        .unwrap();
    let lost = link.result(Duration::from_millis(800)).await;
    assert!(matches!(lost, Err(ClientError::Timeout(_))), "{lost:?}");
    assert_eq!(handle.with_lock(|l| l.lock().actuations()), before + 1);
    assert_eq!(handle.with_lock(|l| l.lock().bolt()), BoltState::Unlocked);
    link.close().await.unwrap();

    // The app retries with the same request id: the stored answer, no second actuation.
    let mut link = open_link(&p).await.unwrap();
    let (_, _, receipt) = exchange(
        &mut link,
        &f.device,
        &token,
        token_id,
        &f.lock_keys[i],
        request_id,
    )
    .await
    .unwrap();
    assert_eq!(receipt.status, Status::Ok);
    assert!(receipt.repeated);
    assert_eq!(handle.with_lock(|l| l.lock().actuations()), before + 1);
    link.close().await.unwrap();
}

async fn garbage_notifications_fail_reassembly(f: &Fixture, central: &Adapter) {
    let i = 1;
    let handle = f.standin.lock(i).unwrap();
    handle.controls().set_garbage_notifications(true);
    let (p, _) = find_lock(central, advertised_lock_tag(&f.lock_ids[i]), STEP)
        .await
        .unwrap();
    let mut link = open_link(&p).await.unwrap();
    let hello = link.hello().await;
    assert!(
        matches!(
            hello,
            Err(ClientError::Framing(FramingError::OutOfOrder { .. }))
        ),
        "{hello:?}"
    );
    link.close().await.unwrap();
    handle.controls().set_garbage_notifications(false);
}

async fn a_slow_lock_delays_its_hello(f: &Fixture, central: &Adapter) {
    let i = 2;
    let delay = Duration::from_millis(400);
    let handle = f.standin.lock(i).unwrap();
    handle.controls().set_response_delay(delay);
    let (p, _) = find_lock(central, advertised_lock_tag(&f.lock_ids[i]), STEP)
        .await
        .unwrap();
    let mut link = open_link(&p).await.unwrap();
    let subscribed = Instant::now();
    link.hello().await.unwrap();
    assert!(subscribed.elapsed() >= delay - Duration::from_millis(50));
    link.close().await.unwrap();
    handle.controls().set_response_delay(Duration::ZERO);
}

async fn latency_applies_to_every_message(f: &mut Fixture, central: &Adapter) {
    let i = 0;
    let latency = Duration::from_millis(15);
    let handle = f.standin.lock(i).unwrap();
    let (p, _) = find_lock(central, advertised_lock_tag(&f.lock_ids[i]), STEP)
        .await
        .unwrap();
    handle.controls().set_latency(latency);
    let (token, token_id) = f.token(i);

    let started = Instant::now();
    let mut link = open_link(&p).await.unwrap();
    let (hello, request, receipt) = exchange(
        &mut link,
        &f.device,
        &token,
        token_id,
        &f.lock_keys[i],
        common::rid(5),
    )
    .await
    .unwrap();
    let mtu = link.mtu;
    link.close().await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(receipt.status, Status::Ok);

    // Serial steps, each held back by one latency: connect, the CCCD
    // write, every Hello fragment, the Request's acknowledged last
    // fragment, every Result fragment.
    let hello_frags = fragments(&Message::Hello(hello).encode().unwrap(), mtu);
    let result_frags = 1;
    let request_frags = fragments(&Message::Request(request).encode().unwrap(), mtu);
    let messages = 2 + hello_frags + result_frags;
    assert!(
        elapsed >= latency * u32::try_from(messages).unwrap(),
        "{elapsed:?} for {messages} delayed steps ({request_frags} request fragments)"
    );
    handle.controls().set_latency(Duration::ZERO);
}

fn fragments(message: &[u8], mtu: usize) -> usize {
    framing::fragment(message, mtu).unwrap().len()
}
