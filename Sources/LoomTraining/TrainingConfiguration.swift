import Foundation
import Loom
import LoomData
import LoomNN
import LoomOptimizers

/// Everything that determines a training run, as stored in `config.json`: the same
/// configuration and seed give bit-identical weights on the same machine.
///
/// Typed throughout: the optimizer is an `OptimizerChoice` carrying that optimizer's own
/// hyperparameters, the activation an `Activation`, the schedule a `ScheduleChoice`. Every
/// default is declared once, on the type it belongs to (the optimizers' `Hyperparameters`,
/// the property initializers below); the file, the library and the command line all read it
/// from there. A configuration file names only what differs from the defaults.
public struct TrainingConfiguration: Equatable, Sendable {
    /// The version of `config.json`'s layout this release writes. Files without a version
    /// are the flat layout of version 1, which this release still reads (and resumes).
    public static let schemaVersion = 2

    /// Which data to train and evaluate on: one of the image datasets, or a table file of
    /// the user's own (CSV, `.npy`, `.npz`) with its target column(s).
    public struct DataConfiguration: Equatable, Sendable {
        public var dataset: ImageDataset = .digits
        /// A directory with the dataset's IDX files (nil: its default location).
        public var directory: String?
        /// A table file to train on instead of ``dataset`` (CSV, plain or `.gz`; `.npy`; `.npz`).
        public var file: String?
        /// The target column(s) of ``file`` (several: multi-output regression).
        public var targets: [String]?
        /// The input columns of ``file`` (nil: every column but the targets).
        public var features: [String]?
        /// A separate test file (nil: ``testFraction`` of ``file``'s rows).
        public var testFile: String?
        /// The fraction of ``file``'s rows held out for testing when there is no test file.
        public var testFraction = 0.2
        /// The fraction of the rows (of the training split, for image datasets) held out to
        /// validate every epoch (0: none), for early stopping and `best.safetensors`.
        public var validationFraction = 0.0
        /// Classification or regression (nil: from the target column).
        public var task: TaskKind?
        public var missing: MissingValuePolicy = .error
        public var unknownCategories: UnknownCategoryPolicy = .error
        /// Use only the first this many examples of the training and the test split (of a
        /// table's rows, before the split) — for quick runs (nil: all).
        public var limit: Int?

        /// The bundled digits from their default location.
        public init(dataset: ImageDataset = .digits, directory: String? = nil) {
            self.dataset = dataset
            self.directory = directory
        }

        /// What the data are called in reports: the dataset's name or the file's.
        public var name: String { file.map { URL(fileURLWithPath: $0).lastPathComponent } ?? dataset.rawValue }
    }

    /// The loss of a regression (classification always uses the softmax cross-entropy).
    public enum RegressionLoss: Equatable, Sendable {
        /// The mean of `(ŷ − y)²` over the standardized targets (PyTorch's `MSELoss`).
        case meanSquaredError
        /// Huber's loss with threshold `delta` (on standardized targets).
        case huber(delta: Double = 1)
    }

    /// The network: an MLP whose input and output widths come from the data.
    public struct ModelConfiguration: Equatable, Sendable {
        /// Hidden layer widths.
        public var hiddenWidths: [Int] = [128, 128]
        public var activation: Activation = .relu
        public var initializer: InitializerName = .kaimingNormal
        public var normalization: NormalizationKind = .none
        /// The dropout probability after each hidden activation.
        public var dropout: Double = 0

        /// MLP 128-128 with ReLU, Kaiming-normal weights, no normalization or dropout.
        public init() {}

        /// The architecture for `inputFeatures` inputs and `outputs` outputs.
        public func architecture(inputFeatures: Int, outputs: Int) -> MLPArchitecture {
            MLPArchitecture(widths: [inputFeatures] + hiddenWidths + [outputs], activation: activation,
                            normalization: normalization, dropout: dropout)
        }
    }

    public var data = DataConfiguration()
    public var model = ModelConfiguration()
    public var optimizer: OptimizerChoice = .adam(.init())
    /// The learning rate per epoch, starting from the optimizer's.
    public var schedule: ScheduleChoice = .constant
    /// Epochs of linear warm-up from 0 before the schedule.
    public var warmupEpochs = 0
    /// Examples per optimizer step (nil: the default, see ``resolvedBatchSize(trainingExamples:)``).
    public var batchSize: Int?
    /// Passes over the training set (nil: automatic, see ``resolvedEpochs(trainingExamples:)``).
    public var epochs: Int?
    /// Label smoothing ε of the cross-entropy.
    public var labelSmoothing = 0.0
    /// Rescale the gradients when their global norm exceeds this (nil: never).
    public var gradientClipNorm: Double?
    public var shuffle = true
    public var seed: UInt64 = 0
    public var divergencePolicy: DivergencePolicy = .stop
    /// With ``DivergencePolicy/skipBatch``, the largest fraction of an epoch's batches that may
    /// be skipped: an epoch that skips more stops the run as a divergence (a run that skips
    /// most of its batches is not learning from its data, whatever its loss says).
    public var maximumSkippedFraction = 0.1
    public var regressionLoss: RegressionLoss = .meanSquaredError
    /// Stop when the validation loss has not improved for this many epochs (nil: never).
    public var earlyStoppingPatience: Int?

    /// The defaults of every property: the bundled digits, MLP 64-128-128-10, Adam.
    public init() {}

    /// Checks every value a user can get wrong, with a message naming the field.
    public func validate() throws {
        func require(_ condition: Bool, _ field: String, _ message: String) throws {
            if !condition { throw ConfigurationError(field: field, message: message) }
        }
        try require((batchSize ?? 1) > 0, "batchSize", "must be positive, got \(batchSize ?? 0)")
        try require((0...Self.maximumEpochs).contains(epochs ?? 0), "epochs", "must be between 0 and \(Self.maximumEpochs), got \(epochs ?? 0)")
        try require(!model.hiddenWidths.contains { $0 <= 0 }, "model.hiddenWidths", "must be positive, got \(model.hiddenWidths)")
        try require(model.hiddenWidths.count <= Self.maximumHiddenLayers, "model.hiddenWidths",
                    "must have at most \(Self.maximumHiddenLayers) hidden layers, got \(model.hiddenWidths.count)")
        try require((0..<1).contains(model.dropout), "model.dropout", "must be in [0, 1), got \(model.dropout)")
        if case let .leakyReLU(slope) = model.activation {
            try require(slope.isFinite, "model.activation.negativeSlope", "must be finite, got \(slope)")
        }
        try require((0...1).contains(labelSmoothing), "labelSmoothing", "must be in [0, 1], got \(labelSmoothing)")
        try require(gradientClipNorm.map { $0 > 0 && $0.isFinite } ?? true, "gradientClipNorm",
                    "must be positive and finite, got \(gradientClipNorm ?? 0)")
        try require((0...1).contains(maximumSkippedFraction), "maximumSkippedFraction", "must be in [0, 1], got \(maximumSkippedFraction)")
        try require(warmupEpochs >= 0, "warmupEpochs", "must not be negative, got \(warmupEpochs)")
        try require((0..<1).contains(data.testFraction), "data.testFraction", "must be in [0, 1), got \(data.testFraction)")
        try require((0..<1).contains(data.validationFraction), "data.validationFraction", "must be in [0, 1), got \(data.validationFraction)")
        try require(data.testFraction + data.validationFraction < 1, "data.validationFraction",
                    "the test and validation fractions leave no training rows (\(data.testFraction) + \(data.validationFraction))")
        try require(data.file != nil || (data.targets == nil && data.features == nil && data.testFile == nil), "data.targets",
                    "targets, features and a test file need a table file (data.file)")
        try require(data.targets.map { !$0.isEmpty } ?? true, "data.targets", "must name at least one column")
        try require((data.limit ?? 1) >= 1, "data.limit", "must be at least 1, got \(data.limit ?? 0)")
        try require(data.features.map { !$0.isEmpty } ?? true, "data.features", "must name at least one column")
        if let earlyStoppingPatience {
            try require(earlyStoppingPatience >= 1, "earlyStoppingPatience", "must be at least 1, got \(earlyStoppingPatience)")
            try require(data.validationFraction > 0, "earlyStoppingPatience", "needs a validation split (data.validationFraction > 0)")
        }
        if case let .huber(delta) = regressionLoss {
            try require(delta > 0 && delta.isFinite, "regressionLoss.delta", "must be positive and finite, got \(delta)")
        }
        do {
            try optimizer.validate()
        } catch let OptimizerError.invalidHyperparameter(name, value, requirement) {
            throw ConfigurationError(field: "optimizer.\(name)", message: "\(requirement), got \(value)")
        }
        do {
            _ = try schedule.make(learningRate: optimizer.learningRate, epochs: epochs ?? Self.defaultEpochs, warmupEpochs: warmupEpochs)
        } catch let OptimizerError.invalidHyperparameter(name, value, requirement) {
            throw ConfigurationError(field: "schedule.\(name)", message: "\(requirement), got \(value)")
        }
    }

    /// The architecture of the network for inputs of `inputFeatures` and `classCount` classes.
    public func architecture(inputFeatures: Int, classCount: Int) -> MLPArchitecture {
        model.architecture(inputFeatures: inputFeatures, outputs: classCount)
    }

    /// The network for inputs of `inputFeatures` and `classCount` classes, initialized from
    /// the seed.
    public func makeModel(inputFeatures: Int, classCount: Int) -> MLP {
        var generator = SeededGenerator(seed: seed)
        return MLP(architecture(inputFeatures: inputFeatures, classCount: classCount),
                   initializer: model.initializer.initializer(for: model.activation), using: &generator)
    }

    /// The optimizer over `parameters`; `objective` is the loss closure Newton's methods use.
    public func makeOptimizer(parameters: [Parameter], objective: (() -> Tensor)? = nil) throws -> any Optimizer {
        try optimizer.makeOptimizer(parameters: parameters, objective: objective)
    }

    /// The learning rate for each (0-based) epoch of a run of `epochs` epochs.
    public func makeSchedule(epochs: Int) throws -> any LearningRateSchedule {
        try schedule.make(learningRate: optimizer.learningRate, epochs: epochs, warmupEpochs: warmupEpochs)
    }

    /// The most hidden layers a network may have. Releasing a network's graph releases its
    /// nodes recursively, a chain of stack frames per layer: about 30 000 layers overflow the
    /// main thread's 8 MiB stack, far fewer a secondary thread's.
    public static let maximumHiddenLayers = 1000

    /// The most epochs a run may ask for: far more than any run needs, and few enough that
    /// epochs × batches (the step count) never overflows.
    public static let maximumEpochs = 1_000_000

    /// The epochs of a run without an explicit count: this many, or more on a small training set.
    public static let defaultEpochs = 20
    /// Without an explicit epoch count, training takes at least this many optimizer steps
    /// (a table of 120 rows in batches of 32 has 4 steps an epoch; 20 epochs would be 80 steps).
    public static let minimumAutomaticSteps = 800
    /// …but at most this many epochs (scikit-learn's `max_iter` default).
    public static let maximumAutomaticEpochs = 200

    /// The minibatch size of a first-order optimizer when ``batchSize`` is not given.
    public static let defaultMinibatchSize = 32

    /// The batch size of a run on `trainingExamples` examples: ``batchSize`` when given;
    /// else the whole training set for an optimizer that evaluates the loss itself
    /// (`OptimizerChoice.requiresLossClosure`: Newton, Newton-CG and L-BFGS are methods for
    /// the full objective; on minibatches of 32 Newton reached 81% on the digits in 174 s,
    /// where the full batch reaches 97% in seconds), else ``defaultMinibatchSize``.
    public func resolvedBatchSize(trainingExamples: Int) -> Int {
        batchSize ?? (optimizer.requiresLossClosure ? Swift.max(trainingExamples, 1) : Self.defaultMinibatchSize)
    }

    /// The optimizers whose default batch is the whole training set.
    public static var fullBatchOptimizers: [OptimizerChoice.Name] {
        OptimizerChoice.Name.allCases.filter { OptimizerChoice(defaultsFor: $0).requiresLossClosure }
    }

    /// The batch of a run for its first line: `batch N`, and for an optimizer whose default is
    /// the full batch but was given a smaller one, that it was (Newton on minibatches sees a
    /// different objective at every step).
    public func batchDescription(trainingExamples: Int) -> String {
        let size = resolvedBatchSize(trainingExamples: trainingExamples)
        guard optimizer.requiresLossClosure, size < trainingExamples else { return "batch \(size)" }
        return "batch \(size) (minibatches: \(optimizer.name.rawValue) defaults to the full batch of \(trainingExamples))"
    }

    /// The epoch count of a run on `trainingExamples` examples: ``epochs`` when given, else
    /// ``defaultEpochs`` raised to reach ``minimumAutomaticSteps`` optimizer steps, at most
    /// ``maximumAutomaticEpochs`` (20 for the digits, MNIST and any set of 20,000 or more
    /// examples at batch 32). An optimizer that evaluates the loss itself gets
    /// ``defaultEpochs``: the step minimum is for stochastic first-order methods, while
    /// Newton-type methods take few, expensive, full-batch steps.
    public func resolvedEpochs(trainingExamples: Int) -> Int {
        if let epochs { return epochs }
        if optimizer.requiresLossClosure { return Self.defaultEpochs }
        let batchSize = resolvedBatchSize(trainingExamples: trainingExamples)
        let steps = Swift.max(1, trainingExamples / batchSize + (trainingExamples % batchSize == 0 ? 0 : 1))
        let needed = Self.minimumAutomaticSteps / steps + (Self.minimumAutomaticSteps % steps == 0 ? 0 : 1)
        return Swift.min(Self.maximumAutomaticEpochs, Swift.max(Self.defaultEpochs, needed))
    }
}

/// A value in a configuration that cannot be used: the field (a dotted path such as
/// `optimizer.momentum`) and what is wrong with it; `source` names the file, when there is one.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    public var source: String?
    public var field: String
    public var message: String

    /// An error about `field`.
    public init(source: String? = nil, field: String, message: String) {
        self.source = source
        self.field = field
        self.message = message
    }

    public var description: String {
        (source.map { "\($0): " } ?? "") + (field.isEmpty ? message : "\(field): \(message)")
    }
}

// MARK: - config.json

extension TrainingConfiguration: Codable {
    enum CodingKeys: String, CodingKey {
        case schemaVersion, data, model, optimizer, schedule, warmupEpochs, batchSize, epochs, labelSmoothing
        case gradientClipNorm, shuffle, seed, divergencePolicy, maximumSkippedFraction, regressionLoss, earlyStoppingPatience
    }

    /// Reads version 2 (a missing field takes its default). Version 1 files go through
    /// ``read(from:source:)``, which recognizes them.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let version = try c.decode(.schemaVersion, default: Self.schemaVersion)
        guard version == Self.schemaVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .schemaVersion, in: c,
                debugDescription: "version \(version) is not one this release reads (1 and \(Self.schemaVersion)); a newer Loom wrote it?")
        }
        let d = Self()
        data = try c.decode(.data, default: d.data)
        model = try c.decode(.model, default: d.model)
        optimizer = try c.decode(.optimizer, default: d.optimizer)
        schedule = try c.decode(.schedule, default: d.schedule)
        warmupEpochs = try c.decode(.warmupEpochs, default: d.warmupEpochs)
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? d.epochs
        labelSmoothing = try c.decode(.labelSmoothing, default: d.labelSmoothing)
        gradientClipNorm = try c.decodeIfPresent(Double.self, forKey: .gradientClipNorm) ?? d.gradientClipNorm
        shuffle = try c.decode(.shuffle, default: d.shuffle)
        seed = try c.decode(.seed, default: d.seed)
        divergencePolicy = try c.decode(.divergencePolicy, default: d.divergencePolicy)
        maximumSkippedFraction = try c.decode(.maximumSkippedFraction, default: d.maximumSkippedFraction)
        regressionLoss = try c.decode(.regressionLoss, default: d.regressionLoss)
        earlyStoppingPatience = try c.decodeIfPresent(Int.self, forKey: .earlyStoppingPatience) ?? d.earlyStoppingPatience
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.schemaVersion, forKey: .schemaVersion)
        try c.encode(data, forKey: .data)
        try c.encode(model, forKey: .model)
        try c.encode(optimizer, forKey: .optimizer)
        try c.encode(schedule, forKey: .schedule)
        try c.encode(warmupEpochs, forKey: .warmupEpochs)
        try c.encodeIfPresent(batchSize, forKey: .batchSize)
        try c.encodeIfPresent(epochs, forKey: .epochs)
        try c.encode(labelSmoothing, forKey: .labelSmoothing)
        try c.encodeIfPresent(gradientClipNorm, forKey: .gradientClipNorm)
        try c.encode(shuffle, forKey: .shuffle)
        try c.encode(seed, forKey: .seed)
        try c.encode(divergencePolicy, forKey: .divergencePolicy)
        try c.encode(maximumSkippedFraction, forKey: .maximumSkippedFraction)
        try c.encode(regressionLoss, forKey: .regressionLoss)
        try c.encodeIfPresent(earlyStoppingPatience, forKey: .earlyStoppingPatience)
    }

    /// The configuration in `data` (a `config.json`, version 1 or 2), validated. `source`
    /// names the file in errors, which are ``ConfigurationError``s naming the field: a value
    /// of the wrong type, an unknown name or field, or a value ``validate()`` refuses.
    public static func read(from data: Data, source: String) throws -> TrainingConfiguration {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw ConfigurationError(source: source, field: "", message: "not valid JSON (\(ConfigurationDecoding.reason(error)))")
        }
        guard let fields = object as? [String: Any] else {
            throw ConfigurationError(source: source, field: "", message: "expected a JSON object")
        }
        let configuration: TrainingConfiguration
        if fields["schemaVersion"] == nil {
            let legacy: LegacyTrainingConfiguration = try ConfigurationDecoding.decode(fields, source: source)
            configuration = try legacy.upgraded(source: source)
        } else {
            configuration = try ConfigurationDecoding.decode(fields, source: source)
        }
        do {
            try configuration.validate()
        } catch var error as ConfigurationError {
            error.source = source
            throw error
        }
        return configuration
    }

    /// The configuration in the file at `url` (see ``read(from:source:)``).
    public static func read(from url: URL) throws -> TrainingConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ConfigurationError(source: url.path, field: "", message: "cannot read it (\(ConfigurationDecoding.reason(error)))")
        }
        return try read(from: data, source: url.path)
    }

    /// The defaults with `overrides` applied: a JSON object in `config.json`'s layout that
    /// names only what changes (what the command line's flags set), validated.
    public init(overrides: [String: Any], source: String) throws {
        var fields = overrides
        fields["schemaVersion"] = Self.schemaVersion
        self = try ConfigurationDecoding.decode(fields, source: source)
        do {
            try validate()
        } catch var error as ConfigurationError {
            error.source = source
            throw error
        }
    }

    /// The configuration as `config.json` holds it (pretty, sorted keys).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try encoder.encode(self)
    }
}

extension TrainingConfiguration.DataConfiguration: Codable {
    enum CodingKeys: String, CodingKey {
        case dataset, directory, file, targets, features, testFile, testFraction, validationFraction, task, missing, unknownCategories
        case limit
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        self.init(dataset: try c.decode(.dataset, default: d.dataset),
                  directory: try c.decodeIfPresent(String.self, forKey: .directory) ?? d.directory)
        file = try c.decodeIfPresent(String.self, forKey: .file)
        targets = try c.decodeIfPresent([String].self, forKey: .targets)
        features = try c.decodeIfPresent([String].self, forKey: .features)
        testFile = try c.decodeIfPresent(String.self, forKey: .testFile)
        testFraction = try c.decode(.testFraction, default: d.testFraction)
        validationFraction = try c.decode(.validationFraction, default: d.validationFraction)
        task = try c.decodeIfPresent(TaskKind.self, forKey: .task)
        missing = try c.decode(.missing, default: d.missing)
        unknownCategories = try c.decode(.unknownCategories, default: d.unknownCategories)
        limit = try c.decodeIfPresent(Int.self, forKey: .limit)
    }
}

extension TrainingConfiguration.RegressionLoss: Codable {
    /// `"mse"`, `"huber"` (δ = 1) or `{"name": "huber", "delta": δ}`.
    public init(from decoder: any Decoder) throws {
        var name: String
        var delta: Double?
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            name = text
        } else {
            let c = try decoder.container(keyedBy: AnyCodingKey.self)
            name = try c.decode(String.self, forKey: AnyCodingKey("name"))
            delta = try c.decodeIfPresent(Double.self, forKey: AnyCodingKey("delta"))
        }
        switch name {
        case "mse" where delta == nil: self = .meanSquaredError
        case "huber":
            guard case let .huber(defaultDelta) = Self.huber() else { preconditionFailure("unreachable") }
            self = .huber(delta: delta ?? defaultDelta)
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown regression loss \"\(name)\" (mse, huber)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .meanSquaredError:
            var c = encoder.singleValueContainer()
            try c.encode("mse")
        case let .huber(delta):
            var c = encoder.container(keyedBy: AnyCodingKey.self)
            try c.encode("huber", forKey: AnyCodingKey("name"))
            try c.encode(delta, forKey: AnyCodingKey("delta"))
        }
    }
}

extension TrainingConfiguration.ModelConfiguration: Codable {
    enum CodingKeys: String, CodingKey { case hiddenWidths, activation, initializer, normalization, dropout }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        self.init()
        hiddenWidths = try c.decode(.hiddenWidths, default: d.hiddenWidths)
        activation = try c.decode(.activation, default: d.activation)
        initializer = try c.decode(.initializer, default: d.initializer)
        normalization = try c.decode(.normalization, default: d.normalization)
        dropout = try c.decode(.dropout, default: d.dropout)
    }
}

extension ImageDataset: Codable {}

/// Decoding a JSON object strictly: the types' own decoders fill in defaults, and any field
/// the decoded value does not hold (a misspelt name, `momentum` for Adam) is an error, as is
/// any value of the wrong type; errors name the field by its dotted path.
public enum ConfigurationDecoding {
    /// Decodes `fields` as `T`, or throws a ``ConfigurationError`` naming the field.
    public static func decode<T: Codable>(_ fields: [String: Any], source: String) throws -> T {
        if let (field, number) = firstNonFiniteNumber(fields, prefix: "") {
            throw ConfigurationError(source: source, field: field, message: "must be finite, got \(number)")
        }
        let value: T
        do {
            let data = try JSONSerialization.data(withJSONObject: fields)
            value = try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw ConfigurationError(source: source, field: path(of: error), message: reason(error))
        } catch {
            throw ConfigurationError(source: source, field: "", message: reason(error))
        }
        // A field that decoding ignored is not in the value written back.
        let written = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
        if let unknown = firstUnknownField(fields, written, prefix: "") {
            throw ConfigurationError(source: source, field: unknown, message: "unknown field (not an option of this choice)")
        }
        return value
    }

    /// The first NaN or infinity among the numbers in `object` (JSON has none; a command line
    /// can ask for one), with its path.
    static func firstNonFiniteNumber(_ object: Any, prefix: String) -> (String, Double)? {
        if let number = object as? Double, !number.isFinite { return (prefix, number) }
        guard let fields = object as? [String: Any] else { return nil }
        for key in fields.keys.sorted() {
            if let found = firstNonFiniteNumber(fields[key]!, prefix: prefix.isEmpty ? key : "\(prefix).\(key)") { return found }
        }
        return nil
    }

    /// The dotted path of the first key of `given` (non-null) that `written` lacks.
    static func firstUnknownField(_ given: Any, _ written: Any, prefix: String) -> String? {
        guard let given = given as? [String: Any] else { return nil }
        let written = written as? [String: Any] ?? [:]
        for key in given.keys.sorted() where key != "schemaVersion" {
            let path = prefix.isEmpty ? key : "\(prefix).\(key)"
            guard let value = given[key], !(value is NSNull) else { continue }
            guard let counterpart = written[key] else { return path }
            if let unknown = firstUnknownField(value, counterpart, prefix: path) { return unknown }
        }
        return nil
    }

    static func path(of error: DecodingError) -> String {
        let path: [any CodingKey]
        switch error {
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context): path = context.codingPath
        case let .keyNotFound(key, context): path = context.codingPath + [key]
        @unknown default: path = []
        }
        return path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    /// A decoding error as one line: the dotted path of the value, and what is wrong with it.
    package static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return reason(error) }
        let at = path(of: error)
        return (at.isEmpty ? "" : "\(at): ") + reason(error)
    }

    /// One line saying what is wrong, without Foundation's domain and code.
    static func reason(_ error: any Error) -> String {
        switch error {
        case let DecodingError.typeMismatch(type, context):
            return "expected \(typeName(type))" + (context.debugDescription.contains("but found") ? ", " + foundPart(context.debugDescription) : "")
        case let DecodingError.valueNotFound(type, _): return "expected \(typeName(type)), found null"
        case DecodingError.keyNotFound: return "missing"
        case let DecodingError.dataCorrupted(context):
            return context.underlyingError.map { reason($0) } ?? context.debugDescription
        default:
            let description = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            return description ?? (error as NSError).localizedDescription
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Float.Type: "a number"
        case is Int.Type, is UInt64.Type: "an integer"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        default: String(describing: type).contains("Array") ? "a list" : "an object"
        }
    }

    private static func foundPart(_ text: String) -> String {
        guard let range = text.range(of: "but found") else { return "" }
        return "found " + text[range.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: " ."))
    }
}

/// Fields to change in a configuration, by their path in `config.json`'s layout: what a
/// command line sets (``TrainingConfiguration/init(overrides:source:)`` reads it). Setting
/// nil leaves a field out.
public struct ConfigurationOverrides {
    /// The JSON object built so far.
    public private(set) var fields: [String: Any] = [:]

    /// No changes yet.
    public init() {}

    /// The value at `path` (`["optimizer", "momentum"]`), or nil when not set.
    public subscript(path: String...) -> Any? {
        get { value(at: path) }
        set { set(newValue, at: path[...], in: &fields) }
    }

    /// The value at `path`, or nil when not set.
    public func value(at path: [String]) -> Any? {
        var current: Any? = fields
        for key in path { current = (current as? [String: Any])?[key] }
        return current
    }

    private func set(_ value: Any?, at path: ArraySlice<String>, in object: inout [String: Any]) {
        guard let key = path.first else { return }
        if path.count == 1 {
            object[key] = value
            return
        }
        guard value != nil || object[key] != nil else { return }
        var child = object[key] as? [String: Any] ?? [:]
        set(value, at: path.dropFirst(), in: &child)
        object[key] = child
    }
}
