//! Fixtures shared by the fuzz targets and the seed generator.
//!
//! The keys are FIXED (derived once from SHA-256 of a label, see the hex
//! below) rather than generated per run, so that the seed corpus in
//! `seeds/` can carry tokens, lists and requests signed by them. That lets
//! the fuzzer start from inputs that pass the signature checks and explore
//! what comes after them, and keeps every crash reproducible. They are test
//! keys only: never use them anywhere else.

use nyckelfri_lock::scenario::Scenario;
use nyckelfri_protocol::messages::LockMode;
use nyckelfri_protocol::{NONCE_LEN, PublicKey, SoftwareKey};

/// A fixed P-256 test key: (private scalar, uncompressed SEC1 public key), hex.
#[derive(Debug, Clone, Copy)]
pub struct TestKey {
    scalar: &'static str,
    public: &'static str,
}

/// The issuer the scenario's lock trusts; signs tokens and revocation lists.
pub const ISSUER: TestKey = TestKey {
    scalar: "7ae1247cd4df47fd91a4f96f55bc1b2e496bfb0a2803f834ab5eeede06803e7d",
    public: "0469a935dc4273fbf85dc6ccb8144e0bef8ba1df90c4d6123f4625cc5739447c71\
             3406c2c4901a0f476a612ee2d6eb9c817ad95ba94fe3c703e812a484fcdb0029",
};

/// The phone's device key (the tokens' `cnf`).
pub const DEVICE: TestKey = TestKey {
    scalar: "ab6f370d6318e558cd7179b7cc131d976c812e6293b75e280b291b28be3608d8",
    public: "041de31777a089537949ae33f0471ecfe37c255ef972898fb0fb03b312f67e8f3a\
             82df7b6df0b5052b958e40d7e75f1052a7a3b6ba9387ad18634c07ac38c607d7",
};

/// The lock's own key.
pub const LOCK: TestKey = TestKey {
    scalar: "7f3c28f0858ccd92f5747f15e1850288a4f9abb6a181b9e15cc78b478dd50dba",
    public: "04999b6a4bba8314b4f329faad723a0e05f9d2484aa48d03cc67f005e455aebefc\
             fa898b9cdb05eea97a46c235673ae248ead52a897fbd19fd2e0733f1e52d67c9",
};

/// A key nobody trusts.
pub const OTHER: TestKey = TestKey {
    scalar: "dc59eb2de2f90a9b3a5ade4e311116e96848a2dc3e1730bec09fe9d23ec5ad43",
    public: "04a578c68ec3d6bb2f0ffa13077d2fb2ed37c4f1126739fd19712a75acd19dc262\
             636e21b1a978752e3df67cf005c82b741865c4457f97669339dbd858af484de4",
};

impl TestKey {
    /// The key pair, for signing.
    pub fn signer(self) -> SoftwareKey {
        let scalar = hex::decode(self.scalar).expect("fixture scalar is hex");
        let public = hex::decode(self.public).expect("fixture public key is hex");
        SoftwareKey::from_raw(&scalar, &public).expect("fixture key pair matches")
    }

    /// The public key.
    pub fn public(self) -> PublicKey {
        let public = hex::decode(self.public).expect("fixture public key is hex");
        PublicKey::from_sec1(&public).expect("fixture public key is SEC1")
    }
}

/// The nonce the lock uses in the fuzzed session. The simulator's
/// `queue_nonce` (meant for test vectors) replaces the random nonce, so a
/// seed Request can answer the Hello and the fuzzer can reach the checks
/// behind the nonce check. With a random nonce every Request would stop at
/// StaleNonce.
pub const FIXED_NONCE: [u8; NONCE_LEN] = *b"nyckelfri-fuzz!!";

/// A fresh scenario on the fixed keys: lock `lock-0001` in normal mode,
/// trusting [`ISSUER`], clock at `SCENARIO_NOW`, with [`FIXED_NONCE`] queued
/// for the next Hello.
pub fn scenario() -> Scenario {
    let s = Scenario::with_keys(
        ISSUER.signer(),
        DEVICE.signer(),
        LOCK.signer(),
        LockMode::Normal,
    );
    s.lock.controls().queue_nonce(FIXED_NONCE);
    s
}

/// The byte stream format of the `reassembly` target, shared with the seed
/// generator: a sequence of records `[len, dt, fragment bytes (len of them)]`.
/// `dt` advances the clock by `dt * 64` ms before the fragment is pushed
/// (so 0..=16.3 s: some gaps exceed the 5 s reassembly timeout); `dt == 0xff`
/// also runs `check_timeout` after advancing, before the push. A short last
/// record takes whatever bytes are left.
pub mod fragment_stream {
    /// One record.
    #[derive(Debug, Clone, Copy)]
    pub struct Record<'a> {
        /// Milliseconds to advance the clock by.
        pub advance_ms: u64,
        /// Whether to run `check_timeout` before pushing the fragment.
        pub check_timeout: bool,
        /// The fragment.
        pub fragment: &'a [u8],
    }

    /// Splits `data` into records.
    pub fn records(mut data: &[u8]) -> Vec<Record<'_>> {
        let mut out = Vec::new();
        while let [len, dt, rest @ ..] = data {
            let take = usize::from(*len).min(rest.len());
            let (fragment, tail) = rest.split_at(take);
            out.push(Record {
                advance_ms: u64::from(*dt) * 64,
                check_timeout: *dt == 0xff,
                fragment,
            });
            data = tail;
        }
        out
    }

    /// Encodes fragments as records (no clock advance), for seeds.
    pub fn encode(fragments: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        for f in fragments {
            let len = u8::try_from(f.len()).expect("seed fragments are at most 255 bytes");
            out.push(len);
            out.push(0);
            out.extend_from_slice(f);
        }
        out
    }
}
