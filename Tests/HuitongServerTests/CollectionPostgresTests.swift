import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// A PostgreSQL source: a database of its own on the tests' PostgreSQL server (`HUITONG_TEST_DATABASE_URL`), with a
/// 10,000-row table the test changes between runs. Skipped when no server is named.
@Suite("Collection from PostgreSQL")
struct CollectionPostgresTests {
    static var adminURL: String? {
        ProcessInfo.processInfo.environment["HUITONG_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Runs `body` with a connection to a new database on the test server, and drops the database afterwards.
    static func withSourceDatabase(
        _ body: @Sendable (PostgresConnection, PostgresSourceAddress) async throws -> Void
    ) async throws {
        let admin = try PostgresSourceAddress(url: try #require(adminURL))
        let name = "collect_src_\(UUID().uuidString.prefix(8).lowercased())"
        let logger = Logger(label: "test")
        func connect(_ database: String) async throws -> PostgresConnection {
            try await PostgresConnection.connect(
                configuration: .init(
                    host: admin.host, port: admin.port, username: admin.user, password: admin.password,
                    database: database, tls: .disable),
                id: 1, logger: logger)
        }
        let server = try await connect(admin.database)
        try await server.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        var address = admin
        address.database = name
        do {
            let connection = try await connect(name)
            do {
                try await body(connection, address)
                try await connection.close()
            } catch {
                try? await connection.close()
                throw error
            }
        } catch {
            _ = try? await server.query(
                PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
            try? await server.close()
            throw error
        }
        _ = try await server.query(
            PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        try await server.close()
    }

    /// The source table as the pool should hold it: code, contact, note by code.
    static func sourceRows(_ connection: PostgresConnection) async throws -> [[String]] {
        var rows: [[String]] = []
        for try await (code, contact, note) in try await connection.query(
            "SELECT code, coalesce(contact, ''), coalesce(note, '') FROM qy ORDER BY code",
            logger: Logger(label: "test")
        ).decode((String, String, String).self) {
            rows.append([code, contact, note])
        }
        return rows
    }

    /// The source table `qy` (id, code, contact, note, updated_at a day ago) with `rows` rows.
    static func createTable(_ source: PostgresConnection, rows: Int) async throws {
        let logger = Logger(label: "test")
        try await source.query(
            """
            CREATE TABLE qy (id BIGINT PRIMARY KEY, code TEXT NOT NULL, contact TEXT, note TEXT,
                updated_at TIMESTAMPTZ NOT NULL DEFAULT now() - interval '1 day')
            """, logger: logger)
        try await source.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO qy (id, code, contact, note)
                    SELECT n, 'P' || lpad(n::text, 6, '0'), '联系人' || n, '第' || n || '条' FROM generate_series(1, \(rows)) n
                    """), logger: logger)
    }

    static func url(_ address: PostgresSourceAddress, password: String?, port: Int? = nil) -> String {
        var url = "postgres://\(address.user)"
        if let password { url += ":\(password)" }
        return url + "@127.0.0.1:\(port ?? address.port)/\(address.database)?sslmode=disable"
    }

    @Test(
        "a PostgreSQL table is collected whole, then by its watermark; the pool follows it; the password never comes back",
        .enabled(if: adminURL != nil), arguments: TestBackend.available)
    func postgresSource(_ backend: TestBackend) async throws {
        try await Self.withSourceDatabase { source, address in
            let logger = Logger(label: "test")
            try await Self.createTable(source, rows: 10_000)
            let password = "s3cret-Pw-\(UUID().uuidString.prefix(6))"
            try await CollectionAPITests.run(backend) { node, client, _ in
                let city = try await CatalogAPITests.city(node)
                let entryID = try await CollectionAPITests.entry(client, city)
                let input = CollectionAPITests.Input(
                    entryID: entryID, name: "企业库（PostgreSQL）", kind: "postgres",
                    location: Self.url(address, password: password), table: "public.qy",
                    columnMapping: ["code": "bh", "contact": "xm", "note": "bz"])
                var responses: [String] = []

                // 127.0.0.1 is not public: refused until the operator allows it, naming the field.
                let (privateStatus, privateText, _) = try await client.exchange(
                    .post, "/api/v1/collection-sources/test", token: city.provider, input: input, headers: [:])
                #expect(privateStatus == .badRequest && privateText.contains("\"location\""), "\(privateText)")
                responses.append(privateText)
                #expect(
                    try await client.status(
                        .put, "/api/v1/gateway/upstream-allowlist", token: node.operatorToken,
                        input: ["entries": ["127.0.0.1"]]) == .ok)

                // A server that refuses the password (this machine's PostgreSQL trusts local connections, so a
                // stand-in speaks the protocol's password exchange and answers 28P01, as a real server does).
                let refusing = try await RefusingPostgres.start()
                var wrong = input
                wrong.location = Self.url(address, password: "wrong", port: refusing.port)
                let (wrongStatus, wrongBody) = try await client.send(
                    .post, "/api/v1/collection-sources/test", token: city.provider, input: wrong, as: ErrorBody.self)
                try await refusing.stop()
                #expect(wrongStatus == .unprocessableContent && wrongBody.code == "source_authentication_failed")
                #expect(wrongBody.error.message.contains("密码"), "\(wrongBody.error.message)")

                // A closed port.
                var closed = input
                closed.location = Self.url(address, password: password, port: 1)
                let (closedStatus, closedBody) = try await client.send(
                    .post, "/api/v1/collection-sources/test", token: city.provider, input: closed, as: ErrorBody.self)
                #expect(closedStatus == .unprocessableContent && closedBody.code == "source_unreachable")
                #expect(closedBody.error.message.contains("127.0.0.1:1"))
                // A missing table is the source's answer, in plain words.
                var missing = input
                missing.table = "public.nope"
                let (missingStatus, missingBody) = try await client.send(
                    .post, "/api/v1/collection-sources/test", token: city.provider, input: missing, as: ErrorBody.self)
                #expect(missingStatus == .unprocessableContent && missingBody.code == "source_refused")
                // A private network the operator did not allow.
                var elsewhere = input
                elsewhere.location = "postgres://reader:x@10.255.255.1:5432/db?sslmode=disable"
                let (elsewhereStatus, elsewhereBody) = try await client.send(
                    .post, "/api/v1/collection-sources", token: city.provider, input: elsewhere, as: ErrorBody.self)
                #expect(elsewhereStatus == .badRequest && elsewhereBody.fields == ["location"])

                // Tested before it is saved.
                let (testStatus, testText, _) = try await client.exchange(
                    .post, "/api/v1/collection-sources/test", token: city.provider, input: input, headers: [:])
                #expect(testStatus == .ok, "\(testText)")
                responses.append(testText)
                let tested = try WireJSON.read(SourceTestResult.self, testText)
                #expect(tested.columns == ["id", "code", "contact", "note", "updated_at"])
                #expect(tested.sample.count == 5 && tested.missingItems.isEmpty)

                let (created, createdText, _) = try await client.exchange(
                    .post, "/api/v1/collection-sources", token: city.provider, input: input, headers: [:])
                #expect(created == .created, "\(createdText)")
                responses.append(createdText)
                let saved = try WireJSON.read(CollectionAPITests.SourceBody.self, createdText)
                #expect(saved.hasPassword && saved.location.contains(":***@127.0.0.1"), "\(saved.location)")
                let stored = try #require(try await node.store.collectionSources.find(id: saved.id))
                #expect(stored.sealedSecret != nil && !stored.location.contains(password), "sealed at rest")
                #expect(!(stored.sealedSecret ?? "").contains(password))

                let first = try await CollectionAPITests.collect(client, source: saved.id, token: city.provider)
                #expect(
                    first.status == .succeeded && first.rowsRead == 10_000 && first.rowsAccepted == 10_000, "\(first)")
                #expect(try await CollectionAPITests.pool(node, entryID) == (try await Self.sourceRows(source)))

                // Inserts, updates and deletes at the source; a whole read syncs the pool to it.
                try await source.query(
                    """
                    INSERT INTO qy (id, code, contact, note)
                    SELECT n, 'P' || lpad(n::text, 6, '0'), '新' || n, '新增' FROM generate_series(10001, 10010) n
                    """, logger: logger)
                try await source.query("UPDATE qy SET note = '已变更' WHERE id IN (1, 2, 3, 4, 5)", logger: logger)
                try await source.query("DELETE FROM qy WHERE id IN (100, 200, 300)", logger: logger)
                let second = try await CollectionAPITests.collect(client, source: saved.id, token: city.provider)
                #expect(second.status == .succeeded && second.rowsRead == 10_007, "\(second)")
                #expect(try await CollectionAPITests.pool(node, entryID) == (try await Self.sourceRows(source)))

                // An update-time watermark: the first run reads the whole table and keeps the latest time; the next
                // reads from it (less a second of overlap) and applies the changed rows by key.
                let (patchStatus, patchText, _) = try await client.exchange(
                    .patch, "/api/v1/collection-sources/\(saved.id)", token: city.provider,
                    input: CollectionAPI.Patch(
                        watermark: SourceWatermark(column: "updated_at", kind: .updateTime, overlap: 1)),
                    headers: [:])
                #expect(patchStatus == .ok, "\(patchText)")
                responses.append(patchText)
                let full = try await CollectionAPITests.collect(client, source: saved.id, token: city.provider)
                #expect(full.status == .succeeded && !full.incremental && full.rowsRead == 10_007, "\(full)")
                let mark = try #require(full.watermarkValue)
                try await source.query(
                    "UPDATE qy SET note = '再次变更', updated_at = now() WHERE id IN (10, 20, 30)", logger: logger)
                try await source.query(
                    "INSERT INTO qy (id, code, contact, note, updated_at) VALUES (20001, 'P020001', '后来', '', now())",
                    logger: logger)
                let increment = try await CollectionAPITests.collect(client, source: saved.id, token: city.provider)
                #expect(increment.status == .succeeded && increment.incremental, "\(increment)")
                // The 3 changed rows and the new one, and the 10 rows at the last highest time (inserted together,
                // re-read by the overlap); none of the 9,996 older rows.
                #expect(increment.rowsRead == 14, "only the changed rows: \(increment.rowsRead)")
                let advanced = try #require(increment.watermarkValue.flatMap(SourceWatermark.parseTime))
                let earlier = try #require(SourceWatermark.parseTime(mark))
                #expect(advanced > earlier)
                #expect(try await CollectionAPITests.pool(node, entryID) == (try await Self.sourceRows(source)))

                for uri in [
                    "/api/v1/collection-sources", "/api/v1/collection-sources/\(saved.id)",
                    "/api/v1/collection-sources/\(saved.id)/runs",
                ] {
                    let (_, text, _) = try await client.exchange(
                        .get, uri, token: city.provider, input: NoInput?.none, headers: [:])
                    responses.append(text)
                }
                let (_, retested, _) = try await client.exchange(
                    .post, "/api/v1/collection-sources/\(saved.id)/test", token: city.provider, input: NoInput(),
                    headers: [:])
                responses.append(retested)
                responses += try await auditLog(client, node).map { "\($0)" }
                for text in responses {
                    #expect(!text.contains(password), "the password never comes back: \(text.prefix(300))")
                }
                #expect(responses.contains { $0.contains("collection.run_finished") })
            }
        }
    }
}

/// A stand-in PostgreSQL server that asks for a password and refuses it (SQLSTATE 28P01), as a server configured
/// for password authentication does.
final class RefusingPostgres: Sendable {
    let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    init(channel: any Channel) { self.channel = channel }

    static func start() async throws -> RefusingPostgres {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.pipeline.addHandler(Handler()) }
            .bind(host: "127.0.0.1", port: 0).get()
        return RefusingPostgres(channel: channel)
    }

    func stop() async throws { try await channel.close() }

    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private var askedForPassword = false

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = context.channel.allocator.buffer(capacity: 128)
            if !askedForPassword {
                // The startup message: answer AuthenticationCleartextPassword.
                askedForPassword = true
                buffer.writeInteger(UInt8(ascii: "R"))
                buffer.writeInteger(Int32(8))
                buffer.writeInteger(Int32(3))
                context.writeAndFlush(NIOAny(buffer), promise: nil)
                return
            }
            // The password message: refuse it.
            var fields = context.channel.allocator.buffer(capacity: 96)
            for (code, text) in [
                ("S", "FATAL"), ("V", "FATAL"), ("C", "28P01"), ("M", "password authentication failed for user"),
            ] {
                fields.writeInteger(UInt8(ascii: Unicode.Scalar(code)!))
                fields.writeString(text)
                fields.writeInteger(UInt8(0))
            }
            fields.writeInteger(UInt8(0))
            buffer.writeInteger(UInt8(ascii: "E"))
            buffer.writeInteger(Int32(4 + fields.readableBytes))
            buffer.writeBuffer(&fields)
            let channel = context.channel
            context.writeAndFlush(NIOAny(buffer)).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
