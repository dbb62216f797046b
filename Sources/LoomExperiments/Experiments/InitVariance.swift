import Foundation
import Loom
import LoomNN

/// `init-variance`: how the scale of the initial weights carries activations and gradients
/// through a deep fully connected network, at initialization (no training).
///
/// For each activation (linear, ReLU) and each `c` of ``scales``, a ``depth``-layer MLP of
/// width ``width`` gets weights `W_i ~ N(0, c / n_i)` (and, with ReLU, the Xavier and Kaiming
/// presets). A batch of standard normal inputs goes forward; after every hidden layer the
/// variance of the activations is recorded, and a backward pass of the softmax cross-entropy
/// (random labels) gives `‖∇W_i‖_F` per layer. The lecture: with `N(0, c/n)` a linear layer
/// multiplies the activation variance by `c`, a ReLU layer by `c / 2`; so `1/n` vanishes
/// with ReLU, `2/n` (Kaiming) stays level, larger `c` explodes.
public struct InitVarianceExperiment: Experiment {
    public static let name = "init-variance"
    /// Linear layers in the network (the last maps to `classCount` logits).
    public var depth = 50
    public var width = 256
    /// Rows of the input batch.
    public var batchSize = 256
    /// The `c` of `N(0, c/n)`.
    public var scales: [Double] = [1, 2, 3]
    public var classCount = 10
    public var seed: UInt64 = 0
    /// The measured per-layer factor agrees when it is within this fraction of `c` or `c/2`.
    public var tolerance = 0.1

    /// The experiment with the defaults of its properties.
    public init() {}

    public var configuration: [ExperimentSetting] {
        [.init("depth", "\(depth) linear layers"), .init("width", "\(width)"), .init("batch", "\(batchSize) inputs ~ N(0, I)"),
         .init("scales c", scales.map { AxisMapping.label($0) }.joined(separator: ", ")),
         .init("loss", "softmax cross-entropy, \(classCount) random labels"), .init("seed", "\(seed)")]
    }

    public func validate() throws {
        // The per-layer factor compares the first and last hidden layers: two at least.
        try require(depth >= 3, "depth", "must be at least 3, got \(depth)")
        try require(depth <= ExperimentLimits.maximumDepth, "depth", "must be at most \(ExperimentLimits.maximumDepth), got \(depth)")
        try require(width >= 1, "width", "must be positive, got \(width)")
        try require(batchSize >= 2, "batchSize", "must be at least 2 (a variance needs two inputs), got \(batchSize)")
        try require(!scales.isEmpty, "scales", "must name at least one c")
        try require(scales.allSatisfy { $0 > 0 && $0.isFinite }, "scales",
                    "must be positive and finite, got \(scales.map { AxisMapping.label($0) }.joined(separator: ","))")
        try require(classCount >= 2, "classCount", "must be at least 2, got \(classCount)")
        try require(tolerance >= 0 && tolerance.isFinite, "tolerance", "must be non-negative and finite, got \(tolerance)")
        try checkParameterCount(Array(repeating: width, count: depth) + [classCount], limit: ExperimentLimits.maximumParameterCount,
                                field: "width", purpose: "an experiment's network")
        // Every layer's activations are kept for the backward pass.
        let activations = product(batchSize, width, depth)
        try require(activations.map { $0 <= ExperimentLimits.maximumParameterCount } ?? false, "batchSize",
                    "\(batchSize) inputs through \(depth) layers of width \(width) keep more than \(ExperimentLimits.maximumParameterCount) activations")
    }

    /// One network's measurements.
    public struct Profile: Sendable {
        public var name: String
        /// The variance `c` predicts for one layer's activations relative to the previous
        /// (nil for presets, whose `c` is the preset's own).
        public var predictedFactor: Double
        /// The variance of each hidden layer's activations (after σ), layers 1…depth−1.
        public var activationVariances: [Double]
        /// `‖∇W_i‖_F` for i = 1…depth.
        public var gradientNorms: [Double]

        /// The geometric-mean factor between successive hidden layers' variances.
        public var measuredFactor: Double {
            let v = activationVariances
            guard v.count > 1, let first = v.first, let last = v.last, first > 0, last > 0 else { return .nan }
            return pow(last / first, 1 / Double(v.count - 1))
        }
    }

    /// Measures one network: `activation` with weights from `initializer`.
    public func profile(name: String, activation: Activation, initializer: Initializer, predictedFactor: Double) -> Profile {
        var generator = SeededGenerator(seed: seed)
        let model = MLP(widths: Array(repeating: width, count: depth) + [classCount], activation: activation,
                        initializer: initializer, using: &generator)
        // The same inputs and labels for every network: drawn from a generator of their own.
        var dataGenerator = SeededGenerator(seed: seed &+ 1)
        let inputs = Tensor.normal([batchSize, width], using: &dataGenerator)
        let labels = Tensor(shape: [batchSize], scalars: (0..<batchSize).map { _ in Int64(dataGenerator.next(upperBound: UInt64(classCount))) })
        var variances: [Double] = []
        var z = inputs
        for layer in model.layers {
            z = layer(z)
            // After each hidden activation module (linear networks have an Identity there).
            if !(layer is Linear) {
                variances.append(withoutGradients { z.variance() }.item(Double.self))
            }
        }
        softmaxCrossEntropy(logits: z, labels: labels).backward()
        let norms = model.linearLayers.map { layer in
            layer.weight.gradient.map { gradient in withoutGradients { (gradient * gradient).sum().sqrt() }.item(Double.self) } ?? 0
        }
        return Profile(name: name, predictedFactor: predictedFactor, activationVariances: variances, gradientNorms: norms)
    }

    /// Every network of the grid: `N(0, c/n)` for linear and ReLU, then ReLU with the Xavier
    /// and Kaiming normal presets.
    public func profiles(log: (String) -> Void = { _ in }) -> [Profile] {
        var result: [Profile] = []
        for (activation, label, divisor) in [(Activation.identity, "linear", 1.0), (.relu, "ReLU", 2.0)] {
            for c in scales {
                let profile = self.profile(name: "\(label), N(0, \(AxisMapping.label(c))/n)", activation: activation,
                                           initializer: .varianceScaling(scale: c), predictedFactor: c / divisor)
                log(String(format: "%@: variance factor per layer %.3f (predicted %.3f)", profile.name, profile.measuredFactor, profile.predictedFactor))
                result.append(profile)
            }
        }
        // Square hidden layers make Xavier N(0, 2/(n+n)) = N(0, 1/n): it vanishes with ReLU.
        for (label, initializer, factor) in [("ReLU, Xavier normal", Initializer.xavierNormal(), 0.5),
                                             ("ReLU, Kaiming normal", Initializer.kaimingNormal(nonlinearity: .relu), 1.0)] {
            let profile = self.profile(name: label, activation: .relu, initializer: initializer, predictedFactor: factor)
            log(String(format: "%@: variance factor per layer %.3f (predicted %.3f)", label, profile.measuredFactor, factor))
            result.append(profile)
        }
        return result
    }

    public func run(log: (String) -> Void) throws -> ExperimentResult {
        let start = Date()
        let profiles = profiles(log: log)
        let verdicts = profiles.map { profile in
            let measured = profile.measuredFactor
            let agrees = measured.isFinite && Swift.abs(measured / profile.predictedFactor - 1) <= tolerance
            let fate = profile.predictedFactor < 0.95 ? "vanishes" : (profile.predictedFactor > 1.05 ? "explodes" : "stays level")
            let total = profile.activationVariances.last.map { AxisMapping.label($0) } ?? "?"
            return Verdict(
                prediction: "\(profile.name): variance ×\(AxisMapping.label(profile.predictedFactor)) per layer (\(fate))",
                measurement: String(format: "×%.3f per layer; variance %@ after %d layers (first %@)", measured, total,
                                    profile.activationVariances.count, AxisMapping.label(profile.activationVariances.first ?? .nan)),
                agrees: agrees)
        }
        var table = ResultTable(name: "per-layer", columns: ["network", "layer", "activation variance", "gradient norm ‖∇W‖_F"])
        for profile in profiles {
            for layer in profile.gradientNorms.indices {
                let variance = layer < profile.activationVariances.count ? TableValue.number(profile.activationVariances[layer]) : .text("")
                table.rows.append([.text(profile.name), .number(Double(layer + 1)), variance, .number(profile.gradientNorms[layer])])
            }
        }
        var factors = ResultTable(name: "factors", columns: ["network", "predicted factor per layer", "measured factor per layer", "agrees"])
        for (profile, verdict) in zip(profiles, verdicts) {
            factors.rows.append([.text(profile.name), .number(profile.predictedFactor), .number(profile.measuredFactor), .text(verdict.agrees ? "yes" : "no")])
        }
        let variance = Figure(
            name: "activation-variance", title: "Activation variance through \(depth) layers at initialization",
            xAxis: Axis("layer"), yAxis: Axis("variance of activations", scale: .logarithmic),
            series: profiles.map { Series(name: $0.name, y: $0.activationVariances) },
            caption: "Straight lines on the log scale: each layer multiplies the variance by c (linear) or c/2 (ReLU). Level lines are the 1/n linear and 2/n (Kaiming) ReLU networks.")
        let gradients = Figure(
            name: "gradient-norm", title: "Weight-gradient norm per layer at initialization",
            xAxis: Axis("layer"), yAxis: Axis("‖∇W_i‖_F", scale: .logarithmic),
            series: profiles.map { Series(name: $0.name, y: $0.gradientNorms) },
            caption: "Gradients scale with the same per-layer factor as the activations: tiny for vanishing networks, huge for exploding ones.")
        return ExperimentResult(
            experiment: Self.name, title: "Initialization scale and signal propagation",
            summary: "N(0, c/n) weights multiply the activation variance by c per linear layer and by c/2 per ReLU layer: 1/n vanishes with ReLU, 2/n (Kaiming) stays level, larger c explodes.",
            configuration: configuration, verdicts: verdicts, tables: [factors, table], figures: [variance, gradients],
            seconds: Date().timeIntervalSince(start))
    }
}
