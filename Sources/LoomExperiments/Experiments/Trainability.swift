import Foundation
import Loom
import LoomData
import LoomNN
import LoomOptimizers

/// `trainability`: the lecture's question "how do we ensure the network can continue to be
/// trained easily over multiple optimization iterations?", answered by measurement. For each
/// number of hidden layers in ``depths`` and each ``Kind`` (no normalization, BatchNorm,
/// LayerNorm, residual blocks), a ReLU network of width ``width`` (Kaiming normal) records
/// `‖∇W_i‖_F` per linear layer at initialization (one backward pass over the training set),
/// then trains with SGD and reports its test accuracy.
///
/// Residual networks: `Linear(in, w)`, then `depth − 1` blocks `x + W relu(x)` with
/// `W ~ N(0, 1/(w·(depth − 1)))`, so the branches together add a bounded variance
/// (`(1 + 1/(depth−1))^(depth−1) < e`), then `relu`, `Linear(w, classes)`: as many linear
/// layers as the plain network.
///
/// The lecture: without normalization or residual connections deep networks become hard to
/// train; with them, accuracy holds up as depth grows.
public struct TrainabilityExperiment: Experiment {
    public static let name = "trainability"
    public var data = ExperimentData()
    /// Numbers of hidden layers.
    public var depths = [2, 4, 8, 16, 32]
    public var width = 64
    public var epochs = 3
    public var batchSize = 32
    public var learningRate = 0.05
    public var seed: UInt64 = 0
    /// How much test accuracy (absolute) the deepest network of a kind may lose against its
    /// shallowest and still count as "trains easily"; the plain network must lose more.
    public var tolerance = 0.05

    /// The experiment with the defaults of its properties.
    public init() {}

    /// How the hidden layers are built.
    public enum Kind: String, CaseIterable, Sendable {
        case plain = "no normalization"
        case batchNorm = "BatchNorm"
        case layerNorm = "LayerNorm"
        case residual = "residual blocks"
    }

    public var configuration: [ExperimentSetting] {
        [.init("data", data.description), .init("depths (hidden layers)", depths.map(String.init).joined(separator: ",")),
         .init("width", "\(width)"), .init("networks", Kind.allCases.map(\.rawValue).joined(separator: ", ") + "; ReLU, Kaiming normal"),
         .init("optimizer", "SGD, learning rate \(learningRate), batch \(batchSize)"), .init("epochs", "\(epochs)"),
         .init("tolerance", "deepest at most \(percent(tolerance)) below shallowest"), .init("seed", "\(seed)")]
    }

    public func validate() throws {
        try data.validate()
        try require(depths.count >= 2, "depths", "must name at least two depths, got \(depths.count)")
        try require(depths.allSatisfy { (1...ExperimentLimits.maximumDepth).contains($0) }, "depths",
                    "must be between 1 and \(ExperimentLimits.maximumDepth), got \(depths.map(String.init).joined(separator: ","))")
        try require(width >= 1, "width", "must be positive, got \(width)")
        try checkParameterCount([data.expectedFeatureCount] + Array(repeating: width, count: depths.max()!) + [data.expectedClassCount],
                                limit: ExperimentLimits.maximumParameterCount, field: "width", purpose: "an experiment's network")
        try checkTraining(epochs: epochs, batchSize: batchSize, learningRate: learningRate)
        try require(tolerance >= 0 && tolerance < 1, "tolerance", "must be in [0, 1), got \(tolerance)")
    }

    /// One network's measurements.
    public struct Outcome: Sendable {
        public var kind: Kind
        public var depth: Int
        /// `‖∇W_i‖_F` per linear layer at initialization, input to output.
        public var gradientNorms: [Double]
        public var finalTrainLoss: Double
        public var testAccuracy: Double

        /// `log₁₀(max / min)` of the hidden layers' gradient norms (∞ when one is 0 or not finite).
        public var gradientSpread: Double {
            let norms = gradientNorms
            guard let low = norms.min(), let high = norms.max(), low > 0, high.isFinite else { return .infinity }
            return Foundation.log10(high / low)
        }
    }

    /// The network of `kind` with `depth` hidden layers.
    func network(_ kind: Kind, depth: Int, inputs: Int, classes: Int, using generator: inout SeededGenerator) -> Sequential {
        switch kind {
        case .plain, .batchNorm, .layerNorm:
            let normalization: NormalizationKind = kind == .batchNorm ? .batch : (kind == .layerNorm ? .layer : .none)
            return MLP(widths: [inputs] + Array(repeating: width, count: depth) + [classes], activation: .relu,
                       normalization: normalization, using: &generator)
        case .residual:
            var layers: [Module] = [Linear(inputFeatures: inputs, outputFeatures: width, using: &generator)]
            let branch = Initializer.varianceScaling(scale: 1 / Double(Swift.max(depth - 1, 1)))
            for _ in 1..<Swift.max(depth, 1) {
                layers.append(Residual(Sequential(ReLU(), Linear(inputFeatures: width, outputFeatures: width, weightInitializer: branch, using: &generator))))
            }
            layers += [ReLU(), Linear(inputFeatures: width, outputFeatures: classes, using: &generator)]
            return Sequential(layers)
        }
    }

    /// Builds, measures and trains one network.
    func outcome(_ kind: Kind, depth: Int, train: LabeledDataset, test: LabeledDataset) -> Outcome {
        var generator = SeededGenerator(seed: seed)
        let model = network(kind, depth: depth, inputs: train.exampleShape.reduce(1, *), classes: train.classCount, using: &generator)
        softmaxCrossEntropy(logits: model(train.inputs), labels: train.labels).backward()
        let linears = model.modules().compactMap { $0 as? Linear }
        let norms = linears.map { $0.weight.gradient.map(frobeniusNorm) ?? 0 }
        model.zeroGradients()
        let optimizer = try! SGD(parameters: model.trainableParameters, learningRate: learningRate)
        let loader = DataLoader(train, batchSize: batchSize, shuffles: true, seed: seed)
        StepTrainer.train(model: model, optimizer: optimizer, loader: loader, steps: epochs * loader.batchCount)
        model.evaluate()
        return Outcome(kind: kind, depth: depth, gradientNorms: norms, finalTrainLoss: StepTrainer.evaluate(model, on: train).loss,
                       testAccuracy: StepTrainer.evaluate(model, on: test).accuracy)
    }

    /// Every (kind, depth), kind by kind.
    public func outcomes(log: (String) -> Void = { _ in }) throws -> [Outcome] {
        let (train, test) = try data.load()
        return Kind.allCases.flatMap { kind in
            depths.map { depth in
                let o = outcome(kind, depth: depth, train: train, test: test)
                log("\(kind.rawValue), \(depth) hidden layers: test accuracy \(percent(o.testAccuracy)), train loss \(format(o.finalTrainLoss, 4)), gradient norms spread 10^\(format(o.gradientSpread, 3)) across layers")
                return o
            }
        }
    }

    /// The verdicts on a grid of outcomes, from the measurements alone (so a test can hand in a
    /// grid where the plain network trains as well as the others).
    public func verdicts(for outcomes: [Outcome]) -> [Verdict] {
        let (shallow, deep) = (depths.min()!, depths.max()!)
        func outcome(_ kind: Kind, _ depth: Int) -> Outcome { outcomes.first { $0.kind == kind && $0.depth == depth }! }
        func drop(_ kind: Kind) -> Double {
            let loss = outcome(kind, shallow).testAccuracy - outcome(kind, deep).testAccuracy
            return loss.isNaN ? 1 : loss
        }
        let helped: [Kind] = [.batchNorm, .layerNorm, .residual]
        let plainDeep = outcome(.plain, deep)
        var verdicts = helped.map { kind in
            Verdict(prediction: "\(kind.rawValue): the network still trains at \(deep) hidden layers (accuracy within \(percent(tolerance)) of \(shallow) layers)",
                    measurement: "test accuracy \(percent(outcome(kind, shallow).testAccuracy)) at \(shallow) layers, \(percent(outcome(kind, deep).testAccuracy)) at \(deep)",
                    refutedBy: "a drop of more than \(percent(tolerance)) from \(shallow) to \(deep) hidden layers",
                    agrees: drop(kind) <= tolerance)
        }
        verdicts.append(Verdict(
            prediction: "without normalization or residual connections, depth makes training hard: the plain network loses more than \(percent(tolerance)) from \(shallow) to \(deep) hidden layers, and more than each of the others",
            measurement: "drop in test accuracy: plain \(percent(drop(.plain))); " + helped.map { "\($0.rawValue) \(percent(drop($0)))" }.joined(separator: ", "),
            refutedBy: "the plain network losing at most \(percent(tolerance)), or no more than one of the others",
            agrees: drop(.plain) > tolerance && helped.allSatisfy { drop(.plain) > drop($0) }))
        verdicts.append(Verdict(
            prediction: "at initialization, the gradient norms of the \(deep)-layer network spread over more orders of magnitude across layers without normalization or residual connections than with them",
            measurement: "log₁₀(max/min ‖∇W_i‖): plain \(format(plainDeep.gradientSpread, 3)); " + helped.map { "\($0.rawValue) \(format(outcome($0, deep).gradientSpread, 3))" }.joined(separator: ", "),
            refutedBy: "one of BatchNorm, LayerNorm, residual with a spread at least the plain network's",
            agrees: helped.allSatisfy { outcome($0, deep).gradientSpread < plainDeep.gradientSpread }))
        return verdicts
    }

    public func run(log: (String) -> Void) throws -> ExperimentResult {
        let start = Date()
        let outcomes = try outcomes(log: log)
        let verdicts = verdicts(for: outcomes)
        func outcome(_ kind: Kind, _ depth: Int) -> Outcome { outcomes.first { $0.kind == kind && $0.depth == depth }! }
        let table = ResultTable(name: "trainability", columns: ["network", "hidden layers", "test accuracy", "final train loss (nats)", "log10 gradient-norm spread"],
                                rows: outcomes.map { [.text($0.kind.rawValue), .number(Double($0.depth)), .number($0.testAccuracy), .number($0.finalTrainLoss), .number($0.gradientSpread)] })
        var gradients = ResultTable(name: "gradient-norms", columns: ["network", "hidden layers", "linear layer", "‖∇W‖_F at initialization"])
        for o in outcomes { for (i, norm) in o.gradientNorms.enumerated() { gradients.rows.append([.text(o.kind.rawValue), .number(Double(o.depth)), .number(Double(i + 1)), .number(norm)]) } }
        let deep = depths.max()!
        let accuracy = Figure(name: "accuracy-vs-depth", title: "Test accuracy against depth",
                              xAxis: Axis("hidden layers", isInteger: true), yAxis: Axis("test accuracy", unit: "%"),
                              series: Kind.allCases.map { kind in Series(name: kind.rawValue, x: depths.map(Double.init), y: depths.map { outcome(kind, $0).testAccuracy * 100 }) },
                              caption: "Each point: \(epochs) epochs of SGD from the same seed.")
        let norms = Figure(name: "gradient-norms", title: "Weight-gradient norm per layer at initialization, \(deep) hidden layers",
                           xAxis: Axis("linear layer", isInteger: true), yAxis: Axis("‖∇W_i‖_F", scale: .logarithmic),
                           series: Kind.allCases.map { Series(name: $0.rawValue, y: outcome($0, deep).gradientNorms) },
                           caption: "A flat line means every layer gets a gradient of the same size.")
        return ExperimentResult(experiment: Self.name, title: "Keeping deep networks trainable",
                                summary: "Normalization (BatchNorm, LayerNorm) and residual connections keep deep networks trainable: their accuracy holds up as depth grows, while a plain deep network's gradients spread across layers and its training suffers.",
                                configuration: configuration, verdicts: verdicts, tables: [table, gradients], figures: [accuracy, norms],
                                seconds: Date().timeIntervalSince(start))
    }
}
