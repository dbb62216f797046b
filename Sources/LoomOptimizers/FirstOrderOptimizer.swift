import Loom
import LoomNN

/// What every first-order optimizer shares, in the spirit of PyTorch's `Optimizer` and
/// mlx-swift's `OptimizerBase`: the parameter list, the learning rate and step count,
/// per-parameter state (created on a parameter's first update, saved and restored by index),
/// the element-type dispatch and the loss-closure form of ``step(loss:)``.
///
/// A first-order optimizer is then its hyperparameters plus its update rule: a subclass
/// declares its state slots at `init` and overrides `update(_:gradient:state:)`, which
/// receives raw buffers of one parameter, its gradient and its state in the parameter's own
/// element type (the rule spreads its independent elements over the kernel threads itself).
public class FirstOrderOptimizer: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Double
    public private(set) var stepCount = 0
    var store: ParameterStateStore

    /// Parameters are kept once each (first occurrence first); `bufferSlots` and
    /// `scalarSlots` name the state every parameter gets.
    init(parameters: [Parameter], learningRate: Double, bufferSlots: [ParameterStateStore.BufferSlot],
         scalarSlots: [String] = []) {
        store = ParameterStateStore(parameters: parameters, bufferSlots: bufferSlots, scalarSlots: scalarSlots)
        self.parameters = store.parameters
        self.learningRate = learningRate
    }

    public var requiresLossClosure: Bool { false }

    /// With `loss`, computes the gradients first (fresh: accumulated ones are dropped) and
    /// reports the loss; then applies one update to every unfrozen parameter that has a
    /// gradient. A non-finite loss is reported and no step is taken.
    @discardableResult
    public func step(loss: (() throws -> Tensor)?) throws -> StepReport {
        var report = StepReport()
        if let loss {
            let lossValue = try computeGradients(loss)
            report.loss = lossValue
            guard lossValue.isFinite else { return report }
        }
        stepCount += 1
        store.forEachUpdate { parameter, state in
            switch parameter.value.dtype {
            case .float32: parameter.withValueAndGradient(Float.self) { update($0, gradient: $1, state: state) }
            default: parameter.withValueAndGradient(Double.self) { update($0, gradient: $1, state: state) }
            }
        }
        return report
    }

    /// Fresh gradients of `loss` (when it is finite) and its value. The graph is gone when this
    /// returns: while a graph holds the parameters, each in-place write would copy them.
    private func computeGradients(_ loss: () throws -> Tensor) throws -> Double {
        let value = try withGradients { try loss() }
        let lossValue = LoomOptimizers.lossValue(value)
        zeroGradients()
        if lossValue.isFinite { value.backward() }
        return lossValue
    }

    /// The update rule for one parameter (overridden by every subclass): `value` is updated
    /// in place from `gradient`, with `state` (its `step` already counts this update).
    func update<T: OptimizerScalar>(_ value: UnsafeMutableBufferPointer<T>, gradient: UnsafeBufferPointer<T>,
                                    state: ParameterState) {
        preconditionFailure("\(type(of: self)) does not override update(_:gradient:state:)")
    }

    /// Whether the parameters hold a point other than the iterate between steps (then the
    /// held point is part of the state, so that a resumed run continues from it exactly).
    var holdsPointOtherThanIterate: Bool { false }

    public func iterate(of parameter: Parameter) -> Tensor { parameter.value.detached() }

    public func stateDictionary() -> [String: Tensor] {
        var state = store.dictionary(stepCount: stepCount)
        guard holdsPointOtherThanIterate else { return state }
        for (index, parameter) in parameters.enumerated() where store.state(of: parameter) != nil {
            state["\(index).\(Self.heldPointSlot)"] = parameter.value.detached()
        }
        return state
    }

    public func loadStateDictionary(_ state: [String: Tensor]) throws {
        let suffix = "." + Self.heldPointSlot
        let held = state.filter { $0.key.hasSuffix(suffix) }
        guard holdsPointOtherThanIterate || held.isEmpty else {
            throw OptimizerError.stateMismatch("unknown key \"\(held.keys.sorted()[0])\"")
        }
        var points: [(Parameter, Tensor)] = []
        for (key, tensor) in held {
            guard let index = Int(key.dropLast(suffix.count)), parameters.indices.contains(index) else {
                throw OptimizerError.stateMismatch("key \"\(key)\" names no parameter")
            }
            let parameter = parameters[index]
            guard tensor.shape == parameter.shape, tensor.dtype == parameter.value.dtype else {
                throw OptimizerError.stateMismatch(
                    "\"\(key)\" is \(tensor.dtype) \(tensor.shape), parameter \(index) is \(parameter.value.dtype) \(parameter.shape)")
            }
            points.append((parameter, tensor))
        }
        stepCount = try store.load(state.filter { !$0.key.hasSuffix(suffix) })
        // A checkpoint from before the held point was saved holds it in the model's weights.
        for (parameter, tensor) in points { parameter.value = tensor.contiguous().detached() }
    }

    /// The state slot holding the point the parameters hold (see ``holdsPointOtherThanIterate``).
    static var heldPointSlot: String { "heldPoint" }
}
