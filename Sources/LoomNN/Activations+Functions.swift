import Loom

// Activation functions the core does not have, as composites of its primitives (so they have
// no backward code of their own and can be differentiated twice).
//
// NOTE: kinks are written with `where` on the input, not with `abs`, `relu` or `maximum`:
// those take the derivative at 0 to be 0 (or split it), which would make, say, the softplus
// below have derivative 0 instead of 1/2 at x = 0, and logits of exactly 0 are common (zero
// initialization).

extension Tensor {
    /// `x` where `x > 0`, `s·x` elsewhere. ∂/∂x = 1 for x > 0 and `s` for x ≤ 0 (at the kink
    /// the slope below, like PyTorch and like `relu()`'s 0 there).
    public func leakyReLU(negativeSlope: Double = 0.01) -> Tensor {
        Tensor.where(self .> 0, self, self * negativeSlope)
    }

    /// `|x|` with derivative `+1` at 0 (where ``abs()`` uses sign(0) = 0): for kinks of
    /// smooth composites that meet there, such as ``softplus()`` and ``erf()``.
    func magnitudeForSmoothKink() -> Tensor {
        Tensor.where(self .>= 0, self, -self)
    }

    /// `log(1 + eˣ)`, computed as `max(x, 0) + log(1 + e^{−|x|})` so nothing overflows.
    /// ∂/∂x = σ(x) everywhere, including 1/2 at 0. For `x ≪ 0` the `1 + e^{−|x|}` rounds to
    /// 1 (there is no `log1p` primitive), so values below ~1e-7 (float32) read as 0; the
    /// gradient stays σ(x).
    public func softplus() -> Tensor {
        let positivePart = Tensor.where(self .>= 0, self, zerosLike())
        return positivePart + (1 + (-magnitudeForSmoothKink()).exp()).log()
    }

    /// The error function `erf(x) = (2/√π) ∫₀ˣ e^{−t²} dt`, from Abramowitz & Stegun 7.1.26:
    /// `erf(x) ≈ 1 − (a₁t + a₂t² + a₃t³ + a₄t⁴ + a₅t⁵) e^{−x²}`, `t = 1/(1 + p x)` for
    /// `x ≥ 0`, extended as an odd function.
    ///
    /// The published coefficients sum to 1 − 1e-9, so `erf(0)` would be 1e-9; the defect
    /// `c = 1 − Σaᵢ` is added to the polynomial (an extra error below 1e-9 elsewhere) so that
    /// `erf(0) = 0` and the function is exactly odd.
    ///
    /// Accuracy: absolute error below 1.5e-7 for all x, which is float32 resolution; in
    /// float64 it is still only 1.5e-7 (Loom has no `erf` primitive; this is a composite, so
    /// its gradient is the derivative of the approximation, within 1e-5 of `(2/√π) e^{−x²}`,
    /// worst at 0).
    public func erf() -> Tensor {
        precondition(dtype.isFloatingPoint, "erf: needs a floating-point tensor, got \(dtype)")
        let p = 0.3275911
        let a = [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429]
        let z = magnitudeForSmoothKink()
        let t = 1 / (1 + z * p)
        var polynomial = t * a[4]
        for coefficient in a.dropLast().reversed() { polynomial = t * (polynomial + coefficient) }
        let defect = 1 - a.reduce(0, +)
        let positive = 1 - (polynomial + defect) * (-(z * z)).exp()
        let sign = Tensor.where(self .>= 0, onesLike(), -onesLike())
        return sign * positive
    }

    /// The Gaussian error linear unit `GELU(x) = x Φ(x)`, `Φ` the standard normal CDF
    /// (Hendrycks & Gimpel, 2016).
    ///
    /// - ``GELU/Approximation/none``: `x · (1 + erf(x/√2)) / 2` with ``erf()`` (accurate to
    ///   ~1e-7·|x|, see there).
    /// - ``GELU/Approximation/tanh``: `x · (1 + tanh(√(2/π)(x + 0.044715 x³))) / 2`, within
    ///   ~1e-3 of the exact GELU (PyTorch's `approximate="tanh"`).
    public func gelu(approximation: GELU.Approximation = .none) -> Tensor {
        switch approximation {
        case .none:
            return self * 0.5 * (1 + (self * (0.5).squareRoot()).erf())
        case .tanh:
            let inner = (self + self * self * self * 0.044715) * (2 / Double.pi).squareRoot()
            return self * 0.5 * (1 + inner.tanh())
        }
    }
}
