// Comparisons, selection and elementwise extrema.
//
// Comparisons return masks as numbers (1 where true, 0 elsewhere) in the operands' common
// element type, so a mask multiplies or selects directly. They are piecewise constant, so
// no gradient flows through them.

infix operator .== : ComparisonPrecedence
infix operator .!= : ComparisonPrecedence
infix operator .< : ComparisonPrecedence
infix operator .<= : ComparisonPrecedence
infix operator .> : ComparisonPrecedence
infix operator .>= : ComparisonPrecedence

extension Tensor {
    private static func compare(_ operation: BinaryOperation, _ a: Tensor, _ b: Tensor) -> Tensor {
        let (a, b) = promotedOperands(a, b)
        return Kernels.binary(operation, a.detached(), b.detached())
    }

    /// 1 where `a == b`, else 0 (broadcasting).
    public static func .== (a: Tensor, b: Tensor) -> Tensor { compare(.equal, a, b) }
    /// 1 where `a != b`, else 0 (broadcasting).
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { compare(.notEqual, a, b) }
    /// 1 where `a < b`, else 0 (broadcasting).
    public static func .< (a: Tensor, b: Tensor) -> Tensor { compare(.less, a, b) }
    /// 1 where `a <= b`, else 0 (broadcasting).
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { compare(.lessOrEqual, a, b) }
    /// 1 where `a > b`, else 0 (broadcasting).
    public static func .> (a: Tensor, b: Tensor) -> Tensor { compare(.greater, a, b) }
    /// 1 where `a >= b`, else 0 (broadcasting).
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { compare(.greaterOrEqual, a, b) }

    /// 1 where `a == b` for the scalar `b`, else 0, in `a`'s shape and type.
    public static func .== (a: Tensor, b: Double) -> Tensor { a .== a.scalarOperand(b) }
    /// 1 where `a != b` for the scalar `b`, else 0, in `a`'s shape and type.
    public static func .!= (a: Tensor, b: Double) -> Tensor { a .!= a.scalarOperand(b) }
    /// 1 where `a < b` for the scalar `b`, else 0, in `a`'s shape and type.
    public static func .< (a: Tensor, b: Double) -> Tensor { a .< a.scalarOperand(b) }
    /// 1 where `a <= b` for the scalar `b`, else 0, in `a`'s shape and type.
    public static func .<= (a: Tensor, b: Double) -> Tensor { a .<= a.scalarOperand(b) }
    /// 1 where `a > b` for the scalar `b`, else 0, in `a`'s shape and type.
    public static func .> (a: Tensor, b: Double) -> Tensor { a .> a.scalarOperand(b) }
    /// 1 where `a >= b` for the scalar `b`, else 0, in `a`'s shape and type.
    public static func .>= (a: Tensor, b: Double) -> Tensor { a .>= a.scalarOperand(b) }

    /// `condition ≠ 0 ? a : b` elementwise, broadcasting all three.
    /// ∂/∂a = mask, ∂/∂b = 1 − mask (selected, never multiplied, so a NaN in the branch not
    /// taken does not leak into the gradient); no gradient flows to `condition`.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let (a, b) = promotedOperands(a, b)
        let mask = condition.detached()
        return record(.`where`, Kernels.select(mask, a, b), inputs: [a, b]) { g, _, x in
            let zero = Tensor(0, dtype: g.dtype)
            return [x[0].requiresGradient ? Tensor.where(mask, g, zero) : nil,
                    x[1].requiresGradient ? Tensor.where(mask, zero, g) : nil]
        }
    }

    /// The larger of `a` and `b` elementwise (NaN wins). Where they are equal the gradient is
    /// split evenly between them (JAX's convention).
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
        let (a, b) = promotedOperands(a, b)
        return record(.maximum, Kernels.binary(.maximum, a, b), inputs: [a, b]) { g, _, x in
            let tie = (x[0] .== x[1]) * 0.5
            return [g * ((x[0] .> x[1]) + tie), g * ((x[0] .< x[1]) + tie)]
        }
    }

    /// The smaller of `a` and `b` elementwise (NaN wins). Ties split the gradient evenly.
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
        let (a, b) = promotedOperands(a, b)
        return record(.minimum, Kernels.binary(.minimum, a, b), inputs: [a, b]) { g, _, x in
            let tie = (x[0] .== x[1]) * 0.5
            return [g * ((x[0] .< x[1]) + tie), g * ((x[0] .> x[1]) + tie)]
        }
    }

    /// `min(max(x, lower), upper)`.
    public func clamped(lower: Double, upper: Double) -> Tensor {
        Tensor.minimum(Tensor.maximum(self, scalarOperand(lower)), scalarOperand(upper))
    }
}
