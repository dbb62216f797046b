import Foundation
import Loom
import LoomData
import LoomNN
import LoomOptimizers
import Testing

@testable import LoomTraining

/// Model files that travel: a checkpoint and an exported model describe their model, so
/// they evaluate, predict and inspect with nothing beside them.
@Suite("Model files", .serialized)
struct ModelFileTests {
    func trainedRun(_ directory: URL, configure: (inout TrainingConfiguration) -> Void = { _ in }) throws -> TrainingRun {
        var c = TrainingConfiguration()
        c.model.hiddenWidths = [24]
        c.epochs = 2
        c.batchSize = 64
        c.seed = 4
        configure(&c)
        let run = try TrainingRun(configuration: c, directory: RunDirectory(directory))
        try run.run()
        return run
    }

    @Test("an exported model alone gives the trained model's probabilities, and has no optimizer state")
    func exportedModelTravels() throws {
        let directory = try temporaryDirectory("export"), lone = try temporaryDirectory("lone")
        defer { try? FileManager.default.removeItem(at: directory); try? FileManager.default.removeItem(at: lone) }
        let run = try trainedRun(directory) { $0.model.normalization = .batch; $0.model.dropout = 0.1 }
        let file = lone.appendingPathComponent("model.safetensors")
        try ModelFile.export(checkpoint: directory.appendingPathComponent("checkpoint.safetensors"), to: file)

        let (tensors, metadata) = try SafeTensors.read(from: file)
        #expect(!tensors.keys.contains { $0.hasPrefix("optimizer.") || $0.hasPrefix("rng.") })
        #expect(metadata["format"] == ModelFile.exportFormat)
        #expect(metadata[ModelFile.versionKey] == LoomVersion.version)

        let model = try TrainedModel(file: file)
        #expect(!model.hasOptimizerState)
        #expect(model.description.architecture == run.modelDescription.architecture)
        #expect(model.description.classNames == (0..<10).map(String.init))
        #expect(model.configuration == run.configuration)
        run.model.evaluate()
        let expected = withoutGradients { run.model(run.data.test.inputs).softmax(alongAxis: 1) }
        #expect(try model.probabilities(run.data.test.inputs).asArray(Float.self) == expected.asArray(Float.self))
        let (_, accuracy) = try model.evaluate(run.data.test)
        #expect(accuracy == run.history.last!.testAccuracy)

        let summary = model.summary(path: file.path)
        #expect(summary.contains("MLP 64-24-10"))
        #expect(summary.contains("total \(run.model.parameterCount()) parameters"))
        #expect(summary.contains("(buffer)"), "batch normalization's running statistics are listed as buffers")
    }

    @Test("a file whose description does not fit its tensors, or is not JSON, is refused naming the file")
    func badDescription() throws {
        let directory = try temporaryDirectory("bad-description")
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try trainedRun(directory)
        let checkpoint = directory.appendingPathComponent("checkpoint.safetensors")
        var (tensors, metadata) = try SafeTensors.read(from: checkpoint)
        let bad = directory.appendingPathComponent("bad.safetensors")
        metadata[ModelFile.descriptionKey] = "{not json"
        try AtomicFile.write(SafeTensors.encode(tensors, metadata: metadata), to: bad)
        #expect(throws: CheckpointError.self) { try TrainedModel(file: bad) }
        var description = try JSONDecoder().decode(ModelDescription.self, from: Data(try SafeTensors.read(from: checkpoint).metadata[ModelFile.descriptionKey]!.utf8))
        description.architecture.widths = [64, 32, 10]
        metadata[ModelFile.descriptionKey] = String(decoding: try JSONEncoder().encode(description), as: UTF8.self)
        try AtomicFile.write(SafeTensors.encode(tensors, metadata: metadata), to: bad)
        #expect(throws: (any Error).self) { try TrainedModel(file: bad) }
        metadata[ModelFile.descriptionKey] = try SafeTensors.read(from: checkpoint).metadata[ModelFile.descriptionKey]
        try AtomicFile.write(SafeTensors.encode(tensors.filter { $0.key != "model.layers.2.bias" }, metadata: metadata), to: bad)
        #expect(throws: (any Error).self) { try TrainedModel(file: bad) }
    }

    @Test("the lecture's Nesterov is evaluated, reported and checkpointed at θ, not at the look-ahead point")
    func nesterovAtIterate() throws {
        let directory = try temporaryDirectory("nesterov")
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try trainedRun(directory) { $0.optimizer = .sgd(.init(learningRate: 0.1, momentum: 0.9, nesterov: true)) }
        let sgd = try #require(run.optimizer as? SGD)
        let weight = run.model.trainableParameters[0]
        let theta = sgd.iterate(of: weight)
        // The parameters hold φ = θ − s u, which differs from θ after momentum has built up.
        #expect(theta.asArray(Float.self) != weight.value.asArray(Float.self))

        let checkpoint = try SafeTensors.read(from: directory.appendingPathComponent("checkpoint.safetensors")).tensors
        #expect(checkpoint["model.layers.0.weight"]!.asArray(Float.self) == theta.asArray(Float.self))

        // The reported test metrics are those of θ: an independent forward pass at θ.
        let model = try TrainedModel(file: directory.appendingPathComponent("checkpoint.safetensors"))
        let (loss, accuracy) = try model.evaluate(run.data.test)
        #expect(abs(loss - run.history.last!.testLoss) <= 1e-6)
        #expect(accuracy == run.history.last!.testAccuracy)
        let atLookAhead = withoutGradients {
            run.model.evaluate()
            defer { run.model.train() }
            return softmaxCrossEntropy(logits: run.model(run.data.test.inputs), labels: run.data.test.labels).item(Double.self)
        }
        #expect(abs(atLookAhead - loss) > 1e-6, "φ and θ give different losses, so the test can tell them apart")

        // Resuming restores φ exactly (the optimizer keeps it), so the run continues bit for bit.
        var more = run.configuration
        more.epochs = 3
        let resumed = try TrainingRun(configuration: more, directory: RunDirectory(directory))
        try resumed.resume()
        #expect(resumed.model.trainableParameters[0].value.asArray(Float.self) == weight.value.asArray(Float.self))
    }
}
