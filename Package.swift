// swift-tools-version:6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "huitong",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "huitong", targets: ["huitong"]),
        // For the fuzz package (fuzz/Package.swift), which depends on this one by path.
        .library(name: "HuitongCore", targets: ["HuitongCore"]),
        .library(name: "HuitongIngest", targets: ["HuitongIngest"]),
        .library(name: "HuitongServices", targets: ["HuitongServices"]),
        .library(name: "HuitongServer", targets: ["HuitongServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // OpenSSL 3's libcrypto (Debian's libssl-dev) for SM2, SM3 and SM4, which swift-crypto does not have.
        .systemLibrary(name: "CLibcrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // libqrencode for the QR codes of licences (a printed licence's link to its verification, 亮证).
        .systemLibrary(name: "CQRencode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .target(
            name: "HuitongCrypto",
            dependencies: [
                "CLibcrypto",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HuitongCore",
            dependencies: [
                "HuitongCrypto",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HuitongStore",
            dependencies: [
                "HuitongCore",
                "HuitongCrypto",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HuitongIngest",
            dependencies: [
                "HuitongCore",
                "HuitongStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HuitongFederation",
            dependencies: [
                "HuitongCore",
                "HuitongCrypto",
                "HuitongStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HuitongServices",
            dependencies: [
                "HuitongCore",
                "HuitongCrypto",
                "HuitongFederation",
                "HuitongIngest",
                "HuitongStore",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HuitongDemo",
            dependencies: ["HuitongCore", "HuitongIngest", "HuitongServices", "HuitongStore"],
            resources: [.copy("Resources")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HuitongServer",
            dependencies: [
                "CQRencode",
                "HuitongCore",
                "HuitongCrypto",
                "HuitongFederation",
                "HuitongIngest",
                "HuitongServices",
                "HuitongStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HuitongTestSupport",
            dependencies: [
                "HuitongCore",
                "HuitongCrypto",
                "HuitongStore",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            path: "Tests/Support",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "huitong",
            dependencies: [
                "HuitongCore",
                "HuitongCrypto",
                "HuitongDemo",
                "HuitongFederation",
                "HuitongIngest",
                "HuitongServer",
                "HuitongServices",
                "HuitongStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HuitongCoreTests",
            dependencies: [
                "HuitongCore",
                "HuitongCrypto",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HuitongCryptoTests",
            dependencies: ["HuitongCrypto", "HuitongTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HuitongIngestTests",
            dependencies: ["HuitongCore", "HuitongIngest", "HuitongStore", "HuitongTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HuitongStoreTests",
            dependencies: [
                "HuitongCore",
                "HuitongCrypto", "HuitongStore", "HuitongTestSupport", .product(name: "SQLKit", package: "sql-kit"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "huitongTests",
            dependencies: [
                "huitong",
                "HuitongCore",
                "HuitongCrypto",
                "HuitongDemo",
                "HuitongFederation",
                "HuitongServer",
                "HuitongServices",
                "HuitongStore",
                "HuitongTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HuitongServicesTests",
            dependencies: [
                "HuitongCore", "HuitongCrypto", "HuitongServices", "HuitongStore", "HuitongTestSupport",
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HuitongServerTests",
            dependencies: [
                "HuitongCore",
                "HuitongCrypto",
                "HuitongDemo",
                "HuitongStore",
                "HuitongIngest",
                "HuitongServer",
                "HuitongServices",
                "HuitongTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
