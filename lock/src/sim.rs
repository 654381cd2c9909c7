//! A simulated lock: the reference lock on software hardware, with a
//! settable clock, a monotonic tick, storage in memory or in a file, and
//! faults (jam, low battery, dead, lost Results, a power cut in the middle
//! of a write), speaking whole messages or GATT fragments.

use std::collections::{HashMap, VecDeque};
use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use nyckelfri_protocol::framing::{self, FramingError, Reassembler};
use nyckelfri_protocol::messages::{BoltState, Message};
use nyckelfri_protocol::{NONCE_LEN, ProtocolError, PublicKey, Signer, Status};

use crate::hardware::{
    LockHardware, RandomUnavailable, STORAGE_AREA_LEN, StorageError, SystemRandomSource,
};
use crate::reference::{LockConfig, ReferenceLock};

/// How long a press of the setup button keeps the commissioning window open.
pub const SETUP_BUTTON_WINDOW_SECS: u64 = 300;

#[derive(Debug)]
enum SimStorage {
    Memory(HashMap<u16, Vec<u8>>),
    File(PathBuf),
}

impl SimStorage {
    fn read(&self, area: u16) -> Result<Vec<u8>, StorageError> {
        match self {
            SimStorage::Memory(m) => Ok(m.get(&area).cloned().unwrap_or_default()),
            SimStorage::File(path) => {
                let Ok(mut f) = std::fs::File::open(path) else {
                    return Ok(Vec::new());
                };
                f.seek(SeekFrom::Start(u64::from(area) * STORAGE_AREA_LEN as u64))
                    .map_err(|_| StorageError)?;
                let mut out = Vec::with_capacity(STORAGE_AREA_LEN);
                f.take(STORAGE_AREA_LEN as u64)
                    .read_to_end(&mut out)
                    .map_err(|_| StorageError)?;
                Ok(out)
            }
        }
    }

    /// Writes `data` over the start of the area, as flash does: bytes after
    /// it keep what they held.
    fn write(&mut self, area: u16, data: &[u8]) -> Result<(), StorageError> {
        match self {
            SimStorage::Memory(m) => {
                let a = m.entry(area).or_default();
                if a.len() < data.len() {
                    a.resize(data.len(), 0);
                }
                for (o, b) in a.iter_mut().zip(data) {
                    *o = *b;
                }
                Ok(())
            }
            SimStorage::File(path) => {
                let mut f = OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(path)
                    .map_err(|_| StorageError)?;
                f.seek(SeekFrom::Start(u64::from(area) * STORAGE_AREA_LEN as u64))
                    .map_err(|_| StorageError)?;
                f.write_all(data).map_err(|_| StorageError)?;
                f.sync_data().map_err(|_| StorageError)
            }
        }
    }
}

#[derive(Debug)]
struct SimState {
    /// The RTC, Unix seconds; 0 while unset.
    rtc: u64,
    rtc_stopped: bool,
    tick_ms: u64,
    battery: u8,
    jam: bool,
    dead: bool,
    drop_results: u32,
    button_pressed_tick: Option<u64>,
    nonces: VecDeque<[u8; NONCE_LEN]>,
    storage: SimStorage,
    /// Writes left before the one the power cut tears.
    cut_power_in_write: Option<u32>,
    storage_failing: bool,
}

/// A handle to a simulated lock's clock, storage and faults; clone it freely.
#[derive(Debug, Clone)]
pub struct SimControls(Arc<Mutex<SimState>>);

impl SimControls {
    fn state(&self) -> MutexGuard<'_, SimState> {
        // A panic elsewhere while holding the lock leaves plain data behind;
        // the simulator goes on with it.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the lock's real-time clock (Unix seconds); 0 makes it unset.
    pub fn set_time(&self, unix: u64) {
        self.state().rtc = unix;
    }
    /// Lets `secs` pass: the tick counts them, and so does the RTC unless it
    /// is stopped or unset.
    pub fn advance(&self, secs: u64) {
        let mut s = self.state();
        s.tick_ms = s.tick_ms.saturating_add(secs.saturating_mul(1000));
        if !s.rtc_stopped && s.rtc != 0 {
            s.rtc = s.rtc.saturating_add(secs);
        }
    }
    /// Stops the RTC (a failed crystal): time still passes, the RTC does not count it.
    pub fn stop_rtc(&self, stopped: bool) {
        self.state().rtc_stopped = stopped;
    }
    /// The RTC's reading (0: unset).
    pub fn time(&self) -> u64 {
        self.state().rtc
    }
    /// The monotonic tick, milliseconds since the lock started.
    pub fn ticks_ms(&self) -> u64 {
        self.state().tick_ms
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
    /// window for [`SETUP_BUTTON_WINDOW_SECS`], timed by the tick).
    pub fn press_setup_button(&self) {
        let mut s = self.state();
        s.button_pressed_tick = Some(s.tick_ms);
    }
    /// Queues fixed nonces to use instead of random ones (test vectors only).
    pub fn queue_nonce(&self, nonce: [u8; NONCE_LEN]) {
        self.state().nonces.push_back(nonce);
    }
    /// The power goes in the middle of the next storage write: half its
    /// bytes reach the flash, and the lock is dead until it is rebooted.
    pub fn cut_power_in_next_write(&self) {
        self.cut_power_after_writes(0);
    }
    /// The power goes in the middle of the storage write after the next
    /// `n` (which complete).
    pub fn cut_power_after_writes(&self, n: u32) {
        self.state().cut_power_in_write = Some(n);
    }
    /// The raw bytes of storage area `area` (the lock's record format is
    /// its own business; tests use this to damage a copy on purpose).
    pub fn area_bytes(&self, area: u16) -> Vec<u8> {
        self.state().storage.read(area).unwrap_or_default()
    }
    /// Flips one bit of storage area `area` at byte `offset` (a worn cell).
    pub fn flip_bit(&self, area: u16, offset: usize) {
        let mut s = self.state();
        let mut bytes = s.storage.read(area).unwrap_or_default();
        if let Some(b) = bytes.get_mut(offset) {
            *b ^= 0x01;
            let _ = s.storage.write(area, &bytes);
        }
    }
    /// While set, every storage write fails (worn-out flash).
    pub fn set_storage_failing(&self, failing: bool) {
        self.state().storage_failing = failing;
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
    /// The lock restarts: the tick starts again and the button's press is gone.
    fn restart(&self, rtc_lost: bool) {
        let mut s = self.state();
        s.tick_ms = 0;
        s.button_pressed_tick = None;
        s.dead = false;
        if rtc_lost {
            s.rtc = 0;
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
    fn rtc_now(&self) -> Option<u64> {
        Some(self.controls.state().rtc).filter(|t| *t != 0)
    }
    fn ticks_ms(&self) -> u64 {
        self.controls.state().tick_ms
    }
    fn battery_percent(&self) -> u8 {
        self.controls.state().battery
    }
    fn setup_button_recently_pressed(&self) -> bool {
        let s = self.controls.state();
        s.button_pressed_tick
            .is_some_and(|at| s.tick_ms >= at && s.tick_ms - at <= SETUP_BUTTON_WINDOW_SECS * 1000)
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
    fn storage_read(&self, area: u16) -> Result<Vec<u8>, StorageError> {
        self.controls.state().storage.read(area)
    }
    fn storage_write(&mut self, area: u16, data: &[u8]) -> Result<(), StorageError> {
        let mut s = self.controls.state();
        if s.dead || s.storage_failing {
            return Err(StorageError);
        }
        if let Some(n) = s.cut_power_in_write {
            if n > 0 {
                s.cut_power_in_write = Some(n - 1);
                return s.storage.write(area, data);
            }
            s.cut_power_in_write = None;
            s.dead = true;
            let half = data.get(..data.len() / 2).unwrap_or_default();
            let _ = s.storage.write(area, half);
            return Err(StorageError);
        }
        s.storage.write(area, data)
    }
}

/// The lock's key, shared between boots of the same simulated lock.
#[derive(Clone)]
struct SharedKey(Arc<Mutex<Box<dyn Signer + Send>>>);

impl Signer for SharedKey {
    fn public_key(&self) -> PublicKey {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .public_key()
    }
    fn sign(&self, msg: &[u8]) -> Result<[u8; 64], ProtocolError> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).sign(msg)
    }
}

/// A reference lock on simulated hardware.
pub struct SimulatedLock {
    lock: ReferenceLock<SimHardware>,
    controls: SimControls,
    reassembler: Reassembler,
    key: SharedKey,
}

impl SimulatedLock {
    /// A simulated lock with its own key and configuration, its storage in
    /// memory, its clock at `time` and a full battery.
    pub fn new(key: Box<dyn Signer + Send>, config: LockConfig, time: u64) -> Self {
        Self::build(key, SimStorage::Memory(HashMap::new()), Some(config), time)
    }

    /// A simulated lock that keeps its state in the file at `path`. If the
    /// file holds a lock's state, the lock boots from it and `config` is not
    /// used; otherwise it starts with `config`.
    pub fn with_state_file(
        key: Box<dyn Signer + Send>,
        path: &Path,
        config: LockConfig,
        time: u64,
    ) -> std::io::Result<Self> {
        let existing = std::fs::metadata(path).is_ok_and(|m| m.len() > 0);
        if !existing {
            std::fs::File::create(path)?;
        }
        let storage = SimStorage::File(path.to_path_buf());
        Ok(Self::build(
            key,
            storage,
            (!existing).then_some(config),
            time,
        ))
    }

    fn build(
        key: Box<dyn Signer + Send>,
        storage: SimStorage,
        config: Option<LockConfig>,
        time: u64,
    ) -> Self {
        let controls = SimControls(Arc::new(Mutex::new(SimState {
            rtc: time,
            rtc_stopped: false,
            tick_ms: 0,
            battery: 100,
            jam: false,
            dead: false,
            drop_results: 0,
            button_pressed_tick: None,
            nonces: VecDeque::new(),
            storage,
            cut_power_in_write: None,
            storage_failing: false,
        })));
        let key = SharedKey(Arc::new(Mutex::new(key)));
        let hardware = SimHardware {
            controls: controls.clone(),
            random: SystemRandomSource::default(),
        };
        let lock = match config {
            Some(config) => ReferenceLock::new(Box::new(key.clone()), hardware, config),
            None => ReferenceLock::boot(Box::new(key.clone()), hardware),
        };
        Self {
            lock,
            controls,
            reassembler: Reassembler::new(),
            key,
        }
    }

    /// The clock, storage and fault controls.
    pub fn controls(&self) -> SimControls {
        self.controls.clone()
    }

    /// The lock logic, to inspect its state.
    pub fn lock(&self) -> &ReferenceLock<SimHardware> {
        &self.lock
    }

    /// The lock restarts (a firmware reset): what it keeps in RAM is gone,
    /// and it boots from storage.
    pub fn reboot(&mut self) {
        self.restart(false);
    }

    /// The battery is taken out and put back (a battery change, or the
    /// power going in the middle of something): the RTC loses its time and
    /// the lock boots from storage.
    pub fn power_loss(&mut self) {
        self.restart(true);
    }

    fn restart(&mut self, rtc_lost: bool) {
        self.controls.restart(rtc_lost);
        self.reassembler.reset();
        let hardware = SimHardware {
            controls: self.controls.clone(),
            random: SystemRandomSource::default(),
        };
        self.lock = ReferenceLock::boot(Box::new(self.key.clone()), hardware);
    }

    /// A long press of the button inside the door: back to factory state
    /// (commissioning mode, no issuers, lists or clock floor).
    pub fn factory_reset(&mut self) {
        self.reassembler.reset();
        let _ = self.lock.factory_reset();
    }

    /// A phone connected: the encoded Hello, or None if the lock is dead.
    pub fn connect(&mut self) -> Option<Vec<u8>> {
        if self.controls.is_dead() {
            return None;
        }
        self.reassembler.reset();
        self.lock.maintain();
        let hello = self.lock.hello().ok()?;
        Message::Hello(hello).encode().ok()
    }

    /// The phone disconnected.
    pub fn disconnect(&mut self) {
        self.reassembler.reset();
        self.lock.end_session();
    }

    /// One whole message in; the encoded Result out, unless the lock does
    /// not answer (no session, or a second message it does not sign), is
    /// dead, or the Result is dropped by a fault.
    pub fn receive(&mut self, message: &[u8]) -> Option<Vec<u8>> {
        if self.controls.is_dead() {
            return None;
        }
        let result = self.lock.handle(message)?;
        if self.controls.is_dead() || self.controls.take_drop() {
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
                let result = self.lock.refuse_frame(status)?;
                Message::Result(result).encode().ok()?
            }
        };
        framing::fragment(&reply, mtu).ok()
    }
}
