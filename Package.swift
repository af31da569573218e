// swift-tools-version:6.0
import PackageDescription

// Hot loops live in Tensor and Engine: they are always built optimised, for AVX2+FMA (every machine of this kind has
// them), without exclusivity checks (40-220x slower inner loops otherwise; see docs/DECISIONS.md), so that
// `swift test` in debug stays fast enough to run real models.
let kernelFlags: [SwiftSetting] = [
    .unsafeFlags(["-O", "-target-cpu", "haswell", "-enforce-exclusivity=unchecked"]),
]

let package = Package(
    name: "Lathe",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "lathe", targets: ["lathe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas"),
        .target(name: "CSupport"),
        .systemLibrary(name: "CNCurses"),
        .systemLibrary(name: "CZlib"),
        .target(name: "Terminal", dependencies: ["CNCurses"]),
        .target(name: "Tensor", dependencies: ["CBLAS", "CSupport"], swiftSettings: kernelFlags),
        .target(name: "Tokenizer", swiftSettings: kernelFlags),
        .target(name: "Durability"),
        .target(name: "Engine", dependencies: ["Tensor", "Tokenizer", "Durability"], swiftSettings: kernelFlags),
        .target(name: "Datasets", dependencies: ["Tokenizer"]),
        .target(name: "Stats"),
        .target(name: "Fuzzing"),
        .target(name: "Store", dependencies: ["Durability", .product(name: "GRDB", package: "GRDB.swift"),
                                             .product(name: "TOMLKit", package: "TOMLKit")]),
        .target(name: "Runs", dependencies: ["Engine", "Datasets", "Store", "Stats", "Tensor", "Durability"]),
        .target(name: "Vision", dependencies: ["CZlib", "Engine", "Tensor", "Stats", "Datasets", "Tokenizer", "Durability"],
                swiftSettings: kernelFlags),
        .target(name: "Server", dependencies: ["Runs", "Engine", "Datasets", "Store", .product(name: "Hummingbird", package: "hummingbird"),
                                              .product(name: "Logging", package: "swift-log")]),
        .target(name: "Workbench", dependencies: ["Terminal", "Runs", "Server", "Engine", "Datasets", "Store", "Tensor", "Tokenizer", "Vision"]),
        .executableTarget(
            name: "lathe",
            dependencies: ["Engine", "Datasets", "Store", "Stats", "Runs", "Terminal", "Workbench", "Server", "Vision", "Fuzzing", "Tokenizer",
                           "Durability", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Tokenizer"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Tokenizer"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "Durability", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "StatsTests", dependencies: ["Stats"]),
        .testTarget(name: "TerminalTests", dependencies: ["Terminal"]),
        .testTarget(name: "WorkbenchTests", dependencies: ["Workbench", "Runs", "Terminal", "Store"], exclude: ["Goldens"]),
        .testTarget(name: "CLITests", dependencies: ["Store", "Vision"]),
        .testTarget(name: "RunsTests", dependencies: ["Runs", "Engine", "Store", "Datasets", "Tokenizer"]),
        .testTarget(name: "VisionTests", dependencies: ["Vision", "Engine", "Tensor", "Stats", "Store", "Datasets", "Tokenizer"]),
    ],
    swiftLanguageModes: [.v5]
)
