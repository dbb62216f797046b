import Foundation
import Loom
import LoomNN
import Testing

@testable import LoomTraining

/// Memory checks before allocation, files Loom may replace, and interruption (RELIABILITY.md).
@Suite("Reliability: memory, file kinds, interruption")
struct ReliabilityResourceTests {
    @Test("work is refused exactly when its estimate passes the machine's memory")
    func memoryCheck() throws {
        let available = try #require(MemoryRequirement.availableBytes)
        #expect(throws: Never.self) { try MemoryRequirement.check(available, for: "x") }
        #expect(throws: MemoryError.self) { try MemoryRequirement.check(available + 1, for: "x") }
        #expect(throws: MemoryError.self) { try MemoryRequirement.check(nil, for: "x") }
        do {
            try MemoryRequirement.check(available + 1, for: "training the network 1-2-3")
        } catch let error as MemoryError {
            #expect(error.description.hasPrefix("training the network 1-2-3 needs about "))
            #expect(error.description.hasSuffix("of memory; this machine has \(MemoryRequirement.describe(available))"))
        }
    }

    @Test("the training estimate counts nine copies of the float32 parameters and a batch's activations")
    func trainingEstimate() throws {
        let architecture = MLPArchitecture(widths: [64, 30000, 30000, 10], activation: .relu)
        let parameters = try #require(architecture.parameterCount)
        let bytes = try #require(MemoryEstimate.training(architecture, batchSize: 32))
        let activations = 32 * (64 + 30000 + 30000 + 10) * MemoryEstimate.activationCopies * 4
        #expect(bytes == parameters * MemoryEstimate.trainingCopies * 4 + activations)
        #expect(MemoryEstimate.training(MLPArchitecture(widths: [Int.max / 2, 4], activation: .relu), batchSize: 1) == nil)
        // The network of issue 17: refused before allocation wherever it does not fit.
        var configuration = TrainingConfiguration()
        configuration.model.hiddenWidths = [30000, 30000]
        if bytes > MemoryRequirement.availableBytes ?? .max {
            #expect(throws: RunError.self) { try TrainingRun.checkModelSize(configuration, inputFeatures: 64, classCount: 10, batchSize: 32) }
        }
    }

    @Test("an atomic write replaces a regular file and refuses a directory, a symbolic link or a FIFO")
    func replacesOnlyRegularFiles() throws {
        let directory = try temporaryDirectory("kinds")
        let regular = directory.appendingPathComponent("regular")
        try AtomicFile.write([1], to: regular)
        try AtomicFile.write([2], to: regular)
        #expect(try Data(contentsOf: regular) == Data([2]))
        let link = directory.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: regular)
        let fifo = directory.appendingPathComponent("fifo")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        for (target, kind) in [(directory, "a directory"), (link, "a symbolic link"), (fifo, "not a regular file")] {
            #expect(AtomicFile.nonRegularKind(at: target)?.hasPrefix(kind) == true, "\(target.lastPathComponent)")
            #expect(throws: CheckpointError.self) { try AtomicFile.write([3], to: target) }
        }
        #expect(try Data(contentsOf: regular) == Data([2]))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == regular.path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".tmp") }.isEmpty)
    }

    @Test("an interruption names the signal and its conventional exit status")
    func interruptedStatus() {
        #expect(Interrupted(signal: 15).exitStatus == 143)
        #expect(Interrupted(signal: 2).exitStatus == 130)
        #expect(Interrupted(signal: 15).description == "interrupted by SIGTERM")
        #expect(RunError.interrupted(signal: 2, checkpoint: "the last good checkpoint is X").description
            == "interrupted by SIGINT; the last good checkpoint is X")
    }
}
