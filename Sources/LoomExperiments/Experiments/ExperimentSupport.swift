import Foundation
import Loom
import LoomData
import LoomTraining
import LoomNN
import LoomOptimizers

/// Which data an experiment trains on: the bundled digits by default, MNIST or
/// Fashion-MNIST when asked, optionally only the first `limit` training examples.
public struct ExperimentData: Sendable {
    public var dataset: ImageDataset = .digits
    /// A directory with the dataset's IDX files (nil: its default location).
    public var directory: String?
    /// Use only the first `limit` training (and test) examples (nil: all).
    public var limit: Int?
    /// Average-pool square images by this factor per side (1: keep them), to make models
    /// small enough for exact Hessians: digits 8×8 pooled by 2 are 4×4.
    public var pooling: Int = 1

    /// Data from `dataset` (in `directory`, or its default place), optionally the first `limit`
    /// examples of each split, average-pooled by `pooling` per side.
    public init(dataset: ImageDataset = .digits, directory: String? = nil, limit: Int? = nil, pooling: Int = 1) {
        self.dataset = dataset
        self.directory = directory
        self.limit = limit
        self.pooling = pooling
    }

    /// The train and test splits, flattened, in `dtype`.
    public func load(dtype: DType = .float32) throws -> (train: LabeledDataset, test: LabeledDataset) {
        let splits = try dataset.load(from: directory.map { URL(fileURLWithPath: $0) })
        func prepare(_ data: LabeledDataset) throws -> LabeledDataset {
            var limited = limit.map { data.subset(Array(0..<Swift.min($0, data.count))) } ?? data
            if pooling > 1 {
                let side = Int(Double(limited.exampleShape.reduce(1, *)).squareRoot()), p = pooling
                guard side * side == limited.exampleShape.reduce(1, *), side % p == 0 else {
                    throw RunError.invalidConfiguration("cannot pool \(side)×\(side) images by \(p)")
                }
                let pooled = withoutGradients {
                    limited.inputs.reshaped([limited.count, side / p, p, side / p, p]).mean(alongAxes: [2, 4]).reshaped([limited.count, -1])
                }
                limited = try LabeledDataset(inputs: pooled, labels: limited.labels, classCount: limited.classCount)
            }
            return dtype == limited.inputs.dtype ? limited
                : try LabeledDataset(inputs: limited.inputs.cast(to: dtype), labels: limited.labels, classCount: limited.classCount)
        }
        return (try prepare(splits.train), try prepare(splits.test))
    }

    var description: String {
        dataset.rawValue + (limit.map { " (first \($0) examples)" } ?? "") + (pooling > 1 ? ", average-pooled \(pooling)×\(pooling)" : "")
    }
}

/// Minibatch training for a fixed number of steps, reporting each step.
enum StepTrainer {
    /// Runs `steps` optimizer steps over `loader`'s batches (epoch after epoch); after each,
    /// `observe(step, loss before the step)` with 1-based `step`.
    static func train(model: Module, optimizer: any Optimizer, loader: DataLoader, steps: Int,
                      observe: (Int, Double) -> Void = { _, _ in }) {
        var step = 0, epoch = 0
        let parameters = model.parameters  // found once: a reflective walk per step is slow
        while step < steps {
            for batch in loader.batches(epoch: epoch) {
                guard step < steps else { break }
                let loss = softmaxCrossEntropy(logits: model(batch.inputs), labels: batch.labels)
                parameters.forEach { $0.zeroGradient() }
                loss.backward()
                optimizer.step()
                step += 1
                observe(step, loss.item(Double.self))
            }
            epoch += 1
        }
        model.zeroGradients()
    }

    /// Mean loss and accuracy of `model` on `data`, without recording.
    static func evaluate(_ model: Module, on data: LabeledDataset) -> (loss: Double, accuracy: Double) {
        withoutGradients {
            let logits = model(data.inputs)
            let loss = softmaxCrossEntropy(logits: logits, labels: data.labels).item(Double.self)
            let correct = (logits.argmax(alongAxis: 1) .== data.labels).sum().item(Double.self)
            return (loss, correct / Double(Swift.max(data.count, 1)))
        }
    }
}

/// `‖t‖_F` as a Double.
func frobeniusNorm(_ tensor: Tensor) -> Double {
    withoutGradients { (tensor * tensor).sum().sqrt() }.item(Double.self)
}

func format(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)g", value) }
func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
