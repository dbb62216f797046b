import Loom
import LoomNN

/// An algorithm that updates parameters from their gradients, or (Newton-type methods) from
/// a loss it evaluates itself.
///
/// Every optimizer has typed, validated hyperparameters (its `Hyperparameters` value, where
/// each default is declared once), per-parameter state created lazily on the first step
/// (keyed by the parameter's identity), and one pure update function that holds its math and
/// nothing else. Updates happen in place, outside the autodiff graph.
///
/// One step form serves every optimizer: ``step(loss:)``. A first-order optimizer uses the
/// gradients already accumulated in its parameters when `loss` is nil, or computes them from
/// `loss` itself (as PyTorch's `optimizer.step(closure)`); a method that
/// ``requiresLossClosure`` (Newton's) differentiates `loss` twice or re-evaluates it in a line
/// search, and throws without one.
public protocol Optimizer: AnyObject {
    /// The parameters this optimizer updates, in a fixed order (state is saved by index).
    var parameters: [Parameter] { get }

    /// The step size α. Schedules change it between steps.
    var learningRate: Double { get set }

    /// How many steps have been taken.
    var stepCount: Int { get }

    /// Whether ``step(loss:)`` needs the loss closure (second-order methods and line
    /// searches evaluate the loss themselves and ignore accumulated gradients).
    var requiresLossClosure: Bool { get }

    /// Takes one step and reports the loss around it.
    ///
    /// - Parameter loss: computes the loss from the parameters' current values (no
    ///   `backward()`, no `zeroGradients()`: the optimizer does what it needs). Optional for
    ///   first-order optimizers (nil: use the accumulated gradients), required when
    ///   ``requiresLossClosure``.
    @discardableResult
    func step(loss: (() throws -> Tensor)?) throws -> StepReport

    /// The iterate θ the optimizer is at, for `parameter`: what evaluation, reports and
    /// checkpoints must use. It is the parameter's value, except for methods that hold
    /// another point in the parameters between steps (the lecture's Nesterov momentum holds
    /// the look-ahead point `θ − αu`, where the next gradient is taken).
    func iterate(of parameter: Parameter) -> Tensor

    /// The optimizer's state as named tensors (`"<parameter index>.<slot>"`, plus
    /// `"stepCount"`), for checkpoints.
    func stateDictionary() -> [String: Tensor]

    /// Restores state saved by ``stateDictionary()``; throws ``OptimizerError`` when it does
    /// not fit these parameters, leaving the current state unchanged.
    func loadStateDictionary(_ state: [String: Tensor]) throws
}

/// What one optimizer step measured. First-order optimizers know the loss only when they
/// were given the loss closure; Newton-type methods report the loss and gradient norm
/// before and after the step.
public struct StepReport: Sendable, Equatable {
    /// `f(θ)` before the step (nil: the optimizer did not evaluate it).
    public var loss: Double?
    /// `f(θ)` after the step, when it was evaluated.
    public var lossAfterStep: Double?
    /// `‖∇f(θ)‖₂` before the step, when computed.
    public var gradientNorm: Double?
    /// `‖∇f(θ)‖₂` after the step, when computed.
    public var gradientNormAfterStep: Double?

    /// A report with whatever the step measured.
    public init(loss: Double? = nil, lossAfterStep: Double? = nil, gradientNorm: Double? = nil,
                gradientNormAfterStep: Double? = nil) {
        self.loss = loss
        self.lossAfterStep = lossAfterStep
        self.gradientNorm = gradientNorm
        self.gradientNormAfterStep = gradientNormAfterStep
    }
}

extension Optimizer {
    /// One step on the accumulated gradients (first-order optimizers), or on the optimizer's
    /// own loss closure (``Newton/objective``). Traps when the step throws: call
    /// ``step(loss:)`` to handle errors.
    public func step() {
        do { try step(loss: nil) } catch { preconditionFailure("\(type(of: self)).step(): \(error)") }
    }

    /// Drops every parameter's accumulated gradient.
    public func zeroGradients() { parameters.forEach { $0.zeroGradient() } }

    /// By default the iterate is the parameter's value.
    public func iterate(of parameter: Parameter) -> Tensor { parameter.value.detached() }

    /// Runs `body` with every parameter set to its ``iterate(of:)`` and restores the held
    /// points afterwards (even when `body` throws): evaluation, reports and checkpoints go
    /// through here so that they see θ.
    public func withParametersAtIterate<R>(_ body: () throws -> R) rethrows -> R {
        let held = parameters.map(\.value)
        let iterates = parameters.map { iterate(of: $0) }
        let moved = zip(held, iterates).contains { !$0.sharesStorage(with: $1) }
        guard moved else { return try body() }
        for (parameter, value) in zip(parameters, iterates) { parameter.value = value }
        defer { for (parameter, value) in zip(parameters, held) { parameter.value = value } }
        return try body()
    }
}

extension [Parameter] {
    /// Each parameter once, at its first occurrence (a parameter listed twice would otherwise
    /// be updated, or counted, twice).
    func distinct() -> [Parameter] {
        var seen = Set<ObjectIdentifier>()
        return filter { seen.insert(ObjectIdentifier($0)).inserted }
    }
}

/// Errors from optimizers: bad hyperparameters from outside, state that does not fit, or a
/// problem too large for a method.
public enum OptimizerError: Error, Equatable, CustomStringConvertible {
    case invalidHyperparameter(name: String, value: Double, requirement: String)
    case stateMismatch(String)
    case problemTooLarge(String)
    /// A Newton-type method was stepped without a loss closure.
    case missingLossClosure(String)

    public var description: String {
        switch self {
        case let .invalidHyperparameter(name, value, requirement):
            "invalid \(name) \(value): \(requirement)"
        case let .stateMismatch(message): "optimizer state does not fit: \(message)"
        case let .problemTooLarge(message): message
        case let .missingLossClosure(method): "\(method) evaluates the loss itself: call step(loss:) with a loss closure, or set objective"
        }
    }
}
