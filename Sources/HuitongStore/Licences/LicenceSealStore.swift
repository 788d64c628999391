import Foundation
import HuitongCore
import SQLKit

/// The node's licence certificate authority as kept: its certificate (PEM) and its private key sealed with the
/// node's sealing key.
public struct StoredLicenceAuthority: Sendable, Hashable {
    public var certificatePEM: String
    public var sealedPrivateKey: String
    public var createdAt: Date

    public init(certificatePEM: String, sealedPrivateKey: String, createdAt: Date) {
        self.certificatePEM = certificatePEM
        self.sealedPrivateKey = sealedPrivateKey
        self.createdAt = createdAt
    }
}

/// One electronic seal of an issuing department.
public struct StoredLicenceSeal: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        /// Signs the department's new licences.
        case active
        /// Replaced; still verifies what it signed.
        case retired
    }

    /// The certificate's serial number (upper-case hex).
    public var serial: String
    public var departmentID: Int64
    public var certificatePEM: String
    public var sealedPrivateKey: String
    /// The seal's image (SVG).
    public var image: String
    public var validFrom: Date
    public var validUntil: Date
    public var status: Status
    public var createdAt: Date

    public init(
        serial: String, departmentID: Int64, certificatePEM: String, sealedPrivateKey: String, image: String,
        validFrom: Date, validUntil: Date, status: Status, createdAt: Date
    ) {
        self.serial = serial
        self.departmentID = departmentID
        self.certificatePEM = certificatePEM
        self.sealedPrivateKey = sealedPrivateKey
        self.image = image
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.status = status
        self.createdAt = createdAt
    }
}

/// Signs a licence version inside the transaction that writes it, so that no version is ever stored unsigned.
public typealias LicenceSigner = @Sendable (Licence) throws -> SignedLicencePackage

extension SQLLicenceRepository {
    func authority() async throws -> StoredLicenceAuthority? {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM licence_authority WHERE id = 1").first().map { row in
                StoredLicenceAuthority(
                    certificatePEM: try row.decode(column: "certificate", as: String.self),
                    sealedPrivateKey: try row.decode(column: "private_key", as: String.self),
                    createdAt: try row.decode(column: "created_at", as: Date.self))
            }
        }
    }

    func createAuthority(_ authority: StoredLicenceAuthority) async throws -> StoredLicenceAuthority {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO licence_authority (id, certificate, private_key, created_at)
                VALUES (1, \(bind: authority.certificatePEM), \(bind: authority.sealedPrivateKey),
                    \(bind: authority.createdAt))
                ON CONFLICT (id) DO NOTHING
                """
            ).run()
            // Another node may have made it first: every node keeps the first one.
            guard let row = try await sql.raw("SELECT * FROM licence_authority WHERE id = 1").first() else {
                throw StoreError.unavailable("the licence authority was written but cannot be read")
            }
            return StoredLicenceAuthority(
                certificatePEM: try row.decode(column: "certificate", as: String.self),
                sealedPrivateKey: try row.decode(column: "private_key", as: String.self),
                createdAt: try row.decode(column: "created_at", as: Date.self))
        }
    }

    func createSeal(_ seal: StoredLicenceSeal) async throws -> StoredLicenceSeal {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO licence_seals (serial, department_id, certificate, private_key, image, valid_from,
                    valid_until, status, created_at)
                VALUES (\(bind: seal.serial), \(bind: seal.departmentID), \(bind: seal.certificatePEM),
                    \(bind: seal.sealedPrivateKey), \(bind: seal.image), \(bind: seal.validFrom),
                    \(bind: seal.validUntil), \(bind: seal.status.rawValue), \(bind: seal.createdAt))
                ON CONFLICT DO NOTHING
                """
            ).run()
            // A department's first seal made by two nodes at once: both keep the one that was written. Read in the
            // same transaction, from the primary, not from a replica that may not have it yet.
            guard
                let kept = try await sql.raw(
                    """
                    SELECT * FROM licence_seals WHERE department_id = \(bind: seal.departmentID) AND status = 'active'
                    """
                ).first().map(Self.decodeSeal)
            else { throw StoreError.unavailable("the seal was written but cannot be read") }
            return kept
        }
    }

    func retireSeal(serial: String) async throws {
        try await provider.transaction { sql in
            try await sql.raw("UPDATE licence_seals SET status = 'retired' WHERE serial = \(bind: serial)").run()
        }
    }

    func activeSeal(departmentID: Int64) async throws -> StoredLicenceSeal? {
        try await provider.read { sql in
            try await sql.raw(
                "SELECT * FROM licence_seals WHERE department_id = \(bind: departmentID) AND status = 'active'"
            ).first().map(Self.decodeSeal)
        }
    }

    func seal(serial: String) async throws -> StoredLicenceSeal? {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM licence_seals WHERE serial = \(bind: serial)").first().map(Self.decodeSeal)
        }
    }

    func seals() async throws -> [StoredLicenceSeal] {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM licence_seals ORDER BY department_id, created_at").all().map(
                Self.decodeSeal)
        }
    }

    func signedPackage(_ identifier: LicenceIdentifier) async throws -> SignedLicencePackage? {
        try await provider.read { sql in
            guard
                let row = try await sql.raw(
                    "SELECT package, signature, seal_serial FROM licences WHERE identifier = \(bind: identifier.text)"
                ).first(),
                let package = try row.decode(column: "package", as: String?.self),
                let signature = try row.decode(column: "signature", as: String?.self),
                let serial = try row.decode(column: "seal_serial", as: String?.self)
            else { return nil }
            guard let signatureBytes = Data(base64Encoded: signature) else {
                throw StoreError.unavailable("licence \(identifier.text): its signature is not base64")
            }
            return SignedLicencePackage(
                bytes: Array(package.utf8), signature: Array(signatureBytes), sealSerial: serial)
        }
    }

    static func storeSignature(
        _ signed: SignedLicencePackage, of identifier: LicenceIdentifier, _ sql: any SQLDatabase
    ) async throws {
        try await sql.raw(
            """
            UPDATE licences SET package = \(bind: String(decoding: signed.bytes, as: UTF8.self)),
                signature = \(bind: Data(signed.signature).base64EncodedString()), seal_serial = \(bind: signed.sealSerial)
            WHERE identifier = \(bind: identifier.text)
            """
        ).run()
    }

    static func decodeSeal(_ row: any SQLRow) throws -> StoredLicenceSeal {
        StoredLicenceSeal(
            serial: try row.decode(column: "serial", as: String.self),
            departmentID: try row.decode(column: "department_id", as: Int64.self),
            certificatePEM: try row.decode(column: "certificate", as: String.self),
            sealedPrivateKey: try row.decode(column: "private_key", as: String.self),
            image: try row.decode(column: "image", as: String.self),
            validFrom: try row.decode(column: "valid_from", as: Date.self),
            validUntil: try row.decode(column: "valid_until", as: Date.self),
            status: try stored(StoredLicenceSeal.Status.self, row, "status"),
            createdAt: try row.decode(column: "created_at", as: Date.self))
    }
}
