//! The app's and issuer's side of the test vectors in `tests/vectors/`:
//! every Hello decodes and re-encodes to the same bytes, every token verifies
//! under the issuer key with the listed claims, every request transcript is
//! rebuilt byte for byte, and every receipt verifies under the lock's key.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::path::{Path, PathBuf};

use nyckelfri_protocol::exchange::{verify_commission_result, verify_result};
use nyckelfri_protocol::messages::{Hello, Message, Request, ResultMessage};
use nyckelfri_protocol::token::SignedToken;
use nyckelfri_protocol::transcript::request_transcript;
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

#[test]
fn there_is_a_vector_for_every_refusal_and_a_valid_exchange() {
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
    let (issuer, device, lock, stranger) = (
        key(&keys, "issuer"),
        key(&keys, "device"),
        key(&keys, "lock"),
        key(&keys, "stranger"),
    );
    let vs = vectors();
    assert!(vs.len() >= 20);
    for (name, v) in vs {
        for step in v["steps"].as_array().unwrap() {
            let hello_bytes = hex(&step["hello"]);
            let Message::Hello(hello) = Message::decode(&hello_bytes).unwrap() else {
                panic!("{name}: hello is not a Hello")
            };
            assert_eq!(
                Message::Hello(hello.clone()).encode().unwrap(),
                hello_bytes,
                "{name}: canonical Hello"
            );
            let Message::Result(result) = Message::decode(&hex(&step["result"])).unwrap() else {
                panic!("{name}: result is not a Result")
            };
            let expect = &step["expect"];
            assert_eq!(result.status.name(), expect["status"], "{name}");
            assert_eq!(u64::from(result.status.code()), expect["code"], "{name}");
            assert_eq!(result.repeated, expect["repeated"], "{name}");
            assert_eq!(result.counter, expect["counter"], "{name}");
            // The receipt: its transcript is signed by the lock's key.
            lock.verify(
                &hex(&step["receipt_transcript"]),
                &result.lock_signature,
                "receipt",
            )
            .unwrap_or_else(|_| panic!("{name}: receipt signature"));
            match step["kind"].as_str().unwrap() {
                "request" => check_request(
                    &name, step, &hello, &result, &issuer, &device, &stranger, &lock,
                ),
                "commission" => {
                    // The receipt names the granted id on success, the empty id otherwise.
                    let receipt = verify_commission_result(
                        &result,
                        &hello,
                        &hex(&step["grant"]),
                        step["lock_id"].as_str().unwrap(),
                    )
                    .unwrap();
                    assert_eq!(receipt.counter, result.counter);
                    assert_eq!(receipt.lock_id, step["receipt_lock_id"]);
                    assert_eq!(&receipt.lock_key, &lock);
                }
                _ => {}
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn check_request(
    name: &str,
    step: &Value,
    hello: &Hello,
    result: &ResultMessage,
    issuer: &PublicKey,
    device: &PublicKey,
    stranger: &PublicKey,
    lock: &PublicKey,
) {
    let token_bytes = hex(&step["token"]);
    let token = SignedToken::parse(&token_bytes).unwrap();
    let claims = token.claims_unverified().unwrap();
    let listed = &step["token_claims"];
    assert_eq!(hex::encode(claims.token_id), listed["cti"], "{name}");
    assert_eq!(claims.lock_id, listed["aud"], "{name}");
    assert_eq!(claims.expires, listed["exp"], "{name}");
    assert_eq!(claims.decision_end, listed["decision_end"], "{name}");
    assert_eq!(claims.scope as u8, listed["scope"], "{name}");
    // Tokens from the trusted issuer verify; the forged and stranger ones do not.
    let should_verify = !matches!(result.status, Status::UnknownIssuer | Status::BadSignature);
    assert_eq!(
        token.verify(issuer).is_ok(),
        should_verify,
        "{name}: token signature"
    );
    let Message::Request(req) = Message::decode(&hex(&step["send"])).unwrap() else {
        panic!("{name}: not a Request")
    };
    let transcript = request_transcript(
        &hello.lock_id,
        &hello.nonce,
        &token.hash(),
        req.command,
        &req.request_id,
    )
    .unwrap();
    assert_eq!(
        hex::encode(&transcript),
        step["transcript"],
        "{name}: transcript"
    );
    let signer = if step["signed_by"] == "device" {
        device
    } else {
        stranger
    };
    signer
        .verify(&transcript, &req.device_signature, "device")
        .unwrap();
    if step["signed_by"] != "device" {
        assert!(
            device
                .verify(&transcript, &req.device_signature, "device")
                .is_err()
        );
    }
    check_receipt(name, result, hello, &req, &claims.token_id, lock);
}

fn check_receipt(
    name: &str,
    result: &ResultMessage,
    hello: &Hello,
    req: &Request,
    token_id: &[u8; 16],
    lock: &PublicKey,
) {
    let receipt = verify_result(result, hello, req, *token_id, lock)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(receipt.status, result.status);
    assert_eq!(receipt.lock_id, hello.lock_id);
}
