//! A stand-in for BlueZ, the Linux Bluetooth daemon, on D-Bus: simulated
//! locks served exactly as BlueZ shows real LE devices to a client, so the
//! app's real BLE code (btleplug → bluez-async → libdbus) can be tested
//! end to end without a radio. Feature `bluez-standin`.
//!
//! It implements what btleplug 0.13's Linux backend calls, with BlueZ's
//! object paths and property types: the object manager at `/`,
//! `org.bluez.Adapter1` at `/org/bluez/hci0`, one `org.bluez.Device1` per
//! lock that advertises during a scan, and — while connected — the
//! Nyckelfri GATT service (`GattService1`, `GattCharacteristic1`,
//! `GattDescriptor1`). Notifications are `PropertiesChanged` on a
//! characteristic's `Value`, as BlueZ sends them.
//!
//! Each lock is a [`crate::SimulatedLock`]; [`LockControls`] injects faults
//! at runtime (not advertising, failed connects, a dropped link, lost
//! Results, garbage, slow answers, per-message latency).
//!
//! ```no_run
//! # async fn run(lock: nyckelfri_lock::SimulatedLock) -> Result<(), nyckelfri_lock::standin::StandInError> {
//! use nyckelfri_lock::standin::{LockSpec, PrivateBus, StandIn};
//! let bus = PrivateBus::start()?;
//! let standin = StandIn::start(bus.address(), vec![LockSpec::new(lock)]).await?;
//! // Clients find it through DBUS_SYSTEM_BUS_ADDRESS=bus.address().
//! standin.lock(0)?.controls().set_latency(std::time::Duration::from_millis(15));
//! # Ok(()) }
//! ```

mod adapter;
mod bus;
mod characteristic;
mod descriptor;
mod device;
mod error;
mod faults;
mod link;
mod server;
mod service;
mod slot;
mod tree;

pub use bus::PrivateBus;
pub use error::{BluezError, StandInError};
pub use faults::{DEFAULT_MTU, LockControls};
pub use server::{BLUEZ_NAME, LockHandle, LockSpec, StandIn};
pub use tree::{ADAPTER_PATH, Address, DevicePaths};

/// The stand-in's Echo characteristic (write, write-without-response,
/// notify): every value written is notified back. It measures the raw
/// write→notify round trip under the same latency as the protocol. Test
/// tooling only; a real lock never has it (PROTOCOL.md §9 reserves the UUID).
pub const ECHO_CHAR_UUID: u128 = 0x0754_00fe_340b_426c_9b5f_a367_0fd2_8f8d;
/// [`ECHO_CHAR_UUID`] in its string form.
pub const ECHO_CHAR_UUID_STR: &str = "075400fe-340b-426c-9b5f-a3670fd28f8d";
