import ArgumentParser
import Configuration
import Foundation
import HuitongCore
import HuitongCrypto
import HuitongServices
import HuitongStore
import Logging

@main
struct Huitong: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "huitong",
        abstract: "汇通 Huitong — government data sharing, exchange and open-data platform.",
        version: HuitongVersion.current,
        subcommands: [
            Serve.self, Initialize.self, Demo.self, UserCommand.self, ImportCommand.self, AuditCommand.self,
            NodeCommand.self, PoolCommand.self, SourceCommand.self,
            BenchCatalogSearch.self, BenchAuditAppend.self, BenchAuditFill.self, BenchAuditStatistics.self,
            BenchGatewaySetup.self, BenchBareLookup.self,
        ],
        defaultSubcommand: Serve.self
    )
}

/// Options shared by every command that opens the node's database.
struct NodeOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: "Data directory (default ./huitong-data; env HUITONG_DATA).")
    var dataDirectory: String?

    @Option(
        name: .customLong("database"),
        help: "Database URL: sqlite:PATH or postgres://user:pass@host:port/db (env HUITONG_DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error (env HUITONG_LOG_LEVEL).")
    var logLevel: String?

    /// Flags first, then `HUITONG_*` environment variables, then defaults.
    func reader(extra: [String: ConfigValue] = [:]) -> ConfigReader {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        if let dataDirectory { values["huitong.data"] = ConfigValue(.string(dataDirectory), isSecret: false) }
        if let databaseURL { values["huitong.database.url"] = ConfigValue(.string(databaseURL), isSecret: true) }
        if let logLevel { values["huitong.log.level"] = ConfigValue(.string(logLevel), isSecret: false) }
        for (key, value) in extra { values[AbsoluteConfigKey(stringLiteral: "huitong.\(key)")] = value }
        return ConfigReader(providers: [
            InMemoryProvider(name: "flags", values: values),
            EnvironmentVariablesProvider(secretsSpecifier: .specific(Set(NodeSettings.secretVariables))),
        ])
    }

    func makeLogger(_ config: ConfigReader) -> Logger {
        var logger = Logger(label: "huitong")
        logger.logLevel = (try? NodeSettings(reader: config).logLevel) ?? .info
        return logger
    }

    /// Opens the database named by the configuration (creating the data directory), migrates and prepares it.
    func openStore(_ config: ConfigReader, logger: Logger) async throws -> Store {
        try await NodeStore.open(try nodeSettings(config), logger: logger)
    }
}

/// Every setting of the node, checked; a bad one stops the command with every problem listed.
func nodeSettings(_ config: ConfigReader) throws -> NodeSettings {
    do {
        return try NodeSettings(reader: config)
    } catch {
        throw ValidationError("设置有误 (invalid settings): \(error.userMessage)")
    }
}

/// Runs `body` with an open store and closes the database afterwards, whatever happens.
func withStore<Result>(
    _ options: NodeOptions, _ body: (Store, ConfigReader, Logger) async throws -> Result
) async throws -> Result {
    let config = options.reader()
    let logger = options.makeLogger(config)
    let store = try await options.openStore(config, logger: logger)
    do {
        let result = try await body(store, config, logger)
        await store.provider.shutdown()
        return result
    } catch {
        await store.provider.shutdown()
        throw error
    }
}

/// Accounts as the node keeps them: passwords hashed under its suite (resolved and recorded as `serve` does).
func accountService(_ config: ConfigReader, _ store: Store) async throws -> AccountUseCases {
    let settings = try nodeSettings(config)
    return AccountUseCases(
        store: store, bcryptCost: settings.accounts.bcryptCost,
        suite: try await NodeCryptoSuite.resolve(store, requested: settings.requestedCryptoSuite),
        passwordIterations: settings.accounts.passwordIterations)
}

/// Prints accounts with their one-time passwords, as a table a person can copy from.
func printAccounts(_ accounts: [IssuedAccount], heading: String) {
    print("")
    print(heading)
    print(String(repeating: "─", count: 72))
    for account in accounts {
        let roles = account.roles.sorted().map(\.rawValue).joined(separator: ",")
        print(
            "  \(account.username.padding(toLength: 16, withPad: " ", startingAt: 0)) \(account.password)  [\(roles)] \(account.department)"
        )
    }
    print(String(repeating: "─", count: 72))
    print("这些密码只显示一次，请妥善保存。These passwords are shown only once.")
    print("")
    // When output goes to a file or a pipe (a service manager's log), it is block-buffered: without this the
    // one-time passwords would appear only when the node stops.
    fflush(nil)
}

extension Error {
    /// The message a person should see for this error.
    var userMessage: String {
        if let error = self as? any HuitongError {
            let details = error.details.map { "\n  - \($0.field): \($0.message)" }.joined()
            return error.message.combined + details
        }
        return String(describing: self)
    }
}
