//! A real server on loopback with the demo municipality, simulated locks
//! with the demo's lock keys, and phones of their own (each its own folder,
//! key and clock), for the core's tests against the server.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use nyckelfri_core::time::ManualClocks;
use nyckelfri_core::transport::{MemoryTransport, SimulatedLockSet};
use nyckelfri_core::{AppConfig, DeviceSigner, NyckelfriApp, SoftwareSigner, VisitView};
use nyckelfri_lock::{LockConfig, SimulatedLock};
use nyckelfri_protocol::SoftwareKey;
use nyckelfri_protocol::messages::LockMode;
use nyckelfri_server::model::Role;
use nyckelfri_server::{Clock, Config, DemoSummary, Server, ServerHandle};

/// A listener that ignores the steps.
pub struct Quiet;

impl nyckelfri_core::UnlockListener for Quiet {
    fn on_step(&self, _: nyckelfri_core::UnlockStep) {}
}

/// Monday 2026-11-23, 07:00 in Stockholm: the day's first visits are near.
pub const MORNING: i64 = 1_795_413_600;

pub struct Env {
    pub rt: tokio::runtime::Runtime,
    pub data: tempfile::TempDir,
    pub config: Config,
    pub server: Option<ServerHandle>,
    pub summary: DemoSummary,
    pub locks: Arc<SimulatedLockSet>,
    pub now: i64,
}

impl Env {
    pub fn start() -> Env {
        Self::start_at(MORNING)
    }

    /// The server's clock (and the locks' and phones' clocks) at `now`.
    pub fn start_at(now: i64) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let data = tempfile::tempdir().unwrap();
        let mut config = Config::new(data.path().join("server"));
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.clock = Clock::fixed(now);
        let server = rt.block_on(Server::start(config.clone())).unwrap();
        config.listen = server.local_addr();
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let summary = rt
            .block_on(nyckelfri_server::load_demo(server.db(), date, now))
            .unwrap();
        let locks = SimulatedLockSet::new();
        for k in &summary.new_lock_keys {
            let key = SoftwareKey::from_pkcs8(&hex::decode(&k.pkcs8_hex).unwrap()).unwrap();
            locks.add(SimulatedLock::new(
                Box::new(key),
                LockConfig {
                    lock_id: k.lock_id.clone(),
                    issuers: vec![server.issuer_public_key()],
                    mode: LockMode::Normal,
                },
                now as u64,
            ));
        }
        Env {
            rt,
            data,
            config,
            server: Some(server),
            summary,
            locks,
            now,
        }
    }

    pub fn codes(&self, role: Role) -> Vec<String> {
        self.summary
            .enrollment_codes
            .iter()
            .filter(|(r, _)| *r == role)
            .map(|(_, c)| c.code.clone())
            .collect()
    }

    pub fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            self.rt.block_on(s.shutdown()).unwrap();
        }
    }

    pub fn restart(&mut self) {
        self.stop();
        self.server = Some(
            self.rt
                .block_on(Server::start(self.config.clone()))
                .unwrap(),
        );
    }

    pub fn server(&self) -> &ServerHandle {
        self.server.as_ref().unwrap()
    }

    pub fn stored(&self, device_id: &str) -> Vec<String> {
        self.rt
            .block_on(nyckelfri_server::store::stored_events(
                self.server().db(),
                device_id,
            ))
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    }

    /// A phone of its own, in its own folder.
    pub fn phone(&self, name: &str) -> (Arc<NyckelfriApp>, ManualClocks) {
        let dir = self.data.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let signer =
            SoftwareSigner::open_or_create(dir.join("device.key").display().to_string()).unwrap();
        let clocks = ManualClocks::new(self.now);
        let app = NyckelfriApp::with_parts(
            AppConfig {
                database_path: dir.join("app.db").display().to_string(),
                connect_timeout_ms: 2_000,
                message_timeout_ms: 2_000,
                sync_backoff_ms: 20,
            },
            signer as Arc<dyn DeviceSigner>,
            Arc::new(MemoryTransport::new(self.locks.clone())),
            Box::new(clocks.clone()),
        )
        .unwrap();
        (app, clocks)
    }

    /// The first care worker of the demo whose synced day has a visit that
    /// `pick` accepts: enrolled and synced on a phone of their own, with
    /// that phone's clock and the visit.
    pub fn care_worker_with(
        &self,
        what: &str,
        pick: impl Fn(&VisitView) -> bool,
    ) -> (Arc<NyckelfriApp>, ManualClocks, VisitView) {
        for (i, code) in self.codes(Role::CareWorker).into_iter().enumerate() {
            let (app, clocks) = self.phone(&format!("w{i}"));
            self.rt
                .block_on(app.enroll(self.server().url(), code, "p".into()))
                .unwrap();
            self.rt.block_on(app.sync()).unwrap();
            if let Some(v) = app.today_visits().unwrap().into_iter().find(|v| pick(v)) {
                return (app, clocks, v);
            }
        }
        panic!("no care worker with {what}")
    }

    /// An open installation order (existing brukare, door lock) for
    /// `brukare`, put straight into the database: commissioning needs one.
    pub fn open_order(&self, id: &str, brukare: &str) {
        self.rt.block_on(async {
            sqlx::query(
                "INSERT INTO orders (id, kind, status, unit_id, brukare_id, created_at, updated_at) \
                 SELECT $1, 'existing_brukare', 'open', unit_id, id, 0, 0 FROM brukare WHERE id = $2",
            )
            .bind(id)
            .bind(brukare)
            .execute(self.server().db().pool())
            .await
            .unwrap();
        });
    }

    /// Calls the server's API as the administrator; panics on a non-2xx.
    pub fn admin(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> serde_json::Value {
        // The test's own client (the app's client configures its own TLS).
        let _ = rustls::crypto::ring::default_provider().install_default();
        self.rt.block_on(async {
            let c = reqwest::Client::new();
            let url = format!("{}{path}", self.server().url());
            let req = match method {
                "GET" => c.get(url),
                "PATCH" => c.patch(url),
                _ => c.post(url),
            };
            let req = match body {
                Some(b) => req
                    .header("content-type", "application/json")
                    .body(b.to_string()),
                None if method == "GET" => req,
                None => req.header("content-type", "application/json").body("{}"),
            };
            let resp = req
                .bearer_auth(self.server().admin_token())
                .send()
                .await
                .unwrap();
            let status = resp.status();
            let text = resp.text().await.unwrap();
            assert!(status.is_success(), "{method} {path}: {status} {text}");
            serde_json::from_str(&text).unwrap()
        })
    }
}
