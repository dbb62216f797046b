import Loom
import LoomNN

/// Limited-memory BFGS, as PyTorch's `torch.optim.LBFGS` (the same defaults, tolerances,
/// first step, history handling and strong-Wolfe line search, so a run reproduces PyTorch's
/// to rounding).
///
/// One ``step(loss:)`` runs up to `maximumIterations` iterations on `f(θ)` (θ all trainable
/// parameters flattened, as for ``Newton``), with `g = ∇f(θ)`:
///
///     p = −H g          two-loop recursion over the last `historySize` pairs
///                       (s, y) = (θ₊ − θ, g₊ − g) with yᵀs > 10⁻¹⁰, and H₀ = (yᵀs / yᵀy) I
///     t = min(1, 1/‖g‖₁) · α on the very first iteration, else α
///     θ ← θ + t p       or t from the strong-Wolfe search (c₁ = 10⁻⁴, c₂ = 0.9, 25 trials,
///                       cubic interpolation and zoom), starting at that t
///
/// It stops when `max|g| ≤ gradientTolerance`, when `gᵀp > −changeTolerance`, when a step or
/// the change of the loss is below `changeTolerance`, or after `maximumEvaluations` loss
/// evaluations. The history persists across steps (PyTorch's state), so successive steps
/// continue one run. Like Newton, it ``requiresLossClosure`` (the closure only computes the
/// loss: no `backward()`).
///
/// Reference: J. Nocedal, S. J. Wright, *Numerical Optimization*, 2nd ed., Algorithms 7.4
/// (two-loop recursion), 3.5–3.6 (strong-Wolfe line search).
public final class LBFGS: Optimizer {
    /// L-BFGS's hyperparameters, with PyTorch's defaults.
    public struct Hyperparameters: Sendable, Equatable {
        /// α: the step size (PyTorch `lr`).
        public var learningRate: Double
        /// Iterations per ``LBFGS/step(loss:)`` (PyTorch `max_iter`).
        public var maximumIterations: Int
        /// Loss evaluations per step (PyTorch `max_eval`; nil: `maximumIterations · 5/4`).
        public var maximumEvaluations: Int?
        /// Stop when `max|∇f| ≤ gradientTolerance` (PyTorch `tolerance_grad`).
        public var gradientTolerance: Double
        /// Stop when a step, a directional derivative or a loss change is below this
        /// (PyTorch `tolerance_change`).
        public var changeTolerance: Double
        /// Curvature pairs kept (PyTorch `history_size`).
        public var historySize: Int
        /// The strong-Wolfe line search (PyTorch `line_search_fn="strong_wolfe"`), or fixed steps.
        public var usesStrongWolfe: Bool

        /// PyTorch's defaults: α 1, 20 iterations, tolerances 10⁻⁷ and 10⁻⁹, history 100, no
        /// line search.
        public init(learningRate: Double = 1, maximumIterations: Int = 20, maximumEvaluations: Int? = nil,
                    gradientTolerance: Double = 1e-7, changeTolerance: Double = 1e-9, historySize: Int = 100,
                    usesStrongWolfe: Bool = false) {
            self.learningRate = learningRate
            self.maximumIterations = maximumIterations
            self.maximumEvaluations = maximumEvaluations
            self.gradientTolerance = gradientTolerance
            self.changeTolerance = changeTolerance
            self.historySize = historySize
            self.usesStrongWolfe = usesStrongWolfe
        }

        /// Evaluations allowed per step.
        public var evaluationLimit: Int { maximumEvaluations ?? maximumIterations * 5 / 4 }

        /// Throws ``OptimizerError/invalidHyperparameter(name:value:requirement:)`` for a
        /// non-positive learning rate, negative tolerances or limits below 1.
        public func validate() throws {
            try Hyperparameter.require("learningRate", learningRate, atLeast: 0, strict: true)
            try Hyperparameter.require("gradientTolerance", gradientTolerance, atLeast: 0)
            try Hyperparameter.require("changeTolerance", changeTolerance, atLeast: 0)
            for (name, value) in [("maximumIterations", maximumIterations), ("historySize", historySize), ("maximumEvaluations", evaluationLimit)]
            where value < 1 {
                throw OptimizerError.invalidHyperparameter(name: name, value: Double(value), requirement: "must be at least 1")
            }
        }
    }

    public let parameters: [Parameter]
    public var hyperparameters: Hyperparameters
    public var learningRate: Double {
        get { hyperparameters.learningRate }
        set { hyperparameters.learningRate = newValue }
    }
    /// The loss closure a step without one uses.
    public var objective: (() -> Tensor)?
    public private(set) var stepCount = 0
    /// Iterations over all steps (PyTorch `state["n_iter"]`).
    public private(set) var iterationCount = 0
    /// Loss evaluations over all steps (PyTorch `state["func_evals"]`).
    public private(set) var evaluationCount = 0
    public var requiresLossClosure: Bool { true }

    // PyTorch's state between steps.
    private var direction: [Double] = []
    private var stepSize = 0.0
    private var steps: [[Double]] = [], gradientChanges: [[Double]] = [], inverseCurvatures: [Double] = []
    private var diagonalScale = 1.0
    private var previousGradient: [Double]?

    /// L-BFGS over `parameters`, optionally with the loss closure a step without one uses.
    public init(parameters: [Parameter], _ hyperparameters: Hyperparameters = Hyperparameters(), objective: (() -> Tensor)? = nil) throws {
        try hyperparameters.validate()
        self.parameters = parameters.distinct()
        self.hyperparameters = hyperparameters
        self.objective = objective
    }

    /// Up to `maximumIterations` iterations; the report has the loss at the start (what
    /// PyTorch's step returns) and after the last iteration.
    @discardableResult
    public func step(loss: (() throws -> Tensor)?) throws -> StepReport {
        guard let loss = loss ?? objective else { throw OptimizerError.missingLossClosure("L-BFGS") }
        try hyperparameters.validate()
        let h = hyperparameters
        let flat = FlatParameters(parameters.filter { !$0.isFrozen })
        var (value, gradient) = try flat.valueAndGradient(loss)
        let initialValue = value, initialNorm = DenseVector.norm(gradient)
        var evaluations = 1
        evaluationCount += 1
        stepCount += 1
        guard (gradient.map(Swift.abs).max() ?? 0) > h.gradientTolerance else {
            return StepReport(loss: initialValue, lossAfterStep: initialValue, gradientNorm: initialNorm, gradientNormAfterStep: initialNorm)
        }
        var theta = flat.currentValues()
        for iteration in 1...h.maximumIterations {
            iterationCount += 1
            updateDirection(gradient: gradient, isFirst: iterationCount == 1)
            previousGradient = gradient
            let previousValue = value
            stepSize = (iterationCount == 1 ? Swift.min(1, 1 / gradient.reduce(0) { $0 + Swift.abs($1) }) : 1) * h.learningRate
            let slope = DenseVector.dot(gradient, direction)
            if slope > -h.changeTolerance { break }
            var lineEvaluations = 0
            if h.usesStrongWolfe {
                let search = try StrongWolfe.search(
                    from: theta, direction: direction, step: stepSize, value: value, gradient: gradient, slope: slope,
                    changeTolerance: h.changeTolerance
                ) { point in try flat.value(at: point, loss) }
                (value, gradient, stepSize, lineEvaluations) = (search.value, search.gradient, search.step, search.evaluations)
                theta = DenseVector.adding(theta, direction, scaledBy: stepSize)
                flat.assign(theta)
            } else {
                theta = DenseVector.adding(theta, direction, scaledBy: stepSize)
                flat.assign(theta)
                if iteration != h.maximumIterations {
                    (value, gradient) = try flat.valueAndGradient(loss)
                    lineEvaluations = 1
                }
            }
            evaluations += lineEvaluations
            evaluationCount += lineEvaluations
            if iteration == h.maximumIterations || evaluations >= h.evaluationLimit { break }
            if (gradient.map(Swift.abs).max() ?? 0) <= h.gradientTolerance { break }
            if (direction.map { Swift.abs($0 * stepSize) }.max() ?? 0) <= h.changeTolerance { break }
            if Swift.abs(value - previousValue) < h.changeTolerance { break }
        }
        return StepReport(loss: initialValue, lossAfterStep: value, gradientNorm: initialNorm, gradientNormAfterStep: DenseVector.norm(gradient))
    }

    /// The two-loop recursion: `direction = −H g`, after adding the last pair when its
    /// curvature `yᵀs` is positive (above 10⁻¹⁰, PyTorch's threshold).
    private func updateDirection(gradient: [Double], isFirst: Bool) {
        guard !isFirst, let previousGradient else {
            direction = gradient.map { -$0 }
            steps = []; gradientChanges = []; inverseCurvatures = []; diagonalScale = 1
            return
        }
        let y = DenseVector.adding(gradient, previousGradient, scaledBy: -1)
        let s = direction.map { $0 * stepSize }
        let ys = DenseVector.dot(y, s)
        if ys > 1e-10 {
            if steps.count == hyperparameters.historySize {
                steps.removeFirst(); gradientChanges.removeFirst(); inverseCurvatures.removeFirst()
            }
            steps.append(s); gradientChanges.append(y); inverseCurvatures.append(1 / ys)
            diagonalScale = ys / DenseVector.dot(y, y)
        }
        var q = gradient.map { -$0 }
        var alphas = [Double](repeating: 0, count: steps.count)
        for i in steps.indices.reversed() {
            alphas[i] = DenseVector.dot(steps[i], q) * inverseCurvatures[i]
            q = DenseVector.adding(q, gradientChanges[i], scaledBy: -alphas[i])
        }
        var r = q.map { $0 * diagonalScale }
        for i in steps.indices {
            let beta = DenseVector.dot(gradientChanges[i], r) * inverseCurvatures[i]
            r = DenseVector.adding(r, steps[i], scaledBy: alphas[i] - beta)
        }
        direction = r
    }

    public func stateDictionary() -> [String: Tensor] {
        ["stepCount": Tensor(Double(stepCount), dtype: .int64)]
    }

    /// Restores the step count. NOTE: the curvature history is not saved, so a resumed run
    /// restarts it (as a fresh PyTorch LBFGS would).
    public func loadStateDictionary(_ state: [String: Tensor]) throws {
        stepCount = try NewtonState.stepCount(from: state, method: "L-BFGS")
        iterationCount = 0
        previousGradient = nil
    }
}

extension LBFGS.Hyperparameters: Codable {
    enum CodingKeys: String, CodingKey {
        case learningRate, maximumIterations, maximumEvaluations, gradientTolerance, changeTolerance, historySize, usesStrongWolfe
    }

    /// Reads the fields, each missing one from the defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        self.init(learningRate: try c.decode(.learningRate, default: d.learningRate),
                  maximumIterations: try c.decode(.maximumIterations, default: d.maximumIterations),
                  maximumEvaluations: try c.decodeIfPresent(Int.self, forKey: .maximumEvaluations) ?? d.maximumEvaluations,
                  gradientTolerance: try c.decode(.gradientTolerance, default: d.gradientTolerance),
                  changeTolerance: try c.decode(.changeTolerance, default: d.changeTolerance),
                  historySize: try c.decode(.historySize, default: d.historySize),
                  usesStrongWolfe: try c.decode(.usesStrongWolfe, default: d.usesStrongWolfe))
    }
}
