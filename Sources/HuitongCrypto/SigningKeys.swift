import Crypto
import Foundation

public enum SignatureAlgorithm: String, Sendable, Hashable, Codable, CaseIterable {
    case ed25519 = "Ed25519"
    /// SM2 with SM3 and the GM/T 0009 default user ID.
    case sm2 = "SM2-with-SM3"

    /// The suite whose signatures these are.
    public var suite: CryptoSuiteID {
        switch self {
        case .ed25519: .intl
        case .sm2: .gm
        }
    }
}

/// A private signing key of either suite.
public struct SigningPrivateKey: Sendable {
    private enum Storage: Sendable {
        case ed25519(Curve25519.Signing.PrivateKey)
        case sm2(SM2PrivateKey)
    }

    private let storage: Storage

    public init(ed25519 key: Curve25519.Signing.PrivateKey) {
        self.storage = .ed25519(key)
    }

    public init(sm2 key: SM2PrivateKey) {
        self.storage = .sm2(key)
    }

    public var algorithm: SignatureAlgorithm {
        switch storage {
        case .ed25519: .ed25519
        case .sm2: .sm2
        }
    }

    /// The SM2 key, which also decrypts what was encrypted to it; nil for an Ed25519 key.
    public var sm2Key: SM2PrivateKey? {
        switch storage {
        case .ed25519: nil
        case .sm2(let key): key
        }
    }

    public var publicKey: SigningPublicKey {
        switch storage {
        case .ed25519(let key): SigningPublicKey(ed25519: key.publicKey)
        case .sm2(let key): SigningPublicKey(sm2: key.publicKey)
        }
    }

    public func signature(for message: [UInt8]) throws(CryptographyError) -> [UInt8] {
        switch storage {
        case .ed25519(let key):
            do {
                return Array(try key.signature(for: message))
            } catch {
                throw CryptographyError.libcrypto(operation: "Ed25519 sign", detail: "\(error)")
            }
        case .sm2(let key):
            return try key.signature(for: message)
        }
    }
}

/// A public signing key of either suite, named by a short key ID that records nothing secret.
public struct SigningPublicKey: Sendable, Hashable {
    private enum Storage: Sendable, Hashable {
        case ed25519(raw: [UInt8])
        case sm2(SM2PublicKey)
    }

    private let storage: Storage

    public init(ed25519 key: Curve25519.Signing.PublicKey) {
        self.storage = .ed25519(raw: Array(key.rawRepresentation))
    }

    public init(sm2 key: SM2PublicKey) {
        self.storage = .sm2(key)
    }

    /// The key from its raw bytes: Ed25519's 32 bytes, or SM2's 65-byte uncompressed point.
    public init(algorithm: SignatureAlgorithm, rawRepresentation bytes: [UInt8]) throws(CryptographyError) {
        switch algorithm {
        case .ed25519:
            guard bytes.count == 32, (try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)) != nil else {
                throw CryptographyError.malformedKey(expected: "a 32-byte Ed25519 public key")
            }
            self.storage = .ed25519(raw: bytes)
        case .sm2:
            self.storage = .sm2(try SM2PublicKey(uncompressedPoint: bytes))
        }
    }

    /// Reads a `PUBLIC KEY` PEM block of either algorithm.
    public init(pemRepresentation text: String) throws(CryptographyError) {
        guard let der = PEM.decode(text, label: "PUBLIC KEY") else {
            throw CryptographyError.malformedKey(expected: "a PEM \"PUBLIC KEY\" block")
        }
        if der.count == Self.ed25519Prefix.count + 32, Array(der.prefix(Self.ed25519Prefix.count)) == Self.ed25519Prefix
        {
            try self.init(algorithm: .ed25519, rawRepresentation: Array(der.suffix(32)))
        } else {
            self.init(sm2: try SM2PublicKey(subjectPublicKeyInfo: der))
        }
    }

    /// The SubjectPublicKeyInfo prefix of an Ed25519 key (RFC 8410), before its 32 bytes.
    private static let ed25519Prefix: [UInt8] = [
        0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00,
    ]

    public var algorithm: SignatureAlgorithm {
        switch storage {
        case .ed25519: .ed25519
        case .sm2: .sm2
        }
    }

    /// Ed25519's 32 bytes, or SM2's 65-byte uncompressed point `04 ‖ X ‖ Y`.
    public var rawRepresentation: [UInt8] {
        switch storage {
        case .ed25519(let raw): raw
        case .sm2(let key): key.uncompressedPoint
        }
    }

    public var base64: String { Data(rawRepresentation).base64EncodedString() }

    /// The SM2 key, for encrypting to its holder; nil for an Ed25519 key.
    public var sm2Key: SM2PublicKey? {
        switch storage {
        case .ed25519: nil
        case .sm2(let key): key
        }
    }

    /// The SubjectPublicKeyInfo as PEM, what `openssl pkey -pubin` and `pkeyutl -pubin` read.
    public var pemRepresentation: String {
        switch storage {
        case .ed25519(let raw): PEM.encode(Self.ed25519Prefix + raw, label: "PUBLIC KEY")
        case .sm2(let key): key.pemRepresentation
        }
    }

    /// The first 8 bytes of the suite's hash over the raw public key, in hex: SHA-256 for Ed25519 (the key IDs that
    /// existing checkpoints and peers carry), SM3 for SM2.
    public var keyID: String {
        let digest = algorithm.suite.suite.digest(rawRepresentation)
        return digest.prefix(8).map { byte in
            let text = String(byte, radix: 16)
            return byte < 0x10 ? "0" + text : text
        }.joined()
    }

    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        switch storage {
        case .ed25519(let raw):
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
            return key.isValidSignature(signature, for: message)
        case .sm2(let key):
            return key.isValidSignature(signature, for: message)
        }
    }
}
