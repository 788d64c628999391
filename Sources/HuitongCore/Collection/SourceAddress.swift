import Foundation

/// A PostgreSQL-protocol source's URL, `postgres://user:password@host:port/database?sslmode=…`, taken apart so that
/// the password can be sealed apart from the rest and the host checked against the upstream rules.
public struct PostgresSourceAddress: Sendable, Hashable {
    /// Why a URL is refused, for the `location` field.
    public struct Refusal: Error, Sendable {
        public let reason: BilingualText
    }

    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, prefer, require
    }

    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var tls: TLSMode

    public init(url: String) throws(Refusal) {
        func refuse(_ zh: String, _ en: String) -> Refusal { Refusal(reason: BilingualText(zh: zh, en: en)) }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            ["postgres", "postgresql"].contains(scheme)
        else {
            throw refuse(
                "须为 postgres://用户:密码@主机:端口/数据库 形式的地址",
                "must be a URL like postgres://user:password@host:port/database")
        }
        guard let host = components.host, !host.isEmpty else { throw refuse("地址缺少主机", "the URL names no host") }
        guard let user = components.user, !user.isEmpty else { throw refuse("地址缺少用户名", "the URL names no user") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw refuse("地址缺少数据库名", "the URL names no database")
        }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else {
                throw refuse("不支持的连接参数“\(item.name)”", "unsupported connection parameter “\(item.name)”")
            }
            guard let mode = TLSMode(rawValue: item.value ?? "") else {
                throw refuse("sslmode 须为 disable、prefer 或 require", "sslmode must be disable, prefer or require")
            }
            tls = mode
        }
        self.user = user
        self.password = components.password.flatMap { $0.isEmpty ? nil : $0 }
        self.host = host
        self.port = components.port ?? 5432
        self.database = database
        self.tls = tls
    }

    /// The URL without a password: what the store keeps beside the sealed password.
    public var withoutPassword: String { text(password: nil) }

    /// The URL as shown to anyone: the password, if there is one, as `***`.
    public func masked(hasPassword: Bool) -> String { text(password: hasPassword ? "***" : nil) }

    /// The URL with `password` in it: what a form's separate password field makes of the URL it was given with.
    public func with(password: String) -> String { text(password: password) }

    private func text(password: String?) -> String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = user
        components.password = password
        components.host = host
        components.port = port
        components.path = "/" + database
        components.queryItems = [URLQueryItem(name: "sslmode", value: tls.rawValue)]
        return components.string ?? "postgres://"
    }
}

/// The names and queries a source may give: plain identifiers, quoted when used, and a single read-only SELECT.
public enum SourceIdentifier {
    /// A column or table name: a letter or underscore, then letters, digits or underscores (at most 63).
    public static func isName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, (1...63).contains(text.count) else { return false }
        let isLetter = { (scalar: Unicode.Scalar) in
            (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || scalar == "_"
        }
        return isLetter(first) && text.unicodeScalars.allSatisfy { isLetter($0) || ($0 >= "0" && $0 <= "9") }
    }

    /// `table` or `schema.table`.
    public static func isQualifiedName(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return (1...2).contains(parts.count) && parts.allSatisfy { isName(String($0)) }
    }

    /// The name quoted for SQL (`"schema"."table"`); only for names `isQualifiedName` accepts.
    public static func quoted(_ name: String) -> String {
        name.split(separator: ".").map { "\"\($0)\"" }.joined(separator: ".")
    }

    /// Why a query is not a single read-only SELECT, or nil. The query also runs in a read-only transaction (on
    /// SQLite a query-only connection): this check gives a clear answer first.
    public static func readOnlyProblem(_ query: String) -> BilingualText? {
        let text = query.trimmingCharacters(in: .whitespacesAndNewlines)
        let lowered = text.lowercased()
        if text.isEmpty || text.count > 10_000 {
            return BilingualText(zh: "查询须为 1–10000 个字符", en: "the query must be 1–10000 characters")
        }
        if !(lowered.hasPrefix("select") || lowered.hasPrefix("with")) {
            return BilingualText(zh: "只接受以 SELECT 或 WITH 开头的只读查询", en: "only a read-only SELECT (or WITH) query")
        }
        if text.contains(";") {
            return BilingualText(zh: "查询只能是一条语句，不能含分号", en: "the query must be one statement, without “;”")
        }
        if text.contains("$") || text.contains("?") {
            return BilingualText(zh: "查询不能含参数占位符（$ 或 ?）", en: "the query must not hold placeholders ($ or ?)")
        }
        return nil
    }
}
