import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Loom
import LoomData
import LoomNN
import LoomOptimizers
import Testing

@testable import LoomTraining

/// Faults during training: divergence, a kill between the two per-epoch writes, abandoned
/// temporary files, a full disk, a failed rename, a network too large (see RELIABILITY.md).
@Suite("Reliability of training runs", .serialized)
struct ReliabilityTrainingTests {
    func configuration(epochs: Int) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.model.hiddenWidths = [16]
        c.epochs = epochs
        c.batchSize = 128
        c.optimizer.learningRate = 3e-3
        c.seed = 5
        return c
    }

    @Test("divergence after a good epoch names the step, the layer and the last good checkpoint, which still loads")
    func divergenceNamesTheLastGoodCheckpoint() throws {
        let url = try temporaryDirectory("diverge")
        defer { try? FileManager.default.removeItem(at: url) }
        var c = configuration(epochs: 3)
        c.optimizer = .sgd(.init())
        c.optimizer.learningRate = 0.01
        let run = try TrainingRun(configuration: c, directory: RunDirectory(url))
        // A sane first epoch, then a learning rate that blows the weights up.
        run.trainer.learningRateForEpoch = { $0 == 0 ? 0.01 : 1e38 }
        let checkpoint = url.appendingPathComponent("checkpoint.safetensors")
        do {
            try run.run()
            Issue.record("expected divergence")
        } catch let RunError.diverged(message) {
            #expect(message.contains("epoch 2, batch"), "\(message)")
            #expect(message.contains("(step "), "\(message)")
            #expect(message.contains("layers.") || message.contains("the gradient of layers."), "\(message)")
            #expect(message.hasSuffix("the last good checkpoint is \(checkpoint.path) (after epoch 1)"), "\(message)")
        }
        let (tensors, metadata) = try SafeTensors.read(from: checkpoint)
        #expect(metadata["epochs"] == "1")
        #expect(tensors.values.allSatisfy { $0.hasOnlyFiniteElements })
        // And it resumes.
        let resumed = try TrainingRun(configuration: c, directory: RunDirectory(url))
        try resumed.resume()
        #expect(resumed.completedEpochs == 1)
    }

    @Test("divergence without a run directory says that no checkpoint exists")
    func divergenceWithoutDirectory() throws {
        var c = configuration(epochs: 1)
        c.optimizer = .sgd(.init())
        c.optimizer.learningRate = 1e38
        do {
            try TrainingRun(configuration: c, directory: nil).run()
            Issue.record("expected divergence")
        } catch let RunError.diverged(message) {
            #expect(message.contains("epoch 1, batch"), "\(message)")
            #expect(message.hasSuffix("no checkpoint was written (the run has no --output directory)"), "\(message)")
        }
    }

    @Test("a non-finite loss names the parameter that is not finite, or else the first layer whose output is not")
    func nonFiniteLossNamesTheLayer() throws {
        var c = configuration(epochs: 1)
        c.optimizer = .sgd(.init())
        // layers.0 Linear, layers.1 ReLU, layers.2 Linear.
        var run = try TrainingRun(configuration: c, directory: nil)
        run.model.linearLayers[1].bias!.value = Tensor(shape: [10], scalars: [Float](repeating: .nan, count: 10))
        #expect(try divergenceMessage(run).contains("epoch 1, batch 1 (step 1): the loss is "))
        #expect(try divergenceMessage(run).contains("; the parameter layers.2.bias is not finite; "))
        // Finite weights whose products overflow float32 in the second Linear layer.
        run = try TrainingRun(configuration: c, directory: nil)
        run.model.linearLayers[1].weight.value = Tensor(shape: [16, 10], scalars: [Float](repeating: 3e38, count: 160))
        #expect(try divergenceMessage(run).contains("; layers.2 (Linear) is the first layer whose output is not finite; "))
    }

    func divergenceMessage(_ run: TrainingRun) throws -> String {
        do {
            try run.run()
        } catch let RunError.diverged(message) {
            return message
        }
        Issue.record("expected divergence")
        return ""
    }

    @Test("a kill between the metrics write and the checkpoint write resumes to the same bytes")
    func killBetweenMetricsAndCheckpoint() throws {
        let c = configuration(epochs: 3)
        let whole = try temporaryDirectory("whole"), killed = try temporaryDirectory("killed"), partial = try temporaryDirectory("partial")
        defer { for url in [whole, killed, partial] { try? FileManager.default.removeItem(at: url) } }
        try TrainingRun(configuration: c, directory: RunDirectory(whole)).run()
        var two = c
        two.epochs = 2
        try TrainingRun(configuration: two, directory: RunDirectory(partial)).run()
        // The state a kill leaves after writing epoch 3's metrics but before its checkpoint:
        // three lines of metrics and the checkpoint of epoch 2.
        let directory = try RunDirectory(killed)
        try directory.writeJSON(c, to: directory.configURL)
        try FileManager.default.copyItem(at: whole.appendingPathComponent("metrics.jsonl"), to: directory.metricsURL)
        try FileManager.default.copyItem(at: partial.appendingPathComponent("checkpoint.safetensors"), to: directory.checkpointURL)
        let resumed = try TrainingRun(configuration: c, directory: directory)
        try resumed.resume()
        #expect(resumed.completedEpochs == 2)
        try resumed.run()
        #expect(try Data(contentsOf: directory.checkpointURL) == Data(contentsOf: whole.appendingPathComponent("checkpoint.safetensors")))
        #expect(try directory.readMetrics(EpochMetrics.self).count == 3)
    }

    @Test("temporary files abandoned by a killed write are removed when the run directory is locked for writing, not before")
    func abandonedTemporaryFiles() throws {
        let url = try temporaryDirectory("tmp")
        defer { try? FileManager.default.removeItem(at: url) }
        // (The last: the write probe of a process killed while it opened the directory.)
        let abandoned = [".checkpoint.safetensors.\(UUID().uuidString).tmp", ".metrics.jsonl.\(UUID().uuidString).tmp",
                         "..loom-write-test.\(UUID().uuidString).tmp"]
        for name in abandoned + ["notes.tmp", "mine.txt"] { try Data([1]).write(to: url.appendingPathComponent(name)) }
        let directory = try RunDirectory(url)
        // Opening alone leaves them: they could be another live run's.
        #expect(try Set(FileManager.default.contentsOfDirectory(atPath: url.path)) == Set(abandoned + ["notes.tmp", "mine.txt"]))
        try directory.lockForWriting()
        defer { directory.unlock() }
        #expect(try Set(FileManager.default.contentsOfDirectory(atPath: url.path)) == ["notes.tmp", "mine.txt", ".loom-lock"])
    }

    @Test("a second writer is refused with the holder's process id, and a finished run is not overwritten without --force")
    func lockAndOverwrite() throws {
        let url = try temporaryDirectory("lock")
        defer { try? FileManager.default.removeItem(at: url) }
        let directory = try RunDirectory(url)
        try directory.lockForWriting()
        // The lock is per process: a second lock from this one is a no-op, so the refusal of
        // another process is checked through the lock file's own semantics (flock) by hand.
        let descriptor = open(url.appendingPathComponent(".loom-lock").path, O_RDWR)
        defer { close(descriptor) }
        #expect(flock(descriptor, LOCK_EX | LOCK_NB) != 0, "the lock is held")
        #expect(try String(contentsOf: url.appendingPathComponent(".loom-lock"), encoding: .utf8) == "\(getpid())\n")
        directory.unlock()
        #expect(flock(descriptor, LOCK_EX | LOCK_NB) == 0, "released")
        flock(descriptor, LOCK_UN)

        let first = try TrainingRun(configuration: configuration(epochs: 1), directory: directory)
        try first.run()
        directory.unlock()
        let second = try TrainingRun(configuration: configuration(epochs: 1), directory: directory)
        #expect(throws: RunError.self) { try second.run() }
        second.overwrites = true
        try second.run()
        directory.unlock()
    }

    @Test("a disk without room for two checkpoints is reported before training, naming the directory")
    func fullDiskBeforeTraining() throws {
        let url = try temporaryDirectory("space")
        defer { try? FileManager.default.removeItem(at: url) }
        let directory = try RunDirectory(url)
        do {
            try directory.requireFreeSpace(Int.max, for: "two checkpoints")
            Issue.record("expected too little space")
        } catch let RunError.unwritable(path, reason) {
            #expect(path == url.path)
            #expect(reason.contains("bytes free, two checkpoints need \(Int.max)"), "\(reason)")
        }
        try directory.requireFreeSpace(1, for: "one byte")
    }

    @Test("a write that fails at the rename leaves the old target in place and no temporary file")
    func failedRenameLeavesTheTarget() throws {
        let url = try temporaryDirectory("rename")
        defer { try? FileManager.default.removeItem(at: url) }
        // A non-empty directory where the file should go: the rename fails even for root.
        let target = url.appendingPathComponent("checkpoint.safetensors")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        try Data([42]).write(to: target.appendingPathComponent("keep"))
        #expect(throws: CheckpointError.self) { try SafeTensors.write(["a": Tensor([1])], to: target) }
        #expect(try Data(contentsOf: target.appendingPathComponent("keep")) == Data([42]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: url.path) == ["checkpoint.safetensors"])
    }

    @Test("a network too large for memory, or whose size overflows, is refused before allocation", arguments: [
        [10_000_000, 10_000_000], [Int.max / 2, 3], [1 << 40],
    ])
    func networkTooLarge(hidden: [Int]) {
        var c = configuration(epochs: 1)
        c.model.hiddenWidths = hidden
        #expect(throws: RunError.self) { try TrainingRun.checkModelSize(c, inputFeatures: 784, classCount: 10, batchSize: 32) }
        #expect(throws: RunError.self) { try TrainingRun(configuration: c, directory: nil) }
    }

    @Test("gradient clipping in the trainer bounds every step: with SGD at α = 1, |Δθ| ≤ batches × clip norm")
    func clippingFiresInTheTrainer() throws {
        var c = configuration(epochs: 1)
        c.optimizer = .sgd(.init())
        c.optimizer.learningRate = 1
        c.gradientClipNorm = 1e-4
        let run = try TrainingRun(configuration: c, directory: nil)
        let before = run.model.parameters.flatMap { $0.value.asArray(Double.self) }
        try run.run()
        let after = run.model.parameters.flatMap { $0.value.asArray(Double.self) }
        let change = zip(before, after).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        let bound = Double(run.trainer.loader.batchCount) * 1e-4
        #expect(change > 0)
        #expect(change <= bound * (1 + 1e-3), "moved \(change), bound \(bound)")
    }
}
