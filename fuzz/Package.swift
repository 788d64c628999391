// swift-tools-version:6.1
// libFuzzer targets for Huitong's parsers of untrusted input (issue 16). Kept out of the main package so that
// `swift build` and `swift test` neither build nor need them: build and run them with `scripts/fuzz`, which uses
//     swift build --package-path fuzz --scratch-path .build-fuzz --sanitize=fuzzer --sanitize=address \
//         -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing
// Each target is one main.swift holding an `@_cdecl("LLVMFuzzerTestOneInput")` function; libFuzzer supplies
// `main`, so the targets link only with the fuzzer sanitizer.
import PackageDescription

// A path dependency is known by its directory's name (`huitong` in a fresh clone, the worktree's name elsewhere).
let root = Context.packageDirectory.split(separator: "/").dropLast().last.map(String.init)?.lowercased() ?? "huitong"

func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: dependencies, path: "Sources/\(name)")
}

let package = Package(
    name: "huitong-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.0.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
    ],
    targets: [
        fuzzTarget("FuzzCSV", [.product(name: "HuitongIngest", package: root)]),
        fuzzTarget(
            "FuzzXLSX",
            [
                .product(name: "HuitongIngest", package: root),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]),
        fuzzTarget("FuzzJSONRows", [.product(name: "HuitongIngest", package: root)]),
        fuzzTarget("FuzzIdentifiers", [.product(name: "HuitongCore", package: root)]),
        // MultipartUpload is internal to HuitongServer: scripts/fuzz builds with -enable-testing for @testable.
        fuzzTarget(
            "FuzzMultipart",
            [
                .product(name: "HuitongServer", package: root),
                .product(name: "HuitongCore", package: root),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
    ],
    swiftLanguageModes: [.v5]
)
