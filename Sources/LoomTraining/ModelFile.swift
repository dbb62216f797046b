import Foundation
import Loom
import LoomData
import LoomNN

/// What a model file says about its model, beside the weights: enough to rebuild the
/// network, prepare its inputs and name its outputs without any other file.
///
/// Stored as JSON under ``ModelFile/descriptionKey`` in the safetensors metadata of every
/// checkpoint and exported model, next to the Loom version (``ModelFile/versionKey``) and the
/// training configuration (``ModelFile/configurationKey``).
public struct ModelDescription: Codable, Equatable, Sendable {
    public var architecture: MLPArchitecture
    /// What the outputs mean: class names (classification, logits in that order), or target
    /// columns with the scales that restore their units (regression).
    public var target: TargetEncoding
    /// How raw inputs become the network's features.
    public var preprocessing: Preprocessing

    /// Image pixels scaled, or a table's columns encoded.
    public enum Preprocessing: Codable, Equatable, Sendable {
        case image(pixels: InputPreprocessing)
        case table(columns: FeatureEncoding)

        /// The number of features the network takes.
        public var featureCount: Int {
            switch self {
            case let .image(pixels): pixels.featureCount
            case let .table(columns): columns.featureCount
            }
        }
    }

    /// A description of a network and what goes in and comes out.
    public init(architecture: MLPArchitecture, target: TargetEncoding, preprocessing: Preprocessing) {
        self.architecture = architecture
        self.target = target
        self.preprocessing = preprocessing
    }

    public var task: TaskKind { target.task }

    /// The classes' names in the order of the outputs (empty for regression).
    public var classNames: [String] {
        if case let .classes(names) = target.kind { return names }
        return []
    }

    /// The number of outputs: classes, or target columns.
    public var outputCount: Int { target.outputCount }

    /// Checks what a file from outside could get wrong.
    public func validate() throws {
        try architecture.validate()
        guard outputCount == architecture.widths.last else {
            throw ArchitectureError("\(outputCount) outputs described for a network with \(architecture.widths.last ?? 0)")
        }
        guard preprocessing.featureCount == architecture.widths.first else {
            throw ArchitectureError("\(preprocessing.featureCount) input features for a network that takes \(architecture.widths.first ?? 0)")
        }
        if case let .image(pixels) = preprocessing, !(pixels.scale.isFinite && pixels.scale > 0) {
            throw ArchitectureError("the input scale must be positive, got \(pixels.scale)")
        }
        if case let .values(means, deviations) = target.kind,
           means.count != deviations.count || !(means + deviations).allSatisfy(\.isFinite) || deviations.contains(where: { $0 <= 0 }) {
            throw ArchitectureError("the target scales are not finite positive numbers")
        }
    }
}

/// How raw inputs become features: flattened, each value multiplied by ``scale`` (images:
/// pixels scaled to [0, 1]).
public struct InputPreprocessing: Codable, Equatable, Sendable {
    /// The shape of one raw example (`[8, 8]` for the digits).
    public var inputShape: [Int]
    /// The factor every raw value is multiplied by.
    public var scale: Double

    /// Examples of `inputShape`, multiplied by `scale`.
    public init(inputShape: [Int], scale: Double) {
        self.inputShape = inputShape
        self.scale = scale
    }

    /// Images of `featureCount` pixels (square when the count is a square), scaled by `scale`.
    public static func image(featureCount: Int, scale: Double) -> InputPreprocessing {
        let side = Int(Double(featureCount).squareRoot())
        return InputPreprocessing(inputShape: side * side == featureCount ? [side, side] : [featureCount], scale: scale)
    }

    /// The number of features: the product of ``inputShape``.
    public var featureCount: Int { inputShape.reduce(1, *) }
}

/// Reading and writing Loom's model files: safetensors whose metadata describes the model.
///
/// A training checkpoint (`checkpoint.safetensors`) holds `model.*`, `optimizer.*` and
/// `rng.*` tensors; an exported model (``export(checkpoint:to:)``) holds only the model's
/// tensors under their own names. Both carry the metadata, so either is a model that
/// travels: `loom evaluate FILE`, `loom predict FILE INPUT` and `loom inspect FILE` need
/// nothing beside it.
public enum ModelFile {
    /// The metadata key of the ``ModelDescription`` (JSON).
    public static let descriptionKey = "loom.model"
    /// The metadata key of the Loom version that wrote the file.
    public static let versionKey = "loom.version"
    /// The metadata key of the training configuration (JSON, `config.json`'s layout).
    public static let configurationKey = "loom.configuration"
    /// The format of an exported model.
    public static let exportFormat = "loom-model-1"

    /// The metadata entries describing a model (sorted JSON, so identical models give
    /// identical bytes).
    public static func metadata(description: ModelDescription, configuration: TrainingConfiguration?) throws -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var metadata = [
            descriptionKey: String(decoding: try encoder.encode(description), as: UTF8.self),
            versionKey: LoomVersion.version,
        ]
        if let configuration {
            metadata[configurationKey] = String(decoding: try encoder.encode(configuration), as: UTF8.self)
        }
        return metadata
    }

    /// The model's tensors of a checkpoint or model file (`model.` prefixes removed).
    public static func modelTensors(_ tensors: [String: Tensor]) -> [String: Tensor] {
        guard tensors.keys.contains(where: { $0.hasPrefix("model.") }) else { return tensors }
        return Dictionary(uniqueKeysWithValues: tensors.compactMap { key, value in
            key.hasPrefix("model.") ? (String(key.dropFirst(6)), value) : nil
        })
    }

    /// Writes the model of `checkpoint` (weights and metadata, without optimizer state or
    /// generator states) to `destination`, atomically. Returns what was written.
    @discardableResult
    public static func export(checkpoint: URL, to destination: URL) throws -> TrainedModel {
        try export(TrainedModel(file: checkpoint), to: destination)
    }

    /// Writes `model` (weights and metadata) to `destination`, atomically.
    @discardableResult
    public static func export(_ model: TrainedModel, to destination: URL) throws -> TrainedModel {
        var metadata = try Self.metadata(description: model.description, configuration: model.configuration)
        metadata["format"] = exportFormat
        if let epochs = model.metadata["epochs"] { metadata["epochs"] = epochs }
        let tensors = withoutGradients { model.model.stateDictionary() }
        try AtomicFile.write(SafeTensors.encode(tensors, metadata: metadata), to: destination)
        return model
    }
}
