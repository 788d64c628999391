import Foundation
import HuitongCore
import HuitongCrypto
import Synchronization

/// GB/T 39786-2021 level 3, 8.4 e (重要数据存储机密性): the pool columns a version names in `encryptedColumns` hold
/// `ColumnCipher` values — SM4-CTR from a synthetic IV that is the HMAC-SM3 of the value — under a key derived
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
        try transform(rows, columns: version.columns, version) { cipher, values, context, _ in
            try cipher.encrypt(values, context: context)
        }
    }

    /// Keys (values in `version.keyColumns` order) as they are stored.
    func sealed(keys: [[String]], _ version: PoolVersion) throws -> [[String]] {
        // Most pools encrypt no key column: their keys (a gateway call's, an increment's) pass untouched.
        guard version.keyColumns.contains(where: version.encryptedColumns.contains) else { return keys }
        return try transform(keys.map { $0.map(Optional.some) }, columns: version.keyColumns, version) {
            cipher, values, context, _ in
            try cipher.encrypt(values, context: context)
        }.map { $0.map { $0 ?? "" } }
    }

    /// Rows read from `version` (values in `columns` order) as clear text.
    func opened(_ rows: [[String?]], columns: [String], _ version: PoolVersion) throws -> [[String?]] {
        try transform(rows, columns: columns, version) { cipher, values, context, column in
            do {
                return try cipher.decrypt(values, context: context)
            } catch {
                throw StoreError.encryptedValueViolation(table: version.tableName, column: column)
            }
        }
    }

    /// Runs `body` over the values of each encrypted column among `columns`, a column at a time (one set of
    /// libcrypto contexts per column and batch).
    private func transform(
        _ rows: [[String?]], columns: [String], _ version: PoolVersion,
        _ body: (ColumnCipher, [String?], [UInt8], String) throws -> [String?]
    ) throws -> [[String?]] {
        let positions = columns.indices.filter { version.encryptedColumns.contains(columns[$0]) }
        guard !positions.isEmpty, !rows.isEmpty else { return rows }
        let cipher = try keyed()
        var rows = rows
        for position in positions {
            let values = rows.map { position < $0.count ? $0[position] : nil }
            let changed = try body(cipher, values, Self.context(version, columns[position]), columns[position])
            for index in rows.indices where position < rows[index].count { rows[index][position] = changed[index] }
        }
        return rows
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
