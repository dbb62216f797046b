import Loom
import LoomData
import LoomNN
import LoomOptimizers
import LoomTraining

/// The bounds ``Experiment/validate()`` puts on sizes that come from outside, so that a typo
/// in a width or a depth is refused with a message instead of exhausting memory or the stack.
public enum ExperimentLimits {
    /// The most weights and biases one network may have: `loom train`'s limit
    /// (`TrainingRun/maximumParameterCount`).
    public static let maximumParameterCount = TrainingRun.maximumParameterCount
    /// The most parameters of a network whose exact `n × n` Hessian is formed: Newton's
    /// default limit (4096 parameters, a 128 MiB float64 matrix).
    public static let maximumHessianParameterCount = Newton.Hyperparameters().maximumParameterCount
    /// The most layers a network may have: `loom train`'s (`TrainingConfiguration.maximumHiddenLayers`).
    public static let maximumDepth = TrainingConfiguration.maximumHiddenLayers
    /// The most epochs (`zero-init` keeps one number per epoch; epochs × batches counts steps).
    public static let maximumEpochs = 100_000
    /// The most optimizer steps (`optimizers` keeps the objective after every step).
    public static let maximumSteps = 10_000_000
}

/// Throws a ``ConfigurationError`` about `field` unless `condition` holds.
func require(_ condition: Bool, _ field: String, _ message: @autoclosure () -> String) throws {
    if !condition { throw ConfigurationError(field: field, message: message()) }
}

/// Checks a list of hidden widths: positive, at most ``ExperimentLimits/maximumDepth``
/// of them, and (unless `allowsEmpty`) at least one.
func checkHiddenWidths(_ widths: [Int], field: String, allowsEmpty: Bool) throws {
    try require(allowsEmpty || !widths.isEmpty, field, "must name at least one hidden width")
    try require(widths.allSatisfy { $0 > 0 }, field, "must be positive, got \(widths.map(String.init).joined(separator: ","))")
    try require(widths.count <= ExperimentLimits.maximumDepth, field,
                "must have at most \(ExperimentLimits.maximumDepth) hidden layers, got \(widths.count)")
}

/// Refuses an MLP of `widths` (inputs, hidden, outputs) with more than `limit` parameters, or
/// whose count overflows, naming `field`; `purpose` says what the limit protects.
/// It also refuses one whose training needs more memory than the machine has
/// (`MemoryEstimate.training(_:batchSize:)`).
func checkParameterCount(_ widths: [Int], limit: Int, field: String, purpose: String, batchSize: Int = 1) throws {
    let architecture = MLPArchitecture(widths: widths, activation: .relu)
    let count = architecture.parameterCount
    guard let count, count <= limit else {
        throw ConfigurationError(field: field, message: "\(MemoryEstimate.name(architecture)) has \(count.map(String.init) ?? "too many") parameters; "
                                     + "\(purpose) allows at most \(limit)")
    }
    do {
        try MemoryRequirement.check(MemoryEstimate.training(architecture, batchSize: batchSize),
                                    for: "training \(MemoryEstimate.name(architecture))")
    } catch let error as MemoryError {
        throw ConfigurationError(field: field, message: error.description)
    }
}

/// Checks the settings every experiment that trains with minibatches has: `epochs` from
/// `minimumEpochs` to ``ExperimentLimits/maximumEpochs``, a positive batch size and a
/// positive, finite learning rate.
func checkTraining(epochs: Int, minimumEpochs: Int = 1, batchSize: Int, learningRate: Double) throws {
    try require((minimumEpochs...ExperimentLimits.maximumEpochs).contains(epochs), "epochs",
                "must be between \(minimumEpochs) and \(ExperimentLimits.maximumEpochs), got \(epochs)")
    try require(batchSize >= 1, "batchSize", "must be positive, got \(batchSize)")
    try require(learningRate > 0 && learningRate.isFinite, "learningRate", "must be positive and finite, got \(learningRate)")
}

/// `a × b × c`, or nil when it overflows.
func product(_ factors: Int...) -> Int? {
    var result = 1
    for factor in factors {
        let (next, overflow) = result.multipliedReportingOverflow(by: factor)
        if overflow { return nil }
        result = next
    }
    return result
}

extension ExperimentData {
    /// Checks the limit and the pooling, naming them as the experiments hold them
    /// (`data.limit`, `data.pooling`).
    public func validate() throws {
        try require(limit.map { $0 >= 1 } ?? true, "data.limit", "must be at least 1, got \(limit ?? 0)")
        try require(pooling >= 1, "data.pooling", "must be at least 1, got \(pooling)")
    }

    /// The input features the dataset's images have after pooling (8×8 digits, 28×28 MNIST
    /// and Fashion-MNIST): what ``Experiment/validate()`` sizes networks by before any file is
    /// read. Files of another size are still checked where the network is built.
    var expectedFeatureCount: Int {
        let side = (dataset == .digits ? 8 : 28) / Swift.max(pooling, 1)
        return Swift.max(side, 1) * Swift.max(side, 1)
    }

    /// The classes of every dataset Loom reads.
    var expectedClassCount: Int { 10 }
}
