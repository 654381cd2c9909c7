//! Fragmentation and reassembly for GATT. A message is split into fragments
//! that each fit one ATT write or notification (ATT_MTU − 3 bytes).
//!
//! Every fragment starts with one header byte: bit 7 set on the first
//! fragment, bits 0–6 a sequence number (0 on the first fragment, then
//! 1, 2, … wrapping from 127 to 0). The first fragment carries the message's
//! total length as a big-endian u16 after the header. Reassembly is bounded
//! in size ([`MAX_MESSAGE_LEN`]) and in time (the caller passes the clock).

use crate::MAX_MESSAGE_LEN;

/// Smallest ATT_MTU (Bluetooth Core spec default).
pub const MIN_MTU: usize = 23;
/// Largest ATT_MTU.
pub const MAX_MTU: usize = 517;
/// ATT header bytes in a write or notification (opcode + handle).
pub const ATT_OVERHEAD: usize = 3;
/// Header flag of a message's first fragment.
pub const FIRST: u8 = 0x80;
/// How long a message may take to arrive completely, from its first fragment.
pub const REASSEMBLY_TIMEOUT_MS: u64 = 5_000;

/// Why fragments could not be made or put together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// The MTU is outside 23..=517.
    #[error("MTU {0} is outside 23..=517")]
    BadMtu(usize),
    /// The message is empty or larger than the bound.
    #[error("message of {len} bytes is empty or larger than {max}")]
    Oversized {
        /// Declared or actual length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// A fragment has no header, or a first fragment no length.
    #[error("fragment too short")]
    Truncated,
    /// A continuation came without a first fragment, or skipped a number.
    #[error("fragment out of order: expected {expected}, got {got}")]
    OutOfOrder {
        /// The sequence number expected.
        expected: u8,
        /// The one received.
        got: u8,
    },
    /// The same fragment arrived twice.
    #[error("duplicated fragment {0}")]
    Duplicate(u8),
    /// A new message began before the previous one was complete.
    #[error("a new message started before the last was complete ({received} of {expected} bytes)")]
    Incomplete {
        /// Bytes received.
        received: usize,
        /// Bytes declared.
        expected: usize,
    },
    /// More bytes arrived than the first fragment declared.
    #[error("fragment overruns the declared length")]
    Overrun,
    /// The message did not complete in time.
    #[error("message incomplete after {0} ms")]
    TimedOut(u64),
}

/// Splits `message` into fragments for an ATT_MTU of `mtu`.
pub fn fragment(message: &[u8], mtu: usize) -> Result<Vec<Vec<u8>>, FramingError> {
    if !(MIN_MTU..=MAX_MTU).contains(&mtu) {
        return Err(FramingError::BadMtu(mtu));
    }
    if message.is_empty() || message.len() > MAX_MESSAGE_LEN {
        return Err(FramingError::Oversized {
            len: message.len(),
            max: MAX_MESSAGE_LEN,
        });
    }
    let payload = mtu - ATT_OVERHEAD;
    let len = u16::try_from(message.len()).map_err(|_| FramingError::Oversized {
        len: message.len(),
        max: MAX_MESSAGE_LEN,
    })?;
    let first_take = message.len().min(payload - 3);
    let (head, mut rest) = message.split_at(first_take);
    let mut first = Vec::with_capacity(3 + head.len());
    first.push(FIRST);
    first.extend_from_slice(&len.to_be_bytes());
    first.extend_from_slice(head);
    let mut out = vec![first];
    let mut seq: u8 = 0;
    while !rest.is_empty() {
        seq = (seq + 1) & 0x7f;
        let take = rest.len().min(payload - 1);
        let (chunk, tail) = rest.split_at(take);
        let mut f = Vec::with_capacity(1 + chunk.len());
        f.push(seq);
        f.extend_from_slice(chunk);
        out.push(f);
        rest = tail;
    }
    Ok(out)
}

/// Puts fragments back together, one message at a time.
#[derive(Debug, Default)]
pub struct Reassembler {
    buf: Vec<u8>,
    expected: usize,
    last_seq: u8,
    started_ms: u64,
    active: bool,
    /// After an error, the rest of the broken message is dropped quietly
    /// until the next first fragment: one error per broken message.
    discarding: bool,
}

impl Reassembler {
    /// An idle reassembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a message is partly received.
    pub fn in_progress(&self) -> bool {
        self.active
    }

    /// Drops any partial message.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.expected = 0;
        self.last_seq = 0;
        self.active = false;
        self.discarding = false;
    }

    /// Checks the time bound without a fragment (call on a timer).
    pub fn check_timeout(&mut self, now_ms: u64) -> Result<(), FramingError> {
        if self.active && now_ms.saturating_sub(self.started_ms) > REASSEMBLY_TIMEOUT_MS {
            self.reset();
            // Whatever still arrives of the stalled message is dropped quietly.
            self.discarding = true;
            return Err(FramingError::TimedOut(REASSEMBLY_TIMEOUT_MS));
        }
        Ok(())
    }

    /// Takes one fragment. Returns the whole message when it is complete.
    /// On an error the partial message is dropped, and so are its remaining
    /// fragments, quietly, until the next first fragment.
    pub fn push(&mut self, fragment: &[u8], now_ms: u64) -> Result<Option<Vec<u8>>, FramingError> {
        let first = fragment.first().is_some_and(|h| h & FIRST != 0);
        if self.check_timeout(now_ms).is_err() && !first {
            self.discarding = true;
            return Err(FramingError::TimedOut(REASSEMBLY_TIMEOUT_MS));
        }
        if self.discarding {
            if !first {
                return Ok(None);
            }
            self.discarding = false;
        }
        let result = self.push_inner(fragment, now_ms);
        if result.is_err() {
            self.reset();
            self.discarding = true;
        }
        result
    }

    fn push_inner(
        &mut self,
        fragment: &[u8],
        now_ms: u64,
    ) -> Result<Option<Vec<u8>>, FramingError> {
        let (&header, body) = fragment.split_first().ok_or(FramingError::Truncated)?;
        if header & FIRST != 0 {
            if self.active {
                return Err(FramingError::Incomplete {
                    received: self.buf.len(),
                    expected: self.expected,
                });
            }
            if header != FIRST {
                return Err(FramingError::OutOfOrder {
                    expected: 0,
                    got: header & 0x7f,
                });
            }
            let (len_bytes, data) = body
                .split_first_chunk::<2>()
                .ok_or(FramingError::Truncated)?;
            let expected = usize::from(u16::from_be_bytes(*len_bytes));
            if expected == 0 || expected > MAX_MESSAGE_LEN {
                return Err(FramingError::Oversized {
                    len: expected,
                    max: MAX_MESSAGE_LEN,
                });
            }
            self.active = true;
            self.expected = expected;
            self.started_ms = now_ms;
            self.last_seq = 0;
            self.buf.clear();
            self.buf.reserve(expected);
            return self.append(data);
        }
        let seq = header;
        if !self.active {
            return Err(FramingError::OutOfOrder {
                expected: 0,
                got: seq,
            });
        }
        let expected_seq = (self.last_seq + 1) & 0x7f;
        if seq == self.last_seq {
            return Err(FramingError::Duplicate(seq));
        }
        if seq != expected_seq {
            return Err(FramingError::OutOfOrder {
                expected: expected_seq,
                got: seq,
            });
        }
        self.last_seq = seq;
        self.append(body)
    }

    fn append(&mut self, data: &[u8]) -> Result<Option<Vec<u8>>, FramingError> {
        if self.buf.len() + data.len() > self.expected {
            return Err(FramingError::Overrun);
        }
        self.buf.extend_from_slice(data);
        if self.buf.len() == self.expected {
            let msg = std::mem::take(&mut self.buf);
            self.reset();
            return Ok(Some(msg));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reassemble(frags: &[Vec<u8>]) -> Result<Vec<u8>, FramingError> {
        let mut r = Reassembler::new();
        let mut out = None;
        for f in frags {
            if let Some(m) = r.push(f, 0)? {
                out = Some(m);
            }
        }
        out.ok_or(FramingError::Truncated)
    }

    #[test]
    fn every_mtu_from_23_to_517_round_trips_and_respects_the_payload_size() {
        let msg: Vec<u8> = (0..3000u32).map(|i| (i * 7) as u8).collect();
        for mtu in MIN_MTU..=MAX_MTU {
            let frags = fragment(&msg, mtu).unwrap();
            assert!(frags.iter().all(|f| f.len() <= mtu - ATT_OVERHEAD));
            assert_eq!(reassemble(&frags).unwrap(), msg, "mtu {mtu}");
        }
    }

    #[test]
    fn more_than_128_fragments_wrap_the_sequence_number() {
        let msg = vec![0xab; MAX_MESSAGE_LEN];
        let frags = fragment(&msg, MIN_MTU).unwrap();
        assert!(frags.len() > 128);
        assert_eq!(reassemble(&frags).unwrap(), msg);
    }

    #[test]
    fn a_message_over_the_bound_is_refused_on_both_sides() {
        assert!(matches!(
            fragment(&vec![0; MAX_MESSAGE_LEN + 1], 247),
            Err(FramingError::Oversized { .. })
        ));
        let mut r = Reassembler::new();
        let declared = (MAX_MESSAGE_LEN as u16 + 1).to_be_bytes();
        assert!(matches!(
            r.push(&[FIRST, declared[0], declared[1], 1], 0),
            Err(FramingError::Oversized { .. })
        ));
    }

    #[test]
    fn a_stalled_message_times_out() {
        let frags = fragment(&[1; 100], MIN_MTU).unwrap();
        let mut r = Reassembler::new();
        assert_eq!(r.push(&frags[0], 0).unwrap(), None);
        assert_eq!(
            r.push(&frags[1], REASSEMBLY_TIMEOUT_MS + 1),
            Err(FramingError::TimedOut(REASSEMBLY_TIMEOUT_MS))
        );
        assert!(!r.in_progress());
    }

    #[test]
    fn after_a_timer_driven_timeout_the_rest_of_the_message_is_dropped_quietly() {
        let frags = fragment(&[1; 100], MIN_MTU).unwrap();
        let mut r = Reassembler::new();
        r.push(&frags[0], 0).unwrap();
        assert!(r.check_timeout(REASSEMBLY_TIMEOUT_MS + 1).is_err());
        assert_eq!(r.push(&frags[1], REASSEMBLY_TIMEOUT_MS + 2), Ok(None));
    }

    #[test]
    fn a_new_message_after_a_stalled_one_is_received_whole() {
        let stalled = fragment(&[1; 100], MIN_MTU).unwrap();
        let fresh = fragment(&[2; 30], MIN_MTU).unwrap();
        let mut r = Reassembler::new();
        r.push(&stalled[0], 0).unwrap();
        let late = REASSEMBLY_TIMEOUT_MS + 1;
        assert_eq!(r.push(&fresh[0], late), Ok(None));
        assert_eq!(r.push(&fresh[1], late), Ok(Some(vec![2; 30])));
    }

    #[test]
    fn the_rest_of_a_broken_message_is_dropped_quietly() {
        let frags = fragment(&[3; 80], MIN_MTU).unwrap();
        let mut r = Reassembler::new();
        r.push(&frags[0], 0).unwrap();
        assert!(r.push(&frags[2], 0).is_err());
        assert_eq!(r.push(&frags[3], 0), Ok(None));
        assert_eq!(r.push(&frags[4], 0), Ok(None));
        // The next message is received whole.
        let mut out = None;
        for f in fragment(&[4; 40], MIN_MTU).unwrap() {
            out = r.push(&f, 0).unwrap();
        }
        assert_eq!(out, Some(vec![4; 40]));
    }

    #[test]
    fn a_duplicated_fragment_is_named_as_such() {
        let frags = fragment(&[3; 60], MIN_MTU).unwrap();
        let mut r = Reassembler::new();
        r.push(&frags[0], 0).unwrap();
        r.push(&frags[1], 0).unwrap();
        assert_eq!(r.push(&frags[1], 0), Err(FramingError::Duplicate(1)));
        assert!(!r.in_progress());
    }

    #[test]
    fn a_skipped_or_swapped_fragment_is_out_of_order() {
        let frags = fragment(&[3; 80], MIN_MTU).unwrap();
        let mut r = Reassembler::new();
        r.push(&frags[0], 0).unwrap();
        assert_eq!(
            r.push(&frags[2], 0),
            Err(FramingError::OutOfOrder {
                expected: 1,
                got: 2
            })
        );
        let mut r = Reassembler::new();
        assert_eq!(
            r.push(&frags[1], 0),
            Err(FramingError::OutOfOrder {
                expected: 0,
                got: 1
            })
        );
    }

    #[test]
    fn more_bytes_than_declared_is_an_overrun() {
        let mut r = Reassembler::new();
        assert_eq!(r.push(&[FIRST, 0, 4, 1, 2], 0), Ok(None));
        assert_eq!(r.push(&[1, 3, 4, 5], 0), Err(FramingError::Overrun));
        assert_eq!(
            Reassembler::new().push(&[FIRST, 0, 1, 1, 2], 0),
            Err(FramingError::Overrun)
        );
    }

    #[test]
    fn a_new_message_before_the_last_completed_is_reported_incomplete() {
        let frags = fragment(&[3; 60], MIN_MTU).unwrap();
        let mut r = Reassembler::new();
        r.push(&frags[0], 0).unwrap();
        assert_eq!(
            r.push(&frags[0], 0),
            Err(FramingError::Incomplete {
                received: 17,
                expected: 60
            })
        );
    }
}
