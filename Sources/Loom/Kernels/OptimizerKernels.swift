import CLoomKernels

/// Fused elementwise optimizer updates in C, for the loops Swift does not vectorize (its
/// `Float.squareRoot()` is a libm call on Linux). Each computes exactly what the optimizer's
/// own Swift loop computes, bit for bit (same operations, same order, no FMA), on every
/// instruction-set path; the optimizer's doc comment holds the math.
public enum FusedOptimizerKernels {
    /// Adam's update without AMSGrad or decoupled decay, in place over `range`:
    ///
    ///     g' = g + λθ,  m ← β₁m + (1 − β₁)g',  v ← β₂v + (1 − β₂)g'g',
    ///     θ ← θ − stepSize · m / (√v / correctionRoot + ε)
    ///
    /// All buffers have at least `range.upperBound` elements.
    public static func adam(
        parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
        firstMoment: UnsafeMutableBufferPointer<Float>, secondMoment: UnsafeMutableBufferPointer<Float>,
        stepSize: Float, beta1: Float, beta2: Float, oneMinusBeta1: Float, oneMinusBeta2: Float,
        correctionRoot: Float, epsilon: Float, weightDecay: Float, range: Range<Int>
    ) {
        precondition(range.upperBound <= parameter.count && range.upperBound <= gradient.count
                     && range.upperBound <= firstMoment.count && range.upperBound <= secondMoment.count,
                     "FusedOptimizerKernels.adam: range \(range) exceeds the buffers")
        guard !range.isEmpty, let p = parameter.baseAddress, let g = gradient.baseAddress,
              let m = firstMoment.baseAddress, let v = secondMoment.baseAddress else { return }
        var coefficients = loom_adam_coefficients_s(
            step_size: stepSize, beta1: beta1, beta2: beta2, one_minus_beta1: oneMinusBeta1,
            one_minus_beta2: oneMinusBeta2, correction_root: correctionRoot, epsilon: epsilon, weight_decay: weightDecay)
        let start = range.lowerBound
        loom_adam_update_s(Int64(range.count), p + start, g + start, m + start, v + start, &coefficients)
    }
}
