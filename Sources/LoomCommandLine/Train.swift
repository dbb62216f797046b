import ArgumentParser
import Foundation
import Loom
import LoomData
import LoomNN
import LoomOptimizers
import LoomTraining

extension ImageDataset: ExpressibleByArgument {}
extension InitializerName: ExpressibleByArgument {}
extension NormalizationKind: ExpressibleByArgument {}
extension OptimizerChoice.Name: ExpressibleByArgument {}
extension ScheduleChoice.Name: ExpressibleByArgument {}
extension DivergencePolicy: ExpressibleByArgument {}
extension TaskKind: ExpressibleByArgument {}
extension MissingValuePolicy: ExpressibleByArgument {}
extension UnknownCategoryPolicy: ExpressibleByArgument {}

/// The configuration's defaults, for help texts (the library declares them).
private let defaults = TrainingConfiguration()

/// `name=value` for each case, as help texts list them.
func choices<T: CaseIterable & RawRepresentable>(_ type: T.Type) -> String where T.RawValue == String {
    T.allCases.map(\.rawValue).joined(separator: ", ")
}

/// An error in what the command line asked for, as one line.
struct CommandLineError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `loom train`: trains the lecture's network and reports what it learned.
///
/// It maps flags to a ``TrainingConfiguration`` and nothing more: a flag not given leaves the
/// library's default, and the library validates every value (a flag the chosen optimizer does
/// not have is refused there).
public struct Train: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Train a fully connected network (default: the bundled 8×8 digits, ReLU MLP, Adam).")

    @Option(help: "Dataset: \(choices(ImageDataset.self)) (default \(defaults.data.dataset.rawValue)).")
    var dataset: ImageDataset?
    @Option(name: .customLong("data"), help: "A table of your own (CSV, plain or .gz; .npy; .npz) with --target, or a directory holding --dataset's IDX files.")
    var data: String?
    @Option(help: "The target column(s) of --data, comma-separated (several: multi-output regression; .npz: the target array, default y).")
    var target: String?
    @Option(help: "The input columns of --data, comma-separated (default: every column but the target; .npz: the input array, default x).")
    var features: String?
    @Option(name: .customLong("test"), help: "A separate test table (default: --test-fraction of --data's rows).")
    var testFile: String?
    @Option(parsing: .unconditional, help: "The fraction of --data's rows held out for testing (default \(defaults.data.testFraction)).")
    var testFraction: Double?
    @Option(parsing: .unconditional, help: "The fraction of the training rows held out to validate every epoch (default \(defaults.data.validationFraction): none).")
    var validationFraction: Double?
    @Option(help: "classification or regression (default: from the target column: text or few distinct integers are classes).")
    var task: TaskKind?
    @Option(help: "The regression loss: mse or huber (default mse).")
    var loss: String?
    @Option(help: "Missing cells: error or impute (median for numbers, most frequent for categories; default \(defaults.data.missing.rawValue)).")
    var missing: MissingValuePolicy?
    @Option(help: "Categories the training split did not have, at prediction: error or ignore (default \(defaults.data.unknownCategories.rawValue)).")
    var unknownCategories: UnknownCategoryPolicy?
    @Option(parsing: .unconditional, help: "Stop when the validation loss has not improved for this many epochs (needs --validation-fraction; default: never).")
    var earlyStopping: Int?
    @Option(parsing: .unconditional, help: "Hidden layer widths, comma-separated (default \(defaults.model.hiddenWidths.map(String.init).joined(separator: ","))).")
    var hidden: String?
    @Option(parsing: .unconditional, help: "Number of hidden layers (with --width; instead of --hidden).")
    var depth: Int?
    @Option(parsing: .unconditional, help: "Width of each hidden layer (with --depth).")
    var width: Int?
    @Option(help: "Hidden activation: \(Activation.names.joined(separator: ", ")) (default \(defaults.model.activation.name)).")
    var activation: String?
    @Option(parsing: .unconditional, help: "Slope below zero for leaky-relu (default \(Activation.defaultNegativeSlope)).")
    var negativeSlope: Double?
    @Option(help: "Weight initializer: \(choices(InitializerName.self)) (default \(defaults.model.initializer.rawValue)).")
    var initializer: InitializerName?
    @Option(help: "Normalization after hidden layers: \(choices(NormalizationKind.self)) (default \(defaults.model.normalization.rawValue)).")
    var normalization: NormalizationKind?
    @Option(parsing: .unconditional, help: "Dropout probability after hidden activations (default \(defaults.model.dropout)).")
    var dropout: Double?
    @Option(help: "Optimizer: \(choices(OptimizerChoice.Name.self)) (default \(defaults.optimizer.name.rawValue)).")
    var optimizer: OptimizerChoice.Name?
    @Option(name: [.customLong("learning-rate"), .customLong("lr")], parsing: .unconditional, help: "Learning rate α (default: \(Train.defaultLearningRates)).")
    var learningRate: Double?
    @Option(parsing: .unconditional, help: "Momentum β (sgd, rmsprop; default \(SGD.Hyperparameters().momentum)).")
    var momentum: Double?
    @Option(help: "SGD momentum form: ema (the lecture's), ema-bias-corrected, heavy-ball (PyTorch's) (default \(SGD.Hyperparameters().momentumForm.name)).")
    var momentumForm: String?
    @Option(parsing: .unconditional, help: "Heavy-ball dampening (PyTorch's; default 0).")
    var dampening: Double?
    @Flag(help: "Nesterov momentum (sgd).")
    var nesterov = false
    @Option(parsing: .unconditional, help: "Weight decay λ (L2 for sgd/adam/rmsprop/adagrad, decoupled for adamw; default \(SGD.Hyperparameters().weightDecay), \(AdamW.defaultHyperparameters.weightDecay) for adamw).")
    var weightDecay: Double?
    @Option(parsing: .unconditional, help: "Adam β₁ (default \(Adam.Hyperparameters().beta1)).")
    var beta1: Double?
    @Option(parsing: .unconditional, help: "Adam β₂ (default \(Adam.Hyperparameters().beta2)).")
    var beta2: Double?
    @Option(parsing: .unconditional, help: "ε for adam, adamw, rmsprop, adagrad (default \(Adam.Hyperparameters().epsilon), \(Adagrad.Hyperparameters().epsilon) for adagrad).")
    var epsilon: Double?
    @Flag(help: "AMSGrad (adam, adamw).")
    var amsgrad = false
    @Flag(help: "Turn Adam's bias correction off (the lecture's notes omit it).")
    var noBiasCorrection = false
    @Option(parsing: .unconditional, help: "RMSProp smoothing constant (default \(RMSProp.Hyperparameters().alpha)).")
    var alpha: Double?
    @Flag(help: "Centered RMSProp.")
    var centered = false
    @Flag(help: "Armijo backtracking line search (newton, newton-cg).")
    var lineSearch = false
    @Option(parsing: .unconditional, help: "The most parameters Newton's dense Hessian may have (default \(Newton.Hyperparameters().maximumParameterCount)).")
    var maxParameters: Int?
    @Option(parsing: .unconditional, help: "Minibatch size (default \(defaults.batchSize)).")
    var batchSize: Int?
    @Option(parsing: .unconditional, help: "Epochs (default \(TrainingConfiguration.defaultEpochs), more on a small training set: at least \(TrainingConfiguration.minimumAutomaticSteps) steps, at most \(TrainingConfiguration.maximumAutomaticEpochs) epochs); with --resume, the run's new total.")
    var epochs: Int?
    @Option(help: "Learning-rate schedule per epoch: \(choices(ScheduleChoice.Name.self)) (default \(defaults.schedule.name.rawValue)).")
    var schedule: ScheduleChoice.Name?
    @Option(parsing: .unconditional, help: "Epochs between step-schedule decays (default 10).")
    var scheduleStep: Int?
    @Option(parsing: .unconditional, help: "Decay factor γ for step (default 0.1) and exponential (default 0.95) schedules.")
    var scheduleGamma: Double?
    @Option(parsing: .unconditional, help: "Linear warm-up epochs before the schedule (default \(defaults.warmupEpochs)).")
    var warmupEpochs: Int?
    @Option(parsing: .unconditional, help: "Label smoothing ε for the cross-entropy (default \(defaults.labelSmoothing)).")
    var labelSmoothing: Double?
    @Option(parsing: .unconditional, help: "Clip gradients to this global norm (default: no clipping).")
    var clipNorm: Double?
    @Option(help: "What to do when the loss or a gradient is NaN/∞: \(choices(DivergencePolicy.self)) (default \(defaults.divergencePolicy.rawValue)).")
    var onDivergence: DivergencePolicy?
    @Option(parsing: .unconditional, help: "With --on-divergence skip-batch, the largest fraction of an epoch's batches that may be skipped before the run stops as diverged (default \(defaults.maximumSkippedFraction)).")
    var maxSkippedFraction: Double?
    @Option(parsing: .unconditional, help: "Random seed: initialization, shuffling, dropout (default \(defaults.seed)).")
    var seed: UInt64?
    @Flag(help: "Keep the data order fixed.")
    var noShuffle = false
    @Option(help: "Run directory for config.json, metrics.jsonl, summary.json and checkpoint.safetensors.")
    var output: String?
    @Flag(help: "Start over in an --output that holds a run already (its files are replaced).")
    var force = false
    @Flag(help: "Continue the run in --output from its last checkpoint (its config.json decides the run; --epochs may extend it).")
    var resume = false
    @Option(help: "Start from the weights in this safetensors file.")
    var initialWeights: String?
    @Flag(help: "Print one JSON object per epoch.")
    var json = false
    @Flag(help: "Data-parallel training under mpirun (Open MPI): the global batch is split across the ranks. See DISTRIBUTED.md.")
    var distributed = false
    @Option(help: "With --distributed: seconds any one MPI operation may take before a rank gives up (0: no limit).")
    var distributedTimeout: Double = 300

    public init() {}

    /// Every optimizer's default learning rate, as the library declares it.
    static var defaultLearningRates: String {
        OptimizerChoice.Name.allCases.map { "\($0.rawValue) \(OptimizerChoice(defaultsFor: $0).learningRate)" }.joined(separator: ", ")
    }

    public func validate() throws {
        if resume && output == nil { throw ValidationError("--resume needs --output DIR (the run to continue)") }
        if resume && initialWeights != nil { throw ValidationError("--resume and --initial-weights cannot be combined") }
        if resume && force { throw ValidationError("--resume continues a run and --force starts it over: give one") }
        if resume, let flag = Self.flags.first(where: { $0.flag != "--epochs" && overrides().value(at: $0.path) != nil }) {
            throw ValidationError("--resume continues the run in --output as its config.json says; \(flag.flag) cannot change it (only --epochs can)")
        }
        if (depth == nil) != (width == nil) { throw ValidationError("--depth and --width go together") }
        if hidden != nil && depth != nil { throw ValidationError("use either --hidden or --depth/--width") }
        if let depth, depth < 0 { throw ValidationError("--depth must not be negative") }
        // The widths array is built from --depth before any other check: bound it first.
        let maximum = TrainingConfiguration.maximumHiddenLayers
        if let depth, depth > maximum { throw ValidationError("--depth must be at most \(maximum), got \(depth)") }
        if !(distributedTimeout >= 0 && distributedTimeout.isFinite) {
            throw ValidationError("--distributed-timeout must be a non-negative number of seconds, got \(distributedTimeout)")
        }
    }

    /// The flags as `config.json` fields (only those given): the whole mapping.
    func overrides() -> ConfigurationOverrides {
        var o = ConfigurationOverrides()
        o["data", "dataset"] = dataset?.rawValue
        if let data {
            // A directory holds an image dataset's IDX files; anything else is a table.
            var isDirectory: ObjCBool = false
            let directory = dataset != nil || (FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory) && isDirectory.boolValue)
            o["data", directory ? "directory" : "file"] = data
        }
        o["data", "targets"] = target.map(Self.list)
        o["data", "features"] = features.map(Self.list)
        o["data", "testFile"] = testFile
        o["data", "testFraction"] = testFraction
        o["data", "validationFraction"] = validationFraction
        o["data", "task"] = task?.rawValue
        o["data", "missing"] = missing?.rawValue
        o["data", "unknownCategories"] = unknownCategories?.rawValue
        o["regressionLoss"] = loss
        o["earlyStoppingPatience"] = earlyStopping
        if let hidden {
            o["model", "hiddenWidths"] = hidden.split(separator: ",", omittingEmptySubsequences: false)
                .map { Int($0.trimmingCharacters(in: .whitespaces)) as Any? ?? String($0) }
        } else if let depth, let width {
            o["model", "hiddenWidths"] = Array(repeating: width, count: depth)
        }
        if let negativeSlope {
            o["model", "activation"] = ["name": activation ?? defaults.model.activation.name, "negativeSlope": negativeSlope]
        } else {
            o["model", "activation"] = activation
        }
        o["model", "initializer"] = initializer?.rawValue
        o["model", "normalization"] = normalization?.rawValue
        o["model", "dropout"] = dropout
        o["optimizer", "learningRate"] = learningRate
        o["optimizer", "momentum"] = momentum
        o["optimizer", "momentumForm"] = momentumForm
        o["optimizer", "dampening"] = dampening
        o["optimizer", "nesterov"] = nesterov ? true : nil
        o["optimizer", "weightDecay"] = weightDecay
        o["optimizer", "beta1"] = beta1
        o["optimizer", "beta2"] = beta2
        o["optimizer", "epsilon"] = epsilon
        o["optimizer", "amsgrad"] = amsgrad ? true : nil
        o["optimizer", "biasCorrection"] = noBiasCorrection ? false : nil
        o["optimizer", "alpha"] = alpha
        o["optimizer", "centered"] = centered ? true : nil
        o["optimizer", "lineSearch"] = lineSearch ? "armijo" : nil
        o["optimizer", "maximumParameterCount"] = maxParameters
        if o.fields["optimizer"] != nil || optimizer != nil {
            o["optimizer", "name"] = (optimizer ?? defaults.optimizer.name).rawValue
        }
        o["schedule", "stepSize"] = scheduleStep
        o["schedule", "gamma"] = scheduleGamma
        if o.fields["schedule"] != nil || schedule != nil {
            o["schedule", "name"] = (schedule ?? defaults.schedule.name).rawValue
        }
        o["warmupEpochs"] = warmupEpochs
        o["batchSize"] = batchSize
        o["epochs"] = epochs
        o["labelSmoothing"] = labelSmoothing
        o["gradientClipNorm"] = clipNorm
        o["shuffle"] = noShuffle ? false : nil
        o["seed"] = seed.map { NSNumber(value: $0) }
        o["divergencePolicy"] = onDivergence?.rawValue
        o["maximumSkippedFraction"] = maxSkippedFraction
        return o
    }

    /// A comma-separated list of names.
    static func list(_ text: String) -> [String] {
        text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Which flag sets which field, for errors that name the flag.
    static let flags: [(flag: String, path: [String])] = [
        ("--dataset", ["data", "dataset"]), ("--data", ["data", "directory"]), ("--data", ["data", "file"]),
        ("--target", ["data", "targets"]), ("--features", ["data", "features"]), ("--test", ["data", "testFile"]),
        ("--test-fraction", ["data", "testFraction"]), ("--validation-fraction", ["data", "validationFraction"]),
        ("--task", ["data", "task"]), ("--missing", ["data", "missing"]), ("--unknown-categories", ["data", "unknownCategories"]),
        ("--loss", ["regressionLoss"]), ("--early-stopping", ["earlyStoppingPatience"]), ("--hidden", ["model", "hiddenWidths"]),
        ("--activation", ["model", "activation"]), ("--negative-slope", ["model", "activation", "negativeSlope"]),
        ("--initializer", ["model", "initializer"]), ("--normalization", ["model", "normalization"]),
        ("--dropout", ["model", "dropout"]), ("--optimizer", ["optimizer", "name"]),
        ("--learning-rate", ["optimizer", "learningRate"]), ("--momentum", ["optimizer", "momentum"]),
        ("--momentum-form", ["optimizer", "momentumForm"]), ("--dampening", ["optimizer", "dampening"]),
        ("--nesterov", ["optimizer", "nesterov"]), ("--weight-decay", ["optimizer", "weightDecay"]),
        ("--beta1", ["optimizer", "beta1"]), ("--beta2", ["optimizer", "beta2"]), ("--epsilon", ["optimizer", "epsilon"]),
        ("--amsgrad", ["optimizer", "amsgrad"]), ("--no-bias-correction", ["optimizer", "biasCorrection"]),
        ("--alpha", ["optimizer", "alpha"]), ("--centered", ["optimizer", "centered"]),
        ("--line-search", ["optimizer", "lineSearch"]), ("--max-parameters", ["optimizer", "maximumParameterCount"]),
        ("--schedule", ["schedule", "name"]), ("--schedule-step", ["schedule", "stepSize"]),
        ("--schedule-gamma", ["schedule", "gamma"]), ("--warmup-epochs", ["warmupEpochs"]), ("--batch-size", ["batchSize"]),
        ("--epochs", ["epochs"]), ("--label-smoothing", ["labelSmoothing"]), ("--clip-norm", ["gradientClipNorm"]),
        ("--no-shuffle", ["shuffle"]), ("--seed", ["seed"]), ("--on-divergence", ["divergencePolicy"]),
        ("--max-skipped-fraction", ["maximumSkippedFraction"]),
    ]

    /// The configuration the flags describe, validated by the library; a refused value is
    /// reported naming its flag. Public so that tests and the fuzzer map flags exactly as the
    /// tool does.
    public func makeConfiguration() throws -> TrainingConfiguration {
        do {
            return try TrainingConfiguration(overrides: overrides().fields, source: "the command line")
        } catch let error as ConfigurationError {
            throw CommandLineError(Self.describe(error, optimizer: optimizer ?? defaults.optimizer.name))
        }
    }

    /// A configuration error in terms of the flag that caused it.
    static func describe(_ error: ConfigurationError, optimizer: OptimizerChoice.Name) -> String {
        let path = error.field.split(separator: ".").map(String.init)
        guard let flag = flags.first(where: { $0.path == path }) ?? flags.first(where: { path.starts(with: $0.path) }) else {
            return error.description
        }
        if error.message.hasPrefix("unknown field") {
            if path.first == "optimizer" { return "\(flag.flag) is not an option of \(optimizer.rawValue)" }
            return "\(flag.flag) does not apply here (\(error.field) is not a field of this choice)"
        }
        return "\(flag.flag): \(error.message)"
    }

    /// The run's configuration: the flags', or with `--resume` the one saved in `directory`
    /// (with `--epochs`, extended to that many epochs).
    func configuration(for directory: RunDirectory?) throws -> TrainingConfiguration {
        guard resume, let directory else { return try makeConfiguration() }
        var configuration = try TrainingConfiguration.read(from: directory.configURL)
        if let epochs {
            configuration.epochs = epochs
            try configuration.validate()
        }
        return configuration
    }

    /// The line printed before a new run: data, network, optimizer and `batch` (how the
    /// batch is described).
    static func startLine(_ run: TrainingRun, batch: String) -> String {
        let c = run.configuration
        let validation = run.data.validation.map { " / \($0.count) validation" } ?? ""
        let task = run.data.target.task == .regression ? "regression of \(run.data.target.names.joined(separator: ", ")), " : ""
        return "\(c.data.name): \(run.data.train.count) train\(validation) / \(run.data.test.count) test, \(task)"
            + "MLP \(run.model.widths.map(String.init).joined(separator: "-")) (\(run.model.parameterCount()) parameters), "
            + "\(c.optimizer.name.rawValue) lr \(c.optimizer.learningRate), \(batch)"
    }

    /// The line printed after a run.
    static func resultLine(_ summary: RunSummary) -> String {
        let score: String
        if let accuracy = summary.testAccuracy {
            score = String(format: "test accuracy %.2f%% (loss %.4f)", accuracy * 100, summary.testLoss)
        } else {
            score = String(format: "test R² %.4f, RMSE %.4g, MAE %.4g", summary.testR2 ?? .nan, summary.testRMSE ?? .nan, summary.testMAE ?? .nan)
        }
        let stopped = summary.stoppedEarly ? " (stopped early; best validation epoch \(summary.bestEpoch ?? 0))" : ""
        return score + String(format: " after %d epochs%@, %.2f s of training", summary.epochs, stopped, summary.seconds)
    }

    public func run() throws {
        if distributed { return try runDistributed() }
        let directory = try output.map { try RunDirectory(path: $0) }
        let configuration = try configuration(for: directory)
        let progress = ProgressReporter(style: json ? .json : .automatic)
        let run = try TrainingRun(configuration: configuration, directory: directory,
                                  initialWeights: initialWeights.map { URL(fileURLWithPath: $0) }, progress: progress)
        run.overwrites = force
        if resume {
            try run.resume()
            progress.message("resuming after epoch \(run.completedEpochs) of \(run.epochs)")
        } else {
            progress.message(Train.startLine(run, batch: "batch \(configuration.batchSize)"))
        }
        let summary: RunSummary
        do {
            summary = try run.run()
        } catch let RunError.interrupted(signal, checkpoint) {
            let resume = run.completedEpochs > 0 ? directory.map { "; continue with: loom train --output \($0.url.path) --resume" } ?? "" : ""
            printLine(toStandardError: "\(Interrupted(signal: signal)); \(checkpoint)\(resume)")
            throw ExitCode(Interrupted(signal: signal).exitStatus)
        }
        progress.message(Train.resultLine(summary))
        if let directory { progress.message("run directory: \(directory.url.path)") }
    }
}
