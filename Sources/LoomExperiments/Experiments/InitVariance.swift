import Foundation
import Loom
import LoomNN

/// `init-variance`: how the scale of the initial weights carries activations and gradients
/// through a deep fully connected network, at initialization (no training).
///
/// For each activation (linear, ReLU) and each `c` of ``scales``, a ``depth``-layer MLP of
/// width ``width`` gets weights `W_i ~ N(0, c / n_i)`; then ReLU networks whose hidden layers
/// alternate between ``width`` and ``alternateWidth`` (fan-in ≠ fan-out) get the Xavier and
/// Kaiming presets, where those differ from `1/n` and `2/n`. A batch of standard normal inputs
/// goes forward through ``networks`` independent weight draws; after every hidden layer the
/// variance of the activations is recorded (averaged over the draws), and a backward pass of
/// the softmax cross-entropy (random labels) gives `‖∇W_i‖_F` per layer.
///
/// The lecture: a layer with `Var(W) = s` and fan-in `n` multiplies the activation variance by
/// `n·s` (linear) or `n·s/2` (ReLU). So `N(0, c/n)` gives `c` or `c/2` per layer; Xavier's
/// `2/(n_in + n_out)` gives `n_in/(n_in + n_out)` per ReLU layer (not ½); Kaiming's `2/n_in`
/// gives 1 on any layer shape.
///
/// The verdict fits the per-layer factor (the least-squares slope of log variance over
/// depth) and allows the variance after the last layer, extrapolated from that slope, to be
/// off by at most ``totalTolerance``: a tolerance on the whole depth, so it cannot compound.
public struct InitVarianceExperiment: Experiment {
    public static let name = "init-variance"
    /// Linear layers in the network (the last maps to `classCount` logits).
    public var depth = 50
    public var width = 256
    /// The width of every other hidden layer in the non-square networks (nil: 2 × ``width``).
    public var alternateWidth: Int?
    /// Rows of the input batch.
    public var batchSize = 256
    /// Independent weight draws per network; the variances are averaged over them, because one
    /// finite-width network's log-variance wanders like a random walk (about √(5L/n) for ReLU).
    public var networks = 8
    /// The `c` of `N(0, c/n)`.
    public var scales: [Double] = [1, 2, 3]
    public var classCount = 10
    public var seed: UInt64 = 0
    /// The largest factor by which the variance after the last hidden layer, extrapolated from the
    /// fitted per-layer factor, may differ from the prediction (over the whole depth).
    public var totalTolerance = 2.0

    /// The experiment with the defaults of its properties.
    public init() {}

    /// The width of the alternate hidden layers of the non-square networks.
    public var wideWidth: Int { alternateWidth ?? 2 * width }

    public var configuration: [ExperimentSetting] {
        [.init("depth", "\(depth) linear layers"), .init("width", "\(width) (non-square networks: \(width) and \(wideWidth) alternating)"),
         .init("batch", "\(batchSize) inputs ~ N(0, I)"), .init("networks", "\(networks) weight draws per network, variances averaged"),
         .init("scales c", scales.map { AxisMapping.label($0) }.joined(separator: ", ")),
         .init("tolerance", "variance after \(depth - 1) layers within ×\(AxisMapping.label(totalTolerance)) of the fitted prediction"),
         .init("loss", "softmax cross-entropy, \(classCount) random labels"), .init("seed", "\(seed)")]
    }

    public func validate() throws {
        // The fitted factor needs two hidden layers at least.
        try require(depth >= 3, "depth", "must be at least 3, got \(depth)")
        try require(depth <= ExperimentLimits.maximumDepth, "depth", "must be at most \(ExperimentLimits.maximumDepth), got \(depth)")
        try require(width >= 1, "width", "must be positive, got \(width)")
        try require(alternateWidth.map { $0 >= 1 } ?? true, "alternateWidth", "must be positive, got \(alternateWidth ?? 0)")
        try require(batchSize >= 2, "batchSize", "must be at least 2 (a variance needs two inputs), got \(batchSize)")
        try require((1...1000).contains(networks), "networks", "must be between 1 and 1000, got \(networks)")
        try require(!scales.isEmpty, "scales", "must name at least one c")
        try require(scales.allSatisfy { $0 > 0 && $0.isFinite }, "scales",
                    "must be positive and finite, got \(scales.map { AxisMapping.label($0) }.joined(separator: ","))")
        try require(classCount >= 2, "classCount", "must be at least 2, got \(classCount)")
        try require(totalTolerance >= 1 && totalTolerance.isFinite, "totalTolerance", "must be at least 1 and finite, got \(totalTolerance)")
        let widest = Swift.max(width, wideWidth)
        try checkParameterCount(Array(repeating: widest, count: depth) + [classCount], limit: ExperimentLimits.maximumParameterCount,
                                field: "width", purpose: "an experiment's network")
        // Every layer's activations are kept for the backward pass.
        let activations = product(batchSize, widest, depth)
        try require(activations.map { $0 <= ExperimentLimits.maximumParameterCount } ?? false, "batchSize",
                    "\(batchSize) inputs through \(depth) layers of width \(widest) keep more than \(ExperimentLimits.maximumParameterCount) activations")
    }

    /// One network's measurements.
    public struct Profile: Sendable {
        public var name: String
        /// The lecture's per-layer factor of the activation variance between the first and the last
        /// hidden layer (the geometric mean of `n_in·Var(W)`, halved for ReLU, over those layers).
        public var predictedFactor: Double
        /// A rule the measurement must be told apart from (Xavier against `N(0, 1/n)`): its name
        /// and per-layer factor.
        public var alternative: (name: String, factor: Double)?
        /// The variance of each hidden layer's activations (after σ), layers 1…depth−1, averaged
        /// over the weight draws.
        public var activationVariances: [Double]
        /// `‖∇W_i‖_F` for i = 1…depth, averaged over the weight draws.
        public var gradientNorms: [Double]

        /// The per-layer factor fitted to all hidden layers: `exp` of the least-squares slope of
        /// `log variance` against the layer index (NaN when a variance is not positive and finite).
        public var fittedFactor: Double {
            let v = activationVariances
            guard v.count > 1, v.allSatisfy({ $0 > 0 && $0.isFinite }) else { return .nan }
            let x = v.indices.map(Double.init), y = v.map { Foundation.log($0) }
            let meanX = x.reduce(0, +) / Double(x.count), meanY = y.reduce(0, +) / Double(y.count)
            let covariance = zip(x, y).map { ($0 - meanX) * ($1 - meanY) }.reduce(0, +)
            let varianceX = x.map { ($0 - meanX) * ($0 - meanX) }.reduce(0, +)
            return Foundation.exp(covariance / varianceX)
        }

        /// The ratio of the measured to the predicted variance after the last hidden layer,
        /// extrapolated from the fitted factor: `(fitted / predicted)^(layers − 1)`.
        public var totalDeviation: Double { pow(fittedFactor / predictedFactor, Double(activationVariances.count - 1)) }
    }

    /// The lecture's per-layer variance factor for `widths` (inputs, hidden…, outputs) under
    /// `initializer`: the geometric mean of `n_in·Var(W)` (halved for ReLU) over the layers between
    /// the first and the last hidden layer.
    func predictedFactor(widths: [Int], initializer: Initializer, activation: Activation) -> Double {
        let between = (1..<(widths.count - 2)).map { i -> Double in
            let deviation = initializer.standardDeviation(for: [widths[i], widths[i + 1]]) ?? .nan
            return Double(widths[i]) * deviation * deviation * (activation == .relu ? 0.5 : 1)
        }
        return Foundation.exp(between.map { Foundation.log($0) }.reduce(0, +) / Double(Swift.max(between.count, 1)))
    }

    /// Hidden widths: all ``width``, or (`squareLayers` false) alternating ``width`` and ``wideWidth``.
    func widths(squareLayers: Bool) -> [Int] {
        [width] + (1..<depth).map { squareLayers || $0 % 2 == 0 ? width : wideWidth } + [classCount]
    }

    /// Measures one network: `activation` with weights from `initializer`, on square layers or
    /// on alternating widths, averaged over ``networks`` weight draws.
    public func profile(name: String, activation: Activation, initializer: Initializer, squareLayers: Bool = true,
                        alternative: (name: String, factor: Double)? = nil) -> Profile {
        let widths = widths(squareLayers: squareLayers)
        // The same inputs and labels for every network: drawn from a generator of their own.
        var dataGenerator = SeededGenerator(seed: seed &+ 1)
        let inputs = Tensor.normal([batchSize, width], using: &dataGenerator)
        let labels = Tensor(shape: [batchSize], scalars: (0..<batchSize).map { _ in Int64(dataGenerator.next(upperBound: UInt64(classCount))) })
        var variances = Array(repeating: 0.0, count: depth - 1), norms = Array(repeating: 0.0, count: depth)
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<networks {
            let model = MLP(widths: widths, activation: activation, initializer: initializer, using: &generator)
            var z = inputs, hidden = 0
            for layer in model.layers {
                z = layer(z)
                // After each hidden activation module (linear networks have an Identity there).
                if !(layer is Linear) {
                    variances[hidden] += withoutGradients { z.variance() }.item(Double.self) / Double(networks)
                    hidden += 1
                }
            }
            softmaxCrossEntropy(logits: z, labels: labels).backward()
            for (i, layer) in model.linearLayers.enumerated() { norms[i] += (layer.weight.gradient.map(frobeniusNorm) ?? 0) / Double(networks) }
        }
        return Profile(name: name, predictedFactor: predictedFactor(widths: widths, initializer: initializer, activation: activation),
                       alternative: alternative, activationVariances: variances, gradientNorms: norms)
    }

    /// Every network of the grid: `N(0, c/n)` for linear and ReLU on square layers, then ReLU
    /// with the Xavier and Kaiming normal presets on non-square layers.
    public func profiles(log: (String) -> Void = { _ in }) -> [Profile] {
        var result: [Profile] = []
        func add(_ profile: Profile) {
            log(String(format: "%@: fitted variance factor per layer %.4f (predicted %.4f)", profile.name, profile.fittedFactor, profile.predictedFactor))
            result.append(profile)
        }
        for (activation, label) in [(Activation.identity, "linear"), (.relu, "ReLU")] {
            for c in scales {
                add(profile(name: "\(label), N(0, \(AxisMapping.label(c))/n)", activation: activation, initializer: .varianceScaling(scale: c)))
            }
        }
        let shape = "\(width)↔\(wideWidth)"
        let oneOverN = predictedFactor(widths: widths(squareLayers: false), initializer: .varianceScaling(scale: 1), activation: .relu)
        add(profile(name: "ReLU, Xavier normal, \(shape)", activation: .relu, initializer: .xavierNormal(), squareLayers: false,
                    alternative: ("N(0, 1/n_in)", oneOverN)))
        add(profile(name: "ReLU, Kaiming normal, \(shape)", activation: .relu, initializer: .kaimingNormal(nonlinearity: .relu), squareLayers: false))
        return result
    }

    /// The verdict on one profile, from its measurements alone (so a test can hand in a
    /// profile where the lecture is wrong).
    public func verdict(for profile: Profile) -> Verdict {
        let fitted = profile.fittedFactor, predicted = profile.predictedFactor, layers = profile.activationVariances.count
        let deviation = profile.totalDeviation
        var agrees = fitted.isFinite && deviation <= totalTolerance && deviation >= 1 / totalTolerance
        var refutedBy = "the fitted factor outside [\(format(predicted * pow(totalTolerance, -1 / Double(layers - 1)), 4)), "
            + "\(format(predicted * pow(totalTolerance, 1 / Double(layers - 1)), 4))] (the variance after \(layers) layers off by more than ×\(AxisMapping.label(totalTolerance)))"
        if let alternative = profile.alternative {
            agrees = agrees && Swift.abs(Foundation.log(fitted / predicted)) < Swift.abs(Foundation.log(fitted / alternative.factor))
            refutedBy += ", or nearer \(alternative.name)'s ×\(format(alternative.factor, 4))"
        }
        let fate = predicted < 0.99 ? "vanishes" : (predicted > 1.01 ? "explodes" : "stays level")
        return Verdict(
            prediction: "\(profile.name): variance ×\(format(predicted, 4)) per layer (\(fate))",
            measurement: String(format: "fitted ×%.4f per layer; variance %@ after %d layers (first %@), ×%@ the prediction", fitted,
                                AxisMapping.label(profile.activationVariances.last ?? .nan), layers,
                                AxisMapping.label(profile.activationVariances.first ?? .nan), format(deviation, 3)),
            refutedBy: refutedBy, agrees: agrees)
    }

    public func run(log: (String) -> Void) throws -> ExperimentResult {
        let start = Date()
        let profiles = profiles(log: log)
        let verdicts = profiles.map(verdict(for:))
        var table = ResultTable(name: "per-layer", columns: ["network", "layer", "activation variance", "gradient norm ‖∇W‖_F"])
        for profile in profiles {
            for layer in profile.gradientNorms.indices {
                let variance = layer < profile.activationVariances.count ? TableValue.number(profile.activationVariances[layer]) : .text("")
                table.rows.append([.text(profile.name), .number(Double(layer + 1)), variance, .number(profile.gradientNorms[layer])])
            }
        }
        var factors = ResultTable(name: "factors", columns: ["network", "predicted factor per layer", "fitted factor per layer", "variance after the last layer / predicted", "agrees"])
        for (profile, verdict) in zip(profiles, verdicts) {
            factors.rows.append([.text(profile.name), .number(profile.predictedFactor), .number(profile.fittedFactor), .number(profile.totalDeviation), .text(verdict.agrees ? "yes" : "no")])
        }
        let variance = Figure(
            name: "activation-variance", title: "Activation variance through \(depth) layers at initialization",
            xAxis: Axis("layer", isInteger: true), yAxis: Axis("variance of activations", scale: .logarithmic),
            series: profiles.map { Series(name: $0.name, y: $0.activationVariances) },
            caption: "Straight lines on the log scale: each layer multiplies the variance by c (linear) or c/2 (ReLU). The level lines (linear 1/n, ReLU 2/n, Kaiming on non-square layers) lie on top of each other; each has its own marker. Xavier on non-square layers falls faster than ReLU 1/n: its factor is n_in/(n_in + n_out), not ½.")
        let gradients = Figure(
            name: "gradient-norm", title: "Weight-gradient norm per layer at initialization",
            xAxis: Axis("layer", isInteger: true), yAxis: Axis("‖∇W_i‖_F", scale: .logarithmic),
            series: profiles.map { Series(name: $0.name, y: $0.gradientNorms) },
            caption: "Gradients scale with the same per-layer factor as the activations: tiny for vanishing networks, huge for exploding ones.")
        return ExperimentResult(
            experiment: Self.name, title: "Initialization scale and signal propagation",
            summary: "A layer with Var(W) = s and fan-in n multiplies the activation variance by n·s, halved by ReLU: N(0, 1/n) vanishes with ReLU, 2/n (Kaiming, on any layer shape) stays level, larger c explodes; Xavier's 2/(n_in + n_out) gives n_in/(n_in + n_out) per ReLU layer.",
            configuration: configuration, verdicts: verdicts, tables: [factors, table], figures: [variance, gradients],
            seconds: Date().timeIntervalSince(start))
    }
}
