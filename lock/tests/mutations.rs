//! Property tests: any change to a valid Request that changes what it says is
//! refused, and the bolt never moves; arbitrary bytes are refused too.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::cell::RefCell;

use nyckelfri_lock::scenario::Scenario;
use nyckelfri_protocol::messages::{Command, Message};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(usize, u8),
    SetByte(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
    Delete(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Mutation::SetByte(i, v)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Mutation::Insert(i, v)),
        any::<usize>().prop_map(Mutation::Delete),
    ]
}

fn apply(bytes: &[u8], m: &Mutation) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let at = |i: usize| i % bytes.len();
    match *m {
        Mutation::FlipBit(i, b) => out[at(i)] ^= 1 << b,
        Mutation::SetByte(i, v) => out[at(i)] = v,
        Mutation::Truncate(i) => out.truncate(at(i)),
        Mutation::Insert(i, v) => out.insert(at(i), v),
        Mutation::Delete(i) => {
            out.remove(at(i));
        }
    }
    out
}

#[test]
fn every_meaningful_mutation_of_a_valid_request_is_refused() {
    let scenario = RefCell::new(Scenario::new().unwrap());
    let token = {
        let mut s = scenario.borrow_mut();
        let claims = s.claims();
        s.issue(&claims).unwrap()
    };
    let checked = std::cell::Cell::new(0u32);
    let mut runner = TestRunner::new(Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&mutation(), |m| {
            let mut s = scenario.borrow_mut();
            let hello = s.hello().unwrap();
            let request = s
                .request(&hello, &token, Command::Unlock, s.rid(5))
                .unwrap();
            let original = Message::Request(request.clone()).encode().unwrap();
            let mutated = apply(&original, &m);
            // A different encoding of the very same Request (CBOR allows
            // longer integer forms) says the same thing; that is no attack.
            if Message::decode(&mutated).ok() == Some(Message::Request(request)) {
                s.lock.disconnect();
                return Err(TestCaseError::reject("same request"));
            }
            let before = s.lock.lock().actuations();
            let result = s.send_bytes(&mutated).unwrap();
            s.lock.disconnect();
            prop_assert!(result.status.is_refusal(), "{m:?} was accepted");
            prop_assert_eq!(s.lock.lock().actuations(), before);
            checked.set(checked.get() + 1);
            Ok(())
        })
        .unwrap();
    assert!(
        checked.get() >= 500,
        "only {} mutations checked",
        checked.get()
    );
}

proptest! {
    #![proptest_config(Config { cases: 256, failure_persistence: None, ..Config::default() })]

    #[test]
    fn arbitrary_bytes_are_refused_and_never_move_the_bolt(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut s = Scenario::new().unwrap();
        s.hello().unwrap();
        let result = s.send_bytes(&bytes).unwrap();
        prop_assert!(result.status.is_refusal());
        prop_assert_eq!(s.lock.lock().actuations(), 0);
    }
}
