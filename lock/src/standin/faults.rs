//! Fault injection and link settings for one simulated lock, changeable at
//! runtime from Rust through a cloneable [`LockControls`] handle. Each knob
//! models something a care worker meets at a real door.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use nyckelfri_protocol::framing::{MAX_MTU, MIN_MTU};
use tokio::sync::Notify;

use crate::SimControls;
use crate::standin::error::StandInError;

/// The ATT_MTU a simulated lock negotiates unless told otherwise: what an
/// iPhone typically ends up with.
pub const DEFAULT_MTU: usize = 185;

/// The current knobs; read by the stand-in at each step.
#[derive(Debug, Clone)]
pub(crate) struct Faults {
    pub advertising: bool,
    pub fail_connects: u32,
    pub drop_link_after_writes: Option<u32>,
    pub garbage_notifications: bool,
    pub response_delay: Duration,
    pub latency: Duration,
    pub mtu: usize,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            advertising: true,
            fail_connects: 0,
            drop_link_after_writes: None,
            garbage_notifications: false,
            response_delay: Duration::ZERO,
            latency: Duration::ZERO,
            mtu: DEFAULT_MTU,
        }
    }
}

/// A handle to one simulated lock's faults and link settings; clone freely.
#[derive(Debug, Clone)]
pub struct LockControls {
    faults: Arc<Mutex<Faults>>,
    sim: SimControls,
    // Wakes the stand-in when advertising changes, so a lock that starts
    // advertising during a scan is discovered then, not at the next scan.
    changed: Arc<Notify>,
}

impl LockControls {
    pub(crate) fn new(sim: SimControls, mtu: usize) -> Result<Self, StandInError> {
        check_mtu(mtu)?;
        Ok(Self {
            faults: Arc::new(Mutex::new(Faults {
                mtu,
                ..Faults::default()
            })),
            sim,
            changed: Arc::new(Notify::new()),
        })
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, Faults> {
        // Plain data: a panic elsewhere leaves nothing half-done worth refusing.
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn changed(&self) -> &Notify {
        &self.changed
    }

    /// The simulated lock's own clock, battery and motor faults.
    pub fn sim(&self) -> SimControls {
        self.sim.clone()
    }

    /// Whether the lock advertises (and accepts connections). Off models a
    /// lock out of range, switched off, or with the radio broken; a dead
    /// lock ([`SimControls::set_dead`]) never advertises either.
    pub fn set_advertising(&self, on: bool) {
        self.faults().advertising = on;
        self.changed.notify_one();
    }

    /// The next `n` `Device1.Connect` calls fail with
    /// `org.bluez.Error.Failed: le-connection-abort-by-local`, as when the
    /// lock is at the edge of range.
    pub fn fail_next_connects(&self, n: u32) {
        self.faults().fail_connects = n;
    }

    /// After `n` request fragments have reached the lock on one connection,
    /// the link drops (supervision timeout): `Connected` goes false and
    /// nothing more is notified. `None` turns it off.
    pub fn drop_link_after_writes(&self, n: Option<u32>) {
        self.faults().drop_link_after_writes = n;
    }

    /// The next `n` Results are computed (the bolt moves) but never sent.
    pub fn drop_next_results(&self, n: u32) {
        self.sim.drop_next_results(n);
    }

    /// While set, every message the lock would notify is replaced by bytes
    /// that are not valid fragments (a continuation with no first fragment).
    pub fn set_garbage_notifications(&self, on: bool) {
        self.faults().garbage_notifications = on;
    }

    /// Extra time before the first fragment of each message the lock sends
    /// (a slow lock: busy motor, slow crypto, a congested radio).
    pub fn set_response_delay(&self, delay: Duration) {
        self.faults().response_delay = delay;
    }

    /// Delay of every notification and every acknowledged operation (write
    /// with response, read, CCCD write, connect): one connection interval.
    pub fn set_latency(&self, latency: Duration) {
        self.faults().latency = latency;
    }

    /// The ATT_MTU negotiated on the next connection (23..=517).
    pub fn set_mtu(&self, mtu: usize) -> Result<(), StandInError> {
        check_mtu(mtu)?;
        self.faults().mtu = mtu;
        Ok(())
    }
}

fn check_mtu(mtu: usize) -> Result<(), StandInError> {
    if (MIN_MTU..=MAX_MTU).contains(&mtu) {
        Ok(())
    } else {
        Err(StandInError::BadMtu(mtu))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn the_mtu_is_checked_against_the_att_bounds() {
        let s = Scenario::new().unwrap();
        assert!(matches!(
            LockControls::new(s.lock.controls(), 22),
            Err(StandInError::BadMtu(22))
        ));
        let c = LockControls::new(s.lock.controls(), MIN_MTU).unwrap();
        assert!(c.set_mtu(MAX_MTU).is_ok());
        assert!(matches!(c.set_mtu(518), Err(StandInError::BadMtu(518))));
        assert_eq!(c.faults().mtu, MAX_MTU);
    }

    #[test]
    fn faults_start_off_and_the_lock_on_the_air() {
        let s = Scenario::new().unwrap();
        let c = LockControls::new(s.lock.controls(), DEFAULT_MTU).unwrap();
        let f = c.faults().clone();
        assert!(f.advertising);
        assert_eq!(f.fail_connects, 0);
        assert_eq!(f.drop_link_after_writes, None);
        assert!(!f.garbage_notifications);
        assert!(f.latency.is_zero() && f.response_delay.is_zero());
    }
}
