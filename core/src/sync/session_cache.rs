//! The server session, kept in memory between calls. Opening one costs a
//! challenge and a signature, and the server limits challenges per device
//! (10 at once, 30 a minute): a technician's installation is more calls
//! than that, so every call asking for its own session would be refused
//! part way through. The token is never written to disk; it is forgotten
//! when the server answers 401 (the next call opens a new one) and reused
//! for a few minutes at most, counted on the clock since boot (deep sleep
//! included, the one trusted time counts on) so that neither a wrong wall
//! clock nor a phone asleep in a pocket can stretch it.

use std::sync::Mutex;
use std::time::Duration;

/// How long a session is reused: well inside the server's lifetime (an
/// hour by default).
const REUSE_FOR: Duration = Duration::from_secs(5 * 60);

struct Cached {
    server: String,
    device_id: String,
    token: String,
    /// Since boot, when it was opened.
    from: Duration,
}

/// The one session of this app.
#[derive(Default)]
pub(crate) struct SessionCache {
    slot: Mutex<Option<Cached>>,
}

impl SessionCache {
    /// The session for this server and device, if one is fresh at
    /// `since_boot` (a clock that went back means a reboot: not fresh).
    pub(crate) fn get(
        &self,
        server: &str,
        device_id: &str,
        since_boot: Duration,
    ) -> Option<String> {
        let slot = self.slot.lock().ok()?;
        slot.as_ref()
            .filter(|c| c.server == server && c.device_id == device_id)
            .filter(|c| c.from <= since_boot && since_boot < c.from + REUSE_FOR)
            .map(|c| c.token.clone())
    }

    /// Keeps a new session, opened at `since_boot`.
    pub(crate) fn put(&self, server: &str, device_id: &str, token: &str, since_boot: Duration) {
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some(Cached {
                server: server.to_owned(),
                device_id: device_id.to_owned(),
                token: token.to_owned(),
                from: since_boot,
            });
        }
    }

    /// Forgets the session (the server refused it, or the phone left).
    pub(crate) fn clear(&self) {
        if let Ok(mut slot) = self.slot.lock() {
            *slot = None;
        }
    }
}
