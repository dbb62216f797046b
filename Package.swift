// swift-tools-version: 6.1
// Loom: a deep learning system in Swift. See README.md.
import PackageDescription

let package = Package(
    name: "Loom",
    products: [
        .library(name: "Loom", targets: ["Loom"]),
        .library(name: "LoomNN", targets: ["LoomNN"]),
        .library(name: "LoomOptimizers", targets: ["LoomOptimizers"]),
        .library(name: "LoomData", targets: ["LoomData"]),
        .library(name: "LoomTraining", targets: ["LoomTraining"]),
        .library(name: "LoomExperiments", targets: ["LoomExperiments"]),
        .library(name: "LoomDistributed", targets: ["LoomDistributed"]),
        .library(name: "LoomCommandLine", targets: ["LoomCommandLine"]),
        .executable(name: "loom", targets: ["loom"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation` (Scripts/check-documentation.sh); no target depends on it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // Hand-written CPU kernels (packed GEMM with AVX-512 / AVX2 / portable paths chosen at
        // run time, the worker pool). C so that ISA-specific code needs only
        // `__attribute__((target(...)))`, never `unsafeFlags`.
        .target(
            name: "CLoomKernels",
            linkerSettings: [.linkedLibrary("pthread", .when(platforms: [.linux]))]
        ),
        // Gives Loom the git revision being built (LoomVersion.sourceRevision), before every build.
        .plugin(name: "SourceRevision", capability: .buildTool()),
        .target(name: "Loom", dependencies: ["CLoomKernels"], plugins: ["SourceRevision"]),
        .target(name: "LoomNN", dependencies: ["Loom"]),
        .target(name: "LoomOptimizers", dependencies: ["Loom", "LoomNN"]),
        // The system zlib, for gzip-compressed datasets (Debian: zlib1g-dev).
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        .target(
            name: "LoomData",
            dependencies: ["Loom", "CZlib"],
            // The 8×8 digits set (CC BY 4.0, see its README) is compiled in, from
            // EmbeddedDigits.swift (Scripts/embed-digits.py), so a copied `loom` needs no
            // resource bundle; the files stay for provenance, tests and scripts.
            exclude: ["Resources/digits"]
        ),
        // The training runtime: configuration, trainer, run directories, model files.
        .target(name: "LoomTraining", dependencies: ["Loom", "LoomNN", "LoomOptimizers", "LoomData"]),
        // The lecture's experiments, plots and the HTML report, on top of the training layer.
        .target(name: "LoomExperiments", dependencies: ["Loom", "LoomNN", "LoomOptimizers", "LoomData", "LoomTraining"]),
        // Open MPI, opened with dlopen at run time (no build-time dependency; see DISTRIBUTED.md).
        .target(name: "CMPIShim", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(name: "LoomDistributed", dependencies: ["CMPIShim", "Loom", "LoomNN", "LoomData", "LoomTraining"]),
        // The `loom` command's subcommands: they map flags to library types and nothing more.
        // A library so that tests and the fuzzer parse options exactly as the tool does.
        .target(
            name: "LoomCommandLine",
            dependencies: ["Loom", "LoomNN", "LoomOptimizers", "LoomData", "LoomTraining", "LoomExperiments", "LoomDistributed",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "loom", dependencies: ["LoomCommandLine"]),
        // The README's program, compiled and run by CI (Scripts/check-readme-example.sh).
        .executableTarget(name: "GettingStarted", dependencies: ["Loom", "LoomNN", "LoomOptimizers", "LoomData"], path: "Examples/GettingStarted"),
        .target(name: "LoomTestSupport", dependencies: ["Loom"]),
        .executableTarget(
            name: "loom-bench",
            dependencies: ["Loom", "LoomNN", "LoomOptimizers", "CLoomKernels"],
            path: "Benchmarks/LoomBenchmarks"
        ),
        // Times CSVReader on one file, for Benchmarks/csv_reading.py (against pandas).
        .executableTarget(name: "loom-csv-bench", dependencies: ["LoomData"], path: "Benchmarks/CSVReading"),
        .testTarget(name: "LoomTests", dependencies: ["Loom", "LoomTestSupport"]),
        .testTarget(name: "LoomKernelTests", dependencies: ["CLoomKernels"]),
        .testTarget(name: "LoomDataTests", dependencies: ["Loom", "LoomData"], exclude: ["Fixtures"]),
        .testTarget(
            name: "LoomTrainingTests",
            dependencies: ["Loom", "LoomNN", "LoomOptimizers", "LoomData", "LoomTraining", "LoomExperiments", "LoomCommandLine"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "LoomExperimentsTests", dependencies: ["Loom", "LoomNN", "LoomOptimizers", "LoomData", "LoomTraining", "LoomExperiments"]),
        .testTarget(name: "LoomDistributedTests", dependencies: ["LoomDistributed", "LoomTraining", "LoomData", "LoomNN", "Loom"]),
        .testTarget(name: "LoomNNTests", dependencies: ["Loom", "LoomNN", "LoomTestSupport"]),
        .testTarget(name: "LoomOptimizersTests", dependencies: ["CLoomKernels", "Loom", "LoomNN", "LoomOptimizers", "LoomTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
