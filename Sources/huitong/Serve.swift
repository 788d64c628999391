import ArgumentParser
import Configuration
import Foundation
import HuitongCore
import HuitongServer
import HuitongStore
import Hummingbird
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the platform (HTTP API, gateway and pages).")

    @OptionGroup var node: NodeOptions

    @Option(help: "Port to listen on (default 8080; env HUITONG_PORT).")
    var port: Int?

    @Option(help: "Address to bind (default 127.0.0.1; env HUITONG_HOST). Use 0.0.0.0 to serve other machines.")
    var host: String?

    @Flag(help: "Load the demo city (六安市) into an empty database.")
    var demo = false

    func run() async throws {
        var extra: [String: ConfigValue] = [:]
        if let port { extra["port"] = ConfigValue(.int(port), isSecret: false) }
        if let host { extra["host"] = ConfigValue(.string(host), isSecret: false) }
        let config = node.reader(extra: extra)
        let logger = node.makeLogger(config)
        let store: Store
        do {
            store = try await node.openStore(config, logger: logger)
        } catch {
            throw ValidationError("cannot open the database: \(error.userMessage)")
        }
        var configuration = ServerConfiguration(
            host: config.string(forKey: "huitong.host", default: "127.0.0.1"),
            port: config.int(forKey: "huitong.port", default: 8080),
            bcryptCost: UInt8(clamping: config.int(forKey: "huitong.bcrypt.cost", default: 12)),
            secureCookies: config.bool(forKey: "huitong.cookies.secure", default: false),
            publicURL: config.string(forKey: "huitong.public.url"))
        configuration.version = HuitongVersion.current
        do {
            let accounts = AccountService(store: store, bcryptCost: configuration.bcryptCost)
            if demo {
                if let issued = try await DemoData.load(into: accounts) {
                    printAccounts(issued, heading: "演示数据已加载 (demo data loaded) — 账号 accounts:")
                } else {
                    logger.notice("the database already holds data; the demo was not loaded again")
                }
            }
            if let issued = try await Bootstrap.ensureOperator(accounts) {
                printAccounts([issued], heading: "已创建平台管理员 (operator account created):")
            }
            let audit = AuditTrail(
                repository: store.audit, nodeKey: try node.loadNodeKey(config, create: true),
                configuration: node.auditConfiguration(config), logger: Logger(label: "huitong.audit"))
            let app = try await HuitongApp.buildApplication(
                store: store, configuration: configuration, logger: logger, audit: audit)
            print(
                "Huitong \(HuitongVersion.current) on http://\(configuration.host):\(configuration.port) (\(store.backend.rawValue))"
            )
            fflush(nil)
            try await app.runService()
        } catch {
            await store.provider.shutdown()
            throw error
        }
    }
}

struct Initialize: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create or upgrade the database and the first operator account.")

    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await withStore(node) { store, config, _ in
            if let issued = try await Bootstrap.ensureOperator(accountService(store, config)) {
                printAccounts([issued], heading: "已创建平台管理员 (operator account created):")
            } else {
                print("数据库已是最新 (database is up to date); operator accounts already exist.")
            }
        }
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load the demo city (六安市) into an empty database.")

    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await withStore(node) { store, config, _ in
            guard let issued = try await DemoData.load(into: accountService(store, config)) else {
                throw ValidationError("数据库中已有数据，未加载演示数据 (the database already holds data; demo not loaded)")
            }
            printAccounts(issued, heading: "演示数据已加载 (demo data loaded) — 账号 accounts:")
        }
    }
}
