import Loom

// Weight initialization: one variance-scaling core (scale × fan mode × distribution, as in
// JAX's `variance_scaling`) and named presets on top of it (PyTorch's `nn.init`).

/// A nonlinearity whose recommended initialization gain is known (PyTorch's
/// `calculate_gain`). The gain `g` corrects the variance a layer's activation removes, so that
/// `Var(W) = g² / fan` keeps activations at a constant scale through depth.
public enum Nonlinearity: Sendable, Hashable {
    /// No nonlinearity (a linear layer): gain 1.
    case linear
    /// ReLU, which zeroes half of a symmetric input and so halves its second moment: gain √2.
    case relu
    /// Leaky ReLU with slope `negativeSlope` below zero: gain √(2 / (1 + s²)).
    case leakyReLU(negativeSlope: Double)
    /// tanh: gain 5/3 (PyTorch's value, chosen empirically).
    case tanh
    /// The logistic sigmoid: gain 1.
    case sigmoid

    /// The recommended gain `g`.
    public var gain: Double {
        switch self {
        case .linear, .sigmoid: 1
        case .relu: 2.0.squareRoot()
        case .leakyReLU(let s): (2 / (1 + s * s)).squareRoot()
        case .tanh: 5.0 / 3.0
        }
    }
}

/// Which fan a variance-scaling initializer divides by.
public enum FanMode: Sendable, Hashable {
    /// `fanIn`: preserves the variance of activations in the forward pass.
    case fanIn
    /// `fanOut`: preserves the variance of gradients in the backward pass.
    case fanOut
    /// `(fanIn + fanOut) / 2`: Glorot and Bengio's compromise.
    case fanAverage
}

/// The distribution a variance-scaling initializer samples from, always with mean 0.
public enum Distribution: Sendable, Hashable {
    /// `N(0, σ²)`.
    case normal
    /// `N(0, s²)` truncated to `[−2s, 2s]`, with `s = σ / 0.8796…` so that the truncated
    /// distribution has variance exactly `σ²` (JAX's `truncated_normal` convention).
    case truncatedNormal
    /// `U(−a, a)` with `a = √3 σ`, which has variance `σ²`.
    case uniform
}

/// The fans of a weight of `shape` in Loom's **[in, out]** layout: with a receptive field
/// `r` = the product of all axes but the last two, `fanIn = shape[-2] · r` and
/// `fanOut = shape[-1] · r`. For a `Linear` weight `[in, out]` that is `fanIn = in`,
/// `fanOut = out`: the transpose of PyTorch's `[out, in]` storage, so the numbers equal
/// PyTorch's for the same layer. A rank-1 shape `[n]` (a bias) has `fanIn = fanOut = n`; a
/// scalar has fans 1.
public func fans(of shape: [Int]) -> (fanIn: Int, fanOut: Int) {
    switch shape.count {
    case 0: return (1, 1)
    case 1: return (shape[0], shape[0])
    default:
        let receptiveField = shape.dropLast(2).reduce(1, *)
        return (shape[shape.count - 2] * receptiveField, shape[shape.count - 1] * receptiveField)
    }
}

/// How to fill a new parameter tensor. Every preset is either a fixed rule (constants, a
/// given uniform or normal law) or the variance-scaling core
///
///     σ² = scale / fan(mode),     W ~ distribution with mean 0 and variance σ²
///
/// with fans from ``fans(of:)``. Random initializers draw from an explicit generator, so a
/// model is reproducible from its seed; constant ones draw nothing.
public struct Initializer: Sendable, Hashable {
    /// The rule.
    public enum Rule: Sendable, Hashable {
        /// Every element `value`.
        case constant(Double)
        /// `U(low, high)`.
        case uniform(low: Double, high: Double)
        /// `N(mean, standardDeviation²)`.
        case normal(mean: Double, standardDeviation: Double)
        /// Variance `scale / fan(mode)` with mean 0, from `distribution`.
        case varianceScaling(scale: Double, mode: FanMode, distribution: Distribution)
    }

    /// The rule this initializer applies.
    public var rule: Rule

    /// An initializer applying `rule`.
    public init(_ rule: Rule) {
        if case let .uniform(low, high) = rule { precondition(low <= high, "Initializer.uniform: low \(low) exceeds high \(high)") }
        if case let .normal(_, deviation) = rule { precondition(deviation >= 0, "Initializer.normal: negative standard deviation \(deviation)") }
        if case let .varianceScaling(scale, _, _) = rule { precondition(scale >= 0, "Initializer.varianceScaling: negative scale \(scale)") }
        self.rule = rule
    }

    /// All zeros. With zero weights every hidden unit computes the same thing and the
    /// gradients of all but the last layer vanish: a stationary point, not a starting point.
    public static let zeros = Initializer(.constant(0))
    /// All ones.
    public static let ones = Initializer(.constant(1))
    /// Every element `value`.
    public static func constant(_ value: Double) -> Initializer { Initializer(.constant(value)) }
    /// `U(low, high)`.
    public static func uniform(low: Double = 0, high: Double = 1) -> Initializer { Initializer(.uniform(low: low, high: high)) }
    /// `N(mean, standardDeviation²)`.
    public static func normal(mean: Double = 0, standardDeviation: Double = 1) -> Initializer {
        Initializer(.normal(mean: mean, standardDeviation: standardDeviation))
    }

    /// The variance-scaling core: mean 0, variance `scale / fan(mode)`.
    public static func varianceScaling(scale: Double = 1, mode: FanMode = .fanIn, distribution: Distribution = .normal) -> Initializer {
        Initializer(.varianceScaling(scale: scale, mode: mode, distribution: distribution))
    }

    /// Glorot/Xavier uniform: `U(−a, a)` with `a = g·√(6 / (fanIn + fanOut))`, variance
    /// `2g² / (fanIn + fanOut)`. (Glorot & Bengio, AISTATS 2010.)
    public static func xavierUniform(gain: Double = 1) -> Initializer {
        varianceScaling(scale: gain * gain, mode: .fanAverage, distribution: .uniform)
    }

    /// Glorot/Xavier normal: `N(0, 2g² / (fanIn + fanOut))`.
    public static func xavierNormal(gain: Double = 1) -> Initializer {
        varianceScaling(scale: gain * gain, mode: .fanAverage, distribution: .normal)
    }

    /// Kaiming/He uniform: `U(−a, a)` with `a = g·√(3 / fan)`, variance `g² / fan`; with ReLU
    /// and fan-in that is variance `2 / fanIn`. (He et al., ICCV 2015.)
    public static func kaimingUniform(nonlinearity: Nonlinearity = .relu, mode: FanMode = .fanIn) -> Initializer {
        varianceScaling(scale: nonlinearity.gain * nonlinearity.gain, mode: mode, distribution: .uniform)
    }

    /// Kaiming/He normal: `N(0, g² / fan)`; with ReLU and fan-in, `N(0, 2 / fanIn)`.
    public static func kaimingNormal(nonlinearity: Nonlinearity = .relu, mode: FanMode = .fanIn) -> Initializer {
        varianceScaling(scale: nonlinearity.gain * nonlinearity.gain, mode: mode, distribution: .normal)
    }

    /// The standard deviation a variance-scaling rule gives a tensor of `shape` (nil for
    /// the other rules).
    public func standardDeviation(for shape: [Int]) -> Double? {
        guard case let .varianceScaling(scale, mode, _) = rule else { return nil }
        let (fanIn, fanOut) = fans(of: shape)
        let fan: Double = switch mode {
        case .fanIn: Double(fanIn)
        case .fanOut: Double(fanOut)
        case .fanAverage: Double(fanIn + fanOut) / 2
        }
        precondition(fan > 0, "Initializer: shape \(shape) has a zero fan")
        return (scale / fan).squareRoot()
    }

    /// A new tensor of `shape` and `dtype` filled by this rule, drawing from `generator`.
    public func tensor(_ shape: [Int], dtype: DType = .float32, using generator: inout some RandomNumberGenerator) -> Tensor {
        switch rule {
        case .constant(let value):
            return Tensor.full(shape, value: value, dtype: dtype)
        case let .uniform(low, high):
            return Tensor.uniform(shape, low: low, high: high, dtype: dtype, using: &generator)
        case let .normal(mean, deviation):
            return Tensor.normal(shape, mean: mean, standardDeviation: deviation, dtype: dtype, using: &generator)
        case let .varianceScaling(_, _, distribution):
            let sigma = standardDeviation(for: shape)!
            switch distribution {
            case .normal:
                return Tensor.normal(shape, standardDeviation: sigma, dtype: dtype, using: &generator)
            case .uniform:
                let bound = 3.0.squareRoot() * sigma
                return Tensor.uniform(shape, low: -bound, high: bound, dtype: dtype, using: &generator)
            case .truncatedNormal:
                return Initializer.truncatedNormal(shape, standardDeviation: sigma, dtype: dtype, using: &generator)
            }
        }
    }

    /// The standard deviation of a standard normal truncated to [−2, 2].
    static let truncatedStandardDeviation = 0.87962566103423978

    /// Samples `N(0, s²)` truncated to `[−2s, 2s]` by rejection (about 4.6% of draws are
    /// redrawn), with `s` chosen so the result has standard deviation `standardDeviation`.
    static func truncatedNormal(
        _ shape: [Int], standardDeviation: Double, dtype: DType, using generator: inout some RandomNumberGenerator
    ) -> Tensor {
        let count = shape.reduce(1, *)
        var samples: [Double] = []
        samples.reserveCapacity(count)
        while samples.count < count {
            let batch = Tensor.normal([count - samples.count], dtype: .float64, using: &generator).asArray(Double.self)
            samples += batch.filter { Swift.abs($0) <= 2 }
        }
        let s = standardDeviation / truncatedStandardDeviation
        return Tensor(shape: shape, scalars: samples.map { $0 * s }, dtype: dtype)
    }
}
