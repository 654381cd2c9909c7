//! Small helpers for reading and writing the protocol's CBOR arrays with
//! precise errors. Decoding never trusts a length it has not seen the bytes for.

use ciborium::Value;

use crate::{MAX_MESSAGE_LEN, ProtocolError};

/// Encodes a CBOR value. Encoding a `Value` into a `Vec` cannot fail in
/// practice; the error is still reported rather than unwrapped.
pub fn encode(value: &Value) -> Result<Vec<u8>, ProtocolError> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out)
        .map_err(|e| ProtocolError::malformed("encoding", e.to_string()))?;
    Ok(out)
}

/// Decodes one CBOR item that must use all of `bytes`.
pub fn decode(bytes: &[u8], what: &'static str) -> Result<Value, ProtocolError> {
    if bytes.len() > MAX_MESSAGE_LEN {
        return Err(ProtocolError::Oversized {
            what,
            len: bytes.len(),
            max: MAX_MESSAGE_LEN,
        });
    }
    let mut reader = bytes;
    let value: Value = ciborium::de::from_reader_with_recursion_limit(&mut reader, 16)
        .map_err(|e| ProtocolError::malformed(what, e.to_string()))?;
    if !reader.is_empty() {
        return Err(ProtocolError::malformed(
            what,
            format!("{} bytes after the item", reader.len()),
        ));
    }
    Ok(value)
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
        match self.next(field)? {
            Value::Integer(i) => u64::try_from(i).map_err(|_| {
                ProtocolError::malformed(self.what, format!("{field} is not an unsigned integer"))
            }),
            _ => Err(ProtocolError::malformed(
                self.what,
                format!("{field} is not an integer"),
            )),
        }
    }

    /// An unsigned integer that must fit in a byte.
    pub fn u8(&mut self, field: &str) -> Result<u8, ProtocolError> {
        let v = self.uint(field)?;
        u8::try_from(v)
            .map_err(|_| ProtocolError::malformed(self.what, format!("{field} out of range")))
    }

    /// A byte string of any length up to `max`.
    pub fn bytes(&mut self, field: &str, max: usize) -> Result<Vec<u8>, ProtocolError> {
        match self.next(field)? {
            Value::Bytes(b) if b.len() <= max => Ok(b),
            Value::Bytes(b) => Err(ProtocolError::Oversized {
                what: self.what,
                len: b.len(),
                max,
            }),
            _ => Err(ProtocolError::malformed(
                self.what,
                format!("{field} is not a byte string"),
            )),
        }
    }

    /// A byte string of exactly `N` bytes.
    pub fn fixed<const N: usize>(&mut self, field: &str) -> Result<[u8; N], ProtocolError> {
        let b = self.bytes(field, N)?;
        b.try_into()
            .map_err(|_| ProtocolError::malformed(self.what, format!("{field} must be {N} bytes")))
    }

    /// A byte string or null.
    pub fn opt_bytes(&mut self, field: &str, max: usize) -> Result<Option<Vec<u8>>, ProtocolError> {
        match self.next(field)? {
            Value::Null => Ok(None),
            Value::Bytes(b) if b.len() <= max => Ok(Some(b)),
            Value::Bytes(b) => Err(ProtocolError::Oversized {
                what: self.what,
                len: b.len(),
                max,
            }),
            _ => Err(ProtocolError::malformed(
                self.what,
                format!("{field} is not a byte string or null"),
            )),
        }
    }

    /// A text string of at most `max` bytes.
    pub fn text(&mut self, field: &str, max: usize) -> Result<String, ProtocolError> {
        match self.next(field)? {
            Value::Text(t) if t.len() <= max => Ok(t),
            Value::Text(t) => Err(ProtocolError::Oversized {
                what: self.what,
                len: t.len(),
                max,
            }),
            _ => Err(ProtocolError::malformed(
                self.what,
                format!("{field} is not a text string"),
            )),
        }
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
