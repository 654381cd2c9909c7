import CryptoKit
import Foundation
import Security
import NyckelfriCore

/// The device key for the core (core/src/signer.rs): ECDSA P-256 made and
/// kept by the Secure Enclave, never leaving it. The core wants the public
/// key as SEC1 uncompressed (65 bytes, 0x04 || X || Y) and signatures as
/// raw r || s (64 bytes) over SHA-256 of the message, which is what
/// CryptoKit's x963Representation and signature.rawRepresentation are.
///
/// The key's handle (dataRepresentation: an enclave-wrapped blob, useless
/// on any other device) is kept in the Keychain, only while unlocked and
/// only on this device. The key itself does not ask for Face ID: the core
/// signs during sync too; the user is confirmed before each opening instead
/// (IOSPlatform.confirmUser).
///
/// The simulator has no Secure Enclave: there, and only there, the key is a
/// software P-256 key stored in the Keychain (development only).
final class SecureEnclaveSigner: DeviceSigner, @unchecked Sendable {
    private enum Key {
        case enclave(SecureEnclave.P256.Signing.PrivateKey)
        case software(P256.Signing.PrivateKey)
    }

    private let key: Key
    private static let service = "se.nyckelfri.device-key"

    private init(_ key: Key) {
        self.key = key
    }

    static func loadOrCreate() throws -> SecureEnclaveSigner {
        #if targetEnvironment(simulator)
        let account = "software-p256"
        if let raw = try Keychain.read(service: service, account: account) {
            return SecureEnclaveSigner(.software(try P256.Signing.PrivateKey(rawRepresentation: raw)))
        }
        let key = P256.Signing.PrivateKey()
        try Keychain.add(key.rawRepresentation, service: service, account: account)
        return SecureEnclaveSigner(.software(key))
        #else
        guard SecureEnclave.isAvailable else {
            throw NyckelfriError.Signer(reason: "this phone has no Secure Enclave")
        }
        let account = "secure-enclave-p256"
        if let blob = try Keychain.read(service: service, account: account) {
            return SecureEnclaveSigner(.enclave(try SecureEnclave.P256.Signing.PrivateKey(dataRepresentation: blob)))
        }
        var error: Unmanaged<CFError>?
        guard let access = SecAccessControlCreateWithFlags(
            nil, kSecAttrAccessibleWhenUnlockedThisDeviceOnly, .privateKeyUsage, &error)
        else {
            throw NyckelfriError.Signer(reason: "access control: \(String(describing: error?.takeRetainedValue()))")
        }
        let key = try SecureEnclave.P256.Signing.PrivateKey(accessControl: access)
        try Keychain.add(key.dataRepresentation, service: service, account: account)
        return SecureEnclaveSigner(.enclave(key))
        #endif
    }

    func publicKey() throws -> Data {
        switch key {
        case .enclave(let k): return k.publicKey.x963Representation
        case .software(let k): return k.publicKey.x963Representation
        }
    }

    func sign(message: Data) throws -> Data {
        do {
            switch key {
            case .enclave(let k): return try k.signature(for: message).rawRepresentation
            case .software(let k): return try k.signature(for: message).rawRepresentation
            }
        } catch {
            throw NyckelfriError.Signer(reason: error.localizedDescription)
        }
    }
}

/// Generic-password items: readable only while the phone is unlocked, and
/// never restored to another device.
enum Keychain {
    static func read(service: String, account: String) throws -> Data? {
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecReturnData as String: true,
            kSecMatchLimit as String: kSecMatchLimitOne,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess, let data = item as? Data else {
            throw NyckelfriError.Signer(reason: "keychain read failed (\(status))")
        }
        return data
    }

    static func add(_ data: Data, service: String, account: String) throws {
        let item: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecAttrAccessible as String: kSecAttrAccessibleWhenUnlockedThisDeviceOnly,
            kSecValueData as String: data,
        ]
        let status = SecItemAdd(item as CFDictionary, nil)
        guard status == errSecSuccess else {
            throw NyckelfriError.Signer(reason: "keychain write failed (\(status))")
        }
    }
}
