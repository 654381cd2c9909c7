//! A small world for the core's tests: an issuer, this phone's software key
//! in a real file, simulated reference locks, a SQLite file, clocks set by
//! hand, and the day's bundle as the server would send it.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Mutex as StdMutex};

use nyckelfri_core::time::ManualClocks;
use nyckelfri_core::transport::{MemoryTransport, SimulatedLockSet};
use nyckelfri_core::{
    AppConfig, DayBundle, DeviceSigner, HexBytes, LockInfo, NyckelfriApp, SoftwareSigner,
    UnitSettings, UnlockListener, UnlockStep, Visit,
};
use nyckelfri_lock::{LockConfig, SimControls, SimulatedLock};
use nyckelfri_protocol::messages::LockMode;
use nyckelfri_protocol::token::{AccessClaims, Scope, issue};
use nyckelfri_protocol::{PublicKey, Signer, SoftwareKey};

/// Monday 2026-11-23, 10:00 in Stockholm.
pub const NOW: i64 = 1_795_424_400;
pub const HOUR: i64 = 3_600;

pub struct World {
    pub dir: tempfile::TempDir,
    pub issuer: SoftwareKey,
    pub signer: Arc<SoftwareSigner>,
    pub device: PublicKey,
    pub locks: Arc<SimulatedLockSet>,
    pub lock_keys: HashMap<String, PublicKey>,
    pub clocks: ManualClocks,
    pub next_token: u8,
}

impl World {
    /// `n` commissioned locks, `lock-1` … `lock-n`.
    pub fn new(n: usize) -> World {
        let dir = tempfile::tempdir().unwrap();
        let signer =
            SoftwareSigner::open_or_create(dir.path().join("device.key").display().to_string())
                .unwrap();
        let device = PublicKey::from_sec1(&signer.public_key().unwrap()).unwrap();
        let issuer = SoftwareKey::generate().unwrap().0;
        let locks = SimulatedLockSet::new();
        let mut lock_keys = HashMap::new();
        for i in 1..=n {
            let key = SoftwareKey::generate().unwrap().0;
            let id = format!("lock-{i}");
            lock_keys.insert(id.clone(), key.public_key());
            locks.add(SimulatedLock::new(
                Box::new(key),
                LockConfig {
                    lock_id: id,
                    issuers: vec![issuer.public_key()],
                    mode: LockMode::Normal,
                },
                u64::try_from(NOW).unwrap(),
            ));
        }
        World {
            dir,
            issuer,
            signer,
            device,
            locks,
            lock_keys,
            clocks: ManualClocks::new(NOW),
            next_token: 0,
        }
    }

    pub fn db_path(&self) -> String {
        self.dir.path().join("nyckelfri.db").display().to_string()
    }

    pub fn config(&self) -> AppConfig {
        AppConfig {
            database_path: self.db_path(),
            connect_timeout_ms: 2_000,
            message_timeout_ms: 2_000,
            sync_backoff_ms: 50,
        }
    }

    pub fn open_app(&self) -> Arc<NyckelfriApp> {
        NyckelfriApp::with_parts(
            self.config(),
            self.signer.clone() as Arc<dyn DeviceSigner>,
            Arc::new(MemoryTransport::new(self.locks.clone())),
            Box::new(self.clocks.clone()),
        )
        .unwrap()
    }

    /// Another phone (its own database) with the same device key.
    pub fn open_app_named(&self, name: &str) -> Arc<NyckelfriApp> {
        let mut config = self.config();
        config.database_path = self
            .dir
            .path()
            .join(format!("{name}.db"))
            .display()
            .to_string();
        NyckelfriApp::with_parts(
            config,
            self.signer.clone() as Arc<dyn DeviceSigner>,
            Arc::new(MemoryTransport::new(self.locks.clone())),
            Box::new(self.clocks.clone()),
        )
        .unwrap()
    }

    pub fn lock(&self, id: &str) -> Arc<StdMutex<SimulatedLock>> {
        self.locks.get(id).unwrap()
    }

    pub fn controls(&self, id: &str) -> SimControls {
        self.lock(id).lock().unwrap().controls()
    }

    pub fn actuations(&self, id: &str) -> u64 {
        self.lock(id).lock().unwrap().lock().actuations()
    }

    /// A care token for `lock_id`, valid from an hour ago for eight hours.
    pub fn claims(&mut self, lock_id: &str) -> AccessClaims {
        self.next_token += 1;
        AccessClaims {
            token_id: [self.next_token; 16],
            staff_id: "staff-0042".into(),
            lock_id: lock_id.into(),
            not_before: (NOW - HOUR) as u64,
            expires: (NOW + 8 * HOUR) as u64,
            issued_at: (NOW - HOUR) as u64,
            decision_id: format!("decision-{lock_id}"),
            decision_end: (NOW + 30 * 24 * HOUR) as u64,
            scope: Scope::Care,
            min_epoch: 0,
            device_key: self.device.clone(),
        }
    }

    pub fn token(&self, claims: &AccessClaims) -> HexBytes {
        HexBytes(issue(claims, &self.issuer).unwrap())
    }

    /// One visit per lock, hourly from 09:30, each with a care token.
    pub fn bundle(&mut self) -> DayBundle {
        let mut ids: Vec<String> = self.lock_keys.keys().cloned().collect();
        ids.sort();
        let mut visits = Vec::new();
        let mut tokens = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let start = NOW - HOUR / 2 + i as i64 * HOUR;
            visits.push(Visit {
                visit_id: format!("visit-{}", i + 1),
                unit_id: "unit-north".into(),
                lock_id: id.clone(),
                brukare_id: format!("brukare-{}", i + 1),
                brukare_name: format!("Brukare {}", i + 1),
                address: format!("Storgatan {}", i + 1),
                starts_at: start,
                ends_at: start + HOUR / 2,
                no_key_reason: None,
            });
            let c = self.claims(id);
            tokens.push(self.token(&c));
        }
        DayBundle {
            server_time: NOW,
            units: vec![UnitSettings {
                unit_id: "unit-north".into(),
                name: "Hemtjänst Norr".into(),
                coordinator_phone: "+46 8 123 456 00".into(),
                day_key_location: "Nyckelskåpet på enheten".into(),
                night_key_location: "Orrens servicehus".into(),
                night_patrol_deadline: "17:00".into(),
                time_zone: "Europe/Stockholm".into(),
                office_opens: "07:00".into(),
                office_closes: "17:00".into(),
                night_patrol_phone: Some("+46 8 123 456 99".into()),
                acute_key_routine: None,
                acute_key_routine_en: None,
            }],
            locks: ids
                .iter()
                .map(|id| LockInfo {
                    lock_id: id.clone(),
                    public_key: self.lock_keys[id].as_bytes().to_vec(),
                    brukare_id: None,
                })
                .collect(),
            visits,
            shifts: vec![],
            tokens,
            revocation_lists: Vec::new(),
            issuer_key: Some(HexBytes(self.issuer.public_key().as_bytes().to_vec())),
            issuer_update: None,
        }
    }
}

/// Records the steps the flow reports.
#[derive(Default)]
pub struct Steps(pub Mutex<Vec<UnlockStep>>);

impl UnlockListener for Steps {
    fn on_step(&self, step: UnlockStep) {
        self.0.lock().unwrap().push(step);
    }
}

impl Steps {
    pub fn new() -> Arc<Steps> {
        Arc::new(Steps::default())
    }
    pub fn seen(&self) -> Vec<UnlockStep> {
        self.0.lock().unwrap().clone()
    }
}
