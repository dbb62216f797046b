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
/// **Defaults** (``Hyperparameters``) match PyTorch: `learningRate` 10⁻², `alpha` 0.99,
/// `epsilon` 10⁻⁸, `momentum` 0, `centered` false, `weightDecay` 0.
///
/// Reference: T. Tieleman, G. Hinton, *Lecture 6.5 — RMSProp*, COURSERA: Neural Networks
/// for Machine Learning, 2012; A. Graves, *Generating Sequences With Recurrent Neural
/// Networks*, 2013 (the centered form).
public final class RMSProp: FirstOrderOptimizer {
    /// RMSProp's hyperparameters, with their defaults.
    public struct Hyperparameters: Sendable, Equatable, Codable {
        /// The step size α.
        public var learningRate: Double
        /// The decay `a` of the squared-gradient average.
        public var alpha: Double
        /// ε, added to the root mean square.
        public var epsilon: Double
        /// The momentum μ of the step buffer (0: none).
        public var momentum: Double
        /// Whether to divide by an estimate of the gradient's standard deviation instead of its
        /// root mean square.
        public var centered: Bool
        /// λ, added to the gradient as `λθ`.
        public var weightDecay: Double

        /// The defaults of every RMSProp in Loom.
        public init(learningRate: Double = 1e-2, alpha: Double = 0.99, epsilon: Double = 1e-8, momentum: Double = 0,
                    centered: Bool = false, weightDecay: Double = 0) {
            self.learningRate = learningRate
            self.alpha = alpha
            self.epsilon = epsilon
            self.momentum = momentum
            self.centered = centered
            self.weightDecay = weightDecay
        }

        /// Reads the fields, each missing one from the defaults.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Self()
            self.init(learningRate: try c.decode(.learningRate, default: d.learningRate),
                      alpha: try c.decode(.alpha, default: d.alpha), epsilon: try c.decode(.epsilon, default: d.epsilon),
                      momentum: try c.decode(.momentum, default: d.momentum),
                      centered: try c.decode(.centered, default: d.centered),
                      weightDecay: try c.decode(.weightDecay, default: d.weightDecay))
        }

        /// Throws ``OptimizerError/invalidHyperparameter(name:value:requirement:)`` for a negative
        /// or non-finite learning rate, ε, momentum, `alpha` or weight decay.
        public func validate() throws {
            try Hyperparameter.require("learningRate", learningRate, atLeast: 0)
            try Hyperparameter.require("alpha", alpha, atLeast: 0)
            try Hyperparameter.require("epsilon", epsilon, atLeast: 0)
            try Hyperparameter.require("momentum", momentum, atLeast: 0)
            try Hyperparameter.require("weightDecay", weightDecay, atLeast: 0)
        }
    }

    public let hyperparameters: Hyperparameters
    /// The decay `a` of the squared-gradient average.
    public var alpha: Double { hyperparameters.alpha }
    /// ε, added to the root mean square.
    public var epsilon: Double { hyperparameters.epsilon }
    /// The momentum μ of the step buffer (0: none).
    public var momentum: Double { hyperparameters.momentum }
    /// Whether to divide by the gradient's estimated standard deviation.
    public var centered: Bool { hyperparameters.centered }
    /// λ, added to the gradient as `λθ`.
    public var weightDecay: Double { hyperparameters.weightDecay }

    /// RMSProp over `parameters`; throws as ``Hyperparameters/validate()`` does.
    public init(parameters: [Parameter], _ hyperparameters: Hyperparameters) throws {
        try hyperparameters.validate()
        self.hyperparameters = hyperparameters
        var slots: [ParameterStateStore.BufferSlot] = [.init(name: "squareAverage")]
        if hyperparameters.centered { slots.append(.init(name: "gradientAverage")) }
        if hyperparameters.momentum > 0 { slots.append(.init(name: "momentumBuffer")) }
        super.init(parameters: parameters, learningRate: hyperparameters.learningRate, bufferSlots: slots)
    }

    /// RMSProp with hyperparameters given one by one (defaults from ``Hyperparameters``).
    public convenience init(
        parameters: [Parameter], learningRate: Double = Hyperparameters().learningRate,
        alpha: Double = Hyperparameters().alpha, epsilon: Double = Hyperparameters().epsilon,
        momentum: Double = Hyperparameters().momentum, centered: Bool = Hyperparameters().centered,
        weightDecay: Double = Hyperparameters().weightDecay
    ) throws {
        try self.init(parameters: parameters, Hyperparameters(
            learningRate: learningRate, alpha: alpha, epsilon: epsilon, momentum: momentum, centered: centered,
            weightDecay: weightDecay))
    }

    override func update<T: OptimizerScalar>(_ value: UnsafeMutableBufferPointer<T>, gradient: UnsafeBufferPointer<T>,
                                             state: ParameterState) {
        let buffers = state.buffers.map { $0.buffer(T.self) }
        let coefficients = Coefficients(
            learningRate: learningRate, alpha: alpha, epsilon: epsilon, momentum: momentum, weightDecay: weightDecay)
        Self.update(parameter: value, gradient: gradient, squareAverage: buffers[0],
                    gradientAverage: centered ? buffers[1] : nil, momentumBuffer: momentum > 0 ? buffers.last : nil,
                    coefficients: coefficients)
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
    // Specialized for both element types: the base class calls the overridden update<T> with
    // its type only known at run time, and the generic loop is ~10× slower (every + and ×
    // through a protocol witness); these attributes make that call land in compiled loops.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
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
