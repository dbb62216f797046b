// Arithmetic primitives. Each function computes its forward value with a kernel and records
// its vector-Jacobian product next to it, in tensor operations (so it is differentiable too).
// Cotangents may keep the broadcast output shape; the engine sums them back.

extension Tensor {
    /// The operands converted to their common element type (``DType/promoted(_:_:)``).
    static func promotedOperands(_ a: Tensor, _ b: Tensor) -> (Tensor, Tensor) {
        let common = DType.promoted(a.dtype, b.dtype)
        return (a.dtype == common ? a : a.cast(to: common), b.dtype == common ? b : b.cast(to: common))
    }

    /// A rank-0 tensor for a Swift number combined with `self`: it takes `self`'s element
    /// type (a "weak" scalar, as in JAX and PyTorch), except that a fractional number with an
    /// integer tensor becomes float32.
    func scalarOperand(_ value: Double) -> Tensor {
        let type: DType = dtype.isFloatingPoint || value.rounded() == value ? dtype : .float32
        return Tensor(value, dtype: type)
    }

    /// `a + b` with broadcasting. ∂/∂a = ∂/∂b = 1.
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let (a, b) = promotedOperands(a, b)
        return record(.add, Kernels.binary(.add, a, b), inputs: [a, b]) { g, _, _ in [g, g] }
    }

    /// `a − b` with broadcasting. ∂/∂a = 1, ∂/∂b = −1.
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let (a, b) = promotedOperands(a, b)
        return record(.subtract, Kernels.binary(.subtract, a, b), inputs: [a, b]) { g, _, x in
            [g, x[1].requiresGradient ? -g : nil]
        }
    }

    /// `a ⊙ b` (elementwise) with broadcasting. ∂/∂a = b, ∂/∂b = a.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let (a, b) = promotedOperands(a, b)
        return record(.multiply, Kernels.binary(.multiply, a, b), inputs: [a, b]) { g, _, x in
            [x[0].requiresGradient ? g * x[1] : nil, x[1].requiresGradient ? g * x[0] : nil]
        }
    }

    /// `a / b` elementwise with broadcasting; integer operands divide as float32 (true
    /// division, as in NumPy). ∂/∂a = 1/b, ∂/∂b = −a/b².
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        var (a, b) = promotedOperands(a, b)
        if !a.dtype.isFloatingPoint { (a, b) = (a.cast(to: .float32), b.cast(to: .float32)) }
        return record(.divide, Kernels.binary(.divide, a, b), inputs: [a, b]) { g, _, x in
            [x[0].requiresGradient ? g / x[1] : nil,
             x[1].requiresGradient ? -(g * x[0]) / (x[1] * x[1]) : nil]
        }
    }

    /// `−x`. ∂/∂x = −1.
    public static prefix func - (x: Tensor) -> Tensor {
        record(.negate, Kernels.unary(.negate, x), inputs: [x]) { g, _, _ in [-g] }
    }

    /// `aᵇ` elementwise with broadcasting. ∂/∂a = b·aᵇ⁻¹; ∂/∂b = aᵇ·log a, taking log 0 as 0
    /// there (JAX's convention) so that `0^b` has a finite exponent gradient; negative `a`
    /// gives NaN for ∂/∂b, as in PyTorch.
    public static func pow(_ a: Tensor, _ b: Tensor) -> Tensor {
        let (a, b) = promotedOperands(a, b)
        return record(.pow, Kernels.binary(.power, a, b), inputs: [a, b]) { g, _, x in
            let (base, exponent) = (x[0], x[1])
            // With exponent 0 the derivative is 0 even at base 0, where b·a^(b−1) would be 0·∞.
            let safeExponent = Tensor.where(exponent .== 0, exponent.onesLike(), exponent)
            let baseGradient = base.requiresGradient ? g * exponent * Tensor.pow(base, safeExponent - 1) : nil
            var exponentGradient: Tensor?
            if exponent.requiresGradient {
                let safeBase = Tensor.where(base .== 0, base.onesLike(), base)
                exponentGradient = g * Tensor.pow(base, exponent) * safeBase.log()
            }
            return [baseGradient, exponentGradient]
        }
    }

    /// `xᵖ` for a constant exponent. ∂/∂x = p·xᵖ⁻¹ (0 when p = 0).
    public static func pow(_ x: Tensor, _ exponent: Double) -> Tensor {
        let p = x.scalarOperand(exponent)
        let (base, power) = promotedOperands(x, p)
        return record(.pow, Kernels.binary(.power, base, power), inputs: [base]) { g, _, x in
            exponent == 0 ? [g.zerosLike()] : [g * exponent * Tensor.pow(x[0], exponent - 1)]
        }
    }

    /// The elementwise sum with a scalar, taken in the tensor's type (the scalar broadcasts to its shape).
    public static func + (a: Tensor, b: Double) -> Tensor { a + a.scalarOperand(b) }
    /// The elementwise sum of a scalar and a tensor, in the tensor's type (the scalar broadcasts).
    public static func + (a: Double, b: Tensor) -> Tensor { b.scalarOperand(a) + b }
    /// The elementwise difference with a scalar, taken in the tensor's type (the scalar broadcasts to its shape).
    public static func - (a: Tensor, b: Double) -> Tensor { a - a.scalarOperand(b) }
    /// The elementwise difference of a scalar and a tensor, in the tensor's type (the scalar broadcasts).
    public static func - (a: Double, b: Tensor) -> Tensor { b.scalarOperand(a) - b }
    /// The elementwise product with a scalar, taken in the tensor's type (the scalar broadcasts to its shape).
    public static func * (a: Tensor, b: Double) -> Tensor { a * a.scalarOperand(b) }
    /// The elementwise product of a scalar and a tensor, in the tensor's type (the scalar broadcasts).
    public static func * (a: Double, b: Tensor) -> Tensor { b.scalarOperand(a) * b }
    /// The elementwise quotient with a scalar, taken in the tensor's type (the scalar broadcasts to its shape).
    public static func / (a: Tensor, b: Double) -> Tensor { a / a.scalarOperand(b) }
    /// The elementwise quotient of a scalar and a tensor, in the tensor's type (the scalar broadcasts).
    public static func / (a: Double, b: Tensor) -> Tensor { b.scalarOperand(a) / b }

    /// `a = a + b` (a new tensor, recorded like `+`; broadcasting may change `a`'s shape).
    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    /// `a = a - b` (a new tensor, recorded like `-`; broadcasting may change `a`'s shape).
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    /// `a = a * b` (a new tensor, recorded like `*`; broadcasting may change `a`'s shape).
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }
    /// `a = a / b` (a new tensor, recorded like `/`; broadcasting may change `a`'s shape).
    public static func /= (a: inout Tensor, b: Tensor) { a = a / b }
    /// `a = a + b` with a scalar (a new tensor, recorded like `+`).
    public static func += (a: inout Tensor, b: Double) { a = a + b }
    /// `a = a - b` with a scalar (a new tensor, recorded like `-`).
    public static func -= (a: inout Tensor, b: Double) { a = a - b }
    /// `a = a * b` with a scalar (a new tensor, recorded like `*`).
    public static func *= (a: inout Tensor, b: Double) { a = a * b }
    /// `a = a / b` with a scalar (a new tensor, recorded like `/`).
    public static func /= (a: inout Tensor, b: Double) { a = a / b }
}
