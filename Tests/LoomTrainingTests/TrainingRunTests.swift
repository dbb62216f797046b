import Foundation
import Loom
import LoomData
import LoomNN
import LoomOptimizers
import Testing

@testable import LoomTraining

func temporaryDirectory(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("loom-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite("Training runs", .serialized)
struct TrainingRunTests {
    /// A small, quick configuration on the bundled digits.
    func configuration(epochs: Int) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.model.hiddenWidths = [32]
        c.epochs = epochs
        c.batchSize = 64
        c.optimizer.learningRate = 3e-3
        c.seed = 11
        return c
    }

    @Test("a short run on the bundled digits reaches 90% test accuracy and writes its files")
    func shortRunLearnsDigits() throws {
        let url = try temporaryDirectory("run")
        defer { try? FileManager.default.removeItem(at: url) }
        let run = try TrainingRun(configuration: configuration(epochs: 8), directory: RunDirectory(url))
        let summary = try run.run()
        #expect(try #require(summary.testAccuracy) >= 0.90, "test accuracy \(summary.testAccuracy ?? 0)")
        #expect(summary.epochs == 8)
        #expect(summary.parameterCount == 64 * 32 + 32 + 32 * 10 + 10)
        let directory = try RunDirectory(url)
        let metrics = try directory.readMetrics(EpochMetrics.self)
        #expect(metrics.map(\.epoch) == Array(1...8))
        #expect(metrics.last!.trainLoss < metrics.first!.trainLoss)
        let saved = try TrainingConfiguration.read(from: directory.configURL)
        #expect(saved == configuration(epochs: 8))
        let summaryData = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.summaryURL)) as! [String: Any]
        for key in ["testAccuracy", "testLoss", "trainLoss", "epochs", "seconds", "parameterCount"] {
            #expect(summaryData[key] != nil, "summary.json lacks \(key)")
        }
    }

    @Test("the same seed gives bit-identical weights; another seed does not")
    func reproducible() throws {
        func weights(seed: UInt64) throws -> [Float] {
            var c = configuration(epochs: 2)
            c.seed = seed
            let run = try TrainingRun(configuration: c, directory: nil)
            try run.run()
            return run.model.parameters.flatMap { $0.value.asArray(Float.self) }
        }
        #expect(try weights(seed: 5) == weights(seed: 5))
        #expect(try weights(seed: 5) != weights(seed: 6))
    }

    @Test("stopping after k epochs and resuming gives the same checkpoint bytes as one run")
    func resumeIsExact() throws {
        var c = configuration(epochs: 4)
        c.model.dropout = 0.2
        c.optimizer = .sgd(.init(momentum: 0.9))
        c.optimizer.learningRate = 0.05
        let whole = try temporaryDirectory("whole"), parts = try temporaryDirectory("parts")
        defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: parts) }
        try TrainingRun(configuration: c, directory: RunDirectory(whole)).run()
        var first = c
        first.epochs = 2
        try TrainingRun(configuration: first, directory: RunDirectory(parts)).run()
        let resumed = try TrainingRun(configuration: c, directory: RunDirectory(parts))
        try resumed.resume()
        #expect(resumed.completedEpochs == 2)
        try resumed.run()
        let a = try Data(contentsOf: whole.appendingPathComponent("checkpoint.safetensors"))
        let b = try Data(contentsOf: parts.appendingPathComponent("checkpoint.safetensors"))
        #expect(a == b)
    }

    @Test("bad options are rejected with a message naming them")
    func validation() {
        var c = configuration(epochs: 1)
        c.optimizer.learningRate = -1
        #expect(throws: ConfigurationError(field: "optimizer.learningRate", message: "must be finite and ≥ 0.0, got -1.0")) { try c.validate() }
        c = configuration(epochs: 1)
        c.batchSize = 0
        #expect(throws: ConfigurationError(field: "batchSize", message: "must be positive, got 0")) { try c.validate() }
        c = configuration(epochs: 1)
        c.model.hiddenWidths = [8, 0]
        #expect(throws: ConfigurationError(field: "model.hiddenWidths", message: "must be positive, got [8, 0]")) { try c.validate() }
    }

    @Test("a diverging run stops with the epoch and batch named, or skips bad batches when asked")
    func divergence() throws {
        var c = configuration(epochs: 1)
        c.optimizer = .sgd(.init())
        c.optimizer.learningRate = 1e30
        c.model.initializer = .kaimingNormal
        do {
            try TrainingRun(configuration: c, directory: nil).run()
            Issue.record("expected divergence")
        } catch let RunError.diverged(message) {
            #expect(message.contains("epoch 1, batch"))
        }
        c.divergencePolicy = .skipBatch
        c.maximumSkippedFraction = 1
        let run = try TrainingRun(configuration: c, directory: nil)
        let summary = try run.run()
        let skipped = run.history[0].skippedBatches, batches = run.trainer.loader.batchCount
        #expect(skipped > 0 && skipped < batches)
        #expect(summary.epochs == 1)
        // The same epoch under a limit below its skipped fraction stops as a divergence.
        c.maximumSkippedFraction = Double(skipped - 1) / Double(batches)
        do {
            try TrainingRun(configuration: c, directory: nil).run()
            Issue.record("expected the skipped fraction to stop the run")
        } catch let RunError.diverged(message) {
            #expect(message.contains("\(skipped) of its \(batches) batches"))
        }
        c.maximumSkippedFraction = 1.5
        #expect(throws: ConfigurationError(field: "maximumSkippedFraction", message: "must be in [0, 1], got 1.5")) { try c.validate() }
    }

    /// Collects what a run says.
    final class Recorder: TrainingObserver {
        var messages: [String] = []
        var advice: [String] = []
        func batchFinished(epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Double, accuracy: Double?,
                           samplesPerSecond: Double, elapsed: Double) {}
        func epochFinished(_ metrics: EpochMetrics, epochs: Int) {}
        func message(_ text: String) { messages.append(text) }
        func lineSearchAdvised(_ text: String) { advice.append(text) }
    }

    @Test("Newton-CG without a line search is advised one once a step more than doubles the loss; with one it is not")
    func lineSearchAdvice() throws {
        var c = configuration(epochs: 2)
        c.optimizer = .newtonCG(.init())
        c.batchSize = nil  // the full batch, as Newton-type runs default to
        c.model.hiddenWidths = TrainingConfiguration().model.hiddenWidths  // loom train's network
        c.seed = TrainingConfiguration().seed
        let recorder = Recorder()
        let run = try TrainingRun(configuration: c, directory: nil, progress: recorder)
        try run.run()
        // The full step overshoots: the loss after the first step (the second epoch's) is far
        // above the first.
        let losses = run.history.map(\.trainLoss)
        #expect(losses[1] > 2 * losses[0], "train losses \(losses)")
        #expect(recorder.advice.count == 1)
        #expect(recorder.advice.first?.contains("optimizer.lineSearch \"armijo\"") == true)
        #expect(recorder.advice.first?.contains("epoch 1, batch 1") == true)
        c.optimizer = .newtonCG(.init(lineSearch: .armijo))
        let searched = Recorder()
        try TrainingRun(configuration: c, directory: nil, progress: searched).run()
        #expect(searched.advice.isEmpty)
    }

    @Test("an unwritable output directory is reported before training")
    func unwritableOutput() throws {
        let file = try temporaryDirectory("file").appendingPathComponent("x")
        try Data([1]).write(to: file)
        #expect(throws: RunError.self) { try RunDirectory(file) }
        #expect(throws: RunError.self) { try RunDirectory(file.appendingPathComponent("sub")) }
    }
}
