import Configuration
import HuitongCore
import HuitongServices
import Testing

@Suite("Database settings")
struct DatabaseSettingsTests {
    private func settings(_ values: [AbsoluteConfigKey: ConfigContent]) throws -> NodeSettings {
        try NodeSettings(
            reader: ConfigReader(
                provider: InMemoryProvider(
                    values: values.mapValues { ConfigValue($0, isSecret: false) })))
    }

    @Test(
        "a node's PostgreSQL pool is 20 unless HUITONG_DATABASE_CONNECTIONS says otherwise; a bad value is listed with the others"
    )
    func connections() throws {
        #expect(try settings([:]).databaseConnections == 20)
        #expect(try settings(["huitong.database.connections": .int(64)]).databaseConnections == 64)
        let error = #expect(throws: ValidationError.self) {
            try settings(["huitong.database.connections": .int(1), "huitong.database.url": .string("mysql://x")])
        }
        #expect(error?.issues.map(\.field).sorted() == ["HUITONG_DATABASE_CONNECTIONS", "HUITONG_DATABASE_URL"])
        #expect(
            error?.issues.first { $0.field == "HUITONG_DATABASE_CONNECTIONS" }?.message.contains("须在 2–1000 之间，实为 1")
                == true)
    }

    @Test(
        "read replicas come from HUITONG_DATABASE_READ_URLS, for a PostgreSQL primary only, with a lag bound and a wait limit"
    )
    func replicas() throws {
        let primary: ConfigContent = .string("postgres://huitong@10.0.0.1:5432/huitong")
        let read = try settings([
            "huitong.database.url": primary,
            "huitong.database.read.urls": .string(
                " postgres://huitong@10.0.0.2:5432/huitong , postgres://huitong@10.0.0.3/huitong"),
            "huitong.replica.max.lag": .int(10),
        ])
        #expect(
            read.readReplicas == ["postgres://huitong@10.0.0.2:5432/huitong", "postgres://huitong@10.0.0.3/huitong"])
        #expect(read.replicaMaximumLag == .seconds(10))
        #expect(read.databaseWaitLimit == .seconds(3))
        #expect(try settings([:]).readReplicas.isEmpty)

        let onSQLite = #expect(throws: ValidationError.self) {
            try settings(["huitong.database.read.urls": .string("postgres://huitong@10.0.0.2/huitong")])
        }
        #expect(onSQLite?.issues.map(\.field) == ["HUITONG_DATABASE_READ_URLS"])
        #expect(onSQLite?.issues.first?.message.contains("只读副本仅用于 PostgreSQL") == true)
        let notAURL = #expect(throws: ValidationError.self) {
            try settings([
                "huitong.database.url": primary, "huitong.database.read.urls": .string("postgres://a/b,mysql://c"),
                "huitong.replica.max.lag": .int(0), "huitong.database.wait": .int(0),
            ])
        }
        #expect(
            notAURL?.issues.map(\.field).sorted()
                == ["HUITONG_DATABASE_READ_URLS", "HUITONG_DATABASE_WAIT", "HUITONG_REPLICA_MAX_LAG"])
        #expect(notAURL?.issues.first { $0.field == "HUITONG_DATABASE_READ_URLS" }?.message.contains("第 2 个地址") == true)
    }
}
