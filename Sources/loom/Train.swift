import ArgumentParser
import Foundation
import LoomData
import LoomExperiments

extension ImageDataset: ExpressibleByArgument {}
extension TrainingConfiguration.ActivationName: ExpressibleByArgument {}
extension TrainingConfiguration.InitializerName: ExpressibleByArgument {}
extension TrainingConfiguration.OptimizerName: ExpressibleByArgument {}
extension TrainingConfiguration.MomentumFormName: ExpressibleByArgument {}
extension TrainingConfiguration.ScheduleName: ExpressibleByArgument {}
extension DivergencePolicy: ExpressibleByArgument {}

/// `loom train`: trains the lecture's network and reports what it learned.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a fully connected network (default: the bundled 8×8 digits, ReLU MLP, Adam).")

    @Option(help: "Dataset: \(ImageDataset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dataset: ImageDataset = .digits
    @Option(name: .customLong("data"), help: "Directory holding the dataset's IDX files.")
    var dataDirectory: String?
    @Option(help: "Hidden layer widths, comma-separated (e.g. 512,512).")
    var hidden: String?
    @Option(help: "Number of hidden layers (with --width; instead of --hidden).")
    var depth: Int?
    @Option(help: "Width of each hidden layer (with --depth).")
    var width: Int?
    @Option(help: "Hidden activation: \(TrainingConfiguration.ActivationName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var activation: TrainingConfiguration.ActivationName = .relu
    @Option(help: "Slope below zero for leaky-relu.")
    var negativeSlope: Double = 0.01
    @Option(help: "Weight initializer: \(TrainingConfiguration.InitializerName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var initializer: TrainingConfiguration.InitializerName = .kaimingNormal
    @Option(help: "Normalization after hidden layers: none, batch, layer.")
    var normalization: String = "none"
    @Option(help: "Dropout probability after hidden activations.")
    var dropout: Double = 0
    @Option(help: "Optimizer: \(TrainingConfiguration.OptimizerName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var optimizer: TrainingConfiguration.OptimizerName = .adam
    @Option(name: [.customLong("learning-rate"), .customLong("lr")], help: "Learning rate α (default: 1e-3 for Adam/AdamW, 1e-2 for RMSProp/Adagrad, 0.1 for SGD, 1 for Newton).")
    var learningRate: Double?
    @Option(help: "Momentum β (SGD, RMSProp).")
    var momentum: Double = 0
    @Option(help: "SGD momentum form: ema (the lecture's), ema-bias-corrected, heavy-ball (PyTorch's).")
    var momentumForm: TrainingConfiguration.MomentumFormName = .ema
    @Option(help: "Heavy-ball dampening (PyTorch's).")
    var dampening: Double = 0
    @Flag(help: "Nesterov momentum (SGD).")
    var nesterov = false
    @Option(help: "Weight decay λ (L2 for SGD/Adam/RMSProp/Adagrad, decoupled for AdamW).")
    var weightDecay: Double?
    @Option(help: "Adam β₁.")
    var beta1: Double = 0.9
    @Option(help: "Adam β₂.")
    var beta2: Double = 0.999
    @Option(help: "ε for Adam, RMSProp, Adagrad.")
    var epsilon: Double?
    @Flag(help: "AMSGrad (Adam, AdamW).")
    var amsgrad = false
    @Flag(help: "Turn Adam's bias correction off (the lecture's notes omit it).")
    var noBiasCorrection = false
    @Option(help: "RMSProp smoothing constant.")
    var alpha: Double = 0.99
    @Flag(help: "Centered RMSProp.")
    var centered = false
    @Flag(help: "Backtracking line search (Newton, Newton-CG).")
    var lineSearch = false
    @Option(help: "Minibatch size.")
    var batchSize: Int = 32
    @Option(help: "Epochs.")
    var epochs: Int = 20
    @Option(help: "Learning-rate schedule per epoch: constant, step, exponential, cosine.")
    var schedule: TrainingConfiguration.ScheduleName = .constant
    @Option(help: "Epochs between step-schedule decays.")
    var scheduleStep: Int = 10
    @Option(help: "Decay factor γ for step and exponential schedules.")
    var scheduleGamma: Double = 0.1
    @Option(help: "Linear warm-up epochs before the schedule.")
    var warmupEpochs: Int = 0
    @Option(help: "Label smoothing ε for the cross-entropy.")
    var labelSmoothing: Double = 0
    @Option(help: "Clip gradients to this global norm.")
    var clipNorm: Double?
    @Option(help: "What to do when the loss or a gradient is NaN/∞: stop, skip-batch.")
    var onDivergence: DivergencePolicy = .stop
    @Option(help: "Random seed (initialization, shuffling, dropout).")
    var seed: UInt64 = 0
    @Flag(help: "Keep the data order fixed.")
    var noShuffle = false
    @Option(help: "Run directory for config.json, metrics.jsonl, summary.json and checkpoint.safetensors.")
    var output: String?
    @Flag(help: "Continue the run in --output from its last checkpoint (its config.json decides the run).")
    var resume = false
    @Option(help: "Start from the weights in this safetensors file.")
    var initialWeights: String?
    @Flag(help: "Print one JSON object per epoch.")
    var json = false
    @Flag(help: "Data-parallel training under mpirun (Open MPI): the global batch is split across the ranks. See DISTRIBUTED.md.")
    var distributed = false
    @Option(help: "With --distributed: seconds any one MPI operation may take before a rank gives up (0: no limit).")
    var distributedTimeout: Double = 300

    func validate() throws {
        if resume && output == nil { throw ValidationError("--resume needs --output DIR (the run to continue)") }
        if resume && initialWeights != nil { throw ValidationError("--resume and --initial-weights cannot be combined") }
        if (depth == nil) != (width == nil) { throw ValidationError("--depth and --width go together") }
        if hidden != nil && depth != nil { throw ValidationError("use either --hidden or --depth/--width") }
        if let depth, depth < 0 { throw ValidationError("--depth must not be negative") }
        // The widths array is built from --depth before any other check: bound it first.
        if let depth, depth > 10_000 { throw ValidationError("--depth must be at most 10000, got \(depth)") }
    }

    func makeConfiguration() throws -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.dataset = dataset
        c.dataDirectory = dataDirectory
        if let hidden {
            let widths = hidden.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !widths.contains(nil) else { throw ValidationError("--hidden must be comma-separated integers, got \(hidden)") }
            c.hiddenWidths = widths.map { $0! }
        } else if let depth, let width {
            c.hiddenWidths = Array(repeating: width, count: depth)
        }
        c.activation = activation
        c.negativeSlope = negativeSlope
        c.initializer = initializer
        c.normalization = normalization
        c.dropout = dropout
        c.optimizer = optimizer
        c.learningRate = learningRate ?? Self.defaultLearningRate(optimizer)
        c.momentum = momentum
        c.momentumForm = momentumForm
        c.dampening = dampening
        c.nesterov = nesterov
        c.weightDecay = weightDecay ?? (optimizer == .adamw ? 1e-2 : 0)
        c.beta1 = beta1
        c.beta2 = beta2
        c.epsilon = epsilon ?? (optimizer == .adagrad ? 1e-10 : 1e-8)
        c.amsgrad = amsgrad
        c.biasCorrection = !noBiasCorrection
        c.alpha = alpha
        c.centered = centered
        c.lineSearch = lineSearch
        c.batchSize = batchSize
        c.epochs = epochs
        c.schedule = schedule
        c.scheduleStep = scheduleStep
        c.scheduleGamma = scheduleGamma
        c.warmupEpochs = warmupEpochs
        c.labelSmoothing = labelSmoothing
        c.gradientClipNorm = clipNorm
        c.shuffle = !noShuffle
        c.seed = seed
        c.divergencePolicy = onDivergence
        return c
    }

    static func defaultLearningRate(_ optimizer: TrainingConfiguration.OptimizerName) -> Double {
        switch optimizer {
        case .adam, .adamw: 1e-3
        case .rmsprop, .adagrad: 1e-2
        case .sgd: 0.1
        case .newton, .newtonCG: 1
        }
    }

    /// The run's configuration: the options', or with `--resume` the one saved in `directory`.
    func configuration(for directory: RunDirectory?) throws -> TrainingConfiguration {
        guard resume, let directory else { return try makeConfiguration() }
        return try JSONDecoder().decode(TrainingConfiguration.self, from: Data(contentsOf: directory.configURL))
    }

    /// The line printed before a new run: data, network, optimizer and `batch` (how the
    /// batch is described).
    static func startLine(_ run: TrainingRun, batch: String) -> String {
        let c = run.configuration
        return "\(c.dataset.rawValue): \(run.data.train.count) train / \(run.data.test.count) test, "
            + "MLP \(run.model.widths.map(String.init).joined(separator: "-")) (\(run.model.parameterCount()) parameters), "
            + "\(c.optimizer.rawValue) lr \(c.learningRate), \(batch)"
    }

    /// The line printed after a run.
    static func resultLine(_ summary: RunSummary) -> String {
        String(format: "test accuracy %.2f%% (loss %.4f) after %d epochs, %.2f s of training",
               summary.testAccuracy * 100, summary.testLoss, summary.epochs, summary.seconds)
    }

    func run() throws {
        if distributed { return try runDistributed() }
        let directory = try output.map { try RunDirectory(URL(fileURLWithPath: $0)) }
        let configuration = try configuration(for: directory)
        let progress = ProgressReporter(style: json ? .json : .automatic)
        let run = try TrainingRun(configuration: configuration, directory: directory,
                                  initialWeights: initialWeights.map { URL(fileURLWithPath: $0) }, progress: progress)
        if resume {
            try run.resume()
            progress.message("resuming after epoch \(run.completedEpochs) of \(configuration.epochs)")
        } else {
            progress.message(Train.startLine(run, batch: "batch \(configuration.batchSize)"))
        }
        let summary = try run.run()
        progress.message(Train.resultLine(summary))
        if let directory { progress.message("run directory: \(directory.url.path)") }
    }
}
