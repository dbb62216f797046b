import Loom

/// The eigenproblem of a rank-one update `D + ρ z zᵀ` of a diagonal matrix: the merge step of
/// ``TridiagonalDivideAndConquer``.
///
/// With `d₀ < d₁ < ⋯ < d_{k−1}`, `ρ > 0` and no `z_j` zero (deflation has removed those), the
/// eigenvalues are the `k` roots of the secular equation
///
///     f(λ) = 1/ρ + Σⱼ zⱼ² / (dⱼ − λ) = 0,
///
/// one in each interval `(d_i, d_{i+1})` and the last in `(d_{k−1}, d_{k−1} + ρ‖z‖²]`; `f` rises
/// from −∞ to +∞ on each, so every root is bracketed. Each is computed as `λ = d_o + τ` from the
/// pole `d_o` nearer to it, and the distances `d_j − λ = (d_j − d_o) − τ` are kept, since the
/// eigenvectors need them to full relative accuracy (LAPACK `dlaed4`).
enum SecularEquation {
    /// The root `i` of `f` for the `k` poles `d` and weights `z`, with `delta[j] = d_j − λ`.
    ///
    /// The iteration is the "middle way" of R.-C. Li (LAPACK Working Note 89): near the current
    /// `λ`, the sums over the poles left and right of the root, `ψ` and `φ`, are each replaced
    /// by `a + s/(d − λ)` matching value and slope at the pole next to the root on that side;
    /// the zero of that model is a quadratic's root. A step that goes the wrong way becomes a
    /// Newton step, one that leaves the bracket a bisection, so the iteration cannot escape.
    /// Counted over the 14,244 roots of the n = 2,000 benchmark: 1 to 4 iterations for 97%,
    /// never more than 8 (the cap, 64, is for non-finite input).
    static func root(
        _ i: Int, poles d: UnsafePointer<Double>, weights z: UnsafePointer<Double>, count k: Int,
        rho: Double, delta: UnsafeMutablePointer<Double>
    ) -> Double {
        if k == 1 {
            delta[0] = -rho * z[0] * z[0]
            return d[0] + rho * z[0] * z[0]
        }
        let isLast = i == k - 1
        // The two poles of the model: the root's interval, or the last two for the last root.
        let p = isLast ? k - 2 : i
        let inverseRho = 1 / rho
        var origin: Int
        var lower: Double, upper: Double
        if isLast {
            var weight = 0.0
            for j in 0..<k { weight += z[j] * z[j] }
            origin = k - 1
            (lower, upper) = (0, rho * weight)
        } else {
            let gap = d[i + 1] - d[i]
            // The sign of f at the midpoint says which pole is nearer.
            var f = inverseRho
            for j in 0..<k { f += z[j] * z[j] / ((d[j] - d[i]) - gap / 2) }
            if f >= 0 {
                origin = i
                (lower, upper) = (0, gap / 2)
            } else {
                origin = i + 1
                (lower, upper) = (-gap / 2, 0)
            }
        }
        let o = d[origin]
        var tau = initialOffset(p: p, origin: origin, isLast: isLast, d: d, z: z, k: k,
                                inverseRho: inverseRho, lower: lower, upper: upper)
        for _ in 0..<64 {
            for j in 0..<k { delta[j] = (d[j] - o) - tau }
            var psi = 0.0, psiSlope = 0.0, phi = 0.0, phiSlope = 0.0, magnitude = 0.0
            for j in 0...p {
                let term = z[j] / delta[j]
                psi += z[j] * term
                psiSlope += term * term
                magnitude += Swift.abs(z[j] * term)
            }
            for j in (p + 1)..<k {
                let term = z[j] / delta[j]
                phi += z[j] * term
                phiSlope += term * term
                magnitude += Swift.abs(z[j] * term)
            }
            let w = inverseRho + psi + phi, slope = psiSlope + phiSlope
            // The rounding error of evaluating w (dlaed4's bound, with every term's magnitude).
            let error = 8 * magnitude + 2 * inverseRho + 3 * Swift.abs(tau) * slope
            if Swift.abs(w) <= Double.ulpOfOne * error { break }
            if w < 0 { lower = Swift.max(lower, tau) } else { upper = Swift.min(upper, tau) }
            if upper - lower <= 4 * Double.ulpOfOne * Swift.max(Swift.abs(lower), Swift.abs(upper)) { break }
            let left = delta[p], right = delta[p + 1]
            let c = w - left * psiSlope - right * phiSlope
            let a = (left + right) * w - left * right * slope
            let b = left * right * w
            var eta = modelStep(a: a, b: b, c: c, isLast: isLast, fallback: upper - tau)
            if w * eta >= 0 || !eta.isFinite { eta = -w / slope }
            if !(tau + eta > lower && tau + eta < upper) || !eta.isFinite {
                eta = ((w < 0 ? upper : lower) - tau) / 2
            }
            tau += eta
        }
        for j in 0..<k { delta[j] = (d[j] - o) - tau }
        return o + tau
    }

    /// The zero `η` of the model `c η² − a η + b`: the smaller root for an interior eigenvalue,
    /// the larger for the last (the stable form of each, no cancellation in `a ± √…`).
    private static func modelStep(a: Double, b: Double, c: Double, isLast: Bool, fallback: Double) -> Double {
        let root = Swift.abs(a * a - 4 * b * c).squareRoot()
        if isLast {
            let c = Swift.abs(c)
            if c == 0 { return fallback }
            return a >= 0 ? (a + root) / (2 * c) : 2 * b / (a - root)
        }
        if c == 0 { return b / a }
        return a <= 0 ? (a - root) / (2 * c) : 2 * b / (a + root)
    }

    /// The first `τ`: the root of the two-pole model `c + z_p²/(d_p − λ) + z_{p+1}²/(d_{p+1} − λ)`
    /// with `c` the other poles' sum at the bracket's midpoint; the midpoint when that falls outside.
    private static func initialOffset(
        p: Int, origin: Int, isLast: Bool, d: UnsafePointer<Double>, z: UnsafePointer<Double>, k: Int,
        inverseRho: Double, lower: Double, upper: Double
    ) -> Double {
        let middle = (lower + upper) / 2
        let o = d[origin]
        var c = inverseRho
        for j in 0..<k where j != p && j != p + 1 { c += z[j] * z[j] / ((d[j] - o) - middle) }
        // Distances of the two poles from the origin.
        let left = d[p] - o, right = d[p + 1] - o
        let zl = z[p] * z[p], zr = z[p + 1] * z[p + 1]
        // c(left − τ)(right − τ) + zl (right − τ) + zr (left − τ) = 0, i.e. c τ² − a τ + b = 0.
        let a = c * (left + right) + zl + zr
        let b = c * left * right + zl * right + zr * left
        let tau = modelStep(a: a, b: b, c: c, isLast: isLast, fallback: middle)
        return tau > lower && tau < upper && tau.isFinite ? tau : middle
    }

    /// The eigenvectors of `D + ρ z zᵀ` from the roots' distances, by the Löwner formula of
    /// Gu and Eisenstat: `ẑ_i² = Π_j (λ_j − d_i) / (ρ Π_{j≠i} (d_j − d_i))` are the weights for
    /// which the computed roots are exact, and `u_j = (ẑ_i / (d_i − λ_j))_i / ‖…‖` are then
    /// orthogonal to working precision, however close the roots.
    ///
    /// `deltas` holds row `j` = `(d_i − λ_j)_i` (`k × k`, row-major); on return row `j` is `u_j`,
    /// its component `i` moved to column `position[i]`.
    static func vectors(
        deltas: UnsafeMutablePointer<Double>, poles d: UnsafePointer<Double>, weights z: UnsafePointer<Double>,
        count k: Int, position: [Int]
    ) {
        var w = [Double](repeating: 0, count: k)
        for i in 0..<k { w[i] = deltas[i * k + i] }
        for j in 0..<k {
            let row = deltas + j * k
            let dj = d[j]
            for i in 0..<j { w[i] *= row[i] / (d[i] - dj) }
            for i in (j + 1)..<k { w[i] *= row[i] / (d[i] - dj) }
        }
        // w_i = −ρ ẑ_i²; the factor √ρ cancels in the normalization below.
        var zHat = [Double](repeating: 0, count: k)
        for i in 0..<k {
            let magnitude = Swift.max(-w[i], 0).squareRoot()
            zHat[i] = z[i] < 0 ? -magnitude : magnitude
        }
        forEachChunk(of: k, minimumChunk: Swift.max(16, (1 << 14) / Swift.max(k, 1))) { range in
            var u = [Double](repeating: 0, count: k)
            for j in range {
                let row = deltas + j * k
                var norm = 0.0
                for i in 0..<k {
                    let value = zHat[i] / row[i]
                    u[i] = value
                    norm += value * value
                }
                let scale = 1 / norm.squareRoot()
                for i in 0..<k { row[position[i]] = u[i] * scale }
            }
        }
    }
}
