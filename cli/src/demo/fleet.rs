//! The demo's locks: simulated reference locks behind the stand-in BlueZ
//! (the app's real Bluetooth code, btleplug over D-Bus) when dbus-daemon is
//! there, otherwise in memory. Either way the same lock logic answers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use nyckelfri_core::transport::{BleTransport, LockTransport, MemoryTransport, SimulatedLockSet};
use nyckelfri_lock::standin::{LockSpec, PrivateBus, StandIn};
use nyckelfri_lock::{SimControls, SimulatedLock};

use crate::args::TransportChoice;
use crate::exit::{CliError, Exit};
use crate::simlocks;

/// The BLE connection interval the stand-in simulates.
const CONNECTION_INTERVAL: Duration = Duration::from_millis(15);

/// How the locks will be reached, decided before the async runtime starts
/// (libdbus reads `DBUS_SYSTEM_BUS_ADDRESS` once per process).
pub enum Medium {
    /// In the same process.
    Memory {
        /// Why not Bluetooth.
        why: String,
    },
    /// Through btleplug to the stand-in BlueZ on this private bus.
    Ble {
        /// The bus; `DBUS_SYSTEM_BUS_ADDRESS` points at it.
        bus: PrivateBus,
    },
}

/// Picks the medium and, for Bluetooth, starts the private bus and points
/// this process's D-Bus clients at it. Call before any thread starts.
pub fn prepare(choice: Option<TransportChoice>) -> Result<Medium, CliError> {
    let bus = match choice {
        Some(TransportChoice::Memory) => {
            return Ok(Medium::Memory {
                why: "chosen with --transport memory".into(),
            });
        }
        Some(TransportChoice::Ble) => simlocks::private_bus()?,
        None if !simlocks::on_path("dbus-daemon") => {
            return Ok(Medium::Memory {
                why: "dbus-daemon is not installed; `apt-get install dbus-daemon` runs the demo \
                      through the real Bluetooth code"
                    .into(),
            });
        }
        None => match simlocks::private_bus() {
            Ok(bus) => bus,
            Err(e) => {
                return Ok(Medium::Memory {
                    why: e.message.clone(),
                });
            }
        },
    };
    // SAFETY: called from `main` before the async runtime or any other
    // thread of ours exists (PrivateBus's helper thread only reads a pipe),
    // so nothing reads the environment concurrently.
    unsafe { std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", bus.address()) };
    Ok(Medium::Ble { bus })
}

/// The running locks and the transport the app reaches them by.
pub struct Fleet {
    /// What the app opens doors through.
    pub transport: Arc<dyn LockTransport>,
    /// "memory" or "ble".
    pub kind: &'static str,
    /// One line saying which, for the output.
    pub note: String,
    controls: HashMap<String, SimControls>,
    standin: Option<StandIn>,
    _bus: Option<PrivateBus>,
}

impl Fleet {
    /// Starts serving `locks`.
    pub async fn start(medium: Medium, locks: Vec<SimulatedLock>) -> Result<Fleet, CliError> {
        let n = locks.len();
        let controls: HashMap<String, SimControls> = locks
            .iter()
            .map(|l| (l.lock().lock_id().to_owned(), l.controls()))
            .collect();
        match medium {
            Medium::Memory { why } => {
                let set = SimulatedLockSet::new();
                for l in locks {
                    set.add(l);
                }
                Ok(Fleet {
                    transport: Arc::new(MemoryTransport::new(set)),
                    kind: "memory",
                    note: format!("{n} simulated locks in memory ({why})"),
                    controls,
                    standin: None,
                    _bus: None,
                })
            }
            Medium::Ble { bus } => {
                let specs = locks.into_iter().map(LockSpec::new).collect();
                let standin = StandIn::start(bus.address(), specs).await.map_err(|e| {
                    CliError::new(
                        Exit::Setup,
                        format!("the stand-in BlueZ did not start: {e}"),
                        "run the demo with --transport memory",
                    )
                })?;
                // A phone's connection interval (15 ms, the iPhone minimum)
                // on every notification and acknowledged write: realistic
                // times to open.
                for i in 0..standin.len() {
                    if let Ok(lock) = standin.lock(i) {
                        lock.controls().set_latency(CONNECTION_INTERVAL);
                    }
                }
                let transport = BleTransport::new()
                    .map_err(|e| CliError::failed(format!("Bluetooth transport: {e}")))?
                    .with_scan_time(Duration::from_secs(3));
                Ok(Fleet {
                    transport: Arc::new(transport),
                    kind: "ble",
                    note: format!(
                        "{n} simulated locks behind the stand-in BlueZ on a private D-Bus, \
                         reached through the app's real Bluetooth code (btleplug), 15 ms \
                         connection interval"
                    ),
                    controls,
                    standin: Some(standin),
                    _bus: Some(bus),
                })
            }
        }
    }

    /// Every lock's clock and fault controls.
    pub fn controls(&self) -> Vec<SimControls> {
        self.controls.values().cloned().collect()
    }

    /// Jams the bolt of `lock_id`; false if there is no such lock.
    pub fn jam(&self, lock_id: &str) -> bool {
        self.controls
            .get(lock_id)
            .map(|c| c.set_jammed(true))
            .is_some()
    }

    /// How long the app may look for and connect to a lock.
    pub fn connect_timeout_ms(&self) -> u32 {
        if self.standin.is_some() { 6_000 } else { 2_000 }
    }

    /// How long the app waits for each message from a lock (generous over
    /// D-Bus, so a busy machine running tests in parallel is not a jam).
    pub fn message_timeout_ms(&self) -> u32 {
        if self.standin.is_some() { 4_000 } else { 2_000 }
    }

    /// Leaves the bus cleanly (the bus itself stops when dropped).
    pub async fn shutdown(mut self) {
        if let Some(s) = self.standin.take() {
            // Best effort: the private bus goes away next anyway.
            let _ = s.shutdown().await;
        }
    }
}
