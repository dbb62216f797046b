import ArgumentParser
import LoomData
import LoomNN
import LoomOptimizers
import LoomTraining

// `loom train`'s flags, in the groups its help shows. The groups only declare flags; their
// mapping to configuration fields is `Train.overrides()`.

/// `loom train` flags: which data to train on and how it is split.
struct TrainDataOptions: ParsableArguments {
    @Option(help: "Dataset (default \(defaults.data.dataset.rawValue)).")
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
    @Option(help: "The task (default: from the target column: text or few distinct integers are classes).")
    var task: TaskKind?
    @Option(help: "Missing cells: an error, or imputed (median for numbers, most frequent for categories; default \(defaults.data.missing.rawValue)).")
    var missing: MissingValuePolicy?
    @Option(help: "Categories the training split did not have, at prediction: an error, or ignored (default \(defaults.data.unknownCategories.rawValue)).")
    var unknownCategories: UnknownCategoryPolicy?
}

/// `loom train` flags: the network.
struct TrainModelOptions: ParsableArguments {
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
    @Option(help: "Weight initializer (default \(defaults.model.initializer.rawValue)).")
    var initializer: InitializerName?
    @Option(help: "Normalization after hidden layers (default \(defaults.model.normalization.rawValue)).")
    var normalization: NormalizationKind?
    @Option(parsing: .unconditional, help: "Dropout probability after hidden activations (default \(defaults.model.dropout)).")
    var dropout: Double?
}

/// `loom train` flags: the loss, the optimizer and its hyperparameters.
struct TrainOptimizationOptions: ParsableArguments {
    @Option(help: "Optimizer (default \(defaults.optimizer.name.rawValue)).")
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
    @Option(parsing: .unconditional, help: """
        Examples per step (default \(TrainingConfiguration.defaultMinibatchSize); the whole training set for \
        \(TrainingConfiguration.fullBatchOptimizers.map(\.rawValue).joined(separator: ", "))).
        """)
    var batchSize: Int?
    @Option(help: "The regression loss: mse or huber (default mse).")
    var loss: String?
    @Option(parsing: .unconditional, help: "Label smoothing ε for the cross-entropy (default \(defaults.labelSmoothing)).")
    var labelSmoothing: Double?
    @Option(parsing: .unconditional, help: "Clip gradients to this global norm (default: no clipping).")
    var clipNorm: Double?
    @Option(help: "What to do when the loss or a gradient is NaN/∞ (default \(defaults.divergencePolicy.rawValue)).")
    var onDivergence: DivergencePolicy?
    @Option(parsing: .unconditional, help: "With --on-divergence skip-batch, the largest fraction of an epoch's batches that may be skipped before the run stops as diverged (default \(defaults.maximumSkippedFraction)).")
    var maxSkippedFraction: Double?
}

/// `loom train` flags: how long to train and how the learning rate changes per epoch.
struct TrainScheduleOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Epochs (default \(TrainingConfiguration.defaultEpochs), more on a small training set: at least \(TrainingConfiguration.minimumAutomaticSteps) steps, at most \(TrainingConfiguration.maximumAutomaticEpochs) epochs); with --resume, the run's new total.")
    var epochs: Int?
    @Option(help: "Learning-rate schedule per epoch (default \(defaults.schedule.name.rawValue)).")
    var schedule: ScheduleChoice.Name?
    @Option(parsing: .unconditional, help: "Epochs between step-schedule decays (default \(ScheduleChoice.defaultStepSize)).")
    var scheduleStep: Int?
    @Option(parsing: .unconditional, help: "Decay factor γ for step (default \(ScheduleChoice.defaultStepGamma)) and exponential (default \(ScheduleChoice.defaultExponentialGamma)) schedules.")
    var scheduleGamma: Double?
    @Option(parsing: .unconditional, help: "Linear warm-up epochs before the schedule (default \(defaults.warmupEpochs)).")
    var warmupEpochs: Int?
    @Option(parsing: .unconditional, help: "Stop when the validation loss has not improved for this many epochs (needs --validation-fraction; default: never).")
    var earlyStopping: Int?
}

/// `loom train` flags: reproducibility, the run directory and what is printed.
struct TrainRunOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Random seed: initialization, shuffling, dropout (default \(defaults.seed)).")
    var seed: UInt64?
    @Flag(help: "Keep the data order fixed.")
    var noShuffle = false
    @Option(help: "Run directory for config.json, metrics.jsonl, summary.json, checkpoint.safetensors and a TensorBoard event file.")
    var output: String?
    @Flag(help: "Start over in an --output that holds a run already (its files are replaced).")
    var force = false
    @Flag(help: "Continue the run in --output from its last checkpoint (its config.json decides the run; --epochs may extend it).")
    var resume = false
    @Option(help: "Start from the weights in this safetensors file.")
    var initialWeights: String?
    @Flag(help: "Print one JSON object per epoch.")
    var json = false
    @Flag(help: "Print only the result line.")
    var quiet = false
    @Flag(help: "Data-parallel training under mpirun (Open MPI): the global batch is split across the ranks. See DISTRIBUTED.md.")
    var distributed = false
    @Option(help: "With --distributed: seconds any one MPI operation may take before a rank gives up (0: no limit).")
    var distributedTimeout: Double = 300
}
