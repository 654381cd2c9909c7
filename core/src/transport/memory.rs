//! A transport to simulated reference locks in the same process: the real
//! lock logic, without a radio. For tests, benchmarks and the demo.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use nyckelfri_lock::{LockConfig, SimulatedLock};
use nyckelfri_protocol::messages::LockMode;
use nyckelfri_protocol::{PublicKey, SoftwareKey};

use crate::error::NyckelfriError;

use super::{LockLink, LockTransport, TransportError};

/// The simulated locks a [`MemoryTransport`] can reach, by lock id.
#[derive(Default, uniffi::Object)]
pub struct SimulatedLockSet {
    locks: Mutex<HashMap<String, Arc<Mutex<SimulatedLock>>>>,
}

fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[uniffi::export]
impl SimulatedLockSet {
    /// An empty set.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Adds a simulated lock commissioned as `lock_id`, with its private key
    /// (PKCS#8, hex: e.g. from the server's `demo-locks.json`), trusting the
    /// issuer key `issuer_public_key_hex` (SEC1, hex), its clock at
    /// `unix_time`. For the demo and the apps' tests on a desktop.
    pub fn add_lock(
        &self,
        lock_id: String,
        pkcs8_hex: String,
        issuer_public_key_hex: String,
        unix_time: u64,
    ) -> Result<(), NyckelfriError> {
        let bad = |what: &str| NyckelfriError::InvalidInput {
            reason: format!("simulated lock {lock_id}: {what}"),
        };
        let pkcs8 = hex::decode(pkcs8_hex.trim()).map_err(|_| bad("the key is not hex"))?;
        let key = SoftwareKey::from_pkcs8(&pkcs8).map_err(|_| bad("not a P-256 PKCS#8 key"))?;
        let issuer = hex::decode(issuer_public_key_hex.trim())
            .ok()
            .and_then(|b| PublicKey::from_sec1(&b).ok())
            .ok_or_else(|| bad("the issuer key is not a SEC1 P-256 key in hex"))?;
        self.add(SimulatedLock::new(
            Box::new(key),
            LockConfig {
                lock_id: lock_id.clone(),
                issuers: vec![issuer],
                mode: LockMode::Normal,
            },
            unix_time,
        ));
        Ok(())
    }

    /// Adds a factory-new lock (fresh key, no id, commissioning mode), as
    /// the alarm group unpacks it (R1.9). Returns its public key (SEC1,
    /// hex), the key printed on its label that `commission_lock` takes.
    pub fn add_factory_new_lock(&self, unix_time: u64) -> Result<String, NyckelfriError> {
        let (key, _) = SoftwareKey::generate().map_err(|e| NyckelfriError::Internal {
            reason: format!("a new lock key: {e}"),
        })?;
        let lock = self.add(SimulatedLock::new(
            Box::new(key),
            LockConfig::factory_new(),
            unix_time,
        ));
        Ok(hex::encode(guard(&lock).lock().public_key().as_bytes()))
    }

    /// Someone inside the door presses the lock's setup button: for the
    /// next 5 minutes it accepts being commissioned (R1.9).
    pub fn press_setup_button(&self, lock_key_hex: String) -> Result<(), NyckelfriError> {
        let lock = guard(&self.locks)
            .get(&lock_key_hex.trim().to_ascii_lowercase())
            .cloned()
            .ok_or_else(|| NyckelfriError::NotFound {
                what: format!("simulated lock with key {lock_key_hex}"),
            })?;
        guard(&lock).controls().press_setup_button();
        Ok(())
    }

    /// Sets every lock's clock (the demo and tests play a day faster than real time).
    pub fn set_time(&self, unix_time: u64) {
        for l in guard(&self.locks).values() {
            guard(l).controls().set_time(unix_time);
        }
    }

    /// Makes a lock's bolt stick (or free it again), to show a failing lock.
    pub fn set_jammed(&self, lock_id: String, jammed: bool) -> Result<(), NyckelfriError> {
        let lock = self.get(&lock_id).ok_or_else(|| NyckelfriError::NotFound {
            what: format!("simulated lock {lock_id}"),
        })?;
        guard(&lock).controls().set_jammed(jammed);
        Ok(())
    }

    /// The ids of the locks in the set (commissioned ones).
    pub fn lock_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = guard(&self.locks)
            .values()
            .map(|l| guard(l).lock().lock_id().to_owned())
            .filter(|id| !id.is_empty())
            .collect();
        ids.sort();
        ids
    }
}

impl SimulatedLockSet {
    /// Adds a lock; returns a handle to it. A factory-new lock (no id yet)
    /// is found by its public key until it is commissioned.
    pub fn add(&self, lock: SimulatedLock) -> Arc<Mutex<SimulatedLock>> {
        let key = hex::encode(lock.lock().public_key().as_bytes());
        let lock = Arc::new(Mutex::new(lock));
        guard(&self.locks).insert(key, lock.clone());
        lock
    }

    /// The lock that now has this id.
    pub fn get(&self, lock_id: &str) -> Option<Arc<Mutex<SimulatedLock>>> {
        guard(&self.locks)
            .values()
            .find(|l| guard(l).lock().lock_id() == lock_id)
            .cloned()
    }

    /// The lock with this public key.
    pub fn by_key(&self, key: &nyckelfri_protocol::PublicKey) -> Option<Arc<Mutex<SimulatedLock>>> {
        guard(&self.locks)
            .get(&hex::encode(key.as_bytes()))
            .cloned()
    }
}

/// Connects to the locks of a [`SimulatedLockSet`].
pub struct MemoryTransport {
    locks: Arc<SimulatedLockSet>,
}

impl MemoryTransport {
    /// A transport over `locks`.
    pub fn new(locks: Arc<SimulatedLockSet>) -> Self {
        Self { locks }
    }
}

#[async_trait::async_trait]
impl LockTransport for MemoryTransport {
    async fn connect(&self, lock_id: &str) -> Result<Box<dyn LockLink>, TransportError> {
        let lock = self.locks.get(lock_id).ok_or(TransportError::NotFound)?;
        link_to(lock)
    }

    async fn connect_commissioning(
        &self,
        lock_key: &nyckelfri_protocol::PublicKey,
    ) -> Result<Box<dyn LockLink>, TransportError> {
        let lock = self
            .locks
            .by_key(lock_key)
            .ok_or(TransportError::NotFound)?;
        link_to(lock)
    }
}

fn link_to(lock: Arc<Mutex<SimulatedLock>>) -> Result<Box<dyn LockLink>, TransportError> {
    let hello = guard(&lock).connect().ok_or(TransportError::NotFound)?;
    Ok(Box::new(MemoryLink {
        lock,
        inbox: VecDeque::from([hello]),
        dropped: false,
    }))
}

struct MemoryLink {
    lock: Arc<Mutex<SimulatedLock>>,
    inbox: VecDeque<Vec<u8>>,
    dropped: bool,
}

#[async_trait::async_trait]
impl LockLink for MemoryLink {
    async fn send(&mut self, message: &[u8]) -> Result<(), TransportError> {
        if self.dropped {
            return Err(TransportError::LinkLost("link already dropped".into()));
        }
        match guard(&self.lock).receive(message) {
            Some(answer) => self.inbox.push_back(answer),
            // The lock acted (or died) but its answer never arrives: the
            // link dropped.
            None => self.dropped = true,
        }
        Ok(())
    }

    async fn receive(&mut self) -> Result<Vec<u8>, TransportError> {
        self.inbox
            .pop_front()
            .ok_or_else(|| TransportError::LinkLost("the lock sent nothing".into()))
    }

    async fn close(&mut self) {
        guard(&self.lock).disconnect();
    }
}
