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
    public let data: TrainingData
    public let model: MLP
    public let optimizer: any Optimizer
    public let trainer: Trainer
    public let directory: RunDirectory?
    /// The run's epoch count: the configuration's, or the automatic one for this data.
    public let epochs: Int
    /// What the checkpoint's metadata says about the model (architecture, classes, inputs).
    public let modelDescription: ModelDescription
    public private(set) var history: [EpochMetrics] = []

    /// The checkpoint format written in its metadata (`loom-checkpoint-1`, from releases whose
    /// checkpoints did not describe their model, still resumes).
    public static let checkpointFormat = "loom-checkpoint-2"
    static let readableCheckpointFormats: Set = ["loom-checkpoint-1", checkpointFormat]

    /// Prepares a run: validates the configuration, loads the data, builds the model (from
    /// `initialWeights` when given) and the optimizer, and opens the run directory.
    /// `shard` selects this process's part of every batch in data-parallel training.
    public init(configuration: TrainingConfiguration, directory: RunDirectory?, initialWeights: URL? = nil,
                progress: (any TrainingObserver)? = nil, shard: DataLoader.Shard = .whole) throws {
        try configuration.validate()
        self.configuration = configuration
        data = try TrainingData.load(configuration, warn: { progress?.message($0) })
        let inputFeatures = data.train.exampleShape.reduce(1, *)
        let outputs = data.target.outputCount
        try Self.checkModelSize(configuration, inputFeatures: inputFeatures, classCount: outputs,
                                batchSize: configuration.resolvedBatchSize(trainingExamples: data.train.count))
        modelDescription = ModelDescription(
            architecture: configuration.architecture(inputFeatures: inputFeatures, classCount: outputs),
            target: data.target, preprocessing: data.preprocessing)
        model = configuration.makeModel(inputFeatures: inputFeatures, classCount: outputs)
        if let initialWeights {
            // A bare model state, an exported model or a Loom checkpoint's "model." entries.
            let state = ModelFile.modelTensors(try SafeTensors.read(from: initialWeights).tensors)
            try model.loadStateDictionary(state, source: initialWeights.path)
        }
        let loader = DataLoader(data.train, batchSize: configuration.resolvedBatchSize(trainingExamples: data.train.count), shuffles: configuration.shuffle, seed: configuration.seed,
                                shard: shard)
        optimizer = try configuration.makeOptimizer(parameters: model.trainableParameters)
        trainer = Trainer(model: model, optimizer: optimizer, loader: loader, test: data.test, loss: configuration.lossFunction(data.target))
        trainer.validation = data.validation
        if case let .values(means, deviations) = data.target.kind { trainer.targetScales = (means, deviations) }
        trainer.divergencePolicy = configuration.divergencePolicy
        trainer.maximumSkippedFraction = configuration.maximumSkippedFraction
        trainer.gradientClipNorm = configuration.gradientClipNorm
        epochs = configuration.resolvedEpochs(trainingExamples: data.train.count)
        let schedule = try configuration.makeSchedule(epochs: epochs)
        trainer.learningRateForEpoch = { schedule.learningRate(at: $0) }
        trainer.progress = progress
        self.directory = directory
    }

    /// Whether ``run()`` may write over a run already in the directory (`--force`).
    public var overwrites = false

    /// The run directory's TensorBoard event file, opened by ``run()``.
    private var events: EventFileWriter?

    /// Epochs completed so far (restored by ``resume()``).
    public var completedEpochs: Int { history.count }

    /// Restores the model, optimizer, dropout generators and history from the run
    /// directory's checkpoint. Throws when there is none or it does not fit.
    public func resume() throws {
        guard let directory else { throw RunError.cannotResume("no run directory") }
        try directory.lockForWriting()
        let url = directory.checkpointURL
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw RunError.cannotResume("\(url.path) does not exist (was the run started with this --output?)")
        }
        let (tensors, metadata) = try SafeTensors.read(from: url)
        let history = try directory.readMetrics(EpochMetrics.self)
        try restore(tensors: tensors, metadata: metadata, history: history, source: url.path, metricsPath: directory.metricsURL.path)
    }

    /// The run's state for a process without the run directory (data-parallel training):
    /// the checkpoint's bytes and the metrics so far.
    public func exportState() -> (checkpoint: [UInt8], history: [EpochMetrics]) {
        (checkpointBytes(), history)
    }

    /// Restores what ``exportState()`` exported, as ``resume()`` restores from the run directory.
    public func importState(checkpoint: [UInt8], history: [EpochMetrics], source: String) throws {
        let (tensors, metadata) = try SafeTensors.decode(checkpoint, path: source)
        try restore(tensors: tensors, metadata: metadata, history: history, source: source, metricsPath: source)
    }

    private func restore(tensors: [String: Tensor], metadata: [String: String], history: [EpochMetrics],
                         source: String, metricsPath: String) throws {
        guard let format = metadata["format"], Self.readableCheckpointFormats.contains(format),
              let epochs = metadata["epochs"].flatMap(Int.init) else {
            throw RunError.cannotResume("\(source) is not a Loom training checkpoint")
        }
        guard history.count >= epochs else {
            throw RunError.cannotResume("\(metricsPath) has \(history.count) epochs, the checkpoint \(epochs)")
        }
        // The model's weights are the iterate θ; an optimizer that holds another point in the
        // parameters (the lecture's Nesterov) restores it from its own state.
        try model.loadStateDictionary(Self.entries(tensors, prefix: "model."), source: source)
        try optimizer.loadStateDictionary(Self.entries(tensors, prefix: "optimizer."))
        for (path, dropout) in dropoutLayers() {
            guard let words = tensors["rng.\(path)"], words.count == 4 else {
                throw CheckpointError.incompatible(path: source, reason: "no generator state for dropout \(path)")
            }
            dropout.generator = SeededGenerator(stateWords: words.asArray(Int64.self).map { UInt64(bitPattern: $0) })
        }
        self.history = Array(history.prefix(epochs))
    }

    /// The most parameters a configuration may ask for (4 GiB of float32 weights, before
    /// gradients and optimizer state), so a typo such as `--hidden 10000000` is refused
    /// instead of exhausting memory.
    public static let maximumParameterCount = 1 << 30

    /// Refuses a network whose parameter count overflows or passes ``maximumParameterCount``,
    /// or whose training needs more memory than the machine has (``MemoryEstimate/training(_:batchSize:)``),
    /// before anything is allocated.
    public static func checkModelSize(_ configuration: TrainingConfiguration, inputFeatures: Int, classCount: Int,
                                      batchSize: Int) throws {
        let architecture = configuration.architecture(inputFeatures: inputFeatures, classCount: classCount)
        guard let count = architecture.parameterCount, count <= maximumParameterCount else {
            throw RunError.invalidConfiguration("\(MemoryEstimate.name(architecture)) has more than \(maximumParameterCount) parameters")
        }
        do {
            try MemoryRequirement.check(MemoryEstimate.training(architecture, batchSize: batchSize),
                                        for: "training \(MemoryEstimate.name(architecture)) (\(count) parameters) in batches of \(batchSize)")
        } catch let error as MemoryError {
            throw RunError.invalidConfiguration(error.description)
        }
    }

    /// Trains the remaining epochs, writing the metrics and checkpoint after each and the
    /// summary at the end. Returns the summary.
    ///
    /// With a run directory, the free space is checked before the first epoch (a full disk is
    /// reported before any training), and a divergence error names the last good checkpoint.
    ///
    /// A SIGINT or SIGTERM (after `Interruption.install(onExit:)`) stops the run between two
    /// batches, never inside a write: it throws ``RunError/interrupted(signal:checkpoint:)``,
    /// naming the checkpoint it can resume from, and leaves no temporary file.
    @discardableResult
    public func run() throws -> RunSummary {
        do {
            return try Interruption.cooperating { try runEpochs() }
        } catch let interruption as Interrupted {
            throw RunError.interrupted(signal: interruption.signal, checkpoint: lastGoodCheckpointDescription())
        }
    }

    private func runEpochs() throws -> RunSummary {
        if let directory {
            try directory.lockForWriting()
            // A run that did not resume must not write over another one's files.
            if completedEpochs == 0 && directory.holdsRun && !overwrites {
                throw RunError.unwritable(path: directory.url.path, reason: "it holds a run already; continue it with --resume, or start over with --force")
            }
            try directory.writeJSON(configuration, to: directory.configURL)
            // A checkpoint holds the weights and up to three optimizer tensors per weight
            // (AMSGrad), and the new one is written beside the old before the rename.
            let weightBytes = model.stateDictionary().values.reduce(0) { $0 + $1.count * $1.dtype.byteSize }
            try directory.requireFreeSpace(2 * 4 * weightBytes + (1 << 20), for: "two checkpoints")
            events = try EventFileWriter(directory: directory.url, keepingStepsThrough: completedEpochs > 0 ? Int64(completedEpochs) : nil)
            // A run resumed from a release that wrote no event file gets its earlier epochs too.
            if events?.isContinued == false {
                for metrics in history { try events?.append(metrics.tensorBoardScalars, step: Int64(metrics.epoch)) }
            }
        }
        while completedEpochs < epochs && !shouldStopEarly {
            let metrics: EpochMetrics
            do {
                metrics = try trainer.trainEpoch(completedEpochs, of: epochs)
            } catch let RunError.diverged(message) {
                throw RunError.diverged(message + "; " + lastGoodCheckpointDescription())
            } catch let RunError.divergedWithoutLineSearch(message) {
                throw RunError.divergedWithoutLineSearch(message + "; " + lastGoodCheckpointDescription())
            }
            history.append(metrics)
            if let directory {
                // Metrics first: a kill between the two writes leaves metrics one epoch ahead
                // of the checkpoint, and resume drops the extra line. The other order would
                // leave a checkpoint whose epoch has no metrics, which cannot be resumed.
                try directory.writeMetrics(history)
                try events?.append(metrics.tensorBoardScalars, step: Int64(metrics.epoch))
                // The best model before the checkpoint: a kill between them retrains this epoch
                // on resume, to the same weights, and writes both again.
                if bestEpoch == completedEpochs { try writeModel(to: directory.bestURL) }
                try writeCheckpoint(to: directory.checkpointURL)
            }
            if completedEpochs < epochs { try Interruption.check() }
        }
        let summary = makeSummary()
        if let directory { try directory.writeJSON(summary, to: directory.summaryURL) }
        return summary
    }

    /// The epoch (1-based) with the lowest validation loss so far, the first of equals (nil
    /// without a validation split).
    public var bestEpoch: Int? {
        var best: (epoch: Int, loss: Double)?
        for metrics in history {
            guard let loss = metrics.validationLoss else { continue }
            if best == nil || loss < best!.loss { best = (metrics.epoch, loss) }
        }
        return best?.epoch
    }

    /// Whether early stopping ends the run: the validation loss has not improved for the
    /// patience's number of epochs (decided from the history alone, so a resumed run agrees).
    public var shouldStopEarly: Bool {
        guard let patience = configuration.earlyStoppingPatience, let bestEpoch else { return false }
        return completedEpochs - bestEpoch >= patience
    }

    private func makeSummary() -> RunSummary {
        let final = history.last
        return RunSummary(task: data.target.task, test: final?.test ?? trainer.scores(data.test), trainLoss: final?.trainLoss ?? .nan,
                          trainAccuracy: final?.trainAccuracy, epochs: history.count, bestEpoch: bestEpoch,
                          stoppedEarly: completedEpochs < epochs, seconds: history.reduce(0) { $0 + $1.seconds },
                          parameterCount: model.parameterCount(), dataset: configuration.data.name)
    }

    /// Writes the model alone (weights at θ and the description, no optimizer state), as
    /// `loom export` does: `best.safetensors`.
    public func writeModel(to url: URL) throws {
        var metadata = try ModelFile.metadata(description: modelDescription, configuration: configuration)
        metadata["format"] = ModelFile.exportFormat
        metadata["epochs"] = String(completedEpochs)
        let tensors = optimizer.withParametersAtIterate { model.stateDictionary() }
        try AtomicFile.write(SafeTensors.encode(tensors, metadata: metadata), to: url)
    }

    /// Writes the model (at the optimizer's iterate θ) with its description, the optimizer
    /// state, dropout generator states and the position. Nothing time-dependent goes in, so
    /// identical training gives identical bytes.
    public func writeCheckpoint(to url: URL) throws {
        try AtomicFile.write(checkpointBytes(), to: url)
    }

    /// The bytes ``writeCheckpoint(to:)`` writes.
    func checkpointBytes() -> [UInt8] {
        var tensors: [String: Tensor] = [:]
        for (name, tensor) in optimizer.withParametersAtIterate({ model.stateDictionary() }) { tensors["model.\(name)"] = tensor }
        for (name, tensor) in optimizer.stateDictionary() { tensors["optimizer.\(name)"] = tensor }
        for (path, dropout) in dropoutLayers() {
            tensors["rng.\(path)"] = Tensor(shape: [4], scalars: dropout.generator.stateWords.map { Int64(bitPattern: $0) })
        }
        var metadata = (try? ModelFile.metadata(description: modelDescription, configuration: configuration)) ?? [:]
        metadata["format"] = Self.checkpointFormat
        metadata["epochs"] = String(completedEpochs)
        return SafeTensors.encode(tensors, metadata: metadata)
    }

    /// Names the checkpoint a diverged run can go back to.
    private func lastGoodCheckpointDescription() -> String {
        guard let directory else { return "no checkpoint was written (the run has no --output directory)" }
        guard completedEpochs > 0, FileManager.default.fileExists(atPath: directory.checkpointURL.path) else {
            return "no checkpoint was written yet (it stopped in the first epoch)"
        }
        return "the last good checkpoint is \(directory.checkpointURL.path) (after epoch \(completedEpochs))"
    }

    private func dropoutLayers() -> [(String, Dropout)] {
        model.layers.enumerated().compactMap { index, layer in (layer as? Dropout).map { ("layers.\(index)", $0) } }
    }

    static func entries(_ tensors: [String: Tensor], prefix: String) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: tensors.compactMap { $0.hasPrefix(prefix) ? (String($0.dropFirst(prefix.count)), $1) : nil })
    }
}
