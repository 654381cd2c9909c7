//! The lock's side of the test vectors in `tests/vectors/` (format:
//! PROTOCOL.md §12): a reference lock with the vector's key and starting
//! state runs every step, sends the same Hello bytes, answers (or stays
//! silent) exactly as recorded, and signs the same receipt transcripts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::path::{Path, PathBuf};

use nyckelfri_lock::{LockConfig, SimulatedLock};
use nyckelfri_protocol::framing::Reassembler;
use nyckelfri_protocol::messages::{Hello, LockMode, Message, ResultMessage};
use nyckelfri_protocol::transcript::{ReceiptFacts, receipt_transcript};
use nyckelfri_protocol::{PublicKey, SoftwareKey};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn hex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

fn mode(name: &Value) -> LockMode {
    match name.as_str().unwrap() {
        "commissioning" => LockMode::Commissioning,
        "installation" => LockMode::Installation,
        _ => LockMode::Normal,
    }
}

fn answer_of(bytes: Option<Vec<u8>>) -> Option<ResultMessage> {
    bytes.map(|b| match Message::decode(&b).unwrap() {
        Message::Result(r) => r,
        other => panic!("not a Result: {other:?}"),
    })
}

#[test]
fn the_reference_lock_runs_every_vector_as_recorded() {
    let keys: Value =
        serde_json::from_str(&fs::read_to_string(dir().join("keys.json")).unwrap()).unwrap();
    let lock_public = PublicKey::from_sec1(&hex(&keys["lock"]["public"])).unwrap();
    let mut vectors = 0;
    let mut answers = 0;
    for entry in fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.ends_with("keys.json") || path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let v: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        let name = v["name"].as_str().unwrap().to_owned();
        assert_eq!(v["protocol_version"], 2, "{name}");
        let start = &v["lock"];
        let config = LockConfig {
            lock_id: start["lock_id"].as_str().unwrap().into(),
            issuers: start["trusts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| PublicKey::from_sec1(&hex(&keys[k.as_str().unwrap()]["public"])).unwrap())
                .collect(),
            mode: mode(&start["mode"]),
        };
        let key =
            SoftwareKey::from_raw(&hex(&keys["lock"]["d"]), &hex(&keys["lock"]["public"])).unwrap();
        let mut lock = SimulatedLock::new(Box::new(key), config, start["rtc"].as_u64().unwrap());
        let c = lock.controls();
        let mut hello: Option<Hello> = None;
        for (i, step) in v["steps"].as_array().unwrap().iter().enumerate() {
            let at = format!("{name} step {i}");
            let reply = match step["do"].as_str().unwrap() {
                "advance" => {
                    c.advance(step["secs"].as_u64().unwrap());
                    continue;
                }
                "set_rtc" => {
                    c.set_time(step["rtc"].as_u64().unwrap());
                    continue;
                }
                "stop_rtc" => {
                    c.stop_rtc(true);
                    continue;
                }
                "reboot" => {
                    lock.reboot();
                    continue;
                }
                "power_loss" => {
                    lock.power_loss();
                    continue;
                }
                "factory_reset" => {
                    lock.factory_reset();
                    continue;
                }
                "press_setup_button" => {
                    c.press_setup_button();
                    continue;
                }
                "jam" => {
                    c.set_jammed(true);
                    continue;
                }
                "set_battery" => {
                    c.set_battery(step["percent"].as_u64().unwrap() as u8);
                    continue;
                }
                "storage_fails" => {
                    c.set_storage_failing(true);
                    continue;
                }
                "connect" => {
                    c.queue_nonce(hex(&step["nonce"]).try_into().unwrap());
                    let bytes = lock.connect().unwrap();
                    assert_eq!(hex::encode(&bytes), step["hello"], "{at}: Hello bytes");
                    let Message::Hello(h) = Message::decode(&bytes).unwrap() else {
                        panic!("{at}")
                    };
                    hello = Some(h);
                    continue;
                }
                "disconnect" => {
                    lock.disconnect();
                    hello = None;
                    continue;
                }
                "send" => answer_of(lock.receive(&hex(&step["message"]))),
                "send_fragments" => {
                    let mtu = step["mtu"].as_u64().unwrap() as usize;
                    let mut reply = None;
                    for f in step["fragments"].as_array().unwrap() {
                        if let Some(out) = lock.receive_fragment(
                            &hex(&f["data"]),
                            f["at_ms"].as_u64().unwrap(),
                            mtu,
                        ) {
                            assert!(reply.is_none(), "{at}: two answers");
                            let mut r = Reassembler::new();
                            for o in out {
                                if let Some(m) = r.push(&o, 0).unwrap() {
                                    reply = Some(m);
                                }
                            }
                        }
                    }
                    answer_of(reply)
                }
                other => panic!("{at}: unknown step {other}"),
            };
            let e = &step["expect"];
            let Some(r) = reply else {
                assert!(e.is_null(), "{at}: the lock did not answer");
                continue;
            };
            assert!(!e.is_null(), "{at}: the lock answered {:?}", r.status);
            assert_eq!(r.status.name(), e["status"], "{at}");
            assert_eq!(format!("{:?}", r.bolt).to_lowercase(), e["bolt"], "{at}");
            assert_eq!(r.repeated, e["repeated"], "{at}");
            assert_eq!(r.counter, e["counter"], "{at}");
            assert_eq!(r.lock_time, e["lock_time"], "{at}");
            assert_eq!(u64::from(r.battery), e["battery"], "{at}");
            assert_eq!(r.mode, mode(&e["mode"]), "{at}");
            let h = hello.as_ref().expect("an answer within a session");
            let subject = &step["receipt_subject"];
            let transcript = receipt_transcript(&ReceiptFacts {
                lock_id: step["receipt_lock_id"].as_str().unwrap(),
                nonce: &h.nonce,
                issuers: &h.issuers,
                token_hash: &hex(&subject["token_hash"]),
                command: subject["command"].as_u64().unwrap() as u8,
                request_id: &hex(&subject["request_id"]).try_into().unwrap(),
                status: r.status,
                counter: r.counter,
                lock_time: r.lock_time,
                bolt: r.bolt,
                repeated: r.repeated,
                battery: r.battery,
                mode: r.mode,
            })
            .unwrap();
            assert_eq!(
                hex::encode(&transcript),
                step["receipt_transcript"],
                "{at}: receipt transcript"
            );
            lock_public
                .verify(&transcript, &r.lock_signature, "receipt")
                .unwrap();
            answers += 1;
        }
        vectors += 1;
    }
    assert!(vectors >= 38, "only {vectors} vectors");
    assert!(answers >= 100, "only {answers} answers checked");
}
