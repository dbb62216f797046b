import Loom

/// An allowed error `|actual − expected| ≤ relative · scale + absolute`, where `scale` is the
/// magnitude of the quantity compared (each comparison says which). `absolute` is only a floor
/// for quantities that are exactly zero; the tolerances below keep it far below any value a
/// check compares, so checks are relative in practice.
public struct Tolerance: Sendable, Hashable, CustomStringConvertible {
    /// The allowed error per unit of scale.
    public var relative: Double
    /// The allowed error when the scale is 0.
    public var absolute: Double

    /// A tolerance of `relative` per unit of scale, with an `absolute` floor.
    public init(relative: Double, absolute: Double = 0) {
        precondition(relative >= 0 && absolute >= 0, "Tolerance: negative tolerance (\(relative), \(absolute))")
        self.relative = relative
        self.absolute = absolute
    }

    /// Whether `actual` is within tolerance of `expected` for a quantity of size `scale`.
    /// NaN is never close to anything; an infinity only to itself.
    public func accepts(_ actual: Double, _ expected: Double, scale: Double) -> Bool {
        if actual.isNaN || expected.isNaN { return false }
        if actual.isInfinite || expected.isInfinite { return actual == expected }
        return Swift.abs(actual - expected) <= relative * scale + absolute
    }

    /// Values computed in `dtype` by a handful of rounded operations (forward results, and
    /// gradients computed in `dtype`), compared with the same values computed in float64:
    /// a few hundred units in the last place, which absorbs reductions over tens of elements.
    public static func values(_ dtype: DType) -> Tolerance {
        switch dtype {
        case .float32: Tolerance(relative: 2e-5, absolute: 1e-30)
        case .float64: Tolerance(relative: 1e-13, absolute: 1e-300)
        case .int32, .int64: Tolerance(relative: 0)
        }
    }

    /// Autodiff first directional derivatives against central differences in `dtype`. In
    /// float64 with steps near 1e-5 the truncation error is O(h²) ≈ 1e-10 and the rounding
    /// error O(ε/h) ≈ 1e-11, so 1e-6 leaves a wide margin while an O(1) mistake in a
    /// derivative rule still fails by five orders of magnitude.
    public static func firstOrder(_ dtype: DType) -> Tolerance {
        switch dtype {
        case .float32: Tolerance(relative: 5e-2, absolute: 1e-12)
        default: Tolerance(relative: 1e-6, absolute: 1e-12)
        }
    }

    /// Second directional derivatives from differentiating the gradient, against central
    /// differences of the (autodiff) first directional derivative, in `dtype`.
    public static func secondOrder(_ dtype: DType) -> Tolerance {
        switch dtype {
        case .float32: Tolerance(relative: 5e-2, absolute: 1e-12)
        default: Tolerance(relative: 1e-5, absolute: 1e-12)
        }
    }

    public var description: String {
        absolute == 0 ? "relative \(relative)" : "relative \(relative), absolute \(absolute)"
    }
}
