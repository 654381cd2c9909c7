//! The protocol's CBOR profile (PROTOCOL.md §1.4) and small helpers for
//! reading and writing its arrays with precise errors.
//!
//! Everything a lock or an app decodes goes through [`decode`], which accepts
//! only the profile: definite lengths, heads in shortest form, unsigned and
//! negative integers, byte and (valid UTF-8) text strings, arrays, maps with
//! integer or text keys and no key twice, `false`, `true`, `null`, and tag 18
//! only as the outermost item. Containers nest at most [`MAX_DEPTH`] deep.
//! Anything else is malformed. A length is never trusted before the bytes
//! for it have been seen.

use ciborium::Value;

use crate::{MAX_MESSAGE_LEN, ProtocolError};

/// How deep arrays and maps may nest; the outermost container is level 1.
pub const MAX_DEPTH: usize = 16;

/// The COSE_Sign1 tag, the only tag the profile allows.
pub const TAG_COSE_SIGN1: u64 = 18;

/// Encodes a CBOR value (heads in shortest form, definite lengths). Encoding
/// a `Value` into a `Vec` cannot fail in practice; the error is still
/// reported rather than unwrapped.
pub fn encode(value: &Value) -> Result<Vec<u8>, ProtocolError> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out)
        .map_err(|e| ProtocolError::malformed("encoding", e.to_string()))?;
    Ok(out)
}

/// Decodes exactly one CBOR item of the profile that uses all of `bytes`.
pub fn decode(bytes: &[u8], what: &'static str) -> Result<Value, ProtocolError> {
    if bytes.len() > MAX_MESSAGE_LEN {
        return Err(ProtocolError::Oversized {
            what,
            len: bytes.len(),
            max: MAX_MESSAGE_LEN,
        });
    }
    let mut d = Decoder {
        bytes,
        pos: 0,
        what,
    };
    let value = d.item(0, true)?;
    if d.pos != bytes.len() {
        return Err(d.err(format!("{} bytes after the item", bytes.len() - d.pos)));
    }
    Ok(value)
}

struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl Decoder<'_> {
    fn err(&self, detail: impl Into<String>) -> ProtocolError {
        ProtocolError::malformed(self.what, detail)
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&[u8], ProtocolError> {
        if n > self.remaining() {
            return Err(self.err("truncated"));
        }
        let out = self.bytes.get(self.pos..self.pos + n).unwrap_or_default();
        self.pos += n;
        Ok(out)
    }

    /// The major type and argument of the next head, in shortest form.
    fn head(&mut self) -> Result<(u8, u8, u64), ProtocolError> {
        let first = *self.take(1)?.first().unwrap_or(&0);
        let major = first >> 5;
        let info = first & 0x1f;
        let arg = match info {
            0..=23 => u64::from(info),
            24..=27 => {
                let n = 1usize << (info - 24);
                let raw = self.take(n)?;
                let v = raw.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
                let shortest_floor = match n {
                    1 => 24,
                    2 => 0x100,
                    4 => 0x1_0000,
                    _ => 0x1_0000_0000,
                };
                if v < shortest_floor {
                    return Err(self.err("a head not in shortest form"));
                }
                v
            }
            31 => return Err(self.err("an indefinite length")),
            _ => return Err(self.err("a reserved head")),
        };
        Ok((major, info, arg))
    }

    fn len(&self, arg: u64, min_bytes_each: usize) -> Result<usize, ProtocolError> {
        let n = usize::try_from(arg).map_err(|_| self.err("a length beyond the input"))?;
        if n.saturating_mul(min_bytes_each) > self.remaining() {
            return Err(self.err("a length beyond the input"));
        }
        Ok(n)
    }

    fn item(&mut self, depth: usize, outermost: bool) -> Result<Value, ProtocolError> {
        let (major, info, arg) = self.head()?;
        match major {
            0 => Ok(Value::Integer(arg.into())),
            1 => Ok(Value::Integer(
                ciborium::value::Integer::try_from(-1i128 - i128::from(arg))
                    .map_err(|_| self.err("a negative integer out of range"))?,
            )),
            2 => {
                let n = self.len(arg, 1)?;
                Ok(Value::Bytes(self.take(n)?.to_vec()))
            }
            3 => {
                let n = self.len(arg, 1)?;
                let raw = self.take(n)?.to_vec();
                String::from_utf8(raw)
                    .map(Value::Text)
                    .map_err(|_| self.err("a text string that is not UTF-8"))
            }
            4 => {
                if depth + 1 > MAX_DEPTH {
                    return Err(self.err("nested deeper than 16"));
                }
                let n = self.len(arg, 1)?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.item(depth + 1, false)?);
                }
                Ok(Value::Array(items))
            }
            5 => {
                if depth + 1 > MAX_DEPTH {
                    return Err(self.err("nested deeper than 16"));
                }
                let n = self.len(arg, 2)?;
                let mut entries: Vec<(Value, Value)> = Vec::with_capacity(n);
                for _ in 0..n {
                    let key = self.item(depth + 1, false)?;
                    if !matches!(key, Value::Integer(_) | Value::Text(_)) {
                        return Err(self.err("a map key that is not an integer or text"));
                    }
                    if entries.iter().any(|(k, _)| k == &key) {
                        return Err(self.err("a map key that appears twice"));
                    }
                    let value = self.item(depth + 1, false)?;
                    entries.push((key, value));
                }
                Ok(Value::Map(entries))
            }
            6 => {
                if !outermost || arg != TAG_COSE_SIGN1 {
                    return Err(self.err(format!("tag {arg} where no tag is allowed")));
                }
                Ok(Value::Tag(arg, Box::new(self.item(depth, false)?)))
            }
            _ => match info {
                20 => Ok(Value::Bool(false)),
                21 => Ok(Value::Bool(true)),
                22 => Ok(Value::Null),
                _ => Err(self.err("a float or simple value other than false, true, null")),
            },
        }
    }
}

/// Reads the elements of a CBOR array in order, naming each on error.
pub struct ArrayReader {
    what: &'static str,
    items: std::vec::IntoIter<Value>,
}

impl ArrayReader {
    /// Expects `value` to be an array of exactly `len` elements.
    pub fn new(value: Value, len: usize, what: &'static str) -> Result<Self, ProtocolError> {
        let Value::Array(items) = value else {
            return Err(ProtocolError::malformed(what, "not an array"));
        };
        if items.len() != len {
            return Err(ProtocolError::malformed(
                what,
                format!("{} elements, expected {len}", items.len()),
            ));
        }
        Ok(Self {
            what,
            items: items.into_iter(),
        })
    }

    fn next(&mut self, field: &str) -> Result<Value, ProtocolError> {
        self.items
            .next()
            .ok_or_else(|| ProtocolError::malformed(self.what, format!("{field} missing")))
    }

    /// An unsigned integer.
    pub fn uint(&mut self, field: &str) -> Result<u64, ProtocolError> {
        let what = self.what;
        uint_of(self.next(field)?, what, field)
    }

    /// An unsigned integer that must fit in a byte.
    pub fn u8(&mut self, field: &str) -> Result<u8, ProtocolError> {
        let v = self.uint(field)?;
        u8::try_from(v)
            .map_err(|_| ProtocolError::malformed(self.what, format!("{field} out of range")))
    }

    /// A byte string of any length up to `max`.
    pub fn bytes(&mut self, field: &str, max: usize) -> Result<Vec<u8>, ProtocolError> {
        let what = self.what;
        bytes_of(self.next(field)?, what, field, max)
    }

    /// A byte string of exactly `N` bytes: shorter is malformed, longer oversized.
    pub fn fixed<const N: usize>(&mut self, field: &str) -> Result<[u8; N], ProtocolError> {
        let b = self.bytes(field, N)?;
        b.try_into()
            .map_err(|_| ProtocolError::malformed(self.what, format!("{field} must be {N} bytes")))
    }

    /// A byte string or null.
    pub fn opt_bytes(&mut self, field: &str, max: usize) -> Result<Option<Vec<u8>>, ProtocolError> {
        let what = self.what;
        match self.next(field)? {
            Value::Null => Ok(None),
            other => bytes_of(other, what, field, max).map(Some),
        }
    }

    /// A text string of at most `max` bytes.
    pub fn text(&mut self, field: &str, max: usize) -> Result<String, ProtocolError> {
        let what = self.what;
        text_of(self.next(field)?, what, field, max)
    }

    /// A boolean.
    pub fn bool(&mut self, field: &str) -> Result<bool, ProtocolError> {
        match self.next(field)? {
            Value::Bool(b) => Ok(b),
            _ => Err(ProtocolError::malformed(
                self.what,
                format!("{field} is not a boolean"),
            )),
        }
    }

    /// An array value, returned whole.
    pub fn array(&mut self, field: &str, max_len: usize) -> Result<Vec<Value>, ProtocolError> {
        match self.next(field)? {
            Value::Array(a) if a.len() <= max_len => Ok(a),
            Value::Array(a) => Err(ProtocolError::Oversized {
                what: self.what,
                len: a.len(),
                max: max_len,
            }),
            _ => Err(ProtocolError::malformed(
                self.what,
                format!("{field} is not an array"),
            )),
        }
    }

    /// Any value, returned whole.
    pub fn value(&mut self, field: &str) -> Result<Value, ProtocolError> {
        self.next(field)
    }
}

/// An unsigned integer value.
pub fn uint_of(v: Value, what: &'static str, field: &str) -> Result<u64, ProtocolError> {
    match v {
        Value::Integer(i) => u64::try_from(i).map_err(|_| {
            ProtocolError::malformed(what, format!("{field} is not an unsigned integer"))
        }),
        _ => Err(ProtocolError::malformed(
            what,
            format!("{field} is not an integer"),
        )),
    }
}

/// A byte string value of at most `max` bytes.
pub fn bytes_of(
    v: Value,
    what: &'static str,
    field: &str,
    max: usize,
) -> Result<Vec<u8>, ProtocolError> {
    match v {
        Value::Bytes(b) if b.len() <= max => Ok(b),
        Value::Bytes(b) => Err(ProtocolError::Oversized {
            what,
            len: b.len(),
            max,
        }),
        _ => Err(ProtocolError::malformed(
            what,
            format!("{field} is not a byte string"),
        )),
    }
}

/// A text string value of at most `max` bytes.
pub fn text_of(
    v: Value,
    what: &'static str,
    field: &str,
    max: usize,
) -> Result<String, ProtocolError> {
    match v {
        Value::Text(t) if t.len() <= max => Ok(t),
        Value::Text(t) => Err(ProtocolError::Oversized {
            what,
            len: t.len(),
            max,
        }),
        _ => Err(ProtocolError::malformed(
            what,
            format!("{field} is not a text string"),
        )),
    }
}

/// A CBOR unsigned integer value.
pub fn uint(v: u64) -> Value {
    Value::Integer(v.into())
}

/// A CBOR byte string value.
pub fn bytes(b: &[u8]) -> Value {
    Value::Bytes(b.to_vec())
}

/// A CBOR text value.
pub fn text(t: &str) -> Value {
    Value::Text(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(hex_bytes: &str) -> Result<Value, ProtocolError> {
        decode(&hex::decode(hex_bytes).unwrap(), "x")
    }

    fn nested(levels: usize) -> String {
        "81".repeat(levels) + "00"
    }

    #[test]
    fn sixteen_nested_containers_decode_and_seventeen_do_not() {
        assert!(d(&nested(16)).is_ok());
        assert!(matches!(
            d(&nested(17)),
            Err(ProtocolError::Malformed { .. })
        ));
        // An empty container is a level too.
        assert!(d(&("81".repeat(15) + "80")).is_ok());
        assert!(d(&("81".repeat(16) + "a0")).is_err());
    }

    #[test]
    fn everything_outside_the_profile_is_malformed() {
        for (bytes, why) in [
            ("5f4101ff", "indefinite byte string"),
            ("7f6161ff", "indefinite text string"),
            ("9f0102ff", "indefinite array"),
            ("bf0102ff", "indefinite map"),
            ("a201010102", "duplicate map key"),
            ("62c328", "invalid UTF-8"),
            ("1800", "non-shortest uint"),
            ("390000", "non-shortest negative"),
            ("5800", "non-shortest length"),
            ("c101", "a tag other than 18"),
            ("81d280", "tag 18 not outermost"),
            ("f93c00", "float"),
            ("f7", "undefined"),
            ("f0", "simple value"),
            ("f814", "false in a two-byte head"),
            ("a1f600", "null as a map key"),
            ("1c", "reserved head"),
            ("0000", "trailing bytes"),
            ("5a00001000", "a length beyond the input"),
            ("9bffffffffffffffff", "a huge array count"),
        ] {
            assert!(
                matches!(d(bytes), Err(ProtocolError::Malformed { .. })),
                "{why}: {bytes}"
            );
        }
    }

    #[test]
    fn the_profile_keeps_what_the_protocol_uses() {
        assert_eq!(d("1bffffffffffffffff").unwrap(), uint(u64::MAX));
        assert_eq!(d("3bffffffffffffffff").unwrap(), {
            Value::Integer(ciborium::value::Integer::try_from(-(1i128 << 64)).unwrap())
        });
        assert_eq!(
            d("d280").unwrap(),
            Value::Tag(18, Box::new(Value::Array(vec![])))
        );
        assert_eq!(
            d("83f4f5f6").unwrap(),
            Value::Array(vec![Value::Bool(false), Value::Bool(true), Value::Null])
        );
        let map = Value::Map(vec![(uint(1), text("a")), (text("k"), bytes(&[1]))]);
        assert_eq!(decode(&encode(&map).unwrap(), "x").unwrap(), map);
    }

    #[test]
    fn an_input_over_the_message_bound_is_oversized() {
        assert!(matches!(
            decode(&vec![0; MAX_MESSAGE_LEN + 1], "x"),
            Err(ProtocolError::Oversized { .. })
        ));
    }
}
