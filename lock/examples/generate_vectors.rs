//! Writes the protocol test vectors to `tests/vectors/` at the workspace root.
//!
//! Run: `cargo run -p nyckelfri-lock --example generate_vectors`
//!
//! The keys in `tests/vectors/keys.json` are made once and then reused, so
//! regenerating changes only the (randomised) ECDSA signatures. The vectors
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
use nyckelfri_protocol::keys::sha256;
use nyckelfri_protocol::messages::{Command, Commission, Hello, LockMode, Message, ResultMessage};
use nyckelfri_protocol::revocation::{RevocationList, RevokedToken};
use nyckelfri_protocol::token::{AccessClaims, Scope, issue};
use nyckelfri_protocol::transcript::{ReceiptFacts, receipt_transcript, request_transcript};
use nyckelfri_protocol::{Signer, SoftwareKey, Status};
use serde_json::{Value, json};

const NOW: u64 = 1_795_334_400; // 2026-11-22T08:00:00Z
const LOCK_ID: &str = "lock-0001";

struct Keys {
    issuer: SoftwareKey,
    device: SoftwareKey,
    lock: (Vec<u8>, Vec<u8>),
    stranger: SoftwareKey,
}

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// Offset of the private scalar in ring's P-256 PKCS#8 v1 encoding.
const PKCS8_SCALAR: std::ops::Range<usize> = 36..68;

fn load_or_make_keys() -> Keys {
    let path = vectors_dir().join("keys.json");
    if !path.exists() {
        let mut obj = serde_json::Map::new();
        obj.insert(
            "warning".into(),
            json!("TEST KEYS for the protocol vectors only. Public on purpose; never use them anywhere else."),
        );
        for name in ["issuer", "device", "lock", "stranger"] {
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
        fs::write(
            &path,
            serde_json::to_string_pretty(&Value::Object(obj)).unwrap() + "\n",
        )
        .unwrap();
    }
    let v: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
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
    }
}

fn mode_name(m: LockMode) -> &'static str {
    match m {
        LockMode::Commissioning => "commissioning",
        LockMode::Installation => "installation",
        LockMode::Normal => "normal",
    }
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
        device_key: keys.device.public_key(),
    }
}

fn claims_json(c: &AccessClaims) -> Value {
    json!({
        "cti": hex::encode(c.token_id), "sub": c.staff_id, "aud": c.lock_id,
        "nbf": c.not_before, "exp": c.expires, "iat": c.issued_at,
        "decision_id": c.decision_id, "decision_end": c.decision_end,
        "scope": c.scope as u8, "cnf_public": hex::encode(c.device_key.as_bytes()),
    })
}

struct Vector {
    name: &'static str,
    description: &'static str,
    mode: LockMode,
    rtc: u64,
    jammed: bool,
    button: bool,
    lock: SimulatedLock,
    steps: Vec<Value>,
}

impl Vector {
    fn new(keys: &Keys, name: &'static str, description: &'static str, mode: LockMode) -> Self {
        let config = if mode == LockMode::Commissioning {
            LockConfig::factory_new()
        } else {
            LockConfig {
                lock_id: LOCK_ID.into(),
                issuers: vec![keys.issuer.public_key()],
                mode,
            }
        };
        let lock_key = SoftwareKey::from_raw(&keys.lock.0, &keys.lock.1).unwrap();
        Self {
            name,
            description,
            mode,
            rtc: NOW,
            jammed: false,
            button: false,
            lock: SimulatedLock::new(Box::new(lock_key), config, NOW),
            steps: Vec::new(),
        }
    }

    fn hello(&mut self) -> Hello {
        let n = sha256(format!("{}/{}", self.name, self.steps.len()).as_bytes());
        self.lock
            .controls()
            .queue_nonce(n[..16].try_into().unwrap());
        match Message::decode(&self.lock.connect().unwrap()).unwrap() {
            Message::Hello(h) => h,
            _ => unreachable!(),
        }
    }

    /// Sends `message` and records the step.
    fn step(
        &mut self,
        hello: &Hello,
        send: Vec<u8>,
        extra: Value,
        facts: (Vec<u8>, u8, [u8; 16]),
    ) -> ResultMessage {
        let result_bytes = self.lock.receive(&send).unwrap();
        self.lock.disconnect();
        let Message::Result(r) = Message::decode(&result_bytes).unwrap() else {
            unreachable!()
        };
        let lock_id = if hello.mode == LockMode::Commissioning && r.status == Status::Ok {
            self.lock.lock().lock_id().to_owned()
        } else {
            hello.lock_id.clone()
        };
        let receipt = receipt_transcript(&ReceiptFacts {
            lock_id: &lock_id,
            nonce: &hello.nonce,
            token_hash: &facts.0,
            command: facts.1,
            request_id: &facts.2,
            status: r.status,
            counter: r.counter,
            lock_time: r.lock_time,
            bolt: r.bolt,
            repeated: r.repeated,
        })
        .unwrap();
        let mut step = json!({
            "hello": hex::encode(Message::Hello(hello.clone()).encode().unwrap()),
            "nonce": hex::encode(hello.nonce),
            "send": hex::encode(&send),
            "expect": {
                "status": r.status.name(), "code": r.status.code(),
                "bolt": format!("{:?}", r.bolt).to_lowercase(), "repeated": r.repeated,
                "counter": r.counter, "lock_time": r.lock_time, "battery": r.battery,
            },
            "result": hex::encode(&result_bytes),
            "receipt_lock_id": lock_id,
            "receipt_transcript": hex::encode(receipt),
        });
        if let (Value::Object(s), Value::Object(e)) = (&mut step, extra) {
            s.extend(e);
        }
        self.steps.push(step);
        r
    }

    /// A Request step with `token` signed by `device`.
    fn request(
        &mut self,
        token: &[u8],
        claims: &AccessClaims,
        command: Command,
        request_id: [u8; 16],
        device: &SoftwareKey,
        revocation: Option<Vec<u8>>,
    ) -> ResultMessage {
        let hello = self.hello();
        let req = build_request(
            &hello,
            token,
            command,
            request_id,
            device,
            revocation.clone(),
        )
        .unwrap();
        let transcript = request_transcript(
            &hello.lock_id,
            &hello.nonce,
            &sha256(token),
            command,
            &request_id,
        )
        .unwrap();
        let send = Message::Request(req).encode().unwrap();
        let extra = json!({
            "kind": "request",
            "token": hex::encode(token),
            "token_claims": claims_json(claims),
            "command": command as u8,
            "request_id": hex::encode(request_id),
            "transcript": hex::encode(transcript),
            "signed_by": if device.public_key() == claims.device_key { "device" } else { "stranger" },
            "revocation": revocation.map(hex::encode),
        });
        self.step(
            &hello,
            send,
            extra,
            (sha256(token).to_vec(), command as u8, request_id),
        )
    }

    fn press_button(&mut self) {
        self.button = true;
        self.lock.controls().press_setup_button();
    }

    /// A Commission step with a grant for `for_key` (default: the lock's own key).
    fn commission(
        &mut self,
        keys: &Keys,
        for_key: Option<nyckelfri_protocol::PublicKey>,
    ) -> ResultMessage {
        let hello = self.hello();
        let key = for_key.unwrap_or_else(|| hello.lock_key.clone().unwrap());
        let grant =
            CommissionGrant::issue(&key, LOCK_ID, &keys.issuer, NOW - 60, NOW + 3_600).unwrap();
        let send = Message::Commission(Commission {
            nonce: hello.nonce,
            grant: grant.clone(),
        })
        .encode()
        .unwrap();
        let extra = json!({"kind": "commission", "grant": hex::encode(&grant), "lock_id": LOCK_ID});
        self.step(&hello, send, extra, (sha256(&grant).to_vec(), 0, [0; 16]))
    }

    fn raw(&mut self, send: Vec<u8>, what: &str) -> ResultMessage {
        let hello = self.hello();
        self.step(
            &hello,
            send,
            json!({"kind": "raw", "what": what}),
            (Vec::new(), 0, [0; 16]),
        )
    }

    fn write(self, keys_note: &str) {
        let v = json!({
            "name": self.name,
            "description": self.description,
            "keys": keys_note,
            "lock": {
                "lock_id": if self.mode == LockMode::Commissioning { "" } else { LOCK_ID },
                "mode": mode_name(self.mode),
                "rtc": self.rtc,
                "battery": 100,
                "jammed": self.jammed,
                "setup_button_pressed": self.button,
                "trusts": if self.mode == LockMode::Commissioning { json!([]) } else { json!(["issuer"]) },
            },
            "steps": self.steps,
        });
        let path = vectors_dir().join(format!("{}.json", self.name));
        fs::write(path, serde_json::to_string_pretty(&v).unwrap() + "\n").unwrap();
    }
}

fn main() {
    let keys = load_or_make_keys();
    let note = "keys.json: issuer, device, lock, stranger";
    let care = claims(&keys, 1);
    let care_token = issue(&care, &keys.issuer).unwrap();

    let mut v = Vector::new(
        &keys,
        "valid-unlock",
        "A care worker's token opens the door.",
        LockMode::Normal,
    );
    assert_eq!(
        v.request(
            &care_token,
            &care,
            Command::Unlock,
            [0x11; 16],
            &keys.device,
            None
        )
        .status,
        Status::Ok
    );
    v.write(note);

    let mut v = Vector::new(
        &keys,
        "valid-repeat",
        "The Result was lost; the same request id in a new session gets the stored result (repeated, same counter) and the bolt does not move again.",
        LockMode::Normal,
    );
    v.request(
        &care_token,
        &care,
        Command::Unlock,
        [0x12; 16],
        &keys.device,
        None,
    );
    let r = v.request(
        &care_token,
        &care,
        Command::Unlock,
        [0x12; 16],
        &keys.device,
        None,
    );
    assert!(r.repeated);
    v.write(note);

    let mut v = Vector::new(
        &keys,
        "valid-demo-installation",
        "A demonstration-scope token opens a lock in installation mode (R1.9).",
        LockMode::Installation,
    );
    let mut demo = claims(&keys, 2);
    demo.scope = Scope::Demo;
    let demo_token = issue(&demo, &keys.issuer).unwrap();
    assert_eq!(
        v.request(
            &demo_token,
            &demo,
            Command::Unlock,
            [0x13; 16],
            &keys.device,
            None
        )
        .status,
        Status::Ok
    );
    v.write(note);

    let mut v = Vector::new(
        &keys,
        "valid-commission",
        "A factory-new lock, its setup button just pressed, takes its lock id and issuer from a grant naming its own key.",
        LockMode::Commissioning,
    );
    v.press_button();
    assert_eq!(v.commission(&keys, None).status, Status::Ok);
    v.write(note);

    // One vector per refusal.
    let refusal = |name: &'static str, description: &'static str| {
        Vector::new(&keys, name, description, LockMode::Normal)
    };

    let mut v = refusal("refuse-malformed", "Bytes that are not a protocol message.");
    assert_eq!(
        v.raw(vec![0xff, 0x00, 0x01], "garbage").status,
        Status::Malformed
    );
    v.write(note);

    let mut v = refusal("refuse-oversized", "A message larger than 4096 bytes.");
    assert_eq!(
        v.raw(vec![0; 4097], "4097 zero bytes").status,
        Status::Oversized
    );
    v.write(note);

    let mut v = refusal(
        "refuse-unsupported-version",
        "A Request claiming protocol version 2.",
    );
    let hello = v.hello();
    let mut bytes = Message::Request(
        build_request(
            &hello,
            &care_token,
            Command::Unlock,
            [0x14; 16],
            &keys.device,
            None,
        )
        .unwrap(),
    )
    .encode()
    .unwrap();
    bytes[1] = 0x02;
    let r = v.step(
        &hello,
        bytes,
        json!({"kind": "raw", "what": "valid request with version 2"}),
        (Vec::new(), 0, [0; 16]),
    );
    assert_eq!(r.status, Status::UnsupportedVersion);
    v.write(note);

    let mut v = refusal(
        "refuse-unknown-issuer",
        "A token signed by a key the lock does not trust.",
    );
    let t = issue(&care, &keys.stranger).unwrap();
    assert_eq!(
        v.request(&t, &care, Command::Unlock, [0x15; 16], &keys.device, None)
            .status,
        Status::UnknownIssuer
    );
    v.write(note);

    let mut v = refusal(
        "refuse-bad-signature",
        "A token naming the issuer's key id but signed by another key.",
    );
    let mut t = issue(&care, &keys.issuer).unwrap();
    let last = t.len() - 1;
    t[last] ^= 0x01;
    assert_eq!(
        v.request(&t, &care, Command::Unlock, [0x16; 16], &keys.device, None)
            .status,
        Status::BadSignature
    );
    v.write(note);

    let mut c = claims(&keys, 3);
    c.lock_id = "lock-0002".into();
    let mut v = refusal("refuse-wrong-lock", "A token for another lock.");
    assert_eq!(
        v.request(
            &issue(&c, &keys.issuer).unwrap(),
            &c,
            Command::Unlock,
            [0x17; 16],
            &keys.device,
            None
        )
        .status,
        Status::WrongLock
    );
    v.write(note);

    let mut c = claims(&keys, 4);
    c.not_before = NOW + 600;
    let mut v = refusal(
        "refuse-not-yet-valid",
        "A token whose not-before is ten minutes ahead.",
    );
    assert_eq!(
        v.request(
            &issue(&c, &keys.issuer).unwrap(),
            &c,
            Command::Unlock,
            [0x18; 16],
            &keys.device,
            None
        )
        .status,
        Status::NotYetValid
    );
    v.write(note);

    let mut c = claims(&keys, 5);
    c.not_before = NOW - 9 * 3_600;
    c.issued_at = c.not_before;
    c.expires = NOW - 1;
    let mut v = refusal("refuse-expired", "A token that expired a second ago.");
    assert_eq!(
        v.request(
            &issue(&c, &keys.issuer).unwrap(),
            &c,
            Command::Unlock,
            [0x19; 16],
            &keys.device,
            None
        )
        .status,
        Status::Expired
    );
    v.write(note);

    let mut c = claims(&keys, 6);
    c.decision_end = NOW - 60;
    c.expires = c.decision_end;
    let mut v = refusal(
        "refuse-decision-ended",
        "The care decision ended a minute ago (R2.7).",
    );
    assert_eq!(
        v.request(
            &issue(&c, &keys.issuer).unwrap(),
            &c,
            Command::Unlock,
            [0x1a; 16],
            &keys.device,
            None
        )
        .status,
        Status::DecisionEnded
    );
    v.write(note);

    let c = claims(&keys, 7);
    let t = issue(&c, &keys.issuer).unwrap();
    let list = RevocationList {
        epoch: 3,
        issued_at: NOW - 60,
        revoked: vec![RevokedToken {
            token_id: c.token_id,
            expires: c.expires,
        }],
    }
    .sign(&keys.issuer)
    .unwrap();
    let mut v = refusal(
        "refuse-revoked",
        "The Request carries a newer revocation list that names its own token.",
    );
    assert_eq!(
        v.request(
            &t,
            &c,
            Command::Unlock,
            [0x1b; 16],
            &keys.device,
            Some(list)
        )
        .status,
        Status::Revoked
    );
    v.write(note);

    let mut v = refusal(
        "refuse-stale-nonce",
        "A Request signed for an earlier session's nonce (a replay).",
    );
    let old = Hello {
        nonce: [0xee; 16],
        ..v.hello()
    };
    v.lock.disconnect();
    v.steps.clear();
    let replay = Message::Request(
        build_request(
            &old,
            &care_token,
            Command::Unlock,
            [0x1c; 16],
            &keys.device,
            None,
        )
        .unwrap(),
    )
    .encode()
    .unwrap();
    let hello = v.hello();
    let r = v.step(
        &hello,
        replay,
        json!({"kind": "raw", "what": "request answering nonce eeee…"}),
        (
            sha256(&care_token).to_vec(),
            Command::Unlock as u8,
            [0x1c; 16],
        ),
    );
    assert_eq!(r.status, Status::StaleNonce);
    v.write(note);

    let mut v = refusal(
        "refuse-proof-of-possession",
        "A stolen token presented by another device.",
    );
    assert_eq!(
        v.request(
            &care_token,
            &care,
            Command::Unlock,
            [0x1d; 16],
            &keys.stranger,
            None
        )
        .status,
        Status::ProofOfPossession
    );
    v.write(note);

    let mut v = refusal(
        "refuse-out-of-scope",
        "A care token asking to change the lock's mode.",
    );
    assert_eq!(
        v.request(
            &care_token,
            &care,
            Command::EnterInstallation,
            [0x1e; 16],
            &keys.device,
            None
        )
        .status,
        Status::OutOfScope
    );
    v.write(note);

    let mut v = refusal(
        "refuse-wrong-mode",
        "A demonstration token used in normal mode.",
    );
    assert_eq!(
        v.request(
            &demo_token,
            &demo,
            Command::Unlock,
            [0x1f; 16],
            &keys.device,
            None
        )
        .status,
        Status::WrongMode
    );
    v.write(note);

    let bad_list = RevocationList {
        epoch: 9,
        issued_at: NOW,
        revoked: vec![],
    }
    .sign(&keys.stranger)
    .unwrap();
    let mut v = refusal(
        "refuse-bad-revocation-list",
        "A revocation list signed by a key the lock does not trust.",
    );
    assert_eq!(
        v.request(
            &care_token,
            &care,
            Command::Unlock,
            [0x20; 16],
            &keys.device,
            Some(bad_list)
        )
        .status,
        Status::BadRevocationList
    );
    v.write(note);

    let mut v = refusal(
        "refuse-request-id-conflict",
        "A request id reused for another command.",
    );
    assert_eq!(
        v.request(
            &care_token,
            &care,
            Command::Unlock,
            [0x21; 16],
            &keys.device,
            None
        )
        .status,
        Status::Ok
    );
    assert_eq!(
        v.request(
            &care_token,
            &care,
            Command::Lock,
            [0x21; 16],
            &keys.device,
            None
        )
        .status,
        Status::RequestIdConflict
    );
    v.write(note);

    let mut v = refusal(
        "refuse-jammed",
        "A valid unlock, but the motor cannot move the bolt.",
    );
    v.jammed = true;
    v.lock.controls().set_jammed(true);
    assert_eq!(
        v.request(
            &care_token,
            &care,
            Command::Unlock,
            [0x22; 16],
            &keys.device,
            None
        )
        .status,
        Status::Jammed
    );
    v.write(note);

    let mut v = Vector::new(
        &keys,
        "refuse-bad-commission-grant",
        "A grant made for another lock's key.",
        LockMode::Commissioning,
    );
    v.press_button();
    let r = v.commission(&keys, Some(keys.device.public_key()));
    assert_eq!(r.status, Status::BadCommissionGrant);
    v.write(note);

    let mut v = Vector::new(
        &keys,
        "refuse-presence-required",
        "A valid grant, but nobody pressed the setup button inside the door.",
        LockMode::Commissioning,
    );
    assert_eq!(v.commission(&keys, None).status, Status::PresenceRequired);
    v.write(note);

    println!("vectors written to {}", vectors_dir().display());
}
