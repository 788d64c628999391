import Foundation
import HuitongCore
import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// Reads a database that speaks the PostgreSQL protocol (PostgreSQL, openGauss, GaussDB, KingbaseES).
///
/// It connects to the one address that was checked against the upstream rules (`HostResolver.checkedAddress`),
/// reads inside a read-only transaction, and has the server render every value as text (`json_each_text` over
/// `row_to_json`), so that numbers, dates and times arrive exactly as the server writes them whatever their type.
public struct PostgresSourceConnector: ProjectingSourceConnector {
    public let address: PostgresSourceAddress
    /// The checked address to connect to (the URL's host keeps naming the server for TLS).
    public let connectTo: IPAddress
    public let relation: SourceRelation
    public var connectTimeout: Duration = .seconds(10)
    let logger: Logger

    public init(
        address: PostgresSourceAddress, connectTo: IPAddress, relation: SourceRelation,
        logger: Logger = Logger(label: "huitong.collection")
    ) {
        self.address = address
        self.connectTo = connectTo
        self.relation = relation
        self.logger = logger
    }

    public func sample(rows: Int) async throws -> SourceSample {
        try await withReadOnlyConnection { connection in
            let columns = try await self.columns(connection)
            var sample: [[String]] = []
            let query = PostgresQuery(
                unsafeSQL: "\(Self.rowsAsText) FROM (\(relation.sql)) AS src LIMIT \(max(0, min(rows, 100)))")
            for try await row in try await connection.query(query, logger: logger) {
                sample.append(try row.decode(([String]?).self) ?? [])
            }
            return SourceSample(columns: columns, rows: sample)
        }
    }

    public func highest(_ watermark: SourceWatermark) async throws -> String? {
        let column = "src.\(SourceIdentifier.quoted(watermark.column))"
        let expression =
            switch watermark.kind {
            case .increasingID: "max(\(column))::text"
            case .updateTime: "extract(epoch from max(\(column)))::float8::text"
            }
        return try await withReadOnlyConnection { connection in
            let query = PostgresQuery(unsafeSQL: "SELECT \(expression) FROM (\(relation.sql)) AS src")
            var value: String?
            for try await row in try await connection.query(query, logger: logger) {
                value = try row.decode(String?.self)
            }
            return try value.map { try watermark.kept($0, timeAsEpochSeconds: true) }
        }
    }

    /// Reads every column, or only `picked` ones, of the rows at or past `bound`.
    public func read(
        from bound: (watermark: SourceWatermark, value: WatermarkValue)?, columns picked: [String]?, batchSize: Int,
        _ body: ([(number: Int, cells: [String])]) async throws -> Void
    ) async throws {
        try await withReadOnlyConnection { connection in
            let columns: [String]
            var from = "(\(relation.sql)) AS src"
            if let picked {
                columns = picked
                let list = picked.map { "src.\(SourceIdentifier.quoted($0))" }.joined(separator: ", ")
                from = "(SELECT \(list) FROM \(from)) AS src"
            } else {
                columns = try await self.columns(connection)
            }
            let base = "\(Self.rowsAsText) FROM \(from)"
            var query = PostgresQuery(unsafeSQL: base)
            if let bound {
                let column = "src.\(SourceIdentifier.quoted(bound.watermark.column))"
                var binds = PostgresBindings()
                switch bound.value {
                case .integer(let id): binds.append(id, context: .default)
                case .time(let date): binds.append(date, context: .default)
                }
                query = PostgresQuery(unsafeSQL: "\(base) WHERE \(column) >= $1", binds: binds)
            }
            var batch: [(number: Int, cells: [String])] = [(1, columns)]
            var number = 1
            for try await row in try await connection.query(query, logger: logger) {
                number += 1
                batch.append((number, try row.decode(([String]?).self) ?? []))
                if batch.count >= batchSize {
                    try await body(batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            if !batch.isEmpty { try await body(batch) }
        }
    }

    /// Each row as the array of its values as text, in column order (NULL as empty).
    static let rowsAsText = """
        SELECT (SELECT array_agg(coalesce(e.value, '') ORDER BY e.ord)
            FROM json_each_text(row_to_json(src)) WITH ORDINALITY AS e(key, value, ord))
        """

    /// The relation's column names, found even when it has no rows: a left join to one row gives a row of NULLs
    /// that still carries every name.
    func columns(_ connection: PostgresConnection) async throws -> [String] {
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT (SELECT array_agg(e.key ORDER BY e.ord)
                    FROM json_each_text(row_to_json(x)) WITH ORDINALITY AS e(key, value, ord))
                FROM (SELECT src.* FROM (SELECT 1) AS one LEFT JOIN (\(relation.sql)) AS src ON true LIMIT 1) AS x
                """)
        var columns: [String] = []
        for try await row in try await connection.query(query, logger: logger) {
            columns = try row.decode(([String]?).self) ?? []
        }
        return columns
    }

    /// Connects, opens a read-only transaction, runs `body` and closes; every failure is told in plain words.
    func withReadOnlyConnection<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let tls: PostgresConnection.Configuration.TLS
        switch address.tls {
        case .disable: tls = .disable
        case .prefer, .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            if address.tls == .prefer { configuration.certificateVerification = .none }
            let context = try NIOSSLContext(configuration: configuration)
            tls = address.tls == .prefer ? .prefer(context) : .require(context)
        }
        var configuration = PostgresConnection.Configuration(
            host: connectTo.description, port: address.port, username: address.user, password: address.password,
            database: address.database, tls: tls)
        configuration.options.connectTimeout = TimeAmount.seconds(connectTimeout.components.seconds)
        configuration.options.tlsServerName = UpstreamTarget.literal(address.host) == nil ? address.host : nil
        configuration.options.additionalStartupParameters = [("TimeZone", "UTC")]
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch {
            throw explain(error)
        }
        do {
            try await connection.query("START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            let result = try await body(connection)
            try await connection.query("COMMIT", logger: logger)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw explain(error)
        }
    }

    /// A driver's error as the provider can act on it: a refused password, an unreachable server, or what the
    /// server said about the query (never the query or the URL).
    func explain(_ error: any Error) -> any Error {
        if error is any HuitongError { return error }
        if let error = error as? PSQLError {
            if let state = error.serverInfo?[.sqlState] {
                // 28P01 invalid_password, 28000 invalid_authorization_specification.
                if state == "28P01" || state == "28000" { return CollectionFailure.authenticationFailed }
                if state == "3D000" {
                    return CollectionFailure.sourceRefused("数据库 \(address.database) 不存在 (no such database)")
                }
                let message = error.serverInfo?[.message] ?? state
                return CollectionFailure.sourceRefused("\(String(message.prefix(300))) [SQLSTATE \(state)]")
            }
            if error.code == .connectionError || error.code == .serverClosedConnection || error.code == .sslUnsupported
            {
                return CollectionFailure.unreachable(host: address.host, port: address.port)
            }
        }
        return CollectionFailure.unreachable(host: address.host, port: address.port)
    }
}
