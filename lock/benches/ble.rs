//! Time of one full unlock exchange through the app's real BLE stack
//! (btleplug → bluez-async → libdbus) and the stand-in BlueZ, by phase,
//! against a raw write→notify echo round trip over the same path; with no
//! added latency and with 15 ms per message (an iPhone's shortest
//! connection interval). Prints a Markdown table.
//!
//! Run: `cargo bench -p nyckelfri-lock --all-features --bench ble`
//! (without `--bench`, e.g. under `cargo test --all-targets`, it makes two
//! runs of each as a smoke test).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use btleplug::api::{Peripheral as _, WriteType};
use btleplug::platform::Peripheral;
use common::{Fixture, STEP, central, find_lock, open_link, within};
use futures_util::StreamExt;
use nyckelfri_lock::standin::{ECHO_CHAR_UUID, LockHandle};
use nyckelfri_protocol::exchange::{build_request, verify_result};
use nyckelfri_protocol::gatt::advertised_lock_tag;
use nyckelfri_protocol::messages::{Command, Message};
use nyckelfri_protocol::{Status, request_id_for};
use uuid::Uuid;

const LATENCIES_MS: [u64; 2] = [0, 15];

/// Per-run durations of each phase of one unlock.
#[derive(Default)]
struct Unlock {
    open: Vec<Duration>,
    hello: Vec<Duration>,
    request_result: Vec<Duration>,
    disconnect: Vec<Duration>,
    total: Vec<Duration>,
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let runs = if full { 30 } else { 2 };
    let bus = common::private_bus_for_this_process();
    common::runtime().block_on(async {
        within(Duration::from_secs(600), "bench", bench(bus, runs))
            .await
            .unwrap();
    });
}

async fn bench(bus: nyckelfri_lock::standin::PrivateBus, runs: usize) {
    let mut f = Fixture::start(bus, 1).await;
    let central = central().await;
    let handle = f.standin.lock(0).unwrap();
    let (p, _) = find_lock(&central, advertised_lock_tag(&f.lock_ids[0]), STEP)
        .await
        .unwrap();
    let mut rows: Vec<(u64, Duration, Unlock)> = Vec::new();
    for latency_ms in LATENCIES_MS {
        handle
            .controls()
            .set_latency(Duration::from_millis(latency_ms));
        let echo = echo_round_trips(&p, runs * 2).await;
        let unlock = unlocks(&mut f, &p, &handle, runs, latency_ms).await;
        rows.push((latency_ms, median(echo), unlock));
    }
    print_table(runs, usize::from(p.mtu()), &rows);
}

/// Connected once: each run writes 20 bytes to Echo with response and
/// waits for the notification carrying them back.
async fn echo_round_trips(p: &Peripheral, runs: usize) -> Vec<Duration> {
    let link = open_link(p).await.unwrap();
    let echo = p
        .characteristics()
        .into_iter()
        .find(|c| c.uuid == Uuid::from_u128(ECHO_CHAR_UUID))
        .unwrap();
    let mut notifications = within(STEP, "notifications", p.notifications())
        .await
        .unwrap()
        .unwrap();
    within(STEP, "subscribe echo", p.subscribe(&echo))
        .await
        .unwrap()
        .unwrap();
    let mut out = Vec::with_capacity(runs);
    for run in 0..runs {
        let value = vec![u8::try_from(run % 256).unwrap(); 20];
        let started = Instant::now();
        within(
            STEP,
            "echo write",
            p.write(&echo, &value, WriteType::WithResponse),
        )
        .await
        .unwrap()
        .unwrap();
        within(STEP, "echo", async {
            while let Some(n) = notifications.next().await {
                if n.uuid == echo.uuid && n.value == value {
                    return;
                }
            }
            panic!("notification stream ended");
        })
        .await
        .unwrap();
        out.push(started.elapsed());
    }
    link.close().await.unwrap();
    out
}

/// Full unlocks from a disconnected start, timed by phase.
async fn unlocks(
    f: &mut Fixture,
    p: &Peripheral,
    handle: &LockHandle,
    runs: usize,
    series: u64,
) -> Unlock {
    let (token, token_id) = f.token(0);
    let lock_key = f.lock_keys[0].clone();
    let mut u = Unlock::default();
    for run in 0..runs {
        // A lock's clock moves on between unlocks (a motor takes seconds);
        // the stand-in's does only when told.
        handle.with_lock(|l| l.controls().advance(1));
        let t0 = Instant::now();
        let mut link = open_link(p).await.unwrap();
        let t1 = Instant::now();
        let hello = link.hello().await.unwrap();
        let t2 = Instant::now();
        // Fresh per run and per series: a repeated id would get the stored answer.
        let request_id = request_id_for(
            hello.lock_time,
            ((series << 32) | u64::try_from(run).unwrap()).to_be_bytes(),
        );
        let request =
            build_request(&hello, &token, Command::Unlock, request_id, &f.device, None).unwrap();
        link.send(&Message::Request(request.clone()).encode().unwrap())
            .await
            .unwrap();
        let result = link.result(STEP).await.unwrap();
        let t3 = Instant::now();
        link.close().await.unwrap();
        let t4 = Instant::now();
        let receipt = verify_result(&result, &hello, &request, token_id, &lock_key).unwrap();
        assert_eq!(receipt.status, Status::Ok);
        assert!(!handle.connected());
        u.open.push(t1 - t0);
        u.hello.push(t2 - t1);
        u.request_result.push(t3 - t2);
        u.disconnect.push(t4 - t3);
        u.total.push(t4 - t0);
    }
    u
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn print_table(runs: usize, mtu: usize, rows: &[(u64, Duration, Unlock)]) {
    println!(
        "\nBLE through btleplug + stand-in BlueZ, MTU {mtu}, median of {runs} runs (echo: {})\n",
        runs * 2
    );
    let mut header = String::from("| step |");
    let mut rule = String::from("|---|");
    for (latency, _, _) in rows {
        header.push_str(&format!(" latency {latency} ms |"));
        rule.push_str("---:|");
    }
    println!("{header}\n{rule}");
    let line = |name: &str, pick: &dyn Fn(&(u64, Duration, Unlock)) -> Duration| {
        let cells: Vec<String> = rows.iter().map(|r| ms(pick(r))).collect();
        println!("| {name} | {} |", cells.join(" | "));
    };
    line("echo: write (with response) → notify", &|r| r.1);
    line("unlock: connect + discover + subscribe", &|r| {
        median(r.2.open.clone())
    });
    line("unlock: → Hello", &|r| median(r.2.hello.clone()));
    line("unlock: Request → Result", &|r| {
        median(r.2.request_result.clone())
    });
    line("unlock: disconnect", &|r| median(r.2.disconnect.clone()));
    line("unlock: whole exchange", &|r| median(r.2.total.clone()));
}
