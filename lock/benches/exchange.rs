//! The cost of one exchange on each side (host CPU, release build): the
//! lock's full check of a Request (parse, two P-256 verifications, the
//! request-cache entry written to storage, actuation, receipt signature),
//! the same with a newer revocation list to install, and the app building a
//! Request with a software signer. Before the timings it prints the P-256
//! verifications per unlock and the bytes on the air per unlock at MTU 23
//! and 247. Run: `cargo bench -p nyckelfri-lock --bench exchange`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::cell::RefCell;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use nyckelfri_lock::scenario::Scenario;
use nyckelfri_protocol::exchange::{build_request, verify_result};
use nyckelfri_protocol::framing::{ATT_OVERHEAD, fragment};
use nyckelfri_protocol::issuers::IssuerUpdate;
use nyckelfri_protocol::messages::{Command, Hello, Message, ResultMessage};
use nyckelfri_protocol::revocation::{MAX_REVOKED, RevocationList, RevokedToken};
use nyckelfri_protocol::token::{AccessClaims, SignedToken};
use nyckelfri_protocol::{Signer, SoftwareKey, Status, request_id_for};

const NONCE: [u8; 16] = [0x42; 16];

fn hello(s: &mut Scenario) -> Hello {
    match Message::decode(&s.lock.connect().unwrap()).unwrap() {
        Message::Hello(h) => h,
        _ => unreachable!(),
    }
}

fn full_list(s: &Scenario, epoch: u64, claims: &AccessClaims) -> Vec<u8> {
    RevocationList {
        lock_id: claims.lock_id.clone(),
        epoch,
        issued_at: claims.issued_at,
        revoked_before: 0,
        revoked: (0..MAX_REVOKED)
            .map(|i| RevokedToken {
                token_id: [0xa0 ^ i as u8; 16],
                expires: claims.expires,
            })
            .collect(),
    }
    .sign(&s.issuer)
    .unwrap()
}

/// The app's side, untimed: a Request for the next session, whose nonce is
/// fixed. A second passes first: a lock whose clock stood still would, after
/// 32 Requests, forget request ids of its current second and refuse new ones
/// made in it (`request_id_stale`, PROTOCOL.md §5.6).
fn prepared_request(s: &mut Scenario, token: &[u8], n: u64, list: Option<Vec<u8>>) -> Vec<u8> {
    s.lock.controls().advance(1);
    s.lock.controls().queue_nonce(NONCE);
    let h = hello(s);
    s.lock.disconnect();
    s.lock.controls().queue_nonce(NONCE);
    let rid = request_id_for(h.lock_time, n.to_be_bytes());
    let req = build_request(&h, token, Command::Unlock, rid, &s.device, list).unwrap();
    Message::Request(req).encode().unwrap()
}

/// P-256 verifications the lock makes for one Request.
fn verifications(
    s: &mut Scenario,
    token: &[u8],
    n: u64,
    list: Option<Vec<u8>>,
    update: Option<Vec<u8>>,
) -> u64 {
    let before = s.lock.lock().p256_verifications();
    let h = hello(s);
    let rid = request_id_for(h.lock_time, n.to_be_bytes());
    let mut req = build_request(&h, token, Command::Unlock, rid, &s.device, list).unwrap();
    req.issuer_update = update;
    let r = s.send(&Message::Request(req)).unwrap();
    s.lock.disconnect();
    assert_eq!(r.status, Status::Ok);
    s.lock.lock().p256_verifications() - before
}

/// ATT notifications/writes and bytes (payload + ATT header) for one message.
fn on_air(len: usize, mtu: usize) -> (usize, usize) {
    let frags = fragment(&vec![0; len], mtu).unwrap();
    let bytes = frags.iter().map(|f| f.len() + ATT_OVERHEAD).sum();
    (frags.len(), bytes)
}

fn print_tables(s: &mut Scenario, token: &[u8], claims: &AccessClaims) {
    let h = hello(s);
    let rid = request_id_for(h.lock_time, [9; 8]);
    let plain = build_request(&h, token, Command::Unlock, rid, &s.device, None).unwrap();
    let with_list = build_request(
        &h,
        token,
        Command::Unlock,
        rid,
        &s.device,
        Some(full_list(s, 2, claims)),
    )
    .unwrap();
    let result = s.send(&Message::Request(plain.clone())).unwrap();
    s.lock.disconnect();
    let sizes = [
        ("Hello", Message::Hello(h).encode().unwrap().len()),
        (
            "Request, no list",
            Message::Request(plain).encode().unwrap().len(),
        ),
        (
            "Request with a full list (32 entries)",
            Message::Request(with_list).encode().unwrap().len(),
        ),
        ("Result", Message::Result(result).encode().unwrap().len()),
    ];
    println!(
        "\n| Bytes on the air per message | message | MTU 23: PDUs, bytes | MTU 247: PDUs, bytes |\n|---|---|---|---|"
    );
    for (what, len) in sizes {
        let (a, b) = on_air(len, 23);
        let (c, d) = on_air(len, 247);
        println!("| {what} | {len} | {a}, {b} | {c}, {d} |");
    }
    for (what, request) in [("no list", sizes[1].1), ("with a full list", sizes[2].1)] {
        let total = |mtu| {
            [sizes[0].1, request, sizes[3].1]
                .iter()
                .map(|l| on_air(*l, mtu))
                .fold((0, 0), |acc, x| (acc.0 + x.0, acc.1 + x.1))
        };
        let (a, b) = total(23);
        let (c, d) = total(247);
        println!("| **one unlock, {what}** | | **{a}, {b}** | **{c}, {d}** |");
    }
    let rollover = SoftwareKey::generate().unwrap().0;
    let update = IssuerUpdate {
        issued_at: claims.issued_at,
        keys: vec![s.issuer.public_key(), rollover.public_key()],
    }
    .sign(&s.issuer)
    .unwrap();
    let common = verifications(s, token, 1, None, None);
    let with_new_list = verifications(s, token, 2, Some(full_list(s, 1, claims)), None);
    let with_old_list = verifications(s, token, 3, Some(full_list(s, 1, claims)), None);
    let with_update = verifications(s, token, 4, None, Some(update));
    println!("\n| P-256 verifications by the lock per unlock | count |\n|---|---|");
    println!(
        "| common case (no list, or a list not newer than the lock's) | {common} / {with_old_list} |"
    );
    println!("| carrying a newer revocation list | {with_new_list} |");
    println!("| carrying an issuer update (key rollover, rare) | {with_update} |");

    println!();
}

fn exchange(c: &mut Criterion) {
    let mut s = Scenario::new().unwrap();
    let claims = s.claims();
    let token = s.issue(&claims).unwrap();
    print_tables(&mut s, &token, &claims);

    let h = hello(&mut s);
    s.lock.disconnect();
    let rid = request_id_for(h.lock_time, [7; 8]);
    c.bench_function("app: build one Request (software signer)", |b| {
        b.iter(|| build_request(&h, &token, Command::Unlock, rid, &s.device, None).unwrap())
    });

    let h = hello(&mut s);
    let rid = request_id_for(h.lock_time, [8; 8]);
    let req = build_request(&h, &token, Command::Unlock, rid, &s.device, None).unwrap();
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

    // The timed runs let a second pass per Request (tens of thousands of
    // them): a token valid until just before the decision ends.
    let mut long = s.claims();
    long.expires = long.decision_end - 1;
    let token = s.issue(&long).unwrap();
    let before = s.lock.lock().actuations();
    let s = RefCell::new(s);
    let mut n: u64 = 1_000;
    let mut timed = 0;
    c.bench_function(
        "lock: full check of one Request (incl. storage write and receipt signature)",
        |b| {
            b.iter_batched(
                || {
                    n += 1;
                    timed += 1;
                    prepared_request(&mut s.borrow_mut(), &token, n, None)
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
    let mut epoch = 10;
    c.bench_function(
        "lock: full check of one Request carrying a newer full list",
        |b| {
            b.iter_batched(
                || {
                    n += 1;
                    epoch += 1;
                    timed += 1;
                    let list = full_list(&s.borrow(), epoch, &long);
                    prepared_request(&mut s.borrow_mut(), &token, n, Some(list))
                },
                |bytes| {
                    let mut s = s.borrow_mut();
                    s.lock.connect().unwrap();
                    let out = s.lock.receive(&bytes).unwrap();
                    s.lock.disconnect();
                    out
                },
                // One at a time: each Request is signed over the epochs its
                // Hello announced, which the Request before it changes.
                BatchSize::PerIteration,
            )
        },
    );
    // Every timed Request really opened: one actuation each, none repeated.
    assert_eq!(s.borrow().lock.lock().actuations() - before, timed);
}

criterion_group!(benches, exchange);
criterion_main!(benches);
