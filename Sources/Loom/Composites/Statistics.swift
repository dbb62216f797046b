// Composites: built from primitives, with no backward code of their own.

extension Tensor {
    /// The mean over `axes` (nil: all).
    public func mean(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        let resolved = Shapes.axes(axes, rank: rank, "mean")
        let n = resolved.reduce(1) { $0 * shape[$1] }
        return sum(alongAxes: resolved, keepingDimensions: keepingDimensions) / Double(n)
    }

    /// The mean over one axis.
    public func mean(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        mean(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// The variance `Σ(x − x̄)² / (n − correction)` over `axes` (nil: all). `correction: 0`
    /// (the default, as in NumPy) is the population variance; 1 is Bessel's correction.
    public func variance(alongAxes axes: [Int]? = nil, correction: Int = 0, keepingDimensions: Bool = false) -> Tensor {
        let resolved = Shapes.axes(axes, rank: rank, "variance")
        let n = resolved.reduce(1) { $0 * shape[$1] }
        let centered = self - mean(alongAxes: resolved, keepingDimensions: true)
        return (centered * centered).sum(alongAxes: resolved, keepingDimensions: keepingDimensions) / Double(n - correction)
    }

    /// The standard deviation: the square root of ``variance(alongAxes:correction:keepingDimensions:)``.
    public func standardDeviation(alongAxes axes: [Int]? = nil, correction: Int = 0, keepingDimensions: Bool = false) -> Tensor {
        variance(alongAxes: axes, correction: correction, keepingDimensions: keepingDimensions).sqrt()
    }

    /// `log Σ exp(x)` over `axes`, computed as `m + log Σ exp(x − m)` with `m` the (constant)
    /// maximum, so no exponential overflows. Its gradient is the softmax.
    public func logSumExp(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        let resolved = Shapes.axes(axes, rank: rank, "logSumExp")
        let shift = stableShift(alongAxes: resolved)
        let total = (self - shift).exp().sum(alongAxes: resolved, keepingDimensions: true).log() + shift
        return keepingDimensions ? total : total.reshaped(Tensor.dropping(resolved, from: total.shape))
    }

    /// The maximum over `axes` (kept), as a constant, and 0 where it is infinite: an all −∞
    /// slice would otherwise give −∞ − (−∞) = NaN.
    private func stableShift(alongAxes axes: [Int]) -> Tensor {
        let shift = detached().max(alongAxes: axes, keepingDimensions: true)
        return Tensor.where(shift.abs() .== Double.infinity, shift.zerosLike(), shift)
    }

    /// The softmax along `axis`: `exp(logSoftmax(x))`, which sums to 1 along `axis`.
    public func softmax(alongAxis axis: Int = -1) -> Tensor {
        logSoftmax(alongAxis: axis).exp()
    }
}
