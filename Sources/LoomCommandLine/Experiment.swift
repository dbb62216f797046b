import ArgumentParser
import Foundation
import LoomTraining
import LoomData
import LoomExperiments

/// `loom experiment NAME`: the lecture's experiments, each with a fixed seed and defaults
/// that finish in about a minute on two cores.
struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Run one of the lecture's experiments: numbers (CSV, JSON), SVG figures, a terminal chart and a verdict.",
        subcommands: [InitVariance.self, ZeroInit.self, WeightDrift.self, Optimizers.self, WidthDepth.self, Hessian.self])
}

/// Options every experiment shares.
struct ExperimentOptions: ParsableArguments {
    @Option(help: "Run directory for result.json, the CSV tables and the SVG figures (default: runs/NAME).")
    var output: String?
    @Option(help: "Random seed.")
    var seed: UInt64 = 0
    @Flag(help: "Skip the terminal charts.")
    var noChart = false

    func run(_ experiment: some Experiment) throws {
        let path = output ?? "runs/\(type(of: experiment).name)"
        let directory = try RunDirectory(URL(fileURLWithPath: path))
        try ExperimentRunner.run(experiment, directory: directory, charts: !noChart) { Swift.print($0) }
    }
}

/// Which data to train on; shared by the experiments that train.
struct ExperimentDataOptions: ParsableArguments {
    @Option(help: "Dataset: \(ImageDataset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dataset: ImageDataset = .digits
    @Option(name: .customLong("data"), help: "Directory holding the dataset's IDX files.")
    var dataDirectory: String?
    @Option(help: "Use only the first N training (and test) examples.")
    var limit: Int?

    func make(defaultLimit: Int? = nil) throws -> ExperimentData {
        if let limit, limit < 1 { throw ValidationError("--limit must be positive") }
        return ExperimentData(dataset: dataset, directory: dataDirectory, limit: limit ?? defaultLimit)
    }
}

/// Parses a comma-separated list (`1,2,3`).
func parseList<T: LosslessStringConvertible>(_ text: String, option: String) throws -> [T] {
    let values = text.split(separator: ",").map { T(String($0).trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, !values.contains(where: { $0 == nil }) else {
        throw ValidationError("\(option) must be a comma-separated list of numbers, got \(text)")
    }
    return values.map { $0! }
}

extension ExperimentCommand {
    struct InitVariance: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init-variance",
            abstract: "Activation variance and gradient norm per layer of a deep MLP at initialization, for N(0, c/n), linear vs ReLU, Xavier and Kaiming.")
        @OptionGroup var options: ExperimentOptions
        @Option(help: "Linear layers.") var depth = 50
        @Option(help: "Width of every hidden layer.") var width = 256
        @Option(help: "Inputs in the batch.") var batchSize = 256
        @Option(help: "The c values of N(0, c/n), comma-separated.") var scales = "1,2,3"

        func run() throws {
            guard depth >= 3, width > 0, batchSize > 1 else { throw ValidationError("need --depth ≥ 3, --width ≥ 1, --batch-size ≥ 2") }
            var experiment = InitVarianceExperiment()
            experiment.depth = depth
            experiment.width = width
            experiment.batchSize = batchSize
            experiment.scales = try parseList(scales, option: "--scales")
            guard experiment.scales.allSatisfy({ $0 > 0 }) else { throw ValidationError("--scales must be positive") }
            experiment.seed = options.seed
            try options.run(experiment)
        }
    }
}

extension ExperimentCommand {
    struct ZeroInit: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "zero-init", abstract: "W = 0 and all-equal weights against Kaiming: zero gradients, identical units, loss stuck at log(classes).")
        @OptionGroup var options: ExperimentOptions
        @OptionGroup var data: ExperimentDataOptions
        @Option(help: "Hidden widths, comma-separated.") var hidden = "64,64"
        @Option(help: "Epochs.") var epochs = 10
        @Option(help: "SGD learning rate.") var learningRate = 0.1

        func run() throws {
            var experiment = ZeroInitExperiment()
            experiment.data = try data.make()
            experiment.hiddenWidths = try parseList(hidden, option: "--hidden")
            guard epochs > 0, learningRate > 0, experiment.hiddenWidths.allSatisfy({ $0 > 0 }) else { throw ValidationError("need positive --epochs, --learning-rate and widths") }
            experiment.epochs = epochs
            experiment.learningRate = learningRate
            experiment.seed = options.seed
            try options.run(experiment)
        }
    }

    struct WeightDrift: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "weight-drift", abstract: "‖W_t − W_0‖ / ‖W_0‖ per layer during training, for several widths.")
        @OptionGroup var options: ExperimentOptions
        @OptionGroup var data: ExperimentDataOptions
        @Option(help: "Hidden widths to compare, comma-separated.") var widths = "32,128,512"
        @Option(help: "Hidden layers.") var depth = 2
        @Option(help: "Epochs.") var epochs = 10
        @Option(help: "SGD learning rate.") var learningRate = 0.1

        func run() throws {
            var experiment = WeightDriftExperiment()
            experiment.data = try data.make()
            experiment.widths = try parseList(widths, option: "--widths")
            guard depth > 0, epochs > 0, learningRate > 0, experiment.widths.allSatisfy({ $0 > 0 }) else { throw ValidationError("need positive --depth, --epochs, --learning-rate and widths") }
            experiment.depth = depth
            experiment.epochs = epochs
            experiment.learningRate = learningRate
            experiment.seed = options.seed
            try options.run(experiment)
        }
    }

    struct Optimizers: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "SGD, momentum (EMA ± bias correction, heavy ball), Nesterov, Adam, Newton and damped Newton on one problem.")
        @OptionGroup var options: ExperimentOptions
        @OptionGroup var data: ExperimentDataOptions
        @Option(help: "Hidden widths, comma-separated (default: none, softmax regression).") var hidden: String?
        @Option(help: "Minibatch size (default: the whole training set).") var batchSize: Int?
        @Option(help: "First-order steps.") var steps = 200
        @Option(help: "Newton steps.") var newtonSteps = 15
        @Option(help: "Learning rate α of the SGD family.") var learningRate = 0.5
        @Option(help: "Momentum β.") var momentum = 0.9
        @Option(help: "Adam's learning rate.") var adamLearningRate = 0.05
        @Option(help: "L2 penalty λ in the objective.") var l2 = 1e-3

        func run() throws {
            var experiment = OptimizerExperiment()
            experiment.data = try data.make()
            experiment.hiddenWidths = try hidden.map { try parseList($0, option: "--hidden") } ?? []
            guard steps >= 10, newtonSteps >= 1, learningRate > 0, adamLearningRate > 0, (0..<1).contains(momentum), l2 >= 0,
                  batchSize.map({ $0 > 0 }) ?? true else {
                throw ValidationError("need --steps ≥ 10, --newton-steps ≥ 1, positive rates and batch size, 0 ≤ β < 1, λ ≥ 0")
            }
            experiment.batchSize = batchSize
            experiment.steps = steps
            experiment.newtonSteps = newtonSteps
            experiment.learningRate = learningRate
            experiment.momentum = momentum
            experiment.adamLearningRate = adamLearningRate
            experiment.l2 = l2
            experiment.seed = options.seed
            try options.run(experiment)
        }
    }

    struct WidthDepth: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "width-depth", abstract: "A grid of widths and depths: final test accuracy as a heat map, with training time.")
        @OptionGroup var options: ExperimentOptions
        @OptionGroup var data: ExperimentDataOptions
        @Option(help: "Hidden widths, comma-separated.") var widths = "16,64,256"
        @Option(help: "Hidden-layer counts, comma-separated.") var depths = "1,2,4"
        @Option(help: "Epochs per cell.") var epochs = 10

        func run() throws {
            var experiment = WidthDepthExperiment()
            guard data.limit == nil else { throw ValidationError("width-depth trains on the whole dataset; --limit is not supported") }
            experiment.data = try data.make()
            experiment.widths = try parseList(widths, option: "--widths")
            experiment.depths = try parseList(depths, option: "--depths")
            guard epochs > 0, experiment.widths.allSatisfy({ $0 > 0 }), experiment.depths.allSatisfy({ $0 >= 0 }) else {
                throw ValidationError("need positive --epochs and widths, non-negative depths")
            }
            experiment.epochs = epochs
            experiment.seed = options.seed
            try options.run(experiment)
        }
    }

    struct Hessian: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Eigenvalues and condition number of a small network's loss Hessian at initialization and after training.")
        @OptionGroup var options: ExperimentOptions
        @OptionGroup var data: ExperimentDataOptions
        @Option(help: "Hidden widths, comma-separated (the Hessian is n × n for n parameters).") var hidden = "8"
        @Option(help: "Training epochs (Adam).") var epochs = 30

        func run() throws {
            var experiment = HessianExperiment()
            experiment.data = try data.make(defaultLimit: 500)
            experiment.hiddenWidths = try parseList(hidden, option: "--hidden")
            guard epochs >= 0, experiment.hiddenWidths.allSatisfy({ $0 > 0 }) else { throw ValidationError("need non-negative --epochs and positive widths") }
            experiment.epochs = epochs
            experiment.seed = options.seed
            try options.run(experiment)
        }
    }
}
