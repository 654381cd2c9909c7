//! A private D-Bus daemon for tests and development: its own socket in a
//! temporary directory, a policy that lets anyone own any name (so the
//! stand-in can own `org.bluez` without root-only system-bus rules), killed
//! when dropped. Needs `dbus-daemon` (Debian package `dbus-daemon` or `dbus`).
//!
//! Point a client at it through `DBUS_SYSTEM_BUS_ADDRESS`: libdbus (under
//! btleplug) reads that once per process, so each test process uses one bus.

use std::io::{self, BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tempfile::TempDir;

/// How long `dbus-daemon` may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A running private bus.
#[derive(Debug)]
pub struct PrivateBus {
    child: Child,
    address: String,
    // Kept so the socket and config outlive the daemon; removed on drop.
    _dir: TempDir,
}

impl PrivateBus {
    /// Starts `dbus-daemon` on a fresh socket and waits for its address.
    pub fn start() -> io::Result<PrivateBus> {
        let dir = tempfile::Builder::new().prefix("nyckelfri-bus").tempdir()?;
        let socket = dir.path().join("bus");
        let config = dir.path().join("bus.conf");
        std::fs::write(&config, config_text(&socket.to_string_lossy()))?;
        let mut child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .arg("--print-address=1")
            .arg("--nofork")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot run dbus-daemon (apt-get install dbus-daemon): {e}"),
                )
            })?;
        let address = match child.stdout.take() {
            Some(out) => read_address(out),
            None => Err(io::Error::other("dbus-daemon has no stdout")),
        };
        match address {
            Ok(address) => Ok(PrivateBus {
                child,
                address,
                _dir: dir,
            }),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(e)
            }
        }
    }

    /// The bus address, e.g. `unix:path=/tmp/nyckelfri-busXXXX/bus,guid=…`.
    pub fn address(&self) -> &str {
        &self.address
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        // Already exited is fine; there is nothing else to do on failure.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the first line on a helper thread, so a daemon that neither prints
/// nor exits cannot hang the caller.
fn read_address(out: impl Read + Send + 'static) -> io::Result<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let result = BufReader::new(out).read_line(&mut line).map(|_| line);
        let _ = tx.send(result);
    });
    let line = rx
        .recv_timeout(START_TIMEOUT)
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "dbus-daemon printed no address"))??;
    let address = line.trim().to_owned();
    if address.is_empty() {
        return Err(io::Error::other("dbus-daemon exited without an address"));
    }
    Ok(address)
}

/// A session-style bus that allows everything: only this test's processes
/// can reach its socket, and the stand-in must own `org.bluez`.
fn config_text(socket: &str) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#
    )
}
