// swift-tools-version: 6.0
// Loom: multimodal batch work (captions, questions, transcripts, search) on Linux CPUs.
// Data flows one way: Media -> Features -> (Models) -> Tasks -> writers / index. See docs/ARCHITECTURE.md.
import PackageDescription

/// Release builds of the numeric modules drop bounds checks in inner loops. Debug builds keep the
/// checks but still optimize: real-model tests run a 135M-parameter model, minutes unoptimized.
let numericSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]

/// The commit `loom --version` names: LOOM_COMMIT from the environment, which the Makefile sets.
let commit = (Context.environment["LOOM_COMMIT"] ?? "").filter { $0.isHexDigit }
let buildInfoSettings: [CSetting] = commit.isEmpty ? [] : [.define("LOOM_COMMIT", to: "\"\(commit)\"")]

/// LOOM_CORE_ONLY=1 builds the library without the network stack (the Hub client, the server, the
/// CLI and their tests): the sanitizer and fuzz builds need only the core, and SwiftNIO, the HTTP
/// client and Hummingbird under a sanitizer are most of their build time (docs/ARCHITECTURE.md, Tests).
let coreOnly = Context.environment["LOOM_CORE_ONLY"] == "1"

/// LOOM_TEST_TARGETS=A,B keeps only those test targets: the ThreadSanitizer build compiles just the
/// suites it runs (Makefile, sanitize-thread).
let keptTestTargets = Context.environment["LOOM_TEST_TARGETS"].map { Set($0.split(separator: ",").map(String.init)) }

let package = Package(
    name: "Loom",
    platforms: [.macOS(.v14)],
    products: (coreOnly ? [] : [.executable(name: "loom", targets: ["LoomCLI"])]) + [
        .library(name: "Loom", targets: [
            "LoomCheck", "LoomTensor", "LoomWeights", "LoomMedia", "LoomFeatures", "LoomModelStore",
            "LoomTokenizers", "LoomModels", "LoomGeneration", "LoomTasks", "LoomIndex", "LoomPipeline", "LoomPostgres",
            "LoomQueue",
        ]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // SHA-256 in the model store (also the TLS stack's, for the Hub client).
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ] + (coreOnly ? [] : networkPackages),
    targets: (coreTargets + (coreOnly ? [] : networkTargets)).filter { target in
        target.type != .test || keptTestTargets?.contains(target.name) ?? true
    }
)

/// The network stack: the command line, Hub downloads (LoomHub), the tests' Hub-shaped server
/// (LoomHubTestSupport) and `loom serve`.
var networkPackages: [Package.Dependency] {
    [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ]
}

var coreTargets: [Target] {
    [
        // C libraries from Debian's -dev packages (Scripts/bootstrap installs them).
        .target(
            name: "CLoomImage",
            cSettings: [.unsafeFlags(["-I/usr/include/libpng16"])],
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg")]),
        .systemLibrary(
            name: "CLoomAudio", pkgConfig: "sndfile",
            providers: [.apt(["libsndfile1-dev", "libsoxr-dev"])]),
        .systemLibrary(
            name: "CLoomMath", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "libfftw3-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        .target(name: "CLoomBuildInfo", cSettings: buildInfoSettings),

        // Quantized dot-product kernels in C: AVX2 bodies picked at run time, portable C otherwise.
        .target(name: "CLoomKernels", cSettings: [.unsafeFlags(["-O3"])]),

        // The one always-on check for programmer errors (kept in -Ounchecked builds, unlike precondition).
        .target(name: "LoomCheck"),
        .target(name: "LoomTensor", dependencies: ["LoomCheck", "CLoomMath", "CLoomKernels"], swiftSettings: numericSettings),
        .target(name: "LoomWeights", dependencies: ["LoomCheck", "LoomTensor"], swiftSettings: numericSettings),
        .target(name: "LoomMedia", dependencies: ["LoomCheck", "CLoomImage", "CLoomAudio"], swiftSettings: numericSettings),
        .target(
            name: "LoomFeatures", dependencies: ["LoomCheck", "LoomMedia", "LoomTensor", "CLoomMath"],
            swiftSettings: numericSettings),
        .target(name: "LoomTokenizers", dependencies: ["LoomCheck", "LoomWeights"], swiftSettings: numericSettings),
        .target(
            name: "LoomModels", dependencies: ["LoomCheck", "LoomTensor", "LoomWeights", "LoomFeatures", "LoomTokenizers", "CLoomKernels"],
            swiftSettings: numericSettings),
        .target(name: "LoomGeneration", dependencies: ["LoomTensor"], swiftSettings: numericSettings),
        .target(name: "LoomTasks", dependencies: [
            "LoomCheck", "LoomMedia", "LoomFeatures", "LoomModels", "LoomTokenizers", "LoomGeneration", "LoomModelStore",
        ]),
        // PostgreSQL through libpq: parameterized statements, text or binary results (issue #19).
        .target(name: "LoomPostgres", dependencies: ["CLibPQ"]),
        // A pipeline's work queue in PostgreSQL: claims under a lease and a token (issue #19).
        .target(name: "LoomQueue", dependencies: ["LoomPostgres"]),
        // The mixed-media search index: one SQLite file through GRDB (issue #6), or a PostgreSQL
        // database (issue #19).
        .target(
            name: "LoomIndex",
            dependencies: [
                "LoomCheck", "LoomTensor", "LoomMedia", "LoomFeatures", "LoomModels", "LoomTokenizers", "LoomTasks", "LoomModelStore",
                "LoomPostgres", "CLoomMath", .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // Declarative YAML pipelines and the resumable batch runner (issue #7).
        .target(
            name: "LoomPipeline",
            dependencies: [
                "LoomMedia", "LoomModels", "LoomTasks", "LoomIndex", "LoomModelStore", "LoomQueue",
                .product(name: "Yams", package: "Yams"),
            ]),
        // Checking 100 MB files unoptimized is slow; the store is built optimized even in debug.
        .target(
            name: "LoomModelStore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: [.unsafeFlags(["-O"])]),

        .target(name: "LoomTestSupport", dependencies: ["LoomModelStore"], path: "Tests/LoomTestSupport"),
        .testTarget(name: "LoomTensorTests", dependencies: ["LoomTensor", "LoomTestSupport"]),
        .testTarget(name: "LoomWeightsTests", dependencies: ["LoomWeights", "LoomTestSupport"]),
        .testTarget(name: "LoomMediaTests", dependencies: ["LoomMedia", "LoomTestSupport"]),
        .testTarget(name: "LoomFeaturesTests", dependencies: ["LoomFeatures", "LoomMedia", "LoomTestSupport"]),
        .testTarget(name: "LoomTokenizersTests", dependencies: ["LoomTokenizers", "LoomWeights", "LoomTestSupport"]),
        .testTarget(
            name: "LoomModelsTests",
            dependencies: [
                "LoomModels", "LoomTensor", "LoomWeights", "LoomFeatures", "LoomMedia", "LoomTokenizers", "LoomTestSupport",
            ]),
        .testTarget(name: "LoomGenerationTests", dependencies: ["LoomGeneration", "LoomTensor", "LoomTestSupport"]),
        .testTarget(name: "LoomTasksTests", dependencies: ["LoomTasks", "LoomTestSupport"]),
        .testTarget(name: "LoomPostgresTests", dependencies: ["LoomPostgres", "LoomTestSupport"]),
        .testTarget(name: "LoomQueueTests", dependencies: ["LoomQueue", "LoomPostgres", "LoomTestSupport"]),
        .testTarget(name: "LoomIndexTests", dependencies: ["LoomIndex", "LoomPostgres", "LoomTasks", "LoomModels", "LoomTestSupport"]),
        .testTarget(name: "LoomPipelineTests", dependencies: ["LoomPipeline", "LoomTasks", "LoomTestSupport"]),
        .testTarget(name: "LoomModelStoreTests", dependencies: ["LoomModelStore", "LoomTestSupport"]),
    ]
}

var networkTargets: [Target] {
    [
        // Hub downloads over HTTP (issue #14), behind the store's HubFetching seam.
        .target(
            name: "LoomHub",
            dependencies: [
                "LoomModelStore", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: [.unsafeFlags(["-O"])]),
        // `loom serve`: OpenAI-compatible routes and the index's search API over HTTP (issue #17).
        .target(
            name: "LoomServer",
            dependencies: [
                "LoomCheck", "LoomMedia", "LoomFeatures", "LoomModels", "LoomTokenizers", "LoomGeneration", "LoomTasks",
                "LoomIndex", "LoomModelStore", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
        .executableTarget(
            name: "LoomCLI",
            dependencies: [
                "LoomCheck", "LoomTensor", "LoomWeights", "LoomMedia", "LoomFeatures", "LoomModelStore", "LoomHub",
                "LoomTokenizers", "LoomModels", "LoomGeneration", "LoomTasks", "LoomIndex", "LoomPipeline", "LoomServer",
                "LoomQueue", "LoomPostgres", "CLoomBuildInfo", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // A Hub-shaped HTTP server on 127.0.0.1 for the pull tests.
        .target(
            name: "LoomHubTestSupport",
            dependencies: [
                "LoomModelStore", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/LoomHubTestSupport"),
        .testTarget(name: "LoomHubTests", dependencies: ["LoomHub", "LoomModelStore", "LoomHubTestSupport", "LoomTestSupport"]),
        .testTarget(name: "LoomCLITests", dependencies: ["LoomTestSupport", "LoomHubTestSupport", "LoomIndex", "LoomPostgres"]),
        .testTarget(name: "LoomServerTests", dependencies: ["LoomServer", "LoomTasks", "LoomTestSupport"]),
    ]
}
