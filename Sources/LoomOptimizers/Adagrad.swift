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
/// **Defaults** match PyTorch: `learningRate` 10⁻², `learningRateDecay` 0,
/// `initialAccumulatorValue` 0, `epsilon` 10⁻¹⁰, `weightDecay` 0.
///
/// Reference: J. Duchi, E. Hazan, Y. Singer, *Adaptive Subgradient Methods for Online
/// Learning and Stochastic Optimization*, JMLR 12, 2011.
public final class Adagrad: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Double
    /// δ in the step size `α / (1 + (t − 1) δ)`.
    public let learningRateDecay: Double
    /// The value every element of the sum of squares starts at.
    public let initialAccumulatorValue: Double
    /// ε, added to the root of the sum.
    public let epsilon: Double
    /// λ, added to the gradient as `λθ`.
    public let weightDecay: Double
    public private(set) var stepCount = 0
    private var store: ParameterStateStore

    /// Throws ``OptimizerError/invalidHyperparameter(name:value:requirement:)`` for any
    /// negative or non-finite hyperparameter.
    public init(
        parameters: [Parameter], learningRate: Double = 1e-2, learningRateDecay: Double = 0,
        initialAccumulatorValue: Double = 0, epsilon: Double = 1e-10, weightDecay: Double = 0
    ) throws {
        try Hyperparameter.require("learningRate", learningRate, atLeast: 0)
        try Hyperparameter.require("learningRateDecay", learningRateDecay, atLeast: 0)
        try Hyperparameter.require("initialAccumulatorValue", initialAccumulatorValue, atLeast: 0)
        try Hyperparameter.require("epsilon", epsilon, atLeast: 0)
        try Hyperparameter.require("weightDecay", weightDecay, atLeast: 0)
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        store = ParameterStateStore(
            parameters: parameters, bufferSlots: [.init(name: "sumOfSquares", initialValue: initialAccumulatorValue)])
        self.parameters = store.parameters
    }

    public func step() {
        stepCount += 1
        store.forEachUpdate { parameter, state in
            let stepSize = self.learningRate / (1 + Double(state.step - 1) * self.learningRateDecay)
            let coefficients = Coefficients(stepSize: stepSize, epsilon: self.epsilon, weightDecay: self.weightDecay)
            switch parameter.value.dtype {
            case .float32: Self.apply(coefficients, Float.self, parameter, state)
            default: Self.apply(coefficients, Double.self, parameter, state)
            }
        }
    }

    private static func apply<T: OptimizerScalar>(
        _ coefficients: Coefficients, _ type: T.Type, _ parameter: Parameter, _ state: ParameterState
    ) {
        parameter.withValueAndGradient(T.self) { value, gradient in
            update(parameter: value, gradient: gradient, sumOfSquares: state.buffers[0].buffer(T.self),
                   coefficients: coefficients)
        }
    }

    public func stateDictionary() -> [String: Tensor] { store.dictionary(stepCount: stepCount) }

    public func loadStateDictionary(_ state: [String: Tensor]) throws {
        stepCount = try store.load(state)
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
