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
let defaults = TrainingConfiguration()

/// `name=value` for each case, as help texts list them.
func choices<T: CaseIterable & RawRepresentable>(_ type: T.Type) -> String where T.RawValue == String {
    T.allCases.map(\.rawValue).joined(separator: ", ")
}

/// An error in what the command line asked for, as one line.
struct CommandLineError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Train {
    /// Appended to the training layer's advice to use a line search: this tool's flag for it.
    static let lineSearchFlagNote = "; on the command line: --line-search"
}

/// `loom train`: trains the lecture's network and reports what it learned.
///
/// It maps flags to a `TrainingConfiguration` and nothing more: a flag not given leaves the
/// library's default, and the library validates every value (a flag the chosen optimizer does
/// not have is refused there).
public struct Train: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Train a fully connected network (default: the bundled 8×8 digits, ReLU MLP, Adam).")

    @OptionGroup(title: "Data") var dataOptions: TrainDataOptions
    @OptionGroup(title: "Model") var modelOptions: TrainModelOptions
    @OptionGroup(title: "Optimization") var optimization: TrainOptimizationOptions
    @OptionGroup(title: "Schedule") var scheduleOptions: TrainScheduleOptions
    @OptionGroup(title: "Run") var runOptions: TrainRunOptions

    public init() {}

    /// Every optimizer's default learning rate, as the library declares it.
    static var defaultLearningRates: String {
        OptimizerChoice.Name.allCases.map { "\($0.rawValue) \(OptimizerChoice(defaultsFor: $0).learningRate)" }.joined(separator: ", ")
    }

    public func validate() throws {
        if runOptions.resume && runOptions.output == nil { throw ValidationError("--resume needs --output DIR (the run to continue)") }
        if runOptions.resume && runOptions.initialWeights != nil { throw ValidationError("--resume and --initial-weights cannot be combined") }
        if runOptions.resume && runOptions.force { throw ValidationError("--resume continues a run and --force starts it over: give one") }
        if runOptions.quiet && runOptions.json { throw ValidationError("--quiet and --json cannot be combined") }
        if runOptions.resume, let flag = Self.flags.first(where: { $0.flag != "--epochs" && overrides().value(at: $0.path) != nil }) {
            throw ValidationError("--resume continues the run in --output as its config.json says; \(flag.flag) cannot change it (only --epochs can)")
        }
        if (modelOptions.depth == nil) != (modelOptions.width == nil) { throw ValidationError("--depth and --width go together") }
        if modelOptions.hidden != nil && modelOptions.depth != nil { throw ValidationError("use either --hidden or --depth/--width") }
        if let depth = modelOptions.depth, depth < 0 { throw ValidationError("--depth must not be negative") }
        // The widths array is built from --depth before any other check: bound it first.
        let maximum = TrainingConfiguration.maximumHiddenLayers
        if let depth = modelOptions.depth, depth > maximum { throw ValidationError("--depth must be at most \(maximum), got \(depth)") }
        let timeout = runOptions.distributedTimeout
        if !(timeout >= 0 && timeout.isFinite) {
            throw ValidationError("--distributed-timeout must be a non-negative number of seconds, got \(timeout)")
        }
    }

    /// The flags as `config.json` fields (only those given): the whole mapping.
    func overrides() -> ConfigurationOverrides {
        var o = ConfigurationOverrides()
        o["data", "dataset"] = dataOptions.dataset?.rawValue
        if let data = dataOptions.data {
            // A directory holds an image dataset's IDX files; anything else is a table.
            var isDirectory: ObjCBool = false
            let directory = dataOptions.dataset != nil || (FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory) && isDirectory.boolValue)
            o["data", directory ? "directory" : "file"] = data
        }
        o["data", "targets"] = dataOptions.target.map(Self.list)
        o["data", "features"] = dataOptions.features.map(Self.list)
        o["data", "testFile"] = dataOptions.testFile
        o["data", "testFraction"] = dataOptions.testFraction
        o["data", "validationFraction"] = dataOptions.validationFraction
        o["data", "task"] = dataOptions.task?.rawValue
        o["data", "missing"] = dataOptions.missing?.rawValue
        o["data", "unknownCategories"] = dataOptions.unknownCategories?.rawValue
        o["regressionLoss"] = optimization.loss
        o["earlyStoppingPatience"] = scheduleOptions.earlyStopping
        if let hidden = modelOptions.hidden {
            o["model", "hiddenWidths"] = hidden.split(separator: ",", omittingEmptySubsequences: false)
                .map { Int($0.trimmingCharacters(in: .whitespaces)) as Any? ?? String($0) }
        } else if let depth = modelOptions.depth, let width = modelOptions.width {
            o["model", "hiddenWidths"] = Array(repeating: width, count: depth)
        }
        if let negativeSlope = modelOptions.negativeSlope {
            o["model", "activation"] = ["name": modelOptions.activation ?? defaults.model.activation.name, "negativeSlope": negativeSlope]
        } else {
            o["model", "activation"] = modelOptions.activation
        }
        o["model", "initializer"] = modelOptions.initializer?.rawValue
        o["model", "normalization"] = modelOptions.normalization?.rawValue
        o["model", "dropout"] = modelOptions.dropout
        o["optimizer", "learningRate"] = optimization.learningRate
        o["optimizer", "momentum"] = optimization.momentum
        o["optimizer", "momentumForm"] = optimization.momentumForm
        o["optimizer", "dampening"] = optimization.dampening
        o["optimizer", "nesterov"] = optimization.nesterov ? true : nil
        o["optimizer", "weightDecay"] = optimization.weightDecay
        o["optimizer", "beta1"] = optimization.beta1
        o["optimizer", "beta2"] = optimization.beta2
        o["optimizer", "epsilon"] = optimization.epsilon
        o["optimizer", "amsgrad"] = optimization.amsgrad ? true : nil
        o["optimizer", "biasCorrection"] = optimization.noBiasCorrection ? false : nil
        o["optimizer", "alpha"] = optimization.alpha
        o["optimizer", "centered"] = optimization.centered ? true : nil
        o["optimizer", "lineSearch"] = optimization.lineSearch ? "armijo" : nil
        o["optimizer", "maximumParameterCount"] = optimization.maxParameters
        if o.fields["optimizer"] != nil || optimization.optimizer != nil {
            o["optimizer", "name"] = (optimization.optimizer ?? defaults.optimizer.name).rawValue
        }
        o["schedule", "stepSize"] = scheduleOptions.scheduleStep
        o["schedule", "gamma"] = scheduleOptions.scheduleGamma
        if o.fields["schedule"] != nil || scheduleOptions.schedule != nil {
            o["schedule", "name"] = (scheduleOptions.schedule ?? defaults.schedule.name).rawValue
        }
        o["warmupEpochs"] = scheduleOptions.warmupEpochs
        o["batchSize"] = optimization.batchSize
        o["epochs"] = scheduleOptions.epochs
        o["labelSmoothing"] = optimization.labelSmoothing
        o["gradientClipNorm"] = optimization.clipNorm
        o["shuffle"] = runOptions.noShuffle ? false : nil
        o["seed"] = runOptions.seed.map { NSNumber(value: $0) }
        o["divergencePolicy"] = optimization.onDivergence?.rawValue
        o["maximumSkippedFraction"] = optimization.maxSkippedFraction
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
            throw CommandLineError(Self.describe(error, optimizer: optimization.optimizer ?? defaults.optimizer.name))
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
        guard runOptions.resume, let directory else { return try makeConfiguration() }
        var configuration = try TrainingConfiguration.read(from: directory.configURL)
        if let epochs = scheduleOptions.epochs {
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

    /// How progress is shown: `--json`, `--quiet`, or a bar on a terminal and lines elsewhere.
    var progressStyle: ProgressStyle { runOptions.json ? .json : runOptions.quiet ? .quiet : .automatic }

    /// A library error's text with the configuration fields it names in parentheses
    /// (`raise the limit (maximumParameterCount)`) replaced by the flags that set them.
    static func namingFlags(_ text: String) -> String {
        flags.reduce(text) { text, entry in text.replacingOccurrences(of: "(\(entry.path.last!))", with: "(\(entry.flag))") }
    }

    public func run() throws {
        do {
            try runTraining()
        } catch let error as OptimizerError {
            throw CommandLineError(Self.namingFlags(error.description))
        }
    }

    private func runTraining() throws {
        if runOptions.distributed { return try runDistributed() }
        let directory = try runOptions.output.map { try RunDirectory(path: $0) }
        let configuration = try configuration(for: directory)
        let progress = ProgressReporter(style: progressStyle)
        let run = try TrainingRun(configuration: configuration, directory: directory,
                                  initialWeights: runOptions.initialWeights.map { URL(fileURLWithPath: $0) }, progress: progress)
        run.overwrites = runOptions.force
        if runOptions.resume {
            try run.resume()
            progress.message("resuming after epoch \(run.completedEpochs) of \(run.epochs)")
        } else {
            progress.message(Train.startLine(run, batch: configuration.batchDescription(trainingExamples: run.data.train.count)))
        }
        let summary: RunSummary
        do {
            summary = try run.run()
        } catch let RunError.interrupted(signal, checkpoint) {
            let resume = run.completedEpochs > 0 ? directory.map { "; continue with: loom train --output \($0.url.path) --resume" } ?? "" : ""
            printLine(toStandardError: "\(Interrupted(signal: signal)); \(checkpoint)\(resume)")
            throw ExitCode(Interrupted(signal: signal).exitStatus)
        } catch let RunError.divergedWithoutLineSearch(message) {
            throw CommandLineError(message + Train.lineSearchFlagNote)
        }
        progress.result(Train.resultLine(summary))
        if let directory { progress.message("run directory: \(directory.url.path)") }
    }
}
