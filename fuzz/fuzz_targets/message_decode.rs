//! `Message::decode` on arbitrary bytes: never panics, and whatever it
//! accepts re-encodes to exactly the input bytes: the CBOR profile (shortest
//! heads, definite lengths, no tags) leaves one encoding per message.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nyckelfri_protocol::MAX_MESSAGE_LEN;
use nyckelfri_protocol::messages::Message;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = Message::decode(data) else {
        return;
    };
    assert!(
        data.len() <= MAX_MESSAGE_LEN,
        "accepted {} bytes",
        data.len()
    );
    let encoded = message.encode().expect("a decoded message re-encodes");
    assert_eq!(encoded, data, "an accepted message is not in its one encoding");
    let again = Message::decode(&encoded).expect("a re-encoded message decodes");
    assert_eq!(again, message, "decode(encode(m)) != m");
    let encoded_again = again.encode().expect("re-encodes");
    assert_eq!(encoded_again, encoded, "encoding is not stable");
});
