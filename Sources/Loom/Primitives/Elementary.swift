// Unary elementary-function primitives and their vector-Jacobian products.

extension Tensor {
    /// Records a unary primitive computed by `operation`'s kernel.
    private func unary(_ operation: UnaryOperation, savesOutput: Bool = false, pullback: @escaping Pullback) -> Tensor {
        precondition(dtype.isFloatingPoint, "\(operation.rawValue): needs a floating-point tensor, got \(dtype)")
        return Tensor.record(Primitive(rawValue: operation.rawValue)!, Kernels.unary(operation, self), inputs: [self], savesOutput: savesOutput, pullback: pullback)
    }

    /// `eˣ` elementwise. ∂/∂x = eˣ (the output itself).
    public func exp() -> Tensor {
        unary(.exp, savesOutput: true) { g, y, _ in [g * y] }
    }

    /// The natural logarithm elementwise (NaN below 0, −∞ at 0). ∂/∂x = 1/x.
    public func log() -> Tensor {
        unary(.log) { g, _, x in [g / x[0]] }
    }

    /// `√x` elementwise. ∂/∂x = 1/(2√x).
    public func sqrt() -> Tensor {
        unary(.sqrt, savesOutput: true) { g, y, _ in [g * 0.5 / y] }
    }

    /// The hyperbolic tangent elementwise. ∂/∂x = 1 − tanh²x.
    public func tanh() -> Tensor {
        unary(.tanh, savesOutput: true) { g, y, _ in [g * (1 - y * y)] }
    }

    /// The logistic function σ(x) = 1/(1 + e⁻ˣ), computed without overflow. ∂/∂x = σ(1 − σ).
    public func sigmoid() -> Tensor {
        unary(.sigmoid, savesOutput: true) { g, y, _ in [g * y * (1 - y)] }
    }

    /// `max(x, 0)` elementwise. ∂/∂x = 1 where x > 0 and 0 elsewhere; at the kink x = 0 the
    /// derivative is taken as **0** (as in PyTorch and JAX).
    public func relu() -> Tensor {
        // Integer tensors have a ReLU too; they never carry gradients.
        Tensor.record(.relu, Kernels.unary(.relu, self), inputs: [self]) { g, _, x in [Tensor.reluPullback(g, x[0])] }
    }

    /// `g · (x > 0)`, the ReLU's pullback, in one fused pass where `g` and `x` have one
    /// floating type and `g` has `x`'s shape, possibly after leading batch axes (bit for bit
    /// the product: `g · 0` keeps NaN and the sign of 0).
    /// Recorded as the `where` it is, so it differentiates again: ∂/∂g is the same mask, and no
    /// gradient flows to `x` (piecewise constant).
    static func reluPullback(_ g: Tensor, _ x: Tensor) -> Tensor {
        guard g.rank >= x.rank, Array(g.shape.suffix(x.rank)) == x.shape, g.dtype == x.dtype, g.dtype.isFloatingPoint
        else { return g * (x .> 0) }
        let value = Kernels.reluPullback(g, x.detached())
        let input = x.detached()
        return record(.where, value, inputs: [g]) { gg, _, _ in [reluPullback(gg, input)] }
    }

    /// `|x|` elementwise (integers too). ∂/∂x = sign(x), with sign(0) = 0.
    public func abs() -> Tensor {
        Tensor.record(.abs, Kernels.unary(.abs, self), inputs: [self]) { g, _, x in [g * x[0].sign()] }
    }

    /// −1, 0 or 1 by the sign of each element. Piecewise constant: no gradient flows.
    public func sign() -> Tensor {
        Kernels.unary(.sign, self)
    }
}
