import Foundation
import Loom
import LoomData
import LoomNN
import LoomOptimizers

/// What to do when a batch's loss or gradients are NaN or infinite.
public enum DivergencePolicy: String, Codable, Sendable, CaseIterable {
    /// Stop training with an error naming the step and the layer.
    case stop
    /// Skip the batch (no update) and count it in the epoch's metrics.
    case skipBatch = "skip-batch"
}

/// Sums over the examples of one training step (one process's part of a batch, or the whole
/// global batch): the loss summed over examples, the correct predictions and the examples.
public struct StepTotals: Equatable, Sendable {
    public var lossSum: Double
    public var correct: Double
    public var count: Double

    /// Totals of `count` examples.
    public init(lossSum: Double, correct: Double, count: Double) {
        self.lossSum = lossSum
        self.correct = correct
        self.count = count
    }
}

/// Trains a network with minibatches: per batch, forward, loss, backward and one optimizer
/// step; per epoch, an evaluation on the validation split (when there is one) and the test
/// split. The task (classification or regression) is the training data's.
public final class Trainer {
    public let model: Module
    public let optimizer: any Optimizer
    public let loader: DataLoader
    public let test: LabeledDataset
    /// Evaluated after every epoch too, before the test split (nil: none).
    public var validation: LabeledDataset?
    /// The regression targets' means and standard deviations, so that RMSE and MAE are in the
    /// targets' own units (nil: the targets are used as they are).
    public var targetScales: (means: [Double], standardDeviations: [Double])?
    /// The loss from outputs `[batch, outputs]` and targets (int64 labels `[batch]`, or
    /// regression targets `[batch, targets]`).
    public let loss: (Tensor, Tensor) -> Tensor
    /// Sets the learning rate for an epoch (0-based) before it starts; nil keeps it.
    public var learningRateForEpoch: ((Int) -> Double)?
    public var divergencePolicy: DivergencePolicy = .stop
    /// With `.skipBatch`, an epoch that skips more than this fraction of its batches stops as
    /// a divergence (``TrainingConfiguration/maximumSkippedFraction``).
    public var maximumSkippedFraction = TrainingConfiguration().maximumSkippedFraction
    /// Rescales the gradients when their global norm exceeds this (nil: never).
    public var gradientClipNorm: Double?
    public var progress: (any TrainingObserver)?
    /// Examples per evaluation batch (memory, not results, depends on it).
    public var evaluationBatchSize = ScoreAccumulator.defaultBatchSize
    /// Combines this process's gradients and step totals with those of the other processes of
    /// a data-parallel run (see `LoomDistributed`). Called after backward and before the
    /// divergence check, clipping and the step, with this process's totals; it must leave in
    /// every trainable parameter the gradient of the global batch's mean loss and return the
    /// global totals. nil: one process. Not used with Newton's methods.
    public var gradientReducer: ((StepTotals) throws -> StepTotals)?

    /// A trainer of `model` by `optimizer` on `loader`'s batches, evaluated on `test` after
    /// every epoch, with `loss(logits [batch, classes], labels [batch]) → scalar`.
    public init(model: Module, optimizer: any Optimizer, loader: DataLoader, test: LabeledDataset,
                loss: @escaping (Tensor, Tensor) -> Tensor) {
        self.model = model
        self.optimizer = optimizer
        self.loader = loader
        self.test = test
        self.loss = loss
    }

    /// Trains epoch `epoch` (0-based) and evaluates; `epochs` is the run's total, for
    /// progress only.
    public func trainEpoch(_ epoch: Int, of epochs: Int) throws -> EpochMetrics {
        if let learningRateForEpoch { optimizer.learningRate = learningRateForEpoch(epoch) }
        model.train()
        let start = Date()
        var lossSum = 0.0, correct = 0, seen = 0, skipped = 0
        let batches = loader.batchCount
        // The model's parameters, found once: the tree does not change during an epoch, and
        // walking it by reflection every step cost ~3% of an MLP step.
        let parameters = model.namedParameters()
        for (index, batch) in loader.batches(epoch: epoch).enumerated() {
            // A SIGINT or SIGTERM stops the epoch between batches (see `TrainingRun.run()`).
            try Interruption.check()
            let logits: Tensor
            var lossValue: Double
            var globalTotals: StepTotals?
            if optimizer.requiresLossClosure {
                // Newton's methods evaluate the loss themselves (for the Hessian and line search).
                logits = withoutGradients { model(batch.inputs) }
                let report = try optimizer.step { self.loss(self.model(batch.inputs), batch.labels) }
                lossValue = report.loss ?? .nan
                if !lossValue.isFinite {
                    throw RunError.diverged("training diverged at \(position(epoch, index)): the loss is \(lossValue)\(locateNonFiniteLoss(batch))")
                }
                firstLoss = firstLoss ?? lossValue
                if let after = report.lossAfterStep, let first = firstLoss, Self.hasDiverged(after, from: first) {
                    throw RunError.divergedWithoutLineSearch(
                        "training diverged at \(position(epoch, index)): the loss went from \(first) at the first step to \(after); "
                        + Self.lineSearchRemedy)
                }
                if !advisedLineSearch, let after = report.lossAfterStep, Self.stepRaisedSharply(from: lossValue, to: after) {
                    advisedLineSearch = true
                    progress?.lineSearchAdvised(
                        "warning: the loss rose from \(String(format: "%.4g", lossValue)) to \(String(format: "%.4g", after)) in one step at \(position(epoch, index)); "
                        + Self.lineSearchRemedy)
                }
            } else {
                // The graph must be gone before the optimizer writes the parameters in place
                // (while a graph still holds them, each write copies the whole tensor).
                (logits, lossValue) = forwardAndBackward(batch, parameters)
                if let gradientReducer {
                    let count = Double(batch.indices.count)  // a shard's part of a batch may be empty
                    let local = StepTotals(lossSum: count == 0 ? 0 : lossValue * count,
                                           correct: Double(Trainer.correctPredictions(logits, batch.labels)), count: count)
                    let global = try gradientReducer(local)
                    (lossValue, globalTotals) = (global.lossSum / Swift.max(global.count, 1), global)
                }
                if let problem = lossValue.isFinite ? firstNonFiniteGradient(parameters) : "the loss is \(lossValue)" {
                    if divergencePolicy == .skipBatch {
                        skipped += 1
                        parameters.forEach { $0.parameter.zeroGradient() }
                        continue
                    }
                    let location = lossValue.isFinite ? "" : locateNonFiniteLoss(batch)
                    throw RunError.diverged("training diverged at \(position(epoch, index)): \(problem)\(location)")
                }
                if let gradientClipNorm {
                    _ = try clipGradientNorm(of: parameters.map(\.parameter).filter { !$0.isFrozen }, maximumNorm: gradientClipNorm)
                }
                try optimizer.step(loss: nil)
            }
            let count = Double(batch.indices.count)
            let step = globalTotals ?? StepTotals(lossSum: lossValue * count,
                                                  correct: Double(Trainer.correctPredictions(logits, batch.labels)), count: count)
            lossSum += step.lossSum
            correct += Int(step.correct)
            seen += Int(step.count)
            let elapsed = Date().timeIntervalSince(start)
            progress?.batchFinished(epoch: epoch + 1, epochs: epochs, batch: index + 1, batches: batches,
                                    loss: lossSum / Double(Swift.max(seen, 1)),
                                    accuracy: isClassification ? Double(correct) / Double(Swift.max(seen, 1)) : nil,
                                    samplesPerSecond: Double(seen) / Swift.max(elapsed, 1e-9), elapsed: elapsed)
        }
        model.zeroGradients()
        let seconds = Date().timeIntervalSince(start)
        if seen == 0 && skipped > 0 {
            throw RunError.diverged("training diverged in epoch \(epoch + 1): every one of its \(skipped) batches had a non-finite loss or gradient and was skipped")
        }
        if Double(skipped) > maximumSkippedFraction * Double(batches) {
            throw RunError.diverged("training diverged in epoch \(epoch + 1): \(skipped) of its \(batches) batches had a non-finite loss or gradient "
                                    + "and were skipped, more than the limit of \(maximumSkippedFraction) (maximumSkippedFraction)")
        }
        // At the optimizer's iterate θ.
        let validationScores = validation.map { scores($0) }
        let testScores = scores(test)
        let metrics = EpochMetrics(
            epoch: epoch + 1, trainLoss: lossSum / Double(Swift.max(seen, 1)),
            trainAccuracy: isClassification ? Double(correct) / Double(Swift.max(seen, 1)) : nil,
            test: testScores, validation: validationScores, learningRate: optimizer.learningRate,
            seconds: seconds, samplesPerSecond: Double(seen) / Swift.max(seconds, 1e-9), skippedBatches: skipped)
        progress?.epochFinished(metrics, epochs: epochs)
        return metrics
    }

    /// Forward, loss and (when the loss is finite) backward on fresh gradients of `parameters`
    /// (the model's); returns the logits without their graph and the loss.
    private func forwardAndBackward(_ batch: Batch, _ parameters: [(path: String, parameter: Parameter)]) -> (logits: Tensor, loss: Double) {
        let logits = model(batch.inputs)
        let value = loss(logits, batch.labels)
        let lossValue = value.item(Double.self)
        parameters.forEach { $0.parameter.zeroGradient() }
        if lossValue.isFinite { value.backward() }
        return (logits.detached(), lossValue)
    }

    /// "epoch e, batch b (step s)", all counting from 1; the step counts batches over the run.
    /// The loss at the first step of a Newton-type optimizer in this trainer.
    private var firstLoss: Double?

    /// How many times the first step's loss a Newton-type optimizer may reach before the run
    /// counts as diverged: far above what any step that is still converging reaches (a
    /// cross-entropy starts near log(classes)), far below where a diverging full-step run ends
    /// (Newton-CG without a line search on the digits, in minibatches of 32: 2.9·10⁹).
    public static let divergenceGrowth = 1e4

    /// What the two Newton-type messages say about a line search, in the configuration's terms.
    static let lineSearchRemedy = "a full Newton-type step can increase the loss far from a minimum, and a line search prevents it "
        + "(optimizer.lineSearch \"armijo\")"

    /// Whether the run has said that a step raised the loss sharply (once a run is enough).
    private var advisedLineSearch = false

    /// How many times its loss before a step the loss after a Newton-type step may reach before
    /// the run advises a line search: a line search never lets a step raise the loss, and a
    /// converging full step raises it little if at all (Newton-CG without one on the digits
    /// goes from 2.35 to 709 in its first step, then wanders between 1.7 and 734).
    public static let lineSearchAdviceGrowth = 2.0

    /// Whether one step took the loss from `before` to more than ``lineSearchAdviceGrowth``
    /// times `max(before, 10⁻³)` (a loss near zero may grow several-fold and still be small).
    static func stepRaisedSharply(from before: Double, to after: Double) -> Bool {
        before.isFinite && after > lineSearchAdviceGrowth * Swift.max(before, 1e-3)
    }

    /// Whether a loss of `loss` after a step, with `first` at the first step, is divergence:
    /// not finite, or more than ``divergenceGrowth`` times `max(first, 1)`.
    static func hasDiverged(_ loss: Double, from first: Double) -> Bool {
        !loss.isFinite || loss > divergenceGrowth * Swift.max(first, 1)
    }

    private func position(_ epoch: Int, _ index: Int) -> String {
        "epoch \(epoch + 1), batch \(index + 1) (step \(epoch * loader.batchCount + index + 1))"
    }

    /// Where a non-finite loss comes from: a parameter that already holds a NaN or infinity,
    /// or else the first layer of a ``Sequential`` whose output is not finite. It runs one more
    /// forward pass, so it is called only when training stops.
    private func locateNonFiniteLoss(_ batch: Batch) -> String {
        if let (path, _) = model.namedParameters().first(where: { !$0.1.value.hasOnlyFiniteElements }) {
            return "; the parameter \(path) is not finite"
        }
        guard let sequential = model as? Sequential else { return "" }
        return withoutGradients {
            var activation = batch.inputs
            for (index, layer) in sequential.layers.enumerated() {
                activation = layer(activation)
                if !activation.hasOnlyFiniteElements {
                    return "; layers.\(index) (\(type(of: layer))) is the first layer whose output is not finite"
                }
            }
            return ""
        }
    }

    /// The path of the first of `parameters` whose gradient has a NaN or infinity, described.
    private func firstNonFiniteGradient(_ parameters: [(path: String, parameter: Parameter)]) -> String? {
        for (path, parameter) in parameters {
            guard let gradient = parameter.gradient else { continue }
            if !gradient.hasOnlyFiniteElements { return "the gradient of \(path) is not finite" }
        }
        return nil
    }

    /// Whether the training data are classes (accuracy is measured) rather than values.
    var isClassification: Bool {
        if case .classification = loader.dataset.task { return true }
        return false
    }

    /// Mean loss and accuracy over a dataset (accuracy 0 for regression); see ``scores(_:)``.
    public func evaluate(_ dataset: LabeledDataset) -> (loss: Double, accuracy: Double) {
        let result = scores(dataset)
        return (result.loss, result.accuracy ?? 0)
    }

    /// A dataset's scores at the optimizer's iterate θ (for the lecture's Nesterov, not the
    /// look-ahead point the parameters hold), in evaluation mode without recording, in
    /// batches: the loss, and the accuracy or the regression scores.
    public func scores(_ dataset: LabeledDataset) -> Evaluation {
        model.evaluate()
        defer { model.train() }
        return optimizer.withParametersAtIterate {
            ScoreAccumulator.scores(of: model, on: dataset, loss: loss, scales: targetScales, batchSize: evaluationBatchSize)
        }
    }

    /// How many rows' largest logit is at the label (0 for regression targets).
    static func correctPredictions(_ logits: Tensor, _ labels: Tensor) -> Int {
        guard labels.rank == 1 else { return 0 }
        return withoutGradients {
            Int((logits.argmax(alongAxis: 1) .== labels).sum().item(Int64.self))
        }
    }
}

/// Sums over batches from which a split's scores follow: correct predictions, or per target
/// the squared and absolute errors and the targets' first two moments (standardized units;
/// R² is the same in any units, RMSE and MAE are scaled back by each target's deviation).
struct ScoreAccumulator {
    /// Examples per evaluation batch, unless a trainer says otherwise.
    static let defaultBatchSize = 1024
    let task: DatasetTask
    let scales: (means: [Double], standardDeviations: [Double])?
    var count = 0
    var correct = 0
    var squaredErrors: [Double] = []
    var absoluteErrors: [Double] = []
    var targetSums: [Double] = []
    var targetSquares: [Double] = []

    init(task: DatasetTask, scales: (means: [Double], standardDeviations: [Double])?) {
        self.task = task
        self.scales = scales
        if case let .regression(k) = task {
            squaredErrors = Array(repeating: 0, count: k)
            absoluteErrors = squaredErrors
            targetSums = squaredErrors
            targetSquares = squaredErrors
        }
    }

    /// `model`'s scores on `dataset` in batches of `batchSize`, without recording: the mean
    /// of `loss` over the examples, and the accuracy or the regression scores.
    static func scores(of model: Module, on dataset: LabeledDataset, loss: (Tensor, Tensor) -> Tensor,
                       scales: (means: [Double], standardDeviations: [Double])?, batchSize: Int) -> Evaluation {
        withoutGradients {
            var lossSum = 0.0
            var accumulator = ScoreAccumulator(task: dataset.task, scales: scales)
            for batch in DataLoader(dataset, batchSize: batchSize, shuffles: false).batches(epoch: 0) {
                let outputs = model(batch.inputs)
                lossSum += loss(outputs, batch.labels).item(Double.self) * Double(batch.indices.count)
                accumulator.add(outputs: outputs, targets: batch.labels)
            }
            return accumulator.evaluation(loss: lossSum / Double(Swift.max(dataset.count, 1)))
        }
    }

    mutating func add(outputs: Tensor, targets: Tensor) {
        count += targets.shape.first ?? 0
        switch task {
        case .classification: correct += Trainer.correctPredictions(outputs, targets)
        case let .regression(k):
            let predicted = outputs.asArray(Double.self), actual = targets.asArray(Double.self)
            for i in actual.indices {
                let j = i % k, error = predicted[i] - actual[i]
                squaredErrors[j] += error * error
                absoluteErrors[j] += Swift.abs(error)
                targetSums[j] += actual[i]
                targetSquares[j] += actual[i] * actual[i]
            }
        }
    }

    func evaluation(loss: Double) -> Evaluation {
        let n = Double(Swift.max(count, 1))
        switch task {
        case .classification: return Evaluation(loss: loss, accuracy: Double(correct) / n)
        case let .regression(k):
            let deviations = scales?.standardDeviations ?? Array(repeating: 1, count: k)
            var r2 = 0.0, squared = 0.0, absolute = 0.0
            for j in 0..<k {
                let total = targetSquares[j] - targetSums[j] * targetSums[j] / n
                r2 += total > 0 ? 1 - squaredErrors[j] / total : (squaredErrors[j] == 0 ? 1 : 0)
                squared += squaredErrors[j] * deviations[j] * deviations[j]
                absolute += absoluteErrors[j] * deviations[j]
            }
            let values = n * Double(k)
            return Evaluation(loss: loss, r2: r2 / Double(k), rmse: (squared / values).squareRoot(), mae: absolute / values)
        }
    }
}
