import Loom
import LoomNN

/// Scales all gradients down together so that their global L2 norm is at most `maximumNorm`,
/// and returns the norm before clipping.
///
///     n = √(Σ_p ‖∇_p‖²)                         over every unfrozen parameter with a gradient
///     ∇_p ← ∇_p · maximumNorm / (n + 10⁻⁶)      only when that factor is below 1
///
/// As PyTorch's `clip_grad_norm_` (same `10⁻⁶`, same "only scale down"). The norm is
/// accumulated in float64 whatever the gradients' type. A non-finite norm is returned
/// unchanged and the gradients are scaled by `maximumNorm / (n + 10⁻⁶)` (zeros for an infinite
/// `n`, NaN for a NaN one), as PyTorch does without `error_if_nonfinite`; check the result.
///
/// Throws ``OptimizerError/invalidHyperparameter(name:value:requirement:)`` when
/// `maximumNorm` is negative or not finite.
@discardableResult
public func clipGradientNorm(of parameters: [Parameter], maximumNorm: Double) throws -> Double {
    try Hyperparameter.require("maximumNorm", maximumNorm, atLeast: 0)
    let clipped = parameters.distinct().filter { !$0.isFrozen && $0.gradient != nil }
    var sumOfSquares = 0.0
    for parameter in clipped {
        let gradient = parameter.gradient!
        switch gradient.dtype {
        case .float32: gradient.withUnsafeScalars(Float.self) { sumOfSquares += squaredNorm($0) }
        default: gradient.withUnsafeScalars(Double.self) { sumOfSquares += squaredNorm($0) }
        }
    }
    let norm = sumOfSquares.squareRoot()
    let factor = maximumNorm / (norm + 1e-6)
    guard !(factor >= 1) else { return norm }
    for parameter in clipped {
        var gradient = parameter.gradient!
        // Dropping the stored reference first lets the scaling happen in place.
        parameter.gradient = nil
        switch gradient.dtype {
        case .float32: gradient.withUnsafeMutableScalars(Float.self) { scale($0, by: Float(factor)) }
        default: gradient.withUnsafeMutableScalars(Double.self) { scale($0, by: factor) }
        }
        parameter.gradient = gradient
    }
    return norm
}

private func squaredNorm<T: OptimizerScalar>(_ values: UnsafeBufferPointer<T>) -> Double {
    var sum = 0.0
    for value in values {
        let x = Double(value)
        sum += x * x
    }
    return sum
}

private func scale<T: OptimizerScalar>(_ values: UnsafeMutableBufferPointer<T>, by factor: T) {
    for i in values.indices { values[i] *= factor }
}
