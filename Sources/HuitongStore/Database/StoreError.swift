import HuitongCore
import NIOCore
import PostgresNIO
import SQLiteNIO

/// Failures of the storage layer, each with a message a user can act on.
public enum StoreError: HuitongError, Equatable {
    case notFound(entity: String, key: String)
    /// A unique field already holds this value.
    case duplicate(field: String, value: String)
    /// The change would break a rule the store keeps (e.g. deleting a department that still has users).
    case conflict(BilingualText)
    /// A referenced row does not exist.
    case missingReference(field: String, value: String)
    case badDatabaseURL(String)
    /// The database cannot be used safely (for example WAL or synchronous=FULL could not be set).
    case unsafeDatabase(String)
    case unavailable(String)
    /// The database server cannot be reached (down, restarting, or no connection free within the wait limit):
    /// nothing was written, and the request may be tried again shortly.
    case databaseUnreachable
    /// A row of access-control data (a grant, an account, a credential, an application system, a grade label or
    /// the grade policy) whose MAC does not verify: it was changed behind the store. Nothing is granted on it.
    case integrityViolation(table: String, id: String)
    /// The node has no key to check access-control rows with (`RowIntegrity.use`), so it refuses them all.
    case integrityKeyMissing
    /// A value of a pool column encrypted at rest that does not open: altered, moved from another column, or
    /// written under another sealing key. The read is refused rather than answered with a wrong value.
    case encryptedValueViolation(table: String, column: String)
    /// The node has no key for the pool columns it encrypts at rest (`PoolColumnCipher.use`).
    case columnKeyMissing

    /// Whether this is `integrityViolation`: an access-control row that was changed behind the store.
    public var isIntegrityViolation: Bool {
        if case .integrityViolation = self { true } else { false }
    }

    public var code: String {
        switch self {
        case .notFound: "not_found"
        case .duplicate: "duplicate"
        case .conflict: "conflict"
        case .missingReference: "missing_reference"
        case .badDatabaseURL: "bad_database_url"
        case .unsafeDatabase: "unsafe_database"
        case .unavailable: "database_unavailable"
        case .databaseUnreachable: "database_unreachable"
        case .integrityViolation: "integrity_violation"
        case .integrityKeyMissing: "integrity_key_missing"
        case .encryptedValueViolation: "integrity_violation"
        case .columnKeyMissing: "column_key_missing"
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .notFound: .notFound
        case .duplicate, .conflict: .conflict
        case .missingReference: .unprocessable
        case .badDatabaseURL: .badInput
        case .unsafeDatabase, .unavailable, .databaseUnreachable, .integrityKeyMissing, .columnKeyMissing: .unavailable
        // Refused like any other access that is not allowed: the caller learns what failed, never the data.
        case .integrityViolation, .encryptedValueViolation: .forbidden
        }
    }

    public var message: BilingualText {
        switch self {
        case .notFound(let entity, let key):
            BilingualText(zh: "未找到\(Self.entityName(entity))：\(key)", en: "\(entity) not found: \(key)")
        case .duplicate(let field, let value):
            BilingualText(zh: "\(field) 已存在：\(value)", en: "\(field) already exists: \(value)")
        case .conflict(let text):
            text
        case .missingReference(let field, let value):
            BilingualText(
                zh: "\(field) 引用的记录不存在：\(value)", en: "\(field) refers to a record that does not exist: \(value)")
        case .badDatabaseURL(let url):
            BilingualText(
                zh: "数据库地址无法识别：\(url)（应为 sqlite:路径 或 postgres://…）",
                en: "unrecognised database URL \(url) (expected sqlite:PATH or postgres://…)")
        case .unsafeDatabase(let reason):
            BilingualText(zh: "数据库设置不安全：\(reason)", en: "database settings are unsafe: \(reason)")
        case .unavailable(let reason):
            BilingualText(zh: "数据库不可用：\(reason)", en: "database unavailable: \(reason)")
        case .databaseUnreachable:
            BilingualText(
                zh: "数据库暂时无法连接，本次操作未执行，请稍后再试",
                en: "the database cannot be reached just now; nothing was done, try again shortly")
        case .integrityViolation(let table, let id):
            BilingualText(
                zh: "访问控制数据完整性校验失败：表 \(table) 的第 \(id) 行已在数据库中被改动，已拒绝访问；请联系管理员核查",
                en:
                    "access-control data failed its integrity check: row \(id) of table \(table) was changed in the database; access is refused, ask an administrator to investigate"
            )
        case .encryptedValueViolation(let table, let column):
            BilingualText(
                zh: "加密存储的数据校验失败：表 \(table) 的字段 \(column) 中有值已在数据库中被改动或不属于该字段，已拒绝读取；请联系管理员核查",
                en:
                    "encrypted data failed its check: a value in column \(column) of table \(table) was changed in the database or belongs elsewhere; the read is refused, ask an administrator to investigate"
            )
        case .columnKeyMissing:
            BilingualText(
                zh: "本节点未加载数据加密密钥（密封密钥），无法读写加密存储的字段",
                en:
                    "this node has not loaded its data encryption key (the sealing key) and cannot read or write encrypted columns"
            )
        case .integrityKeyMissing:
            BilingualText(
                zh: "本节点未加载完整性校验密钥（密封密钥），拒绝读取访问控制数据",
                en: "this node has not loaded its integrity key (the sealing key) and refuses access-control data")
        }
    }

    public var details: [FieldIssue] {
        switch self {
        case .duplicate(let field, _), .missingReference(let field, _):
            [FieldIssue(field: field, message: message)]
        default:
            []
        }
    }

    private static func entityName(_ entity: String) -> String {
        switch entity {
        case "department": "部门"
        case "user": "用户"
        case "token": "令牌"
        case "application system": "应用系统"
        case "pool version": "资源池版本"
        case "code set": "代码集"
        case "open access request": "有条件开放申请"
        case "open dataset": "开放数据集"
        case "key": "密钥"
        default: entity
        }
    }

    /// When PostgreSQL refused a value for not fitting its column's type (SQLSTATE class 22, data exception, e.g. a
    /// date column given `1990-13-01`), the column it names in the COPY's context (empty when it names none); nil
    /// for any other error. The value itself, which may be personal data, is not taken.
    static func columnOutOfType(in error: any Error) -> String? {
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState], state.hasPrefix("22") else {
            return nil
        }
        let context = error.serverInfo?[.locationContext] ?? ""
        guard let range = context.range(of: ", column ") else { return "" }
        return String(context[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" })
    }

    /// A value that does not fit its pool column's type, as the provider's load reports it: which column, never the
    /// value.
    static func valueOutOfType(column: String) -> ValidationError {
        let name = column.isEmpty ? "" : "“\(column)”"
        return ValidationError(
            field: column.isEmpty ? "rows" : column,
            BilingualText(
                zh: "字段\(name)中有值不符合其数据类型（日期、数值或逻辑值），整批数据未写入",
                en:
                    "a value in column \(column.isEmpty ? "?" : column) does not fit its type (a date, a number or a true/false); nothing of the batch was written"
            ))
    }

    /// Whether a PostgreSQL error says the server is gone rather than that a statement failed: the connection broke
    /// or could not be made, or the server is shutting down, starting up or in recovery (SQLSTATE classes 08 and
    /// 57P). Such a request was not carried out and may be tried again elsewhere.
    static func isConnectionFailure(_ error: any Error) -> Bool {
        if error is ChannelError || error is IOError { return true }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
            return true
        case .server:
            guard let state = error.serverInfo?[.sqlState] else { return false }
            return state.hasPrefix("08") || state.hasPrefix("57P")
        default:
            return false
        }
    }

    /// When a driver error says that a UNIQUE constraint rejected a write, the text naming the constraint or
    /// column (e.g. `departments.credit_code` or `departments_credit_code_key`); nil for any other error.
    static func uniqueViolation(in error: any Error) -> String? {
        if let error = error as? SQLiteError,
            error.reason == .constraintUniqueFailed || error.reason == .constraintPrimaryKeyFailed
                || (error.reason == .constraint && error.message.contains("UNIQUE"))
        {
            return error.message
        }
        if let error = error as? SQLiteLoadError, error.isUniqueViolation { return error.message }
        if let error = error as? PSQLError, error.serverInfo?[.sqlState] == "23505" {
            return error.serverInfo?[.constraintName] ?? ""
        }
        return nil
    }
}
