//! The lock-side state machine: answer a Hello, check a Request or a
//! Commission, move the bolt, sign the receipt, and keep what must survive
//! a reboot or a power cut.
//!
//! Checks run cheapest first and each refusal has its own status, in this
//! order (PROTOCOL.md §5.3): frame → version → session → mode → nonce →
//! issuer update → revocation list → token envelope → issuer → signature →
//! claims → audience → clock bound → not-before → decision end → expiry →
//! list freshness → revoked → scope → proof of possession → repeated request
//! id → request-id age → mode → motor. At most two P-256 verifications
//! happen per unlock (token, device); a carried newer list or issuer update
//! adds one each.
//!
//! Time: the lock's time is the RTC, but never below its high-water mark,
//! which moves on with a monotonic tick even while the RTC is stopped or
//! unset, and is kept in storage at each carried-out command and at least
//! hourly. Sessions are timed by the tick alone.
//!
//! Storage (PROTOCOL.md §5.9): a state record, one list record per trusted
//! issuer and one record per request-cache slot. A carried-out command
//! writes its cache entry (with the new counter and the current time)
//! before the bolt moves; that entry is the write-ahead log of the command,
//! rolled forward at boot if the power went before its effect was stored.
//! Refusals write nothing.

use nyckelfri_protocol::commission::CommissionGrant;
use nyckelfri_protocol::issuers::IssuerUpdate;
use nyckelfri_protocol::keys::{KEY_ID_LEN, sha256};
use nyckelfri_protocol::messages::{
    BoltState, Command, Commission, Hello, IssuerEpoch, LockMode, Message, Request, ResultMessage,
};
use nyckelfri_protocol::revocation::{MAX_REVOKED, RevocationList};
use nyckelfri_protocol::token::{Scope, SignedToken};
use nyckelfri_protocol::transcript::{ReceiptFacts, receipt_transcript, request_transcript};
use nyckelfri_protocol::{
    MAX_CLOCK_AHEAD_SECS, MAX_EPOCH_STEP, NONCE_LEN, PublicKey, REQUEST_ID_LEN, Signer, Status,
    TOKEN_ID_LEN, request_id_time,
};

use crate::hardware::{LockHardware, RandomUnavailable, StorageError};
use crate::persist::{Areas, Record};
use crate::store::{
    CachedResult, EntryRecord, HeldList, ListRecord, MAX_ISSUERS, REQUEST_CACHE_LEN, StateRecord,
    Trusted,
};
use crate::{FLOOR_PERSIST_SECS, SESSION_TIMEOUT_SECS};

/// How a lock starts out.
#[derive(Debug, Clone)]
pub struct LockConfig {
    /// The lock id; empty for a factory-new lock in commissioning mode.
    pub lock_id: String,
    /// Trusted issuer keys (at most [`crate::MAX_ISSUERS`]).
    pub issuers: Vec<PublicKey>,
    /// The starting mode.
    pub mode: LockMode,
}

impl LockConfig {
    /// A factory-new lock: no id, no issuer, commissioning mode.
    pub fn factory_new() -> Self {
        Self {
            lock_id: String::new(),
            issuers: Vec::new(),
            mode: LockMode::Commissioning,
        }
    }
}

#[derive(Debug, Clone)]
struct Session {
    nonce: [u8; NONCE_LEN],
    started_ms: u64,
    /// The lock time the Hello showed.
    hello_time: u64,
    /// The issuers and epochs the Hello announced (bound into both signatures).
    announced: Vec<IssuerEpoch>,
    /// A decoded Request or Commission used the nonce (and was answered).
    used: bool,
    /// An undecodable message was answered (the one signed refusal for it).
    answered_undecodable: bool,
}

/// What a refusal or an answer is about, for the receipt.
struct Subject {
    token_hash: Vec<u8>,
    command: u8,
    request_id: [u8; REQUEST_ID_LEN],
}

impl Subject {
    fn unknown() -> Self {
        Self {
            token_hash: Vec::new(),
            command: 0,
            request_id: [0; REQUEST_ID_LEN],
        }
    }
}

/// What the checks of a Request established.
struct Checked {
    scope: Scope,
    token_id: [u8; TOKEN_ID_LEN],
}

/// The lock's clock: the high-water mark `anchor` at tick `anchor_tick`.
#[derive(Debug, Clone, Copy)]
struct Clock {
    anchor: u64,
    anchor_tick: u64,
    persisted: u64,
}

/// The reference lock. `H` is the hardware it runs on.
pub struct ReferenceLock<H: LockHardware> {
    key: Box<dyn Signer + Send>,
    hardware: H,
    areas: Areas,
    generation: u64,
    lock_id: String,
    mode: LockMode,
    issuers: Vec<Trusted>,
    issuers_time: u64,
    counter: u64,
    bolt: BoltState,
    horizon: u64,
    cache: Vec<Option<CachedResult>>,
    clock: Clock,
    session: Option<Session>,
    actuations: u64,
    p256_verifications: u64,
    signatures: u64,
    storage_writes: u64,
}

impl<H: LockHardware> ReferenceLock<H> {
    /// Provisions a lock (the factory, or a test): its key (kept in its
    /// secure element), its hardware and a starting configuration, written
    /// to storage over whatever was there. The bolt starts locked.
    pub fn new(key: Box<dyn Signer + Send>, hardware: H, config: LockConfig) -> Self {
        let mut lock = Self::blank(key, hardware);
        lock.lock_id = config.lock_id;
        lock.mode = config.mode;
        lock.generation = u64::from(lock.mode != LockMode::Commissioning);
        lock.issuers = config
            .issuers
            .into_iter()
            .take(MAX_ISSUERS)
            .map(|key| Trusted {
                key,
                list: HeldList::default(),
            })
            .collect();
        // A lock that cannot store its starting state shows it at once: its
        // first command is refused with `storage_fault`.
        let _ = lock.save_state();
        lock
    }

    /// Starts a lock from what it stored (a reboot, or power back after a
    /// battery change). A lock with nothing stored is factory new.
    pub fn boot(key: Box<dyn Signer + Send>, hardware: H) -> Self {
        let mut lock = Self::blank(key, hardware);
        let Some(state) = lock
            .areas
            .load(&lock.hardware, Record::State)
            .and_then(|b| StateRecord::decode(&b).ok())
        else {
            return lock;
        };
        lock.generation = state.generation;
        lock.lock_id = state.lock_id;
        lock.mode = state.mode;
        lock.issuers_time = state.issuers_time;
        lock.counter = state.counter;
        lock.bolt = state.bolt;
        lock.horizon = state.horizon;
        lock.issuers = state
            .issuers
            .into_iter()
            .map(|key| Trusted {
                key,
                list: HeldList::default(),
            })
            .collect();
        let mut floor = state.floor;
        for slot in 0..MAX_ISSUERS {
            let Some(rec) = lock
                .areas
                .load(&lock.hardware, Record::List(slot))
                .and_then(|b| ListRecord::decode(&b, slot).ok())
            else {
                continue;
            };
            if rec.generation != lock.generation {
                continue;
            }
            if let Some(t) = lock
                .issuers
                .iter_mut()
                .find(|t| t.key.key_id() == rec.key_id)
            {
                t.list = rec.list;
            }
        }
        let mut pending = Vec::new();
        for slot in 0..REQUEST_CACHE_LEN {
            let Some(rec) = lock
                .areas
                .load(&lock.hardware, Record::Cache(slot))
                .and_then(|b| EntryRecord::decode(&b).ok())
            else {
                continue;
            };
            if rec.generation != lock.generation {
                continue;
            }
            floor = floor.max(rec.entry.lock_time);
            lock.horizon = lock.horizon.max(rec.horizon);
            lock.counter = lock.counter.max(rec.entry.counter);
            if rec.entry.counter > state.counter {
                pending.push(rec.entry.clone());
            }
            if let Some(c) = lock.cache.get_mut(slot) {
                *c = Some(rec.entry);
            }
        }
        lock.clock = Clock {
            anchor: floor,
            anchor_tick: lock.hardware.ticks_ms(),
            persisted: floor,
        };
        // Roll forward the commands whose entry was stored but whose effect
        // on the state record was not (the power went in between).
        pending.sort_by_key(|e| e.counter);
        for e in pending {
            lock.bolt = e.bolt;
            if e.status == Status::Ok {
                match e.command {
                    Command::FinishInstallation => lock.mode = LockMode::Normal,
                    Command::EnterInstallation => lock.mode = LockMode::Installation,
                    Command::Decommission => {
                        lock.forget_installation();
                        let _ = lock.save_state();
                    }
                    Command::Unlock | Command::Lock => {}
                }
            }
        }
        lock
    }

    fn blank(key: Box<dyn Signer + Send>, hardware: H) -> Self {
        let tick = hardware.ticks_ms();
        let rtc = hardware.rtc_now().unwrap_or(0);
        Self {
            key,
            hardware,
            areas: Areas::default(),
            generation: 0,
            lock_id: String::new(),
            mode: LockMode::Commissioning,
            issuers: Vec::new(),
            issuers_time: 0,
            counter: 0,
            bolt: BoltState::Locked,
            horizon: 0,
            cache: vec![None; REQUEST_CACHE_LEN],
            clock: Clock {
                anchor: rtc,
                anchor_tick: tick,
                persisted: 0,
            },
            session: None,
            actuations: 0,
            p256_verifications: 0,
            signatures: 0,
            storage_writes: 0,
        }
    }

    /// The lock's id (empty while in commissioning mode).
    pub fn lock_id(&self) -> &str {
        &self.lock_id
    }
    /// The lock's public key.
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }
    /// The current mode.
    pub fn mode(&self) -> LockMode {
        self.mode
    }
    /// The bolt.
    pub fn bolt(&self) -> BoltState {
        self.bolt
    }
    /// The event counter: carried-out commands and accepted Commissions.
    pub fn counter(&self) -> u64 {
        self.counter
    }
    /// How many times the motor was driven since boot.
    pub fn actuations(&self) -> u64 {
        self.actuations
    }
    /// The trusted issuers and the epoch of each one's list the lock holds.
    pub fn issuer_epochs(&self) -> Vec<IssuerEpoch> {
        self.issuers
            .iter()
            .map(|t| IssuerEpoch {
                key_id: t.key.key_id(),
                epoch: t.list.epoch,
            })
            .collect()
    }
    /// The epoch of the list held from the first trusted issuer (0: none).
    pub fn revocation_epoch(&self) -> u64 {
        self.issuers.first().map_or(0, |t| t.list.epoch)
    }
    /// The lock's time: the RTC, never below the high-water mark, which
    /// moves on with the monotonic tick.
    pub fn now(&self) -> u64 {
        let elapsed = self
            .hardware
            .ticks_ms()
            .saturating_sub(self.clock.anchor_tick)
            / 1000;
        self.clock
            .anchor
            .saturating_add(elapsed)
            .max(self.hardware.rtc_now().unwrap_or(0))
    }
    /// How many P-256 signature verifications the lock has done since boot.
    pub fn p256_verifications(&self) -> u64 {
        self.p256_verifications
    }
    /// How many signatures the lock has made since boot.
    pub fn signatures(&self) -> u64 {
        self.signatures
    }
    /// How many storage writes the lock has made since boot.
    pub fn storage_writes(&self) -> u64 {
        self.storage_writes
    }
    /// The hardware (for the simulator's controls).
    pub fn hardware(&self) -> &H {
        &self.hardware
    }
    /// The hardware, mutably.
    pub fn hardware_mut(&mut self) -> &mut H {
        &mut self.hardware
    }

    /// The lock's time, moving the high-water mark up to the RTC if it is ahead.
    fn tick_now(&mut self) -> u64 {
        let now = self.now();
        if now > self.clock.anchor {
            self.clock.anchor = now;
            self.clock.anchor_tick = self.hardware.ticks_ms();
        }
        now
    }

    /// Moves the high-water mark up to a trusted time `t`.
    fn raise_floor(&mut self, t: u64) {
        if t > self.tick_now() {
            self.clock.anchor = t;
            self.clock.anchor_tick = self.hardware.ticks_ms();
        }
    }

    /// Whether a trusted time is too far ahead of a set RTC to be taken.
    fn too_far_ahead(&mut self, t: u64) -> bool {
        self.hardware.rtc_now().is_some()
            && t > self.tick_now().saturating_add(MAX_CLOCK_AHEAD_SECS)
    }

    /// Keeps the time high-water mark in storage at least every
    /// [`FLOOR_PERSIST_SECS`]. Firmware calls it from a timer; the
    /// simulated lock before every connection.
    pub fn maintain(&mut self) {
        let now = self.tick_now();
        if now >= self.clock.persisted.saturating_add(FLOOR_PERSIST_SECS) {
            let _ = self.save_state();
        }
    }

    /// Factory reset (a long press of the button inside the door): forgets
    /// the id, the issuers, the lists, the request cache and the clock
    /// floor. Keeps the key, the counter and the bolt.
    pub fn factory_reset(&mut self) -> Result<(), StorageError> {
        self.forget_installation();
        self.horizon = 0;
        self.clock = Clock {
            anchor: self.hardware.rtc_now().unwrap_or(0),
            anchor_tick: self.hardware.ticks_ms(),
            persisted: 0,
        };
        self.session = None;
        self.save_state()
    }

    /// Starts a session: a fresh single-use nonce, and the Hello to send.
    pub fn hello(&mut self) -> Result<Hello, RandomUnavailable> {
        let mut nonce = [0u8; NONCE_LEN];
        self.hardware.fill_random(&mut nonce)?;
        let now = self.tick_now();
        let announced = self.issuer_epochs();
        self.session = Some(Session {
            nonce,
            started_ms: self.hardware.ticks_ms(),
            hello_time: now,
            announced: announced.clone(),
            used: false,
            answered_undecodable: false,
        });
        Ok(Hello {
            lock_id: self.lock_id.clone(),
            nonce,
            lock_time: now,
            issuers: announced,
            bolt: self.bolt,
            battery: self.hardware.battery_percent(),
            mode: self.mode,
            lock_key: (self.mode != LockMode::Normal).then(|| self.key.public_key()),
        })
    }

    /// Ends the session (the link dropped): its nonce can no longer be used.
    pub fn end_session(&mut self) {
        self.session = None;
    }

    /// Answers one whole message (already reassembled) with a signed
    /// Result, or with nothing: without a session nobody is listening, and
    /// in a session the lock signs at most one answer to undecodable input
    /// and one to the message that uses the nonce.
    pub fn handle(&mut self, message: &[u8]) -> Option<ResultMessage> {
        self.session.as_ref()?;
        let used = self.session_used();
        match Message::decode(message) {
            // The nonce was used: this session's one answer to it was given.
            Ok(Message::Request(_) | Message::Commission(_)) if used => None,
            Ok(Message::Request(r)) => self.handle_request(r),
            Ok(Message::Commission(c)) => self.handle_commission(c),
            Ok(Message::Hello(_) | Message::Result(_)) => {
                self.refuse_undecodable(Status::Malformed)
            }
            Err(e) => self.refuse_undecodable(e.status()),
        }
    }

    /// Answers a transport-level framing failure like undecodable input.
    pub fn refuse_frame(&mut self, status: Status) -> Option<ResultMessage> {
        self.refuse_undecodable(status)
    }

    fn refuse_undecodable(&mut self, status: Status) -> Option<ResultMessage> {
        let session = self.session.as_mut()?;
        if session.answered_undecodable {
            return None;
        }
        session.answered_undecodable = true;
        Some(self.refuse(status, &Subject::unknown()))
    }

    /// Whether this session's nonce was already used by a decoded message.
    fn session_used(&self) -> bool {
        self.session.as_ref().is_none_or(|s| s.used)
    }

    /// Takes the session's nonce for one use. A nonce from another session
    /// or a late answer (by the tick, not the RTC) is stale.
    fn take_nonce(&mut self, nonce: &[u8; NONCE_LEN]) -> Result<[u8; NONCE_LEN], Status> {
        let tick = self.hardware.ticks_ms();
        let Some(session) = self.session.as_mut() else {
            return Err(Status::StaleNonce);
        };
        let fresh = !session.used
            && &session.nonce == nonce
            && tick.saturating_sub(session.started_ms) <= SESSION_TIMEOUT_SECS * 1000;
        session.used = true;
        if fresh {
            Ok(session.nonce)
        } else {
            Err(Status::StaleNonce)
        }
    }

    fn mark_used(&mut self) {
        if let Some(s) = self.session.as_mut() {
            s.used = true;
        }
    }

    fn handle_request(&mut self, req: Request) -> Option<ResultMessage> {
        let subject = Subject {
            token_hash: sha256(&req.token).to_vec(),
            command: req.command as u8,
            request_id: req.request_id,
        };
        let checked = match self.check_request(&req) {
            Ok(c) => c,
            Err(status) => return Some(self.refuse(status, &subject)),
        };
        // A repeat is answered before the mode check: a retried mode change
        // must get its stored answer, not a refusal from the new mode.
        if let Some(cached) = self.cached(&req.request_id).cloned() {
            if cached.token_id != checked.token_id || cached.command != req.command {
                return Some(self.refuse(Status::RequestIdConflict, &subject));
            }
            return Some(self.answer(
                cached.status,
                cached.bolt,
                cached.counter,
                cached.lock_time,
                true,
                &subject,
            ));
        }
        // Not in the cache: new only if it was made in this session's time
        // and after the newest request the cache has forgotten.
        let first_made = request_id_time(&req.request_id);
        let hello_time = self.session.as_ref().map_or(0, |s| s.hello_time);
        if first_made > hello_time || first_made < self.horizon {
            return Some(self.refuse(Status::RequestIdStale, &subject));
        }
        if let Err(status) = self.check_mode(checked.scope, req.command) {
            return Some(self.refuse(status, &subject));
        }
        Some(self.execute(req.command, checked.token_id, subject))
    }

    /// Every check that depends on the Request alone (§5.3 steps 2–17).
    fn check_request(&mut self, req: &Request) -> Result<Checked, Status> {
        if self.mode == LockMode::Commissioning {
            self.mark_used();
            return Err(Status::WrongMode);
        }
        let nonce = self.take_nonce(&req.nonce)?;
        if let Some(update) = &req.issuer_update {
            self.apply_issuer_update(update)?;
        }
        if let Some(list) = &req.revocation {
            self.install_revocation_list(list)?;
        }
        let token = SignedToken::parse(&req.token).map_err(|e| e.status())?;
        let kid = token.issuer_key_id();
        let issuer = self
            .issuers
            .iter()
            .find(|t| t.key.key_id() == kid)
            .map(|t| t.key.clone())
            .ok_or(Status::UnknownIssuer)?;
        self.p256_verifications += 1;
        let claims = token.verify(&issuer).map_err(|e| e.status())?;
        if claims.lock_id != self.lock_id {
            return Err(Status::WrongLock);
        }
        // The issuer vouches for its issued-at, so the lock's time may not
        // be earlier; but a time far ahead of a set clock is a mistake or an
        // attack, and taking it would stop every later token.
        if self.too_far_ahead(claims.issued_at) {
            return Err(Status::IssuedInFuture);
        }
        self.raise_floor(claims.issued_at);
        let now = self.tick_now();
        if now < claims.not_before {
            return Err(Status::NotYetValid);
        }
        // The decision's end comes before expiry: tokens never outlive the
        // decision, so an ended decision would otherwise always read as
        // "expired", and the worker needs to know which (R2.7).
        if now >= claims.decision_end {
            return Err(Status::DecisionEnded);
        }
        if now >= claims.expires {
            return Err(Status::Expired);
        }
        let held = self
            .issuers
            .iter()
            .find(|t| t.key.key_id() == kid)
            .map(|t| &t.list)
            .ok_or(Status::UnknownIssuer)?;
        if held.epoch < claims.min_epoch {
            return Err(Status::RevocationStale);
        }
        if held.revokes(&claims.token_id, claims.issued_at) {
            return Err(Status::Revoked);
        }
        if !claims.scope.allows(req.command) {
            return Err(Status::OutOfScope);
        }
        let transcript = request_transcript(
            &self.lock_id,
            &nonce,
            self.announced_epoch(&kid),
            &token.hash(),
            req.command,
            &req.request_id,
        )
        .map_err(|e| e.status())?;
        self.p256_verifications += 1;
        claims
            .device_key
            .verify(&transcript, &req.device_signature, "device")
            .map_err(|_| Status::ProofOfPossession)?;
        Ok(Checked {
            scope: claims.scope,
            token_id: claims.token_id,
        })
    }

    /// The epoch this session's Hello announced for an issuer (0 if none).
    fn announced_epoch(&self, kid: &[u8; KEY_ID_LEN]) -> u64 {
        self.session
            .as_ref()
            .and_then(|s| s.announced.iter().find(|i| &i.key_id == kid))
            .map_or(0, |i| i.epoch)
    }

    /// The scope × command × mode table (PROTOCOL.md §5.4).
    fn check_mode(&self, scope: Scope, command: Command) -> Result<(), Status> {
        use LockMode::{Installation, Normal};
        let ok = match (scope, command, self.mode) {
            (_, _, LockMode::Commissioning) => false,
            (Scope::Care | Scope::Maintenance, Command::Unlock | Command::Lock, _) => true,
            (Scope::Demo | Scope::Install, Command::Unlock | Command::Lock, mode) => {
                mode == Installation
            }
            (Scope::Install | Scope::Maintenance, Command::FinishInstallation, mode) => {
                mode == Installation
            }
            (Scope::Maintenance, Command::EnterInstallation, mode) => mode == Normal,
            (Scope::Install, Command::Decommission, _) => true,
            _ => false,
        };
        if ok { Ok(()) } else { Err(Status::WrongMode) }
    }

    fn apply_issuer_update(&mut self, bytes: &[u8]) -> Result<(), Status> {
        let (kid, issued_at) = IssuerUpdate::peek(bytes).map_err(|_| Status::BadIssuerUpdate)?;
        // Not newer than the set held: ignored unverified, like an old list
        // (a phone may carry an update the lock has already applied, signed
        // by a key since retired).
        if issued_at <= self.issuers_time {
            return Ok(());
        }
        let signer = self
            .issuers
            .iter()
            .find(|t| t.key.key_id() == kid)
            .map(|t| t.key.clone())
            .ok_or(Status::BadIssuerUpdate)?;
        self.p256_verifications += 1;
        let update = IssuerUpdate::verify(bytes, &signer).map_err(|_| Status::BadIssuerUpdate)?;
        if self.too_far_ahead(update.issued_at) {
            return Err(Status::BadIssuerUpdate);
        }
        let old = std::mem::take(&mut self.issuers);
        let old_time = self.issuers_time;
        self.issuers = update
            .keys
            .into_iter()
            .map(|key| {
                let list = old
                    .iter()
                    .find(|t| t.key == key)
                    .map(|t| t.list.clone())
                    .unwrap_or_default();
                Trusted { key, list }
            })
            .collect();
        self.issuers_time = update.issued_at;
        self.raise_floor(update.issued_at);
        if self.save_state().is_err() {
            self.issuers = old;
            self.issuers_time = old_time;
            return Err(Status::StorageFault);
        }
        Ok(())
    }

    fn install_revocation_list(&mut self, bytes: &[u8]) -> Result<(), Status> {
        // Read what the list claims before verifying: a list that is not
        // newer is ignored unverified (phones may carry an old one, and
        // skipping it saves a P-256 verification). The unverified epoch only
        // decides whether to verify.
        let header = RevocationList::peek(bytes).map_err(|_| Status::BadRevocationList)?;
        if header.lock_id != self.lock_id {
            return Err(Status::BadRevocationList);
        }
        let index = self
            .issuers
            .iter()
            .position(|t| t.key.key_id() == header.key_id)
            .ok_or(Status::BadRevocationList)?;
        let (issuer, held) = match self.issuers.get(index) {
            Some(t) => (t.key.clone(), t.list.epoch),
            None => return Err(Status::BadRevocationList),
        };
        if header.epoch <= held {
            return Ok(());
        }
        if header.epoch - held > MAX_EPOCH_STEP {
            return Err(Status::BadRevocationList);
        }
        self.p256_verifications += 1;
        let list = RevocationList::verify(bytes, &issuer).map_err(|_| Status::BadRevocationList)?;
        if self.too_far_ahead(list.issued_at) {
            return Err(Status::BadRevocationList);
        }
        self.raise_floor(list.issued_at);
        // Entries that have expired are dropped, which is safe only if the
        // lock's time can never again fall below now: store it first.
        let now = self.tick_now();
        self.save_state().map_err(|_| Status::StorageFault)?;
        let slot = self.list_slot(index);
        let held = HeldList {
            epoch: list.epoch,
            issued_at: list.issued_at,
            revoked_before: list.revoked_before,
            entries: list
                .revoked
                .into_iter()
                .filter(|e| e.expires > now)
                .take(MAX_REVOKED)
                .collect(),
            slot: Some(slot),
        };
        let record = ListRecord {
            generation: self.generation,
            key_id: header.key_id,
            list: held.clone(),
        };
        self.write(Record::List(slot), record.encode().ok())
            .map_err(|_| Status::StorageFault)?;
        if let Some(t) = self.issuers.get_mut(index) {
            t.list = held;
        }
        Ok(())
    }

    /// The list record for the issuer at `index`: its own, or one no trusted
    /// issuer uses.
    fn list_slot(&self, index: usize) -> usize {
        if let Some(slot) = self.issuers.get(index).and_then(|t| t.list.slot) {
            return slot;
        }
        (0..MAX_ISSUERS)
            .find(|s| !self.issuers.iter().any(|t| t.list.slot == Some(*s)))
            .unwrap_or(index)
    }

    fn cached(&self, request_id: &[u8; REQUEST_ID_LEN]) -> Option<&CachedResult> {
        self.cache
            .iter()
            .flatten()
            .find(|c| &c.request_id == request_id)
    }

    /// All checks passed and the request id is new: carry the command out.
    fn execute(
        &mut self,
        command: Command,
        token_id: [u8; TOKEN_ID_LEN],
        subject: Subject,
    ) -> ResultMessage {
        let now = self.tick_now();
        let target = match command {
            Command::Unlock => BoltState::Unlocked,
            Command::Lock => BoltState::Locked,
            _ => self.bolt,
        };
        // The slot: an empty one, else the oldest entry, which is forgotten.
        let slot = self
            .cache
            .iter()
            .position(Option::is_none)
            .or_else(|| {
                self.cache
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, c)| c.as_ref().map_or(0, |c| c.counter))
                    .map(|(i, _)| i)
            })
            .unwrap_or(0);
        let evicted = self.cache.get(slot).cloned().flatten();
        let horizon = evicted.map_or(self.horizon, |e| {
            self.horizon
                .max(request_id_time(&e.request_id).saturating_add(1))
        });
        let mut entry = CachedResult {
            request_id: subject.request_id,
            token_id,
            command,
            status: Status::Ok,
            bolt: target,
            counter: self.counter + 1,
            lock_time: now,
        };
        // The entry is the command's write-ahead record: stored before the
        // bolt moves, so a retry after any reboot finds it.
        if self.write_entry(slot, &entry, horizon).is_err() {
            return self.refuse(Status::StorageFault, &subject);
        }
        self.counter = entry.counter;
        self.horizon = horizon;
        let status = match command {
            Command::Unlock | Command::Lock => {
                self.actuations += 1;
                if self.hardware.drive_bolt(target) {
                    self.bolt = target;
                    Status::Ok
                } else {
                    self.bolt = BoltState::Jammed;
                    entry.status = Status::Jammed;
                    entry.bolt = BoltState::Jammed;
                    // If this write fails the stored entry claims success;
                    // the bolt state the lock reports stays true.
                    let _ = self.write_entry(slot, &entry, horizon);
                    Status::Jammed
                }
            }
            Command::FinishInstallation => {
                self.mode = LockMode::Normal;
                let _ = self.save_state();
                Status::Ok
            }
            Command::EnterInstallation => {
                self.mode = LockMode::Installation;
                let _ = self.save_state();
                Status::Ok
            }
            Command::Decommission => Status::Ok,
        };
        if let Some(c) = self.cache.get_mut(slot) {
            *c = Some(entry);
        }
        let result = self.answer(status, self.bolt, self.counter, now, false, &subject);
        if command == Command::Decommission {
            // Signed under the old id first, so the receipt proves the removal.
            self.forget_installation();
            let _ = self.save_state();
        }
        result
    }

    fn write_entry(
        &mut self,
        slot: usize,
        entry: &CachedResult,
        horizon: u64,
    ) -> Result<(), StorageError> {
        let record = EntryRecord {
            generation: self.generation,
            entry: entry.clone(),
            horizon,
        };
        self.write(Record::Cache(slot), record.encode().ok())
    }

    /// Decommission and factory reset: a new generation with no id, no
    /// issuers, no lists and an empty cache (every forgotten request id
    /// moves the horizon). The counter and the clock floor stay.
    fn forget_installation(&mut self) {
        for e in self.cache.iter().flatten() {
            self.horizon = self
                .horizon
                .max(request_id_time(&e.request_id).saturating_add(1));
        }
        self.generation += 1;
        self.lock_id.clear();
        self.issuers.clear();
        self.issuers_time = 0;
        self.cache = vec![None; REQUEST_CACHE_LEN];
        self.mode = LockMode::Commissioning;
    }

    fn save_state(&mut self) -> Result<(), StorageError> {
        let floor = self.tick_now();
        let record = StateRecord {
            generation: self.generation,
            lock_id: self.lock_id.clone(),
            mode: self.mode,
            issuers: self.issuers.iter().map(|t| t.key.clone()).collect(),
            issuers_time: self.issuers_time,
            floor,
            counter: self.counter,
            bolt: self.bolt,
            horizon: self.horizon,
        };
        self.write(Record::State, record.encode().ok())?;
        self.clock.persisted = floor;
        Ok(())
    }

    fn write(&mut self, record: Record, bytes: Option<Vec<u8>>) -> Result<(), StorageError> {
        let bytes = bytes.ok_or(StorageError)?;
        self.storage_writes += 1;
        self.areas.save(&mut self.hardware, record, &bytes)
    }

    fn handle_commission(&mut self, c: Commission) -> Option<ResultMessage> {
        let subject = Subject {
            token_hash: sha256(&c.grant).to_vec(),
            ..Subject::unknown()
        };
        if self.mode != LockMode::Commissioning {
            self.mark_used();
            return Some(self.refuse(Status::WrongMode, &subject));
        }
        if let Err(s) = self.take_nonce(&c.nonce) {
            return Some(self.refuse(s, &subject));
        }
        // Trust on first use needs someone at the door: the setup button
        // inside must have been pressed just now. Without it, anyone in radio
        // range of a decommissioned lock still on the door could claim it.
        if !self.hardware.setup_button_recently_pressed() {
            return Some(self.refuse(Status::PresenceRequired, &subject));
        }
        let grant = match self.check_grant(&c.grant) {
            Ok(g) => g,
            Err(s) => return Some(self.refuse(s, &subject)),
        };
        let before = (self.generation, self.horizon);
        self.forget_installation();
        self.lock_id = grant.lock_id;
        self.issuers = vec![Trusted {
            key: grant.issuer_key,
            list: HeldList::default(),
        }];
        // The grant's time is checked but not taken: anyone can sign a grant.
        self.issuers_time = grant.issued_at;
        self.mode = LockMode::Installation;
        self.counter += 1;
        if self.save_state().is_err() {
            self.counter -= 1;
            self.lock_id.clear();
            self.issuers.clear();
            self.issuers_time = 0;
            self.mode = LockMode::Commissioning;
            (self.generation, self.horizon) = before;
            return Some(self.refuse(Status::StorageFault, &subject));
        }
        let now = self.tick_now();
        Some(self.answer(Status::Ok, self.bolt, self.counter, now, false, &subject))
    }

    fn check_grant(&mut self, bytes: &[u8]) -> Result<CommissionGrant, Status> {
        self.p256_verifications += 1;
        let grant =
            CommissionGrant::verify_self_signed(bytes).map_err(|_| Status::BadCommissionGrant)?;
        if grant.lock_key_hash != sha256(self.key.public_key().as_bytes()) {
            return Err(Status::BadCommissionGrant);
        }
        if self.too_far_ahead(grant.issued_at) {
            return Err(Status::BadCommissionGrant);
        }
        let now = self.tick_now().max(grant.issued_at);
        if now >= grant.expires {
            return Err(Status::BadCommissionGrant);
        }
        Ok(grant)
    }

    /// A refusal: the current bolt and counter (refusals do not count).
    fn refuse(&mut self, status: Status, subject: &Subject) -> ResultMessage {
        let now = self.tick_now();
        self.answer(status, self.bolt, self.counter, now, false, subject)
    }

    /// Signs the receipt over this session's nonce and builds the Result.
    fn answer(
        &mut self,
        status: Status,
        bolt: BoltState,
        counter: u64,
        lock_time: u64,
        repeated: bool,
        subject: &Subject,
    ) -> ResultMessage {
        let (nonce, announced) = self
            .session
            .as_ref()
            .map_or(([0; NONCE_LEN], Vec::new()), |s| {
                (s.nonce, s.announced.clone())
            });
        let battery = self.hardware.battery_percent();
        let facts = ReceiptFacts {
            lock_id: &self.lock_id,
            nonce: &nonce,
            issuers: &announced,
            token_hash: &subject.token_hash,
            command: subject.command,
            request_id: &subject.request_id,
            status,
            counter,
            lock_time,
            bolt,
            repeated,
            battery,
            mode: self.mode,
        };
        // Encoding our own fixed-shape array and signing with our own key
        // cannot fail on valid hardware; if the secure element does fail,
        // an all-zero signature tells the app the receipt is not valid.
        self.signatures += 1;
        let lock_signature = receipt_transcript(&facts)
            .and_then(|t| self.key.sign(&t))
            .unwrap_or([0; 64]);
        ResultMessage {
            request_id: subject.request_id,
            status,
            bolt,
            battery,
            mode: self.mode,
            counter,
            lock_time,
            repeated,
            lock_signature,
        }
    }
}
