//! The app's and issuer's side of the test vectors in `tests/vectors/`
//! (format: PROTOCOL.md §12): every Hello decodes and re-encodes to the same
//! bytes, every token verifies under its issuer with the listed claims,
//! every request transcript is rebuilt byte for byte from the Hello the
//! phone saw, and every receipt verifies under the lock's key.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::path::{Path, PathBuf};

use nyckelfri_protocol::exchange::{verify_commission_result, verify_result};
use nyckelfri_protocol::messages::{Hello, Message, ResultMessage};
use nyckelfri_protocol::token::SignedToken;
use nyckelfri_protocol::transcript::{ReceiptFacts, receipt_transcript, request_transcript};
use nyckelfri_protocol::{PublicKey, Status};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn hex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

fn key(keys: &Value, name: &str) -> PublicKey {
    PublicKey::from_sec1(&hex(&keys[name]["public"])).unwrap()
}

fn vectors() -> Vec<(String, Value)> {
    let mut out: Vec<_> = fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && !p.ends_with("keys.json"))
        .map(|p| {
            let v: Value = serde_json::from_str(&fs::read_to_string(&p).unwrap()).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), v)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn hello_of(bytes: &[u8], at: &str) -> Hello {
    let Message::Hello(h) = Message::decode(bytes).unwrap() else {
        panic!("{at}: not a Hello")
    };
    assert_eq!(
        Message::Hello(h.clone()).encode().unwrap(),
        bytes,
        "{at}: canonical Hello"
    );
    h
}

#[test]
fn there_is_a_vector_for_every_status() {
    let names: Vec<String> = vectors().into_iter().map(|(n, _)| n).collect();
    for status in Status::ALL {
        let expected = if status == Status::Ok {
            "valid-unlock.json".to_owned()
        } else {
            format!("refuse-{}.json", status.name().replace('_', "-"))
        };
        assert!(names.contains(&expected), "missing {expected}");
    }
}

#[test]
fn the_app_side_of_every_vector_checks_out() {
    let keys: Value =
        serde_json::from_str(&fs::read_to_string(dir().join("keys.json")).unwrap()).unwrap();
    let lock = key(&keys, "lock");
    let issuers = [key(&keys, "issuer"), key(&keys, "issuer2")];
    let (device, stranger) = (key(&keys, "device"), key(&keys, "stranger"));
    let mut checked = 0;
    for (name, v) in vectors() {
        let mut hello: Option<Hello> = None;
        for (i, step) in v["steps"].as_array().unwrap().iter().enumerate() {
            let at = format!("{name} step {i}");
            match step["do"].as_str().unwrap() {
                "connect" => hello = Some(hello_of(&hex(&step["hello"]), &at)),
                "disconnect" | "reboot" | "power_loss" | "factory_reset" => hello = None,
                "send" | "send_fragments" => {}
                _ => continue,
            }
            if step["expect"].is_null() {
                continue;
            }
            let h = hello.as_ref().expect("an answer within a session");
            let Message::Result(result) = Message::decode(&hex(&step["result"])).unwrap() else {
                panic!("{at}: result is not a Result")
            };
            let e = &step["expect"];
            assert_eq!(result.status.name(), e["status"], "{at}");
            assert_eq!(u64::from(result.status.code()), e["code"], "{at}");
            assert_eq!(result.repeated, e["repeated"], "{at}");
            assert_eq!(result.counter, e["counter"], "{at}");
            // The receipt: rebuilt from the Hello, the subject and the Result.
            let subject = &step["receipt_subject"];
            let transcript = receipt_transcript(&ReceiptFacts {
                lock_id: step["receipt_lock_id"].as_str().unwrap(),
                nonce: &h.nonce,
                issuers: &h.issuers,
                token_hash: &hex(&subject["token_hash"]),
                command: subject["command"].as_u64().unwrap() as u8,
                request_id: &hex(&subject["request_id"]).try_into().unwrap(),
                status: result.status,
                counter: result.counter,
                lock_time: result.lock_time,
                bolt: result.bolt,
                repeated: result.repeated,
                battery: result.battery,
                mode: result.mode,
            })
            .unwrap();
            assert_eq!(hex::encode(&transcript), step["receipt_transcript"], "{at}");
            lock.verify(&transcript, &result.lock_signature, "receipt")
                .unwrap_or_else(|_| panic!("{at}: receipt signature"));
            match step["kind"].as_str() {
                Some("request") => {
                    check_request(&at, step, h, &result, &issuers, &device, &stranger, &lock)
                }
                Some("commission") => {
                    let receipt = verify_commission_result(
                        &result,
                        h,
                        &hex(&step["commission"]["grant"]),
                        step["commission"]["lock_id"].as_str().unwrap(),
                        &lock,
                    )
                    .unwrap();
                    assert_eq!(receipt.lock_id, step["receipt_lock_id"], "{at}");
                }
                _ => {}
            }
            checked += 1;
        }
    }
    assert!(checked >= 100, "only {checked} answers checked");
}

#[allow(clippy::too_many_arguments)]
fn check_request(
    at: &str,
    step: &Value,
    hello: &Hello,
    result: &ResultMessage,
    issuers: &[PublicKey],
    device: &PublicKey,
    stranger: &PublicKey,
    lock: &PublicKey,
) {
    let r = &step["request"];
    let token_bytes = hex(&r["token"]);
    let token = SignedToken::parse(&token_bytes).unwrap();
    let claims = token.claims_unverified().unwrap();
    let listed = &r["token_claims"];
    assert_eq!(hex::encode(claims.token_id), listed["cti"], "{at}");
    assert_eq!(claims.lock_id, listed["aud"], "{at}");
    assert_eq!(claims.expires, listed["exp"], "{at}");
    assert_eq!(claims.issued_at, listed["iat"], "{at}");
    assert_eq!(claims.min_epoch, listed["min_epoch"], "{at}");
    assert_eq!(claims.scope as u8, listed["scope"], "{at}");
    // A token the lock calls unknown names a key its Hello did not announce;
    // a forged one verifies under no issuer; every other one verifies.
    let kid = token.issuer_key_id();
    match result.status {
        Status::UnknownIssuer => {
            assert!(!hello.issuers.iter().any(|i| i.key_id == kid), "{at}")
        }
        Status::BadSignature => {
            assert!(issuers.iter().all(|k| token.verify(k).is_err()), "{at}")
        }
        _ => assert!(issuers.iter().any(|k| token.verify(k).is_ok()), "{at}"),
    }
    let Message::Request(req) = Message::decode(&hex(&step["message"]))
        .or_else(|_| Message::decode(&reassembled(step)))
        .unwrap()
    else {
        panic!("{at}: not a Request")
    };
    // The device signs over the Hello it saw (a relay may have changed it).
    let seen = hello_of(&hex(&r["seen_hello"]), at);
    let announced = seen.epoch_for(&token.issuer_key_id());
    assert_eq!(r["announced_epoch"], announced, "{at}");
    let transcript = request_transcript(
        &seen.lock_id,
        &seen.nonce,
        announced,
        &token.hash(),
        req.command,
        &req.request_id,
    )
    .unwrap();
    assert_eq!(
        hex::encode(&transcript),
        r["transcript"],
        "{at}: transcript"
    );
    let signer = if r["signed_by"] == "device" {
        device
    } else {
        stranger
    };
    signer
        .verify(&transcript, &req.device_signature, "device")
        .unwrap();
    let receipt = verify_result(result, hello, &req, claims.token_id, lock)
        .unwrap_or_else(|e| panic!("{at}: {e}"));
    assert_eq!(receipt.status, result.status);
    assert_eq!(receipt.battery, result.battery);
}

fn reassembled(step: &Value) -> Vec<u8> {
    let mut r = nyckelfri_protocol::framing::Reassembler::new();
    let mut out = Vec::new();
    for f in step["fragments"].as_array().unwrap() {
        if let Ok(Some(m)) = r.push(&hex(&f["data"]), 0) {
            out = m;
        }
    }
    out
}
