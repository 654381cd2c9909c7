//! The lock's side of the test vectors in `tests/vectors/`: a reference lock
//! with the vector's key, state and nonces produces the same Hello bytes,
//! answers every step with the expected status, bolt, counter and time, and
//! signs the same receipt transcript.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::path::{Path, PathBuf};

use nyckelfri_lock::{LockConfig, SimulatedLock};
use nyckelfri_protocol::keys::sha256;
use nyckelfri_protocol::messages::{LockMode, Message};
use nyckelfri_protocol::transcript::{ReceiptFacts, receipt_transcript};
use nyckelfri_protocol::{PublicKey, SoftwareKey};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn hex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

#[test]
fn the_reference_lock_answers_every_vector_as_recorded() {
    let keys: Value =
        serde_json::from_str(&fs::read_to_string(dir().join("keys.json")).unwrap()).unwrap();
    let lock_public = PublicKey::from_sec1(&hex(&keys["lock"]["public"])).unwrap();
    let mut checked = 0;
    for entry in fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.ends_with("keys.json") || path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let v: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        let name = v["name"].as_str().unwrap();
        let state = &v["lock"];
        let mode = match state["mode"].as_str().unwrap() {
            "commissioning" => LockMode::Commissioning,
            "installation" => LockMode::Installation,
            _ => LockMode::Normal,
        };
        let issuers = state["trusts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| PublicKey::from_sec1(&hex(&keys[k.as_str().unwrap()]["public"])).unwrap())
            .collect();
        let config = LockConfig {
            lock_id: state["lock_id"].as_str().unwrap().into(),
            issuers,
            mode,
        };
        let key =
            SoftwareKey::from_raw(&hex(&keys["lock"]["d"]), &hex(&keys["lock"]["public"])).unwrap();
        let mut lock = SimulatedLock::new(Box::new(key), config, state["rtc"].as_u64().unwrap());
        lock.controls()
            .set_jammed(state["jammed"].as_bool().unwrap());
        if state["setup_button_pressed"].as_bool().unwrap() {
            lock.controls().press_setup_button();
        }
        for step in v["steps"].as_array().unwrap() {
            lock.controls()
                .queue_nonce(hex(&step["nonce"]).try_into().unwrap());
            assert_eq!(
                hex::encode(lock.connect().unwrap()),
                step["hello"],
                "{name}: Hello bytes"
            );
            let send = hex(&step["send"]);
            let Message::Result(r) = Message::decode(&lock.receive(&send).unwrap()).unwrap() else {
                panic!("{name}: not a Result")
            };
            lock.disconnect();
            let e = &step["expect"];
            assert_eq!(r.status.name(), e["status"], "{name}");
            assert_eq!(format!("{:?}", r.bolt).to_lowercase(), e["bolt"], "{name}");
            assert_eq!(r.repeated, e["repeated"], "{name}");
            assert_eq!(r.counter, e["counter"], "{name}");
            assert_eq!(r.lock_time, e["lock_time"], "{name}");
            assert_eq!(u64::from(r.battery), e["battery"], "{name}");
            let (token_hash, command, request_id) = match Message::decode(&send) {
                Ok(Message::Request(req)) => (
                    sha256(&req.token).to_vec(),
                    req.command as u8,
                    req.request_id,
                ),
                Ok(Message::Commission(c)) => (sha256(&c.grant).to_vec(), 0, [0; 16]),
                _ => (Vec::new(), 0, [0; 16]),
            };
            let nonce: [u8; 16] = hex(&step["nonce"]).try_into().unwrap();
            let transcript = receipt_transcript(&ReceiptFacts {
                lock_id: step["receipt_lock_id"].as_str().unwrap(),
                nonce: &nonce,
                token_hash: &token_hash,
                command,
                request_id: &request_id,
                status: r.status,
                counter: r.counter,
                lock_time: r.lock_time,
                bolt: r.bolt,
                repeated: r.repeated,
            })
            .unwrap();
            assert_eq!(
                hex::encode(&transcript),
                step["receipt_transcript"],
                "{name}: receipt transcript"
            );
            lock_public
                .verify(&transcript, &r.lock_signature, "receipt")
                .unwrap();
            checked += 1;
        }
    }
    assert!(checked >= 22, "only {checked} steps checked");
}
