import Loom
import LoomNN

/// RMSProp: steps divided by a running root mean square of the gradient.
///
/// With `g = ∇f(θ) + λθ` (`λ` = `weightDecay`, added to the gradient), `a` = `alpha`:
///
///     s ← a s + (1 − a) g²                       (s starts at 0)
///     ḡ ← a ḡ + (1 − a) g                        centered only (ḡ starts at 0)
///     d ← √(s − ḡ²) + ε   if centered,   √s + ε   otherwise
///     b ← μ b + g / d,   θ ← θ − α b             momentum μ > 0 (b starts at 0)
///     θ ← θ − α g / d                            momentum 0
///
/// This is PyTorch's `torch.optim.RMSprop` exactly (ε outside the square root, no bias
/// correction, the momentum buffer accumulating `g / d`).
///
/// **Defaults** match PyTorch: `learningRate` 10⁻², `alpha` 0.99, `epsilon` 10⁻⁸, `momentum`
/// 0, `centered` false, `weightDecay` 0.
///
/// Reference: T. Tieleman, G. Hinton, *Lecture 6.5 — RMSProp*, COURSERA: Neural Networks
/// for Machine Learning, 2012; A. Graves, *Generating Sequences With Recurrent Neural
/// Networks*, 2013 (the centered form).
public final class RMSProp: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Double
    /// The decay `a` of the squared-gradient average.
    public let alpha: Double
    /// ε, added to the root mean square.
    public let epsilon: Double
    /// The momentum μ of the step buffer (0: none).
    public let momentum: Double
    /// Whether to divide by an estimate of the gradient's standard deviation instead of its
    /// root mean square.
    public let centered: Bool
    /// λ, added to the gradient as `λθ`.
    public let weightDecay: Double
    public private(set) var stepCount = 0
    private var store: ParameterStateStore

    /// Throws ``OptimizerError/invalidHyperparameter(name:value:requirement:)`` for a negative
    /// or non-finite learning rate, ε, momentum, `alpha` or weight decay.
    public init(
        parameters: [Parameter], learningRate: Double = 1e-2, alpha: Double = 0.99, epsilon: Double = 1e-8,
        momentum: Double = 0, centered: Bool = false, weightDecay: Double = 0
    ) throws {
        try Hyperparameter.require("learningRate", learningRate, atLeast: 0)
        try Hyperparameter.require("alpha", alpha, atLeast: 0)
        try Hyperparameter.require("epsilon", epsilon, atLeast: 0)
        try Hyperparameter.require("momentum", momentum, atLeast: 0)
        try Hyperparameter.require("weightDecay", weightDecay, atLeast: 0)
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.momentum = momentum
        self.centered = centered
        self.weightDecay = weightDecay
        var slots: [ParameterStateStore.BufferSlot] = [.init(name: "squareAverage")]
        if centered { slots.append(.init(name: "gradientAverage")) }
        if momentum > 0 { slots.append(.init(name: "momentumBuffer")) }
        store = ParameterStateStore(parameters: parameters, bufferSlots: slots)
        self.parameters = store.parameters
    }

    public func step() {
        stepCount += 1
        let coefficients = Coefficients(
            learningRate: learningRate, alpha: alpha, epsilon: epsilon, momentum: momentum, weightDecay: weightDecay)
        store.forEachUpdate { parameter, state in
            switch parameter.value.dtype {
            case .float32: Self.apply(coefficients, Float.self, parameter, state, centered: self.centered)
            default: Self.apply(coefficients, Double.self, parameter, state, centered: self.centered)
            }
        }
    }

    private static func apply<T: OptimizerScalar>(
        _ coefficients: Coefficients, _ type: T.Type, _ parameter: Parameter, _ state: ParameterState, centered: Bool
    ) {
        let buffers = state.buffers.map { $0.buffer(T.self) }
        parameter.withValueAndGradient(T.self) { value, gradient in
            update(parameter: value, gradient: gradient, squareAverage: buffers[0],
                   gradientAverage: centered ? buffers[1] : nil,
                   momentumBuffer: coefficients.momentum > 0 ? buffers.last : nil,
                   coefficients: coefficients)
        }
    }

    public func stateDictionary() -> [String: Tensor] { store.dictionary(stepCount: stepCount) }

    public func loadStateDictionary(_ state: [String: Tensor]) throws {
        stepCount = try store.load(state)
    }
}

// MARK: - The update rule

extension RMSProp {
    /// One RMSProp update's coefficients.
    public struct Coefficients: Sendable, Equatable {
        public var learningRate: Double
        public var alpha: Double
        public var epsilon: Double
        public var momentum: Double
        public var weightDecay: Double

        /// Coefficients for one step: `v = αv + (1 − α)g'²`, then `θ −= lr · g' / (√v + ε)` (through
        /// a momentum buffer when `momentum > 0`; `√(v − ḡ²)` when centered), with `g' = g + weightDecay·θ`.
        public init(learningRate: Double, alpha: Double, epsilon: Double, momentum: Double = 0, weightDecay: Double = 0) {
            self.learningRate = learningRate
            self.alpha = alpha
            self.epsilon = epsilon
            self.momentum = momentum
            self.weightDecay = weightDecay
        }
    }

    /// Applies one RMSProp update in place: the only place its math lives (see ``RMSProp``).
    ///
    /// `gradientAverage` is given exactly when centered, `momentumBuffer` exactly when the
    /// momentum is positive; every buffer has the parameter's count.
    public static func update<T: OptimizerScalar>(
        parameter p: UnsafeMutableBufferPointer<T>, gradient g: UnsafeBufferPointer<T>,
        squareAverage s: UnsafeMutableBufferPointer<T>, gradientAverage average: UnsafeMutableBufferPointer<T>?,
        momentumBuffer b: UnsafeMutableBufferPointer<T>?, coefficients c: Coefficients
    ) {
        precondition([g.count, s.count, average?.count ?? p.count, b?.count ?? p.count].allSatisfy { $0 == p.count },
                     "RMSProp.update: buffers must all have \(p.count) values")
        precondition((b != nil) == (c.momentum > 0), "RMSProp.update: a momentum buffer exactly when momentum > 0")
        let alpha = T(c.alpha), oneMinusAlpha = T(1 - c.alpha), epsilon = T(c.epsilon)
        let learningRate = T(c.learningRate), momentum = T(c.momentum), lambda = T(c.weightDecay)
        for i in p.indices {
            let gi = g[i] + lambda * p[i]
            s[i] = alpha * s[i] + oneMinusAlpha * gi * gi
            var variance = s[i]
            if let average {
                average[i] = alpha * average[i] + oneMinusAlpha * gi
                variance -= average[i] * average[i]
            }
            let scaled = gi / (variance.squareRoot() + epsilon)
            if let b {
                b[i] = momentum * b[i] + scaled
                p[i] -= learningRate * b[i]
            } else {
                p[i] -= learningRate * scaled
            }
        }
    }
}
