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
/// **Defaults.** `learningRate` 10⁻³, `momentum` 0, `weightDecay` 0, as in PyTorch. The
/// momentum form defaults to the lecture's moving average (without bias correction) rather
/// than PyTorch's heavy ball, because Loom follows the lecture; pass `.heavyBall()` to
/// reproduce a PyTorch run (`.heavyBall(dampening: 0)` is `torch.optim.SGD`'s default).
///
/// References: B. T. Polyak (1964), heavy-ball momentum; Y. Nesterov (1983);
/// I. Sutskever et al., *On the importance of initialization and momentum in deep
/// learning*, ICML 2013.
public final class SGD: Optimizer {
    /// How the momentum buffer accumulates gradients.
    public enum MomentumForm: Sendable, Equatable {
        /// The lecture's `u ← βu + (1 − β)g`, optionally divided by `1 − βᵗ` in the step.
        case exponentialMovingAverage(biasCorrection: Bool)
        /// PyTorch's `u ← βu + (1 − dampening) g` (first step `u = g`).
        case heavyBall(dampening: Double = 0)
    }

    public let parameters: [Parameter]
    public var learningRate: Double
    /// The momentum coefficient β (0: plain gradient descent).
    public let momentum: Double
    /// The L2 coefficient λ added to the gradient as `λθ`.
    public let weightDecay: Double
    /// Whether to use Nesterov momentum (the lecture's or PyTorch's, by ``momentumForm``).
    public let nesterov: Bool
    public let momentumForm: MomentumForm
    public private(set) var stepCount = 0
    private var store: ParameterStateStore
    /// Whether the parameters hold the look-ahead point (the lecture's Nesterov).
    private let usesLookAhead: Bool

    /// Throws ``OptimizerError/invalidHyperparameter(name:value:requirement:)`` for a negative
    /// or non-finite learning rate or weight decay; a momentum outside `[0, 1)` for the moving
    /// average (`[0, ∞)` for the heavy ball); Nesterov without momentum, or (as PyTorch) with
    /// heavy-ball dampening.
    public init(
        parameters: [Parameter], learningRate: Double = 1e-3, momentum: Double = 0,
        weightDecay: Double = 0, nesterov: Bool = false,
        momentumForm: MomentumForm = .exponentialMovingAverage(biasCorrection: false)
    ) throws {
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
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.momentumForm = momentumForm
        if case .exponentialMovingAverage = momentumForm { usesLookAhead = nesterov } else { usesLookAhead = false }
        store = ParameterStateStore(
            parameters: parameters,
            bufferSlots: momentum == 0 ? [] : [.init(name: "momentumBuffer")],
            scalarSlots: usesLookAhead ? ["lastStepScale"] : [])
        self.parameters = store.parameters
    }

    public func step() {
        stepCount += 1
        store.forEachUpdate { parameter, state in
            let rule = self.rule(for: state)
            switch parameter.value.dtype {
            case .float32: Self.apply(rule, Float.self, parameter, state)
            default: Self.apply(rule, Double.self, parameter, state)
            }
            if case let .lookAheadMovingAverage(_, _, _, stepScale) = rule { state.scalars[0] = stepScale }
        }
    }

    private static func apply<T: OptimizerScalar>(_ rule: Rule, _ type: T.Type, _ parameter: Parameter, _ state: ParameterState) {
        parameter.withValueAndGradient(T.self) { value, gradient in
            update(parameter: value, gradient: gradient, momentumBuffer: state.buffers.first?.buffer(T.self), rule: rule)
        }
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

    /// The θ of the lecture's Nesterov method, `φ + s` with `φ` the stored look-ahead point and
    /// `s` the last step; for every other configuration, the parameter's value itself.
    public func iterate(of parameter: Parameter) -> Tensor {
        guard usesLookAhead, let state = store.state(of: parameter) else {
            return parameter.value.detached()
        }
        let velocity = state.buffers[0].tensor()
        return withoutGradients { parameter.value.detached() + velocity * state.scalars[0] }
    }

    public func stateDictionary() -> [String: Tensor] { store.dictionary(stepCount: stepCount) }

    public func loadStateDictionary(_ state: [String: Tensor]) throws {
        stepCount = try store.load(state)
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

    /// Applies one update to `parameter` in place: the only place SGD's math lives.
    ///
    /// - Parameters:
    ///   - parameter: `θ` (or the look-ahead point `φ`), updated in place.
    ///   - gradient: `∇f` at `parameter`, of the same count.
    ///   - momentumBuffer: `u`, updated in place; nil only for ``Rule/plain(learningRate:weightDecay:)``.
    public static func update<T: OptimizerScalar>(
        parameter: UnsafeMutableBufferPointer<T>, gradient: UnsafeBufferPointer<T>,
        momentumBuffer: UnsafeMutableBufferPointer<T>?, rule: Rule
    ) {
        precondition(gradient.count == parameter.count, "SGD.update: \(gradient.count) gradients for \(parameter.count) values")
        guard case .plain(let learningRate, let weightDecay) = rule else {
            guard let u = momentumBuffer, u.count == parameter.count else {
                preconditionFailure("SGD.update: momentum needs a buffer of \(parameter.count) values")
            }
            updateWithMomentum(parameter, gradient, u, rule)
            return
        }
        let alpha = T(learningRate), lambda = T(weightDecay)
        // Independent elements: chunks on the kernel threads, the same results on any count.
        forEachChunk(of: parameter.count) { range in
            for i in range {
                parameter[i] -= alpha * (gradient[i] + lambda * parameter[i])
            }
        }
    }

    private static func updateWithMomentum<T: OptimizerScalar>(
        _ p: UnsafeMutableBufferPointer<T>, _ g: UnsafeBufferPointer<T>, _ u: UnsafeMutableBufferPointer<T>, _ rule: Rule
    ) {
        forEachChunk(of: p.count) { range in updateWithMomentum(p, g, u, rule, range) }
    }

    /// The momentum rules over `range`: elements are independent, so chunks of one update can
    /// run on several threads.
    @inline(__always)
    private static func updateWithMomentum<T: OptimizerScalar>(
        _ p: UnsafeMutableBufferPointer<T>, _ g: UnsafeBufferPointer<T>, _ u: UnsafeMutableBufferPointer<T>, _ rule: Rule,
        _ range: Range<Int>
    ) {
        switch rule {
        case .plain: preconditionFailure("unreachable")
        case let .heavyBall(learningRate, weightDecay, momentum, dampening, nesterov):
            let alpha = T(learningRate), lambda = T(weightDecay), beta = T(momentum), keep = T(1 - dampening)
            for i in range {
                let gi = g[i] + lambda * p[i]
                u[i] = beta * u[i] + keep * gi
                p[i] -= alpha * (nesterov ? gi + beta * u[i] : u[i])
            }
        case let .movingAverage(weightDecay, momentum, stepScale):
            let lambda = T(weightDecay), beta = T(momentum), oneMinusBeta = T(1 - momentum), scale = T(stepScale)
            for i in range {
                u[i] = beta * u[i] + oneMinusBeta * (g[i] + lambda * p[i])
                p[i] -= scale * u[i]
            }
        case let .lookAheadMovingAverage(weightDecay, momentum, lastStepScale, stepScale):
            let lambda = T(weightDecay), beta = T(momentum), oneMinusBeta = T(1 - momentum)
            let lastScale = T(lastStepScale), twiceScale = T(2 * stepScale)
            for i in range {
                let lastStep = lastScale * u[i]
                u[i] = beta * u[i] + oneMinusBeta * (g[i] + lambda * p[i])
                p[i] += lastStep - twiceScale * u[i]
            }
        }
    }
}
