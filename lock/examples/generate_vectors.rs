//! Writes the protocol test vectors to `tests/vectors/` at the workspace root.
//!
//! Run: `cargo run -p nyckelfri-lock --example generate_vectors`
//!
//! The keys in `tests/vectors/keys.json` are made once and then reused (a key
//! a newer vector needs is added), so regenerating changes only the
//! (randomised) ECDSA signatures. The format is PROTOCOL.md §12. The vectors
//! are checked by `protocol/tests/vectors.rs` (the app's side) and
//! `lock/tests/vectors.rs` (the lock's side).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::path::{Path, PathBuf};

use nyckelfri_lock::{LockConfig, SimulatedLock};
use nyckelfri_protocol::commission::CommissionGrant;
use nyckelfri_protocol::exchange::build_request;
use nyckelfri_protocol::framing::{FIRST, fragment};
use nyckelfri_protocol::issuers::IssuerUpdate;
use nyckelfri_protocol::keys::sha256;
use nyckelfri_protocol::messages::{
    BoltState, Command, Commission, Hello, LockMode, Message, Request, ResultMessage,
};
use nyckelfri_protocol::revocation::{RevocationList, RevokedToken};
use nyckelfri_protocol::token::{AccessClaims, Scope, SignedToken, issue};
use nyckelfri_protocol::transcript::{ReceiptFacts, receipt_transcript, request_transcript};
use nyckelfri_protocol::{PublicKey, Signer, SoftwareKey, Status, request_id_for};
use serde_json::{Value, json};

const NOW: u64 = 1_795_334_400; // 2026-11-22T08:00:00Z
const LOCK_ID: &str = "lock-0001";
const KEY_NAMES: [&str; 5] = ["issuer", "device", "lock", "stranger", "issuer2"];

struct Keys {
    issuer: SoftwareKey,
    device: SoftwareKey,
    lock: (Vec<u8>, Vec<u8>),
    stranger: SoftwareKey,
    issuer2: SoftwareKey,
}

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// Offset of the private scalar in ring's P-256 PKCS#8 v1 encoding.
const PKCS8_SCALAR: std::ops::Range<usize> = 36..68;

fn load_or_make_keys() -> Keys {
    let path = vectors_dir().join("keys.json");
    let mut obj = match fs::read_to_string(&path) {
        Ok(text) => match serde_json::from_str(&text).unwrap() {
            Value::Object(o) => o,
            _ => panic!("keys.json is not an object"),
        },
        Err(_) => serde_json::Map::new(),
    };
    obj.insert(
        "warning".into(),
        json!("TEST KEYS for the protocol vectors only. Public on purpose; never use them anywhere else."),
    );
    for name in KEY_NAMES {
        if obj.contains_key(name) {
            continue;
        }
        let (key, pkcs8) = SoftwareKey::generate().unwrap();
        let d = &pkcs8[PKCS8_SCALAR];
        let public = key.public_key();
        // Prove the extracted scalar is the key's.
        SoftwareKey::from_raw(d, public.as_bytes()).unwrap();
        obj.insert(
            name.into(),
            json!({ "d": hex::encode(d), "public": hex::encode(public.as_bytes()),
                    "kid": hex::encode(public.key_id()) }),
        );
    }
    fs::create_dir_all(vectors_dir()).unwrap();
    let v = Value::Object(obj);
    fs::write(&path, serde_json::to_string_pretty(&v).unwrap() + "\n").unwrap();
    let raw = |n: &str| {
        (
            hex::decode(v[n]["d"].as_str().unwrap()).unwrap(),
            hex::decode(v[n]["public"].as_str().unwrap()).unwrap(),
        )
    };
    let key = |n: &str| {
        let (d, p) = raw(n);
        SoftwareKey::from_raw(&d, &p).unwrap()
    };
    Keys {
        issuer: key("issuer"),
        device: key("device"),
        lock: raw("lock"),
        stranger: key("stranger"),
        issuer2: key("issuer2"),
    }
}

fn mode_name(m: LockMode) -> &'static str {
    match m {
        LockMode::Commissioning => "commissioning",
        LockMode::Installation => "installation",
        LockMode::Normal => "normal",
    }
}

fn bolt_name(b: BoltState) -> String {
    format!("{b:?}").to_lowercase()
}

fn claims(keys: &Keys, id: u8) -> AccessClaims {
    AccessClaims {
        token_id: [id; 16],
        staff_id: "staff-0042".into(),
        lock_id: LOCK_ID.into(),
        not_before: NOW - 3_600,
        expires: NOW + 7 * 3_600,
        issued_at: NOW - 3_600,
        decision_id: "decision-0007".into(),
        decision_end: NOW + 30 * 86_400,
        scope: Scope::Care,
        min_epoch: 0,
        device_key: keys.device.public_key(),
    }
}

fn claims_json(c: &AccessClaims) -> Value {
    json!({
        "cti": hex::encode(c.token_id), "sub": c.staff_id, "aud": c.lock_id,
        "nbf": c.not_before, "exp": c.expires, "iat": c.issued_at,
        "decision_id": c.decision_id, "decision_end": c.decision_end,
        "scope": c.scope as u8, "min_epoch": c.min_epoch,
        "cnf_public": hex::encode(c.device_key.as_bytes()),
    })
}

fn list(issuer: &SoftwareKey, epoch: u64, issued_at: u64, revoked: &[&AccessClaims]) -> Vec<u8> {
    RevocationList {
        lock_id: LOCK_ID.into(),
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
    .sign(issuer)
    .unwrap()
}

/// How a vector's lock starts.
struct Start {
    mode: LockMode,
    trusts: Vec<&'static str>,
    rtc: u64,
}

impl Start {
    fn normal() -> Self {
        Self {
            mode: LockMode::Normal,
            trusts: vec!["issuer"],
            rtc: NOW,
        }
    }
    fn mode(mode: LockMode) -> Self {
        Self {
            mode,
            trusts: if mode == LockMode::Commissioning {
                vec![]
            } else {
                vec!["issuer"]
            },
            rtc: NOW,
        }
    }
}

/// A request a vector step sends, before it is signed.
struct Req<'a> {
    token: Vec<u8>,
    claims: &'a AccessClaims,
    command: Command,
    /// Distinguishes request ids made at the same lock time.
    rid: u8,
    signer: &'a SoftwareKey,
    list: Option<Vec<u8>>,
    update: Option<Vec<u8>>,
}

struct Vector<'k> {
    keys: &'k Keys,
    name: &'static str,
    description: &'static str,
    start: Value,
    lock: SimulatedLock,
    steps: Vec<Value>,
    hello: Option<Hello>,
    connects: usize,
    /// Request ids by their `rid` number, made at first use.
    rids: Vec<(u8, [u8; 16])>,
}

impl<'k> Vector<'k> {
    fn new(keys: &'k Keys, name: &'static str, description: &'static str, start: Start) -> Self {
        let trusted = |n: &str| match n {
            "issuer" => keys.issuer.public_key(),
            "issuer2" => keys.issuer2.public_key(),
            _ => panic!("{n}"),
        };
        let config = LockConfig {
            lock_id: if start.mode == LockMode::Commissioning {
                String::new()
            } else {
                LOCK_ID.into()
            },
            issuers: start.trusts.iter().map(|n| trusted(n)).collect(),
            mode: start.mode,
        };
        let lock_key = SoftwareKey::from_raw(&keys.lock.0, &keys.lock.1).unwrap();
        let lock = SimulatedLock::new(Box::new(lock_key), config.clone(), start.rtc);
        Self {
            keys,
            name,
            description,
            start: json!({
                "lock_id": config.lock_id,
                "mode": mode_name(start.mode),
                "trusts": start.trusts,
                "rtc": start.rtc,
            }),
            lock,
            steps: Vec::new(),
            hello: None,
            connects: 0,
            rids: Vec::new(),
        }
    }

    fn lock_key(&self) -> PublicKey {
        PublicKey::from_sec1(&self.keys.lock.1).unwrap()
    }

    /// A state change of the lock or its surroundings, recorded as a step.
    fn act(&mut self, step: Value) {
        let c = self.lock.controls();
        match step["do"].as_str().unwrap() {
            "advance" => c.advance(step["secs"].as_u64().unwrap()),
            "set_rtc" => c.set_time(step["rtc"].as_u64().unwrap()),
            "stop_rtc" => c.stop_rtc(true),
            "reboot" => self.lock.reboot(),
            "power_loss" => self.lock.power_loss(),
            "factory_reset" => self.lock.factory_reset(),
            "press_setup_button" => c.press_setup_button(),
            "jam" => c.set_jammed(true),
            "set_battery" => c.set_battery(step["percent"].as_u64().unwrap() as u8),
            "storage_fails" => c.set_storage_failing(true),
            other => panic!("unknown action {other}"),
        }
        if matches!(
            step["do"].as_str(),
            Some("reboot" | "power_loss" | "factory_reset")
        ) {
            self.hello = None;
        }
        self.steps.push(step);
    }

    fn connect(&mut self) -> Hello {
        let n = sha256(format!("{}/{}", self.name, self.connects).as_bytes());
        self.connects += 1;
        let nonce: [u8; 16] = n[..16].try_into().unwrap();
        self.lock.controls().queue_nonce(nonce);
        let bytes = self.lock.connect().unwrap();
        let Message::Hello(h) = Message::decode(&bytes).unwrap() else {
            unreachable!()
        };
        self.steps.push(json!({
            "do": "connect", "nonce": hex::encode(nonce), "hello": hex::encode(&bytes),
        }));
        self.hello = Some(h.clone());
        h
    }

    fn disconnect(&mut self) {
        self.lock.disconnect();
        self.hello = None;
        self.steps.push(json!({"do": "disconnect"}));
    }

    fn rid(&mut self, n: u8, hello_time: u64) -> [u8; 16] {
        if let Some((_, id)) = self.rids.iter().find(|(k, _)| *k == n) {
            return *id;
        }
        let id = request_id_for(hello_time, [n; 8]);
        self.rids.push((n, id));
        id
    }

    /// Records one message sent in the current session (or with none) and
    /// what came back.
    fn record(
        &mut self,
        send: Value,
        answer: Option<Vec<u8>>,
        receipt_lock_id: String,
        subject: (Vec<u8>, u8, [u8; 16]),
    ) -> Option<ResultMessage> {
        let mut step = send;
        let Some(bytes) = answer else {
            step["expect"] = Value::Null;
            step["result"] = Value::Null;
            self.steps.push(step);
            return None;
        };
        let Message::Result(r) = Message::decode(&bytes).unwrap() else {
            unreachable!()
        };
        let hello = self.hello.clone().expect("an answer needs a session");
        let receipt = receipt_transcript(&ReceiptFacts {
            lock_id: &receipt_lock_id,
            nonce: &hello.nonce,
            issuers: &hello.issuers,
            token_hash: &subject.0,
            command: subject.1,
            request_id: &subject.2,
            status: r.status,
            counter: r.counter,
            lock_time: r.lock_time,
            bolt: r.bolt,
            repeated: r.repeated,
            battery: r.battery,
            mode: r.mode,
        })
        .unwrap();
        self.lock_key()
            .verify(&receipt, &r.lock_signature, "receipt")
            .unwrap_or_else(|_| panic!("{}: receipt", self.name));
        step["expect"] = json!({
            "status": r.status.name(), "code": r.status.code(), "bolt": bolt_name(r.bolt),
            "repeated": r.repeated, "counter": r.counter, "lock_time": r.lock_time,
            "battery": r.battery, "mode": mode_name(r.mode),
        });
        step["result"] = json!(hex::encode(&bytes));
        step["receipt_lock_id"] = json!(receipt_lock_id);
        step["receipt_subject"] = json!({
            "token_hash": hex::encode(&subject.0),
            "command": subject.1,
            "request_id": hex::encode(subject.2),
        });
        step["receipt_transcript"] = json!(hex::encode(receipt));
        self.steps.push(step);
        Some(r)
    }

    /// Sends a Request in the current session (connecting first if there is
    /// none), optionally changed after signing by `tamper`.
    fn request_with(
        &mut self,
        req: Req<'_>,
        tamper: impl FnOnce(&mut Request, &mut Hello),
    ) -> Option<ResultMessage> {
        let mut hello = match self.hello.clone() {
            Some(h) => h,
            None => self.connect(),
        };
        let rid = self.rid(req.rid, hello.lock_time);
        let token = SignedToken::parse(&req.token).unwrap();
        let mut signed_hello = hello.clone();
        let mut request = Request {
            issuer_update: req.update.clone(),
            ..build_request(
                &hello,
                &req.token,
                req.command,
                rid,
                req.signer,
                req.list.clone(),
            )
            .unwrap()
        };
        tamper(&mut request, &mut signed_hello);
        if signed_hello != hello {
            // The phone saw a tampered Hello: it signed over what it saw.
            request = Request {
                issuer_update: req.update.clone(),
                ..build_request(
                    &signed_hello,
                    &req.token,
                    req.command,
                    rid,
                    req.signer,
                    req.list.clone(),
                )
                .unwrap()
            };
            hello = signed_hello.clone();
        }
        let announced = hello.epoch_for(&token.issuer_key_id());
        let transcript = request_transcript(
            &hello.lock_id,
            &hello.nonce,
            announced,
            &token.hash(),
            request.command,
            &request.request_id,
        )
        .unwrap();
        let bytes = Message::Request(request.clone()).encode().unwrap();
        let answer = self.lock.receive(&bytes);
        let signed_by = if req.signer.public_key() == self.keys.device.public_key() {
            "device"
        } else {
            "stranger"
        };
        let send = json!({
            "do": "send", "kind": "request", "message": hex::encode(&bytes),
            "request": {
                "token": hex::encode(&req.token),
                "token_claims": claims_json(req.claims),
                "command": request.command as u8,
                "request_id": hex::encode(request.request_id),
                "announced_epoch": announced,
                "seen_hello": hex::encode(Message::Hello(hello.clone()).encode().unwrap()),
                "transcript": hex::encode(&transcript),
                "signed_by": signed_by,
                "revocation": request.revocation.as_ref().map(hex::encode),
                "issuer_update": request.issuer_update.as_ref().map(hex::encode),
            },
        });
        let lock_id = self
            .hello
            .as_ref()
            .map_or_else(String::new, |h| h.lock_id.clone());
        self.record(
            send,
            answer,
            lock_id,
            (
                token.hash().to_vec(),
                request.command as u8,
                request.request_id,
            ),
        )
    }

    fn request(&mut self, req: Req<'_>) -> Option<ResultMessage> {
        self.request_with(req, |_, _| {})
    }

    /// A care request with the vector's device key, in a fresh session.
    fn open(&mut self, claims: &AccessClaims, command: Command, rid: u8) -> Option<ResultMessage> {
        let token = issue(claims, &self.keys.issuer).unwrap();
        self.open_token(token, claims, command, rid, None)
    }

    fn open_token(
        &mut self,
        token: Vec<u8>,
        claims: &AccessClaims,
        command: Command,
        rid: u8,
        list: Option<Vec<u8>>,
    ) -> Option<ResultMessage> {
        let keys = self.keys;
        let device = &keys.device;
        let r = self.request(Req {
            token,
            claims,
            command,
            rid,
            signer: device,
            list,
            update: None,
        });
        self.disconnect();
        r
    }

    fn commission(&mut self, grant: Vec<u8>, granted: &str) -> Option<ResultMessage> {
        let hello = match self.hello.clone() {
            Some(h) => h,
            None => self.connect(),
        };
        let bytes = Message::Commission(Commission {
            nonce: hello.nonce,
            grant: grant.clone(),
        })
        .encode()
        .unwrap();
        let answer = self.lock.receive(&bytes);
        let ok = answer.as_ref().is_some_and(
            |a| matches!(Message::decode(a), Ok(Message::Result(r)) if r.status == Status::Ok),
        );
        let lock_id = if ok {
            granted.to_owned()
        } else {
            hello.lock_id.clone()
        };
        let send = json!({
            "do": "send", "kind": "commission", "message": hex::encode(&bytes),
            "commission": {"grant": hex::encode(&grant), "lock_id": granted},
        });
        let r = self.record(send, answer, lock_id, (sha256(&grant).to_vec(), 0, [0; 16]));
        self.disconnect();
        r
    }

    fn grant(&self, issuer: &SoftwareKey, issued_at: u64, expires: u64) -> Vec<u8> {
        CommissionGrant::issue(&self.lock_key(), LOCK_ID, issuer, issued_at, expires).unwrap()
    }

    /// Sends bytes that are not a Request or Commission in the current session.
    fn bytes(&mut self, bytes: &[u8], what: &str) -> Option<ResultMessage> {
        let answer = self.lock.receive(bytes);
        let lock_id = self
            .hello
            .as_ref()
            .map_or_else(String::new, |h| h.lock_id.clone());
        let send =
            json!({"do": "send", "kind": "other", "what": what, "message": hex::encode(bytes)});
        self.record(send, answer, lock_id, (Vec::new(), 0, [0; 16]))
    }

    /// Sends GATT fragments at transport times `at_ms`; records the Result
    /// the fragments drew (at most one), reassembled.
    fn fragments(
        &mut self,
        mtu: usize,
        frags: Vec<(u64, Vec<u8>)>,
        what: &str,
        subject: (Vec<u8>, u8, [u8; 16]),
    ) -> Option<ResultMessage> {
        let mut reply: Option<Vec<u8>> = None;
        for (at, f) in &frags {
            if let Some(out) = self.lock.receive_fragment(f, *at, mtu) {
                assert!(reply.is_none(), "{}: two answers", self.name);
                let mut r = nyckelfri_protocol::framing::Reassembler::new();
                for o in out {
                    if let Some(m) = r.push(&o, 0).unwrap() {
                        reply = Some(m);
                    }
                }
            }
        }
        let lock_id = self
            .hello
            .as_ref()
            .map_or_else(String::new, |h| h.lock_id.clone());
        let send = json!({
            "do": "send_fragments", "what": what, "mtu": mtu,
            "fragments": frags.iter().map(|(at, f)| json!({"at_ms": at, "data": hex::encode(f)})).collect::<Vec<_>>(),
        });
        self.record(send, reply, lock_id, subject)
    }

    fn write(self) {
        let v = json!({
            "name": self.name,
            "description": self.description,
            "protocol_version": 2,
            "keys": "keys.json: issuer, issuer2, device, lock, stranger",
            "lock": self.start,
            "steps": self.steps,
        });
        let path = vectors_dir().join(format!("{}.json", self.name));
        fs::write(path, serde_json::to_string_pretty(&v).unwrap() + "\n").unwrap();
    }
}

fn status(r: Option<ResultMessage>) -> Option<Status> {
    r.map(|r| r.status)
}

fn main() {
    let keys = load_or_make_keys();
    for entry in fs::read_dir(vectors_dir()).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "json") && !p.ends_with("keys.json") {
            fs::remove_file(p).unwrap();
        }
    }
    let care = claims(&keys, 1);
    let care_token = issue(&care, &keys.issuer).unwrap();
    let ok = Some(Status::Ok);

    // ---------------------------------------------------------------- valid
    let mut v = Vector::new(
        &keys,
        "valid-unlock",
        "A care worker's token opens the door.",
        Start::normal(),
    );
    assert_eq!(status(v.open(&care, Command::Unlock, 0x11)), ok);
    v.write();

    let mut v = Vector::new(
        &keys,
        "valid-repeat",
        "The Result was lost; the same request id in a new session gets the stored result (repeated, same counter) and the bolt does not move again.",
        Start::normal(),
    );
    v.open(&care, Command::Unlock, 0x12);
    let r = v.open(&care, Command::Unlock, 0x12).unwrap();
    assert!(r.repeated);
    v.write();

    let mut v = Vector::new(
        &keys,
        "valid-demo-installation",
        "A demonstration-scope token opens a lock in installation mode (R1.9); its Hello shows the lock key.",
        Start::mode(LockMode::Installation),
    );
    let mut demo = claims(&keys, 2);
    demo.scope = Scope::Demo;
    assert_eq!(status(v.open(&demo, Command::Unlock, 0x13)), ok);
    v.write();

    let mut v = Vector::new(
        &keys,
        "valid-maintenance-normal",
        "A maintenance-scope token (battery change) opens a lock in normal mode; an install-scope token is refused there.",
        Start::normal(),
    );
    let mut maint = claims(&keys, 3);
    maint.scope = Scope::Maintenance;
    assert_eq!(status(v.open(&maint, Command::Unlock, 1)), ok);
    let mut inst = claims(&keys, 4);
    inst.scope = Scope::Install;
    assert_eq!(
        status(v.open(&inst, Command::Unlock, 2)),
        Some(Status::WrongMode)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "valid-commission",
        "A factory-new lock, its setup button just pressed, takes its lock id and issuer from a grant naming its own key. The grant's issued-at does not raise the clock.",
        Start::mode(LockMode::Commissioning),
    );
    v.act(json!({"do": "press_setup_button"}));
    let g = v.grant(&keys.issuer, NOW - 60, NOW + 3_600);
    assert_eq!(status(v.commission(g, LOCK_ID)), ok);
    v.connect();
    v.write();

    let mut v = Vector::new(
        &keys,
        "valid-signed-status",
        "The battery level and the mode are inside the signed receipt: a lock at 12 % reports it, signed.",
        Start::normal(),
    );
    v.act(json!({"do": "set_battery", "percent": 12}));
    assert_eq!(v.open(&care, Command::Unlock, 1).unwrap().battery, 12);
    v.write();

    // ------------------------------------------------------------ refusals
    let mut v = Vector::new(
        &keys,
        "refuse-malformed",
        "Bytes that are not a protocol message.",
        Start::normal(),
    );
    v.connect();
    assert_eq!(
        status(v.bytes(&[0xff, 0x00, 0x01], "garbage")),
        Some(Status::Malformed)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-oversized",
        "A message over 4096 bytes.",
        Start::normal(),
    );
    v.connect();
    assert_eq!(
        status(v.bytes(&vec![0u8; 4097], "4097 zero bytes")),
        Some(Status::Oversized)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-unsupported-version",
        "A version 1 message: old and new never mix.",
        Start::normal(),
    );
    v.connect();
    let mut bytes = {
        let h = v.hello.clone().unwrap();
        Message::Request(
            build_request(
                &h,
                &care_token,
                Command::Unlock,
                request_id_for(h.lock_time, [1; 8]),
                &keys.device,
                None,
            )
            .unwrap(),
        )
        .encode()
        .unwrap()
    };
    bytes[1] = 0x01;
    assert_eq!(
        status(v.bytes(&bytes, "a Request with version 1")),
        Some(Status::UnsupportedVersion)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-unknown-issuer",
        "A token signed by a key the lock does not trust.",
        Start::normal(),
    );
    let t = issue(&care, &keys.stranger).unwrap();
    assert_eq!(
        status(v.open_token(t, &care, Command::Unlock, 1, None)),
        Some(Status::UnknownIssuer)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-bad-signature",
        "A token whose protected kid names the trusted issuer but whose signature is someone else's.",
        Start::normal(),
    );
    let forged = {
        struct Forger<'a>(&'a SoftwareKey, &'a SoftwareKey);
        impl Signer for Forger<'_> {
            fn public_key(&self) -> PublicKey {
                self.0.public_key()
            }
            fn sign(&self, m: &[u8]) -> Result<[u8; 64], nyckelfri_protocol::ProtocolError> {
                self.1.sign(m)
            }
        }
        issue(&care, &Forger(&keys.issuer, &keys.stranger)).unwrap()
    };
    assert_eq!(
        status(v.open_token(forged, &care, Command::Unlock, 1, None)),
        Some(Status::BadSignature)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-wrong-lock",
        "A token for lock-0002.",
        Start::normal(),
    );
    let mut other = claims(&keys, 5);
    other.lock_id = "lock-0002".into();
    assert_eq!(
        status(v.open(&other, Command::Unlock, 1)),
        Some(Status::WrongLock)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-not-yet-valid",
        "A token valid from ten minutes from now.",
        Start::normal(),
    );
    let mut later = claims(&keys, 6);
    later.not_before = NOW + 600;
    later.issued_at = NOW - 60;
    assert_eq!(
        status(v.open(&later, Command::Unlock, 1)),
        Some(Status::NotYetValid)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-expired",
        "A token that expired a second ago.",
        Start::normal(),
    );
    let mut expired = claims(&keys, 7);
    expired.not_before = NOW - 9 * 3_600;
    expired.issued_at = expired.not_before;
    expired.expires = NOW - 1;
    assert_eq!(
        status(v.open(&expired, Command::Unlock, 1)),
        Some(Status::Expired)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-decision-ended",
        "The care decision ended a minute ago (checked before expiry, R2.7).",
        Start::normal(),
    );
    let mut ended = claims(&keys, 8);
    ended.decision_end = NOW - 60;
    ended.expires = ended.decision_end;
    assert_eq!(
        status(v.open(&ended, Command::Unlock, 1)),
        Some(Status::DecisionEnded)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-revoked",
        "The Request carries this lock's list (epoch 1) revoking the token itself; the lock installs it and refuses.",
        Start::normal(),
    );
    let l = list(&keys.issuer, 1, NOW - 10, &[&care]);
    assert_eq!(
        status(v.open_token(care_token.clone(), &care, Command::Unlock, 1, Some(l))),
        Some(Status::Revoked)
    );
    // The next phone brings no list: the lock remembers.
    assert_eq!(
        status(v.open(&care, Command::Unlock, 2)),
        Some(Status::Revoked)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-stale-nonce",
        "A Request answering another session's nonce is stale; so is one sent 31 s (by the tick) after the Hello, even with the RTC stopped; exactly 30 s is fresh.",
        Start::normal(),
    );
    v.connect();
    let stale_hello = v.hello.clone().unwrap();
    v.disconnect();
    v.connect();
    let device = &keys.device;
    let r = v.request_with(
        Req {
            token: care_token.clone(),
            claims: &care,
            command: Command::Unlock,
            rid: 1,
            signer: device,
            list: None,
            update: None,
        },
        |req, _| req.nonce = stale_hello.nonce,
    );
    assert_eq!(status(r), Some(Status::StaleNonce));
    v.disconnect();
    v.act(json!({"do": "stop_rtc"}));
    v.connect();
    v.act(json!({"do": "advance", "secs": 31}));
    let r = v.request(Req {
        token: care_token.clone(),
        claims: &care,
        command: Command::Unlock,
        rid: 2,
        signer: device,
        list: None,
        update: None,
    });
    assert_eq!(status(r), Some(Status::StaleNonce));
    v.disconnect();
    v.connect();
    v.act(json!({"do": "advance", "secs": 30}));
    let r = v.request(Req {
        token: care_token.clone(),
        claims: &care,
        command: Command::Unlock,
        rid: 3,
        signer: device,
        list: None,
        update: None,
    });
    assert_eq!(status(r), ok);
    v.disconnect();
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-proof-of-possession",
        "The token is genuine but the Request is signed by another device key.",
        Start::normal(),
    );
    let stranger = &keys.stranger;
    let r = v.request(Req {
        token: care_token.clone(),
        claims: &care,
        command: Command::Unlock,
        rid: 1,
        signer: stranger,
        list: None,
        update: None,
    });
    assert_eq!(status(r), Some(Status::ProofOfPossession));
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-out-of-scope",
        "A care token asks for decommission.",
        Start::normal(),
    );
    assert_eq!(
        status(v.open(&care, Command::Decommission, 1)),
        Some(Status::OutOfScope)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-wrong-mode",
        "A demonstration token in normal mode (R1.9); a Commission to a commissioned lock.",
        Start::normal(),
    );
    assert_eq!(
        status(v.open(&demo, Command::Unlock, 1)),
        Some(Status::WrongMode)
    );
    let g = v.grant(&keys.issuer, NOW - 60, NOW + 3_600);
    assert_eq!(status(v.commission(g, LOCK_ID)), Some(Status::WrongMode));
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-bad-revocation-list",
        "A list newer than the lock's, signed by a stranger; then a list for another lock; then one whose epoch is more than 2^32 ahead of the one held (2^64 − 1).",
        Start::normal(),
    );
    let l = list(&keys.stranger, 9, NOW, &[]);
    assert_eq!(
        status(v.open_token(care_token.clone(), &care, Command::Unlock, 1, Some(l))),
        Some(Status::BadRevocationList)
    );
    let other_lock = RevocationList {
        lock_id: "lock-0002".into(),
        epoch: 2,
        issued_at: NOW,
        revoked_before: 0,
        revoked: vec![],
    }
    .sign(&keys.issuer)
    .unwrap();
    assert_eq!(
        status(v.open_token(
            care_token.clone(),
            &care,
            Command::Unlock,
            2,
            Some(other_lock)
        )),
        Some(Status::BadRevocationList)
    );
    let l = list(&keys.issuer, u64::MAX, NOW, &[]);
    assert_eq!(
        status(v.open_token(care_token.clone(), &care, Command::Unlock, 3, Some(l))),
        Some(Status::BadRevocationList)
    );
    v.connect();
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-request-id-conflict",
        "A request id already used with another command.",
        Start::normal(),
    );
    assert_eq!(status(v.open(&care, Command::Unlock, 1)), ok);
    assert_eq!(
        status(v.open(&care, Command::Lock, 1)),
        Some(Status::RequestIdConflict)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-jammed",
        "The motor cannot move the bolt; the retry gets the stored jammed answer and the motor is not driven again.",
        Start::normal(),
    );
    v.act(json!({"do": "jam"}));
    assert_eq!(
        status(v.open(&care, Command::Unlock, 1)),
        Some(Status::Jammed)
    );
    let r = v.open(&care, Command::Unlock, 1).unwrap();
    assert!(r.repeated);
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-bad-commission-grant",
        "Grants a commissioning lock refuses: one for another key, one that expired, one self-signature that does not verify, one dated 2100 (over an hour ahead of the set RTC).",
        Start::mode(LockMode::Commissioning),
    );
    v.act(json!({"do": "press_setup_button"}));
    let other_key = keys.stranger.public_key();
    let g =
        CommissionGrant::issue(&other_key, LOCK_ID, &keys.issuer, NOW - 60, NOW + 3_600).unwrap();
    assert_eq!(
        status(v.commission(g, LOCK_ID)),
        Some(Status::BadCommissionGrant)
    );
    let g = v.grant(&keys.issuer, NOW - 7_200, NOW - 3_600);
    assert_eq!(
        status(v.commission(g, LOCK_ID)),
        Some(Status::BadCommissionGrant)
    );
    let mut g = v.grant(&keys.issuer, NOW - 60, NOW + 3_600);
    let last = g.len() - 1;
    g[last] ^= 1;
    assert_eq!(
        status(v.commission(g, LOCK_ID)),
        Some(Status::BadCommissionGrant)
    );
    let g = v.grant(&keys.stranger, 4_102_444_800, 4_102_448_400);
    assert_eq!(
        status(v.commission(g, LOCK_ID)),
        Some(Status::BadCommissionGrant)
    );
    let g = v.grant(&keys.issuer, NOW - 60, NOW + 3_600);
    assert_eq!(status(v.commission(g, LOCK_ID)), ok);
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-presence-required",
        "A Commission to a factory-new lock whose setup button was not pressed (or pressed more than 300 s of ticks ago).",
        Start::mode(LockMode::Commissioning),
    );
    let g = v.grant(&keys.issuer, NOW - 60, NOW + 3_600);
    assert_eq!(
        status(v.commission(g.clone(), LOCK_ID)),
        Some(Status::PresenceRequired)
    );
    v.act(json!({"do": "press_setup_button"}));
    v.act(json!({"do": "advance", "secs": 301}));
    assert_eq!(
        status(v.commission(g, LOCK_ID)),
        Some(Status::PresenceRequired)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-revocation-stale",
        "A token whose min_epoch (3) is newer than the list the lock holds (none) is refused until a phone brings that list.",
        Start::normal(),
    );
    let mut fresh = claims(&keys, 9);
    fresh.min_epoch = 3;
    let fresh_token = issue(&fresh, &keys.issuer).unwrap();
    assert_eq!(
        status(v.open_token(fresh_token.clone(), &fresh, Command::Unlock, 1, None)),
        Some(Status::RevocationStale)
    );
    let l = list(&keys.issuer, 3, NOW - 30, &[&care]);
    assert_eq!(
        status(v.open_token(fresh_token, &fresh, Command::Unlock, 2, Some(l))),
        ok
    );
    assert_eq!(
        status(v.open(&care, Command::Unlock, 3)),
        Some(Status::Revoked)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-issued-in-future",
        "A genuine token whose iat is in 2100, more than an hour ahead of the set RTC: refused, and the lock's time does not move (the next token opens).",
        Start::normal(),
    );
    let mut future = claims(&keys, 10);
    future.issued_at = 4_102_444_800;
    future.expires = future.issued_at + 3_600;
    future.decision_end = future.expires;
    assert_eq!(
        status(v.open(&future, Command::Unlock, 1)),
        Some(Status::IssuedInFuture)
    );
    assert_eq!(status(v.open(&care, Command::Unlock, 2)), ok);
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-storage-fault",
        "The lock cannot write its request-cache entry: it refuses rather than move the bolt unrecorded.",
        Start::normal(),
    );
    v.act(json!({"do": "storage_fails"}));
    assert_eq!(
        status(v.open(&care, Command::Unlock, 1)),
        Some(Status::StorageFault)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-request-id-stale",
        "A request's Result was lost; 32 more commands a minute later push it out of the cache. Its retry is refused (its request id was made before the newest forgotten one), and the bolt does not move again.",
        Start::normal(),
    );
    assert_eq!(status(v.open(&care, Command::Unlock, 1)), ok);
    v.act(json!({"do": "advance", "secs": 60}));
    for i in 0..32u8 {
        let c = if i % 2 == 0 {
            Command::Lock
        } else {
            Command::Unlock
        };
        assert_eq!(status(v.open(&care, c, 100 + i)), ok);
    }
    assert_eq!(
        status(v.open(&care, Command::Unlock, 1)),
        Some(Status::RequestIdStale)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "refuse-bad-issuer-update",
        "An issuer update signed by a key the lock does not trust.",
        Start::normal(),
    );
    let update = IssuerUpdate {
        issued_at: NOW - 30,
        keys: vec![keys.stranger.public_key()],
    }
    .sign(&keys.stranger)
    .unwrap();
    let r = v.request(Req {
        token: care_token.clone(),
        claims: &care,
        command: Command::Unlock,
        rid: 1,
        signer: device,
        list: None,
        update: Some(update),
    });
    assert_eq!(status(r), Some(Status::BadIssuerUpdate));
    v.write();

    // -------------------------------------------------------- state & time
    let mut v = Vector::new(
        &keys,
        "clock-floor",
        "The lock's time is the RTC but never below its high-water mark: a token's iat raises it; an RTC set back does not lower it; after a power loss (RTC unset) the stored mark holds, so a token that expired before stays expired; the mark moves on with the tick.",
        Start::normal(),
    );
    let mut evening = claims(&keys, 11);
    evening.expires = NOW + 12 * 3_600;
    let mut morning = claims(&keys, 12);
    morning.expires = NOW + 3 * 3_600;
    v.act(json!({"do": "advance", "secs": 10 * 3_600}));
    assert_eq!(status(v.open(&evening, Command::Unlock, 1)), ok);
    v.act(json!({"do": "set_rtc", "rtc": NOW}));
    assert_eq!(
        status(v.open(&morning, Command::Unlock, 2)),
        Some(Status::Expired)
    );
    v.act(json!({"do": "power_loss"}));
    assert_eq!(
        status(v.open(&morning, Command::Unlock, 3)),
        Some(Status::Expired)
    );
    v.act(json!({"do": "advance", "secs": 120}));
    v.connect();
    v.write();

    let mut v = Vector::new(
        &keys,
        "state-retry-after-reboot",
        "The Result of an unlock is lost and the lock reboots; the retry (same request id) gets the stored answer, repeated, and the counter continues.",
        Start::normal(),
    );
    assert_eq!(status(v.open(&care, Command::Unlock, 1)), ok);
    v.act(json!({"do": "reboot"}));
    let r = v.open(&care, Command::Unlock, 1).unwrap();
    assert!(r.repeated);
    v.act(json!({"do": "power_loss"}));
    assert_eq!(v.open(&care, Command::Lock, 2).unwrap().counter, 2);
    v.write();

    let mut v = Vector::new(
        &keys,
        "session-rules",
        "One signed answer per kind per session: undecodable input gets one, the Request that uses the nonce gets one, anything after gets none; with no session nothing is answered.",
        Start::normal(),
    );
    v.connect();
    assert_eq!(status(v.bytes(&[0xff], "garbage")), Some(Status::Malformed));
    assert_eq!(status(v.bytes(&[0xfe], "more garbage")), None);
    assert_eq!(
        status(v.request(Req {
            token: care_token.clone(),
            claims: &care,
            command: Command::Unlock,
            rid: 1,
            signer: device,
            list: None,
            update: None
        })),
        ok
    );
    assert_eq!(
        status(v.request(Req {
            token: care_token.clone(),
            claims: &care,
            command: Command::Lock,
            rid: 2,
            signer: device,
            list: None,
            update: None
        })),
        None
    );
    v.disconnect();
    assert_eq!(status(v.bytes(&[0xff], "garbage without a session")), None);
    v.write();

    let mut v = Vector::new(
        &keys,
        "framing",
        "GATT fragments at MTU 23: a Request reassembled whole opens; an empty fragment, a duplicate, a sequence gap, an oversized declared length and a late continuation are each refused once per session.",
        Start::normal(),
    );
    let h = v.connect();
    let rid = v.rid(1, h.lock_time);
    let req = Message::Request(
        build_request(&h, &care_token, Command::Unlock, rid, &keys.device, None).unwrap(),
    )
    .encode()
    .unwrap();
    let frags: Vec<(u64, Vec<u8>)> = fragment(&req, 23)
        .unwrap()
        .into_iter()
        .map(|f| (0, f))
        .collect();
    assert_eq!(
        status(v.fragments(
            23,
            frags.clone(),
            "a Request at MTU 23",
            (sha256(&care_token).to_vec(), 1, rid)
        )),
        ok
    );
    v.disconnect();
    for (what, broken) in [
        ("an empty fragment", vec![(0u64, vec![])]),
        (
            "a duplicated continuation",
            vec![frags[0].clone(), frags[1].clone(), frags[1].clone()],
        ),
        (
            "a skipped continuation",
            vec![frags[0].clone(), frags[2].clone()],
        ),
        (
            "a declared length of 4097",
            vec![(0, vec![FIRST, 0x10, 0x01, 0x00])],
        ),
        (
            "a continuation 5001 ms after its first fragment",
            vec![frags[0].clone(), (5_001, frags[1].1.clone())],
        ),
    ] {
        v.connect();
        let r = v.fragments(23, broken, what, (Vec::new(), 0, [0; 16]));
        assert!(r.is_some_and(|r| r.status.is_refusal()), "{what}");
        v.disconnect();
    }
    v.write();

    let mut v = Vector::new(
        &keys,
        "revocation-per-issuer",
        "During a key rollover the lock trusts two issuers. Each has its own epoch: the old issuer's list at epoch 5 does not hide the new issuer's first list (epoch 3). The Hello announces both, and each device signs the epoch of its token's issuer.",
        Start {
            mode: LockMode::Normal,
            trusts: vec!["issuer", "issuer2"],
            rtc: NOW,
        },
    );
    let l = list(&keys.issuer, 5, NOW - 120, &[]);
    assert_eq!(
        status(v.open_token(care_token.clone(), &care, Command::Unlock, 1, Some(l))),
        ok
    );
    let stolen2 = claims(&keys, 13);
    let stolen2_token = issue(&stolen2, &keys.issuer2).unwrap();
    let colleague2 = claims(&keys, 14);
    let colleague2_token = issue(&colleague2, &keys.issuer2).unwrap();
    let l2 = list(&keys.issuer2, 3, NOW - 60, &[&stolen2]);
    assert_eq!(
        status(v.open_token(colleague2_token, &colleague2, Command::Lock, 2, Some(l2))),
        ok
    );
    assert_eq!(
        status(v.open_token(stolen2_token, &stolen2, Command::Unlock, 3, None)),
        Some(Status::Revoked)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "revocation-relay",
        "A relay raises the epoch in the Hello so the phone leaves its list at home; the device signed the epoch it saw, the lock rebuilds the transcript with the epoch it announced, and the Request fails. The honest retry carries the list.",
        Start::normal(),
    );
    let stolen = claims(&keys, 15);
    let l = list(&keys.issuer, 1, NOW - 60, &[&stolen]);
    let r = v.request_with(
        Req {
            token: care_token.clone(),
            claims: &care,
            command: Command::Unlock,
            rid: 1,
            signer: device,
            list: None,
            update: None,
        },
        |_, hello| hello.issuers[0].epoch = 99,
    );
    assert_eq!(status(r), Some(Status::ProofOfPossession));
    v.disconnect();
    assert_eq!(
        status(v.open_token(care_token.clone(), &care, Command::Unlock, 2, Some(l))),
        ok
    );
    assert_eq!(
        status(v.open(&stolen, Command::Unlock, 3)),
        Some(Status::Revoked)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "issuer-rollover",
        "The trusted issuer signs an update that adds issuer2 (one more P-256 verification); a token from issuer2 then opens. A later update from issuer2 retires the first issuer, whose tokens are then unknown.",
        Start::normal(),
    );
    let add = IssuerUpdate {
        issued_at: NOW - 60,
        keys: vec![keys.issuer.public_key(), keys.issuer2.public_key()],
    }
    .sign(&keys.issuer)
    .unwrap();
    let r = v.request(Req {
        token: care_token.clone(),
        claims: &care,
        command: Command::Unlock,
        rid: 1,
        signer: device,
        list: None,
        update: Some(add),
    });
    assert_eq!(status(r), ok);
    v.disconnect();
    let by2 = claims(&keys, 16);
    let by2_token = issue(&by2, &keys.issuer2).unwrap();
    assert_eq!(
        status(v.open_token(by2_token.clone(), &by2, Command::Lock, 2, None)),
        ok
    );
    let retire = IssuerUpdate {
        issued_at: NOW - 30,
        keys: vec![keys.issuer2.public_key()],
    }
    .sign(&keys.issuer2)
    .unwrap();
    let r = v.request(Req {
        token: by2_token,
        claims: &by2,
        command: Command::Unlock,
        rid: 3,
        signer: device,
        list: None,
        update: Some(retire),
    });
    assert_eq!(status(r), ok);
    v.disconnect();
    assert_eq!(
        status(v.open(&care, Command::Lock, 4)),
        Some(Status::UnknownIssuer)
    );
    v.write();

    let mut v = Vector::new(
        &keys,
        "commissioning-lifecycle",
        "Commission, finish the installation, decommission (the receipt is signed under the old id and the clock floor stays), and a factory reset after which a new grant is accepted.",
        Start::mode(LockMode::Commissioning),
    );
    v.act(json!({"do": "press_setup_button"}));
    let g = v.grant(&keys.issuer, NOW - 60, NOW + 3_600);
    assert_eq!(status(v.commission(g, LOCK_ID)), ok);
    let mut install = claims(&keys, 17);
    install.scope = Scope::Install;
    assert_eq!(status(v.open(&install, Command::FinishInstallation, 1)), ok);
    assert_eq!(status(v.open(&install, Command::Decommission, 2)), ok);
    assert_eq!(
        status(v.open(&care, Command::Unlock, 3)),
        Some(Status::WrongMode)
    );
    v.act(json!({"do": "factory_reset"}));
    v.act(json!({"do": "press_setup_button"}));
    let g = v.grant(&keys.issuer2, NOW - 60, NOW + 3_600);
    assert_eq!(status(v.commission(g, LOCK_ID)), ok);
    v.connect();
    v.write();
}
