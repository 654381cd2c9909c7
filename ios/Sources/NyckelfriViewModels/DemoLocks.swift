import Foundation
import NyckelfriCore

/// The demo's simulated locks: the server's `demo-data` writes each lock's
/// id and private key to demo-locks.json; the locks trust the server's
/// issuer key (GET /v1/issuer). Demo mode only: real locks keep their keys.
public enum DemoLocks {
    public struct Lock: Decodable, Equatable, Sendable {
        public let lockId: String
        public let pkcs8: String

        enum CodingKeys: String, CodingKey {
            case lockId = "lock_id"
            case pkcs8
        }
    }

    private struct Issuer: Decodable {
        let publicKey: String
        enum CodingKeys: String, CodingKey { case publicKey = "public_key" }
    }

    /// The locks in a demo-locks.json.
    public static func parse(locksJSON: Data) throws -> [Lock] {
        try JSONDecoder().decode([Lock].self, from: locksJSON)
    }

    /// The issuer key (hex SEC1) in the body of GET /v1/issuer.
    public static func issuerKey(issuerJSON: Data) throws -> String {
        try JSONDecoder().decode(Issuer.self, from: issuerJSON).publicKey
    }

    #if NYCKELFRI_SIMULATION
    /// Adds the locks to `set`, trusting `issuerKeyHex`, their clocks at `now`
    /// (demo builds only: a store build's core has no simulated locks).
    public static func install(_ locks: [Lock], issuerKeyHex: String, into set: SimulatedLockSet, now: Int64) throws {
        for lock in locks {
            try set.addLock(lockId: lock.lockId, pkcs8Hex: lock.pkcs8, issuerPublicKeyHex: issuerKeyHex,
                            unixTime: UInt64(max(0, now)))
        }
    }
    #endif
}
