//! Trusted time. The phone's own clock can be set by anyone holding the
//! phone, so it must not decide whether a key is still valid. Instead, each
//! sync anchors the server's time to a monotonic clock that keeps counting
//! while the phone sleeps; "now" is the server time at the anchor plus the
//! monotonic time since. A persisted high-water mark keeps "now" from ever
//! falling. Only after a reboot with no sync since is the phone's clock used,
//! and then never below the high-water mark.

use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

/// Where the current time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TimeSource {
    /// Server time from the last sync plus a monotonic clock: trustworthy.
    ServerAnchored,
    /// The phone rebooted since the last sync (or never synced): the phone's
    /// clock, floored at the newest time seen. Sync to restore trust.
    PhoneClock,
}

/// The clocks of the device. Real ones in [`SystemClocks`]; tests set their own.
pub trait Clocks: Send + Sync {
    /// The phone's wall clock, Unix seconds (user-settable, untrusted).
    fn wall_now(&self) -> i64;
    /// Time since boot, counting sleep (Linux/Android `CLOCK_BOOTTIME`,
    /// Darwin `CLOCK_MONOTONIC`, which also counts sleep).
    fn since_boot(&self) -> Duration;
    /// An id that changes with every boot, where the platform has one.
    fn boot_id(&self) -> Option<String>;
}

/// The device's real clocks.
#[derive(Debug, Default)]
pub struct SystemClocks;

impl Clocks for SystemClocks {
    fn wall_now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }

    fn since_boot(&self) -> Duration {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let clock = libc::CLOCK_BOOTTIME;
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let clock = libc::CLOCK_MONOTONIC;
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
        let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
        if rc != 0 {
            return Duration::ZERO;
        }
        Duration::new(
            u64::try_from(ts.tv_sec).unwrap_or(0),
            u32::try_from(ts.tv_nsec).unwrap_or(0),
        )
    }

    fn boot_id(&self) -> Option<String> {
        std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .ok()
            .map(|s| s.trim().to_owned())
    }
}

/// Clocks set by hand: for tests, and for showing what tampering does.
#[derive(Debug, Clone, Default)]
pub struct ManualClocks(std::sync::Arc<std::sync::Mutex<ManualState>>);

#[derive(Debug, Default)]
struct ManualState {
    wall: i64,
    since_boot: Duration,
    boot: u32,
}

impl ManualClocks {
    /// Wall clock at `wall` (Unix seconds), an hour after boot.
    pub fn new(wall: i64) -> Self {
        let c = Self::default();
        {
            let mut s = c.state();
            s.wall = wall;
            s.since_boot = Duration::from_secs(3_600);
        }
        c
    }
    fn state(&self) -> std::sync::MutexGuard<'_, ManualState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// Real time passes: both clocks move on.
    pub fn advance(&self, secs: u64) {
        let mut s = self.state();
        s.wall = s
            .wall
            .saturating_add(i64::try_from(secs).unwrap_or(i64::MAX));
        s.since_boot += Duration::from_secs(secs);
    }
    /// Someone sets the phone's clock; nothing else changes.
    pub fn set_wall(&self, wall: i64) {
        self.state().wall = wall;
    }
    /// The phone restarts: the monotonic clock starts over, with a new boot id.
    pub fn reboot(&self) {
        let mut s = self.state();
        s.boot += 1;
        s.since_boot = Duration::from_secs(30);
    }
}

impl Clocks for ManualClocks {
    fn wall_now(&self) -> i64 {
        self.state().wall
    }
    fn since_boot(&self) -> Duration {
        self.state().since_boot
    }
    fn boot_id(&self) -> Option<String> {
        Some(format!("boot-{}", self.state().boot))
    }
}

/// Server time pinned to the monotonic clock at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Anchor {
    server_time: i64,
    since_boot_ms: u64,
    boot_id: Option<String>,
}

/// A reading of trusted time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Unix seconds.
    pub unix: i64,
    /// How far to trust it.
    pub source: TimeSource,
}

const ANCHOR_KEY: &str = "time.anchor";
const HIGH_WATER_KEY: &str = "time.high_water";

/// Computes trusted time from the persisted anchor and high-water mark.
pub struct TrustedTime {
    clocks: Box<dyn Clocks>,
}

impl TrustedTime {
    /// Trusted time over `clocks`.
    pub fn new(clocks: Box<dyn Clocks>) -> Self {
        Self { clocks }
    }

    /// Time since the phone booted, deep sleep included (the monotonic
    /// clock the anchor counts on).
    pub(crate) fn since_boot(&self) -> std::time::Duration {
        self.clocks.since_boot()
    }

    /// Records the server's time as of now (call right after a sync answer).
    pub fn anchor(&self, conn: &Connection, server_time: i64) -> Result<()> {
        let anchor = Anchor {
            server_time,
            since_boot_ms: millis(self.clocks.since_boot()),
            boot_id: self.clocks.boot_id(),
        };
        let value = serde_json::json!({
            "server_time": anchor.server_time,
            "since_boot_ms": anchor.since_boot_ms,
            "boot_id": anchor.boot_id,
        });
        put(conn, ANCHOR_KEY, &value.to_string())?;
        self.raise_high_water(conn, server_time)
    }

    /// The current trusted time; a server-anchored reading also moves the
    /// high-water mark up. A phone-clock reading never does, so a clock set
    /// far ahead while offline cannot poison the mark for later.
    pub fn now(&self, conn: &Connection) -> Result<Now> {
        let reading = self.peek(conn)?;
        if reading.source == TimeSource::ServerAnchored {
            self.raise_high_water(conn, reading.unix)?;
        }
        Ok(reading)
    }

    /// The current trusted time without writing anything.
    pub fn peek(&self, conn: &Connection) -> Result<Now> {
        let high_water = get(conn, HIGH_WATER_KEY)?
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(i64::MIN);
        let anchored = get(conn, ANCHOR_KEY)?
            .and_then(|v| serde_json::from_str::<serde_json::Value>(&v).ok())
            .and_then(|v| {
                Some(Anchor {
                    server_time: v.get("server_time")?.as_i64()?,
                    since_boot_ms: v.get("since_boot_ms")?.as_u64()?,
                    boot_id: v.get("boot_id")?.as_str().map(str::to_owned),
                })
            })
            .and_then(|a| self.server_time_via(&a));
        Ok(match anchored {
            Some(unix) => Now {
                unix: unix.max(high_water),
                source: TimeSource::ServerAnchored,
            },
            None => Now {
                unix: self.clocks.wall_now().max(high_water),
                source: TimeSource::PhoneClock,
            },
        })
    }

    /// Server time now, if the anchor is from this boot.
    fn server_time_via(&self, a: &Anchor) -> Option<i64> {
        let since_boot_ms = millis(self.clocks.since_boot());
        let same_boot = match (&a.boot_id, self.clocks.boot_id()) {
            (Some(then), Some(now)) => *then == now,
            // Without boot ids, a monotonic clock that went backwards means a reboot.
            _ => since_boot_ms >= a.since_boot_ms,
        };
        if !same_boot || since_boot_ms < a.since_boot_ms {
            return None;
        }
        let elapsed = i64::try_from((since_boot_ms - a.since_boot_ms) / 1000).ok()?;
        a.server_time.checked_add(elapsed)
    }

    fn raise_high_water(&self, conn: &Connection, unix: i64) -> Result<()> {
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value
             WHERE CAST(meta.value AS INTEGER) < CAST(excluded.value AS INTEGER)",
            params![HIGH_WATER_KEY, unix.to_string()],
        )?;
        Ok(())
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

fn put(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}
