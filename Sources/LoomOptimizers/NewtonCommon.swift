import Loom
import LoomNN

// What Newton's method and Newton-CG share: the line-search options, the per-step
// diagnostics, the size guard and the state they keep.

/// How far to move along a Newton direction `p` once it is known.
public enum NewtonLineSearch: Sendable, Equatable {
    /// Always the step `α p`, with `α` the optimizer's learning rate (α = 1: the full
    /// Newton step; α < 1: damped Newton).
    case none
    /// Backtracking from `t = α`: accept the first `t ∈ {α, ρα, ρ²α, …}` with the Armijo
    /// sufficient-decrease condition
    ///
    ///     f(θ + t p) ≤ f(θ) + c · t · ∇f(θ)ᵀp
    ///
    /// (`c` = `sufficientDecrease`, `ρ` = `contraction`). When `maximumTrials` trials all
    /// fail, the parameters stay where they were and the step reports
    /// ``NewtonStepReport/Outcome/lineSearchFailed``.
    ///
    /// Reference: J. Nocedal, S. J. Wright, *Numerical Optimization*, 2nd ed., Algorithm 3.1.
    case backtracking(sufficientDecrease: Double = 1e-4, contraction: Double = 0.5, maximumTrials: Int = 40)

    /// Backtracking with the textbook constants `c = 10⁻⁴`, `ρ = ½`, at most 40 trials.
    public static let armijo = NewtonLineSearch.backtracking()

    func validate() throws {
        guard case let .backtracking(c, rho, trials) = self else { return }
        guard c > 0 && c < 1 else {
            throw OptimizerError.invalidHyperparameter(name: "sufficientDecrease", value: c, requirement: "must be in (0, 1)")
        }
        guard rho > 0 && rho < 1 else {
            throw OptimizerError.invalidHyperparameter(name: "contraction", value: rho, requirement: "must be in (0, 1)")
        }
        guard trials >= 1 else {
            throw OptimizerError.invalidHyperparameter(name: "maximumTrials", value: Double(trials), requirement: "must be at least 1")
        }
    }
}

/// What one step of ``Newton`` or ``NewtonCG`` did, for diagnostics and tests.
public struct NewtonStepReport: Sendable, Equatable {
    /// How a step ended.
    public enum Outcome: Sendable, Equatable {
        /// The parameters moved.
        case updated
        /// `‖∇f(θ)‖ ≤ gradientTolerance`: the parameters stayed.
        case converged
        /// No trial step satisfied the Armijo condition: the parameters stayed.
        case lineSearchFailed
        /// The loss or the gradient was NaN or infinite: the parameters stayed.
        case nonFinite
    }

    public var outcome: Outcome
    /// `f(θ)` before the step.
    public var loss: Double
    /// `f(θ)` after the step (equal to ``loss`` when the parameters stayed; nil when the loss
    /// before the step was not finite).
    public var lossAfterStep: Double?
    /// `‖∇f(θ)‖₂` after the step (equal to ``gradientNorm`` when the parameters stayed).
    public var gradientNormAfterStep: Double?
    /// `f` after the step, when the line search evaluated it (nil without a line search).
    public var newLoss: Double?
    /// `‖∇f(θ)‖₂` before the step, over all trainable parameters.
    public var gradientNorm: Double
    /// The shift `λ` of `H + λI` that made the system positive definite (0: the exact
    /// Newton system). Always 0 for ``NewtonCG``.
    public var damping: Double = 0
    /// The directional derivative `∇f(θ)ᵀp` of the direction `p` (negative: descent).
    public var directionalDerivative: Double = 0
    /// The step size `t` taken along `p` (α, or what backtracking accepted); 0 when the
    /// parameters stayed.
    public var stepSize: Double = 0
    /// How many trial points the line search evaluated.
    public var lineSearchTrials: Int = 0
    /// How many conjugate-gradient iterations (Hessian-vector products) ``NewtonCG`` ran.
    public var conjugateGradientIterations: Int = 0
    /// Whether ``NewtonCG`` met a direction of non-positive curvature and stopped there.
    public var foundNegativeCurvature: Bool = false

    /// Whether the safeguard shifted the Hessian (`λ > 0`).
    public var wasSafeguarded: Bool { damping > 0 }

    /// The loss and gradient norm around the step, as every optimizer reports them.
    public var summary: StepReport {
        StepReport(loss: loss, lossAfterStep: lossAfterStep, gradientNorm: gradientNorm,
                   gradientNormAfterStep: gradientNormAfterStep)
    }
}

extension NewtonLineSearch: Codable {
    /// `"none"`, `"armijo"` (the textbook constants), or an object with
    /// `sufficientDecrease`, `contraction` and `maximumTrials` (missing ones: Armijo's).
    public init(from decoder: any Decoder) throws {
        if let name = try? decoder.singleValueContainer().decode(String.self) {
            switch name {
            case "none": self = .none
            case "armijo": self = .armijo
            default:
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath, debugDescription: "unknown line search \"\(name)\" (none, armijo, or an object)"))
            }
            return
        }
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        guard case let .backtracking(c0, rho0, trials0) = NewtonLineSearch.armijo else { preconditionFailure("unreachable") }
        self = .backtracking(sufficientDecrease: try c.decode(AnyCodingKey("sufficientDecrease"), default: c0),
                             contraction: try c.decode(AnyCodingKey("contraction"), default: rho0),
                             maximumTrials: try c.decode(AnyCodingKey("maximumTrials"), default: trials0))
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .none:
            var c = encoder.singleValueContainer()
            try c.encode("none")
        case .armijo:
            var c = encoder.singleValueContainer()
            try c.encode("armijo")
        case let .backtracking(sufficientDecrease, contraction, maximumTrials):
            var c = encoder.container(keyedBy: AnyCodingKey.self)
            try c.encode(sufficientDecrease, forKey: AnyCodingKey("sufficientDecrease"))
            try c.encode(contraction, forKey: AnyCodingKey("contraction"))
            try c.encode(maximumTrials, forKey: AnyCodingKey("maximumTrials"))
        }
    }
}

/// The size guard of dense second-order methods.
enum DenseHessianLimit {
    /// Throws ``OptimizerError/problemTooLarge(_:)`` when an `n × n` float64 matrix for `n`
    /// parameters exceeds `maximumParameterCount`, naming the count and the memory.
    static func check(parameterCount n: Int, maximumParameterCount limit: Int, method: String) throws {
        guard n > limit else { return }
        let needed = Double(n) * Double(n) * 8
        let allowed = Double(limit) * Double(limit) * 8
        throw OptimizerError.problemTooLarge(
            "\(method): \(n) trainable parameters need a dense \(n) × \(n) Hessian of \(formattedByteCount(needed)) "
                + "(n² × 8 bytes); the limit is \(limit) parameters (\(formattedByteCount(allowed))). "
                + "Use Newton-CG (Hessian-free) or raise the limit (maximumParameterCount).")
    }
}

/// `bytes` in binary units with one decimal: `512 bytes`, `1.5 KiB`, `762.9 MiB`, `2.0 GiB`.
func formattedByteCount(_ bytes: Double) -> String {
    let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    guard bytes >= 1024 else { return "\(Int(bytes)) bytes" }
    var value = bytes / 1024
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10) \(units[unit])"
}
