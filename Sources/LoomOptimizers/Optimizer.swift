import Loom
import LoomNN

/// An algorithm that updates parameters from their gradients.
///
/// Every optimizer has typed, validated hyperparameters, per-parameter state created lazily
/// on the first step (keyed by the parameter's identity), and one pure update function that
/// holds its math and nothing else. Updates happen in place, outside the autodiff graph.
public protocol Optimizer: AnyObject {
    /// The parameters this optimizer updates, in a fixed order (state is saved by index).
    var parameters: [Parameter] { get }

    /// The step size α. Schedules change it between steps.
    var learningRate: Double { get set }

    /// How many steps have been taken.
    var stepCount: Int { get }

    /// Applies one update to every unfrozen parameter that has a gradient.
    func step()

    /// The optimizer's state as named tensors (`"<parameter index>.<slot>"`, plus
    /// `"stepCount"`), for checkpoints.
    func stateDictionary() -> [String: Tensor]

    /// Restores state saved by ``stateDictionary()``; throws ``OptimizerError`` when it does
    /// not fit these parameters, leaving the current state unchanged.
    func loadStateDictionary(_ state: [String: Tensor]) throws
}

extension Optimizer {
    /// Drops every parameter's accumulated gradient.
    public func zeroGradients() { parameters.forEach { $0.zeroGradient() } }
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

    public var description: String {
        switch self {
        case let .invalidHyperparameter(name, value, requirement):
            "invalid \(name) \(value): \(requirement)"
        case let .stateMismatch(message): "optimizer state does not fit: \(message)"
        case let .problemTooLarge(message): message
        }
    }
}
