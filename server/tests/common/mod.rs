//! The test harness: a real server on loopback over SQLite (always) and
//! PostgreSQL (when NYCKELFRI_TEST_POSTGRES_URL is set; with CI=true it
//! must be set, or the PostgreSQL tests fail).
#![allow(dead_code)]

pub mod smtp;

use std::path::PathBuf;

use nyckelfri_protocol::{Signer, SoftwareKey};
use nyckelfri_server::{Clock, Config, Server, ServerHandle};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

/// 2025-01-15 09:00 in Stockholm (08:00 UTC), a Wednesday.
pub const T0: i64 = 1_736_928_000;
/// 2025-01-15 00:00 in Stockholm.
pub const DAY0: i64 = 1_736_895_600;
/// An hour.
pub const H: i64 = 3600;
/// The default token margin.
pub const MARGIN: i64 = 45 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a test body once per backend: `backend_test!(name, body_fn);`
/// makes `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! backend_test {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$body($crate::common::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::common::postgres_enabled() {
                    super::$body($crate::common::Backend::Postgres).await;
                }
            }
        }
    };
}

/// Whether to run the PostgreSQL variant. Under CI it is required.
pub fn postgres_enabled() -> bool {
    match std::env::var("NYCKELFRI_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => true,
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "CI=true but NYCKELFRI_TEST_POSTGRES_URL is not set: the PostgreSQL tests \
                     must run in CI (eval \"$(bash .ci/postgres.sh)\")"
                );
            }
            eprintln!("NYCKELFRI_TEST_POSTGRES_URL not set: PostgreSQL variant skipped");
            false
        }
    }
}

/// A fresh, empty database URL for `backend` (a new PostgreSQL database,
/// or a SQLite file in `dir`).
pub async fn fresh_database(backend: Backend, dir: &std::path::Path) -> Option<String> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => {
            let base = std::env::var("NYCKELFRI_TEST_POSTGRES_URL").unwrap();
            sqlx::any::install_default_drivers();
            let name = format!(
                "nf_test_{}",
                hex::encode(nyckelfri_server::codec::random_bytes::<6>().unwrap())
            );
            let mut conn = sqlx::AnyConnection::connect(&base).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            conn.close().await.unwrap();
            let _ = dir;
            Some(with_database(&base, &name))
        }
    }
}

/// `base` with its database name replaced.
pub fn with_database(base: &str, name: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (base, None),
    };
    let scheme_end = head.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = head[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(head.len());
    let mut url = format!("{}/{}", &head[..path_start], name);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// A running server with a client and the admin token.
pub struct TestServer {
    pub handle: ServerHandle,
    pub client: reqwest::Client,
    pub base: String,
    pub admin: String,
    pub clock: Clock,
    pub dir: tempfile::TempDir,
    pub backend: Backend,
    pub database_url: Option<String>,
}

/// A response: status and JSON body.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
}

impl Resp {
    /// Asserts the status, returns the body.
    #[track_caller]
    pub fn ok(self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "body: {}", self.body);
        self.body
    }

    /// Asserts an error with `status` and `code`, returns the body.
    #[track_caller]
    pub fn err(self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.body["error"], code, "body: {}", self.body);
        assert!(
            self.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "error without a message: {}",
            self.body
        );
        self.body
    }
}

/// An enrolled device with a session.
pub struct Device {
    pub id: String,
    pub key: SoftwareKey,
    pub token: String,
    pub staff_id: String,
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestServer {
        // A server fault (500) is logged with its cause; shown with the
        // failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(tracing_subscriber::EnvFilter::new("nyckelfri_server=error"))
            .try_init();
        let dir = tempfile::tempdir().unwrap();
        let database_url = fresh_database(backend, dir.path()).await;
        let clock = Clock::fixed(T0);
        let mut config = Config::new(dir.path().join("data"));
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.database_url = database_url.clone();
        config.clock = clock.clone();
        config.max_db_connections = 8;
        // Tests move the clock by hours; sessions expiring is tested on its own.
        config.settings.session_ttl_secs = 48 * H;
        // The scheduler runs when a test says so (scheduler::tick), on the
        // pinned clock.
        config.settings.scheduler_interval_secs = 0;
        tweak(&mut config);
        let handle = Server::start(config).await.unwrap();
        let base = handle.url();
        let admin = handle.admin_token().to_owned();
        TestServer {
            handle,
            client: reqwest::Client::new(),
            base,
            admin,
            clock,
            dir,
            backend,
            database_url,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub async fn req(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut r = self.client.request(m, format!("{}{}", self.base, path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        let pdf = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes() == b"application/pdf");
        if pdf {
            // A printable card: what a caller gets is a PDF, its size here.
            let bytes = resp.bytes().await.unwrap();
            assert!(bytes.starts_with(b"%PDF-"), "{method} {path}: not a PDF");
            return Resp {
                status,
                body: serde_json::json!({"pdf_bytes": bytes.len()}),
            };
        }
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{method} {path}: not JSON ({status}): {text:?}"));
        Resp { status, body }
    }

    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        // The server may answer a body it will not read (413) and close the
        // connection: never hand that connection back to the pool, or the
        // next request fails with a broken pipe.
        let oversized = body.len() > 1024 * 1024;
        let mut r = self
            .client
            .request(m, format!("{}{}", self.base, path))
            .body(body);
        if oversized {
            r = r.header("connection", "close");
        }
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(ct) = content_type {
            r = r.header("content-type", ct);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        let pdf = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes() == b"application/pdf");
        if pdf {
            // A printable card: what a caller gets is a PDF, its size here.
            let bytes = resp.bytes().await.unwrap();
            assert!(bytes.starts_with(b"%PDF-"), "{method} {path}: not a PDF");
            return Resp {
                status,
                body: serde_json::json!({"pdf_bytes": bytes.len()}),
            };
        }
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{method} {path}: not JSON ({status}): {text:?}"));
        Resp { status, body }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.req("GET", path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.req("POST", path, Some(token), Some(body)).await
    }

    pub async fn admin_post(&self, path: &str, body: Value) -> Value {
        self.req("POST", path, Some(&self.admin.clone()), Some(body))
            .await
            .ok()
    }

    /// Enrolls a new device for `staff_id` and opens a session.
    pub async fn enroll(&self, staff_id: &str) -> Device {
        let code = self
            .admin_post(&format!("/v1/staff/{staff_id}/enrollment-code"), json!({}))
            .await;
        let (key, _) = SoftwareKey::generate().unwrap();
        let e = self
            .req(
                "POST",
                "/v1/enroll",
                None,
                Some(json!({
                    "code": code["code"],
                    "public_key": hex::encode(key.public_key().as_bytes()),
                    "label": "test phone",
                })),
            )
            .await
            .ok();
        let id = e["device_id"].as_str().unwrap().to_owned();
        let token = self.session(&id, &key).await.ok()["session_token"]
            .as_str()
            .unwrap()
            .to_owned();
        Device {
            id,
            key,
            token,
            staff_id: staff_id.to_owned(),
        }
    }

    /// Challenge, sign, session.
    pub async fn session(&self, device_id: &str, key: &SoftwareKey) -> Resp {
        let ch = self
            .req(
                "POST",
                "/v1/auth/challenge",
                None,
                Some(json!({"device_id": device_id})),
            )
            .await;
        if ch.status != StatusCode::OK {
            return ch;
        }
        let challenge = b64d(ch.body["challenge"].as_str().unwrap());
        let sig = key
            .sign(&nyckelfri_server::auth::challenge_message(&challenge))
            .unwrap();
        self.req(
            "POST",
            "/v1/auth/session",
            None,
            Some(json!({"challenge_id": ch.body["challenge_id"], "signature": b64e(&sig)})),
        )
        .await
    }

    pub async fn stop(self) {
        let TestServer {
            handle,
            database_url,
            backend,
            ..
        } = self;
        handle.shutdown().await.unwrap();
        if let (Backend::Postgres, Some(url)) = (backend, database_url) {
            // Best effort: drop the test database.
            let base = std::env::var("NYCKELFRI_TEST_POSTGRES_URL").unwrap();
            let name = url
                .rsplit('/')
                .next()
                .unwrap()
                .split('?')
                .next()
                .unwrap()
                .to_owned();
            if let Ok(mut c) = sqlx::AnyConnection::connect(&base).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut c)
                    .await;
                let _ = c.close().await;
            }
        }
    }
}

pub fn b64d(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

pub fn b64e(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

pub fn settings() -> Value {
    json!({
        "coordinator_phone": "+46 8 530 610 00",
        "day_key_location": "Nyckelskåpet på enheten",
        "night_key_location": "Orrens servicehus",
        "night_patrol_deadline": "17:00",
        "time_zone": "Europe/Stockholm",
    })
}

/// A small world: unit u1 (and u2), one staff member per role in u1,
/// brukare b1 with an installed lock l1 and a valid decision d1, and a
/// visit v1 by the care worker cw1 today 10:00–10:30.
pub struct World {
    pub lock_key: SoftwareKey,
}

pub async fn world(s: &TestServer) -> World {
    for u in ["u1", "u2"] {
        s.admin_post(
            "/v1/units",
            json!({"id": u, "name": format!("Unit {u}"), "settings": settings()}),
        )
        .await;
    }
    for (id, role) in [
        ("cw1", "care_worker"),
        ("cw2", "care_worker"),
        ("np1", "night_patrol"),
        ("npk1", "night_patrol_coordinator"),
        ("co1", "coordinator"),
        ("at1", "alarm_technician"),
        ("um1", "unit_manager"),
        ("ho1", "head_of_operations"),
        ("na1", "needs_assessor"),
    ] {
        s.admin_post(
            "/v1/staff",
            json!({"id": id, "unit_id": "u1", "name": format!("Staff {id}"), "role": role}),
        )
        .await;
    }
    s.admin_post(
        "/v1/staff",
        json!({"id": "co2", "unit_id": "u2", "name": "Other coordinator", "role": "coordinator"}),
    )
    .await;
    s.admin_post(
        "/v1/brukare",
        json!({"id": "b1", "unit_id": "u1", "display_name": "Astrid B.", "address": "Demogatan 1", "entry_notes": "Portkod 1234"}),
    )
    .await;
    s.admin_post(
        "/v1/decisions",
        json!({"id": "d1", "brukare_id": "b1", "starts_at": DAY0 - 100 * 24 * H, "ends_at": DAY0 + 300 * 24 * H}),
    )
    .await;
    let lock_key = add_lock(s, "l1", "b1").await;
    s.admin_post(
        "/v1/visits",
        json!({"id": "v1", "brukare_id": "b1", "decision_id": "d1", "staff_id": "cw1",
               "starts_at": DAY0 + 10 * H, "ends_at": DAY0 + 10 * H + 1800, "service": "Morgonhjälp"}),
    )
    .await;
    World { lock_key }
}

/// Commissions a lock (as the admin) and installs it at `brukare`.
pub async fn add_lock(s: &TestServer, lock_id: &str, brukare: &str) -> SoftwareKey {
    let (key, _) = SoftwareKey::generate().unwrap();
    let order = format!("ord-{lock_id}");
    open_order(s, &order, brukare).await;
    s.admin_post(
        "/v1/locks",
        json!({"lock_id": lock_id, "public_key": hex::encode(key.public_key().as_bytes()),
               "order_id": order}),
    )
    .await;
    s.admin_post(
        &format!("/v1/locks/{lock_id}/install"),
        json!({"brukare_id": brukare}),
    )
    .await;
    key
}

/// R1.9: the upload body of a receipt for `lock` at `brukare`, made and
/// signed as the technician's app does (core/src/agreement.rs) by `dev`.
/// `consent` is `{"kind": "signed", "strokes": …}` or `{"kind":
/// "confirmed", "witnessed_by": …, "reason": …}`.
pub fn receipt_body(
    dev: &Device,
    receipt_id: &str,
    lock: &str,
    brukare: &str,
    signed_at: i64,
    consent: Value,
) -> Value {
    use nyckelfri_protocol::keys::sha256;
    let agreement = include_str!("../../../core/agreements/v1.sv.txt");
    let content = json!({
        "domain": "nyckelfri/installation-receipt/v1",
        "receipt_id": receipt_id,
        "lock_id": lock,
        "brukare_id": brukare,
        "brukare_name": "Brukaren",
        "agreement_version": 1,
        "agreement_language": "sv",
        "agreement_sha256": hex::encode(sha256(agreement.as_bytes())),
        "signed_at": signed_at,
        "technician_device_key": hex::encode(dev.key.public_key().as_bytes()),
        "consent": consent,
    })
    .to_string();
    let sig = dev.key.sign(content.as_bytes()).unwrap();
    json!({
        "content_json": content,
        "content_sha256": hex::encode(sha256(content.as_bytes())),
        "device_signature": hex::encode(sig),
    })
}

/// A drawn signature: two strokes.
pub fn strokes() -> Value {
    json!({"kind": "signed", "strokes": [[[0.1, 0.5], [0.3, 0.4], [0.5, 0.6]], [[0.6, 0.5], [0.9, 0.45]]]})
}

/// R1.9: uploads a signed receipt for `lock` at `brukare` from the
/// technician's device `dev`; returns the verified receipt.
pub async fn upload_receipt(s: &TestServer, dev: &Device, lock: &str, brukare: &str) -> Value {
    let body = receipt_body(
        dev,
        &format!("kv-{lock}-{brukare}"),
        lock,
        brukare,
        s.clock.now(),
        strokes(),
    );
    s.post("/v1/installation-receipts", &dev.token, body)
        .await
        .ok()
}

/// An open installation order (existing brukare, door lock) for `brukare`,
/// put straight into the database: commissioning needs one, and tests of
/// other things should not depend on the order routes.
pub async fn open_order(s: &TestServer, id: &str, brukare: &str) {
    sqlx::query(
        "INSERT INTO orders (id, kind, status, unit_id, brukare_id, created_at, updated_at) \
         SELECT $1, 'existing_brukare', 'open', unit_id, id, 0, 0 FROM brukare WHERE id = $2",
    )
    .bind(id)
    .bind(brukare)
    .execute(s.handle.db().pool())
    .await
    .unwrap();
}
