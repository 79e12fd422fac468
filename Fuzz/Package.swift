// swift-tools-version:6.0
// GatehouseFuzz: libFuzzer targets for Gatehouse, a package apart so the main build never sees them.
//
// Built and run by scripts/fuzz (which explains its flags):
//   swift build -c release --package-path Fuzz --scratch-path .build-fuzz \
//       --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address \
//       -Xswiftc -parse-as-library -Xswiftc -enable-testing
import PackageDescription

/// Same upcoming features as the main package (shared/STYLE.md).
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

/// The pipeline target drives NIO handlers on an EmbeddedChannel, like GatehouseServer's own
/// targets it stays in the Swift 5 language mode (see the main Package.swift).
let nioSettings: [SwiftSetting] = strictSettings + [.swiftLanguageMode(.v5)]

/// What the targets that drive NIO's HTTP types on an EmbeddedChannel all use.
let embeddedHTTP: [Target.Dependency] = [
    "FuzzSupport",
    .product(name: "GatehouseCore", package: "Gatehouse"),
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
    .product(name: "NIOEmbedded", package: "swift-nio"),
]

let package = Package(
    name: "GatehouseFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named, so the products below resolve whatever the checkout's directory is called.
        .package(name: "Gatehouse", path: ".."),
        // The same requirements as the main package: one resolution for both.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        /// What more than one target needs.
        .target(name: "FuzzSupport", swiftSettings: strictSettings),
        .executableTarget(
            name: "FuzzConfigLoader",
            dependencies: ["FuzzSupport", .product(name: "GatehouseCore", package: "Gatehouse")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "FuzzRequestHead",
            dependencies: embeddedHTTP + [
                .product(name: "GatehouseServer", package: "Gatehouse"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: nioSettings
        ),
        .executableTarget(
            name: "FuzzProxyPipeline",
            dependencies: embeddedHTTP + [.product(name: "GatehouseServer", package: "Gatehouse")],
            swiftSettings: nioSettings
        ),
        .executableTarget(
            name: "FuzzResponseParser",
            dependencies: embeddedHTTP,
            swiftSettings: nioSettings
        ),
        .executableTarget(
            name: "FuzzCacheHeaders",
            dependencies: [
                "FuzzSupport",
                .product(name: "GatehouseCore", package: "Gatehouse"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
