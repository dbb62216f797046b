import Loom

/// A trainable tensor in a reference box, so that modules can share it and optimizers can
/// key their per-parameter state on its identity.
///
/// The value is a leaf of the autodiff graph: a forward pass that uses it records it, and
/// `backward()` accumulates into ``gradient``. A frozen parameter does not require a
/// gradient, so no gradient reaches it and optimizers skip it.
public final class Parameter {
    /// The current value. Assigning a new tensor keeps the parameter trainable (a new leaf);
    /// the accumulated gradient is dropped.
    public var value: Tensor {
        didSet { value.requiresGradient = !isFrozen }
    }

    /// Whether training leaves this parameter unchanged.
    public var isFrozen: Bool {
        didSet { value.requiresGradient = !isFrozen }
    }

    /// A parameter holding `value` (made a leaf that requires a gradient unless `frozen`).
    public init(_ value: Tensor, frozen: Bool = false) {
        precondition(value.dtype.isFloatingPoint, "Parameter: needs a floating-point tensor, got \(value.dtype)")
        var leaf = value.detached()
        leaf.requiresGradient = !frozen
        self.value = leaf
        self.isFrozen = frozen
    }

    /// The gradient accumulated by the last backward passes, or nil.
    public var gradient: Tensor? {
        get { isFrozen ? nil : value.gradient }
        set { if !isFrozen { value.gradient = newValue } }
    }

    /// The value's shape.
    public var shape: [Int] { value.shape }

    /// The number of scalars.
    public var count: Int { value.count }

    /// Gives write access to the value's elements in place (for optimizer updates; no graph
    /// is recorded). Copies first only when another tensor shares the storage.
    ///
    /// NOTE: writing through `parameter.value` from another module is a get-then-set (the
    /// property has a `didSet`), so the storage always looks shared and every write would
    /// copy the whole tensor; this method mutates inside this module, where it does not.
    public func withUnsafeMutableScalars<T: TensorScalar, R>(
        _ type: T.Type, _ body: (UnsafeMutableBufferPointer<T>) throws -> R
    ) rethrows -> R {
        try value.withUnsafeMutableScalars(type, body)
    }

    /// Drops the accumulated gradient.
    public func zeroGradient() {
        if !isFrozen { value.gradient = nil }
    }
}
