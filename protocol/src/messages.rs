//! The messages on the wire: Hello (lock → app), Request (app → lock),
//! Result (lock → app) and Commission (app → new lock). Each is a CBOR array
//! whose first two elements are the protocol version and the message type.

use ciborium::Value;

use crate::cbor::{self, ArrayReader};
use crate::keys::{KEY_ID_LEN, PUBLIC_KEY_LEN, PublicKey, SIGNATURE_LEN};
use crate::token::{MAX_ID_LEN, MAX_TOKEN_LEN};
use crate::{NONCE_LEN, PROTOCOL_VERSION, ProtocolError, REQUEST_ID_LEN, Status};

/// The largest revocation list a Request may carry, in bytes.
pub const MAX_REVOCATION_LEN: usize = 1280;
/// The largest commissioning grant, in bytes.
pub const MAX_GRANT_LEN: usize = 512;
/// The largest issuer update a Request may carry, in bytes.
pub const MAX_ISSUER_UPDATE_LEN: usize = 512;
/// Most trusted issuers a lock announces (and holds).
pub const MAX_ISSUERS: usize = 4;

/// Message type numbers (second element of every message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum MessageType {
    /// Lock → app, first message of a session.
    Hello = 1,
    /// App → lock: the token and the signed command.
    Request = 2,
    /// Lock → app: the status and the lock's signed receipt.
    Result = 3,
    /// App → lock in commissioning mode: the issuer's grant.
    Commission = 4,
}

/// What the app asks the lock to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Command {
    /// Draw the bolt back.
    Unlock = 1,
    /// Throw the bolt.
    Lock = 2,
    /// Installation mode → normal mode (technician, after the demonstration).
    FinishInstallation = 3,
    /// Normal mode → installation mode (technician, for service or a new demonstration).
    EnterInstallation = 4,
    /// Forget lock id, issuers, lists and the request cache; back to
    /// commissioning mode (removal, R1.12). The clock floor stays.
    Decommission = 5,
}

impl Command {
    /// Parses the wire value.
    pub fn from_code(v: u64) -> Option<Command> {
        match v {
            1 => Some(Command::Unlock),
            2 => Some(Command::Lock),
            3 => Some(Command::FinishInstallation),
            4 => Some(Command::EnterInstallation),
            5 => Some(Command::Decommission),
            _ => None,
        }
    }

    /// Whether this command moves the bolt.
    pub fn actuates(self) -> bool {
        matches!(self, Command::Unlock | Command::Lock)
    }
}

/// The bolt as the lock knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum BoltState {
    /// Bolt thrown.
    Locked = 0,
    /// Bolt drawn back.
    Unlocked = 1,
    /// The motor could not move the bolt.
    Jammed = 2,
}

impl BoltState {
    /// Parses the wire value.
    pub fn from_code(v: u64) -> Option<BoltState> {
        match v {
            0 => Some(BoltState::Locked),
            1 => Some(BoltState::Unlocked),
            2 => Some(BoltState::Jammed),
            _ => None,
        }
    }
}

/// The lock's operating mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum LockMode {
    /// Factory new or decommissioned: no lock id, no issuer; accepts only Commission.
    Commissioning = 0,
    /// Commissioned, being installed: demonstration tokens work here (R1.9).
    Installation = 1,
    /// In service: care and install tokens work; demonstration tokens do not.
    Normal = 2,
}

impl LockMode {
    /// Parses the wire value.
    pub fn from_code(v: u64) -> Option<LockMode> {
        match v {
            0 => Some(LockMode::Commissioning),
            1 => Some(LockMode::Installation),
            2 => Some(LockMode::Normal),
            _ => None,
        }
    }
}

/// A trusted issuer as the lock announces it: the key id and the epoch of
/// the revocation list it holds from that issuer (0: none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IssuerEpoch {
    /// The issuer key's id.
    pub key_id: [u8; KEY_ID_LEN],
    /// The epoch of that issuer's list for this lock that the lock holds.
    pub epoch: u64,
}

impl IssuerEpoch {
    fn to_value(self) -> Value {
        Value::Array(vec![cbor::bytes(&self.key_id), cbor::uint(self.epoch)])
    }
}

/// The announced issuers as CBOR (Hello element 5, receipt element 3).
pub fn issuers_value(issuers: &[IssuerEpoch]) -> Value {
    Value::Array(issuers.iter().map(|i| i.to_value()).collect())
}

/// Lock → app, sent as soon as the app subscribes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// The lock's id; empty in commissioning mode.
    pub lock_id: String,
    /// Fresh, single-use nonce for this session.
    pub nonce: [u8; NONCE_LEN],
    /// The lock's time (Unix seconds), never below its time high-water mark.
    pub lock_time: u64,
    /// The trusted issuers with the epoch of each one's list the lock holds.
    pub issuers: Vec<IssuerEpoch>,
    /// The bolt.
    pub bolt: BoltState,
    /// Battery level, percent.
    pub battery: u8,
    /// Operating mode.
    pub mode: LockMode,
    /// The lock's own public key, present in commissioning and installation
    /// mode (the technician's app finds and checks the unit by it).
    pub lock_key: Option<PublicKey>,
}

impl Hello {
    /// The epoch the lock announced for the issuer with `key_id` (0 if it
    /// announced none): what a device signs into its Request.
    pub fn epoch_for(&self, key_id: &[u8; KEY_ID_LEN]) -> u64 {
        self.issuers
            .iter()
            .find(|i| &i.key_id == key_id)
            .map_or(0, |i| i.epoch)
    }
}

/// App → lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The nonce of the Hello this answers.
    pub nonce: [u8; NONCE_LEN],
    /// The access token (tagged COSE_Sign1).
    pub token: Vec<u8>,
    /// What to do.
    pub command: Command,
    /// Client-made id; a repeat gets the stored result, never a second actuation.
    pub request_id: [u8; REQUEST_ID_LEN],
    /// The device's ES256 signature over the request transcript.
    pub device_signature: [u8; SIGNATURE_LEN],
    /// A newer signed revocation list for this lock, when the Hello's epoch
    /// for the token's issuer is older.
    pub revocation: Option<Vec<u8>>,
    /// A signed change of the lock's trusted issuers (key rollover).
    pub issuer_update: Option<Vec<u8>>,
}

/// Lock → app: the answer to a Request or Commission, with the lock's receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultMessage {
    /// The request id answered (zeros if the request could not be read).
    pub request_id: [u8; REQUEST_ID_LEN],
    /// Ok or the refusal reason.
    pub status: Status,
    /// The bolt after the command.
    pub bolt: BoltState,
    /// Battery level, percent.
    pub battery: u8,
    /// The lock's mode after the answer.
    pub mode: LockMode,
    /// The lock's event counter: carried-out commands and accepted Commissions.
    pub counter: u64,
    /// The lock's time when answering.
    pub lock_time: u64,
    /// True when this is the stored answer to a repeated request id.
    pub repeated: bool,
    /// The lock's ES256 signature over the receipt transcript.
    pub lock_signature: [u8; SIGNATURE_LEN],
}

/// App → lock in commissioning mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commission {
    /// The nonce of the Hello this answers.
    pub nonce: [u8; NONCE_LEN],
    /// The issuer-signed commissioning grant (tagged COSE_Sign1).
    pub grant: Vec<u8>,
}

/// Any protocol message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// See [`Hello`].
    Hello(Hello),
    /// See [`Request`].
    Request(Request),
    /// See [`ResultMessage`].
    Result(ResultMessage),
    /// See [`Commission`].
    Commission(Commission),
}

fn header(t: MessageType) -> [Value; 2] {
    [cbor::uint(PROTOCOL_VERSION), cbor::uint(t as u64)]
}

impl Message {
    /// Encodes the message as its CBOR array.
    pub fn encode(&self) -> Result<Vec<u8>, ProtocolError> {
        let items: Vec<Value> = match self {
            Message::Hello(h) => {
                let mut v = header(MessageType::Hello).to_vec();
                v.extend([
                    cbor::text(&h.lock_id),
                    cbor::bytes(&h.nonce),
                    cbor::uint(h.lock_time),
                    issuers_value(&h.issuers),
                    cbor::uint(h.bolt as u64),
                    cbor::uint(u64::from(h.battery)),
                    cbor::uint(h.mode as u64),
                    h.lock_key
                        .as_ref()
                        .map_or(Value::Null, |k| cbor::bytes(k.as_bytes())),
                ]);
                v
            }
            Message::Request(r) => {
                let mut v = header(MessageType::Request).to_vec();
                v.extend([
                    cbor::bytes(&r.nonce),
                    cbor::bytes(&r.token),
                    cbor::uint(r.command as u64),
                    cbor::bytes(&r.request_id),
                    cbor::bytes(&r.device_signature),
                    r.revocation.as_deref().map_or(Value::Null, cbor::bytes),
                    r.issuer_update.as_deref().map_or(Value::Null, cbor::bytes),
                ]);
                v
            }
            Message::Result(r) => {
                let mut v = header(MessageType::Result).to_vec();
                v.extend([
                    cbor::bytes(&r.request_id),
                    cbor::uint(u64::from(r.status.code())),
                    cbor::uint(r.bolt as u64),
                    cbor::uint(u64::from(r.battery)),
                    cbor::uint(r.mode as u64),
                    cbor::uint(r.counter),
                    cbor::uint(r.lock_time),
                    Value::Bool(r.repeated),
                    cbor::bytes(&r.lock_signature),
                ]);
                v
            }
            Message::Commission(c) => {
                let mut v = header(MessageType::Commission).to_vec();
                v.extend([cbor::bytes(&c.nonce), cbor::bytes(&c.grant)]);
                v
            }
        };
        cbor::encode(&Value::Array(items))
    }

    /// Decodes any message, checking version, type and every field's shape.
    pub fn decode(bytes: &[u8]) -> Result<Message, ProtocolError> {
        let value = cbor::decode(bytes, "message")?;
        let Value::Array(items) = &value else {
            return Err(ProtocolError::malformed("message", "not an array"));
        };
        let version = match items.first() {
            Some(Value::Integer(i)) => u64::try_from(*i)
                .map_err(|_| ProtocolError::malformed("message", "version is negative"))?,
            _ => return Err(ProtocolError::malformed("message", "version missing")),
        };
        if version != PROTOCOL_VERSION {
            return Err(ProtocolError::UnsupportedVersion(version));
        }
        let kind = match items.get(1) {
            Some(Value::Integer(i)) => u64::try_from(*i).unwrap_or(u64::MAX),
            _ => return Err(ProtocolError::malformed("message", "type missing")),
        };
        match kind {
            1 => {
                let mut r = ArrayReader::new(value, 10, "Hello")?;
                skip_header(&mut r)?;
                let lock_id = r.text("lock id", MAX_ID_LEN)?;
                let nonce = r.fixed::<NONCE_LEN>("nonce")?;
                let lock_time = r.uint("lock time")?;
                let issuers = r
                    .array("issuers", MAX_ISSUERS)?
                    .into_iter()
                    .map(|v| {
                        let mut e = ArrayReader::new(v, 2, "Hello issuer")?;
                        Ok(IssuerEpoch {
                            key_id: e.fixed::<KEY_ID_LEN>("key id")?,
                            epoch: e.uint("epoch")?,
                        })
                    })
                    .collect::<Result<Vec<_>, ProtocolError>>()?;
                let bolt = BoltState::from_code(r.uint("bolt")?)
                    .ok_or_else(|| ProtocolError::malformed("Hello", "unknown bolt state"))?;
                let battery = r.u8("battery")?;
                let mode = LockMode::from_code(r.uint("mode")?)
                    .ok_or_else(|| ProtocolError::malformed("Hello", "unknown mode"))?;
                let lock_key = r
                    .opt_bytes("lock key", PUBLIC_KEY_LEN)?
                    .map(|b| PublicKey::from_sec1(&b))
                    .transpose()?;
                Ok(Message::Hello(Hello {
                    lock_id,
                    nonce,
                    lock_time,
                    issuers,
                    bolt,
                    battery,
                    mode,
                    lock_key,
                }))
            }
            2 => {
                let mut r = ArrayReader::new(value, 9, "Request")?;
                skip_header(&mut r)?;
                let nonce = r.fixed::<NONCE_LEN>("nonce")?;
                let token = r.bytes("token", MAX_TOKEN_LEN)?;
                let command = Command::from_code(r.uint("command")?)
                    .ok_or_else(|| ProtocolError::malformed("Request", "unknown command"))?;
                let request_id = r.fixed::<REQUEST_ID_LEN>("request id")?;
                let device_signature = r.fixed::<SIGNATURE_LEN>("device signature")?;
                let revocation = r.opt_bytes("revocation list", MAX_REVOCATION_LEN)?;
                let issuer_update = r.opt_bytes("issuer update", MAX_ISSUER_UPDATE_LEN)?;
                Ok(Message::Request(Request {
                    nonce,
                    token,
                    command,
                    request_id,
                    device_signature,
                    revocation,
                    issuer_update,
                }))
            }
            3 => {
                let mut r = ArrayReader::new(value, 11, "Result")?;
                skip_header(&mut r)?;
                let request_id = r.fixed::<REQUEST_ID_LEN>("request id")?;
                let status = Status::from_code(r.uint("status")?)
                    .ok_or_else(|| ProtocolError::malformed("Result", "unknown status"))?;
                let bolt = BoltState::from_code(r.uint("bolt")?)
                    .ok_or_else(|| ProtocolError::malformed("Result", "unknown bolt state"))?;
                let battery = r.u8("battery")?;
                let mode = LockMode::from_code(r.uint("mode")?)
                    .ok_or_else(|| ProtocolError::malformed("Result", "unknown mode"))?;
                let counter = r.uint("counter")?;
                let lock_time = r.uint("lock time")?;
                let repeated = r.bool("repeated")?;
                let lock_signature = r.fixed::<SIGNATURE_LEN>("lock signature")?;
                Ok(Message::Result(ResultMessage {
                    request_id,
                    status,
                    bolt,
                    battery,
                    mode,
                    counter,
                    lock_time,
                    repeated,
                    lock_signature,
                }))
            }
            4 => {
                let mut r = ArrayReader::new(value, 4, "Commission")?;
                skip_header(&mut r)?;
                let nonce = r.fixed::<NONCE_LEN>("nonce")?;
                let grant = r.bytes("grant", MAX_GRANT_LEN)?;
                Ok(Message::Commission(Commission { nonce, grant }))
            }
            other => Err(ProtocolError::malformed(
                "message",
                format!("unknown message type {other}"),
            )),
        }
    }
}

fn skip_header(r: &mut ArrayReader) -> Result<(), ProtocolError> {
    r.uint("version")?;
    r.uint("type")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello() -> Hello {
        Hello {
            lock_id: "lock-1".into(),
            nonce: [1; 16],
            lock_time: 1_700_000_000,
            issuers: vec![IssuerEpoch {
                key_id: [7; 8],
                epoch: 3,
            }],
            bolt: BoltState::Locked,
            battery: 80,
            mode: LockMode::Normal,
            lock_key: None,
        }
    }

    #[test]
    fn every_message_round_trips() {
        let msgs = [
            Message::Hello(hello()),
            Message::Request(Request {
                nonce: [1; 16],
                token: vec![0xd2, 0x84],
                command: Command::Unlock,
                request_id: [2; 16],
                device_signature: [3; 64],
                revocation: Some(vec![9; 10]),
                issuer_update: None,
            }),
            Message::Result(ResultMessage {
                request_id: [2; 16],
                status: Status::Expired,
                bolt: BoltState::Locked,
                battery: 15,
                mode: LockMode::Installation,
                counter: 42,
                lock_time: 5,
                repeated: false,
                lock_signature: [4; 64],
            }),
            Message::Commission(Commission {
                nonce: [5; 16],
                grant: vec![1, 2, 3],
            }),
        ];
        for m in msgs {
            let bytes = m.encode().unwrap();
            assert_eq!(Message::decode(&bytes).unwrap(), m);
        }
    }

    #[test]
    fn another_protocol_version_is_refused_with_its_own_error() {
        let mut bytes = Message::Hello(hello()).encode().unwrap();
        // [0x8a (array of 10), 0x02 (version)] → version 1
        bytes[1] = 0x01;
        assert_eq!(
            Message::decode(&bytes).unwrap_err(),
            ProtocolError::UnsupportedVersion(1)
        );
    }

    #[test]
    fn trailing_bytes_and_wrong_lengths_are_malformed() {
        let mut bytes = Message::Hello(hello()).encode().unwrap();
        bytes.push(0);
        assert_eq!(
            Message::decode(&bytes).unwrap_err().status(),
            Status::Malformed
        );
        assert_eq!(
            Message::decode(&[0x82, 0x02, 0x01]).unwrap_err().status(),
            Status::Malformed
        );
    }

    #[test]
    fn a_device_signature_of_the_wrong_length_is_refused_while_decoding() {
        let request = |sig_len: usize| {
            let mut items = vec![
                cbor::uint(2),
                cbor::uint(2),
                cbor::bytes(&[1; 16]),
                cbor::bytes(&[0xd2]),
                cbor::uint(1),
                cbor::bytes(&[2; 16]),
                cbor::bytes(&vec![3; sig_len]),
                Value::Null,
                Value::Null,
            ];
            items.truncate(9);
            cbor::encode(&Value::Array(items)).unwrap()
        };
        assert_eq!(
            Message::decode(&request(63)).unwrap_err().status(),
            Status::Malformed
        );
        assert_eq!(
            Message::decode(&request(65)).unwrap_err().status(),
            Status::Oversized
        );
        assert!(Message::decode(&request(64)).is_ok());
    }
}
