//! The demo's clock: the day is played on demo time, not wall time (keys
//! are only valid in their visit windows ±45 min). The server's clock, the
//! phone's clocks and every lock's real-time clock move together.

use nyckelfri_core::time::ManualClocks;
use nyckelfri_lock::SimControls;
use nyckelfri_server::Clock;

/// One time for the whole demo world.
pub struct DayClock {
    now: i64,
    /// The server's clock.
    pub server: Clock,
    /// The phone's wall and boot clocks.
    pub phone: ManualClocks,
    locks: Vec<SimControls>,
}

impl DayClock {
    /// Everything at `now` (Unix seconds).
    pub fn new(now: i64) -> Self {
        Self {
            now,
            server: Clock::fixed(now),
            phone: ManualClocks::new(now),
            locks: Vec::new(),
        }
    }

    /// Moves these locks' clocks with the rest from now on (they must be
    /// at [`DayClock::now`] already).
    pub fn add_locks(&mut self, locks: Vec<SimControls>) {
        self.locks.extend(locks);
    }

    /// Demo time, Unix seconds.
    pub fn now(&self) -> i64 {
        self.now
    }

    /// Moves everything forward to `t` (never back).
    pub fn advance_to(&mut self, t: i64) {
        let Ok(secs) = u64::try_from(t - self.now) else {
            return;
        };
        if secs == 0 {
            return;
        }
        self.server.advance(t - self.now);
        self.phone.advance(secs);
        for l in &self.locks {
            l.advance(secs);
        }
        self.now = t;
    }

    /// Moves everything forward by `secs`.
    pub fn advance(&mut self, secs: i64) {
        self.advance_to(self.now.saturating_add(secs));
    }
}
