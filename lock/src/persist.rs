//! How the lock keeps its state through reboots, battery changes and power
//! cuts: a few records, each written whole into one of two storage areas.
//!
//! An area holds `seq (u32 BE) ‖ len (u16 BE) ‖ data ‖ check`, where
//! `check` is the first 8 bytes of SHA-256 over everything before it. A
//! write goes to the area that does *not* hold the current copy, with the
//! next sequence number, so a power cut in the middle of it leaves the
//! current copy whole; on reading, the valid area with the higher sequence
//! number wins. What each record holds and in which order the lock writes
//! them is in `reference.rs` (PROTOCOL.md §5.9).

use nyckelfri_protocol::keys::sha256;

use crate::hardware::{LockHardware, STORAGE_AREA_LEN, StorageError};
use crate::store::{MAX_ISSUERS, REQUEST_CACHE_LEN};

/// Records: the lock's state, one revocation list per trusted issuer, one
/// request-cache entry per cache slot.
pub(crate) const RECORDS: usize = 1 + MAX_ISSUERS + REQUEST_CACHE_LEN;
/// Storage areas the lock uses: two per record.
pub const STORAGE_AREAS: u16 = (RECORDS * 2) as u16;

const HEADER_LEN: usize = 4 + 2;
const CHECK_LEN: usize = 8;
/// The largest record that fits an area.
pub(crate) const MAX_RECORD_LEN: usize = STORAGE_AREA_LEN - HEADER_LEN - CHECK_LEN;

/// Which record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Record {
    /// Identity, trust, mode, time floor, counter, bolt, request-id horizon.
    State,
    /// The revocation list held from one issuer.
    List(usize),
    /// One request-cache entry.
    Cache(usize),
}

impl Record {
    fn index(self) -> usize {
        match self {
            Record::State => 0,
            Record::List(i) => 1 + i,
            Record::Cache(i) => 1 + MAX_ISSUERS + i,
        }
    }
}

fn area(record: usize, half: u8) -> u16 {
    u16::try_from(record * 2 + usize::from(half)).unwrap_or(u16::MAX)
}

/// Where each record's current copy is, and its sequence number.
#[derive(Debug, Clone)]
pub(crate) struct Areas {
    seq: [u32; RECORDS],
    current: [Option<u8>; RECORDS],
}

impl Default for Areas {
    fn default() -> Self {
        Self {
            seq: [0; RECORDS],
            current: [None; RECORDS],
        }
    }
}

impl Areas {
    /// The record's newest valid copy, if any.
    pub(crate) fn load(&mut self, hw: &impl LockHardware, record: Record) -> Option<Vec<u8>> {
        let i = record.index();
        let mut best: Option<(u32, u8, Vec<u8>)> = None;
        for half in 0..2u8 {
            let Ok(raw) = hw.storage_read(area(i, half)) else {
                continue;
            };
            if let Some((seq, data)) = unframe(&raw)
                && best.as_ref().is_none_or(|b| seq > b.0)
            {
                best = Some((seq, half, data));
            }
        }
        let (seq, current, data) = match best {
            Some((seq, half, data)) => (seq, Some(half), Some(data)),
            None => (0, None, None),
        };
        if let (Some(s), Some(c)) = (self.seq.get_mut(i), self.current.get_mut(i)) {
            *s = seq;
            *c = current;
        }
        data
    }

    /// Writes a new copy of the record into the other area.
    pub(crate) fn save(
        &mut self,
        hw: &mut impl LockHardware,
        record: Record,
        data: &[u8],
    ) -> Result<(), StorageError> {
        let i = record.index();
        let (Some(seq), Some(current)) = (self.seq.get_mut(i), self.current.get_mut(i)) else {
            return Err(StorageError);
        };
        let half = current.map_or(0, |h| 1 - h);
        let next = seq.wrapping_add(1);
        hw.storage_write(area(i, half), &frame(next, data)?)?;
        *seq = next;
        *current = Some(half);
        Ok(())
    }
}

fn check(head: &[u8]) -> [u8; CHECK_LEN] {
    let d = sha256(head);
    let mut c = [0u8; CHECK_LEN];
    for (o, b) in c.iter_mut().zip(d) {
        *o = b;
    }
    c
}

fn frame(seq: u32, data: &[u8]) -> Result<Vec<u8>, StorageError> {
    if data.len() > MAX_RECORD_LEN {
        return Err(StorageError);
    }
    let len = u16::try_from(data.len()).map_err(|_| StorageError)?;
    let mut out = Vec::with_capacity(HEADER_LEN + data.len() + CHECK_LEN);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(data);
    let c = check(&out);
    out.extend_from_slice(&c);
    Ok(out)
}

fn unframe(raw: &[u8]) -> Option<(u32, Vec<u8>)> {
    let (seq, rest) = raw.split_first_chunk::<4>()?;
    let (len, rest) = rest.split_first_chunk::<2>()?;
    let len = usize::from(u16::from_be_bytes(*len));
    let data = rest.get(..len)?;
    let stored = rest.get(len..len + CHECK_LEN)?;
    let head = raw.get(..HEADER_LEN + len)?;
    (check(head) == stored).then(|| (u32::from_be_bytes(*seq), data.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_frame_does_not_read_back_and_a_whole_one_does() {
        let f = frame(7, b"state").unwrap();
        assert_eq!(unframe(&f), Some((7, b"state".to_vec())));
        for cut in 0..f.len() {
            assert_eq!(unframe(&f[..cut]), None, "cut at {cut}");
        }
        let mut flipped = f.clone();
        flipped[6] ^= 1;
        assert_eq!(unframe(&flipped), None);
        // Old bytes after a shorter new copy do not matter.
        let mut over = frame(8, b"x").unwrap();
        over.extend_from_slice(&f);
        assert_eq!(unframe(&over), Some((8, b"x".to_vec())));
    }

    #[test]
    fn a_record_too_large_for_an_area_is_not_written() {
        assert!(frame(1, &vec![0; MAX_RECORD_LEN]).is_ok());
        assert_eq!(frame(1, &vec![0; MAX_RECORD_LEN + 1]), Err(StorageError));
    }
}
