// swift-tools-version: 6.1
// libFuzzer harnesses for Loom's parsers, kept out of the main package so that it never needs
// special flags. Build and run with Scripts/fuzz.sh, whose toolset.json passes
// `-sanitize=fuzzer,address`: libFuzzer instruments for coverage and each `main.swift` hands
// its harness to `LLVMFuzzerRunDriver` (FuzzDriver); AddressSanitizer turns an out-of-bounds
// read into a crash. Each harness treats a thrown error as a pass and anything else (a trap,
// an overflow, an allocation past the RSS limit) as a finding.
import PackageDescription

let package = Package(
    name: "LoomFuzz",
    dependencies: [
        .package(name: "Loom", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "FuzzDriver"),
        .executableTarget(name: "FuzzIDX", dependencies: ["FuzzDriver", .product(name: "LoomData", package: "Loom")]),
        .executableTarget(name: "FuzzGzip", dependencies: ["FuzzDriver", .product(name: "LoomData", package: "Loom")]),
        .executableTarget(name: "FuzzSafeTensors", dependencies: [
            "FuzzDriver", .product(name: "LoomNN", package: "Loom"), .product(name: "LoomExperiments", package: "Loom"),
        ]),
        .executableTarget(name: "FuzzConfiguration", dependencies: ["FuzzDriver", .product(name: "LoomTraining", package: "Loom")]),
        .executableTarget(name: "FuzzModelFile", dependencies: [
            "FuzzDriver", .product(name: "Loom", package: "Loom"), .product(name: "LoomTraining", package: "Loom"),
        ]),
        .executableTarget(name: "FuzzCSV", dependencies: ["FuzzDriver", .product(name: "LoomData", package: "Loom")]),
        .executableTarget(name: "FuzzNumpy", dependencies: ["FuzzDriver", .product(name: "LoomData", package: "Loom")]),
        // The `loom` command's options through the library target LoomCommandLine, so they are
        // parsed exactly as the tool parses them, and config.json through LoomTraining.
        .executableTarget(name: "FuzzCommandLine", dependencies: [
            "FuzzDriver", .product(name: "LoomCommandLine", package: "Loom"),
            .product(name: "LoomTraining", package: "Loom"),
            .product(name: "LoomExperiments", package: "Loom"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
