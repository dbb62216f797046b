import Loom
import Testing

/// The outcome of comparing two tensors element by element: whether they agree and, if not,
/// the worst element (by error beyond tolerance) with its multi-index.
public struct TensorComparison: Sendable, CustomStringConvertible {
    /// Whether shapes agree and every element is within tolerance.
    public var isClose: Bool
    /// What went wrong, naming the worst element; empty when ``isClose``.
    public var explanation: String

    public var description: String { isClose ? "close" : explanation }
}

/// The row-major multi-index of flat position `position` in `shape`.
func multiIndex(_ position: Int, in shape: [Int]) -> [Int] {
    var remainder = position
    var index = [Int](repeating: 0, count: shape.count)
    for axis in shape.indices.reversed() where shape[axis] > 0 {
        index[axis] = remainder % shape[axis]
        remainder /= shape[axis]
    }
    return index
}

/// Compares `actual` with `expected` elementwise: each element must satisfy
/// `|a − e| ≤ relative · |e| + absolute` (NaN only matches NaN, an infinity only itself).
/// Shapes must be equal; element types may differ (values are compared as `Double`).
///
/// - Returns: a comparison that names the worst element (largest error relative to its
///   allowance), its index, both values and the tolerance.
public func compare(_ actual: Tensor, _ expected: Tensor, relative: Double, absolute: Double = 0) -> TensorComparison {
    precondition(relative >= 0 && absolute >= 0, "compare: negative tolerance (\(relative), \(absolute))")
    guard actual.shape == expected.shape else {
        return TensorComparison(isClose: false, explanation: "shapes differ: \(actual.shape) vs expected \(expected.shape)")
    }
    let a = actual.asArray(Double.self), e = expected.asArray(Double.self)
    var worst: (position: Int, excess: Double)?
    for position in a.indices {
        let (x, y) = (a[position], e[position])
        let excess: Double
        if x.isNaN || y.isNaN {
            excess = x.isNaN && y.isNaN ? 0 : .infinity
        } else if x.isInfinite || y.isInfinite {
            excess = x == y ? 0 : .infinity
        } else {
            let allowance = relative * Swift.abs(y) + absolute
            let error = Swift.abs(x - y)
            excess = error <= allowance ? 0 : (allowance > 0 ? error / allowance : .infinity)
        }
        if excess > 0, excess > (worst?.excess ?? 0) { worst = (position, excess) }
    }
    guard let worst else { return TensorComparison(isClose: true, explanation: "") }
    let index = multiIndex(worst.position, in: expected.shape)
    let (x, y) = (a[worst.position], e[worst.position])
    let explanation = "worst element \(index) of \(expected.shape): \(x) vs expected \(y) "
        + "(error \(Swift.abs(x - y)), allowed relative \(relative) · |expected| + absolute \(absolute))"
    return TensorComparison(isClose: false, explanation: explanation)
}

/// Records a test issue, naming the worst element, unless `actual` and `expected` have the
/// same shape and agree elementwise within `relative · |expected| + absolute`.
///
/// - Parameters:
///   - message: prefixed to the issue (say which case failed).
/// - Returns: whether the tensors were close.
@discardableResult
public func assertClose(
    _ actual: Tensor, _ expected: Tensor, relative: Double, absolute: Double = 0, _ message: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    let comparison = compare(actual, expected, relative: relative, absolute: absolute)
    if !comparison.isClose {
        Issue.record("\(message.isEmpty ? "" : message + ": ")\(comparison.explanation)", sourceLocation: sourceLocation)
    }
    return comparison.isClose
}

/// ``assertClose(_:_:relative:absolute:_:sourceLocation:)`` against a closed form given as
/// row-major values of `actual`'s shape.
@discardableResult
public func assertClose(
    _ actual: Tensor, _ expected: [Double], relative: Double, absolute: Double = 0, _ message: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    guard expected.count == actual.count else {
        Issue.record("\(message.isEmpty ? "" : message + ": ")\(actual.count) elements of shape \(actual.shape), expected \(expected.count)",
                     sourceLocation: sourceLocation)
        return false
    }
    let reference = Tensor(shape: actual.shape, scalars: expected, dtype: .float64)
    return assertClose(actual, reference, relative: relative, absolute: absolute, message, sourceLocation: sourceLocation)
}
