import Loom
import LoomNN

// What Newton's method and Newton-CG share: the protocol for optimizers that re-evaluate the
// loss, the line-search options, the per-step diagnostics and the size guard.

/// An optimizer that needs to evaluate the loss itself, not only read gradients: second-order
/// methods differentiate the gradient again and line searches try several points.
///
/// The closure computes the loss from the parameters' current values (``Parameter/value``),
/// for example `{ softmaxCrossEntropy(logits: model(x), labels: y) }`. It should only compute
/// the loss (no `backward()`, no `zeroGradients()`): the optimizer may call it several times
/// per step, with the parameters temporarily replaced by other points or by views of a flat
/// vector that it differentiates with respect to. This is PyTorch's `optimizer.step(closure)`
/// (as for `LBFGS`), except that the closure does not call `backward()`.
///
/// The ``Optimizer/step()`` requirement of such an optimizer takes a step on ``objective``,
/// the loss closure it was given (at construction, or later), and traps when it has none, so
/// that code written against ``Optimizer`` can still drive it.
public protocol ClosureOptimizer: Optimizer {
    /// The loss closure the plain ``Optimizer/step()`` uses.
    var objective: (() -> Tensor)? { get set }

    /// Takes one step on the loss that `loss` computes; returns the loss before the step.
    @discardableResult
    func step(loss: () throws -> Tensor) throws -> Double
}

extension ClosureOptimizer {
    /// One step on ``objective``. Traps when there is none, or when the step throws (for
    /// ``Newton``: the problem grew past its parameter limit); use ``step(loss:)`` to handle
    /// errors.
    public func step() {
        guard let objective else {
            preconditionFailure("\(type(of: self)): step() needs a loss; set objective, or call step(loss:)")
        }
        do { try step(loss: objective) } catch { preconditionFailure("\(type(of: self)): \(error)") }
    }
}

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
                + "Use NewtonCG (Hessian-free) or raise maximumParameterCount.")
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
