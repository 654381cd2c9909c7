//! What issue 16 added, measured on SQLite and on PostgreSQL in the same
//! run; prints a Markdown table:
//!
//! - the scheduler's tick (`scheduler::tick`) when N brukare's decisions
//!   have just reached their end (N removal orders and R1.11 messages made),
//!   and an idle tick after it (every claim already taken);
//! - an outage report ingested (`POST /v1/events`) while M cases are open
//!   across the municipality (the major outage detection looks at them);
//! - a worker's inbox (`GET /v1/inbox`) among K messages, routed by the
//!   units the reader serves;
//! - the unit's printable card rendered (`GET /v1/units/{id}/card`).
//!
//! PostgreSQL runs when NYCKELFRI_BENCH_POSTGRES_URL or
//! NYCKELFRI_TEST_POSTGRES_URL is set. Run: `cargo bench -p
//! nyckelfri-server --bench routine` (without `--bench`, a small smoke run).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Instant;

use nyckelfri_protocol::{Signer, SoftwareKey};
use nyckelfri_server::{Clock, Config, Server, ServerHandle};
use serde_json::{Value, json};
use sqlx::Connection;

/// 2025-01-15 09:00 Stockholm.
const T0: i64 = 1_736_928_000;
const H: i64 = 3600;

struct Sizes {
    brukare: usize,
    open_cases: usize,
    messages: usize,
    repeats: usize,
}

struct Results {
    tick_first_ms: f64,
    tick_idle_ms: f64,
    report_ms: (f64, f64),
    inbox_ms: (f64, f64),
    card_ms: (f64, f64),
}

async fn start(url: Option<String>, dir: &std::path::Path) -> ServerHandle {
    let mut c = Config::new(dir.join("data"));
    c.listen = "127.0.0.1:0".parse().unwrap();
    c.database_url = url;
    c.clock = Clock::fixed(T0);
    c.max_db_connections = 8;
    c.settings.scheduler_interval_secs = 0;
    c.settings.major_outage_locks = 100_000;
    c.settings.session_ttl_secs = 48 * H;
    Server::start(c).await.unwrap()
}

async fn call(
    http: &reqwest::Client,
    method: &str,
    url: String,
    token: &str,
    body: Option<Value>,
) -> Value {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut r = http.request(m, url).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    resp.json().await.unwrap_or(Value::Null)
}

fn pct(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
    (at(0.5), at(0.99))
}

async fn enroll(http: &reqwest::Client, base: &str, admin: &str, staff: &str) -> String {
    let code = call(
        http,
        "POST",
        format!("{base}/v1/staff/{staff}/enrollment-code"),
        admin,
        Some(json!({})),
    )
    .await;
    let (key, _) = SoftwareKey::generate().unwrap();
    let e = call(
        http,
        "POST",
        format!("{base}/v1/enroll"),
        "",
        Some(json!({"code": code["code"], "public_key": hex::encode(key.public_key().as_bytes())})),
    )
    .await;
    let ch = call(
        http,
        "POST",
        format!("{base}/v1/auth/challenge"),
        "",
        Some(json!({"device_id": e["device_id"]})),
    )
    .await;
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let challenge = b64.decode(ch["challenge"].as_str().unwrap()).unwrap();
    let sig = key
        .sign(&nyckelfri_server::auth::challenge_message(&challenge))
        .unwrap();
    let s = call(
        http,
        "POST",
        format!("{base}/v1/auth/session"),
        "",
        Some(json!({"challenge_id": ch["challenge_id"], "signature": b64.encode(sig)})),
    )
    .await;
    s["session_token"].as_str().unwrap().to_owned()
}

async fn run(url: Option<String>, z: &Sizes) -> Results {
    let dir = tempfile::tempdir().unwrap();
    let s = start(url, dir.path()).await;
    let http = reqwest::Client::new();
    let base = s.url();
    let admin = s.admin_token().to_owned();
    let settings = json!({"coordinator_phone": "+46 8 530 610 00", "day_key_location": "Nyckelskåpet",
        "night_key_location": "Orrens servicehus", "night_patrol_deadline": "17:00",
        "time_zone": "Europe/Stockholm", "night_patrol_phone": "+46 8 530 610 99",
        "acute_key_routine": "Kvittera nyckeln i pärmen."});
    for u in ["u1", "u2"] {
        call(
            &http,
            "POST",
            format!("{base}/v1/units"),
            &admin,
            Some(json!({"id": u, "name": u, "settings": settings})),
        )
        .await;
    }
    for (id, unit, role, serves) in [
        ("cw1", "u1", "care_worker", json!([])),
        ("np1", "u2", "night_patrol", json!(["u1"])),
    ] {
        call(&http, "POST", format!("{base}/v1/staff"), &admin,
            Some(json!({"id": id, "unit_id": unit, "name": id, "role": role, "serves_unit_ids": serves}))).await;
    }
    // Brukare with an installed lock each: half with a decision that has
    // just ended (the scheduler's work), half with long ones (open cases).
    let pool = s.db().pool();
    let n = z.brukare + z.open_cases;
    for i in 0..n {
        let unit = if i % 2 == 0 { "u1" } else { "u2" };
        let ends = if i < z.brukare {
            T0 - 60
        } else {
            T0 + 300 * 24 * H
        };
        sqlx::query("INSERT INTO brukare (id, unit_id, display_name, address, entry_notes, created_at) VALUES ($1, $2, $3, $4, '', $5)")
            .bind(format!("b{i}")).bind(unit).bind(format!("B {i}")).bind(format!("Gatan {i}")).bind(T0)
            .execute(pool).await.unwrap();
        sqlx::query("INSERT INTO decisions (id, brukare_id, starts_at, ends_at, updated_at) VALUES ($1, $2, $3, $4, $3)")
            .bind(format!("d{i}")).bind(format!("b{i}")).bind(T0 - 100 * 24 * H).bind(ends)
            .execute(pool).await.unwrap();
        let (key, _) = SoftwareKey::generate().unwrap();
        sqlx::query("INSERT INTO locks (id, public_key, kind, brukare_id, commissioned_at, installed_at) VALUES ($1, $2, 'door', $3, $4, $4)")
            .bind(format!("l{i}")).bind(key.public_key().as_bytes().to_vec()).bind(format!("b{i}")).bind(T0 - 24 * H)
            .execute(pool).await.unwrap();
    }
    // The scheduler: the first tick does the work, the next finds it done.
    let t = Instant::now();
    let r = nyckelfri_server::scheduler::tick(s.state(), T0)
        .await
        .unwrap();
    let tick_first_ms = t.elapsed().as_secs_f64() * 1e3;
    assert_eq!(r.care_ended as usize, z.brukare);
    let t = Instant::now();
    let r = nyckelfri_server::scheduler::tick(s.state(), T0 + 60)
        .await
        .unwrap();
    let tick_idle_ms = t.elapsed().as_secs_f64() * 1e3;
    assert_eq!(r.care_ended, 0);

    // Outage reports while the other cases are open, by the night patrol
    // (who serves both units: a report on a lock outside one's units is
    // stored as rejected, issue 14).
    let cw = enroll(&http, &base, &admin, "cw1").await;
    let np = enroll(&http, &base, &admin, "np1").await;
    let mut report = Vec::new();
    for i in z.brukare..n {
        let d = json!({"report_id": format!("rep-{i}"), "lock_id": format!("l{i}"), "cause": "jammed",
            "occurred_at": T0, "steps": [{"id": "R2.9", "done_at": T0}]});
        let t = Instant::now();
        let r = call(&http, "POST", format!("{base}/v1/events"), &np,
            Some(json!({"events": [{"id": format!("ev-{i}"), "kind": "outage_report", "occurred_at": T0, "data": d}]}))).await;
        report.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(r["results"][0]["status"], "stored", "{r}");
    }
    // Messages to the night patrol of both units (the reader serves both),
    // put straight into the database (a person sends under a routine step;
    // here only the reading is measured).
    for i in 0..z.messages {
        let unit = if i % 2 == 0 { "u1" } else { "u2" };
        sqlx::query("INSERT INTO messages (id, to_role, unit_id, subject, body, created_at) VALUES ($1, 'night_patrol', $2, 's', 'b', $3)")
            .bind(format!("m{i}")).bind(unit).bind(T0 + i as i64)
            .execute(pool).await.unwrap();
    }
    let mut inbox = Vec::new();
    let mut card = Vec::new();
    for _ in 0..z.repeats {
        let t = Instant::now();
        let m = call(
            &http,
            "GET",
            format!("{base}/v1/inbox?limit=100"),
            &np,
            None,
        )
        .await;
        inbox.push(t.elapsed().as_secs_f64() * 1e3);
        assert!(!m.as_array().unwrap().is_empty());
        let t = Instant::now();
        let r = http
            .get(format!("{base}/v1/units/u1/card?lang=sv"))
            .bearer_auth(&cw)
            .send()
            .await
            .unwrap();
        let bytes = r.bytes().await.unwrap();
        card.push(t.elapsed().as_secs_f64() * 1e3);
        assert!(bytes.starts_with(b"%PDF"));
    }
    s.shutdown().await.unwrap();
    Results {
        tick_first_ms,
        tick_idle_ms,
        report_ms: pct(report),
        inbox_ms: pct(inbox),
        card_ms: pct(card),
    }
}

async fn fresh_pg(base: &str) -> String {
    sqlx::any::install_default_drivers();
    let name = format!("nf_bench_routine_{}", std::process::id());
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

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let z = if full {
        Sizes {
            brukare: 500,
            open_cases: 200,
            messages: 2000,
            repeats: 200,
        }
    } else {
        Sizes {
            brukare: 5,
            open_cases: 5,
            messages: 10,
            repeats: 3,
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
    let sqlite = rt.block_on(run(None, &z));
    let postgres = pg.map(|base| rt.block_on(async { run(Some(fresh_pg(&base).await), &z).await }));
    println!(
        "\nnyckelfri-server, issue 16: {} ended decisions, {} open cases, {} messages, {} cores\n",
        z.brukare,
        z.open_cases,
        z.messages,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!("| measure | SQLite | PostgreSQL |");
    println!("|---|---|---|");
    let cell = |f: &dyn Fn(&Results) -> String| {
        (
            f(&sqlite),
            postgres
                .as_ref()
                .map(f)
                .unwrap_or_else(|| "(not run)".into()),
        )
    };
    let rows: [(&str, (String, String)); 5] = [
        (
            "scheduler tick: decisions just ended → removal orders (ms)",
            cell(&|r| format!("{:.0}", r.tick_first_ms)),
        ),
        (
            "scheduler tick, nothing to do (ms)",
            cell(&|r| format!("{:.1}", r.tick_idle_ms)),
        ),
        (
            "outage report ingested with the open cases (p50 / p99 ms)",
            cell(&|r| format!("{:.1} / {:.1}", r.report_ms.0, r.report_ms.1)),
        ),
        (
            "inbox of 100 among the messages, by served units (p50 / p99 ms)",
            cell(&|r| format!("{:.1} / {:.1}", r.inbox_ms.0, r.inbox_ms.1)),
        ),
        (
            "the unit's card as PDF over HTTP (p50 / p99 ms)",
            cell(&|r| format!("{:.1} / {:.1}", r.card_ms.0, r.card_ms.1)),
        ),
    ];
    for (name, (a, b)) in rows {
        println!("| {name} | {a} | {b} |");
    }
}
