import Loom
import LoomNN

/// Newton's method with the exact Hessian, safeguarded for non-convex losses.
///
/// With `θ` all trainable parameters flattened into one vector (row-major within each
/// parameter, parameters in order), `g = ∇f(θ)` and `H = ∇²f(θ)`, one step is
///
///     λ  = 0 if H is positive definite, else the safeguard's shift (below)
///     p  = −(H + λI)⁻¹ g                  (Cholesky, float64)
///     θ ← θ + t p,   t = α                (α = 1: the full step; α < 1: damped)
///                    or t from Armijo backtracking starting at α
///
/// `H` comes from differentiating the gradient (higher-order autodiff: one reverse pass per
/// row over the recorded backward graph), never from finite differences. On a quadratic
/// `½θᵀAθ − bᵀθ` with `A` positive definite, one full step lands on `A⁻¹b`.
///
/// **Safeguard.** Let `s = max_i |H_ii|` (or `max_ij |H_ij|` when the diagonal is zero, or 1
/// when `H = 0`). Cholesky is tried on `H`, then on `H + λI` for `λ = λ₀, 10λ₀, 100λ₀, …`
/// with `λ₀ = initialDamping · s` (`growthFactor` 10 by default), until a factorization
/// succeeds with every pivot above `n · ε · s` (ε the float64 machine epsilon) and the
/// resulting `p` has `gᵀp < 0`. So `p` is always a descent direction, and `λ` is within a
/// factor `growthFactor` of the smallest such shift on the grid (for an indefinite `H`,
/// `λ > −λ_min(H)`). Grid points at or below `−θ_min`, with `θ_min` the smallest Ritz value
/// of 30 Lanczos steps on `H` from `g` (an upper bound on `λ_min(H)`), cannot succeed and are
/// passed over without a factorization instead of one factorization per decade below the
/// shift (the 1,210-parameter benchmark network's direction: 0.15–0.28 s → 0.07 s, about two
/// factorizations' time). When every attempt fails (a Hessian with NaN), `p = −g / s` and the
/// report's damping is infinite. This is the "modified Newton" of Nocedal & Wright,
/// *Numerical Optimization*, 2nd ed., Algorithm 3.3 (Cholesky with added multiple of the
/// identity); a line search is recommended with it, since a shifted step may still be long.
///
/// **The loss closure.** Newton must re-evaluate the loss, so it ``requiresLossClosure``:
/// ``step(loss:)`` takes a closure that computes the loss from the parameters' current
/// `Parameter/value`s. It should only compute the loss (no `backward()`, no
/// `zeroGradients()`): the step calls it several times, with the parameters temporarily
/// replaced by other points or by views of a flat vector that it differentiates with respect
/// to. This is PyTorch's `optimizer.step(closure)` (as for `LBFGS`), except that the closure
/// does not call `backward()`. Given no closure, a step uses ``objective`` (the closure given
/// at construction) and throws without one.
///
/// **Size.** The dense Hessian takes `n² × 8` bytes (and `n` reverse passes' work, in blocks of
/// seeds), so more than
/// ``maximumParameterCount`` trainable parameters throw ``OptimizerError/problemTooLarge(_:)``,
/// at construction and at each step; ``NewtonCG`` needs only Hessian-vector products.
///
/// Newton keeps no per-parameter state, and it does not read `Parameter/gradient`: it
/// differentiates the closure itself. Parameters frozen at the time of a step are left out of
/// `θ`. Each step replaces the parameters' value tensors (new leaves; accumulated gradients
/// are dropped).
public final class Newton: Optimizer {
    /// Newton's hyperparameters, with their defaults.
    public struct Hyperparameters: Sendable, Equatable {
        /// The step size α along the Newton direction (1: full step; < 1: damped); the first
        /// trial of the line search.
        public var learningRate: Double
        /// Fixed step `α p`, or Armijo backtracking from α.
        public var lineSearch: NewtonLineSearch
        /// The step is skipped (outcome ``NewtonStepReport/Outcome/converged``) when
        /// `‖∇f(θ)‖₂ ≤ gradientTolerance`.
        public var gradientTolerance: Double
        /// How `H` is shifted when it is not positive definite.
        public var safeguard: Safeguard
        /// The most trainable parameters a step accepts (the default 4096 is a 128 MiB Hessian).
        public var maximumParameterCount: Int

        /// The defaults of every Newton in Loom: the full step, no line search.
        public init(learningRate: Double = 1, lineSearch: NewtonLineSearch = .none, gradientTolerance: Double = 0,
                    safeguard: Safeguard = Safeguard(), maximumParameterCount: Int = 4096) {
            self.learningRate = learningRate
            self.lineSearch = lineSearch
            self.gradientTolerance = gradientTolerance
            self.safeguard = safeguard
            self.maximumParameterCount = maximumParameterCount
        }

        /// Throws ``OptimizerError/invalidHyperparameter(name:value:requirement:)`` for a
        /// non-positive learning rate, a negative tolerance, a limit below 1 or a bad line
        /// search or safeguard.
        public func validate() throws {
            try Hyperparameter.require("learningRate", learningRate, atLeast: 0, strict: true)
            try Hyperparameter.require("gradientTolerance", gradientTolerance, atLeast: 0)
            guard maximumParameterCount >= 1 else {
                throw OptimizerError.invalidHyperparameter(
                    name: "maximumParameterCount", value: Double(maximumParameterCount), requirement: "must be at least 1")
            }
            try lineSearch.validate()
            try safeguard.validate()
        }
    }

    /// The parameters, each once, in the order given (frozen ones are skipped at each step).
    public let parameters: [Parameter]
    /// The step size α along the Newton direction (1: full step; < 1: damped); the first
    /// trial of the line search.
    public var learningRate: Double
    /// Fixed step `α p`, or Armijo backtracking from α.
    public var lineSearch: NewtonLineSearch
    /// The step is skipped (outcome ``NewtonStepReport/Outcome/converged``) when
    /// `‖∇f(θ)‖₂ ≤ gradientTolerance`.
    public var gradientTolerance: Double
    /// How `H` is shifted when it is not positive definite.
    public var safeguard: Safeguard
    /// The most trainable parameters a step accepts.
    public var maximumParameterCount: Int
    /// The loss closure a step without one uses.
    public var objective: (() -> Tensor)?
    public private(set) var stepCount = 0
    /// What the last step did (nil before the first).
    public private(set) var lastStep: NewtonStepReport?
    public var requiresLossClosure: Bool { true }

    /// The shift schedule of the safeguard (see ``Newton``).
    public struct Safeguard: Sendable, Equatable, Codable {
        /// `λ₀ / s`: the first shift relative to the Hessian's scale `s`.
        public var initialDamping: Double
        /// The factor between successive shifts.
        public var growthFactor: Double
        /// The most factorizations tried (the unshifted one included).
        public var maximumAttempts: Int

        /// Shifts `λ = initialDamping · s · growthFactorᵏ` for attempts `k = 0, 1, …` after the
        /// unshifted one, at most `maximumAttempts` factorizations in all.
        public init(initialDamping: Double = 1e-6, growthFactor: Double = 10, maximumAttempts: Int = 60) {
            self.initialDamping = initialDamping
            self.growthFactor = growthFactor
            self.maximumAttempts = maximumAttempts
        }

        /// Reads the fields, each missing one from the defaults.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Self()
            self.init(initialDamping: try c.decode(.initialDamping, default: d.initialDamping),
                      growthFactor: try c.decode(.growthFactor, default: d.growthFactor),
                      maximumAttempts: try c.decode(.maximumAttempts, default: d.maximumAttempts))
        }

        func validate() throws {
            guard initialDamping > 0 && initialDamping.isFinite else {
                throw OptimizerError.invalidHyperparameter(name: "initialDamping", value: initialDamping, requirement: "must be positive")
            }
            guard growthFactor > 1 && growthFactor.isFinite else {
                throw OptimizerError.invalidHyperparameter(name: "growthFactor", value: growthFactor, requirement: "must be greater than 1")
            }
            guard maximumAttempts >= 1 else {
                throw OptimizerError.invalidHyperparameter(name: "maximumAttempts", value: Double(maximumAttempts), requirement: "must be at least 1")
            }
        }
    }

    /// Newton over `parameters`, optionally with the loss closure a step without one uses.
    ///
    /// - Throws: ``OptimizerError/invalidHyperparameter(name:value:requirement:)`` for a bad
    ///   option, ``OptimizerError/problemTooLarge(_:)`` when the trainable parameters exceed
    ///   `maximumParameterCount`.
    public init(parameters: [Parameter], _ hyperparameters: Hyperparameters, objective: (() -> Tensor)? = nil) throws {
        self.parameters = parameters.distinct()
        learningRate = hyperparameters.learningRate
        lineSearch = hyperparameters.lineSearch
        gradientTolerance = hyperparameters.gradientTolerance
        safeguard = hyperparameters.safeguard
        maximumParameterCount = hyperparameters.maximumParameterCount
        self.objective = objective
        try hyperparameters.validate()
        try DenseHessianLimit.check(parameterCount: trainable.count, maximumParameterCount: maximumParameterCount, method: "Newton")
    }

    /// Newton with hyperparameters given one by one (defaults from ``Hyperparameters``).
    public convenience init(
        parameters: [Parameter], learningRate: Double = Hyperparameters().learningRate,
        lineSearch: NewtonLineSearch = Hyperparameters().lineSearch,
        gradientTolerance: Double = Hyperparameters().gradientTolerance,
        safeguard: Safeguard = Hyperparameters().safeguard,
        maximumParameterCount: Int = Hyperparameters().maximumParameterCount, objective: (() -> Tensor)? = nil
    ) throws {
        try self.init(parameters: parameters, Hyperparameters(
            learningRate: learningRate, lineSearch: lineSearch, gradientTolerance: gradientTolerance,
            safeguard: safeguard, maximumParameterCount: maximumParameterCount), objective: objective)
    }

    /// The hyperparameters in force now.
    public var hyperparameters: Hyperparameters {
        Hyperparameters(learningRate: learningRate, lineSearch: lineSearch, gradientTolerance: gradientTolerance,
                        safeguard: safeguard, maximumParameterCount: maximumParameterCount)
    }

    private var trainable: FlatParameters { FlatParameters(parameters.filter { !$0.isFrozen }) }

    /// The shift `λ` of the last step (0: exact Newton; see ``Newton``).
    public var lastDamping: Double { lastStep?.damping ?? 0 }

    /// Whether the last step shifted the Hessian (`λ > 0`).
    public var lastStepWasSafeguarded: Bool { lastStep?.wasSafeguarded ?? false }

    /// One Newton step on the loss `loss` computes (or ``objective``); the report has the loss
    /// and gradient norm before and after it, the details are in ``lastStep``.
    @discardableResult
    public func step(loss: (() throws -> Tensor)?) throws -> StepReport {
        guard let loss = loss ?? objective else { throw OptimizerError.missingLossClosure("Newton") }
        try hyperparameters.validate()
        let flat = trainable
        try DenseHessianLimit.check(parameterCount: flat.count, maximumParameterCount: maximumParameterCount, method: "Newton")
        let safeguard = self.safeguard
        let report = try NewtonIteration.step(
            flat: flat, loss: loss, learningRate: learningRate, lineSearch: lineSearch,
            gradientTolerance: gradientTolerance
        ) { model, report in
            let (direction, damping) = Newton.direction(hessian: model.hessian(), gradient: model.gradient, safeguard: safeguard)
            report.damping = damping
            return direction
        }
        lastStep = report
        if report.outcome == .updated { stepCount += 1 }
        return report.summary
    }

    /// The safeguarded Newton direction `p = −(H + λI)⁻¹ g` and the shift `λ` it needed: the
    /// whole update rule, pure (see ``Newton`` for the schedule of `λ`).
    public static func direction(
        hessian: DenseMatrix, gradient: [Double], safeguard: Safeguard = Safeguard()
    ) -> (direction: [Double], damping: Double) {
        let n = gradient.count
        precondition(hessian.rowCount == n && hessian.isSquare,
                     "Newton: a \(hessian.rowCount) × \(hessian.columnCount) Hessian for a gradient of \(n)")
        let scale = hessianScale(hessian)
        let minimumPivot = Double(n) * Double.ulpOfOne * scale
        var damping = 0.0
        // Shifts at or below this cannot make H + λI positive definite (−θ_min, set after the
        // unshifted attempt fails): their grid points are passed over without a factorization.
        var hopeless = -Double.infinity
        for _ in 0..<safeguard.maximumAttempts {
            if damping == 0 || damping > hopeless {
                if let factors = CholeskyFactorization(hessian.addingToDiagonal(damping), minimumPivot: minimumPivot) {
                    let direction = factors.solve(gradient).map { -$0 }
                    let slope = DenseVector.dot(gradient, direction)
                    if slope.isFinite && (slope < 0 || gradient.allSatisfy { $0 == 0 }) {
                        return (direction, damping)
                    }
                }
                if damping == 0 { hopeless = -lowestRitzValue(hessian, start: gradient) }
            }
            damping = damping == 0 ? safeguard.initialDamping * scale : damping * safeguard.growthFactor
        }
        return (gradient.map { -$0 / scale }, .infinity)
    }

    /// Lanczos steps behind the safeguard's first shift (see ``lowestRitzValue(_:start:)``).
    static let ritzSteps = 30

    /// The smallest Ritz value `θ_min` of ``ritzSteps`` Lanczos steps on `hessian` from `start`
    /// (the gradient; a fixed vector when it is zero or not finite), or +∞ when `hessian` is
    /// not finite. A Ritz value is a Rayleigh quotient, so `θ_min ≥ λ_min(H)`, and `H + λI`
    /// has a negative eigenvalue for every `λ < −θ_min`: those shifts need no factorization.
    /// About `30 n²` multiply-adds, under one factorization's `n³/3` for n above 90.
    static func lowestRitzValue(_ hessian: DenseMatrix, start: [Double]) -> Double {
        let n = hessian.rowCount
        guard n > 0, hessian.scalars.allSatisfy(\.isFinite) else { return .infinity }
        var vector = start
        if !vector.allSatisfy(\.isFinite) || DenseVector.norm(vector) == 0 {
            vector = (0..<n).map { Platform.cos(0.7 * Double($0)) + 0.5 }
        }
        let (diagonal, offDiagonal) = hessian.scalars.withUnsafeBufferPointer { h in
            SpectrumEstimation.lanczos(steps: ritzSteps, start: vector) { v in
                v.withUnsafeBufferPointer { v in (0..<n).map { DenseKernels.dot(h.baseAddress! + $0 * n, v.baseAddress!, n) } }
            }
        }
        return SymmetricEigendecomposition.eigenvalues(diagonal: diagonal, offDiagonal: offDiagonal).first ?? .infinity
    }

    /// `s`: the largest |diagonal| entry, else the largest |entry|, else 1 (finite values only).
    static func hessianScale(_ hessian: DenseMatrix) -> Double {
        let diagonal = hessian.diagonal.lazy.map(Swift.abs).filter(\.isFinite).max() ?? 0
        if diagonal > 0 { return diagonal }
        let any = hessian.scalars.lazy.map(Swift.abs).filter(\.isFinite).max() ?? 0
        return any > 0 ? any : 1
    }

    public func stateDictionary() -> [String: Tensor] {
        ["stepCount": Tensor(Double(stepCount), dtype: .int64)]
    }

    /// Restores the step count (Newton has no per-parameter state).
    public func loadStateDictionary(_ state: [String: Tensor]) throws {
        stepCount = try NewtonState.stepCount(from: state, method: "Newton")
    }
}

/// Reading the only state Newton-type methods keep.
enum NewtonState {
    static func stepCount(from state: [String: Tensor], method: String) throws -> Int {
        let unexpected = state.keys.filter { $0 != "stepCount" }.sorted()
        guard unexpected.isEmpty else {
            throw OptimizerError.stateMismatch("\(method) keeps no per-parameter state, got \(unexpected)")
        }
        guard let count = state["stepCount"], count.count == 1 else {
            throw OptimizerError.stateMismatch("\(method): missing a scalar \"stepCount\"")
        }
        let value = count.item(Double.self)
        guard value >= 0 && value == value.rounded() && value < 1e15 else {
            throw OptimizerError.stateMismatch("\(method): stepCount \(value) is not a non-negative integer")
        }
        return Int(value)
    }
}

// MARK: - Configuration files

extension Newton.Hyperparameters: Codable {
    enum CodingKeys: String, CodingKey { case learningRate, lineSearch, gradientTolerance, safeguard, maximumParameterCount }

    /// Reads the fields, each missing one from the defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        self.init(learningRate: try c.decode(.learningRate, default: d.learningRate),
                  lineSearch: try c.decode(.lineSearch, default: d.lineSearch),
                  gradientTolerance: try c.decode(.gradientTolerance, default: d.gradientTolerance),
                  safeguard: try c.decode(.safeguard, default: d.safeguard),
                  maximumParameterCount: try c.decode(.maximumParameterCount, default: d.maximumParameterCount))
    }
}
