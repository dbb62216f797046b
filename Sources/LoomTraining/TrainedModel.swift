import Foundation
import Loom
import LoomData
import LoomNN

/// A trained network loaded from a model file: a checkpoint of a run or an exported model,
/// whose metadata describes it (see ``ModelFile``).
///
/// Files written before model files carried their description (format `loom-checkpoint-1`)
/// take the architecture from the run's `config.json` beside them.
public struct TrainedModel {
    public let model: MLP
    public let description: ModelDescription
    /// The configuration the model was trained with, when the file (or its run) has it.
    public let configuration: TrainingConfiguration?
    /// The file's metadata, as written.
    public let metadata: [String: String]
    /// Whether the file holds optimizer state (a training checkpoint rather than an export).
    public let hasOptimizerState: Bool

    public var inputFeatures: Int { description.preprocessing.featureCount }
    public var classCount: Int { description.classNames.count }
    public var task: TaskKind { description.task }

    /// Loads the model in `file`. `configurationURL` is the run's `config.json` for a file
    /// without a description (default: beside the file).
    public init(file: URL, configurationURL: URL? = nil) throws {
        let fileBytes = ((try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? NSNumber)?.intValue ?? 0
        try Self.checkMemory(MemoryEstimate.evaluation(fileBytes: fileBytes), file: file, purpose: "reading")
        let (tensors, metadata) = try SafeTensors.read(from: file)
        let state = ModelFile.modelTensors(tensors)
        let description: ModelDescription
        let configuration: TrainingConfiguration?
        if let text = metadata[ModelFile.descriptionKey] {
            description = try Self.decode(ModelDescription.self, text, key: ModelFile.descriptionKey, file: file)
            configuration = try metadata[ModelFile.configurationKey].map {
                try TrainingConfiguration.read(from: Data($0.utf8), source: "\(file.path) (metadata \(ModelFile.configurationKey))")
            }
        } else {
            let configURL = configurationURL ?? file.deletingLastPathComponent().appendingPathComponent("config.json")
            guard FileManager.default.fileExists(atPath: configURL.path) else {
                throw CheckpointError.incompatible(
                    path: file.path,
                    reason: "it has no model description (written before Loom 0.3) and there is no config.json beside it (pass --config FILE)")
            }
            let legacy = try TrainingConfiguration.read(from: configURL)
            description = try Self.legacyDescription(state, legacy, file: file)
            configuration = legacy
        }
        do {
            try description.validate()
        } catch {
            throw CheckpointError.incompatible(path: file.path, reason: "its model description does not fit: \(error)")
        }
        // The architecture must not ask for more weights than the file holds: a description
        // from outside could otherwise allocate without bound before the shapes are compared.
        let held = state.values.reduce(0) { $0 &+ $1.count }
        guard let needed = description.architecture.parameterCount, needed <= held else {
            throw CheckpointError.incompatible(
                path: file.path, reason: "its model description asks for more parameters than its \(held) weights")
        }
        try Self.checkMemory(MemoryEstimate.evaluation(fileBytes: fileBytes, architecture: description.architecture,
                                                        batchSize: ScoreAccumulator.defaultBatchSize),
                             file: file, purpose: "loading and scoring")
        var generator = SeededGenerator(seed: 0)
        let model = MLP(description.architecture, initializer: .zeros, using: &generator)
        try model.loadStateDictionary(state, source: file.path)
        model.evaluate()
        self.model = model
        self.description = description
        self.configuration = configuration
        self.metadata = metadata
        hasOptimizerState = tensors.keys.contains { $0.hasPrefix("optimizer.") }
    }

    /// Refuses a model file whose loading would need more memory than the machine has.
    private static func checkMemory(_ bytes: Int?, file: URL, purpose: String) throws {
        do {
            try MemoryRequirement.check(bytes, for: "\(purpose) \(file.lastPathComponent)")
        } catch let error as MemoryError {
            throw CheckpointError.incompatible(path: file.path, reason: error.description)
        }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ text: String, key: String, file: URL) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            let reason = error is DecodingError ? ConfigurationDecoding.reason(error) : "\(error)"
            throw CheckpointError.incompatible(path: file.path, reason: "its metadata \(key) is not readable: \(reason)")
        }
    }

    /// The description of a version-1 checkpoint: widths from the tensors, the rest from the
    /// run's configuration.
    private static func legacyDescription(_ state: [String: Tensor], _ configuration: TrainingConfiguration,
                                          file: URL) throws -> ModelDescription {
        guard let firstWeight = state["layers.0.weight"], firstWeight.rank == 2 else {
            throw CheckpointError.incompatible(path: file.path, reason: "it has no first-layer weight \"layers.0.weight\"")
        }
        let lastBias = state.filter { $0.key.hasSuffix(".bias") }.max { layerIndex($0.key) < layerIndex($1.key) }
        let outputs = Swift.max(lastBias?.value.shape.first ?? 1, 1)
        let side = Int(Double(firstWeight.shape[0]).squareRoot())
        let shape = side * side == firstWeight.shape[0] ? [side, side] : [firstWeight.shape[0]]
        return ModelDescription(
            architecture: configuration.architecture(inputFeatures: firstWeight.shape[0], classCount: outputs),
            target: TargetEncoding(names: ["label"], kind: .classes((0..<outputs).map(String.init))),
            preprocessing: .image(pixels: InputPreprocessing(inputShape: shape, scale: 1 / configuration.data.dataset.maximumPixel)))
    }

    private static func layerIndex(_ path: String) -> Int {
        Int(path.split(separator: ".").dropFirst().first ?? "") ?? -1
    }

    /// Mean loss and accuracy on a dataset of the model's features (accuracy 0 for regression;
    /// ``scores(_:)`` has every score).
    public func evaluate(_ dataset: LabeledDataset) throws -> (loss: Double, accuracy: Double) {
        let result = try scores(dataset)
        return (result.loss, result.accuracy ?? 0)
    }

    /// The loss (the training loss: cross-entropy, or the squared error on standardized
    /// targets) and the accuracy or the regression scores of a dataset, in batches.
    public func scores(_ dataset: LabeledDataset) throws -> Evaluation {
        switch (dataset.task, description.target.kind) {
        case let (.classification(count), .classes(names)):
            guard count <= names.count else {
                throw RunError.invalidConfiguration("the data has \(count) classes, the model \(names.count)")
            }
        case let (.regression(count), .values(means, _)):
            guard count == means.count else {
                throw RunError.invalidConfiguration("the data has \(count) targets, the model \(means.count)")
            }
        default:
            throw RunError.invalidConfiguration("the model is for \(description.task.rawValue), the data are not")
        }
        guard dataset.exampleShape.reduce(1, *) == inputFeatures else {
            throw RunError.invalidConfiguration("the model takes \(inputFeatures) features per example, the data has \(dataset.exampleShape.reduce(1, *))")
        }
        var scales: (means: [Double], standardDeviations: [Double])?
        if case let .values(means, deviations) = description.target.kind { scales = (means, deviations) }
        let loss = (configuration ?? TrainingConfiguration()).lossFunction(description.target)
        return ScoreAccumulator.scores(of: model, on: dataset, loss: loss, scales: scales, batchSize: ScoreAccumulator.defaultBatchSize)
    }

    /// Class probabilities `[count, classes]` for features `[count, …]` (already prepared:
    /// pixels scaled as ``ModelDescription/preprocessing`` says).
    public func probabilities(_ features: Tensor) throws -> Tensor {
        let logits = try self.outputs(features)
        return withoutGradients { logits.softmax(alongAxis: 1) }
    }

    /// Predictions for features `[count, …]`: class probabilities `[count, classes]`, or
    /// values `[count, targets]` in the targets' own units, row-major.
    public func predictions(_ features: Tensor) throws -> [Double] {
        switch description.target.kind {
        case .classes: return try probabilities(features).asArray(Double.self)
        case .values: return description.target.restore(try outputs(features).asArray(Double.self), count: features.shape[0])
        }
    }

    /// The features of a table's rows, its columns found by name (for a model trained on a
    /// table). `warn` receives warnings (unknown categories ignored).
    public func features(of table: Table, warn: (String) -> Void = { _ in }) throws -> Tensor {
        guard case let .table(encoding) = description.preprocessing else {
            throw RunError.invalidConfiguration("the model was trained on images, not on a table")
        }
        return try encoding.encode(table, warn: warn)
    }

    /// A table's rows as a dataset of the model's features and targets (the target columns
    /// must be present).
    public func dataset(of table: Table, warn: (String) -> Void = { _ in }) throws -> LabeledDataset {
        let inputs = try features(of: table, warn: warn)
        let targets = try description.target.encode(table, rows: Array(0..<table.rowCount))
        switch description.target.kind {
        case let .classes(names): return try LabeledDataset(inputs: inputs, labels: targets, classCount: names.count)
        case .values: return try LabeledDataset(inputs: inputs, regressionTargets: targets)
        }
    }

    private func outputs(_ features: Tensor) throws -> Tensor {
        let count = features.shape.dropFirst().reduce(1, *)
        guard features.rank >= 1, count == inputFeatures else {
            throw RunError.invalidConfiguration("the model takes \(inputFeatures) features per example, the data has \(count)")
        }
        return withoutGradients { model(features.reshaped([features.shape[0], -1])) }
    }

    /// The layers, their shapes and parameter counts, and the metadata: `loom inspect`'s text.
    public func summary(path: String) -> String {
        var lines = ["\(path): \(hasOptimizerState ? "training checkpoint (with optimizer state)" : "model")"
                     + (metadata["epochs"].map { ", after \($0) epochs" } ?? "")]
        let architecture = description.architecture
        lines.append("MLP \(architecture.widths.map(String.init).joined(separator: "-")), \(architecture.activation.name)"
                     + (architecture.normalization == .none ? "" : ", \(architecture.normalization.rawValue) normalization")
                     + (architecture.dropout > 0 ? ", dropout \(architecture.dropout)" : ""))
        let state = model.stateDictionary()
        let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.path, $0.parameter) })
        lines.append("  " + "layer".padding(toLength: 28, withPad: " ", startingAt: 0) + "shape".padding(toLength: 16, withPad: " ", startingAt: 0) + "parameters")
        var total = 0
        for (index, layer) in model.layers.enumerated() {
            let prefix = "layers.\(index)."
            let own = state.keys.filter { $0.hasPrefix(prefix) }.sorted()
            let name = "\(index) \(type(of: layer))"
            if own.isEmpty {
                lines.append("  " + name)
                continue
            }
            for key in own {
                let tensor = state[key]!
                let trainable = parameters[key] != nil
                if trainable { total += tensor.count }
                let label = key == own.first ? name : ""
                lines.append("  " + "\(label)".padding(toLength: 14, withPad: " ", startingAt: 0)
                             + String(key.dropFirst(prefix.count)).padding(toLength: 14, withPad: " ", startingAt: 0)
                             + "\(tensor.shape)".padding(toLength: 16, withPad: " ", startingAt: 0)
                             + (trainable ? "\(tensor.count)" : "\(tensor.count) (buffer)"))
            }
        }
        lines.append("  total \(total) parameters")
        switch description.target.kind {
        case let .classes(names): lines.append("task: classification of \(description.target.names.joined(separator: ", ")), classes: \(names.joined(separator: ", "))")
        case let .values(means, deviations):
            lines.append("task: regression of " + zip(description.target.names, zip(means, deviations)).map {
                "\($0.0) (mean \(String(format: "%.4g", $0.1.0)), standard deviation \(String(format: "%.4g", $0.1.1)))"
            }.joined(separator: ", "))
        }
        switch description.preprocessing {
        case let .image(pixels): lines.append("input: images \(pixels.inputShape), pixels × \(pixels.scale)")
        case let .table(encoding):
            lines.append("input: \(encoding.columns.count) columns → \(encoding.featureCount) features (missing values: \(encoding.missing.rawValue), unknown categories: \(encoding.unknownCategories.rawValue))")
            for column in encoding.columns {
                let kind: String = switch column.kind {
                case let .numeric(mean, deviation, _): "number, standardized (mean \(String(format: "%.4g", mean)), standard deviation \(String(format: "%.4g", deviation)))"
                case .boolean: "boolean (0/1)"
                case let .categorical(categories, _): "category, one-hot over \(categories.count): \(categories.prefix(6).joined(separator: ", "))\(categories.count > 6 ? ", …" : "")"
                }
                lines.append("  \(column.name): \(kind)")
            }
        }
        lines.append("metadata:")
        for key in metadata.keys.sorted() where key != ModelFile.configurationKey && key != ModelFile.descriptionKey {
            lines.append("  \(key): \(metadata[key]!)")
        }
        if let configuration {
            lines.append("  \(ModelFile.configurationKey): \(configuration.data.name), \(configuration.optimizer.name.rawValue) lr \(configuration.optimizer.learningRate), batch \(configuration.batchSize.map(String.init) ?? "default"), \(configuration.epochs.map { "\($0) epochs" } ?? "automatic epochs"), seed \(configuration.seed)")
        }
        return lines.joined(separator: "\n")
    }
}
