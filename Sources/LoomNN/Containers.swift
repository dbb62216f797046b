import Loom

// Modules that compose other modules.

/// Modules applied in order: `fₙ(… f₂(f₁(x)))`.
///
/// The layers are the stored array ``layers``, so their parameters have paths
/// `layers.0.weight`, `layers.0.bias`, `layers.2.weight`, … (a layer without parameters
/// still takes its index). Subclasses (``MLP``, ``MLPResNet``) build the array themselves.
open class Sequential: Module {
    /// The layers, applied first to last.
    public let layers: [Module]

    /// A sequence of `layers`.
    public init(_ layers: [Module]) {
        self.layers = layers
        super.init()
    }

    /// A sequence of `layers`.
    public convenience init(_ layers: Module...) { self.init(layers) }

    /// Each layer applied to the previous one's output; the shapes are the layers'. A ``Linear``
    /// directly followed by a ``ReLU`` runs as one fused GEMM + ReLU (`Tensor.affineReLU`),
    /// which gives the same values as the two layers one after the other.
    open override func forward(_ input: Tensor) -> Tensor {
        var output = input
        var index = 0
        while index < layers.count {
            if index + 1 < layers.count, let linear = layers[index] as? Linear, layers[index + 1] is ReLU {
                output = linear.forwardThroughReLU(output)
                index += 2
            } else {
                output = layers[index](output)
                index += 1
            }
        }
        return output
    }
}

/// Merges axes into one: by default every axis but the first, `[batch, d₁, …, dₖ] →
/// [batch, d₁·…·dₖ]` (PyTorch's `nn.Flatten`). A view when the layout allows it.
public final class Flatten: Module {
    /// The first merged axis.
    public let startAxis: Int
    /// The last merged axis (inclusive; negative counts from the end).
    public let endAxis: Int

    /// Merges axes `startAxis…endAxis` (by default 1…−1: all but the batch axis).
    public init(startAxis: Int = 1, endAxis: Int = -1) {
        self.startAxis = startAxis
        self.endAxis = endAxis
        super.init()
    }

    /// `[batch, d₁, …, dₖ] → [batch, d₁·…·dₖ]` (for the default axes).
    public override func forward(_ input: Tensor) -> Tensor {
        input.flattened(startAxis: startAxis, endAxis: endAxis)
    }
}

/// A skip connection around a module: `x + f(x)` (He et al., 2016). `f` must keep the
/// shape, `[…] → […]`. Its parameters have paths `body.…`.
public final class Residual: Module {
    /// The module `f`.
    public let body: Module

    /// `x + body(x)`.
    public init(_ body: Module) {
        self.body = body
        super.init()
    }

    /// `x + f(x)`: `[…] → […]`.
    public override func forward(_ input: Tensor) -> Tensor {
        let output = body(input)
        precondition(output.shape == input.shape,
                     "Residual: the body maps \(input.shape) to \(output.shape); a residual needs the same shape")
        return input + output
    }
}
