import ArgumentParser
import Configuration
import Foundation
import HuitongCore
import HuitongDemo
import HuitongIngest
import HuitongServer
import HuitongServices
import HuitongStore
import Hummingbird
import Logging
import NIOCore

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the platform (HTTP API, gateway and pages).")

    @OptionGroup var node: NodeOptions
    @OptionGroup var identity: IdentityOptions

    @Option(help: "Port to listen on (default 8080; env HUITONG_PORT).")
    var port: Int?

    @Option(help: "Address to bind (default 127.0.0.1; env HUITONG_HOST). Use 0.0.0.0 to serve other machines.")
    var host: String?

    @Flag(help: "Load the demo city (六安市) into an empty database.")
    var demo = false

    func run() async throws {
        var extra = identity.values
        if let port { extra["port"] = ConfigValue(.int(port), isSecret: false) }
        if let host { extra["host"] = ConfigValue(.string(host), isSecret: false) }
        let app: any ApplicationProtocol
        do {
            app = try await HuitongApp.buildApplication(
                reader: node.reader(extra: extra),
                beforeServing: { node in
                    if demo {
                        if let issued = try await DemoData.load(
                            into: node.useCases.accounts, sharing: node.useCases.sharing,
                            licences: node.useCases.licences, matters: node.useCases.matters,
                            audit: node.useCases.audit.log)
                        {
                            printAccounts(issued, heading: "演示数据已加载 (demo data loaded) — 账号 accounts:")
                        } else {
                            node.logger.notice("the database already holds data; the demo was not loaded again")
                        }
                    }
                    if let issued = try await Bootstrap.ensureOperator(
                        node.useCases.accounts, bureau: .init(node: node.configuration.federation.profile))
                    {
                        printAccounts([issued], heading: "已创建平台管理员 (operator account created):")
                    }
                    let configuration = node.configuration
                    print(
                        "Huitong \(HuitongVersion.current) on http://\(configuration.host):\(configuration.port) (\(node.store.backend.rawValue))"
                    )
                    if let port = configuration.metricsPort {
                        print("Metrics on http://\(configuration.metricsHost):\(port)/metrics")
                    }
                    fflush(nil)
                })
        } catch let error as HuitongCore.ValidationError {
            throw ArgumentParser.ValidationError("设置有误 (invalid settings):\(error.userMessage)")
        }
        try await app.runService()
    }
}

struct Initialize: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create or upgrade the database and the first operator account.")

    @OptionGroup var node: NodeOptions
    @OptionGroup var identity: IdentityOptions

    func run() async throws {
        let config = node.reader(extra: identity.values)
        let logger = node.makeLogger(config)
        let store = try await node.openStore(config, logger: logger)
        do {
            let settings = try NodeSettings(reader: config)
            let suite = try await NodeCryptoSuite.resolve(store, requested: settings.requestedCryptoSuite)
            let profile = try await NodeIdentity.resolve(store, requested: settings.identity)
            print(
                "节点 node: \(profile.region.code) (\(profile.level.label.zh) \(profile.level.rawValue)) \(profile.name)")
            print("密码套件 crypto suite: \(suite.rawValue)")
            if let issued = try await Bootstrap.ensureOperator(
                try await accountService(config, store), bureau: .init(node: profile))
            {
                printAccounts([issued], heading: "已创建平台管理员 (operator account created):")
            } else {
                print("数据库已是最新 (database is up to date); operator accounts already exist.")
            }
        } catch {
            await store.provider.shutdown()
            throw error
        }
        await store.provider.shutdown()
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load the demo city (六安市) into an empty database.")

    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await withStore(node) { store, config, _ in
            // The demo's grants go on the audit log like any other grant.
            let audit = try await node.auditTrail(store, config)
            let settings = try nodeSettings(config)
            let sharing = SharingUseCases(store: store, settings: settings.sharing, audit: audit.log)
            // The demo's licences are sealed with the node's sealing key, as `serve` would seal them.
            var (sealingKey, _) = try SealingKeyLoader.load(
                base64: settings.credentials.sealingKeyText, dataDirectory: settings.dataDirectory)
            sealingKey.suite = audit.suite
            let licences = LicenceUseCases(
                store: store, sealingKey: sealingKey,
                holderKeys: LicenceHolderKeys(digests: IdentityDigests(nodeKey: audit.nodeKey, suite: audit.suite)),
                settings: settings.licences,
                // The node's stored identity, as `serve` reads it: the CA names this region.
                region: try await storedNodeProfile(store, config).region,
                audit: audit.log)
            let matters = MatterUseCases(
                store: store, audit: audit, licences: licences, codeParser: settings.matterCodes)
            guard
                let issued = try await DemoData.load(
                    into: try await accountService(config, store), sharing: sharing, licences: licences,
                    matters: matters, audit: audit.log)
            else {
                throw ValidationError("数据库中已有数据，未加载演示数据 (the database already holds data; demo not loaded)")
            }
            printAccounts(issued, heading: "演示数据已加载 (demo data loaded) — 账号 accounts:")
        }
    }
}
