import Foundation
import Loom
import LoomData
import LoomNN
import LoomOptimizers
import Testing

@testable import LoomCommandLine
@testable import LoomTraining

/// The configuration from each of its three entry points: the library's types, `config.json`
/// and the command line, which must agree on every default.
@Suite("Training configuration")
struct ConfigurationTests {
    /// The learning rate an optimizer of `name` gets from the library's own initializer.
    func libraryLearningRate(_ name: OptimizerChoice.Name) throws -> Double {
        let parameter = [Parameter(Tensor.zeros([2]))]
        let optimizer: any Optimizer = switch name {
        case .sgd: try SGD(parameters: parameter)
        case .adam: try Adam(parameters: parameter)
        case .adamw: try AdamW(parameters: parameter)
        case .rmsprop: try RMSProp(parameters: parameter)
        case .adagrad: try Adagrad(parameters: parameter)
        case .newton: try Newton(parameters: parameter)
        case .newtonCG: try NewtonCG(parameters: parameter)
        case .lbfgs: try LBFGS(parameters: parameter)
        }
        return optimizer.learningRate
    }

    @Test("each optimizer's default learning rate is the same through the library, config.json and the command line")
    func defaultLearningRatesAgree() throws {
        for name in OptimizerChoice.Name.allCases {
            let library = try libraryLearningRate(name)
            let choice = OptimizerChoice(defaultsFor: name).learningRate
            let file = try TrainingConfiguration.read(
                from: Data(#"{"schemaVersion": 2, "optimizer": {"name": "\#(name.rawValue)"}}"#.utf8), source: "test.json")
            let commandLine = try Train.parse(["--optimizer", name.rawValue]).makeConfiguration()
            #expect(library == choice, "\(name)")
            #expect(file.optimizer.learningRate == library, "\(name)")
            #expect(commandLine.optimizer.learningRate == library, "\(name)")
            #expect(commandLine.optimizer == OptimizerChoice(defaultsFor: name), "\(name): every hyperparameter's default")
        }
        // AdamW's weight decay is its own default, not Adam's.
        #expect(try AdamW(parameters: [Parameter(Tensor.zeros([1]))]).weightDecay == 1e-2)
        #expect(try Train.parse(["--optimizer", "adamw"]).makeConfiguration().optimizer == .adamw(AdamW.defaultHyperparameters))
    }

    @Test("no flags give the library's default configuration")
    func commandLineDefaults() throws {
        #expect(try Train.parse([]).makeConfiguration() == TrainingConfiguration())
        #expect(try TrainingConfiguration.read(from: Data(#"{"schemaVersion": 2}"#.utf8), source: "t") == TrainingConfiguration())
    }

    @Test("flags map to typed fields")
    func flagsMap() throws {
        let c = try Train.parse([
            "--optimizer", "sgd", "--lr", "0.05", "--momentum", "0.9", "--momentum-form", "heavy-ball", "--dampening", "0.1",
            "--hidden", "32,16", "--activation", "leaky-relu", "--negative-slope", "0.2", "--normalization", "layer",
            "--schedule", "step", "--schedule-gamma", "0.5", "--clip-norm", "2", "--seed", "9", "--no-shuffle",
        ]).makeConfiguration()
        #expect(c.optimizer == .sgd(.init(learningRate: 0.05, momentum: 0.9, momentumForm: .heavyBall(dampening: 0.1))))
        #expect(c.model.hiddenWidths == [32, 16])
        #expect(c.model.activation == .leakyReLU(negativeSlope: 0.2))
        #expect(c.model.normalization == .layer)
        #expect(c.schedule == .step(stepSize: 10, gamma: 0.5))
        #expect(c.gradientClipNorm == 2 && c.seed == 9 && !c.shuffle)
    }

    @Test("a flag the chosen optimizer does not have, or a bad value, is refused naming the flag")
    func commandLineErrors() throws {
        func message(_ arguments: [String]) -> String {
            do {
                _ = try Train.parse(arguments).makeConfiguration()
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(message(["--optimizer", "adam", "--momentum", "0.9"]) == "--momentum is not an option of adam")
        #expect(message(["--momentum", "inf"]) == "--momentum: must be finite, got inf")
        #expect(message(["--optimizer", "sgd", "--momentum", "1.5"]) == "--momentum: must be in [0, 1), got 1.5")
        #expect(message(["--schedule", "cosine", "--schedule-step", "3"]) == "--schedule-step does not apply here (schedule.stepSize is not a field of this choice)")
        #expect(message(["--batch-size", "0"]) == "--batch-size: must be positive, got 0")
        #expect(message(["--hidden", "8,x"]).hasPrefix("--hidden: "))
        #expect(throws: (any Error).self) { try Train.parse(["--resume", "--output", "/tmp/x", "--hidden", "8"]) }
    }

    @Test("config.json round-trips, names only what differs, and its errors name the file and the field")
    func configurationFile() throws {
        var c = TrainingConfiguration()
        c.optimizer = .newtonCG(.init(lineSearch: .armijo, residualTolerance: .relative(0.1)))
        c.schedule = .cosine(minimumLearningRate: 1e-5)
        c.model.activation = .gelu(.tanh)
        c.gradientClipNorm = 3
        let data = try c.jsonData()
        #expect(try TrainingConfiguration.read(from: data, source: "c.json") == c)

        func error(_ json: String) -> String {
            do {
                _ = try TrainingConfiguration.read(from: Data(json.utf8), source: "run/config.json")
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(error(#"{"schemaVersion": 2, "optimizer": {"name": "adam", "momentum": 0.9}}"#)
                == "run/config.json: optimizer.momentum: unknown field (not an option of this choice)")
        #expect(error(#"{"schemaVersion": 2, "batchSize": "big"}"#).hasPrefix("run/config.json: batchSize: expected an integer"))
        #expect(error(#"{"schemaVersion": 2, "optimizer": {"name": "lion"}}"#).hasPrefix("run/config.json: optimizer.name: unknown optimizer \"lion\""))
        #expect(error(#"{"schemaVersion": 2, "model": {"activation": "swish"}}"#).hasPrefix("run/config.json: model.activation: unknown activation"))
        #expect(error(#"{"schemaVersion": 2, "epochz": 3}"#) == "run/config.json: epochz: unknown field (not an option of this choice)")
        #expect(error(#"{"schemaVersion": 3}"#).hasPrefix("run/config.json: schemaVersion: version 3 is not one this release reads"))
        #expect(error(#"{"schemaVersion": 2, "optimizer": {"name": "sgd", "momentum": 2}}"#)
                == "run/config.json: optimizer.momentum: must be in [0, 1), got 2.0")
        #expect(error("[1, 2]") == "run/config.json: expected a JSON object")
        #expect(error("{").hasPrefix("run/config.json: not valid JSON"))
    }
}

/// Run directories and checkpoints written by the release before `config.json` had a
/// version: `Fixtures/legacy-*` hold the state after epoch 2 of a 3-epoch run (its config,
/// metrics and checkpoint) and that run's final checkpoint, all written by that release.
@Suite("Run directories of the previous release", .serialized)
struct LegacyRunTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func copyOfFixture(_ name: String) throws -> URL {
        let copy = try temporaryDirectory("legacy")
        for file in ["config.json", "metrics.jsonl", "checkpoint.safetensors", "expected-final.safetensors"] {
            try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("\(name)/\(file)"),
                                             to: copy.appendingPathComponent(file))
        }
        return copy
    }

    @Test("a version-1 config.json reads as the same run", arguments: ["legacy-adam", "legacy-nesterov"])
    func legacyConfiguration(name: String) throws {
        let c = try TrainingConfiguration.read(from: Self.fixtures.appendingPathComponent("\(name)/config.json"))
        #expect(c.model.hiddenWidths == [16] && c.seed == 7 && c.epochs == 3)
        if name == "legacy-adam" {
            #expect(c.optimizer == .adam(.init()))
            #expect(c.model.dropout == 0.1)
        } else {
            #expect(c.optimizer == .sgd(.init(learningRate: 0.05, momentum: 0.9, nesterov: true)))
        }
    }

    @Test("a run of the previous release resumes to its own final weights, and evaluates", arguments: ["legacy-adam", "legacy-nesterov"])
    func legacyRunResumes(name: String) throws {
        let directory = try copyOfFixture(name)
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = try TrainingConfiguration.read(from: directory.appendingPathComponent("config.json"))

        // Its checkpoint evaluates with the config.json beside it.
        let partial = try TrainedModel(file: directory.appendingPathComponent("checkpoint.safetensors"))
        #expect(partial.description.architecture.widths == [64, 16, 10])

        let run = try TrainingRun(configuration: configuration, directory: RunDirectory(directory))
        try run.resume()
        #expect(run.completedEpochs == 2)
        try run.run()

        // The previous release stored the point the parameters hold (for the lecture's Nesterov
        // the look-ahead point); this one stores the iterate θ and keeps the held point in the
        // optimizer's state. The trajectory is the previous release's (to rounding: another GEMM
        // kernel path orders sums differently), and bit for bit that of an uninterrupted run.
        let expected = try SafeTensors.read(from: directory.appendingPathComponent("expected-final.safetensors")).tensors
        let resumed = try SafeTensors.read(from: directory.appendingPathComponent("checkpoint.safetensors")).tensors
        let fresh = try TrainingRun(configuration: configuration, directory: nil)
        try fresh.run()
        let held = fresh.model.stateDictionary()
        let iterate = fresh.optimizer.withParametersAtIterate { fresh.model.stateDictionary() }
        for (key, tensor) in expected where key.hasPrefix("model.") {
            let name = String(key.dropFirst(6))
            let heldValue = try #require(held[name], "\(key)")
            let difference = withoutGradients { (heldValue - tensor).abs().max() }.item(Double.self)
            #expect(difference <= 1e-5, "\(key) differs by \(difference)")
            let mine = try #require(resumed[key], "\(key)")
            #expect(mine.asArray(Float.self) == iterate[name]!.asArray(Float.self), "\(key): resumed and uninterrupted runs differ")
        }
        let final = try TrainedModel(file: directory.appendingPathComponent("checkpoint.safetensors"))
        let (_, accuracy) = try final.evaluate(run.data.test)
        #expect(accuracy == run.history.last!.testAccuracy)
    }
}

@Suite("Automatic epochs")
struct AutomaticEpochsTests {
    @Test("without an epoch count, small training sets get enough epochs for 800 steps, at most 200; large ones 20")
    func automatic() {
        var c = TrainingConfiguration()
        #expect(c.resolvedEpochs(trainingExamples: 1437) == 20)   // 45 steps an epoch
        #expect(c.resolvedEpochs(trainingExamples: 60_000) == 20)
        #expect(c.resolvedEpochs(trainingExamples: 120) == 200)   // 4 steps: 800 / 4
        #expect(c.resolvedEpochs(trainingExamples: 176) == 134)   // 6 steps: ⌈800 / 6⌉
        #expect(c.resolvedEpochs(trainingExamples: 10) == 200)
        c.epochs = 3
        #expect(c.resolvedEpochs(trainingExamples: 120) == 3)
    }
}

@Suite("Batch size of Newton-type optimizers")
struct NewtonBatchTests {
    @Test("Newton, Newton-CG and L-BFGS default to the whole training set with 20 epochs; first-order optimizers to 32")
    func defaults() throws {
        var c = TrainingConfiguration()
        #expect(c.batchSize == nil)
        #expect(c.resolvedBatchSize(trainingExamples: 1437) == 32)
        for name in [OptimizerChoice.Name.newton, .newtonCG, .lbfgs] {
            c.optimizer = OptimizerChoice(defaultsFor: name)
            #expect(c.resolvedBatchSize(trainingExamples: 1437) == 1437, "\(name)")
            #expect(c.resolvedEpochs(trainingExamples: 1437) == TrainingConfiguration.defaultEpochs, "\(name)")
            #expect(c.batchDescription(trainingExamples: 1437) == "batch 1437")
        }
        #expect(TrainingConfiguration.fullBatchOptimizers == [.newton, .newtonCG, .lbfgs])
        // A file without batchSize reads as the default, and the default writes no field.
        let json = String(decoding: try JSONEncoder().encode(c), as: UTF8.self)
        #expect(!json.contains("batchSize"))
        #expect(try JSONDecoder().decode(TrainingConfiguration.self, from: Data(json.utf8)).batchSize == nil)
    }

    @Test("a smaller batch for Newton is used and said at the start of the run")
    func smallerBatch() {
        var c = TrainingConfiguration()
        c.optimizer = .newton(.init())
        c.batchSize = 64
        #expect(c.resolvedBatchSize(trainingExamples: 1437) == 64)
        #expect(c.batchDescription(trainingExamples: 1437) == "batch 64 (minibatches: newton defaults to the full batch of 1437)")
        c.optimizer = .adam(.init())
        #expect(c.batchDescription(trainingExamples: 1437) == "batch 64")
    }

    @Test("a Newton-type run diverges when its loss passes 10⁴ times the first step's, or is not finite")
    func divergence() {
        #expect(!Trainer.hasDiverged(2.3e4, from: 2.3))
        #expect(Trainer.hasDiverged(2.3e4 + 1, from: 2.3))
        #expect(Trainer.hasDiverged(2.9e9, from: 2.3))
        #expect(!Trainer.hasDiverged(9e3, from: 0.01))   // small first losses are measured against 1
        #expect(Trainer.hasDiverged(.nan, from: 2.3))
        #expect(Trainer.stepRaisedSharply(from: 2.35, to: 709))
        #expect(!Trainer.stepRaisedSharply(from: 2.35, to: 4.7))
        #expect(Trainer.stepRaisedSharply(from: 2.35, to: 4.71))
        #expect(!Trainer.stepRaisedSharply(from: 1e-6, to: 1.9e-3))  // near zero: against 10⁻³
        #expect(Trainer.stepRaisedSharply(from: 1e-6, to: 2.1e-3))
        #expect(Trainer.hasDiverged(.infinity, from: 2.3))
    }
}
