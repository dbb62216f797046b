import Loom
import Testing

/// Comparisons shared by the forward-value, creation, view and random tests.
enum ForwardCheck {
    /// The relative tolerance for values of `dtype` that went through a few rounded
    /// operations: a few units in the last place of 1, and exact for integers.
    static func tolerance(_ dtype: DType) -> Double {
        switch dtype {
        case .float32: 8 * Double(Float.ulpOfOne)   // ≈ 9.5e-7
        case .float64: 8 * Double.ulpOfOne          // ≈ 1.8e-15
        case .int32, .int64: 0
        }
    }

    /// Whether `actual` matches `expected` within `relative` (scaled by max(1, |expected|)
    /// so values near zero are compared absolutely). NaN matches only NaN; infinities match
    /// only themselves.
    static func isClose(_ actual: Double, _ expected: Double, relative: Double) -> Bool {
        if expected.isNaN { return actual.isNaN }
        if expected.isInfinite || actual.isInfinite { return actual == expected }
        return Swift.abs(actual - expected) <= relative * Swift.max(1, Swift.abs(expected))
    }

    /// Expects `tensor` to have `shape` (when given), `dtype` (when given) and, in row-major
    /// order, the `expected` values within the dtype's tolerance (or `relative`).
    static func expect(
        _ tensor: Tensor, _ expected: [Double], shape: [Int]? = nil, dtype: DType? = nil,
        relative: Double? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        if let shape { #expect(tensor.shape == shape, sourceLocation: sourceLocation) }
        if let dtype { #expect(tensor.dtype == dtype, sourceLocation: sourceLocation) }
        let actual = tensor.asArray(Double.self)
        guard actual.count == expected.count else {
            Issue.record("expected \(expected.count) values, got \(actual.count): \(actual)", sourceLocation: sourceLocation)
            return
        }
        let tolerance = relative ?? self.tolerance(tensor.dtype)
        for (index, (a, e)) in zip(actual, expected).enumerated() where !isClose(a, e, relative: tolerance) {
            Issue.record("element \(index): got \(a), expected \(e) (relative tolerance \(tolerance)); all: \(actual)",
                         sourceLocation: sourceLocation)
        }
    }
}
