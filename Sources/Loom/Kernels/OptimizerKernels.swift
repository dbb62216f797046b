import CLoomKernels

/// Fused elementwise optimizer updates in C, for the loops Swift does not vectorize (its
/// `Float.squareRoot()` is a libm call on Linux) or vectorizes only as wide as baseline x86-64.
/// Each computes exactly what the optimizer's own Swift loop computes, bit for bit (same
/// operations, same order, no FMA), on every instruction-set path; the optimizer's doc comment
/// holds the math.
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

extension FusedOptimizerKernels {
    /// One of SGD's update rules with its per-element coefficients, as the C kernel takes them
    /// (see `SGD.Rule` in LoomOptimizers for the math).
    public struct SGDCoefficients: Sendable {
        public enum Rule: Sendable {
            /// `θ −= lr·(g + λθ)`.
            case plain
            /// `g' = g + λθ`, `u ← βu + keep·g'`, `θ −= lr·u` (or `lr·(g' + βu)` with Nesterov).
            case heavyBall(nesterov: Bool)
            /// `u ← βu + keep·(g + λθ)`, `θ −= stepScale·u`.
            case movingAverage
            /// `last = lastStepScale·u`, `u ← βu + keep·(g + λθ)`, `θ += last − twiceStepScale·u`.
            case lookAhead
        }

        public var rule: Rule
        public var learningRate: Float = 0, weightDecay: Float = 0, momentum: Float = 0, keep: Float = 0
        public var stepScale: Float = 0, lastStepScale: Float = 0, twiceStepScale: Float = 0

        public init(rule: Rule) { self.rule = rule }
    }

    /// SGD's update over `range`, in place, vectorized for the active path and bit for bit the
    /// Swift loops of `SGD.update`. `momentumBuffer` is not read for ``SGDCoefficients/Rule/plain``.
    public static func sgd(
        parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
        momentumBuffer: UnsafeMutableBufferPointer<Float>?, coefficients c: SGDCoefficients, range: Range<Int>
    ) {
        let needsBuffer: Bool
        let rule: Int32
        switch c.rule {
        case .plain: (rule, needsBuffer) = (Int32(LOOM_SGD_PLAIN), false)
        case let .heavyBall(nesterov):
            (rule, needsBuffer) = (Int32(nesterov ? LOOM_SGD_HEAVY_BALL_NESTEROV : LOOM_SGD_HEAVY_BALL), true)
        case .movingAverage: (rule, needsBuffer) = (Int32(LOOM_SGD_MOVING_AVERAGE), true)
        case .lookAhead: (rule, needsBuffer) = (Int32(LOOM_SGD_LOOK_AHEAD), true)
        }
        precondition(range.upperBound <= parameter.count && range.upperBound <= gradient.count
                     && (!needsBuffer || range.upperBound <= momentumBuffer?.count ?? -1),
                     "FusedOptimizerKernels.sgd: range \(range) exceeds the buffers")
        guard !range.isEmpty, let p = parameter.baseAddress, let g = gradient.baseAddress else { return }
        var coefficients = loom_sgd_coefficients_s(
            rule: rule, learning_rate: c.learningRate, weight_decay: c.weightDecay, momentum: c.momentum, keep: c.keep,
            step_scale: c.stepScale, last_step_scale: c.lastStepScale, twice_step_scale: c.twiceStepScale)
        let start = range.lowerBound
        let u = needsBuffer ? momentumBuffer!.baseAddress! + start : nil
        loom_sgd_update_s(Int64(range.count), p + start, g + start, u, &coefficients)
    }
}
