import LoomData

/// A model's scores on one split: the loss, and the accuracy (classification) or R², RMSE and
/// MAE in the targets' own units (regression).
public struct Evaluation: Codable, Equatable, Sendable {
    public var loss: Double
    public var accuracy: Double?
    /// The coefficient of determination, averaged over targets (scikit-learn's `r2_score`).
    public var r2: Double?
    /// Root mean squared error over every target value.
    public var rmse: Double?
    /// Mean absolute error over every target value.
    public var mae: Double?

    /// Scores of a split.
    public init(loss: Double, accuracy: Double? = nil, r2: Double? = nil, rmse: Double? = nil, mae: Double? = nil) {
        self.loss = loss
        self.accuracy = accuracy
        self.r2 = r2
        self.rmse = rmse
        self.mae = mae
    }
}

/// What one epoch measured; one line of `metrics.jsonl`.
public struct EpochMetrics: Codable, Equatable, Sendable {
    /// 1-based epoch number.
    public var epoch: Int
    public var trainLoss: Double
    /// Nil for regression.
    public var trainAccuracy: Double?
    public var testLoss: Double
    /// Nil for regression.
    public var testAccuracy: Double?
    public var testR2: Double?
    public var testRMSE: Double?
    public var testMAE: Double?
    /// The validation split's scores (nil without one).
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var validationR2: Double?
    public var learningRate: Double
    /// Wall-clock seconds of this epoch's training (not evaluation).
    public var seconds: Double
    public var samplesPerSecond: Double
    /// Batches skipped because their loss or gradients were not finite.
    public var skippedBatches: Int

    /// One epoch's metrics, as written to `metrics.jsonl`.
    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double?, test: Evaluation, validation: Evaluation? = nil,
                learningRate: Double, seconds: Double, samplesPerSecond: Double, skippedBatches: Int = 0) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        testLoss = test.loss
        testAccuracy = test.accuracy
        testR2 = test.r2
        testRMSE = test.rmse
        testMAE = test.mae
        validationLoss = validation?.loss
        validationAccuracy = validation?.accuracy
        validationR2 = validation?.r2
        self.learningRate = learningRate
        self.seconds = seconds
        self.samplesPerSecond = samplesPerSecond
        self.skippedBatches = skippedBatches
    }

    /// The test split's scores.
    public var test: Evaluation { Evaluation(loss: testLoss, accuracy: testAccuracy, r2: testR2, rmse: testRMSE, mae: testMAE) }
}

/// The outcome of a run; `summary.json`.
public struct RunSummary: Codable, Equatable, Sendable {
    public var task: TaskKind
    /// Classification only.
    public var testAccuracy: Double?
    public var testLoss: Double
    /// Regression only: R², RMSE and MAE in the targets' units.
    public var testR2: Double?
    public var testRMSE: Double?
    public var testMAE: Double?
    public var trainLoss: Double
    public var trainAccuracy: Double?
    public var epochs: Int
    /// The epoch with the lowest validation loss (nil without a validation split).
    public var bestEpoch: Int?
    /// Whether early stopping ended the run before its last epoch.
    public var stoppedEarly: Bool
    /// Total training seconds over all epochs (resumed runs add up their parts).
    public var seconds: Double
    public var parameterCount: Int
    public var dataset: String

    /// A run's outcome, as written to `summary.json`.
    public init(task: TaskKind, test: Evaluation, trainLoss: Double, trainAccuracy: Double?, epochs: Int, bestEpoch: Int? = nil,
                stoppedEarly: Bool = false, seconds: Double, parameterCount: Int, dataset: String) {
        self.task = task
        testAccuracy = test.accuracy
        testLoss = test.loss
        testR2 = test.r2
        testRMSE = test.rmse
        testMAE = test.mae
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.epochs = epochs
        self.bestEpoch = bestEpoch
        self.stoppedEarly = stoppedEarly
        self.seconds = seconds
        self.parameterCount = parameterCount
        self.dataset = dataset
    }
}
