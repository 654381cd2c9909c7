//! A simulated lock: the reference lock on software hardware, with a
//! settable clock and faults, speaking whole messages or GATT fragments.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use nyckelfri_protocol::framing::{self, FramingError, Reassembler};
use nyckelfri_protocol::messages::{BoltState, Message};
use nyckelfri_protocol::{NONCE_LEN, Signer, Status};

use crate::hardware::{LockHardware, RandomUnavailable, SystemRandomSource};
use crate::reference::{LockConfig, ReferenceLock};

#[derive(Debug)]
struct SimState {
    time: u64,
    battery: u8,
    jam: bool,
    dead: bool,
    drop_results: u32,
    button_pressed_at: Option<u64>,
    nonces: VecDeque<[u8; NONCE_LEN]>,
    rtc_stopped: bool,
}

/// How long a press of the setup button keeps the commissioning window open.
pub const SETUP_BUTTON_WINDOW_SECS: u64 = 300;

/// A handle to a simulated lock's clock and faults; clone it freely.
#[derive(Debug, Clone)]
pub struct SimControls(Arc<Mutex<SimState>>);

impl SimControls {
    fn state(&self) -> MutexGuard<'_, SimState> {
        // A panic elsewhere while holding the lock leaves plain data behind;
        // the simulator goes on with it.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the lock's real-time clock (Unix seconds); 0 models an unset clock.
    pub fn set_time(&self, unix: u64) {
        self.state().time = unix;
    }
    /// Moves the clock forward.
    pub fn advance(&self, secs: u64) {
        let mut s = self.state();
        if !s.rtc_stopped {
            s.time = s.time.saturating_add(secs);
        }
    }
    /// Stops the RTC (a failed crystal): time still passes, the RTC does not count it.
    pub fn stop_rtc(&self, stopped: bool) {
        self.state().rtc_stopped = stopped;
    }
    /// The RTC's reading.
    pub fn time(&self) -> u64 {
        self.state().time
    }
    /// Sets the battery level.
    pub fn set_battery(&self, percent: u8) {
        self.state().battery = percent.min(100);
    }
    /// While set, the motor cannot move the bolt.
    pub fn set_jammed(&self, jammed: bool) {
        self.state().jam = jammed;
    }
    /// While set, the lock neither advertises nor answers (flat battery, broken board).
    pub fn set_dead(&self, dead: bool) {
        self.state().dead = dead;
    }
    /// Whether the lock is dead.
    pub fn is_dead(&self) -> bool {
        self.state().dead
    }
    /// The next `n` Results are computed (and the bolt moved) but never sent,
    /// as when the link drops just after actuation.
    pub fn drop_next_results(&self, n: u32) {
        self.state().drop_results = n;
    }
    /// Presses the setup button inside the door (opens the commissioning
    /// window for [`SETUP_BUTTON_WINDOW_SECS`]).
    pub fn press_setup_button(&self) {
        let mut s = self.state();
        s.button_pressed_at = Some(s.time);
    }
    /// Queues fixed nonces to use instead of random ones (test vectors only).
    pub fn queue_nonce(&self, nonce: [u8; NONCE_LEN]) {
        self.state().nonces.push_back(nonce);
    }
    fn take_drop(&self) -> bool {
        let mut s = self.state();
        if s.drop_results > 0 {
            s.drop_results -= 1;
            true
        } else {
            false
        }
    }
}

/// Software hardware for the reference lock.
#[derive(Debug)]
pub struct SimHardware {
    controls: SimControls,
    random: SystemRandomSource,
}

impl LockHardware for SimHardware {
    fn rtc_now(&self) -> u64 {
        self.controls.state().time
    }
    fn battery_percent(&self) -> u8 {
        self.controls.state().battery
    }
    fn setup_button_recently_pressed(&self) -> bool {
        let s = self.controls.state();
        s.button_pressed_at
            .is_some_and(|at| s.time >= at && s.time - at <= SETUP_BUTTON_WINDOW_SECS)
    }
    fn drive_bolt(&mut self, _target: BoltState) -> bool {
        !self.controls.state().jam
    }
    fn fill_random(&mut self, buf: &mut [u8]) -> Result<(), RandomUnavailable> {
        if buf.len() == NONCE_LEN
            && let Some(n) = self.controls.state().nonces.pop_front()
        {
            buf.copy_from_slice(&n);
            return Ok(());
        }
        self.random.fill(buf)
    }
}

/// A reference lock on simulated hardware.
pub struct SimulatedLock {
    lock: ReferenceLock<SimHardware>,
    controls: SimControls,
    reassembler: Reassembler,
    key: SharedKey,
    config: LockConfig,
}

/// The lock's key, shared between boots of the same simulated lock.
#[derive(Clone)]
struct SharedKey(Arc<Mutex<Box<dyn Signer + Send>>>);

impl Signer for SharedKey {
    fn public_key(&self) -> nyckelfri_protocol::PublicKey {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).public_key()
    }
    fn sign(&self, msg: &[u8]) -> Result<[u8; 64], nyckelfri_protocol::ProtocolError> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).sign(msg)
    }
}

impl SimulatedLock {
    /// A simulated lock with its own key and configuration, its clock at
    /// `time` and a full battery.
    pub fn new(key: Box<dyn Signer + Send>, config: LockConfig, time: u64) -> Self {
        let controls = SimControls(Arc::new(Mutex::new(SimState {
            time,
            battery: 100,
            jam: false,
            dead: false,
            drop_results: 0,
            button_pressed_at: None,
            nonces: VecDeque::new(),
            rtc_stopped: false,
        })));
        let hardware = SimHardware {
            controls: controls.clone(),
            random: SystemRandomSource::default(),
        };
        let key = SharedKey(Arc::new(Mutex::new(key)));
        Self {
            lock: ReferenceLock::new(Box::new(key.clone()), hardware, config.clone()),
            controls,
            reassembler: Reassembler::new(),
            key,
            config,
        }
    }

    /// The lock restarts (firmware reset): what it keeps in RAM is gone.
    pub fn reboot(&mut self) {
        let hardware = SimHardware {
            controls: self.controls.clone(),
            random: SystemRandomSource::default(),
        };
        self.reassembler.reset();
        self.lock = ReferenceLock::new(Box::new(self.key.clone()), hardware, self.config.clone());
    }

    /// The clock and fault controls.
    pub fn controls(&self) -> SimControls {
        self.controls.clone()
    }

    /// The lock logic, to inspect its state.
    pub fn lock(&self) -> &ReferenceLock<SimHardware> {
        &self.lock
    }

    /// A phone connected: the encoded Hello, or None if the lock is dead.
    pub fn connect(&mut self) -> Option<Vec<u8>> {
        if self.controls.is_dead() {
            return None;
        }
        self.reassembler.reset();
        let hello = self.lock.hello().ok()?;
        Message::Hello(hello).encode().ok()
    }

    /// The phone disconnected.
    pub fn disconnect(&mut self) {
        self.reassembler.reset();
        self.lock.end_session();
    }

    /// One whole message in; the encoded Result out, unless the lock is dead
    /// or the Result is dropped by a fault.
    pub fn receive(&mut self, message: &[u8]) -> Option<Vec<u8>> {
        if self.controls.is_dead() {
            return None;
        }
        let result = self.lock.handle(message);
        if self.controls.take_drop() {
            return None;
        }
        Message::Result(result).encode().ok()
    }

    /// One GATT fragment in; when a message is complete (or broken), the
    /// Result's fragments for `mtu`.
    pub fn receive_fragment(
        &mut self,
        fragment: &[u8],
        now_ms: u64,
        mtu: usize,
    ) -> Option<Vec<Vec<u8>>> {
        if self.controls.is_dead() {
            return None;
        }
        let reply = match self.reassembler.push(fragment, now_ms) {
            Ok(None) => return None,
            Ok(Some(message)) => self.receive(&message)?,
            Err(e) => {
                let status = match e {
                    FramingError::Oversized { .. } => Status::Oversized,
                    _ => Status::Malformed,
                };
                let result = self.lock.refuse_frame(status);
                Message::Result(result).encode().ok()?
            }
        };
        framing::fragment(&reply, mtu).ok()
    }
}
