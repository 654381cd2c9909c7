//! The cost of one exchange on each side (host CPU, release build):
//! the lock's full check of a Request (session start, parse, two P-256
//! verifications, actuation, receipt signature) and the app building a
//! Request with a software signer. Run: `cargo bench -p nyckelfri-lock`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::cell::RefCell;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use nyckelfri_lock::scenario::Scenario;
use nyckelfri_protocol::Status;
use nyckelfri_protocol::exchange::{build_request, verify_result};
use nyckelfri_protocol::messages::{Command, Hello, Message, ResultMessage};
use nyckelfri_protocol::token::SignedToken;

const NONCE: [u8; 16] = [0x42; 16];

fn hello(s: &mut Scenario) -> Hello {
    match Message::decode(&s.lock.connect().unwrap()).unwrap() {
        Message::Hello(h) => h,
        _ => unreachable!(),
    }
}

/// The app's side, untimed: a Request for the next session, whose nonce is fixed.
fn prepared_request(s: &mut Scenario, token: &[u8], n: u64) -> Vec<u8> {
    let mut request_id = [0u8; 16];
    request_id[..8].copy_from_slice(&n.to_be_bytes());
    s.lock.controls().queue_nonce(NONCE);
    let h = hello(s);
    s.lock.disconnect();
    s.lock.controls().queue_nonce(NONCE);
    let req = build_request(&h, token, Command::Unlock, request_id, &s.device, None).unwrap();
    Message::Request(req).encode().unwrap()
}

fn exchange(c: &mut Criterion) {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();

    let before = s.lock.lock().p256_verifications();
    let receipt = s.open(&token, Command::Unlock, [0; 16]).unwrap();
    assert_eq!(receipt.status, Status::Ok);
    println!(
        "P-256 verifications by the lock per unlock: {}",
        s.lock.lock().p256_verifications() - before
    );

    let h = hello(&mut s);
    s.lock.disconnect();
    c.bench_function("app: build one Request (software signer)", |b| {
        b.iter(|| build_request(&h, &token, Command::Unlock, [7; 16], &s.device, None).unwrap())
    });

    let h = hello(&mut s);
    let req = build_request(&h, &token, Command::Unlock, [8; 16], &s.device, None).unwrap();
    let result: ResultMessage = match Message::decode(
        &s.lock
            .receive(&Message::Request(req.clone()).encode().unwrap())
            .unwrap(),
    )
    .unwrap()
    {
        Message::Result(r) => r,
        _ => unreachable!(),
    };
    s.lock.disconnect();
    let token_id = SignedToken::parse(&token)
        .unwrap()
        .claims_unverified()
        .unwrap()
        .token_id;
    let lock_key = s.lock.lock().public_key();
    c.bench_function("app: verify the lock's receipt", |b| {
        b.iter(|| verify_result(&result, &h, &req, token_id, &lock_key).unwrap())
    });

    c.bench_function("server: issue one token", |b| {
        b.iter(|| s.issue(&claims).unwrap())
    });

    let s = RefCell::new(s);
    let mut n: u64 = 0;
    c.bench_function(
        "lock: full check of one Request (incl. receipt signature)",
        |b| {
            b.iter_batched(
                || {
                    n += 1;
                    prepared_request(&mut s.borrow_mut(), &token, n)
                },
                |bytes| {
                    let mut s = s.borrow_mut();
                    s.lock.connect().unwrap();
                    let out = s.lock.receive(&bytes).unwrap();
                    s.lock.disconnect();
                    out
                },
                BatchSize::SmallInput,
            )
        },
    );
    // Every timed Request really opened: one actuation each, none repeated.
    let s = s.borrow();
    assert_eq!(s.lock.lock().actuations(), n + 2);
}

criterion_group!(benches, exchange);
criterion_main!(benches);
