/// What one epoch measured; one line of `metrics.jsonl`.
public struct EpochMetrics: Codable, Equatable, Sendable {
    /// 1-based epoch number.
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var testLoss: Double
    public var testAccuracy: Double
    public var learningRate: Double
    /// Wall-clock seconds of this epoch's training (not evaluation).
    public var seconds: Double
    public var samplesPerSecond: Double
    /// Batches skipped because their loss or gradients were not finite.
    public var skippedBatches: Int

    /// One epoch's metrics, as written to `metrics.jsonl`.
    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double, testLoss: Double, testAccuracy: Double,
                learningRate: Double, seconds: Double, samplesPerSecond: Double, skippedBatches: Int = 0) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.learningRate = learningRate
        self.seconds = seconds
        self.samplesPerSecond = samplesPerSecond
        self.skippedBatches = skippedBatches
    }
}

/// The outcome of a run; `summary.json`.
public struct RunSummary: Codable, Equatable, Sendable {
    public var testAccuracy: Double
    public var testLoss: Double
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var epochs: Int
    /// Total training seconds over all epochs (resumed runs add up their parts).
    public var seconds: Double
    public var parameterCount: Int
    public var dataset: String

    /// A run's outcome, as written to `summary.json`.
    public init(testAccuracy: Double, testLoss: Double, trainLoss: Double, trainAccuracy: Double,
                epochs: Int, seconds: Double, parameterCount: Int, dataset: String) {
        self.testAccuracy = testAccuracy
        self.testLoss = testLoss
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.epochs = epochs
        self.seconds = seconds
        self.parameterCount = parameterCount
        self.dataset = dataset
    }
}
