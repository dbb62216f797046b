// swift-tools-version: 6.1
// Loom: a deep learning system in Swift. See README.md.
import PackageDescription

let package = Package(
    name: "Loom",
    products: [
        .library(name: "Loom", targets: ["Loom"]),
        .library(name: "LoomNN", targets: ["LoomNN"]),
        .library(name: "LoomOptimizers", targets: ["LoomOptimizers"]),
    ],
    targets: [
        // Hand-written CPU kernels (packed GEMM with AVX-512 / AVX2 / portable paths chosen at
        // run time, the worker pool). C so that ISA-specific code needs only
        // `__attribute__((target(...)))`, never `unsafeFlags`.
        .target(
            name: "CLoomKernels",
            linkerSettings: [.linkedLibrary("pthread", .when(platforms: [.linux]))]
        ),
        .target(name: "Loom", dependencies: ["CLoomKernels"]),
        .target(name: "LoomNN", dependencies: ["Loom"]),
        .target(name: "LoomOptimizers", dependencies: ["Loom", "LoomNN"]),
        .target(name: "LoomTestSupport", dependencies: ["Loom"]),
        .executableTarget(
            name: "loom-bench",
            dependencies: ["Loom", "CLoomKernels"],
            path: "Benchmarks/LoomBenchmarks"
        ),
        .testTarget(name: "LoomTests", dependencies: ["Loom", "LoomTestSupport"]),
        .testTarget(name: "LoomKernelTests", dependencies: ["CLoomKernels"]),
        .testTarget(name: "LoomNNTests", dependencies: ["Loom", "LoomNN", "LoomTestSupport"]),
        .testTarget(name: "LoomOptimizersTests", dependencies: ["Loom", "LoomNN", "LoomOptimizers", "LoomTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
