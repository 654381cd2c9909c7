//! The lock-side state machine: answer a Hello, check a Request or a
//! Commission, move the bolt, sign the receipt.
//!
//! Checks run cheapest first and each refusal has its own status, in this
//! order (PROTOCOL.md, "Lock checks"): frame → version → session nonce →
//! revocation list → issuer → signature → audience → clock floor → not-before
//! → decision end → expiry → revoked → scope → proof of possession →
//! repeated request id → mode → motor. At most two P-256 verifications happen per
//! unlock (token, device); a carried newer revocation list adds one.

use nyckelfri_protocol::commission::CommissionGrant;
use nyckelfri_protocol::keys::sha256;
use nyckelfri_protocol::messages::{
    BoltState, Command, Commission, Hello, LockMode, Message, Request, ResultMessage,
};
use nyckelfri_protocol::revocation::RevocationList;
use nyckelfri_protocol::token::{Scope, SignedToken};
use nyckelfri_protocol::transcript::{ReceiptFacts, receipt_transcript, request_transcript};
use nyckelfri_protocol::{
    NONCE_LEN, ProtocolError, PublicKey, REQUEST_ID_LEN, Signer, Status, TOKEN_ID_LEN,
};

use crate::SESSION_TIMEOUT_SECS;
use crate::hardware::{LockHardware, RandomUnavailable};
use crate::store::{CachedResult, Issuers, RequestCache, Revocations};

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
    started: u64,
    used: bool,
}

/// What a refusal or an answer is about, for the receipt.
struct Subject {
    token_id: [u8; TOKEN_ID_LEN],
    token_hash: Vec<u8>,
    command: u8,
    request_id: [u8; REQUEST_ID_LEN],
}

impl Subject {
    fn unknown() -> Self {
        Self {
            token_id: [0; TOKEN_ID_LEN],
            token_hash: Vec::new(),
            command: 0,
            request_id: [0; REQUEST_ID_LEN],
        }
    }
}

/// The reference lock. `H` is the hardware it runs on.
pub struct ReferenceLock<H: LockHardware> {
    key: Box<dyn Signer + Send>,
    hardware: H,
    lock_id: String,
    mode: LockMode,
    issuers: Issuers,
    revocations: Revocations,
    cache: RequestCache,
    time_floor: u64,
    bolt: BoltState,
    counter: u64,
    actuations: u64,
    session: Option<Session>,
    p256_verifications: u64,
}

impl<H: LockHardware> ReferenceLock<H> {
    /// A lock with its own key (`key`, kept in its secure element), its
    /// hardware and its starting configuration. The bolt starts locked.
    pub fn new(key: Box<dyn Signer + Send>, hardware: H, config: LockConfig) -> Self {
        let mut issuers = Issuers::default();
        issuers.set(config.issuers);
        Self {
            key,
            hardware,
            lock_id: config.lock_id,
            mode: config.mode,
            issuers,
            revocations: Revocations::default(),
            cache: RequestCache::default(),
            time_floor: 0,
            bolt: BoltState::Locked,
            counter: 0,
            actuations: 0,
            session: None,
            p256_verifications: 0,
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
    /// The event counter (one per answered Request or Commission).
    pub fn counter(&self) -> u64 {
        self.counter
    }
    /// How many times the motor was driven.
    pub fn actuations(&self) -> u64 {
        self.actuations
    }
    /// The epoch of the revocation list held.
    pub fn revocation_epoch(&self) -> u64 {
        self.revocations.epoch
    }
    /// The lock's time: the RTC, never below the newest accepted issued-at.
    pub fn now(&self) -> u64 {
        self.hardware.rtc_now().max(self.time_floor)
    }
    /// How many P-256 signature verifications the lock has done in total.
    pub fn p256_verifications(&self) -> u64 {
        self.p256_verifications
    }
    /// The hardware (for the simulator's controls).
    pub fn hardware(&self) -> &H {
        &self.hardware
    }
    /// The hardware, mutably.
    pub fn hardware_mut(&mut self) -> &mut H {
        &mut self.hardware
    }

    /// Starts a session: a fresh single-use nonce, and the Hello to send.
    pub fn hello(&mut self) -> Result<Hello, RandomUnavailable> {
        let mut nonce = [0u8; NONCE_LEN];
        self.hardware.fill_random(&mut nonce)?;
        let now = self.now();
        self.session = Some(Session {
            nonce,
            started: now,
            used: false,
        });
        Ok(Hello {
            lock_id: self.lock_id.clone(),
            nonce,
            lock_time: now,
            revocation_epoch: self.revocations.epoch,
            bolt: self.bolt,
            battery: self.hardware.battery_percent(),
            mode: self.mode,
            lock_key: (self.mode == LockMode::Commissioning).then(|| self.key.public_key()),
        })
    }

    /// Ends the session (the link dropped): its nonce can no longer be used.
    pub fn end_session(&mut self) {
        self.session = None;
    }

    /// Answers one whole message (already reassembled). Always returns a
    /// signed Result, whatever the input.
    pub fn handle(&mut self, message: &[u8]) -> ResultMessage {
        match Message::decode(message) {
            Ok(Message::Request(r)) => self.handle_request(r),
            Ok(Message::Commission(c)) => self.handle_commission(c),
            Ok(Message::Hello(_) | Message::Result(_)) => {
                self.refuse(Status::Malformed, Subject::unknown())
            }
            Err(e) => self.refuse(e.status(), Subject::unknown()),
        }
    }

    /// Answers a transport-level framing failure with a signed refusal.
    pub fn refuse_frame(&mut self, status: Status) -> ResultMessage {
        self.refuse(status, Subject::unknown())
    }

    /// Takes the session's nonce for one use. Any second use, a nonce from
    /// another session, or a late answer is stale.
    fn take_nonce(&mut self, nonce: &[u8; NONCE_LEN]) -> Result<[u8; NONCE_LEN], Status> {
        let now = self.now();
        let Some(session) = self.session.as_mut() else {
            return Err(Status::StaleNonce);
        };
        let fresh = !session.used
            && &session.nonce == nonce
            && now.saturating_sub(session.started) <= SESSION_TIMEOUT_SECS;
        session.used = true;
        if fresh {
            Ok(session.nonce)
        } else {
            Err(Status::StaleNonce)
        }
    }

    fn handle_request(&mut self, req: Request) -> ResultMessage {
        let mut subject = Subject {
            token_id: [0; TOKEN_ID_LEN],
            token_hash: sha256(&req.token).to_vec(),
            command: req.command as u8,
            request_id: req.request_id,
        };
        let scope = match self.check_request(&req, &mut subject) {
            Ok(scope) => scope,
            Err(status) => return self.refuse(status, subject),
        };
        // A repeat is answered before the mode check: a retried mode change
        // must get its stored answer, not a refusal from the new mode.
        if let Some(cached) = self.cache.get(&subject.request_id).cloned() {
            if cached.token_id != subject.token_id || cached.command != req.command {
                return self.refuse(Status::RequestIdConflict, subject);
            }
            return self.answer(
                cached.status,
                cached.bolt,
                cached.counter,
                cached.lock_time,
                true,
                &subject,
            );
        }
        if let Err(status) = self.check_mode(scope, req.command) {
            return self.refuse(status, subject);
        }
        self.execute(req.command, subject)
    }

    /// Every check that depends on the Request alone; returns the token's scope.
    fn check_request(&mut self, req: &Request, subject: &mut Subject) -> Result<Scope, Status> {
        if self.mode == LockMode::Commissioning {
            self.end_session_use();
            return Err(Status::WrongMode);
        }
        let nonce = self.take_nonce(&req.nonce)?;
        if let Some(list) = &req.revocation {
            self.install_revocation_list(list)?;
        }
        let token = SignedToken::parse(&req.token).map_err(|e| e.status())?;
        let issuer = self
            .issuers
            .find(&token.issuer_key_id())
            .cloned()
            .ok_or(Status::UnknownIssuer)?;
        self.p256_verifications += 1;
        let claims = token.verify(&issuer).map_err(|e| e.status())?;
        subject.token_id = claims.token_id;
        if claims.lock_id != self.lock_id {
            return Err(Status::WrongLock);
        }
        // The token is authentic and for this lock, so its issued-at is a
        // time the issuer vouches for: the lock's clock may not be earlier.
        self.time_floor = self.time_floor.max(claims.issued_at);
        let now = self.now();
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
        if self.revocations.is_revoked(&claims.token_id) {
            return Err(Status::Revoked);
        }
        if !claims.scope.allows(req.command) {
            return Err(Status::OutOfScope);
        }
        let transcript = request_transcript(
            &self.lock_id,
            &nonce,
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
        Ok(claims.scope)
    }

    fn end_session_use(&mut self) {
        if let Some(s) = self.session.as_mut() {
            s.used = true;
        }
    }

    fn check_mode(&self, scope: Scope, command: Command) -> Result<(), Status> {
        let ok = match (scope, command, self.mode) {
            (_, _, LockMode::Commissioning) => false,
            (Scope::Demo, _, mode) => mode == LockMode::Installation,
            (_, Command::Unlock | Command::Lock, _) => true,
            (Scope::Install, Command::FinishInstallation, mode) => mode == LockMode::Installation,
            (Scope::Install, Command::EnterInstallation, mode) => mode == LockMode::Normal,
            (Scope::Install, Command::Decommission, _) => true,
            (Scope::Care, _, _) => false,
        };
        if ok { Ok(()) } else { Err(Status::WrongMode) }
    }

    fn install_revocation_list(&mut self, bytes: &[u8]) -> Result<(), Status> {
        // A list that is not newer is ignored unverified: phones may carry an
        // old one, and skipping it saves a P-256 verification. Reading the
        // epoch before verifying is safe: it only decides whether to verify.
        let epoch = RevocationList::peek_epoch(bytes).map_err(|_| Status::BadRevocationList)?;
        if epoch <= self.revocations.epoch {
            return Ok(());
        }
        let kid = RevocationList::signer_key_id(bytes).map_err(|_| Status::BadRevocationList)?;
        let issuer = self
            .issuers
            .find(&kid)
            .cloned()
            .ok_or(Status::BadRevocationList)?;
        self.p256_verifications += 1;
        let list = RevocationList::verify(bytes, &issuer).map_err(|_| Status::BadRevocationList)?;
        self.time_floor = self.time_floor.max(list.issued_at);
        let now = self.now();
        self.revocations.install(list.epoch, list.revoked, now);
        Ok(())
    }

    /// All checks passed and the request id is new: carry the command out.
    fn execute(&mut self, command: Command, subject: Subject) -> ResultMessage {
        let token_id = subject.token_id;
        let status = match command {
            Command::Unlock | Command::Lock => {
                let target = if command == Command::Unlock {
                    BoltState::Unlocked
                } else {
                    BoltState::Locked
                };
                self.actuations += 1;
                if self.hardware.drive_bolt(target) {
                    self.bolt = target;
                    Status::Ok
                } else {
                    self.bolt = BoltState::Jammed;
                    Status::Jammed
                }
            }
            Command::FinishInstallation => {
                self.mode = LockMode::Normal;
                Status::Ok
            }
            Command::EnterInstallation => {
                self.mode = LockMode::Installation;
                Status::Ok
            }
            Command::Decommission => Status::Ok,
        };
        self.counter += 1;
        let now = self.now();
        self.cache.insert(CachedResult {
            request_id: subject.request_id,
            token_id,
            command,
            status,
            bolt: self.bolt,
            counter: self.counter,
            lock_time: now,
        });
        let result = self.answer(status, self.bolt, self.counter, now, false, &subject);
        if command == Command::Decommission {
            // Signed under the old id first, so the receipt proves the removal.
            self.decommission();
        }
        result
    }

    fn decommission(&mut self) {
        self.lock_id.clear();
        self.issuers.clear();
        self.revocations.clear();
        self.cache.clear();
        self.mode = LockMode::Commissioning;
    }

    fn handle_commission(&mut self, c: Commission) -> ResultMessage {
        let subject = Subject {
            token_hash: sha256(&c.grant).to_vec(),
            ..Subject::unknown()
        };
        if self.mode != LockMode::Commissioning {
            self.end_session_use();
            return self.refuse(Status::WrongMode, subject);
        }
        if let Err(s) = self.take_nonce(&c.nonce).map(|_| ()) {
            return self.refuse(s, subject);
        }
        // Trust on first use needs someone at the door: the setup button
        // inside must have been pressed just now. Without it, anyone in radio
        // range of a decommissioned lock still on the door could claim it.
        if !self.hardware.setup_button_recently_pressed() {
            return self.refuse(Status::PresenceRequired, subject);
        }
        match self.check_grant(&c.grant) {
            Ok(grant) => {
                self.lock_id = grant.lock_id;
                self.issuers.set(vec![grant.issuer_key]);
                self.time_floor = self.time_floor.max(grant.issued_at);
                self.mode = LockMode::Installation;
                self.counter += 1;
                let now = self.now();
                self.answer(Status::Ok, self.bolt, self.counter, now, false, &subject)
            }
            Err(s) => self.refuse(s, subject),
        }
    }

    fn check_grant(&mut self, bytes: &[u8]) -> Result<CommissionGrant, Status> {
        self.p256_verifications += 1;
        let grant = CommissionGrant::verify_self_signed(bytes)
            .map_err(|_: ProtocolError| Status::BadCommissionGrant)?;
        if grant.lock_key_hash != sha256(self.key.public_key().as_bytes()) {
            return Err(Status::BadCommissionGrant);
        }
        let now = self.now().max(grant.issued_at);
        if now >= grant.expires {
            return Err(Status::BadCommissionGrant);
        }
        Ok(grant)
    }

    fn refuse(&mut self, status: Status, subject: Subject) -> ResultMessage {
        self.counter += 1;
        let now = self.now();
        self.answer(status, self.bolt, self.counter, now, false, &subject)
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
        let nonce = self.session.as_ref().map_or([0; NONCE_LEN], |s| s.nonce);
        let facts = ReceiptFacts {
            lock_id: &self.lock_id,
            nonce: &nonce,
            token_hash: &subject.token_hash,
            command: subject.command,
            request_id: &subject.request_id,
            status,
            counter,
            lock_time,
            bolt,
            repeated,
        };
        // Encoding our own fixed-shape array and signing with our own key
        // cannot fail on valid hardware; if the secure element does fail,
        // an all-zero signature tells the app the receipt is not valid.
        let lock_signature = receipt_transcript(&facts)
            .and_then(|t| self.key.sign(&t))
            .unwrap_or([0; 64]);
        ResultMessage {
            request_id: subject.request_id,
            status,
            bolt,
            battery: self.hardware.battery_percent(),
            counter,
            lock_time,
            repeated,
            lock_signature,
        }
    }
}
