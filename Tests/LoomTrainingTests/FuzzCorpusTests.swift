import Foundation
import LoomExperiments
import Testing

@testable import LoomCommandLine
@testable import LoomTraining

/// The committed seeds of `FuzzCommandLine` (`Fuzz/corpus/command-line`, written by
/// `Fuzz/make-corpus.py`) must be inputs the tool accepts: a seed that is refused at once
/// teaches libFuzzer nothing past the first check.
@Suite("Fuzz seeds of the command line")
struct FuzzCorpusTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fuzz/corpus/command-line").standardized

    /// Command-line words: `bytes` split at NUL bytes (none for no bytes), as the harness splits them.
    func words(_ bytes: some Collection<UInt8>) -> [String] {
        bytes.isEmpty ? [] : bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test("every seed parses and validates as its kind: config.json, loom experiment options, loom train options")
    func seedsAreAccepted() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).sorted()
        #expect(names.filter { $0.hasPrefix("config-") }.count >= 4)
        #expect(names.filter { $0.hasPrefix("experiment-") }.count == 6)
        for name in names {
            let bytes = try Data(contentsOf: Self.directory.appendingPathComponent(name))
            switch bytes.first {
            case UInt8(ascii: "{"):
                #expect(throws: Never.self, "\(name)") { try TrainingConfiguration.read(from: bytes, source: name) }
            case 0x01:
                #expect(throws: Never.self, "\(name)") { try ExperimentCommand.experiment(parsing: words(bytes.dropFirst())) }
            default:
                #expect(throws: Never.self, "\(name)") { try Train.parse(words(bytes)).makeConfiguration() }
            }
        }
    }

    @Test("the version-1 and version-2 seeds of the default run read to the same configuration, but for its epochs")
    func versionsAgree() throws {
        let v1 = try TrainingConfiguration.read(from: Data(contentsOf: Self.directory.appendingPathComponent("config-v1-default")), source: "v1")
        var v2 = try TrainingConfiguration.read(from: Data(contentsOf: Self.directory.appendingPathComponent("config-default")), source: "v2")
        #expect(v2.epochs == 1)
        v2.epochs = v1.epochs
        #expect(v1 == v2)
        // A version-1 file always names its epochs (20 by default); the automatic count of
        // version 2 gives the same 20 on the digits.
        var defaults = TrainingConfiguration()
        #expect(defaults.resolvedEpochs(trainingExamples: 1437) == 20)
        defaults.epochs = 20
        // It names its batch size too (32 for every optimizer then), which the default of
        // version 2 resolves to for Adam.
        #expect(defaults.resolvedBatchSize(trainingExamples: 1437) == 32)
        defaults.batchSize = 32
        #expect(v1 == defaults)
    }
}
