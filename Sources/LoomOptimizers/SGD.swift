import Loom
import LoomNN

/// Stochastic gradient descent, with optional momentum (the lecture's moving average or
/// PyTorch's heavy ball), Nesterov momentum, and L2 weight decay.
///
/// With `g = ∇f(θ) + λθ` (`λ` = `weightDecay`, added to the gradient as in PyTorch), `α` the
/// learning rate and `β` the momentum, one step is
///
///     momentum = 0:                     θ ← θ − α g
///
///     .exponentialMovingAverage         u ← β u + (1 − β) g        (u starts at 0)
///     (the lecture's):                  θ ← θ − α u                 biasCorrection: false
///                                       θ ← θ − α u / (1 − βᵗ)      biasCorrection: true
///
///     .heavyBall(dampening: d)          u ← g                       on the first step
///     (PyTorch's):                      u ← β u + (1 − d) g         afterwards
///                                       θ ← θ − α u                 nesterov: false
///                                       θ ← θ − α (g + β u)         nesterov: true
///
/// `t` counts this parameter's updates from 1.
///
/// **The lecture's Nesterov** (`nesterov: true` with the moving average) evaluates the
/// gradient at the look-ahead point `θ − α u`:
///
///     u ← β u + (1 − β) ∇f(θ − α u)
///     θ ← θ − α u                      (α u / (1 − βᵗ) with bias correction, where the
///                                       look-ahead also uses the corrected step)
///
/// The gradient is wanted at a point other than `θ`, so this optimizer stores the
/// **look-ahead point** `φ = θ − s` in the parameters, where `s = α u` (or `α u / (1 − βᵗ)`)
/// is the last step. The usual loop (forward, `backward()`, `step()`) then computes exactly
/// `∇f(θ − s)`, and the step moves `φ` by
///
///     φ ← φ + s_old − 2 s_new          (θ_new − s_new = (φ + s_old) − s_new − s_new)
///
/// Before the first step `u = 0`, so `φ = θ` and nothing changes at the start. Read `θ` itself
/// (for evaluation) with ``iterate(of:)``. The look-ahead uses the learning rate of the step
/// that produced `s`; with a constant learning rate this is the lecture's rule exactly.
///
/// **How this relates to PyTorch's `nesterov=True`.** PyTorch's rule `θ ← θ − α (g + β u)`
/// with heavy-ball `u` is Sutskever et al.'s Nesterov momentum (look-ahead `θ − αβu`) written
/// in the same look-ahead coordinates, so its parameters also hold the look-ahead point. It
/// differs from the lecture's in the look-ahead distance (`αβu` for the next velocity's
/// momentum part, versus the whole last step `αu`) and in the momentum form (sum versus
/// moving average), so the two trajectories differ even after rescaling `α`.
///
/// **Defaults** (``Hyperparameters``, the one place they are declared): `learningRate`
/// 10⁻² (Keras' default; PyTorch's is 10⁻³, too small for the lecture's networks in a few
/// epochs), `momentum` 0, `weightDecay` 0. The momentum form defaults to the lecture's moving
/// average (without bias correction) rather than PyTorch's heavy ball, because Loom follows
/// the lecture; pass `.heavyBall()` to reproduce a PyTorch run (`.heavyBall(dampening: 0)` is
/// `torch.optim.SGD`'s default).
///
/// References: B. T. Polyak (1964), heavy-ball momentum; Y. Nesterov (1983);
/// I. Sutskever et al., *On the importance of initialization and momentum in deep
/// learning*, ICML 2013.
public final class SGD: FirstOrderOptimizer {
    /// How the momentum buffer accumulates gradients.
    public enum MomentumForm: Sendable, Equatable {
        /// The lecture's `u ← βu + (1 − β)g`, optionally divided by `1 − βᵗ` in the step.
        case exponentialMovingAverage(biasCorrection: Bool)
        /// PyTorch's `u ← βu + (1 − dampening) g` (first step `u = g`).
        case heavyBall(dampening: Double = 0)
    }

    /// SGD's hyperparameters, with their defaults.
    public struct Hyperparameters: Sendable, Equatable {
        /// The step size α.
        public var learningRate: Double
        /// The momentum coefficient β (0: plain gradient descent).
        public var momentum: Double
        /// The L2 coefficient λ added to the gradient as `λθ`.
        public var weightDecay: Double
        /// Whether to use Nesterov momentum (the lecture's or PyTorch's, by ``momentumForm``).
        public var nesterov: Bool
        public var momentumForm: MomentumForm

        /// The defaults of every SGD in Loom: the library's, the configuration's and the
        /// command line's.
        public init(learningRate: Double = 1e-2, momentum: Double = 0, weightDecay: Double = 0, nesterov: Bool = false,
                    momentumForm: MomentumForm = .exponentialMovingAverage(biasCorrection: false)) {
            self.learningRate = learningRate
            self.momentum = momentum
            self.weightDecay = weightDecay
            self.nesterov = nesterov
            self.momentumForm = momentumForm
        }

        /// Throws ``OptimizerError/invalidHyperparameter(name:value:requirement:)`` for a negative
        /// or non-finite learning rate or weight decay; a momentum outside `[0, 1)` for the moving
        /// average (`[0, ∞)` for the heavy ball); Nesterov without momentum, or (as PyTorch) with
        /// heavy-ball dampening.
        public func validate() throws {
            try Hyperparameter.require("learningRate", learningRate, atLeast: 0)
            try Hyperparameter.require("weightDecay", weightDecay, atLeast: 0)
            switch momentumForm {
            case .exponentialMovingAverage: try Hyperparameter.requireUnitInterval("momentum", momentum)
            case let .heavyBall(dampening):
                try Hyperparameter.require("momentum", momentum, atLeast: 0)
                guard dampening.isFinite else {
                    throw OptimizerError.invalidHyperparameter(name: "dampening", value: dampening, requirement: "must be finite")
                }
                if nesterov && dampening != 0 {
                    throw OptimizerError.invalidHyperparameter(
                        name: "dampening", value: dampening, requirement: "must be 0 with Nesterov momentum")
                }
            }
            if nesterov && momentum <= 0 {
                throw OptimizerError.invalidHyperparameter(
                    name: "momentum", value: momentum, requirement: "must be positive with Nesterov momentum")
            }
        }
    }

    public let hyperparameters: Hyperparameters
    /// The momentum coefficient β (0: plain gradient descent).
    public var momentum: Double { hyperparameters.momentum }
    /// The L2 coefficient λ added to the gradient as `λθ`.
    public var weightDecay: Double { hyperparameters.weightDecay }
    /// Whether to use Nesterov momentum (the lecture's or PyTorch's, by ``momentumForm``).
    public var nesterov: Bool { hyperparameters.nesterov }
    public var momentumForm: MomentumForm { hyperparameters.momentumForm }
    /// Whether the parameters hold the look-ahead point (the lecture's Nesterov).
    private let usesLookAhead: Bool

    /// SGD over `parameters`; throws as ``Hyperparameters/validate()`` does.
    public init(parameters: [Parameter], _ hyperparameters: Hyperparameters) throws {
        try hyperparameters.validate()
        self.hyperparameters = hyperparameters
        if case .exponentialMovingAverage = hyperparameters.momentumForm {
            usesLookAhead = hyperparameters.nesterov
        } else {
            usesLookAhead = false
        }
        super.init(parameters: parameters, learningRate: hyperparameters.learningRate,
                   bufferSlots: hyperparameters.momentum == 0 ? [] : [.init(name: "momentumBuffer")],
                   scalarSlots: usesLookAhead ? ["lastStepScale"] : [])
    }

    /// SGD with hyperparameters given one by one (defaults from ``Hyperparameters``).
    public convenience init(
        parameters: [Parameter], learningRate: Double = Hyperparameters().learningRate,
        momentum: Double = Hyperparameters().momentum, weightDecay: Double = Hyperparameters().weightDecay,
        nesterov: Bool = Hyperparameters().nesterov, momentumForm: MomentumForm = Hyperparameters().momentumForm
    ) throws {
        try self.init(parameters: parameters, Hyperparameters(
            learningRate: learningRate, momentum: momentum, weightDecay: weightDecay, nesterov: nesterov,
            momentumForm: momentumForm))
    }

    override func update<T: OptimizerScalar>(_ value: UnsafeMutableBufferPointer<T>, gradient: UnsafeBufferPointer<T>,
                                             state: ParameterState) {
        let rule = self.rule(for: state)
        Self.update(parameter: value, gradient: gradient, momentumBuffer: state.buffers.first?.buffer(T.self), rule: rule)
        if case let .lookAheadMovingAverage(_, _, _, stepScale) = rule { state.scalars[0] = stepScale }
    }

    /// The coefficients of this parameter's update at its step `state.step`.
    private func rule(for state: ParameterState) -> Rule {
        guard momentum != 0 else { return .plain(learningRate: learningRate, weightDecay: weightDecay) }
        switch momentumForm {
        case let .heavyBall(dampening):
            return .heavyBall(learningRate: learningRate, weightDecay: weightDecay, momentum: momentum,
                              dampening: state.step == 1 ? 0 : dampening, nesterov: nesterov)
        case let .exponentialMovingAverage(biasCorrection):
            let correction = biasCorrection ? 1 - integerPower(momentum, state.step) : 1
            let stepScale = learningRate / correction
            if nesterov {
                return .lookAheadMovingAverage(weightDecay: weightDecay, momentum: momentum,
                                               lastStepScale: state.scalars[0], stepScale: stepScale)
            }
            return .movingAverage(weightDecay: weightDecay, momentum: momentum, stepScale: stepScale)
        }
    }

    override var holdsPointOtherThanIterate: Bool { usesLookAhead }

    /// The θ of the lecture's Nesterov method, `φ + s` with `φ` the stored look-ahead point and
    /// `s` the last step; for every other configuration, the parameter's value itself.
    public override func iterate(of parameter: Parameter) -> Tensor {
        guard usesLookAhead, let state = store.state(of: parameter) else {
            return parameter.value.detached()
        }
        let velocity = state.buffers[0].tensor()
        return withoutGradients { parameter.value.detached() + velocity * state.scalars[0] }
    }
}

// MARK: - The update rule

extension SGD {
    /// One SGD update's coefficients, resolved for a step (see ``SGD`` for the math).
    public enum Rule: Sendable, Equatable {
        /// `θ ← θ − α (g + λθ)`.
        case plain(learningRate: Double, weightDecay: Double)
        /// PyTorch's: `u ← βu + (1 − d)g'`, `θ ← θ − α u` (or `θ − α(g' + βu)` with Nesterov),
        /// `g' = g + λθ`. Pass `dampening: 0` on the first step with `u = 0`, which gives `u = g'`.
        case heavyBall(learningRate: Double, weightDecay: Double, momentum: Double, dampening: Double, nesterov: Bool)
        /// The lecture's: `u ← βu + (1 − β)g'`, `θ ← θ − s u` with `s = α` or `α / (1 − βᵗ)`.
        case movingAverage(weightDecay: Double, momentum: Double, stepScale: Double)
        /// The lecture's Nesterov in look-ahead coordinates: `φ ← φ + s_old u_old − 2 s u_new`.
        case lookAheadMovingAverage(weightDecay: Double, momentum: Double, lastStepScale: Double, stepScale: Double)
    }

    /// Applies one update to `parameter` in place: the only place SGD's math lives (its loops
    /// are `referenceUpdate`; the float32 C kernel computes them bit for bit, and a test holds
    /// the two together on every instruction-set path).
    ///
    /// - Parameters:
    ///   - rule: the update rule and its hyperparameters.
    ///   - parameter: `θ` (or the look-ahead point `φ`), updated in place.
    ///   - gradient: `∇f` at `parameter`, of the same count.
    ///   - momentumBuffer: `u`, updated in place; nil only for ``Rule/plain(learningRate:weightDecay:)``.
    // Specialized for both element types: the base class calls the overridden update<T> with
    // its type only known at run time, and the generic loop is ~10× slower (every + and ×
    // through a protocol witness); these attributes make that call land in compiled loops.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func update<T: OptimizerScalar>(
        parameter: UnsafeMutableBufferPointer<T>, gradient: UnsafeBufferPointer<T>,
        momentumBuffer: UnsafeMutableBufferPointer<T>?, rule: Rule
    ) {
        precondition(gradient.count == parameter.count, "SGD.update: \(gradient.count) gradients for \(parameter.count) values")
        if case .plain = rule {} else if momentumBuffer?.count != parameter.count {
            preconditionFailure("SGD.update: momentum needs a buffer of \(parameter.count) values")
        }
        // Independent elements: chunks on the kernel threads, the same results on any count.
        // float32 takes the C kernel, which computes referenceUpdate's loop bit for bit but as
        // wide as the CPU allows (Swift compiles it for baseline x86-64, 4 lanes).
        let fused = T.self == Float.self ? fusedCoefficients(rule) : nil
        forEachChunk(of: parameter.count) { range in
            if let fused {
                FusedOptimizerKernels.sgd(
                    parameter: UnsafeMutableRawBufferPointer(parameter).bindMemory(to: Float.self),
                    gradient: UnsafeRawBufferPointer(gradient).bindMemory(to: Float.self),
                    momentumBuffer: momentumBuffer.map { UnsafeMutableRawBufferPointer($0).bindMemory(to: Float.self) },
                    coefficients: fused, range: range)
                return
            }
            referenceUpdate(parameter, gradient, momentumBuffer, rule, range)
        }
    }

    /// `rule` as the float32 kernel's coefficients: the same conversions to `Float` as
    /// referenceUpdate's `T(…)`.
    static func fusedCoefficients(_ rule: Rule) -> FusedOptimizerKernels.SGDCoefficients {
        switch rule {
        case let .plain(learningRate, weightDecay):
            var c = FusedOptimizerKernels.SGDCoefficients(rule: .plain)
            (c.learningRate, c.weightDecay) = (Float(learningRate), Float(weightDecay))
            return c
        case let .heavyBall(learningRate, weightDecay, momentum, dampening, nesterov):
            var c = FusedOptimizerKernels.SGDCoefficients(rule: .heavyBall(nesterov: nesterov))
            (c.learningRate, c.weightDecay, c.momentum, c.keep) =
                (Float(learningRate), Float(weightDecay), Float(momentum), Float(1 - dampening))
            return c
        case let .movingAverage(weightDecay, momentum, stepScale):
            var c = FusedOptimizerKernels.SGDCoefficients(rule: .movingAverage)
            (c.weightDecay, c.momentum, c.keep, c.stepScale) =
                (Float(weightDecay), Float(momentum), Float(1 - momentum), Float(stepScale))
            return c
        case let .lookAheadMovingAverage(weightDecay, momentum, lastStepScale, stepScale):
            var c = FusedOptimizerKernels.SGDCoefficients(rule: .lookAhead)
            (c.weightDecay, c.momentum, c.keep, c.lastStepScale, c.twiceStepScale) =
                (Float(weightDecay), Float(momentum), Float(1 - momentum), Float(lastStepScale), Float(2 * stepScale))
            return c
        }
    }

    /// The update rules' loops in Swift over `range` (every type; the float32 kernel must match
    /// them bit for bit). Elements are independent, so chunks of one update can run on several
    /// threads.
    @inline(__always)
    static func referenceUpdate<T: OptimizerScalar>(
        _ p: UnsafeMutableBufferPointer<T>, _ g: UnsafeBufferPointer<T>, _ buffer: UnsafeMutableBufferPointer<T>?,
        _ rule: Rule, _ range: Range<Int>
    ) {
        switch rule {
        case let .plain(learningRate, weightDecay):
            let alpha = T(learningRate), lambda = T(weightDecay)
            for i in range {
                p[i] -= alpha * (g[i] + lambda * p[i])
            }
        case let .heavyBall(learningRate, weightDecay, momentum, dampening, nesterov):
            let u = buffer!, alpha = T(learningRate), lambda = T(weightDecay), beta = T(momentum), keep = T(1 - dampening)
            for i in range {
                let gi = g[i] + lambda * p[i]
                u[i] = beta * u[i] + keep * gi
                p[i] -= alpha * (nesterov ? gi + beta * u[i] : u[i])
            }
        case let .movingAverage(weightDecay, momentum, stepScale):
            let u = buffer!, lambda = T(weightDecay), beta = T(momentum), oneMinusBeta = T(1 - momentum), scale = T(stepScale)
            for i in range {
                u[i] = beta * u[i] + oneMinusBeta * (g[i] + lambda * p[i])
                p[i] -= scale * u[i]
            }
        case let .lookAheadMovingAverage(weightDecay, momentum, lastStepScale, stepScale):
            let u = buffer!, lambda = T(weightDecay), beta = T(momentum), oneMinusBeta = T(1 - momentum)
            let lastScale = T(lastStepScale), twiceScale = T(2 * stepScale)
            for i in range {
                let lastStep = lastScale * u[i]
                u[i] = beta * u[i] + oneMinusBeta * (g[i] + lambda * p[i])
                p[i] += lastStep - twiceScale * u[i]
            }
        }
    }
}

// MARK: - Configuration files

extension SGD.Hyperparameters: Codable {
    /// `momentumForm` is `"ema"` (the lecture's), `"ema-bias-corrected"` or `"heavy-ball"`
    /// (PyTorch's, with `dampening`); a missing key takes its default.
    enum CodingKeys: String, CodingKey { case learningRate, momentum, weightDecay, nesterov, momentumForm, dampening }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        let form: SGD.MomentumForm
        switch try c.decode(.momentumForm, default: d.momentumForm.name) {
        case "ema": form = .exponentialMovingAverage(biasCorrection: false)
        case "ema-bias-corrected": form = .exponentialMovingAverage(biasCorrection: true)
        case "heavy-ball": form = .heavyBall(dampening: try c.decode(.dampening, default: 0))
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .momentumForm, in: c, debugDescription: "unknown momentum form \"\(other)\" (ema, ema-bias-corrected, heavy-ball)")
        }
        self.init(learningRate: try c.decode(.learningRate, default: d.learningRate),
                  momentum: try c.decode(.momentum, default: d.momentum),
                  weightDecay: try c.decode(.weightDecay, default: d.weightDecay),
                  nesterov: try c.decode(.nesterov, default: d.nesterov), momentumForm: form)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(momentum, forKey: .momentum)
        try c.encode(weightDecay, forKey: .weightDecay)
        try c.encode(nesterov, forKey: .nesterov)
        try c.encode(momentumForm.name, forKey: .momentumForm)
        if case let .heavyBall(dampening) = momentumForm { try c.encode(dampening, forKey: .dampening) }
    }
}

extension SGD.MomentumForm {
    /// The form's name in configuration files and on the command line.
    public var name: String {
        switch self {
        case .exponentialMovingAverage(biasCorrection: false): "ema"
        case .exponentialMovingAverage(biasCorrection: true): "ema-bias-corrected"
        case .heavyBall: "heavy-ball"
        }
    }
}
