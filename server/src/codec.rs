//! Small helpers for the JSON wire: bytes as hex or base64, ids, random
//! values and hashes.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{Error, Result};

/// Longest id the server accepts (the token claims' bound).
pub const MAX_ID_LEN: usize = nyckelfri_protocol::token::MAX_ID_LEN;

/// Base64 (standard alphabet, padded): how the server writes byte strings.
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes bytes given as hex or base64 (standard or URL-safe, padded or
/// not) that must come out `expected` bytes long.
pub fn decode_fixed(s: &str, expected: usize, what: &str) -> Result<Vec<u8>> {
    let s = s.trim();
    if s.is_empty() {
        return Err(Error::bad(format!("{what} is empty")));
    }
    if s.len() == expected * 2
        && s.bytes().all(|b| b.is_ascii_hexdigit())
        && let Ok(v) = hex::decode(s)
    {
        return Ok(v);
    }
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        if let Ok(v) = engine.decode(s) {
            if v.len() == expected {
                return Ok(v);
            }
            return Err(Error::bad(format!(
                "{what} must be {expected} bytes, got {}",
                v.len()
            )));
        }
    }
    Err(Error::bad(format!(
        "{what} must be {expected} bytes as hex ({} characters) or base64",
        expected * 2
    )))
}

/// Decodes base64 (any of the usual alphabets) of at most `max` bytes.
pub fn decode_b64(s: &str, max: usize, what: &str) -> Result<Vec<u8>> {
    let s = s.trim();
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        if let Ok(v) = engine.decode(s) {
            if v.len() > max {
                return Err(Error::bad(format!(
                    "{what} is {} bytes, more than the {max} allowed",
                    v.len()
                )));
            }
            return Ok(v);
        }
    }
    Err(Error::bad(format!("{what} is not valid base64")))
}

/// Checks an id: 1..=64 bytes of `A-Z a-z 0-9 . _ : -`.
pub fn check_id(id: &str, what: &str) -> Result<()> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(Error::bad(format!(
            "{what} must be 1 to {MAX_ID_LEN} characters"
        )));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
    {
        return Err(Error::bad(format!(
            "{what} may only contain letters A-Z, digits and . _ : -"
        )));
    }
    Ok(())
}

/// An optional id filter: checked when given, `""` when not.
pub fn filter_id(id: &Option<String>, what: &str) -> Result<String> {
    match id.as_deref() {
        None | Some("") => Ok(String::new()),
        Some(s) => {
            check_id(s, what)?;
            Ok(s.to_owned())
        }
    }
}

/// Checks a free-text field: not blank (unless `allow_empty`), at most `max`
/// characters, no control characters other than newlines.
pub fn check_text(s: &str, max: usize, what: &str, allow_empty: bool) -> Result<()> {
    if !allow_empty && s.trim().is_empty() {
        return Err(Error::bad(format!("{what} must not be empty")));
    }
    if s.chars().count() > max {
        return Err(Error::bad(format!(
            "{what} must be at most {max} characters"
        )));
    }
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::bad(format!(
            "{what} must not contain control characters"
        )));
    }
    Ok(())
}

/// Checks a Unix time: within 1970..2100.
pub fn check_time(t: i64, what: &str) -> Result<()> {
    if !(0..=4_102_444_800).contains(&t) {
        return Err(Error::bad(format!(
            "{what} must be Unix seconds between 1970 and 2100"
        )));
    }
    Ok(())
}

/// Checks a routine step id such as `R2.12`.
pub fn check_routine_step(step: &str) -> Result<()> {
    let ok = step.len() <= 8
        && step.strip_prefix('R').is_some_and(|rest| {
            let mut parts = rest.split('.');
            let a = parts.next().unwrap_or("");
            let b = parts.next().unwrap_or("");
            parts.next().is_none()
                && !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        });
    if ok {
        Ok(())
    } else {
        Err(Error::bad("routine_step must be a routine id such as R2.9"))
    }
}

/// `n` random bytes from the system's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| Error::Internal("the system random generator failed".into()))?;
    Ok(b)
}

/// A new random id: `prefix` and 16 hex digits.
pub fn new_id(prefix: &str) -> Result<String> {
    Ok(format!("{prefix}-{}", hex::encode(random_bytes::<8>()?)))
}

/// Hex of SHA-256 over `data` (how secrets are stored: only their hash).
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(nyckelfri_protocol::keys::sha256(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_decode_from_hex_and_every_base64_alphabet() {
        let raw: Vec<u8> = (0u8..65).collect();
        assert_eq!(decode_fixed(&hex::encode(&raw), 65, "k").unwrap(), raw);
        for e in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
            assert_eq!(decode_fixed(&e.encode(&raw), 65, "k").unwrap(), raw);
        }
        assert!(decode_fixed("zz", 65, "k").is_err());
        assert!(decode_fixed(&b64(&[1, 2, 3]), 65, "k").is_err());
        assert!(decode_fixed("", 65, "k").is_err());
    }

    #[test]
    fn ids_are_bounded_and_plain() {
        assert!(check_id("lock-1", "id").is_ok());
        assert!(check_id("", "id").is_err());
        assert!(check_id(&"a".repeat(65), "id").is_err());
        assert!(check_id("a b", "id").is_err());
        assert!(check_id("å", "id").is_err());
    }
}
