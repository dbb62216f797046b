import Foundation
import Loom
import LoomData
import LoomNN

/// A trained network loaded back from a run: its configuration and checkpoint.
public struct TrainedModel {
    public let configuration: TrainingConfiguration
    public let model: MLP
    public let inputFeatures: Int
    public let classCount: Int

    /// Loads `checkpoint` (a Loom training checkpoint or a bare model file) with the
    /// architecture in `configurationURL` (default: `config.json` beside the checkpoint).
    public init(checkpoint: URL, configurationURL: URL? = nil) throws {
        let tensors = try SafeTensors.read(from: checkpoint).tensors
        let configURL = configurationURL ?? checkpoint.deletingLastPathComponent().appendingPathComponent("config.json")
        let configData: Data
        do {
            configData = try Data(contentsOf: configURL)
        } catch {
            throw RunError.invalidConfiguration("cannot read \(configURL.path): the model's architecture comes from the run's config.json (pass --config FILE)")
        }
        let configuration: TrainingConfiguration
        do {
            configuration = try JSONDecoder().decode(TrainingConfiguration.self, from: configData)
        } catch {
            throw RunError.invalidConfiguration("\(configURL.path) is not a Loom training configuration: \(error)")
        }
        let state = tensors.keys.contains { $0.hasPrefix("model.") } ? TrainingRun.entries(tensors, prefix: "model.") : tensors
        guard let firstWeight = state["layers.0.weight"], firstWeight.rank == 2 else {
            throw CheckpointError.incompatible(path: checkpoint.path, reason: "it has no first-layer weight \"layers.0.weight\"")
        }
        let inputFeatures = firstWeight.shape[0]
        let lastWidth = state.filter { $0.key.hasSuffix(".bias") }.max { a, b in
            Self.layerIndex(a.key) < Self.layerIndex(b.key)
        }?.value.shape.first ?? 0
        let model = configuration.makeModel(inputFeatures: inputFeatures, classCount: Swift.max(lastWidth, 1))
        try model.loadStateDictionary(state, source: checkpoint.path)
        model.evaluate()
        self.configuration = configuration
        self.model = model
        self.inputFeatures = inputFeatures
        self.classCount = lastWidth
    }

    private static func layerIndex(_ path: String) -> Int {
        Int(path.split(separator: ".").dropFirst().first ?? "") ?? -1
    }

    /// Mean loss and accuracy on a dataset.
    public func evaluate(_ dataset: LabeledDataset) throws -> (loss: Double, accuracy: Double) {
        guard dataset.exampleShape.reduce(1, *) == inputFeatures else {
            throw RunError.invalidConfiguration("the model takes \(inputFeatures) features, the data has \(dataset.exampleShape.reduce(1, *))")
        }
        return withoutGradients {
            let logits = model(dataset.inputs.reshaped([dataset.count, -1]))
            let loss = softmaxCrossEntropy(logits: logits, labels: dataset.labels).item(Double.self)
            let correct = (logits.argmax(alongAxis: 1) .== dataset.labels).sum().item(Int64.self)
            return (loss, Double(correct) / Double(Swift.max(dataset.count, 1)))
        }
    }

    /// Class probabilities `[count, classes]` for images `[count, …]` already scaled to [0, 1].
    public func probabilities(_ images: Tensor) throws -> Tensor {
        let features = images.shape.dropFirst().reduce(1, *)
        guard features == inputFeatures else {
            throw RunError.invalidConfiguration("the model takes \(inputFeatures) features per image, the images have \(features)")
        }
        return withoutGradients { model(images.reshaped([images.shape[0], -1])).softmax(alongAxis: 1) }
    }
}
