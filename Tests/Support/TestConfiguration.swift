import Configuration
import Foundation
import HuitongCore
import HuitongCrypto

/// What tests build applications from: the same `buildApplication(reader:)` as `huitong serve`, over configuration
/// held in memory.
public enum TestConfiguration {
    /// The in-memory configuration of a node under test: quiet logs, its own keys, no background services (tests
    /// run sweeps and schedules themselves), and, live, any free port on loopback.
    public static func reader(live: Bool = false) -> ConfigReader {
        ConfigReader(
            provider: InMemoryProvider(values: [
                "huitong.log.level": "warning",
                "huitong.data": ConfigValue(.string(dataDirectory), isSecret: false),
                "huitong.node.key": ConfigValue(
                    .string(Data(NodeIdentityKey.generate().rawPrivateKey).base64EncodedString()), isSecret: true),
                "huitong.node.sm2.key": ConfigValue(
                    .string(try! SM2PrivateKey.generate().pemRepresentation), isSecret: true),
                "huitong.sealing.key": ConfigValue(.string(SealingKey.random().base64), isSecret: true),
                "huitong.bcrypt.cost": 4,
                "huitong.password.iterations": 1_000,
                "huitong.background.jobs": false,
                "huitong.host": "127.0.0.1",
                "huitong.port": ConfigValue(.int(live ? 0 : 8080), isSecret: false),
            ]))
    }

    /// Spooled uploads of every test node go here.
    public static let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "huitong-tests-\(getpid())"
    ).path
}
