import Loom
import LoomNN

/// Hessian-free Newton (truncated Newton, Newton–CG): the Newton system `H p = −g` is solved
/// approximately by conjugate gradients, which touch `H = ∇²f(θ)` only through
/// Hessian-vector products `H v`. Each product is one reverse pass over the recorded backward
/// graph of `∇f` (the gradient is taken once per step with `createGraph`), so memory is that
/// of a few gradients, whatever the number of parameters.
///
/// One step, with `θ` the trainable parameters flattened as in ``Newton``:
///
///     g = ∇f(θ);  ε = η‖g‖  (η fixed, or min(½, √‖g‖) for superlinear convergence)
///     z₀ = 0, r₀ = g, d₀ = −g
///     for j = 0, 1, … < maximumIterations:
///         if dⱼᵀH dⱼ ≤ 0:  p = (j == 0 ? −g : zⱼ); stop      (negative curvature)
///         aⱼ = rⱼᵀrⱼ / dⱼᵀH dⱼ;  zⱼ₊₁ = zⱼ + aⱼ dⱼ;  rⱼ₊₁ = rⱼ + aⱼ H dⱼ
///         if ‖rⱼ₊₁‖ < ε:  p = zⱼ₊₁; stop
///         dⱼ₊₁ = −rⱼ₊₁ + (rⱼ₊₁ᵀrⱼ₊₁ / rⱼᵀrⱼ) dⱼ
///     θ ← θ + t p,  t = α or Armijo backtracking from α (as in ``Newton``)
///
/// Every iterate `zⱼ` (j ≥ 1) of CG started at 0 is a descent direction, and stopping at
/// negative curvature keeps it so on non-convex losses: no `λI` shift is needed. With a tight
/// tolerance and `n` iterations on a positive-definite `H`, `p` is the exact Newton step.
///
/// Reference: J. Nocedal, S. J. Wright, *Numerical Optimization*, 2nd ed., Algorithm 7.1;
/// J. Martens, "Deep learning via Hessian-free optimization", ICML 2010.
public final class NewtonCG: Optimizer {
    /// Newton–CG's hyperparameters, with their defaults.
    public struct Hyperparameters: Sendable, Equatable {
        /// The step size α along the direction (1: full step; < 1: damped); the first trial of
        /// the line search.
        public var learningRate: Double
        /// Fixed step `α p`, or Armijo backtracking from α.
        public var lineSearch: NewtonLineSearch
        /// The step is skipped when `‖∇f(θ)‖₂ ≤ gradientTolerance`.
        public var gradientTolerance: Double
        /// When CG stops: `‖r‖ < η‖g‖`.
        public var residualTolerance: ResidualTolerance
        /// The most CG iterations (Hessian-vector products) per step; nil means `n`.
        public var maximumIterations: Int?

        /// The defaults of every Newton–CG in Loom: the full step, no line search, the
        /// superlinear forcing term.
        public init(learningRate: Double = 1, lineSearch: NewtonLineSearch = .none, gradientTolerance: Double = 0,
                    residualTolerance: ResidualTolerance = .superlinear, maximumIterations: Int? = nil) {
            self.learningRate = learningRate
            self.lineSearch = lineSearch
            self.gradientTolerance = gradientTolerance
            self.residualTolerance = residualTolerance
            self.maximumIterations = maximumIterations
        }

        /// Throws ``OptimizerError/invalidHyperparameter(name:value:requirement:)`` for a bad
        /// option.
        public func validate() throws {
            try Hyperparameter.require("learningRate", learningRate, atLeast: 0, strict: true)
            try Hyperparameter.require("gradientTolerance", gradientTolerance, atLeast: 0)
            if case .relative(let eta) = residualTolerance, !(eta > 0 && eta < 1) {
                throw OptimizerError.invalidHyperparameter(name: "residualTolerance", value: eta, requirement: "must be in (0, 1)")
            }
            if let maximumIterations, maximumIterations < 1 {
                throw OptimizerError.invalidHyperparameter(
                    name: "maximumIterations", value: Double(maximumIterations), requirement: "must be at least 1")
            }
            try lineSearch.validate()
        }
    }

    /// The parameters, each once, in the order given (frozen ones are skipped at each step).
    public let parameters: [Parameter]
    /// The step size α along the direction (1: full step; < 1: damped); the first trial of
    /// the line search.
    public var learningRate: Double
    /// Fixed step `α p`, or Armijo backtracking from α.
    public var lineSearch: NewtonLineSearch
    /// The step is skipped when `‖∇f(θ)‖₂ ≤ gradientTolerance`.
    public var gradientTolerance: Double
    /// When CG stops: `‖r‖ < η‖g‖`.
    public var residualTolerance: ResidualTolerance
    /// The most CG iterations (Hessian-vector products) per step; nil means `n`.
    public var maximumIterations: Int?
    /// The loss closure a step without one uses.
    public var objective: (() -> Tensor)?
    public private(set) var stepCount = 0
    /// What the last step did (nil before the first).
    public private(set) var lastStep: NewtonStepReport?
    public var requiresLossClosure: Bool { true }

    /// The forcing term `η` of the CG stopping test `‖r‖ < η‖g‖`.
    public enum ResidualTolerance: Sendable, Equatable {
        /// A fixed `η` (small values make `p` the Newton step).
        case relative(Double)
        /// `η = min(½, √‖g‖)`: loose far from a minimum, tight near it (superlinear
        /// convergence, Nocedal & Wright Theorem 7.2).
        case superlinear

        func eta(gradientNorm: Double) -> Double {
            switch self {
            case .relative(let eta): eta
            case .superlinear: Swift.min(0.5, gradientNorm.squareRoot())
            }
        }
    }

    /// Newton–CG over `parameters`, optionally with the loss closure a step without one uses.
    ///
    /// - Throws: ``OptimizerError/invalidHyperparameter(name:value:requirement:)`` for a bad
    ///   option.
    public init(parameters: [Parameter], _ hyperparameters: Hyperparameters, objective: (() -> Tensor)? = nil) throws {
        try hyperparameters.validate()
        self.parameters = parameters.distinct()
        learningRate = hyperparameters.learningRate
        lineSearch = hyperparameters.lineSearch
        gradientTolerance = hyperparameters.gradientTolerance
        residualTolerance = hyperparameters.residualTolerance
        maximumIterations = hyperparameters.maximumIterations
        self.objective = objective
    }

    /// Newton–CG with hyperparameters given one by one (defaults from ``Hyperparameters``).
    public convenience init(
        parameters: [Parameter], learningRate: Double = Hyperparameters().learningRate,
        lineSearch: NewtonLineSearch = Hyperparameters().lineSearch,
        gradientTolerance: Double = Hyperparameters().gradientTolerance,
        residualTolerance: ResidualTolerance = Hyperparameters().residualTolerance,
        maximumIterations: Int? = Hyperparameters().maximumIterations, objective: (() -> Tensor)? = nil
    ) throws {
        try self.init(parameters: parameters, Hyperparameters(
            learningRate: learningRate, lineSearch: lineSearch, gradientTolerance: gradientTolerance,
            residualTolerance: residualTolerance, maximumIterations: maximumIterations), objective: objective)
    }

    /// The hyperparameters in force now.
    public var hyperparameters: Hyperparameters {
        Hyperparameters(learningRate: learningRate, lineSearch: lineSearch, gradientTolerance: gradientTolerance,
                        residualTolerance: residualTolerance, maximumIterations: maximumIterations)
    }

    /// One Newton–CG step on the loss `loss` computes (or ``objective``); the report has the
    /// loss and gradient norm before and after it, the details are in ``lastStep``.
    @discardableResult
    public func step(loss: (() throws -> Tensor)?) throws -> StepReport {
        guard let loss = loss ?? objective else { throw OptimizerError.missingLossClosure("NewtonCG") }
        try hyperparameters.validate()
        let flat = FlatParameters(parameters.filter { !$0.isFrozen })
        let tolerance = residualTolerance
        let iterations = maximumIterations ?? Swift.max(flat.count, 1)
        let report = try NewtonIteration.step(
            flat: flat, loss: loss, learningRate: learningRate, lineSearch: lineSearch,
            gradientTolerance: gradientTolerance
        ) { model, report in
            let eta = tolerance.eta(gradientNorm: report.gradientNorm)
            let result = NewtonCG.conjugateGradient(
                gradient: model.gradient, tolerance: eta * report.gradientNorm, maximumIterations: iterations,
                hessianVectorProduct: model.hessianVectorProduct)
            report.conjugateGradientIterations = result.iterations
            report.foundNegativeCurvature = result.foundNegativeCurvature
            return result.direction
        }
        lastStep = report
        if report.outcome == .updated { stepCount += 1 }
        return report.summary
    }

    /// Truncated conjugate gradients on `H p = −g` (the algorithm in ``NewtonCG``): the
    /// whole update rule, pure. `iterations` counts Hessian-vector products.
    public static func conjugateGradient(
        gradient: [Double], tolerance: Double, maximumIterations: Int,
        hessianVectorProduct: ([Double]) -> [Double]
    ) -> (direction: [Double], iterations: Int, foundNegativeCurvature: Bool) {
        var z = [Double](repeating: 0, count: gradient.count)
        var residual = gradient
        var d = gradient.map { -$0 }
        var residualSquared = DenseVector.dot(residual, residual)
        if residualSquared.squareRoot() < tolerance { return (z, 0, false) }
        for j in 0..<maximumIterations {
            let hd = hessianVectorProduct(d)
            let curvature = DenseVector.dot(d, hd)
            if !(curvature > 0) {
                return (j == 0 ? d : z, j + 1, true)
            }
            let a = residualSquared / curvature
            z = DenseVector.adding(z, d, scaledBy: a)
            residual = DenseVector.adding(residual, hd, scaledBy: a)
            let nextSquared = DenseVector.dot(residual, residual)
            if nextSquared.squareRoot() < tolerance { return (z, j + 1, false) }
            d = DenseVector.adding(residual.map { -$0 }, d, scaledBy: nextSquared / residualSquared)
            residualSquared = nextSquared
        }
        return (z, maximumIterations, false)
    }

    public func stateDictionary() -> [String: Tensor] {
        ["stepCount": Tensor(Double(stepCount), dtype: .int64)]
    }

    /// Restores the step count (Newton–CG has no per-parameter state).
    public func loadStateDictionary(_ state: [String: Tensor]) throws {
        stepCount = try NewtonState.stepCount(from: state, method: "NewtonCG")
    }
}

// MARK: - Configuration files

extension NewtonCG.Hyperparameters: Codable {
    /// `residualTolerance` is `"superlinear"` or a fixed η in (0, 1).
    enum CodingKeys: String, CodingKey { case learningRate, lineSearch, gradientTolerance, residualTolerance, maximumIterations }

    /// Reads the fields, each missing one from the defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        var tolerance = d.residualTolerance
        if let eta = try? c.decode(Double.self, forKey: .residualTolerance) {
            tolerance = .relative(eta)
        } else if let name = try c.decodeIfPresent(String.self, forKey: .residualTolerance) {
            guard name == "superlinear" else {
                throw DecodingError.dataCorruptedError(
                    forKey: .residualTolerance, in: c, debugDescription: "expected \"superlinear\" or a number in (0, 1), got \"\(name)\"")
            }
            tolerance = .superlinear
        }
        self.init(learningRate: try c.decode(.learningRate, default: d.learningRate),
                  lineSearch: try c.decode(.lineSearch, default: d.lineSearch),
                  gradientTolerance: try c.decode(.gradientTolerance, default: d.gradientTolerance),
                  residualTolerance: tolerance,
                  maximumIterations: try c.decodeIfPresent(Int.self, forKey: .maximumIterations) ?? d.maximumIterations)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(lineSearch, forKey: .lineSearch)
        try c.encode(gradientTolerance, forKey: .gradientTolerance)
        switch residualTolerance {
        case .superlinear: try c.encode("superlinear", forKey: .residualTolerance)
        case .relative(let eta): try c.encode(eta, forKey: .residualTolerance)
        }
        try c.encodeIfPresent(maximumIterations, forKey: .maximumIterations)
    }
}
