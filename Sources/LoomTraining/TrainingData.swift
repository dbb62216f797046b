import Foundation
import Loom
import LoomData
import LoomNN

/// A run's data: the train, validation and test splits and what the model file must say
/// about them (how inputs become features, what the outputs mean).
public struct TrainingData {
    public var train: LabeledDataset
    /// Evaluated after every epoch (nil: no validation split).
    public var validation: LabeledDataset?
    public var test: LabeledDataset
    public var target: TargetEncoding
    public var preprocessing: ModelDescription.Preprocessing

    /// The splits `configuration.data` describes: a table file of the user's (its encodings
    /// fitted on the training split), or an image dataset; the validation split is a seeded
    /// part of the training rows. `warn` receives warnings about the data.
    public static func load(_ configuration: TrainingConfiguration, warn: (String) -> Void = { _ in }) throws -> TrainingData {
        let data = configuration.data
        if let file = data.file {
            let specification = TableSpecification(
                file: file, targets: data.targets, features: data.features, testFile: data.testFile,
                testFraction: data.testFraction, validationFraction: data.validationFraction, task: data.task,
                missing: data.missing, unknownCategories: data.unknownCategories, seed: configuration.seed, limit: data.limit)
            let splits = try specification.load(warn: warn)
            return TrainingData(train: splits.train, validation: splits.validation, test: splits.test, target: splits.target,
                                preprocessing: .table(columns: splits.features))
        }
        if data.task == .regression {
            throw ConfigurationError(field: "data.task", message: "\(data.dataset.rawValue) is a classification dataset")
        }
        let splits = try data.dataset.load(from: data.directory.map { URL(fileURLWithPath: $0) })
        func first(_ dataset: LabeledDataset) -> LabeledDataset {
            guard let limit = data.limit, limit < dataset.count else { return dataset }
            return dataset.subset(Array(0..<limit))
        }
        var train = first(splits.train), validation: LabeledDataset?
        let test = first(splits.test)
        if data.validationFraction > 0 {
            let count = Int((data.validationFraction * Double(train.count)).rounded())
            let order = splitOrder(of: train.count, seed: configuration.seed)
            validation = train.subset(Array(order[..<count]).sorted())
            train = train.subset(Array(order[count...]).sorted())
        }
        guard train.count > 0 else {
            throw DataError.malformed(path: data.directory ?? data.dataset.rawValue, reason: "the training split has no examples")
        }
        guard test.exampleShape == train.exampleShape else {
            throw DataError.mismatch("\(data.directory ?? data.dataset.rawValue): the test images are \(test.exampleShape.map(String.init).joined(separator: "×")) features, the training images \(train.exampleShape.map(String.init).joined(separator: "×"))")
        }
        let features = train.exampleShape.reduce(1, *)
        return TrainingData(
            train: train, validation: validation, test: test,
            target: TargetEncoding(names: ["label"], kind: .classes((0..<train.classCount).map(String.init))),
            preprocessing: .image(pixels: .image(featureCount: features, scale: 1 / data.dataset.maximumPixel)))
    }
}

extension TrainingConfiguration {
    /// The loss for the outputs and targets of `target`'s task: the softmax cross-entropy
    /// (with label smoothing) for classes, the squared error or Huber's loss on standardized
    /// targets for values.
    public func lossFunction(_ target: TargetEncoding) -> (Tensor, Tensor) -> Tensor {
        switch (target.task, regressionLoss) {
        case (.classification, _):
            return { [labelSmoothing] logits, labels in
                softmaxCrossEntropy(logits: logits, labels: labels, labelSmoothing: labelSmoothing)
            }
        case (.regression, .meanSquaredError):
            return { outputs, targets in meanSquaredError(predictions: outputs, targets: targets) }
        case let (.regression, .huber(delta)):
            return { outputs, targets in huberLoss(predictions: outputs, targets: targets, delta: delta) }
        }
    }
}
