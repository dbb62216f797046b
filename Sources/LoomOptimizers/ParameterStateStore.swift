import Loom
import LoomNN

// The machinery every first-order optimizer shares: per-parameter state created lazily and
// keyed on the parameter's identity, its checkpoint form (by parameter index), and the step
// loop that hands each update function raw buffers of the parameter, its gradient and its
// state, in the parameter's own element type.

/// The floating-point element types optimizers update in place: `Float` and `Double`.
public typealias OptimizerScalar = BinaryFloatingPoint & TensorScalar

/// A contiguous buffer of one parameter's optimizer state (a momentum, a moment estimate),
/// of the parameter's shape and element type.
///
/// Owned here rather than held as a `Tensor` so that its address is stable and writing it
/// never needs a uniqueness check; ``tensor()`` and ``init(copying:)`` copy at checkpoint time.
final class StateBuffer {
    let dtype: DType
    let shape: [Int]
    let count: Int
    private let bytes: UnsafeMutableRawPointer

    /// A buffer of `shape` and `dtype` (float32 or float64) with every element `value`.
    init(shape: [Int], dtype: DType, value: Double) {
        precondition(dtype.isFloatingPoint, "optimizer state: \(dtype) is not a floating-point type")
        self.dtype = dtype
        self.shape = shape
        self.count = shape.reduce(1, *)
        bytes = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * dtype.byteSize, alignment: 64)
        switch dtype {
        case .float32: bytes.initializeMemory(as: Float.self, repeating: Float(value), count: count)
        default: bytes.initializeMemory(as: Double.self, repeating: value, count: count)
        }
    }

    /// A buffer holding a copy of `tensor`'s values.
    convenience init(copying tensor: Tensor) {
        self.init(shape: tensor.shape, dtype: tensor.dtype, value: 0)
        switch dtype {
        case .float32: tensor.withUnsafeScalars(Float.self) { copy(from: $0) }
        default: tensor.withUnsafeScalars(Double.self) { copy(from: $0) }
        }
    }

    deinit { bytes.deallocate() }

    private func copy<T: OptimizerScalar>(from source: UnsafeBufferPointer<T>) {
        _ = buffer(T.self).initialize(from: source)
    }

    /// The elements as `T`, which must be the buffer's element type.
    func buffer<T: OptimizerScalar>(_ type: T.Type) -> UnsafeMutableBufferPointer<T> {
        precondition(T.dtype == dtype, "optimizer state: buffer is \(dtype), not \(T.dtype)")
        return UnsafeMutableBufferPointer(start: bytes.assumingMemoryBound(to: T.self), count: count)
    }

    /// A tensor holding a copy of the values.
    func tensor() -> Tensor {
        switch dtype {
        case .float32: Tensor(shape: shape, scalars: Array(UnsafeBufferPointer(buffer(Float.self))))
        default: Tensor(shape: shape, scalars: Array(UnsafeBufferPointer(buffer(Double.self))))
        }
    }
}

/// One parameter's state: how many updates it has had, its buffers, and scalar slots.
final class ParameterState {
    /// Updates applied to this parameter (bias corrections count from 1 on its first).
    var step: Int
    /// One buffer per ``ParameterStateStore/bufferSlots`` entry, in that order.
    let buffers: [StateBuffer]
    /// One value per ``ParameterStateStore/scalarSlots`` entry, in that order.
    var scalars: [Double]

    init(step: Int, buffers: [StateBuffer], scalars: [Double]) {
        self.step = step
        self.buffers = buffers
        self.scalars = scalars
    }
}

/// The per-parameter state of one optimizer: which slots each parameter has, the state
/// itself (created on a parameter's first update), and its checkpoint form.
struct ParameterStateStore {
    /// A named buffer and the value it starts at.
    struct BufferSlot {
        var name: String
        var initialValue: Double = 0
    }

    let parameters: [Parameter]
    let bufferSlots: [BufferSlot]
    /// Named per-parameter scalars, starting at 0, saved as rank-0 float64 tensors.
    let scalarSlots: [String]
    private(set) var states: [ObjectIdentifier: ParameterState] = [:]

    /// A store for `parameters` (each kept once, first occurrence first: a duplicate would
    /// be updated twice per step).
    init(parameters: [Parameter], bufferSlots: [BufferSlot], scalarSlots: [String] = []) {
        self.parameters = parameters.distinct()
        self.bufferSlots = bufferSlots
        self.scalarSlots = scalarSlots
    }

    /// The state of `parameter`, or nil before its first update.
    func state(of parameter: Parameter) -> ParameterState? { states[ObjectIdentifier(parameter)] }

    /// Calls `body` for every unfrozen parameter that has a gradient, with its state
    /// (created now when missing, with `step` already advanced for this update).
    mutating func forEachUpdate(_ body: (Parameter, ParameterState) -> Void) {
        for parameter in parameters where !parameter.isFrozen && parameter.gradient != nil {
            let key = ObjectIdentifier(parameter)
            let state = states[key] ?? makeState(for: parameter)
            states[key] = state
            state.step += 1
            body(parameter, state)
        }
    }

    private func makeState(for parameter: Parameter) -> ParameterState {
        let value = parameter.value
        return ParameterState(
            step: 0,
            buffers: bufferSlots.map { StateBuffer(shape: value.shape, dtype: value.dtype, value: $0.initialValue) },
            scalars: scalarSlots.map { _ in 0 })
    }

    // MARK: Checkpoints

    /// `"<index>.step"` (int64), `"<index>.<buffer>"` and `"<index>.<scalar>"` (float64) for
    /// every parameter that has state, plus `"stepCount"`.
    func dictionary(stepCount: Int) -> [String: Tensor] {
        var result = ["stepCount": Tensor(Double(stepCount), dtype: .int64)]
        for (index, parameter) in parameters.enumerated() {
            guard let state = state(of: parameter) else { continue }
            result["\(index).step"] = Tensor(Double(state.step), dtype: .int64)
            for (slot, buffer) in zip(bufferSlots, state.buffers) { result["\(index).\(slot.name)"] = buffer.tensor() }
            for (name, value) in zip(scalarSlots, state.scalars) { result["\(index).\(name)"] = Tensor(value, dtype: .float64) }
        }
        return result
    }

    /// Replaces the state with the one in `dictionary`, returning its step count; throws
    /// ``OptimizerError/stateMismatch(_:)`` (leaving the state as it was) when a key is
    /// unknown or missing, or a buffer's shape or element type differs from its parameter's.
    mutating func load(_ dictionary: [String: Tensor]) throws -> Int {
        let stepCount = try Self.count(dictionary["stepCount"], named: "stepCount")
        var indices = Set<Int>()
        for key in dictionary.keys where key != "stepCount" {
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            let names = ["step"] + bufferSlots.map(\.name) + scalarSlots
            guard parts.count == 2, let index = Int(parts[0]), names.contains(parts[1]) else {
                throw OptimizerError.stateMismatch("unknown key \"\(key)\"")
            }
            guard parameters.indices.contains(index) else {
                throw OptimizerError.stateMismatch("key \"\(key)\" names parameter \(index), but there are \(parameters.count)")
            }
            indices.insert(index)
        }
        var loaded: [ObjectIdentifier: ParameterState] = [:]
        for index in indices.sorted() {
            loaded[ObjectIdentifier(parameters[index])] = try state(at: index, from: dictionary)
        }
        states = loaded
        return stepCount
    }

    private func state(at index: Int, from dictionary: [String: Tensor]) throws -> ParameterState {
        let value = parameters[index].value
        let step = try Self.count(dictionary["\(index).step"], named: "\(index).step")
        let buffers = try bufferSlots.map { slot in
            let key = "\(index).\(slot.name)"
            guard let tensor = dictionary[key] else { throw OptimizerError.stateMismatch("missing \"\(key)\"") }
            guard tensor.shape == value.shape, tensor.dtype == value.dtype else {
                throw OptimizerError.stateMismatch(
                    "\"\(key)\" is \(tensor.dtype) \(tensor.shape), parameter \(index) is \(value.dtype) \(value.shape)")
            }
            return StateBuffer(copying: tensor)
        }
        let scalars = try scalarSlots.map { name in
            let key = "\(index).\(name)"
            guard let tensor = dictionary[key], tensor.count == 1, tensor.dtype.isFloatingPoint else {
                throw OptimizerError.stateMismatch("\"\(key)\" must be one floating-point number")
            }
            return tensor.item(Double.self)
        }
        return ParameterState(step: step, buffers: buffers, scalars: scalars)
    }

    private static func count(_ tensor: Tensor?, named name: String) throws -> Int {
        guard let tensor, tensor.count == 1 else {
            throw OptimizerError.stateMismatch("\"\(name)\" must be one non-negative integer")
        }
        let value = tensor.item(Double.self)
        guard value >= 0, value == value.rounded(), value < 1e15 else {
            throw OptimizerError.stateMismatch("\"\(name)\" must be a non-negative integer, got \(value)")
        }
        return Int(value)
    }
}

// MARK: - Raw access to a parameter and its gradient

extension Parameter {
    /// Calls `body` with the value's elements (written in place, outside the autodiff graph)
    /// and the gradient's, both as `T`, the value's element type.
    ///
    /// Precondition: the parameter has a gradient of its own shape. A gradient of another
    /// floating-point type is converted first.
    func withValueAndGradient<T: OptimizerScalar>(
        _ type: T.Type, _ body: (UnsafeMutableBufferPointer<T>, UnsafeBufferPointer<T>) -> Void
    ) {
        guard var gradient else { preconditionFailure("optimizer: parameter has no gradient") }
        precondition(gradient.shape == value.shape,
                     "optimizer: gradient of shape \(gradient.shape) for a parameter of shape \(value.shape)")
        if gradient.dtype != T.dtype { gradient = withoutGradients { gradient.cast(to: T.dtype) } }
        withUnsafeMutableScalars(T.self) { parameterBuffer in
            gradient.withUnsafeScalars(T.self) { body(parameterBuffer, $0) }
        }
    }
}

/// Validation helpers for hyperparameters given from outside.
enum Hyperparameter {
    /// Throws unless `value` is finite and at least `lowerBound` (or above it, when `strict`).
    static func require(_ name: String, _ value: Double, atLeast lowerBound: Double, strict: Bool = false) throws {
        let valid = value.isFinite && (strict ? value > lowerBound : value >= lowerBound)
        guard valid else {
            let requirement = strict ? "must be finite and > \(lowerBound)" : "must be finite and ≥ \(lowerBound)"
            throw OptimizerError.invalidHyperparameter(name: name, value: value, requirement: requirement)
        }
    }

    /// Throws unless `value` is in `[0, 1)`.
    static func requireUnitInterval(_ name: String, _ value: Double) throws {
        guard value >= 0 && value < 1 else {
            throw OptimizerError.invalidHyperparameter(name: name, value: value, requirement: "must be in [0, 1)")
        }
    }
}

/// `x^n` for a non-negative integer `n`, by repeated squaring: the `βᵗ` of bias corrections,
/// without a Foundation dependency.
func integerPower(_ x: Double, _ n: Int) -> Double {
    var result = 1.0, base = x, exponent = n
    while exponent > 0 {
        if exponent & 1 == 1 { result *= base }
        base *= base
        exponent >>= 1
    }
    return result
}
