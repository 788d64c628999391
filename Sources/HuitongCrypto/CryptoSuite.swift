import Crypto
import Foundation

/// The two algorithm suites a node can run under. Whatever is written under a suite records its name, so that
/// switching a node's suite never stops older audit entries, signatures or sealed values from verifying.
public enum CryptoSuiteID: String, Sendable, Hashable, CaseIterable {
    /// 国密: SM2 signatures (GM/T 0009 default ID), SM3 hashes, HMAC-SM3, SM4 (HT1 envelope), PBKDF2-HMAC-SM3.
    case gm
    /// Ed25519, SHA-256, HMAC-SHA256: what nodes used before the 国密 suite.
    case intl

    /// What a node that never recorded a suite starts with.
    public static let forNewNodes: CryptoSuiteID = .gm

    /// Parses a name as configured (`HUITONG_CRYPTO_SUITE`) or stored; case and surrounding space do not matter.
    public init(parsing text: String) throws(CryptographyError) {
        guard let id = CryptoSuiteID(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw CryptographyError.unknownSuite(text)
        }
        self = id
    }

    public var suite: any CryptoSuite {
        switch self {
        case .gm: GMSuite()
        case .intl: InternationalSuite()
        }
    }
}

/// One set of algorithms behind one interface: callers hash, authenticate and sign through the node's suite and
/// never name an algorithm themselves.
public protocol CryptoSuite: Sendable {
    var id: CryptoSuiteID { get }
    /// The hash of `data`: SM3 or SHA-256, 32 bytes under both suites.
    func digest(_ data: [UInt8]) -> [UInt8]
    /// An HMAC keyed once with `key`: HMAC-SM3 or HMAC-SHA256, 32-byte codes.
    func authenticator(key: [UInt8]) -> any MessageAuthenticator
    /// HKDF (RFC 5869) with the suite's HMAC: a key of its own for each purpose (`info`) from one secret.
    func deriveKey(inputKeyMaterial: [UInt8], salt: [UInt8], info: [UInt8], byteCount: Int) -> [UInt8]
    /// The algorithm of the signing keys this suite makes.
    var signatureAlgorithm: SignatureAlgorithm { get }
    func generateSigningKey() throws(CryptographyError) -> SigningPrivateKey
}

extension CryptoSuite {
    public func authenticationCode(for message: [UInt8], key: [UInt8]) -> [UInt8] {
        authenticator(key: key).authenticationCode(for: message)
    }
}

/// A MAC whose key was absorbed once; safe to use from several tasks at once.
public protocol MessageAuthenticator: Sendable {
    func authenticationCode(for message: [UInt8]) -> [UInt8]
}

extension HMACSM3: MessageAuthenticator {}

/// HMAC-SHA256 from swift-crypto, keyed once.
public struct HMACSHA256Authenticator: MessageAuthenticator {
    private let keyed: HMAC<SHA256>

    public init(key: [UInt8]) {
        self.keyed = HMAC<SHA256>(key: SymmetricKey(data: key))
    }

    public func authenticationCode(for message: [UInt8]) -> [UInt8] {
        var mac = keyed
        mac.update(data: message)
        return Array(mac.finalize())
    }
}

public struct GMSuite: CryptoSuite {
    public init() {}
    public var id: CryptoSuiteID { .gm }
    public func digest(_ data: [UInt8]) -> [UInt8] { SM3.hash(data) }
    public func authenticator(key: [UInt8]) -> any MessageAuthenticator { HMACSM3(key: key) }
    public func deriveKey(inputKeyMaterial: [UInt8], salt: [UInt8], info: [UInt8], byteCount: Int) -> [UInt8] {
        do {
            return try HKDFSM3.deriveKey(
                inputKeyMaterial: inputKeyMaterial, salt: salt, info: info, byteCount: byteCount)
        } catch {
            // HKDF over memory we own fails only for a length beyond 255 blocks, which no caller asks for.
            preconditionFailure("HKDF-SM3 failed: \(error.english)")
        }
    }
    public var signatureAlgorithm: SignatureAlgorithm { .sm2 }
    public func generateSigningKey() throws(CryptographyError) -> SigningPrivateKey {
        SigningPrivateKey(sm2: try SM2PrivateKey.generate())
    }
}

public struct InternationalSuite: CryptoSuite {
    public init() {}
    public var id: CryptoSuiteID { .intl }
    public func digest(_ data: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: data)) }
    public func authenticator(key: [UInt8]) -> any MessageAuthenticator { HMACSHA256Authenticator(key: key) }
    public func deriveKey(inputKeyMaterial: [UInt8], salt: [UInt8], info: [UInt8], byteCount: Int) -> [UInt8] {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: inputKeyMaterial), salt: salt, info: info, outputByteCount: byteCount
        ).withUnsafeBytes { Array($0) }
    }
    public var signatureAlgorithm: SignatureAlgorithm { .ed25519 }
    public func generateSigningKey() throws(CryptographyError) -> SigningPrivateKey {
        SigningPrivateKey(ed25519: Curve25519.Signing.PrivateKey())
    }
}
