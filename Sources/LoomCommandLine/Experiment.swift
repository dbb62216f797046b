import ArgumentParser
import Foundation
import LoomTraining
import LoomData
import LoomExperiments

/// `loom experiment NAME`: the lecture's experiments, each with a fixed seed and defaults
/// that finish in about a minute on two cores.
///
/// Each subcommand maps its flags to the experiment's properties and nothing more: a flag not
/// given leaves the experiment's default (which its help prints), and the experiment
/// validates every value (`Experiment.validate()`); an error names the flag that set it.
public struct ExperimentCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Run one of the lecture's experiments: numbers (CSV, JSON), SVG figures, a terminal chart and a verdict.",
        subcommands: [InitVariance.self, ZeroInit.self, WeightDrift.self, Optimizers.self, WidthDepth.self, Trainability.self, Hessian.self])

    public init() {}

    /// The experiment that `arguments` (what follows `loom experiment`: a name, then its
    /// options) describe, validated, without running it. Errors are what the tool prints: a
    /// refused value names its flag (`--depth: must be at least 3, got 2`).
    public static func experiment(parsing arguments: [String]) throws -> any Experiment {
        guard let command = try parseAsRoot(arguments) as? any ExperimentSubcommand else {
            let names = [InitVarianceExperiment.name, ZeroInitExperiment.name, WeightDriftExperiment.name, OptimizerExperiment.name,
                         WidthDepthExperiment.name, TrainabilityExperiment.name, HessianExperiment.name]
            throw CommandLineError("name an experiment: \(names.joined(separator: ", "))")
        }
        return try command.validatedExperiment()
    }

    /// The flag that sets an experiment's property `field` (`learningRate` → `--learning-rate`,
    /// `data.limit` → `--limit`, `hiddenWidths` → `--hidden`, `depths` → `--depth`).
    static func flag(for field: String) -> String {
        switch field {
        case "hiddenWidths": return "--hidden"
        case "data.dataset": return "--dataset"
        case "data.directory": return "--data"
        case "data.limit": return "--limit"
        // A grid's list takes the name of `loom train`'s single value (`--depth 1,2,4`).
        case "widths": return "--width"
        case "depths": return "--depth"
        default: return "--" + field.map { $0.isUppercase ? "-" + $0.lowercased() : String($0) }.joined()
        }
    }
}

/// A `loom experiment` subcommand: its flags, mapped onto one experiment.
protocol ExperimentSubcommand: ParsableCommand {
    associatedtype Made: Experiment
    var options: ExperimentOptions { get }
    /// The experiment with each flag given set, every other property at its default.
    func makeExperiment() throws -> Made
}

extension ExperimentSubcommand {
    /// ``makeExperiment()``, validated; a `ConfigurationError` becomes one line naming the flag.
    func validatedExperiment() throws -> Made {
        let experiment = try makeExperiment()
        do {
            try experiment.validate()
        } catch let error as ConfigurationError {
            throw CommandLineError("\(ExperimentCommand.flag(for: error.field)): \(error.message)")
        }
        return experiment
    }

    func run() throws {
        // Validated before the run directory is created.
        try options.run(validatedExperiment())
    }
}

/// Options every experiment shares.
struct ExperimentOptions: ParsableArguments {
    @Option(help: "Run directory for result.json, the CSV tables and the SVG figures (default: runs/NAME).")
    var output: String?
    @Flag(help: "Skip the terminal charts.")
    var noChart = false

    func run(_ experiment: some Experiment) throws {
        let path = output ?? "runs/\(type(of: experiment).name)"
        let directory = try RunDirectory(path: path)
        try ExperimentRunner.run(experiment, directory: directory, charts: !noChart) { Swift.print($0) }
    }
}

/// Which data to train on; shared by the experiments that train.
struct ExperimentDataOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Dataset (default \(ExperimentData().dataset.rawValue)).")
    var dataset: ImageDataset?
    @Option(name: .customLong("data"), help: "Directory holding the dataset's IDX files.")
    var dataDirectory: String?
    @Option(parsing: .unconditional, help: "Use only the first N training (and test) examples (default: all; hessian \(HessianExperiment().data.limit.map(String.init) ?? "all")).")
    var limit: Int?

    /// `data` with each flag given set.
    func applied(to data: ExperimentData) -> ExperimentData {
        var data = data
        if let dataset { data.dataset = dataset }
        if let dataDirectory { data.directory = dataDirectory }
        if let limit { data.limit = limit }
        return data
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

/// `values` as a help text shows a default list (`1,2,3`).
func listText<T>(_ values: [T]) -> String { values.map { "\($0)" }.joined(separator: ",") }

extension ExperimentCommand {
    struct InitVariance: ExperimentSubcommand {
        static let configuration = CommandConfiguration(
            commandName: "init-variance",
            abstract: "Activation variance and gradient norm per layer of a deep MLP at initialization, for N(0, c/n), linear vs ReLU, Xavier and Kaiming.")
        static var defaults: InitVarianceExperiment { InitVarianceExperiment() }
        @OptionGroup var options: ExperimentOptions
        @Option(parsing: .unconditional, help: "Random seed (default \(InitVariance.defaults.seed)).") var seed: UInt64?
        @Option(parsing: .unconditional, help: "Linear layers (default \(InitVariance.defaults.depth)).") var depth: Int?
        @Option(parsing: .unconditional, help: "Width of every hidden layer (default \(InitVariance.defaults.width)).") var width: Int?
        @Option(parsing: .unconditional, help: "Inputs in the batch (default \(InitVariance.defaults.batchSize)).") var batchSize: Int?
        @Option(parsing: .unconditional, help: "The c values of N(0, c/n), comma-separated (default \(listText(InitVariance.defaults.scales))).") var scales: String?

        func makeExperiment() throws -> InitVarianceExperiment {
            var experiment = InitVarianceExperiment()
            if let seed { experiment.seed = seed }
            if let depth { experiment.depth = depth }
            if let width { experiment.width = width }
            if let batchSize { experiment.batchSize = batchSize }
            if let scales { experiment.scales = try parseList(scales, option: "--scales") }
            return experiment
        }
    }

    struct ZeroInit: ExperimentSubcommand {
        static let configuration = CommandConfiguration(
            commandName: "zero-init", abstract: "W = 0 and all-equal weights against Kaiming: zero gradients, identical units, loss stuck at log(classes).")
        static var defaults: ZeroInitExperiment { ZeroInitExperiment() }
        @OptionGroup var options: ExperimentOptions
        @OptionGroup var data: ExperimentDataOptions
        @Option(parsing: .unconditional, help: "Random seed (default \(ZeroInit.defaults.seed)).") var seed: UInt64?
        @Option(parsing: .unconditional, help: "Hidden widths, comma-separated (default \(listText(ZeroInit.defaults.hiddenWidths))).") var hidden: String?
        @Option(parsing: .unconditional, help: "Epochs (default \(ZeroInit.defaults.epochs)).") var epochs: Int?
        @Option(name: [.customLong("learning-rate"), .customLong("lr")], parsing: .unconditional, help: "SGD learning rate α (default \(ZeroInit.defaults.learningRate)).") var learningRate: Double?

        func makeExperiment() throws -> ZeroInitExperiment {
            var experiment = ZeroInitExperiment()
            experiment.data = data.applied(to: experiment.data)
            if let seed { experiment.seed = seed }
            if let hidden { experiment.hiddenWidths = try parseList(hidden, option: "--hidden") }
            if let epochs { experiment.epochs = epochs }
            if let learningRate { experiment.learningRate = learningRate }
            return experiment
        }
    }

    struct WeightDrift: ExperimentSubcommand {
        static let configuration = CommandConfiguration(
            commandName: "weight-drift", abstract: "‖W_t − W_0‖ / ‖W_0‖ per layer during training, for several widths.")
        static var defaults: WeightDriftExperiment { WeightDriftExperiment() }
        @OptionGroup var options: ExperimentOptions
        @OptionGroup var data: ExperimentDataOptions
        @Option(parsing: .unconditional, help: "Random seed (default \(WeightDrift.defaults.seed)).") var seed: UInt64?
        @Option(name: .customLong("width"), parsing: .unconditional, help: "Hidden widths to compare, comma-separated (default \(listText(WeightDrift.defaults.widths))).") var widths: String?
        @Option(name: .customLong("widths"), parsing: .unconditional, help: .hidden) var widthsAlias: String?
        @Option(parsing: .unconditional, help: "Hidden layers (default \(WeightDrift.defaults.depth)).") var depth: Int?
        @Option(parsing: .unconditional, help: "Epochs (default \(WeightDrift.defaults.epochs)).") var epochs: Int?
        @Option(name: [.customLong("learning-rate"), .customLong("lr")], parsing: .unconditional, help: "SGD learning rate α (default \(WeightDrift.defaults.learningRate)).") var learningRate: Double?

        func makeExperiment() throws -> WeightDriftExperiment {
            var experiment = WeightDriftExperiment()
            experiment.data = data.applied(to: experiment.data)
            if let seed { experiment.seed = seed }
            if let widths = widths ?? widthsAlias { experiment.widths = try parseList(widths, option: "--width") }
            if let depth { experiment.depth = depth }
            if let epochs { experiment.epochs = epochs }
            if let learningRate { experiment.learningRate = learningRate }
            return experiment
        }
    }

    struct Optimizers: ExperimentSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "SGD, momentum (EMA ± bias correction, heavy ball), Nesterov, Adam, Newton and damped Newton on one problem.")
        static var defaults: OptimizerExperiment { OptimizerExperiment() }
        @OptionGroup var options: ExperimentOptions
        @OptionGroup var data: ExperimentDataOptions
        @Option(parsing: .unconditional, help: "Random seed (default \(Optimizers.defaults.seed)).") var seed: UInt64?
        @Option(parsing: .unconditional, help: "Hidden widths, comma-separated (default: \(Optimizers.defaults.hiddenWidths.isEmpty ? "none, softmax regression" : listText(Optimizers.defaults.hiddenWidths))).")
        var hidden: String?
        @Option(parsing: .unconditional, help: "Minibatch size (default: \(Optimizers.defaults.batchSize.map(String.init) ?? "the whole training set")).") var batchSize: Int?
        @Option(parsing: .unconditional, help: "First-order steps (default \(Optimizers.defaults.steps)).") var steps: Int?
        @Option(parsing: .unconditional, help: "Newton steps (default \(Optimizers.defaults.newtonSteps)).") var newtonSteps: Int?
        @Option(name: [.customLong("learning-rate"), .customLong("lr")], parsing: .unconditional, help: "Learning rate α of the SGD family (default \(Optimizers.defaults.learningRate)).") var learningRate: Double?
        @Option(parsing: .unconditional, help: "Momentum β (default \(Optimizers.defaults.momentum)).") var momentum: Double?
        @Option(parsing: .unconditional, help: "Adam's learning rate (default \(Optimizers.defaults.adamLearningRate)).") var adamLearningRate: Double?
        @Option(parsing: .unconditional, help: "L2 penalty λ in the objective (default \(Optimizers.defaults.l2)).") var l2: Double?

        func makeExperiment() throws -> OptimizerExperiment {
            var experiment = OptimizerExperiment()
            experiment.data = data.applied(to: experiment.data)
            if let seed { experiment.seed = seed }
            if let hidden { experiment.hiddenWidths = try parseList(hidden, option: "--hidden") }
            if let batchSize { experiment.batchSize = batchSize }
            if let steps { experiment.steps = steps }
            if let newtonSteps { experiment.newtonSteps = newtonSteps }
            if let learningRate { experiment.learningRate = learningRate }
            if let momentum { experiment.momentum = momentum }
            if let adamLearningRate { experiment.adamLearningRate = adamLearningRate }
            if let l2 { experiment.l2 = l2 }
            return experiment
        }
    }

    struct WidthDepth: ExperimentSubcommand {
        static let configuration = CommandConfiguration(
            commandName: "width-depth", abstract: "A grid of widths and depths: final test accuracy as a heat map, with training time.")
        static var defaults: WidthDepthExperiment { WidthDepthExperiment() }
        @OptionGroup var options: ExperimentOptions
        @OptionGroup var data: ExperimentDataOptions
        @Option(parsing: .unconditional, help: "Random seed (default \(WidthDepth.defaults.seed)).") var seed: UInt64?
        @Option(name: .customLong("width"), parsing: .unconditional, help: "Hidden widths, comma-separated (default \(listText(WidthDepth.defaults.widths))).") var widths: String?
        @Option(name: .customLong("widths"), parsing: .unconditional, help: .hidden) var widthsAlias: String?
        @Option(name: .customLong("depth"), parsing: .unconditional, help: "Hidden-layer counts, comma-separated (default \(listText(WidthDepth.defaults.depths))).") var depths: String?
        @Option(name: .customLong("depths"), parsing: .unconditional, help: .hidden) var depthsAlias: String?
        @Option(parsing: .unconditional, help: "Epochs per cell (default \(WidthDepth.defaults.epochs)).") var epochs: Int?

        func makeExperiment() throws -> WidthDepthExperiment {
            var experiment = WidthDepthExperiment()
            experiment.data = data.applied(to: experiment.data)
            if let seed { experiment.seed = seed }
            if let widths = widths ?? widthsAlias { experiment.widths = try parseList(widths, option: "--width") }
            if let depths = depths ?? depthsAlias { experiment.depths = try parseList(depths, option: "--depth") }
            if let epochs { experiment.epochs = epochs }
            return experiment
        }
    }

    struct Trainability: ExperimentSubcommand {
        static let configuration = CommandConfiguration(
            commandName: "trainability",
            abstract: "Gradient norm per layer and accuracy against depth with no normalization, BatchNorm, LayerNorm and residual blocks.")
        static var defaults: TrainabilityExperiment { TrainabilityExperiment() }
        @OptionGroup var options: ExperimentOptions
        @OptionGroup var data: ExperimentDataOptions
        @Option(parsing: .unconditional, help: "Random seed (default \(Trainability.defaults.seed)).") var seed: UInt64?
        @Option(name: .customLong("depth"), parsing: .unconditional, help: "Hidden-layer counts, comma-separated (default \(listText(Trainability.defaults.depths))).") var depths: String?
        @Option(name: .customLong("depths"), parsing: .unconditional, help: .hidden) var depthsAlias: String?
        @Option(parsing: .unconditional, help: "Width of every hidden layer (default \(Trainability.defaults.width)).") var width: Int?
        @Option(parsing: .unconditional, help: "Epochs per network (default \(Trainability.defaults.epochs)).") var epochs: Int?
        @Option(name: [.customLong("learning-rate"), .customLong("lr")], parsing: .unconditional, help: "SGD learning rate α (default \(Trainability.defaults.learningRate)).") var learningRate: Double?

        func makeExperiment() throws -> TrainabilityExperiment {
            var experiment = TrainabilityExperiment()
            experiment.data = data.applied(to: experiment.data)
            if let seed { experiment.seed = seed }
            if let depths = depths ?? depthsAlias { experiment.depths = try parseList(depths, option: "--depth") }
            if let width { experiment.width = width }
            if let epochs { experiment.epochs = epochs }
            if let learningRate { experiment.learningRate = learningRate }
            return experiment
        }
    }

    struct Hessian: ExperimentSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "The loss Hessian's spectrum at initialization and after training: λ_max, the top eigenvalues, the trace and the density from Hessian-vector products; the exact spectrum for small networks.")
        static var defaults: HessianExperiment { HessianExperiment() }
        @OptionGroup var options: ExperimentOptions
        @OptionGroup var data: ExperimentDataOptions
        @Option(parsing: .unconditional, help: "Random seed (default \(Hessian.defaults.seed)).") var seed: UInt64?
        @Option(parsing: .unconditional, help: "Hidden widths, comma-separated; the Hessian is n × n for n parameters (default \(listText(Hessian.defaults.hiddenWidths))).")
        var hidden: String?
        @Option(parsing: .unconditional, help: "Training epochs, Adam (default \(Hessian.defaults.epochs)).") var epochs: Int?
        @Option(parsing: .unconditional, help: "How many of the largest eigenvalues to report (default \(Hessian.defaults.topEigenvalueCount)).") var topEigenvalues: Int?
        @Option(parsing: .unconditional, help: "Lanczos steps, one Hessian-vector product each (default \(Hessian.defaults.lanczosSteps)).") var lanczosSteps: Int?
        @Option(parsing: .unconditional, help: "Rademacher vectors for Hutchinson's trace (default \(Hessian.defaults.traceSamples)).") var traceSamples: Int?
        @Option(parsing: .unconditional, help: "Lanczos probes for the spectral density (default \(Hessian.defaults.densityProbes)).") var densityProbes: Int?

        func makeExperiment() throws -> HessianExperiment {
            var experiment = HessianExperiment()
            experiment.data = data.applied(to: experiment.data)
            if let seed { experiment.seed = seed }
            if let hidden { experiment.hiddenWidths = try parseList(hidden, option: "--hidden") }
            if let epochs { experiment.epochs = epochs }
            if let topEigenvalues { experiment.topEigenvalueCount = topEigenvalues }
            if let lanczosSteps { experiment.lanczosSteps = lanczosSteps }
            if let traceSamples { experiment.traceSamples = traceSamples }
            if let densityProbes { experiment.densityProbes = densityProbes }
            return experiment
        }
    }
}
