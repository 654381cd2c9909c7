//! Server throughput and latency over HTTP on loopback, on SQLite and on
//! PostgreSQL in the same run; prints a Markdown table.
//!
//! - tokens issued per second: 100 clients (each its own device and
//!   worker) asking `POST /v1/tokens` for the visit open now; each answer
//!   is a freshly signed token recorded for revocation;
//! - the bundle for one worker's day (8 visits, 8 locks): p50/p99 with 100
//!   clients fetching at once, first fetch (issues 8 tokens) and repeat
//!   fetches (re-uses them);
//! - events ingested per second: 100 clients posting batches of 50 `unlock`
//!   events, each with the lock's receipt, which the server verifies against
//!   the lock's key (issue 14);
//! - the authorization policy's decision per request (route lookup and the
//!   caller's scope), in nanoseconds, in process.
//!
//! PostgreSQL runs when NYCKELFRI_BENCH_POSTGRES_URL or
//! NYCKELFRI_TEST_POSTGRES_URL is set (a fresh database is made in it).
//! Client and server share the machine's cores, as on a small server.
//!
//! Run: `cargo bench -p nyckelfri-server` (without `--bench`, e.g. under
//! `cargo test --benches`, it makes a small smoke run).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use nyckelfri_protocol::token::{AccessClaims, Scope, issue};
use nyckelfri_protocol::{Signer, SoftwareKey};
use nyckelfri_server::{Clock, Config, Server, ServerHandle};
use serde_json::{Value, json};
use sqlx::Connection;

/// 2025-01-15 09:00 Stockholm.
const T0: i64 = 1_736_928_000;
/// 2025-01-15 00:00 Stockholm.
const DAY0: i64 = 1_736_895_600;
const H: i64 = 3600;

struct Sizes {
    workers: usize,
    visits_per_worker: usize,
    token_requests_per_client: usize,
    bundle_repeats: usize,
    event_batches_per_client: usize,
    events_per_batch: usize,
}

struct Results {
    tokens_per_sec: f64,
    bundle_first: (f64, f64),
    bundle_repeat: (f64, f64),
    events_per_sec: f64,
    bundle_tokens: usize,
}

struct Client {
    token: String,
    lock_now: String,
    lock_key: SoftwareKey,
}

async fn post(http: &reqwest::Client, url: String, token: &str, body: &Value) -> Value {
    let r = http
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{status}: {v}");
    v
}

async fn start(url: Option<String>, dir: &std::path::Path) -> ServerHandle {
    let mut c = Config::new(dir.join("data"));
    c.listen = "127.0.0.1:0".parse().unwrap();
    c.database_url = url;
    c.clock = Clock::fixed(T0);
    c.max_db_connections = 16;
    // A hundred phones from one loopback address: not a flood.
    c.settings.rate_limits.per_address_burst = 100_000;
    c.settings.rate_limits.per_address_per_minute = 100_000;
    Server::start(c).await.unwrap()
}

async fn seed(s: &ServerHandle, http: &reqwest::Client, z: &Sizes) -> Vec<Client> {
    let mut lock_keys = Vec::new();
    let base = s.url();
    let admin = s.admin_token().to_owned();
    let settings = json!({"coordinator_phone": "+46 8 530 610 00", "day_key_location": "Nyckelskåpet",
        "night_key_location": "Orrens servicehus", "night_patrol_deadline": "17:00", "time_zone": "Europe/Stockholm"});
    post(
        http,
        format!("{base}/v1/units"),
        &admin,
        &json!({"id": "u1", "name": "Bench", "settings": settings}),
    )
    .await;
    let n = z.workers;
    for i in 0..n {
        post(
            http,
            format!("{base}/v1/staff"),
            &admin,
            &json!({"id": format!("w{i}"), "unit_id": "u1", "name": "W", "role": "care_worker"}),
        )
        .await;
        post(http, format!("{base}/v1/brukare"), &admin,
            &json!({"id": format!("b{i}"), "unit_id": "u1", "display_name": "B.", "address": "Demogatan 1", "entry_notes": "Portkod 1234"})).await;
        post(http, format!("{base}/v1/decisions"), &admin,
            &json!({"id": format!("d{i}"), "brukare_id": format!("b{i}"), "starts_at": 0, "ends_at": DAY0 + 400 * 24 * H})).await;
        // Home care's order: a grant only for an open installation order.
        post(http, format!("{base}/v1/orders/existing-brukare"), &admin,
            &json!({"id": format!("o{i}"), "brukare_id": format!("b{i}"), "name": "B.", "phone": "+46 8 1",
                    "address": "Demogatan 1"})).await;
        let (k, _) = SoftwareKey::generate().unwrap();
        post(http, format!("{base}/v1/locks"), &admin,
            &json!({"lock_id": format!("l{i}"), "public_key": hex::encode(k.public_key().as_bytes()),
                    "order_id": format!("o{i}")})).await;
        lock_keys.push(k);
        post(
            http,
            format!("{base}/v1/locks/l{i}/install"),
            &admin,
            &json!({"brukare_id": format!("b{i}")}),
        )
        .await;
    }
    // The day's visits, imported as a planning system's CSV: visit 0 is
    // open now (08:45–09:30), the others spread over the day.
    let mut csv = String::from("kind,id,brukare_id,decision_id,staff_id,starts,ends,service\n");
    for w in 0..n {
        for k in 0..z.visits_per_worker {
            let b = (w + k * 13) % n;
            let start = 8 * 60 + 45 + (k as i64) * 75;
            let (h1, m1) = (start / 60, start % 60);
            let (h2, m2) = ((start + 45) / 60, (start + 45) % 60);
            csv.push_str(&format!(
                "visit,v{w}-{k},b{b},d{b},w{w},2025-01-15 {h1:02}:{m1:02},2025-01-15 {h2:02}:{m2:02},Insats\n"
            ));
        }
    }
    let r = http
        .post(format!("{base}/v1/import/csv"))
        .bearer_auth(&admin)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    // One enrolled device and session per worker.
    let mut clients = Vec::with_capacity(n);
    let mut lock_keys = lock_keys.into_iter();
    for w in 0..n {
        let code = post(
            http,
            format!("{base}/v1/staff/w{w}/enrollment-code"),
            &admin,
            &json!({}),
        )
        .await;
        let (key, _) = SoftwareKey::generate().unwrap();
        let e = post(
            http,
            format!("{base}/v1/enroll"),
            "-",
            &json!({"code": code["code"], "public_key": hex::encode(key.public_key().as_bytes())}),
        )
        .await;
        let dev = e["device_id"].as_str().unwrap().to_owned();
        let ch = post(
            http,
            format!("{base}/v1/auth/challenge"),
            "-",
            &json!({"device_id": dev}),
        )
        .await;
        let challenge = base64::engine::general_purpose::STANDARD
            .decode(ch["challenge"].as_str().unwrap())
            .unwrap();
        let sig = key
            .sign(&nyckelfri_server::auth::challenge_message(&challenge))
            .unwrap();
        let sess = post(
            http,
            format!("{base}/v1/auth/session"),
            "-",
            &json!({"challenge_id": ch["challenge_id"], "signature": hex::encode(sig)}),
        )
        .await;
        clients.push(Client {
            token: sess["session_token"].as_str().unwrap().to_owned(),
            lock_now: format!("l{w}"),
            lock_key: lock_keys.next().unwrap(),
        });
    }
    clients
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn run(url: Option<String>, z: &Sizes) -> Results {
    let dir = tempfile::tempdir().unwrap();
    let s = start(url, dir.path()).await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let clients = Arc::new(seed(&s, &http, z).await);
    let base = s.url();

    // Bundles: first fetch issues, repeats re-use.
    let mut first = Vec::new();
    let mut repeat = Vec::new();
    let mut bundle_tokens = 0;
    // Each client's key for its own lock (visit 0), for the receipts.
    let mut keys: Vec<(String, Vec<u8>)> = vec![(String::new(), Vec::new()); clients.len()];
    for round in 0..=z.bundle_repeats {
        let mut tasks = Vec::new();
        for c in clients.iter() {
            let (http, url, token) = (http.clone(), format!("{base}/v1/bundle"), c.token.clone());
            let lock = c.lock_now.clone();
            tasks.push(tokio::spawn(async move {
                let t = Instant::now();
                let r = http.get(url).bearer_auth(token).send().await.unwrap();
                assert!(r.status().is_success());
                let v: Value = r.json().await.unwrap();
                let own = v["tokens"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|t| t["lock_id"] == lock.as_str())
                    .map(|t| {
                        (
                            t["token_id"].as_str().unwrap().to_owned(),
                            base64::engine::general_purpose::STANDARD
                                .decode(t["token"].as_str().unwrap())
                                .unwrap(),
                        )
                    });
                (
                    t.elapsed().as_secs_f64() * 1000.0,
                    v["tokens"].as_array().unwrap().len(),
                    own,
                )
            }));
        }
        for (i, t) in tasks.into_iter().enumerate() {
            let (ms, n, own) = t.await.unwrap();
            if round == 0 {
                first.push(ms);
                bundle_tokens = n;
                keys[i] = own.expect("a key for the client's own lock");
            } else {
                repeat.push(ms);
            }
        }
    }
    first.sort_by(|a, b| a.total_cmp(b));
    repeat.sort_by(|a, b| a.total_cmp(b));

    // Tokens on demand.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..clients.len() {
        let (http, clients, base) = (http.clone(), clients.clone(), base.clone());
        let n = z.token_requests_per_client;
        tasks.push(tokio::spawn(async move {
            let c = &clients[i];
            for _ in 0..n {
                post(
                    &http,
                    format!("{base}/v1/tokens"),
                    &c.token,
                    &json!({"lock_id": c.lock_now}),
                )
                .await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let tokens_per_sec =
        (clients.len() * z.token_requests_per_client) as f64 / started.elapsed().as_secs_f64();

    // Events: `unlock` with the lock's signed receipt (made before the
    // clock starts: the phones made them at the doors).
    let batches_of: Vec<Vec<Value>> = clients
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (0..z.event_batches_per_client)
                .map(|b| {
                    json!({"events": (0..z.events_per_batch)
                        .map(|e| unlock_event(&format!("c{i}-b{b}-e{e}"), c, &keys[i], (b * 1000 + e) as u64))
                        .collect::<Vec<_>>()})
                })
                .collect()
        })
        .collect();
    let batches_of = Arc::new(batches_of);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..clients.len() {
        let (http, clients, base) = (http.clone(), clients.clone(), base.clone());
        let batches_of = batches_of.clone();
        let per = z.events_per_batch;
        tasks.push(tokio::spawn(async move {
            let c = &clients[i];
            for batch in &batches_of[i] {
                let r = post(&http, format!("{base}/v1/events"), &c.token, batch).await;
                assert_eq!(r["stored"].as_u64().unwrap() as usize, per, "{r}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let events_per_sec = (clients.len() * z.event_batches_per_client * z.events_per_batch) as f64
        / started.elapsed().as_secs_f64();

    s.shutdown().await.unwrap();
    Results {
        tokens_per_sec,
        bundle_first: (pct(&first, 0.5), pct(&first, 0.99)),
        bundle_repeat: (pct(&repeat, 0.5), pct(&repeat, 0.99)),
        events_per_sec,
        bundle_tokens,
    }
}

/// An `unlock` event as the app sends it, with a receipt the client's lock
/// signed over the client's key.
fn unlock_event(id: &str, c: &Client, key: &(String, Vec<u8>), counter: u64) -> Value {
    use nyckelfri_protocol::keys::sha256;
    use nyckelfri_protocol::messages::{BoltState, Command, LockMode};
    use nyckelfri_protocol::transcript::{ReceiptFacts, receipt_transcript};
    let nonce = [counter as u8; 16];
    let request_id = sha256(id.as_bytes())[..16].try_into().unwrap();
    let facts = ReceiptFacts {
        lock_id: &c.lock_now,
        nonce: &nonce,
        issuers: &[],
        token_hash: &sha256(&key.1),
        command: Command::Unlock as u8,
        request_id: &request_id,
        status: nyckelfri_protocol::Status::Ok,
        counter,
        lock_time: T0 as u64,
        bolt: BoltState::Unlocked,
        repeated: false,
        battery: 90,
        mode: LockMode::Normal,
    };
    let sig = c
        .lock_key
        .sign(&receipt_transcript(&facts).unwrap())
        .unwrap();
    json!({"id": id, "kind": "unlock", "occurred_at": T0, "lock_id": c.lock_now,
        "data": {"lock_id": c.lock_now, "request_id": hex::encode(request_id), "token_id": key.0,
                 "status": "ok", "counter": counter, "lock_time": T0, "bolt": "unlocked",
                 "battery": 90, "repeated": false,
                 "receipt": {"nonce": hex::encode(nonce), "signature": hex::encode(sig),
                             "command": 1, "status": 0, "bolt": 1, "battery": 90, "mode": 2,
                             "issuers": []}}})
}

/// The policy's decision per request, in process: the route's entry by
/// method and template, then the caller's scope. Nanoseconds.
fn policy_decision_ns(seconds: f64) -> f64 {
    use nyckelfri_server::model::Role;
    use nyckelfri_server::policy::{Policy, Principal};
    let policy = Policy::builtin().unwrap();
    let routes: Vec<(axum::http::Method, String)> = nyckelfri_server::api::route_table()
        .into_iter()
        .map(|(m, p)| (axum::http::Method::from_bytes(m.as_bytes()).unwrap(), p))
        .collect();
    let who = [
        Principal::Role(Role::CareWorker),
        Principal::Role(Role::Coordinator),
        Principal::Admin,
    ];
    let t = Instant::now();
    let mut n = 0u64;
    let mut allowed = 0u64;
    while t.elapsed().as_secs_f64() < seconds {
        for _ in 0..1000 {
            let (m, p) = &routes[(n as usize) % routes.len()];
            let op = policy.route_index(m, p).unwrap();
            if policy.decide(op, who[(n as usize) % who.len()]).is_some() {
                allowed += 1;
            }
            n += 1;
        }
    }
    std::hint::black_box(allowed);
    t.elapsed().as_secs_f64() * 1e9 / n as f64
}

async fn fresh_pg(base: &str) -> String {
    sqlx::any::install_default_drivers();
    let name = format!("nf_bench_{}", std::process::id());
    let mut conn = sqlx::AnyConnection::connect(base).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let head = base.split('?').next().unwrap();
    let cut = head.rfind('/').unwrap();
    format!("{}/{name}", &head[..cut])
}

fn signing_rate(seconds: f64) -> f64 {
    let (issuer, _) = SoftwareKey::generate().unwrap();
    let (device, _) = SoftwareKey::generate().unwrap();
    let mut claims = AccessClaims {
        token_id: [0; 16],
        staff_id: "w1".into(),
        lock_id: "l1".into(),
        not_before: 1,
        expires: 1000,
        issued_at: 1,
        decision_id: "d1".into(),
        decision_end: 2000,
        scope: Scope::Care,
        min_epoch: 0,
        device_key: device.public_key(),
    };
    let t = Instant::now();
    let mut n = 0u64;
    while t.elapsed().as_secs_f64() < seconds {
        claims.token_id[0] = n as u8;
        std::hint::black_box(issue(&claims, &issuer).unwrap());
        n += 1;
    }
    n as f64 / t.elapsed().as_secs_f64()
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let z = if full {
        Sizes {
            workers: 100,
            visits_per_worker: 8,
            token_requests_per_client: 30,
            bundle_repeats: 10,
            event_batches_per_client: 10,
            events_per_batch: 50,
        }
    } else {
        Sizes {
            workers: 4,
            visits_per_worker: 3,
            token_requests_per_client: 2,
            bundle_repeats: 1,
            event_batches_per_client: 1,
            events_per_batch: 5,
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let pg = std::env::var("NYCKELFRI_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("NYCKELFRI_TEST_POSTGRES_URL"))
        .ok()
        .filter(|u| !u.is_empty());
    let deadline = Duration::from_secs(1200);
    let sqlite =
        rt.block_on(async { tokio::time::timeout(deadline, run(None, &z)).await.unwrap() });
    let postgres = pg.map(|base| {
        rt.block_on(async {
            let url = fresh_pg(&base).await;
            tokio::time::timeout(deadline, run(Some(url), &z))
                .await
                .unwrap()
        })
    });
    let sign = signing_rate(if full { 2.0 } else { 0.1 });
    let decision = policy_decision_ns(if full { 2.0 } else { 0.05 });

    let cell = |f: &dyn Fn(&Results) -> String| -> (String, String) {
        (
            f(&sqlite),
            postgres
                .as_ref()
                .map(f)
                .unwrap_or_else(|| "(not run)".into()),
        )
    };
    println!(
        "\nnyckelfri-server, {} workers x {} visits, {} concurrent clients, {} cores\n",
        z.workers,
        z.visits_per_worker,
        z.workers,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!("| benchmark | SQLite | PostgreSQL |");
    println!("|---|---:|---:|");
    let rows: Vec<(&str, (String, String))> = vec![
        (
            "tokens issued/s (POST /v1/tokens)",
            cell(&|r| format!("{:.0}", r.tokens_per_sec)),
        ),
        (
            "bundle, first fetch p50 (ms)",
            cell(&|r| format!("{:.1}", r.bundle_first.0)),
        ),
        (
            "bundle, first fetch p99 (ms)",
            cell(&|r| format!("{:.1}", r.bundle_first.1)),
        ),
        (
            "bundle, repeat fetch p50 (ms)",
            cell(&|r| format!("{:.1}", r.bundle_repeat.0)),
        ),
        (
            "bundle, repeat fetch p99 (ms)",
            cell(&|r| format!("{:.1}", r.bundle_repeat.1)),
        ),
        (
            "tokens in one bundle",
            cell(&|r| format!("{}", r.bundle_tokens)),
        ),
        (
            "events ingested/s (batches of 50, receipts verified)",
            cell(&|r| format!("{:.0}", r.events_per_sec)),
        ),
    ];
    for (name, (a, b)) in rows {
        println!("| {name} | {a} | {b} |");
    }
    println!("| token signing alone, 1 thread (/s) | {sign:.0} | |");
    println!("| policy decision per request, 1 thread (ns) | {decision:.0} | |");
}
