//! Errors: the ones the stand-in answers on D-Bus (BlueZ's names, so a client
//! maps them as it would on a real machine) and the ones its Rust API returns.

/// BlueZ's D-Bus errors (`org.bluez.Error.*`), the subset the stand-in uses.
#[derive(Debug, zbus::DBusError)]
#[zbus(prefix = "org.bluez.Error")]
pub enum BluezError {
    /// A D-Bus level failure inside zbus.
    #[zbus(error)]
    ZBus(zbus::Error),
    /// `org.bluez.Error.Failed`, with BlueZ's message (e.g.
    /// "le-connection-abort-by-local" for a connection that never came up).
    Failed(String),
    /// `org.bluez.Error.NotReady`: the adapter is powered off.
    NotReady(String),
    /// `org.bluez.Error.NotConnected`.
    NotConnected(String),
    /// `org.bluez.Error.NotPermitted`: e.g. reading a write-only characteristic.
    NotPermitted(String),
    /// `org.bluez.Error.NotSupported`: e.g. a reliable write.
    NotSupported(String),
    /// `org.bluez.Error.InvalidValueLength`: a write longer than ATT_MTU − 3.
    InvalidValueLength(String),
    /// `org.bluez.Error.InvalidArguments`.
    InvalidArguments(String),
    /// `org.bluez.Error.DoesNotExist`.
    DoesNotExist(String),
}

/// Why the stand-in, its private bus or a control call failed.
#[derive(Debug, thiserror::Error)]
pub enum StandInError {
    /// Starting or talking to `dbus-daemon` failed.
    #[error("private bus: {0}")]
    Bus(#[from] std::io::Error),
    /// The D-Bus connection or object server failed.
    #[error("D-Bus: {0}")]
    Dbus(#[from] zbus::Error),
    /// An ATT_MTU outside 23..=517.
    #[error("MTU {0} is outside 23..=517")]
    BadMtu(usize),
    /// No lock with that index or id.
    #[error("no such lock: {0}")]
    NoSuchLock(String),
}
