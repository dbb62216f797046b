import Foundation
import Loom
import LoomData
import LoomNN
import LoomOptimizers

/// One training run from a configuration: data, model, optimizer, the epochs, a checkpoint
/// after each epoch, and the run directory's files. A run killed at any moment and resumed
/// ends with the same bytes in its final checkpoint as one never interrupted.
public final class TrainingRun {
    public let configuration: TrainingConfiguration
    public let data: DatasetSplits
    public let model: MLP
    public let optimizer: any Optimizer
    public let trainer: Trainer
    public let directory: RunDirectory?
    public private(set) var history: [EpochMetrics] = []

    /// The checkpoint format written in its metadata.
    public static let checkpointFormat = "loom-checkpoint-1"

    /// Prepares a run: validates the configuration, loads the data, builds the model (from
    /// `initialWeights` when given) and the optimizer, and opens the run directory.
    public init(configuration: TrainingConfiguration, directory: RunDirectory?, initialWeights: URL? = nil,
                progress: ProgressReporter? = nil) throws {
        try configuration.validate()
        self.configuration = configuration
        data = try configuration.dataset.load(from: configuration.dataDirectory.map { URL(fileURLWithPath: $0) })
        model = configuration.makeModel(inputFeatures: data.train.exampleShape.reduce(1, *), classCount: data.train.classCount)
        if let initialWeights {
            let state = try SafeTensors.read(from: initialWeights).tensors
            // Accept a bare model state or a Loom checkpoint's "model." entries.
            let modelState = state.keys.contains { $0.hasPrefix("model.") }
                ? Dictionary(uniqueKeysWithValues: state.compactMap { $0.hasPrefix("model.") ? (String($0.dropFirst(6)), $1) : nil })
                : state
            try model.loadStateDictionary(modelState, source: initialWeights.path)
        }
        let loader = DataLoader(data.train, batchSize: configuration.batchSize, shuffles: configuration.shuffle, seed: configuration.seed)
        let loss: (Tensor, Tensor) -> Tensor = { [labelSmoothing = configuration.labelSmoothing] logits, labels in
            softmaxCrossEntropy(logits: logits, labels: labels, labelSmoothing: labelSmoothing)
        }
        optimizer = try configuration.makeOptimizer(parameters: model.trainableParameters)
        trainer = Trainer(model: model, optimizer: optimizer, loader: loader, test: data.test, loss: loss)
        trainer.divergencePolicy = configuration.divergencePolicy
        trainer.gradientClipNorm = configuration.gradientClipNorm
        let schedule = try configuration.makeSchedule()
        trainer.learningRateForEpoch = { schedule.learningRate(at: $0) }
        trainer.progress = progress
        self.directory = directory
    }

    /// Epochs completed so far (restored by ``resume()``).
    public var completedEpochs: Int { history.count }

    /// Restores the model, optimizer, dropout generators and history from the run
    /// directory's checkpoint. Throws when there is none or it does not fit.
    public func resume() throws {
        guard let directory else { throw RunError.cannotResume("no run directory") }
        let url = directory.checkpointURL
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw RunError.cannotResume("\(url.path) does not exist (was the run started with this --output?)")
        }
        let (tensors, metadata) = try SafeTensors.read(from: url)
        guard metadata["format"] == Self.checkpointFormat, let epochs = metadata["epochs"].flatMap(Int.init) else {
            throw RunError.cannotResume("\(url.path) is not a Loom training checkpoint")
        }
        let history = try directory.readMetrics(EpochMetrics.self)
        guard history.count >= epochs else {
            throw RunError.cannotResume("\(directory.metricsURL.path) has \(history.count) epochs, the checkpoint \(epochs)")
        }
        try model.loadStateDictionary(Self.entries(tensors, prefix: "model."), source: url.path)
        try optimizer.loadStateDictionary(Self.entries(tensors, prefix: "optimizer."))
        for (path, dropout) in dropoutLayers() {
            guard let words = tensors["rng.\(path)"], words.count == 4 else {
                throw CheckpointError.incompatible(path: url.path, reason: "no generator state for dropout \(path)")
            }
            dropout.generator = SeededGenerator(stateWords: words.asArray(Int64.self).map { UInt64(bitPattern: $0) })
        }
        self.history = Array(history.prefix(epochs))
    }

    /// Trains the remaining epochs, writing the checkpoint and metrics after each and the
    /// summary at the end. Returns the summary.
    @discardableResult
    public func run() throws -> RunSummary {
        if let directory { try directory.writeJSON(configuration, to: directory.configURL) }
        while completedEpochs < configuration.epochs {
            let metrics = try trainer.trainEpoch(completedEpochs, of: configuration.epochs)
            history.append(metrics)
            if let directory {
                // Checkpoint first: metrics beyond the checkpoint's epoch are dropped on resume.
                try writeCheckpoint(to: directory.checkpointURL)
                try directory.writeMetrics(history)
            }
        }
        let summary = makeSummary()
        if let directory { try directory.writeJSON(summary, to: directory.summaryURL) }
        return summary
    }

    private func makeSummary() -> RunSummary {
        let final = history.last
        let (testLoss, testAccuracy) = final.map { ($0.testLoss, $0.testAccuracy) } ?? trainer.evaluate(data.test)
        return RunSummary(testAccuracy: testAccuracy, testLoss: testLoss, trainLoss: final?.trainLoss ?? .nan,
                          trainAccuracy: final?.trainAccuracy ?? .nan, epochs: history.count,
                          seconds: history.reduce(0) { $0 + $1.seconds }, parameterCount: model.parameterCount(),
                          dataset: configuration.dataset.rawValue)
    }

    /// Writes model, optimizer state, dropout generator states and the position. Nothing
    /// time-dependent goes in, so identical training gives identical bytes.
    public func writeCheckpoint(to url: URL) throws {
        var tensors: [String: Tensor] = [:]
        for (name, tensor) in model.stateDictionary() { tensors["model.\(name)"] = tensor }
        for (name, tensor) in optimizer.stateDictionary() { tensors["optimizer.\(name)"] = tensor }
        for (path, dropout) in dropoutLayers() {
            tensors["rng.\(path)"] = Tensor(shape: [4], scalars: dropout.generator.stateWords.map { Int64(bitPattern: $0) })
        }
        try SafeTensors.write(tensors, metadata: ["format": Self.checkpointFormat, "epochs": String(completedEpochs)], to: url)
    }

    private func dropoutLayers() -> [(String, Dropout)] {
        model.layers.enumerated().compactMap { index, layer in (layer as? Dropout).map { ("layers.\(index)", $0) } }
    }

    static func entries(_ tensors: [String: Tensor], prefix: String) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: tensors.compactMap { $0.hasPrefix(prefix) ? (String($0.dropFirst(prefix.count)), $1) : nil })
    }
}
