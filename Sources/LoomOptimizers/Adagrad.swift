import Loom
import LoomNN

/// Adagrad: per-coordinate steps divided by the root of the summed squared gradients.
///
/// With `g = ∇f(θ) + λθ` (`λ` = `weightDecay`, added to the gradient), `t` this parameter's
/// update count from 1, `δ` the learning-rate decay:
///
///     S ← S + g²                                 (S starts at initialAccumulatorValue)
///     θ ← θ − α / (1 + (t − 1) δ) · g / (√S + ε)
///
/// This is PyTorch's `torch.optim.Adagrad` exactly.
///
/// **Defaults** (``Hyperparameters``) match PyTorch: `learningRate` 10⁻², `learningRateDecay`
/// 0, `initialAccumulatorValue` 0, `epsilon` 10⁻¹⁰, `weightDecay` 0.
///
/// Reference: J. Duchi, E. Hazan, Y. Singer, *Adaptive Subgradient Methods for Online
/// Learning and Stochastic Optimization*, JMLR 12, 2011.
public final class Adagrad: FirstOrderOptimizer {
    /// Adagrad's hyperparameters, with their defaults.
    public struct Hyperparameters: Sendable, Equatable, Codable {
        /// The step size α.
        public var learningRate: Double
        /// δ in the step size `α / (1 + (t − 1) δ)`.
        public var learningRateDecay: Double
        /// The value every element of the sum of squares starts at.
        public var initialAccumulatorValue: Double
        /// ε, added to the root of the sum.
        public var epsilon: Double
        /// λ, added to the gradient as `λθ`.
        public var weightDecay: Double

        /// The defaults of every Adagrad in Loom.
        public init(learningRate: Double = 1e-2, learningRateDecay: Double = 0, initialAccumulatorValue: Double = 0,
                    epsilon: Double = 1e-10, weightDecay: Double = 0) {
            self.learningRate = learningRate
            self.learningRateDecay = learningRateDecay
            self.initialAccumulatorValue = initialAccumulatorValue
            self.epsilon = epsilon
            self.weightDecay = weightDecay
        }

        /// Reads the fields, each missing one from the defaults.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Self()
            self.init(learningRate: try c.decode(.learningRate, default: d.learningRate),
                      learningRateDecay: try c.decode(.learningRateDecay, default: d.learningRateDecay),
                      initialAccumulatorValue: try c.decode(.initialAccumulatorValue, default: d.initialAccumulatorValue),
                      epsilon: try c.decode(.epsilon, default: d.epsilon),
                      weightDecay: try c.decode(.weightDecay, default: d.weightDecay))
        }

        /// Throws ``OptimizerError/invalidHyperparameter(name:value:requirement:)`` for any
        /// negative or non-finite hyperparameter.
        public func validate() throws {
            try Hyperparameter.require("learningRate", learningRate, atLeast: 0)
            try Hyperparameter.require("learningRateDecay", learningRateDecay, atLeast: 0)
            try Hyperparameter.require("initialAccumulatorValue", initialAccumulatorValue, atLeast: 0)
            try Hyperparameter.require("epsilon", epsilon, atLeast: 0)
            try Hyperparameter.require("weightDecay", weightDecay, atLeast: 0)
        }
    }

    public let hyperparameters: Hyperparameters
    /// δ in the step size `α / (1 + (t − 1) δ)`.
    public var learningRateDecay: Double { hyperparameters.learningRateDecay }
    /// The value every element of the sum of squares starts at.
    public var initialAccumulatorValue: Double { hyperparameters.initialAccumulatorValue }
    /// ε, added to the root of the sum.
    public var epsilon: Double { hyperparameters.epsilon }
    /// λ, added to the gradient as `λθ`.
    public var weightDecay: Double { hyperparameters.weightDecay }

    /// Adagrad over `parameters`; throws as ``Hyperparameters/validate()`` does.
    public init(parameters: [Parameter], _ hyperparameters: Hyperparameters) throws {
        try hyperparameters.validate()
        self.hyperparameters = hyperparameters
        super.init(parameters: parameters, learningRate: hyperparameters.learningRate,
                   bufferSlots: [.init(name: "sumOfSquares", initialValue: hyperparameters.initialAccumulatorValue)])
    }

    /// Adagrad with hyperparameters given one by one (defaults from ``Hyperparameters``).
    public convenience init(
        parameters: [Parameter], learningRate: Double = Hyperparameters().learningRate,
        learningRateDecay: Double = Hyperparameters().learningRateDecay,
        initialAccumulatorValue: Double = Hyperparameters().initialAccumulatorValue,
        epsilon: Double = Hyperparameters().epsilon, weightDecay: Double = Hyperparameters().weightDecay
    ) throws {
        try self.init(parameters: parameters, Hyperparameters(
            learningRate: learningRate, learningRateDecay: learningRateDecay,
            initialAccumulatorValue: initialAccumulatorValue, epsilon: epsilon, weightDecay: weightDecay))
    }

    override func update<T: OptimizerScalar>(_ value: UnsafeMutableBufferPointer<T>, gradient: UnsafeBufferPointer<T>,
                                             state: ParameterState) {
        let stepSize = learningRate / (1 + Double(state.step - 1) * learningRateDecay)
        Self.update(parameter: value, gradient: gradient, sumOfSquares: state.buffers[0].buffer(T.self),
                    coefficients: Coefficients(stepSize: stepSize, epsilon: epsilon, weightDecay: weightDecay))
    }
}

// MARK: - The update rule

extension Adagrad {
    /// One Adagrad update's coefficients.
    public struct Coefficients: Sendable, Equatable {
        /// `α / (1 + (t − 1) δ)`.
        public var stepSize: Double
        public var epsilon: Double
        public var weightDecay: Double

        /// Coefficients for one step: `θ −= stepSize · g' / (√G + ε)` with `g' = g + weightDecay·θ`.
        public init(stepSize: Double, epsilon: Double, weightDecay: Double = 0) {
            self.stepSize = stepSize
            self.epsilon = epsilon
            self.weightDecay = weightDecay
        }
    }

    /// Applies one Adagrad update in place: `S ← S + g²`, `θ ← θ − stepSize · g / (√S + ε)`,
    /// with `g` the gradient plus `weightDecay · θ`. The only place Adagrad's math lives.
    // Specialized for both element types: the base class calls the overridden update<T> with
    // its type only known at run time, and the generic loop is ~10× slower (every + and ×
    // through a protocol witness); these attributes make that call land in compiled loops.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func update<T: OptimizerScalar>(
        parameter p: UnsafeMutableBufferPointer<T>, gradient g: UnsafeBufferPointer<T>,
        sumOfSquares sum: UnsafeMutableBufferPointer<T>, coefficients c: Coefficients
    ) {
        precondition(g.count == p.count && sum.count == p.count, "Adagrad.update: buffers must all have \(p.count) values")
        let stepSize = T(c.stepSize), epsilon = T(c.epsilon), lambda = T(c.weightDecay)
        for i in p.indices {
            let gi = g[i] + lambda * p[i]
            sum[i] += gi * gi
            p[i] -= stepSize * gi / (sum[i].squareRoot() + epsilon)
        }
    }
}
