//! The stand-in as a whole: one D-Bus connection that owns `org.bluez`,
//! an object manager at `/`, the adapter, and one slot per simulated lock;
//! and the handles tests use to reach each lock.

use std::sync::{Arc, Mutex, MutexGuard};

use nyckelfri_protocol::gatt::AdvertisedLock;
use tokio::task::JoinHandle;
use zbus::Connection;
use zbus::fdo::ObjectManager;

use crate::sim::SimulatedLock;
use crate::standin::adapter::{self, Adapter, AdapterState};
use crate::standin::device;
use crate::standin::error::StandInError;
use crate::standin::faults::{DEFAULT_MTU, LockControls};
use crate::standin::slot::Slot;
use crate::standin::tree::ADAPTER_PATH;

/// The well-known name BlueZ owns on the system bus.
pub const BLUEZ_NAME: &str = "org.bluez";

/// Everything the D-Bus objects share.
pub(crate) struct World {
    pub conn: Connection,
    pub slots: Vec<Arc<Slot>>,
    adapter: Mutex<AdapterState>,
}

impl World {
    pub(crate) fn adapter(&self) -> MutexGuard<'_, AdapterState> {
        self.adapter.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A lock to serve, with its radio settings.
pub struct LockSpec {
    /// The simulated lock.
    pub lock: SimulatedLock,
    /// ATT_MTU negotiated on connect (23..=517).
    pub mtu: usize,
    /// RSSI reported for its advertisements, dBm.
    pub rssi: i16,
}

impl LockSpec {
    /// `lock` with the default MTU ([`DEFAULT_MTU`]) and an RSSI of −60 dBm.
    pub fn new(lock: SimulatedLock) -> Self {
        Self {
            lock,
            mtu: DEFAULT_MTU,
            rssi: -60,
        }
    }
}

/// A running stand-in BlueZ. Call [`StandIn::shutdown`] to leave the bus
/// cleanly; dropping it stops its tasks but leaves its objects registered.
pub struct StandIn {
    world: Arc<World>,
    tasks: Vec<JoinHandle<()>>,
}

impl StandIn {
    /// Connects to the bus at `bus_address`, serves the adapter and the
    /// locks, then takes the name `org.bluez` (last, so a client never sees
    /// the name before the objects).
    pub async fn start(bus_address: &str, locks: Vec<LockSpec>) -> Result<StandIn, StandInError> {
        let conn = zbus::connection::Builder::address(bus_address)?
            .build()
            .await?;
        conn.object_server().at("/", ObjectManager).await?;
        let mut tasks = Vec::new();
        let mut slots = Vec::new();
        for spec in locks {
            let controls = LockControls::new(spec.lock.controls(), spec.mtu)?;
            let sim = Arc::new(Mutex::new(spec.lock));
            let (slot, task) = Slot::new(sim, controls, conn.clone(), spec.rssi);
            tasks.push(task);
            slots.push(slot);
        }
        let world = Arc::new(World {
            conn: conn.clone(),
            slots,
            adapter: Mutex::new(AdapterState {
                powered: true,
                ..AdapterState::default()
            }),
        });
        conn.object_server()
            .at(
                ADAPTER_PATH,
                Adapter {
                    world: Arc::clone(&world),
                },
            )
            .await?;
        for slot in &world.slots {
            tasks.push(tokio::spawn(watch_advertising(
                Arc::clone(&world),
                Arc::clone(slot),
            )));
        }
        conn.request_name(BLUEZ_NAME).await?;
        Ok(StandIn { world, tasks })
    }

    /// How many locks are served.
    pub fn len(&self) -> usize {
        self.world.slots.len()
    }

    /// Whether no lock is served.
    pub fn is_empty(&self) -> bool {
        self.world.slots.is_empty()
    }

    /// The handle of lock `index` (in the order given to [`StandIn::start`]).
    pub fn lock(&self, index: usize) -> Result<LockHandle, StandInError> {
        self.world
            .slots
            .get(index)
            .map(|slot| LockHandle {
                slot: Arc::clone(slot),
            })
            .ok_or_else(|| StandInError::NoSuchLock(index.to_string()))
    }

    /// Disconnects every lock, removes every object and gives up the name.
    pub async fn shutdown(mut self) -> Result<(), StandInError> {
        for slot in &self.world.slots {
            device::unexport(slot).await?;
        }
        let server = self.world.conn.object_server();
        server.remove::<Adapter, _>(ADAPTER_PATH).await?;
        // The ObjectManager at "/" stays until the connection closes: zbus
        // 5.19 panics removing the last interface of the root node.
        self.world.conn.release_name(BLUEZ_NAME).await?;
        for task in self.tasks.drain(..) {
            task.abort();
        }
        Ok(())
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A lock that starts advertising during a scan is discovered at once.
async fn watch_advertising(world: Arc<World>, slot: Arc<Slot>) {
    loop {
        slot.controls.changed().notified().await;
        // A failed emit means the bus is going away.
        let _ = adapter::advertisement(&world, &slot).await;
    }
}

/// One served lock: its faults, its simulator, what it advertises.
#[derive(Clone)]
pub struct LockHandle {
    slot: Arc<Slot>,
}

impl LockHandle {
    /// Fault injection and link settings.
    pub fn controls(&self) -> LockControls {
        self.slot.controls.clone()
    }

    /// Runs `f` on the simulated lock (inspect the bolt, the counter, …).
    /// Do not hold on to anything across an `.await` inside `f`.
    pub fn with_lock<R>(&self, f: impl FnOnce(&mut SimulatedLock) -> R) -> R {
        f(&mut self.slot.sim())
    }

    /// The simulated lock itself, shared with the stand-in.
    pub fn sim(&self) -> Arc<Mutex<SimulatedLock>> {
        self.slot.sim_arc()
    }

    /// The tag and flags the lock advertises now.
    pub fn advertised(&self) -> AdvertisedLock {
        self.slot.advertised()
    }

    /// The lock's device address, e.g. `C4:12:…`.
    pub fn address(&self) -> String {
        self.slot.address.to_string()
    }

    /// The lock's `Device1` object path.
    pub fn device_path(&self) -> &str {
        &self.slot.paths.device
    }

    /// Whether a central is connected.
    pub fn connected(&self) -> bool {
        self.slot.link().connected
    }

    /// Request fragments received on the current connection.
    pub fn written_fragments(&self) -> u32 {
        self.slot.link().written
    }
}
