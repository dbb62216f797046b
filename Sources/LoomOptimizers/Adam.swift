import Loom
import LoomNN

/// Adam: steps scaled by running estimates of the gradient's first and second moments.
///
/// With `g = ∇f(θ) + λθ` (`λ` = `weightDecay`, coupled: added to the gradient, as PyTorch's
/// `Adam`; ``AdamW`` decouples it), `t` this parameter's update count from 1:
///
///     m ← β₁ m + (1 − β₁) g                     (m, v start at 0)
///     v ← β₂ v + (1 − β₂) g²
///     v̂max ← max(v̂max, v)                       amsgrad only; then v stands for v̂max below
///     θ ← θ − α/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)     biasCorrection: true (default)
///     θ ← θ − α · m / (√v + ε)                              biasCorrection: false
///
/// This is PyTorch's `torch.optim.Adam` operation for operation (ε is added after the
/// bias-corrected square root). The lecture's notes omit the bias correction; Adam as
/// published applies it, so it is on by default and ``biasCorrection`` turns it off.
///
/// **Defaults** (``Hyperparameters``) match PyTorch: `learningRate` 10⁻³, `beta1` 0.9,
/// `beta2` 0.999, `epsilon` 10⁻⁸, `weightDecay` 0, `amsgrad` false.
///
/// References: D. P. Kingma, J. Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015;
/// S. J. Reddi et al., *On the Convergence of Adam and Beyond*, ICLR 2018 (AMSGrad).
public class Adam: FirstOrderOptimizer {
    /// Adam's (and AdamW's) hyperparameters, with Adam's defaults.
    public struct Hyperparameters: Sendable, Equatable {
        /// The step size α.
        public var learningRate: Double
        /// The decay β₁ of the first-moment average.
        public var beta1: Double
        /// The decay β₂ of the second-moment average.
        public var beta2: Double
        /// ε, added to the denominator for numerical stability.
        public var epsilon: Double
        /// λ: added to the gradient as `λθ` (``Adam``) or applied as `θ ← θ − αλθ` (``AdamW``).
        public var weightDecay: Double
        /// Whether to divide by the running maximum of the second moment (AMSGrad).
        public var amsgrad: Bool
        /// Whether to divide the moments by `1 − βᵗ`.
        public var biasCorrection: Bool

        /// The defaults of every Adam in Loom (``AdamW`` changes only `weightDecay`).
        public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                    weightDecay: Double = 0, amsgrad: Bool = false, biasCorrection: Bool = true) {
            self.learningRate = learningRate
            self.beta1 = beta1
            self.beta2 = beta2
            self.epsilon = epsilon
            self.weightDecay = weightDecay
            self.amsgrad = amsgrad
            self.biasCorrection = biasCorrection
        }

        /// Throws ``OptimizerError/invalidHyperparameter(name:value:requirement:)`` for a negative
        /// or non-finite learning rate, ε or weight decay, or a β outside `[0, 1)`.
        public func validate() throws {
            try Hyperparameter.require("learningRate", learningRate, atLeast: 0)
            try Hyperparameter.requireUnitInterval("beta1", beta1)
            try Hyperparameter.requireUnitInterval("beta2", beta2)
            try Hyperparameter.require("epsilon", epsilon, atLeast: 0)
            try Hyperparameter.require("weightDecay", weightDecay, atLeast: 0)
        }
    }

    public let hyperparameters: Hyperparameters
    /// The decay β₁ of the first-moment average.
    public var beta1: Double { hyperparameters.beta1 }
    /// The decay β₂ of the second-moment average.
    public var beta2: Double { hyperparameters.beta2 }
    /// ε, added to the denominator for numerical stability.
    public var epsilon: Double { hyperparameters.epsilon }
    /// λ: added to the gradient as `λθ` (``Adam``) or applied as `θ ← θ − αλθ` (``AdamW``).
    public var weightDecay: Double { hyperparameters.weightDecay }
    /// Whether to divide by the running maximum of the second moment (AMSGrad).
    public var amsgrad: Bool { hyperparameters.amsgrad }
    /// Whether to divide the moments by `1 − βᵗ`.
    public var biasCorrection: Bool { hyperparameters.biasCorrection }
    /// Whether the decay is decoupled from the gradient (AdamW).
    public let isWeightDecayDecoupled: Bool

    /// Adam over `parameters`; throws as ``Hyperparameters/validate()`` does.
    public convenience init(parameters: [Parameter], _ hyperparameters: Hyperparameters) throws {
        try self.init(parameters: parameters, hyperparameters, decoupled: false)
    }

    /// Adam with hyperparameters given one by one (defaults from ``Hyperparameters``).
    public convenience init(
        parameters: [Parameter], learningRate: Double = Hyperparameters().learningRate,
        beta1: Double = Hyperparameters().beta1, beta2: Double = Hyperparameters().beta2,
        epsilon: Double = Hyperparameters().epsilon, weightDecay: Double = Hyperparameters().weightDecay,
        amsgrad: Bool = Hyperparameters().amsgrad, biasCorrection: Bool = Hyperparameters().biasCorrection
    ) throws {
        try self.init(parameters: parameters, Hyperparameters(
            learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
            amsgrad: amsgrad, biasCorrection: biasCorrection), decoupled: false)
    }

    init(parameters: [Parameter], _ hyperparameters: Hyperparameters, decoupled: Bool) throws {
        try hyperparameters.validate()
        self.hyperparameters = hyperparameters
        isWeightDecayDecoupled = decoupled
        var slots: [ParameterStateStore.BufferSlot] = [.init(name: "firstMoment"), .init(name: "secondMoment")]
        if hyperparameters.amsgrad { slots.append(.init(name: "maximumSecondMoment")) }
        super.init(parameters: parameters, learningRate: hyperparameters.learningRate, bufferSlots: slots)
    }

    override func update<T: OptimizerScalar>(_ value: UnsafeMutableBufferPointer<T>, gradient: UnsafeBufferPointer<T>,
                                             state: ParameterState) {
        Self.update(parameter: value, gradient: gradient,
                    firstMoment: state.buffers[0].buffer(T.self), secondMoment: state.buffers[1].buffer(T.self),
                    maximumSecondMoment: state.buffers.count > 2 ? state.buffers[2].buffer(T.self) : nil,
                    coefficients: coefficients(atStep: state.step))
    }

    /// The coefficients of a parameter's `t`-th update (t from 1).
    func coefficients(atStep t: Int) -> Coefficients {
        let correction1 = biasCorrection ? 1 - integerPower(beta1, t) : 1
        let correction2 = biasCorrection ? 1 - integerPower(beta2, t) : 1
        return Coefficients(
            stepSize: learningRate / correction1, beta1: beta1, beta2: beta2, epsilon: epsilon,
            secondMomentCorrectionRoot: correction2.squareRoot(),
            coupledWeightDecay: isWeightDecayDecoupled ? 0 : weightDecay,
            decayFactor: isWeightDecayDecoupled ? 1 - learningRate * weightDecay : 1)
    }
}

// MARK: - The update rule

extension Adam {
    /// One Adam update's coefficients, resolved for a step.
    public struct Coefficients: Sendable, Equatable {
        /// `α / (1 − β₁ᵗ)` (or `α` without bias correction).
        public var stepSize: Double
        public var beta1: Double
        public var beta2: Double
        public var epsilon: Double
        /// `√(1 − β₂ᵗ)` (or 1 without bias correction).
        public var secondMomentCorrectionRoot: Double
        /// λ of a decay added to the gradient (Adam), else 0.
        public var coupledWeightDecay: Double
        /// `1 − αλ`, the factor θ is multiplied by before the step (AdamW), else 1.
        public var decayFactor: Double

        /// Coefficients for one step, already corrected for bias (see the properties).
        public init(stepSize: Double, beta1: Double, beta2: Double, epsilon: Double,
                    secondMomentCorrectionRoot: Double, coupledWeightDecay: Double = 0, decayFactor: Double = 1) {
            self.stepSize = stepSize
            self.beta1 = beta1
            self.beta2 = beta2
            self.epsilon = epsilon
            self.secondMomentCorrectionRoot = secondMomentCorrectionRoot
            self.coupledWeightDecay = coupledWeightDecay
            self.decayFactor = decayFactor
        }
    }

    /// Applies one Adam/AdamW/AMSGrad update in place: the only place their math lives.
    ///
    ///     θ ← decayFactor · θ
    ///     g ← g + coupledWeightDecay · θ
    ///     m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²,   (v̂max ← max(v̂max, v))
    ///     θ ← θ − stepSize · m / (√v / secondMomentCorrectionRoot + ε)
    ///
    /// All buffers have the parameter's count; `maximumSecondMoment` is nil without AMSGrad.
    // Specialized for both element types: the base class calls the overridden update<T> with
    // its type only known at run time, and the generic loop is ~10× slower (every + and ×
    // through a protocol witness); these attributes make that call land in compiled loops.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func update<T: OptimizerScalar>(
        parameter p: UnsafeMutableBufferPointer<T>, gradient g: UnsafeBufferPointer<T>,
        firstMoment m: UnsafeMutableBufferPointer<T>, secondMoment v: UnsafeMutableBufferPointer<T>,
        maximumSecondMoment vMax: UnsafeMutableBufferPointer<T>?, coefficients c: Coefficients
    ) {
        precondition(g.count == p.count && m.count == p.count && v.count == p.count && (vMax?.count ?? p.count) == p.count,
                     "Adam.update: buffers must all have \(p.count) values")
        let decays = c.decayFactor != 1
        // Elements are independent, so chunks run on the kernel threads with results that do
        // not depend on the thread count. float32 without AMSGrad or decoupled decay takes the
        // fused C kernel, which computes this loop bit for bit but vectorized (Swift's
        // squareRoot() is a scalar libm call here).
        let isFused = T.self == Float.self && vMax == nil && !decays
        forEachChunk(of: p.count) { range in
            if isFused {
                FusedOptimizerKernels.adam(
                    parameter: UnsafeMutableRawBufferPointer(p).bindMemory(to: Float.self),
                    gradient: UnsafeRawBufferPointer(g).bindMemory(to: Float.self),
                    firstMoment: UnsafeMutableRawBufferPointer(m).bindMemory(to: Float.self),
                    secondMoment: UnsafeMutableRawBufferPointer(v).bindMemory(to: Float.self),
                    stepSize: Float(c.stepSize), beta1: Float(c.beta1), beta2: Float(c.beta2),
                    oneMinusBeta1: Float(1 - c.beta1), oneMinusBeta2: Float(1 - c.beta2),
                    correctionRoot: Float(c.secondMomentCorrectionRoot), epsilon: Float(c.epsilon),
                    weightDecay: Float(c.coupledWeightDecay), range: range)
                return
            }
            referenceUpdate(p, g, m, v, vMax, c, range)
        }
    }

    /// The update's loop in Swift over `range` (every type and option; the fused float32
    /// kernel must match it bit for bit).
    static func referenceUpdate<T: OptimizerScalar>(
        _ p: UnsafeMutableBufferPointer<T>, _ g: UnsafeBufferPointer<T>, _ m: UnsafeMutableBufferPointer<T>,
        _ v: UnsafeMutableBufferPointer<T>, _ vMax: UnsafeMutableBufferPointer<T>?, _ c: Coefficients, _ range: Range<Int>
    ) {
        let stepSize = T(c.stepSize), beta1 = T(c.beta1), beta2 = T(c.beta2), epsilon = T(c.epsilon)
        let oneMinusBeta1 = T(1 - c.beta1), oneMinusBeta2 = T(1 - c.beta2)
        let correctionRoot = T(c.secondMomentCorrectionRoot), lambda = T(c.coupledWeightDecay), decay = T(c.decayFactor)
        let decays = c.decayFactor != 1
        if vMax == nil && !decays {
            for i in range {
                let gi = g[i] + lambda * p[i]
                m[i] = beta1 * m[i] + oneMinusBeta1 * gi
                v[i] = beta2 * v[i] + oneMinusBeta2 * gi * gi
                p[i] -= stepSize * m[i] / (v[i].squareRoot() / correctionRoot + epsilon)
            }
            return
        }
        for i in range {
            if decays { p[i] *= decay }
            let gi = g[i] + lambda * p[i]
            m[i] = beta1 * m[i] + oneMinusBeta1 * gi
            v[i] = beta2 * v[i] + oneMinusBeta2 * gi * gi
            var second = v[i]
            if let vMax {
                vMax[i] = Swift.max(vMax[i], second)
                second = vMax[i]
            }
            p[i] -= stepSize * m[i] / (second.squareRoot() / correctionRoot + epsilon)
        }
    }
}

// MARK: - Configuration files

extension Adam.Hyperparameters: Codable {
    enum CodingKeys: String, CodingKey { case learningRate, beta1, beta2, epsilon, weightDecay, amsgrad, biasCorrection }

    /// Reads the fields, each missing one from Adam's defaults.
    public init(from decoder: any Decoder) throws { try self.init(from: decoder, defaults: Self()) }

    /// Reads the fields, each missing one from `defaults` (``AdamW`` has its own).
    public init(from decoder: any Decoder, defaults d: Self) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(learningRate: try c.decode(.learningRate, default: d.learningRate),
                  beta1: try c.decode(.beta1, default: d.beta1), beta2: try c.decode(.beta2, default: d.beta2),
                  epsilon: try c.decode(.epsilon, default: d.epsilon),
                  weightDecay: try c.decode(.weightDecay, default: d.weightDecay),
                  amsgrad: try c.decode(.amsgrad, default: d.amsgrad),
                  biasCorrection: try c.decode(.biasCorrection, default: d.biasCorrection))
    }
}
