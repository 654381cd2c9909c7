//! A ready-made world for tests, benchmarks, fuzzing and the demo: an issuer,
//! a device, and a commissioned simulated lock, with helpers to issue tokens
//! and run an exchange the way the app does.

use nyckelfri_protocol::exchange::{VerifiedReceipt, build_request, verify_result};
use nyckelfri_protocol::messages::{Command, Hello, LockMode, Message, Request, ResultMessage};
use nyckelfri_protocol::revocation::{RevocationList, RevokedToken};
use nyckelfri_protocol::token::{AccessClaims, Scope, issue};
use nyckelfri_protocol::{ProtocolError, Signer, SoftwareKey, Status, request_id_for};

use crate::reference::LockConfig;
use crate::sim::SimulatedLock;

/// A fixed moment used as "now" in scenarios: 2026-11-22 08:00 UTC.
pub const SCENARIO_NOW: u64 = 1_795_334_400;

/// The lock id the scenario's lock is commissioned with.
pub const SCENARIO_LOCK_ID: &str = "lock-0001";

/// An issuer, a device and a lock that trusts the issuer.
pub struct Scenario {
    /// The server's issuer key.
    pub issuer: SoftwareKey,
    /// The phone's device key.
    pub device: SoftwareKey,
    /// The lock, commissioned and in normal mode, clock at [`SCENARIO_NOW`].
    pub lock: SimulatedLock,
    /// The lock's public key as the server registered it.
    pub lock_key: nyckelfri_protocol::PublicKey,
    next_token: u8,
}

/// Why a scenario exchange did not produce a verified receipt.
#[derive(Debug)]
pub enum ExchangeError {
    /// The lock did not answer (dead, the Result was dropped, or a message
    /// it does not sign).
    NoAnswer,
    /// A message could not be built or checked.
    Protocol(ProtocolError),
    /// The lock answered with something that is not a Result.
    UnexpectedMessage,
}

impl From<ProtocolError> for ExchangeError {
    fn from(e: ProtocolError) -> Self {
        Self::Protocol(e)
    }
}

impl Scenario {
    /// Fresh random keys; the lock commissioned as [`SCENARIO_LOCK_ID`].
    pub fn new() -> Result<Self, ProtocolError> {
        let (issuer, _) = SoftwareKey::generate()?;
        let (device, _) = SoftwareKey::generate()?;
        let (lock_key, _) = SoftwareKey::generate()?;
        Ok(Self::with_keys(issuer, device, lock_key, LockMode::Normal))
    }

    /// Fixed keys (test vectors) and a chosen mode.
    pub fn with_keys(
        issuer: SoftwareKey,
        device: SoftwareKey,
        lock_key: SoftwareKey,
        mode: LockMode,
    ) -> Self {
        let public = lock_key.public_key();
        let config = LockConfig {
            lock_id: SCENARIO_LOCK_ID.into(),
            issuers: vec![issuer.public_key()],
            mode,
        };
        Self {
            lock: SimulatedLock::new(Box::new(lock_key), config, SCENARIO_NOW),
            lock_key: public,
            issuer,
            device,
            next_token: 0,
        }
    }

    /// Claims for a care visit on this lock, valid from an hour ago for
    /// eight hours, issued an hour ago, decision ending in 30 days.
    pub fn claims(&mut self) -> AccessClaims {
        self.next_token = self.next_token.wrapping_add(1);
        AccessClaims {
            token_id: [self.next_token; 16],
            staff_id: "staff-0042".into(),
            lock_id: SCENARIO_LOCK_ID.into(),
            not_before: SCENARIO_NOW - 3_600,
            expires: SCENARIO_NOW + 7 * 3_600,
            issued_at: SCENARIO_NOW - 3_600,
            decision_id: "decision-0007".into(),
            decision_end: SCENARIO_NOW + 30 * 86_400,
            scope: Scope::Care,
            min_epoch: 0,
            device_key: self.device.public_key(),
        }
    }

    /// A request id first made now (by the lock's time), told apart by `n`.
    /// Reuse the value to retry.
    pub fn rid(&self, n: u8) -> [u8; 16] {
        request_id_for(self.lock.lock().now(), [n; 8])
    }

    /// A revocation list of `epoch` for the scenario's lock, signed by its
    /// issuer, revoking the tokens of `revoked`.
    pub fn list(
        &self,
        epoch: u64,
        issued_at: u64,
        revoked: &[&AccessClaims],
    ) -> Result<Vec<u8>, ProtocolError> {
        RevocationList {
            lock_id: SCENARIO_LOCK_ID.into(),
            epoch,
            issued_at,
            revoked_before: 0,
            revoked: revoked
                .iter()
                .map(|c| RevokedToken {
                    token_id: c.token_id,
                    expires: c.expires,
                })
                .collect(),
        }
        .sign(&self.issuer)
    }

    /// Signs `claims` with the scenario's issuer.
    pub fn issue(&self, claims: &AccessClaims) -> Result<Vec<u8>, ProtocolError> {
        issue(claims, &self.issuer)
    }

    /// Connects and decodes the lock's Hello.
    pub fn hello(&mut self) -> Result<Hello, ExchangeError> {
        let bytes = self.lock.connect().ok_or(ExchangeError::NoAnswer)?;
        match Message::decode(&bytes)? {
            Message::Hello(h) => Ok(h),
            _ => Err(ExchangeError::UnexpectedMessage),
        }
    }

    /// Builds a Request for `hello` with the scenario's device key.
    pub fn request(
        &self,
        hello: &Hello,
        token: &[u8],
        command: Command,
        request_id: [u8; 16],
    ) -> Result<Request, ProtocolError> {
        build_request(hello, token, command, request_id, &self.device, None)
    }

    /// Sends a Request (or any message) and decodes the Result.
    pub fn send(&mut self, message: &Message) -> Result<ResultMessage, ExchangeError> {
        let bytes = message.encode()?;
        self.send_bytes(&bytes)
    }

    /// Sends raw bytes and decodes the Result.
    pub fn send_bytes(&mut self, bytes: &[u8]) -> Result<ResultMessage, ExchangeError> {
        let answer = self.lock.receive(bytes).ok_or(ExchangeError::NoAnswer)?;
        match Message::decode(&answer)? {
            Message::Result(r) => Ok(r),
            _ => Err(ExchangeError::UnexpectedMessage),
        }
    }

    /// One whole exchange, as the app runs it: Hello, Request, Result, and
    /// the receipt checked against the lock's registered key.
    pub fn open(
        &mut self,
        token: &[u8],
        command: Command,
        request_id: [u8; 16],
    ) -> Result<VerifiedReceipt, ExchangeError> {
        let hello = self.hello()?;
        let request = self.request(&hello, token, command, request_id)?;
        let result = self.send(&Message::Request(request.clone()));
        self.lock.disconnect();
        let result = result?;
        let token_id = nyckelfri_protocol::token::SignedToken::parse(token)?
            .claims_unverified()?
            .token_id;
        Ok(verify_result(
            &result,
            &hello,
            &request,
            token_id,
            &self.lock_key,
        )?)
    }

    /// Issues a care token from `claims` and opens with it; returns the status.
    pub fn status_for(&mut self, claims: &AccessClaims) -> Result<Status, ExchangeError> {
        let token = self.issue(claims)?;
        let rid = self.rid(9);
        Ok(self.open(&token, Command::Unlock, rid)?.status)
    }
}
