//! Where things live on the bus: BlueZ's object paths, device addresses, and
//! the one helper that emits `PropertiesChanged` the way BlueZ does.
//!
//! BlueZ names GATT objects after ATT handles (`service000a/char000b/desc000d`)
//! and clients such as bluez-async find them by introspecting for child nodes
//! named `service*`, `char*` and `desc*`, so the stand-in uses the same shape
//! with the handles a real lock's attribute table would have.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use zbus::Connection;
use zbus::fdo::Properties;
use zbus::names::InterfaceName;
use zbus::object_server::SignalEmitter;
use zbus::zvariant::Value;

/// The one adapter the stand-in offers.
pub const ADAPTER_PATH: &str = "/org/bluez/hci0";

/// BlueZ interface names.
pub(crate) const ADAPTER_IFACE: &str = "org.bluez.Adapter1";
pub(crate) const DEVICE_IFACE: &str = "org.bluez.Device1";
pub(crate) const CHAR_IFACE: &str = "org.bluez.GattCharacteristic1";

/// A Bluetooth device address, most significant byte first (as printed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Address(pub [u8; 6]);

impl Address {
    /// A static random address (top two bits set, as the Core spec requires)
    /// derived from a lock's tag, so a lock keeps its address across runs.
    pub fn static_random(tag: &[u8; 8]) -> Address {
        let mut a = [0u8; 6];
        for (x, t) in a.iter_mut().zip(tag.iter()) {
            *x = *t;
        }
        if let Some(first) = a.first_mut() {
            *first |= 0xc0;
        }
        Address(a)
    }

    /// BlueZ's path element for the address: `dev_C0_11_22_33_44_55`.
    pub fn path_element(&self) -> String {
        format!("dev_{}", self.to_string().replace(':', "_"))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02X}:{b:02X}:{c:02X}:{d:02X}:{e:02X}:{g:02X}")
    }
}

/// The object paths of one simulated lock: its device and its GATT table.
///
/// Handles: service 0x000a; Request 0x000b (value 0x000c); Response 0x000d
/// (value 0x000e, CCCD 0x000f); Info 0x0010 (value 0x0011); the stand-in's
/// Echo 0x0012 (value 0x0013, CCCD 0x0014).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePaths {
    /// `/org/bluez/hci0/dev_…`
    pub device: String,
    /// The Nyckelfri primary service.
    pub service: String,
    /// Request characteristic (app writes).
    pub request: String,
    /// Response characteristic (lock notifies).
    pub response: String,
    /// The Response characteristic's CCCD.
    pub response_cccd: String,
    /// Info characteristic (read).
    pub info: String,
    /// Echo characteristic (stand-in only, for round-trip benchmarks).
    pub echo: String,
    /// The Echo characteristic's CCCD.
    pub echo_cccd: String,
}

impl DevicePaths {
    /// The paths for a device with `address` on hci0.
    pub fn new(address: &Address) -> Self {
        let device = format!("{ADAPTER_PATH}/{}", address.path_element());
        let service = format!("{device}/service000a");
        let response = format!("{service}/char000d");
        let echo = format!("{service}/char0012");
        Self {
            request: format!("{service}/char000b"),
            response_cccd: format!("{response}/desc000f"),
            info: format!("{service}/char0010"),
            echo_cccd: format!("{echo}/desc0014"),
            response,
            echo,
            service,
            device,
        }
    }
}

/// Emits `org.freedesktop.DBus.Properties.PropertiesChanged` for `iface` at
/// `path` with the given new values — how BlueZ reports connection changes,
/// discovery, and (on a characteristic's `Value`) every notification.
pub(crate) async fn emit_changed(
    conn: &Connection,
    path: &str,
    iface: &'static str,
    changed: Vec<(&'static str, Value<'_>)>,
) -> zbus::Result<()> {
    let emitter = SignalEmitter::new(conn, path)?;
    let changed: HashMap<&str, Value<'_>> = changed.into_iter().collect();
    Properties::properties_changed(
        &emitter,
        InterfaceName::from_static_str(iface)?,
        changed,
        Cow::Borrowed(&[]),
    )
    .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn addresses_are_static_random_and_paths_follow_bluez() {
        let a = Address::static_random(&[0x01, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
        assert_eq!(a.to_string(), "C1:22:33:44:55:66");
        let p = DevicePaths::new(&a);
        assert_eq!(p.device, "/org/bluez/hci0/dev_C1_22_33_44_55_66");
        assert_eq!(
            p.response_cccd,
            "/org/bluez/hci0/dev_C1_22_33_44_55_66/service000a/char000d/desc000f"
        );
        assert!(p.request.ends_with("/service000a/char000b"));
    }
}
