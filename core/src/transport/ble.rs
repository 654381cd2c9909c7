//! The Bluetooth LE transport, on btleplug (BlueZ on Linux, CoreBluetooth on
//! iOS, the Android Bluetooth stack through droidplug).
//!
//! Finding a door: scan filtered by the Nyckelfri service UUID and pick the
//! lock whose advertised tag (PROTOCOL.md §9.7) matches the lock id, so the
//! app never connects to other locks in the building. Peripheral handles are
//! cached per lock id (a connect that fails drops the entry), and scan
//! starts are rationed: Android refuses more than five in 30 seconds.
//!
//! All btleplug work runs on one small runtime of its own: btleplug spawns
//! background tasks that need a tokio context, and on Android those threads
//! must be attached to the JVM (see `android.rs`).

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use btleplug::api::{
    Central, CentralEvent, Characteristic, Manager as _, Peripheral as _, ScanFilter, WriteType,
};
use btleplug::platform::{Adapter, Manager, Peripheral, PeripheralId};
use futures_util::StreamExt;
use nyckelfri_protocol::framing::{self, Reassembler};
use nyckelfri_protocol::gatt::{
    AdvertisedLock, REQUEST_CHAR_UUID, RESPONSE_CHAR_UUID, SERVICE_UUID, advertised_lock_tag,
    commissioning_tag,
};
use tokio::sync::{OnceCell, mpsc};
use uuid::Uuid;

use super::{LockLink, LockTransport, TransportError};

/// Android allows five scan starts per 30 s per app; stay within it everywhere.
const SCAN_STARTS_PER_WINDOW: usize = 5;
const SCAN_WINDOW: Duration = Duration::from_secs(30);
/// How long to look for a lock before calling it not found.
const SCAN_TIME: Duration = Duration::from_secs(8);
/// MTU to fragment for when the platform cannot tell.
const FALLBACK_MTU: usize = framing::MIN_MTU;

fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Opens doors over Bluetooth LE.
pub struct BleTransport {
    /// Always `Some` until drop, which shuts it down without blocking (the
    /// transport may be dropped inside an async context).
    runtime: Option<tokio::runtime::Runtime>,
    adapter: OnceCell<Adapter>,
    known: Mutex<HashMap<String, PeripheralId>>,
    scan_starts: Mutex<VecDeque<Instant>>,
    scan_time: Duration,
}

impl BleTransport {
    /// A transport on the system's first Bluetooth adapter (found on first use).
    pub fn new() -> Result<Self, TransportError> {
        Ok(Self {
            runtime: Some(
                super::android::ble_runtime()
                    .map_err(|e| TransportError::ConnectFailed(format!("BLE runtime: {e}")))?,
            ),
            adapter: OnceCell::new(),
            known: Mutex::new(HashMap::new()),
            scan_starts: Mutex::new(VecDeque::new()),
            scan_time: SCAN_TIME,
        })
    }

    /// Looks for a lock this long before calling it not found.
    pub fn with_scan_time(mut self, scan_time: Duration) -> Self {
        self.scan_time = scan_time;
        self
    }

    fn handle(&self) -> Result<tokio::runtime::Handle, TransportError> {
        self.runtime
            .as_ref()
            .map(|r| r.handle().clone())
            .ok_or_else(|| TransportError::ConnectFailed("BLE runtime stopped".into()))
    }

    /// Runs `f` on the BLE runtime and waits for it from any executor.
    async fn on_ble<T: Send + 'static>(
        &self,
        f: impl std::future::Future<Output = Result<T, TransportError>> + Send + 'static,
    ) -> Result<T, TransportError> {
        self.handle()?
            .spawn(f)
            .await
            .map_err(|e| TransportError::LinkLost(format!("BLE task failed: {e}")))?
    }

    async fn adapter(&self) -> Result<Adapter, TransportError> {
        let handle = self.handle()?;
        self.adapter
            .get_or_try_init(|| async move {
                handle
                    .spawn(async {
                        let manager = Manager::new().await.map_err(ble_unavailable)?;
                        manager
                            .adapters()
                            .await
                            .map_err(ble_unavailable)?
                            .into_iter()
                            .next()
                            .ok_or_else(|| {
                                TransportError::ConnectFailed("no Bluetooth adapter".into())
                            })
                    })
                    .await
                    .map_err(|e| TransportError::ConnectFailed(e.to_string()))?
            })
            .await
            .cloned()
    }

    /// Takes a scan start from the budget, waiting if the window is used up.
    async fn ration_scan(&self) {
        loop {
            let wait = {
                let mut starts = guard(&self.scan_starts);
                let now = Instant::now();
                while starts
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= SCAN_WINDOW)
                {
                    starts.pop_front();
                }
                if starts.len() < SCAN_STARTS_PER_WINDOW {
                    starts.push_back(now);
                    return;
                }
                starts
                    .front()
                    .map(|t| SCAN_WINDOW.saturating_sub(now.duration_since(*t)))
                    .unwrap_or_default()
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Finds the lock advertising `tag`, from what the adapter saw lately or
    /// by a (rationed) scan.
    async fn find(&self, adapter: &Adapter, tag: [u8; 8]) -> Result<Peripheral, TransportError> {
        // A lock the adapter saw advertising recently needs no new scan:
        // scan starts are scarce (five per 30 s on Android).
        let seen = {
            let adapter = adapter.clone();
            self.on_ble(async move {
                for p in adapter.peripherals().await.map_err(link_lost)? {
                    if advertises(&p, tag).await {
                        return Ok(Some(p));
                    }
                }
                Ok(None)
            })
            .await?
        };
        if let Some(p) = seen {
            return Ok(p);
        }
        self.ration_scan().await;
        let adapter = adapter.clone();
        let scan_time = self.scan_time;
        let found = self
            .on_ble(async move {
                let mut events = adapter.events().await.map_err(link_lost)?;
                adapter
                    .start_scan(ScanFilter {
                        services: vec![Uuid::from_u128(SERVICE_UUID)],
                    })
                    .await
                    .map_err(ble_unavailable)?;
                let found = tokio::time::timeout(scan_time, async {
                    while let Some(event) = events.next().await {
                        let id = match event {
                            CentralEvent::DeviceDiscovered(id)
                            | CentralEvent::DeviceUpdated(id)
                            | CentralEvent::ManufacturerDataAdvertisement { id, .. } => id,
                            _ => continue,
                        };
                        if let Ok(p) = adapter.peripheral(&id).await
                            && advertises(&p, tag).await
                        {
                            return Some(p);
                        }
                    }
                    None
                })
                .await
                .ok()
                .flatten();
                // Stop even when nothing was found: scanning drains the battery.
                let _ = adapter.stop_scan().await;
                Ok(found)
            })
            .await?;
        found.ok_or(TransportError::NotFound)
    }
}

impl Drop for BleTransport {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Whether `p` advertises the lock tag `tag` (under any company id: a
/// shipped lock carries its vendor's id).
async fn advertises(p: &Peripheral, tag: [u8; 8]) -> bool {
    match p.properties().await {
        Ok(Some(props)) => props
            .manufacturer_data
            .values()
            .filter_map(|d| AdvertisedLock::decode(d))
            .any(|a| a.tag == tag),
        _ => false,
    }
}

fn ble_unavailable(e: btleplug::Error) -> TransportError {
    TransportError::ConnectFailed(format!("Bluetooth unavailable: {e}"))
}

fn link_lost(e: btleplug::Error) -> TransportError {
    TransportError::LinkLost(e.to_string())
}

/// Connects, discovers the Nyckelfri characteristics and subscribes. The
/// lock sends its Hello as soon as notifications are on.
async fn open(p: Peripheral) -> Result<BleLink, TransportError> {
    p.connect()
        .await
        .map_err(|e| TransportError::ConnectFailed(e.to_string()))?;
    let link = async {
        p.discover_services().await.map_err(link_lost)?;
        let chars = p.characteristics();
        let find = |uuid: u128| -> Result<Characteristic, TransportError> {
            chars
                .iter()
                .find(|c| c.uuid == Uuid::from_u128(uuid))
                .cloned()
                .ok_or_else(|| TransportError::Garbled("not a Nyckelfri lock (GATT)".into()))
        };
        let request = find(REQUEST_CHAR_UUID)?;
        let response = find(RESPONSE_CHAR_UUID)?;
        let mut notifications = p.notifications().await.map_err(link_lost)?;
        let (tx, rx) = mpsc::channel(64);
        let response_uuid = response.uuid;
        // Forward notifications from the BLE runtime to whoever reads the link.
        let forward = tokio::spawn(async move {
            while let Some(n) = notifications.next().await {
                if n.uuid == response_uuid && tx.send(n.value).await.is_err() {
                    break;
                }
            }
        });
        p.subscribe(&response).await.map_err(link_lost)?;
        let mtu = usize::from(p.mtu());
        let mtu = if (framing::MIN_MTU..=framing::MAX_MTU).contains(&mtu) {
            mtu
        } else {
            FALLBACK_MTU
        };
        Ok(BleLink {
            peripheral: p.clone(),
            request,
            fragments: rx,
            forward,
            reassembler: Reassembler::new(),
            started: Instant::now(),
            mtu,
            runtime: tokio::runtime::Handle::current(),
        })
    }
    .await;
    if link.is_err() {
        // Always disconnect, whatever failed.
        let _ = p.disconnect().await;
    }
    link
}

#[async_trait::async_trait]
impl LockTransport for BleTransport {
    async fn connect(&self, lock_id: &str) -> Result<Box<dyn LockLink>, TransportError> {
        let adapter = self.adapter().await?;
        let cached = guard(&self.known).get(lock_id).cloned();
        if let Some(id) = cached {
            let adapter = adapter.clone();
            let tag = advertised_lock_tag(lock_id);
            let attempt = self
                .on_ble(async move {
                    let p = adapter.peripheral(&id).await.map_err(link_lost)?;
                    // The handle must still be the same door.
                    if !advertises(&p, tag).await {
                        return Err(TransportError::NotFound);
                    }
                    open(p).await
                })
                .await;
            match attempt {
                Ok(link) => return Ok(Box::new(link)),
                Err(_) => {
                    guard(&self.known).remove(lock_id);
                }
            }
        }
        let p = self.find(&adapter, advertised_lock_tag(lock_id)).await?;
        guard(&self.known).insert(lock_id.to_owned(), p.id());
        let link = self.on_ble(open(p)).await;
        if link.is_err() {
            guard(&self.known).remove(lock_id);
        }
        Ok(Box::new(link?))
    }

    async fn connect_commissioning(
        &self,
        lock_key: &nyckelfri_protocol::PublicKey,
    ) -> Result<Box<dyn LockLink>, TransportError> {
        let adapter = self.adapter().await?;
        let p = self.find(&adapter, commissioning_tag(lock_key)).await?;
        Ok(Box::new(self.on_ble(open(p)).await?))
    }
}

/// One connection to a lock over GATT.
struct BleLink {
    peripheral: Peripheral,
    request: Characteristic,
    fragments: mpsc::Receiver<Vec<u8>>,
    forward: tokio::task::JoinHandle<()>,
    reassembler: Reassembler,
    started: Instant,
    mtu: usize,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl LockLink for BleLink {
    async fn send(&mut self, message: &[u8]) -> Result<(), TransportError> {
        let fragments = framing::fragment(message, self.mtu)
            .map_err(|e| TransportError::Garbled(e.to_string()))?;
        let p = self.peripheral.clone();
        let request = self.request.clone();
        // Every fragment without response but the last, which is acknowledged:
        // then the lock has the whole Request (PROTOCOL.md §9.3).
        self.runtime
            .spawn(async move {
                let last = fragments.len().saturating_sub(1);
                for (i, f) in fragments.iter().enumerate() {
                    let kind = if i == last {
                        WriteType::WithResponse
                    } else {
                        WriteType::WithoutResponse
                    };
                    p.write(&request, f, kind).await.map_err(link_lost)?;
                }
                Ok(())
            })
            .await
            .map_err(|e| TransportError::LinkLost(e.to_string()))?
    }

    async fn receive(&mut self) -> Result<Vec<u8>, TransportError> {
        loop {
            let fragment = self
                .fragments
                .recv()
                .await
                .ok_or_else(|| TransportError::LinkLost("the lock disconnected".into()))?;
            let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
            match self.reassembler.push(&fragment, now) {
                Ok(Some(message)) => return Ok(message),
                Ok(None) => {}
                Err(e) => return Err(TransportError::Garbled(format!("fragment: {e}"))),
            }
        }
    }

    async fn close(&mut self) {
        self.forward.abort();
        let p = self.peripheral.clone();
        let _ = self
            .runtime
            .spawn(async move { p.disconnect().await })
            .await;
    }
}
