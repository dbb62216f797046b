import Loom

/// Non-trainable module state in a reference box: a running mean, a running variance, a step
/// counter. Found by ``Module/namedBuffers()`` the way parameters are found, so checkpoints
/// save and restore it, but never handed to an optimizer and never differentiated.
///
/// PyTorch calls these "buffers" (`register_buffer`); MLX keeps them as plain array
/// attributes. The value is always stored without a graph.
public final class Buffer {
    /// The current value (stored detached: assigning a tensor with a graph drops the graph).
    public var value: Tensor {
        didSet { if value.requiresGradient { value = value.detached() } }
    }

    /// A buffer holding `value` (detached).
    public init(_ value: Tensor) {
        self.value = value.detached()
    }

    /// The value's shape.
    public var shape: [Int] { value.shape }

    /// The number of scalars.
    public var count: Int { value.count }
}
