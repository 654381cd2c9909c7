//! GATT framing.
//!
//! 1. The input is cut into fragments (see `nyckelfri_fuzz::fragment_stream`:
//!    `[len, dt, bytes…]` records) and fed to one `Reassembler` with a rising
//!    clock. Nothing may panic; every completed message is 1..=MAX_MESSAGE_LEN
//!    bytes, has the length its first fragment declared, and is exactly the
//!    fragments' bodies since that first fragment (checked against a model);
//!    after an error nothing is in progress; nothing is accepted into a
//!    message older than the reassembly timeout; a fragment is dropped
//!    quietly (`Ok(None)` with nothing in progress) only after an error,
//!    as the rest of the broken message.
//! 2. `fragment(message, mtu)` for an mtu from the first two input bytes and
//!    the rest as the message: every fragment fits the MTU, and feeding them
//!    to a reassembler (the one from part 1 after `reset`, so a reset must
//!    leave no trace) gives back the message on the last fragment only.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nyckelfri_fuzz::fragment_stream;
use nyckelfri_protocol::MAX_MESSAGE_LEN;
use nyckelfri_protocol::framing::{
    ATT_OVERHEAD, FIRST, FramingError, MAX_MTU, MIN_MTU, REASSEMBLY_TIMEOUT_MS, Reassembler,
    fragment,
};

/// A message the reassembler should be holding.
struct Partial {
    declared: usize,
    started_ms: u64,
    buf: Vec<u8>,
}

/// What the reassembler should be doing.
#[derive(Default)]
struct Model {
    /// The message in progress.
    partial: Option<Partial>,
    /// An error happened since the last accepted first fragment: the rest
    /// of that broken message may be dropped quietly (`Ok(None)`).
    broken: bool,
}

fn feed(r: &mut Reassembler, data: &[u8]) {
    let mut now_ms: u64 = 0;
    let mut model = Model::default();
    for rec in fragment_stream::records(data) {
        now_ms += rec.advance_ms;
        let stalled = |m: &Model| {
            m.partial
                .as_ref()
                .is_some_and(|p| now_ms - p.started_ms > REASSEMBLY_TIMEOUT_MS)
        };
        if rec.check_timeout {
            match r.check_timeout(now_ms) {
                Ok(()) => assert!(!stalled(&model), "a stalled message survived check_timeout"),
                Err(e) => {
                    assert_eq!(e, FramingError::TimedOut(REASSEMBLY_TIMEOUT_MS));
                    assert!(stalled(&model), "timed out early");
                    assert!(!r.in_progress(), "still in progress after a timeout");
                    model.partial = None;
                    // The rest of the stalled message is dropped quietly.
                    model.broken = true;
                }
            }
        }
        let was_active = r.in_progress();
        assert_eq!(
            was_active,
            model.partial.is_some(),
            "model and reassembler disagree"
        );
        let f = rec.fragment;
        let is_first = f.first().is_some_and(|h| h & FIRST != 0);
        match r.push(f, now_ms) {
            Err(_) => {
                assert!(!r.in_progress(), "still in progress after an error");
                model.partial = None;
                model.broken = true;
            }
            Ok(None) if !r.in_progress() => {
                // Dropped quietly: only the rest of a broken message.
                assert!(!is_first, "a first fragment vanished");
                assert!(!was_active, "a message in progress vanished");
                assert!(model.broken, "a fragment dropped without an earlier error");
            }
            Ok(done) => {
                // Accepted: update the model.
                if is_first {
                    assert_eq!(f[0], FIRST);
                    assert!(
                        !was_active || stalled(&model),
                        "a first fragment was accepted mid-message"
                    );
                    model.partial = Some(Partial {
                        declared: usize::from(u16::from_be_bytes([f[1], f[2]])),
                        started_ms: now_ms,
                        buf: f[3..].to_vec(),
                    });
                    model.broken = false;
                } else {
                    assert!(
                        !stalled(&model),
                        "a continuation was accepted after the timeout"
                    );
                    let p = model
                        .partial
                        .as_mut()
                        .expect("a continuation was accepted while idle");
                    p.buf.extend_from_slice(&f[1..]);
                }
                let p = model.partial.as_ref().expect("a message is in progress");
                assert!(p.buf.len() <= p.declared, "more bytes than declared");
                match done {
                    Some(message) => {
                        assert!(
                            !message.is_empty() && message.len() <= MAX_MESSAGE_LEN,
                            "completed a message of {} bytes",
                            message.len()
                        );
                        assert_eq!(
                            message.len(),
                            p.declared,
                            "length differs from the declared"
                        );
                        assert_eq!(message, p.buf, "message differs from the fragments' bodies");
                        assert!(!r.in_progress(), "still in progress after completing");
                        model.partial = None;
                    }
                    None => {
                        assert!(p.buf.len() < p.declared, "complete but not returned");
                        assert!(r.in_progress(), "partial message but not in progress");
                    }
                }
            }
        }
    }
}

fn round_trip(r: &mut Reassembler, data: &[u8]) {
    let [a, b, message @ ..] = data else {
        return;
    };
    let mtu = MIN_MTU + usize::from(u16::from_be_bytes([*a, *b])) % (MAX_MTU - MIN_MTU + 1);
    let frags = match fragment(message, mtu) {
        Ok(f) => f,
        Err(e) => {
            assert!(
                message.is_empty() || message.len() > MAX_MESSAGE_LEN,
                "fragment refused a {}-byte message at mtu {mtu}: {e}",
                message.len()
            );
            return;
        }
    };
    assert!(!message.is_empty() && message.len() <= MAX_MESSAGE_LEN);
    let payload = mtu - ATT_OVERHEAD;
    for f in &frags {
        assert!(
            !f.is_empty() && f.len() <= payload,
            "fragment of {} bytes at mtu {mtu}",
            f.len()
        );
    }
    r.reset();
    assert!(!r.in_progress());
    let last = frags.len() - 1;
    for (i, f) in frags.iter().enumerate() {
        let got = r.push(f, 1_000).unwrap_or_else(|e| {
            panic!("fragment {i} of {} refused at mtu {mtu}: {e}", frags.len())
        });
        if i == last {
            assert_eq!(got.as_deref(), Some(message), "reassembled message differs");
        } else {
            assert_eq!(got, None, "message completed early at fragment {i}");
        }
    }
    assert!(!r.in_progress());
}

fuzz_target!(|data: &[u8]| {
    let mut r = Reassembler::new();
    feed(&mut r, data);
    round_trip(&mut r, data);
});
