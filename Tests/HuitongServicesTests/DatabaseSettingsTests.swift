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
}
