import Foundation
import HuitongCore
import HuitongCrypto
import Synchronization

/// GB/T 39786-2021 level 3, 8.4 e (重要数据存储机密性): the pool columns a version names in `encryptedColumns` hold
/// `ColumnCipher` values — SM4-CBC under a synthetic IV that is the HMAC-SM3 of the value — under a key derived
/// from the node's sealing key, which lives outside the database. The repository encrypts at its entry (rows,
/// keys) and decrypts what it hands out, so nothing above it sees ciphertext and nothing below it sees clear text.
/// Because equal values encrypt equally within a column, the key index, lookups by key, a snapshot's comparison and
/// retiring unseen keys work on the stored text unchanged; row conditions and ranges, which compare content, are
/// refused on an encrypted column.
public final class PoolColumnCipher: Sendable {
    private let cipher = Mutex<ColumnCipher?>(nil)
    static let derivationInfo = "huitong pool columns v1"

    public init() {}

    /// Takes the column key from the node's sealing key (HKDF-SM3).
    public func use(_ sealingKey: SealingKey) {
        let material = sealingKey.derivedKey(
            info: Self.derivationInfo, suite: .gm, byteCount: ColumnCipher.keyMaterialByteCount)
        let keyed = try? ColumnCipher(keyMaterial: material)
        cipher.withLock { $0 = keyed }
    }

    public var isKeyed: Bool { cipher.withLock { $0 != nil } }

    private func keyed() throws(StoreError) -> ColumnCipher {
        guard let keyed = cipher.withLock({ $0 }) else { throw StoreError.columnKeyMissing }
        return keyed
    }

    /// Binds a value to its pool and column: a value copied into another column or pool does not open.
    static func context(_ version: PoolVersion, _ column: String) -> [UInt8] {
        Array("pool \(version.entryID) \(column)".utf8)
    }

    /// Rows (values in `version.columns` order) as they are stored.
    func sealed(_ rows: [[String?]], _ version: PoolVersion) throws -> [[String?]] {
        let positions = version.columns.indices.filter { version.encryptedColumns.contains(version.columns[$0]) }
        guard !positions.isEmpty else { return rows }
        let cipher = try keyed()
        let contexts = positions.map { Self.context(version, version.columns[$0]) }
        return try rows.map { row in
            var row = row
            for (position, context) in zip(positions, contexts) where position < row.count {
                if let value = row[position] { row[position] = try cipher.encrypt(value, context: context) }
            }
            return row
        }
    }

    /// Keys (values in `version.keyColumns` order) as they are stored.
    func sealed(keys: [[String]], _ version: PoolVersion) throws -> [[String]] {
        let positions = version.keyColumns.indices.filter { version.encryptedColumns.contains(version.keyColumns[$0]) }
        guard !positions.isEmpty else { return keys }
        let cipher = try keyed()
        let contexts = positions.map { Self.context(version, version.keyColumns[$0]) }
        return try keys.map { key in
            var key = key
            for (position, context) in zip(positions, contexts) where position < key.count {
                key[position] = try cipher.encrypt(key[position], context: context)
            }
            return key
        }
    }

    /// Rows read from `version` (values in `columns` order) as clear text.
    func opened(_ rows: [[String?]], columns: [String], _ version: PoolVersion) throws -> [[String?]] {
        let positions = columns.indices.filter { version.encryptedColumns.contains(columns[$0]) }
        guard !positions.isEmpty, !rows.isEmpty else { return rows }
        let cipher = try keyed()
        let contexts = positions.map { Self.context(version, columns[$0]) }
        return try rows.map { row in
            var row = row
            for (position, context) in zip(positions, contexts) where position < row.count {
                guard let stored = row[position] else { continue }
                do {
                    row[position] = try cipher.decrypt(stored, context: context)
                } catch {
                    throw StoreError.encryptedValueViolation(table: version.tableName, column: columns[position])
                }
            }
            return row
        }
    }
}

extension Store {
    /// GB/T 39786 8.4 e: the columns of an entry a new pool table holds encrypted — those `policy` names, on a node
    /// that runs `gm`; none under `intl`, or without a policy.
    public func columnsEncryptedAtRest(_ content: CatalogEntryContent, policy: GradePolicy?) async throws -> Set<String>
    {
        guard let policy, try await crypto.recordedSuite() == .gm else { return [] }
        return policy.columnsEncryptedAtRest(content)
    }
}
