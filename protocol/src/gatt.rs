//! The GATT layout and advertising data of a Nyckelfri lock (PROTOCOL.md §9).
//!
//! One primary service with three characteristics: *Request* (the app writes
//! request fragments), *Response* (the lock notifies response fragments; the
//! Hello goes out as soon as the app enables notifications) and *Info*
//! (read-only, static). Every message rides in [`crate::framing`] fragments.
//!
//! A lock advertises the service UUID (so OS-level scan filters match it) and
//! manufacturer-specific data with a short *lock tag*, so the app finds the
//! right door without connecting to every lock in the building.
//!
//! UUIDs are given as `u128` and as strings so this crate needs no UUID
//! library; a unit test keeps the two forms in step.

use crate::keys::{PublicKey, sha256};
use crate::{MAX_MESSAGE_LEN, PROTOCOL_VERSION};

/// The Nyckelfri primary service.
pub const SERVICE_UUID: u128 = 0x0754_0001_340b_426c_9b5f_a367_0fd2_8f8d;
/// [`SERVICE_UUID`] in its string form.
pub const SERVICE_UUID_STR: &str = "07540001-340b-426c-9b5f-a3670fd28f8d";

/// Request characteristic (app → lock): `write` and `write-without-response`.
pub const REQUEST_CHAR_UUID: u128 = 0x0754_0002_340b_426c_9b5f_a367_0fd2_8f8d;
/// [`REQUEST_CHAR_UUID`] in its string form.
pub const REQUEST_CHAR_UUID_STR: &str = "07540002-340b-426c-9b5f-a3670fd28f8d";

/// Response characteristic (lock → app): `notify`, with a CCCD.
pub const RESPONSE_CHAR_UUID: u128 = 0x0754_0003_340b_426c_9b5f_a367_0fd2_8f8d;
/// [`RESPONSE_CHAR_UUID`] in its string form.
pub const RESPONSE_CHAR_UUID_STR: &str = "07540003-340b-426c-9b5f-a3670fd28f8d";

/// Info characteristic: `read`, the bytes of [`info_value`].
pub const INFO_CHAR_UUID: u128 = 0x0754_0004_340b_426c_9b5f_a367_0fd2_8f8d;
/// [`INFO_CHAR_UUID`] in its string form.
pub const INFO_CHAR_UUID_STR: &str = "07540004-340b-426c-9b5f-a3670fd28f8d";

/// The Client Characteristic Configuration Descriptor (Bluetooth SIG, 0x2902).
pub const CCCD_UUID: u128 = 0x0000_2902_0000_1000_8000_0080_5f9b_34fb;
/// [`CCCD_UUID`] in its string form.
pub const CCCD_UUID_STR: &str = "00002902-0000-1000-8000-00805f9b34fb";

/// Bluetooth SIG company identifier in the manufacturer-specific data.
///
/// 0xFFFF is the SIG's value for internal use and tests: the stand-in and
/// test builds use it. A shipped lock MUST carry the vendor's own assigned
/// company id instead; the app then matches on that (and still on the
/// service UUID and the payload format below).
pub const COMPANY_ID_TEST: u16 = 0xFFFF;

/// Format of the manufacturer-specific payload (its first byte).
pub const ADV_FORMAT_V1: u8 = 1;
/// Length of the lock tag in the advertisement.
pub const LOCK_TAG_LEN: usize = 8;
/// Length of the manufacturer-specific payload after the company id:
/// format, tag, flags.
pub const ADV_PAYLOAD_LEN: usize = 1 + LOCK_TAG_LEN + 1;

/// Advertised flag: the lock is in commissioning mode (factory new or
/// decommissioned); its tag is then [`commissioning_tag`] of its own key.
pub const ADV_FLAG_COMMISSIONING: u8 = 0x01;
/// Advertised flag: battery at or below [`crate::LOW_BATTERY_PERCENT`].
pub const ADV_FLAG_LOW_BATTERY: u8 = 0x02;
/// Flag bits a v1 lock may set; the others are reserved (sent as 0, ignored).
pub const ADV_FLAGS_KNOWN: u8 = ADV_FLAG_COMMISSIONING | ADV_FLAG_LOW_BATTERY;

/// Info characteristic value format (its first byte).
pub const INFO_FORMAT_V1: u8 = 1;
/// Length of the Info value.
pub const INFO_LEN: usize = 5;

/// The ATT_MTU a lock supports at least; apps ask for [`crate::framing::MAX_MTU`].
pub const LOCK_MIN_SUPPORTED_MTU: usize = 247;

/// The GAP device name (complete local name) a lock puts in its scan response.
pub const LOCAL_NAME: &str = "Nyckelfri";
/// Advertising data and scan response data each fit a legacy PDU of 31
/// bytes, so every phone (no extended advertising needed) sees them whole.
pub const LEGACY_ADV_DATA_LEN: usize = 31;
/// Advertising PDU: Flags AD (3 bytes) + complete list of 128-bit service
/// UUIDs (2 + 16).
pub const ADV_DATA_LEN: usize = 3 + 2 + 16;
/// Scan response: manufacturer-specific AD (length, type, company id,
/// payload) + complete local name AD (2 + name).
pub const SCAN_RESPONSE_LEN: usize = 2 + 2 + ADV_PAYLOAD_LEN + 2 + LOCAL_NAME.len();

// Checked when compiling, not only in tests.
const _: () = assert!(ADV_DATA_LEN <= LEGACY_ADV_DATA_LEN);
const _: () = assert!(SCAN_RESPONSE_LEN <= LEGACY_ADV_DATA_LEN);
// The Info value fits one read at the smallest MTU.
const _: () = assert!(INFO_LEN <= crate::framing::MIN_MTU - crate::framing::ATT_OVERHEAD);

// Domain separation: a tag can never equal a hash the protocol uses elsewhere.
const TAG_DOMAIN: &[u8] = b"nyckelfri/adv-tag/v1\0";
const COMMISSIONING_TAG_DOMAIN: &[u8] = b"nyckelfri/adv-tag/commissioning/v1\0";

/// The tag a commissioned lock advertises: the first 8 bytes of
/// SHA-256(`"nyckelfri/adv-tag/v1\0"` ‖ lock id).
pub fn advertised_lock_tag(lock_id: &str) -> [u8; LOCK_TAG_LEN] {
    tag_of(TAG_DOMAIN, lock_id.as_bytes())
}

/// The tag a lock in commissioning mode advertises (it has no lock id yet):
/// the first 8 bytes of SHA-256(`"nyckelfri/adv-tag/commissioning/v1\0"` ‖
/// SEC1 public key). The technician's app knows the key from the label or
/// the install order, so it finds exactly that unit.
pub fn commissioning_tag(lock_key: &PublicKey) -> [u8; LOCK_TAG_LEN] {
    tag_of(COMMISSIONING_TAG_DOMAIN, lock_key.as_bytes())
}

fn tag_of(domain: &[u8], data: &[u8]) -> [u8; LOCK_TAG_LEN] {
    let mut input = Vec::with_capacity(domain.len() + data.len());
    input.extend_from_slice(domain);
    input.extend_from_slice(data);
    let digest = sha256(&input);
    let mut tag = [0u8; LOCK_TAG_LEN];
    for (t, d) in tag.iter_mut().zip(digest) {
        *t = d;
    }
    tag
}

/// What a lock puts in its advertisement, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdvertisedLock {
    /// [`advertised_lock_tag`] or, in commissioning mode, [`commissioning_tag`].
    pub tag: [u8; LOCK_TAG_LEN],
    /// `ADV_FLAG_*` bits (reserved bits cleared).
    pub flags: u8,
}

impl AdvertisedLock {
    /// Whether the lock is in commissioning mode.
    pub fn commissioning(&self) -> bool {
        self.flags & ADV_FLAG_COMMISSIONING != 0
    }

    /// Whether the lock reports a low battery.
    pub fn low_battery(&self) -> bool {
        self.flags & ADV_FLAG_LOW_BATTERY != 0
    }

    /// The manufacturer-specific payload (after the company id).
    pub fn encode(&self) -> [u8; ADV_PAYLOAD_LEN] {
        let mut out = [0u8; ADV_PAYLOAD_LEN];
        let (format, rest) = out.split_at_mut(1);
        let (tag, flags) = rest.split_at_mut(LOCK_TAG_LEN);
        format.copy_from_slice(&[ADV_FORMAT_V1]);
        tag.copy_from_slice(&self.tag);
        flags.copy_from_slice(&[self.flags & ADV_FLAGS_KNOWN]);
        out
    }

    /// Parses a manufacturer-specific payload. A newer format or a wrong
    /// length is `None`: not a lock this app understands. Trailing bytes
    /// are refused so that a later format must bump the format byte.
    pub fn decode(payload: &[u8]) -> Option<AdvertisedLock> {
        let (&format, rest) = payload.split_first()?;
        if format != ADV_FORMAT_V1 || rest.len() != LOCK_TAG_LEN + 1 {
            return None;
        }
        let (tag, flags) = rest.split_first_chunk::<LOCK_TAG_LEN>()?;
        let flags = flags.first()? & ADV_FLAGS_KNOWN;
        Some(AdvertisedLock { tag: *tag, flags })
    }
}

/// The Info characteristic's value: format, the lowest and highest protocol
/// versions the lock speaks, and the largest message it reassembles
/// (big-endian u16). Read without a session; never changes at runtime.
pub fn info_value() -> [u8; INFO_LEN] {
    let version = u8::try_from(PROTOCOL_VERSION).unwrap_or(u8::MAX);
    let max = u16::try_from(MAX_MESSAGE_LEN)
        .unwrap_or(u16::MAX)
        .to_be_bytes();
    [INFO_FORMAT_V1, version, version, max[0], max[1]]
}

/// The canonical 8-4-4-4-12 lowercase string of a 128-bit UUID.
pub fn uuid_string(uuid: u128) -> String {
    let h = format!("{uuid:032x}");
    let part = |a: usize, b: usize| h.get(a..b).unwrap_or_default().to_owned();
    format!(
        "{}-{}-{}-{}-{}",
        part(0, 8),
        part(8, 12),
        part(12, 16),
        part(16, 20),
        part(20, 32)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Signer, SoftwareKey};

    #[test]
    fn uuid_strings_match_their_numbers() {
        for (n, s) in [
            (SERVICE_UUID, SERVICE_UUID_STR),
            (REQUEST_CHAR_UUID, REQUEST_CHAR_UUID_STR),
            (RESPONSE_CHAR_UUID, RESPONSE_CHAR_UUID_STR),
            (INFO_CHAR_UUID, INFO_CHAR_UUID_STR),
            (CCCD_UUID, CCCD_UUID_STR),
        ] {
            assert_eq!(uuid_string(n), s);
        }
    }

    #[test]
    fn nyckelfri_uuids_share_one_base_and_differ_only_in_the_short_field() {
        let base = SERVICE_UUID & !(0xffff_u128 << 96);
        for u in [REQUEST_CHAR_UUID, RESPONSE_CHAR_UUID, INFO_CHAR_UUID] {
            assert_eq!(u & !(0xffff_u128 << 96), base);
            assert_ne!(u, SERVICE_UUID);
        }
        // A version-4 UUID: random base, not a SIG-assigned 16-bit one.
        assert_eq!((SERVICE_UUID >> 76) & 0xf, 4);
    }

    #[test]
    fn the_tag_is_stable_domain_separated_and_distinct_per_lock() {
        let a = advertised_lock_tag("lock-0001");
        assert_eq!(a, advertised_lock_tag("lock-0001"));
        assert_ne!(a, advertised_lock_tag("lock-0002"));
        let plain = sha256(b"lock-0001");
        assert_ne!(&a[..], &plain[..LOCK_TAG_LEN]);
        // Fixed vector, so firmware written elsewhere can check itself.
        assert_eq!(hex::encode(a), "468ac72cef9eaf6d");
    }

    #[test]
    fn commissioning_tags_differ_per_key_and_from_lock_id_tags() {
        let (k1, _) = SoftwareKey::generate().unwrap();
        let (k2, _) = SoftwareKey::generate().unwrap();
        let t1 = commissioning_tag(&k1.public_key());
        assert_ne!(t1, commissioning_tag(&k2.public_key()));
        assert_ne!(t1, advertised_lock_tag(""));
    }

    #[test]
    fn manufacturer_data_round_trips_and_refuses_other_formats() {
        let adv = AdvertisedLock {
            tag: advertised_lock_tag("lock-0001"),
            flags: ADV_FLAG_LOW_BATTERY,
        };
        let bytes = adv.encode();
        assert_eq!(bytes.len(), ADV_PAYLOAD_LEN);
        assert_eq!(bytes[0], ADV_FORMAT_V1);
        assert_eq!(AdvertisedLock::decode(&bytes), Some(adv));
        assert!(adv.low_battery() && !adv.commissioning());

        let mut v2 = bytes;
        v2[0] = 2;
        assert_eq!(AdvertisedLock::decode(&v2), None);
        assert_eq!(AdvertisedLock::decode(&bytes[..ADV_PAYLOAD_LEN - 1]), None);
        let mut long = bytes.to_vec();
        long.push(0);
        assert_eq!(AdvertisedLock::decode(&long), None);
        assert_eq!(AdvertisedLock::decode(&[]), None);
    }

    #[test]
    fn reserved_flag_bits_are_neither_sent_nor_reported() {
        let adv = AdvertisedLock {
            tag: [7; LOCK_TAG_LEN],
            flags: 0xff,
        };
        let bytes = adv.encode();
        assert_eq!(bytes[ADV_PAYLOAD_LEN - 1], ADV_FLAGS_KNOWN);
        let mut raw = bytes;
        raw[ADV_PAYLOAD_LEN - 1] = 0xf0 | ADV_FLAG_COMMISSIONING;
        let parsed = AdvertisedLock::decode(&raw).unwrap();
        assert_eq!(parsed.flags, ADV_FLAG_COMMISSIONING);
        assert!(parsed.commissioning());
    }

    #[test]
    fn info_names_this_protocol_version_and_the_message_bound() {
        let info = info_value();
        assert_eq!(info[0], INFO_FORMAT_V1);
        assert_eq!(u64::from(info[1]), PROTOCOL_VERSION);
        assert_eq!(u64::from(info[2]), PROTOCOL_VERSION);
        assert_eq!(
            usize::from(u16::from_be_bytes([info[3], info[4]])),
            MAX_MESSAGE_LEN
        );
    }
}
