import Loom

// Activations as modules (elementwise, so `[…] → […]`, shape unchanged), and the
// `Activation` option that names them.

/// `max(x, 0)` elementwise; derivative 0 at the kink x = 0 (PyTorch's and JAX's convention).
public final class ReLU: Module {
    /// A ReLU.
    public override init() { super.init() }
    /// `max(x, 0)`: `[…] → […]`.
    public override func forward(_ input: Tensor) -> Tensor { input.relu() }
}

/// `x` for `x > 0`, `s·x` otherwise (Maas et al., 2013); derivative `s` at 0.
public final class LeakyReLU: Module {
    /// The slope `s` below zero.
    public let negativeSlope: Double
    /// A leaky ReLU with slope `negativeSlope` below zero (PyTorch's default 0.01).
    public init(negativeSlope: Double = 0.01) {
        self.negativeSlope = negativeSlope
        super.init()
    }
    /// `where(x > 0, x, s·x)`: `[…] → […]`.
    public override func forward(_ input: Tensor) -> Tensor { input.leakyReLU(negativeSlope: negativeSlope) }
}

/// The hyperbolic tangent elementwise; derivative `1 − tanh²x`.
public final class Tanh: Module {
    /// A tanh.
    public override init() { super.init() }
    /// `tanh x`: `[…] → […]`.
    public override func forward(_ input: Tensor) -> Tensor { input.tanh() }
}

/// The logistic function `σ(x) = 1 / (1 + e⁻ˣ)` elementwise; derivative `σ(1 − σ)`.
public final class Sigmoid: Module {
    /// A sigmoid.
    public override init() { super.init() }
    /// `σ(x)`: `[…] → […]`.
    public override func forward(_ input: Tensor) -> Tensor { input.sigmoid() }
}

/// The Gaussian error linear unit `x Φ(x)` (Hendrycks & Gimpel, 2016); see
/// `Tensor.gelu(approximation:)` for the formulas and their accuracy.
public final class GELU: Module {
    /// How `Φ` is computed.
    public enum Approximation: Sendable, Hashable {
        /// `Φ(x) = (1 + erf(x/√2)) / 2`, erf to float32 accuracy (PyTorch's default GELU).
        case none
        /// `Φ(x) ≈ (1 + tanh(√(2/π)(x + 0.044715 x³))) / 2` (PyTorch's `approximate="tanh"`).
        case tanh
    }

    /// How `Φ` is computed.
    public let approximation: Approximation
    /// A GELU, by default with the erf form.
    public init(approximation: Approximation = .none) {
        self.approximation = approximation
        super.init()
    }
    /// `x Φ(x)`: `[…] → […]`.
    public override func forward(_ input: Tensor) -> Tensor { input.gelu(approximation: approximation) }
}

/// The identity: returns its input (the lecture's `σ_L`).
public final class Identity: Module {
    /// An identity.
    public override init() { super.init() }
    /// `x`: `[…] → […]`.
    public override func forward(_ input: Tensor) -> Tensor { input }
}

/// The softmax `exp(xᵢ) / Σⱼ exp(xⱼ)` along one axis, computed stably as
/// `exp(x − logSumExp(x))`. For training, prefer ``softmaxCrossEntropy(logits:labels:labelSmoothing:reduction:)``
/// on the logits: it never forms the probabilities.
public final class Softmax: Module {
    /// The axis the outputs sum to 1 along (negative counts from the end).
    public let axis: Int
    /// A softmax along `axis` (by default the last, the class axis of `[batch, classes]`).
    public init(axis: Int = -1) {
        self.axis = axis
        super.init()
    }
    /// `softmax(x)` along ``axis``: `[…] → […]`.
    public override func forward(_ input: Tensor) -> Tensor { input.softmax(alongAxis: axis) }
}

/// A typed choice of activation, for builders such as ``MLP``.
public enum Activation: Sendable, Hashable {
    /// No activation.
    case identity
    /// ``ReLU``.
    case relu
    /// ``LeakyReLU`` with the given slope below zero.
    case leakyReLU(negativeSlope: Double)
    /// ``Tanh``.
    case tanh
    /// ``Sigmoid``.
    case sigmoid
    /// ``GELU`` with the given approximation.
    case gelu(GELU.Approximation)

    /// A new module computing this activation.
    public func makeModule() -> Module {
        switch self {
        case .identity: Identity()
        case .relu: ReLU()
        case .leakyReLU(let slope): LeakyReLU(negativeSlope: slope)
        case .tanh: Tanh()
        case .sigmoid: Sigmoid()
        case .gelu(let approximation): GELU(approximation: approximation)
        }
    }

    /// The nonlinearity whose gain suits weights feeding this activation. PyTorch has no
    /// gain for GELU; it behaves like ReLU away from 0, so it maps to ``Nonlinearity/relu``.
    public var nonlinearity: Nonlinearity {
        switch self {
        case .identity: .linear
        case .relu, .gelu: .relu
        case .leakyReLU(let slope): .leakyReLU(negativeSlope: slope)
        case .tanh: .tanh
        case .sigmoid: .sigmoid
        }
    }

    /// The recommended initialization gain (``Nonlinearity/gain``): 1, √2, √(2/(1+s²)), 5/3, 1, √2.
    public var recommendedGain: Double { nonlinearity.gain }
}
