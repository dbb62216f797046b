import Loom
import LoomNN

/// The Hessian `∇²f(θ)` of a loss at the parameters' current values, as an operator: the loss
/// and its gradient are evaluated once, with the backward pass recorded, and each
/// ``product(_:)`` is one more reverse pass over that graph (no new forward pass). What
/// Lanczos, Hutchinson and stochastic Lanczos quadrature need, for networks far too large for
/// a dense Hessian.
///
/// `θ` is the trainable parameters flattened (row-major within each, in order), as for
/// ``Newton``; frozen parameters are left out. The parameters are unchanged afterwards.
public struct LossHessian {
    private let model: SecondOrderModel
    private let flat: FlatParameters

    /// Records `f` and `∇f` at the parameters' current values; `loss` computes the loss from
    /// `Parameter/value` (as Newton's loss closure).
    public init(parameters: [Parameter], loss: () throws -> Tensor) rethrows {
        flat = FlatParameters(parameters.distinct().filter { !$0.isFrozen })
        model = try flat.secondOrderModel(loss)
    }

    /// `n`, the length of `θ`.
    public var dimension: Int { flat.count }
    /// `f(θ)`.
    public var value: Double { model.value }
    /// `∇f(θ)`.
    public var gradient: [Double] { model.gradient }

    /// `∇²f(θ) v`: one reverse pass.
    public func product(_ v: [Double]) -> [Double] {
        precondition(v.count == dimension, "LossHessian: a vector of \(v.count) for \(dimension) parameters")
        return model.hessianVectorProduct(v)
    }

    /// The dense `n × n` Hessian (``Newton``'s), for small `n` only.
    public func dense() -> DenseMatrix { model.hessian() }
}

/// Spectral estimates of a symmetric matrix known only through its products `v ↦ Av`, as
/// PyHessian computes them for networks (Yao et al., *PyHessian: Neural Networks Through the
/// Lens of the Hessian*, 2020): the extreme eigenvalues by Lanczos, the trace by Hutchinson's
/// estimator, the spectral density by stochastic Lanczos quadrature.
public enum SpectrumEstimation {
    /// The tridiagonal `T_m = Vᵀ A V` of `m` Lanczos steps from `start`, with full
    /// reorthogonalization (each new vector is orthogonalized twice against all earlier ones,
    /// so the Ritz values do not repeat as they do in plain Lanczos). Stops early at an
    /// invariant subspace (`β ≤ 10⁻¹²‖T‖`). Cost: `m` products and `O(m² n)`.
    public static func lanczos(
        steps: Int, start: [Double], product: ([Double]) -> [Double]
    ) -> (diagonal: [Double], offDiagonal: [Double]) {
        let n = start.count
        precondition(steps >= 1 && n >= 1, "lanczos: \(steps) steps in dimension \(n)")
        let norm = DenseVector.norm(start)
        precondition(norm > 0 && norm.isFinite, "lanczos: the start vector must be non-zero and finite")
        var basis: [[Double]] = [start.map { $0 / norm }]
        var alphas: [Double] = [], betas: [Double] = []
        var scale = 0.0
        for step in 0..<Swift.min(steps, n) {
            var w = product(basis[step])
            let alpha = DenseVector.dot(w, basis[step])
            alphas.append(alpha)
            for _ in 0..<2 {
                for q in basis {
                    let projection = DenseVector.dot(w, q)
                    for i in 0..<n { w[i] -= projection * q[i] }
                }
            }
            let beta = DenseVector.norm(w)
            scale = Swift.max(scale, Swift.abs(alpha) + beta)
            guard step + 1 < Swift.min(steps, n), beta > 1e-12 * scale, beta.isFinite else { break }
            betas.append(beta)
            basis.append(w.map { $0 / beta })
        }
        return (alphas, betas)
    }

    /// The `count` largest eigenvalues (descending) by `steps` Lanczos steps from a random
    /// start: the largest Ritz values of `T_m`. Extreme eigenvalues converge first; with
    /// `steps` = n they are exact to rounding.
    public static func largestEigenvalues(
        count: Int, dimension: Int, steps: Int, using generator: inout some RandomNumberGenerator,
        product: ([Double]) -> [Double]
    ) -> [Double] {
        let start = gaussianVector(dimension, using: &generator)
        let (diagonal, offDiagonal) = lanczos(steps: Swift.max(steps, count), start: start, product: product)
        return Array(SymmetricEigendecomposition.eigenvalues(diagonal: diagonal, offDiagonal: offDiagonal).reversed().prefix(count))
    }

    /// Hutchinson's estimate of `tr A = E[zᵀAz]` over Rademacher vectors `z` (entries ±1):
    /// the mean of `samples` values of `zᵀAz`, with its standard error `s / √samples`.
    public static func hutchinsonTrace(
        dimension: Int, samples: Int, using generator: inout some RandomNumberGenerator,
        product: ([Double]) -> [Double]
    ) -> (estimate: Double, standardError: Double) {
        precondition(samples >= 1, "hutchinsonTrace: \(samples) samples")
        var values: [Double] = []
        for _ in 0..<samples {
            let z = (0..<dimension).map { _ in generator.next() & 1 == 0 ? -1.0 : 1.0 }
            values.append(DenseVector.dot(z, product(z)))
        }
        let mean = values.reduce(0, +) / Double(samples)
        guard samples > 1 else { return (mean, .infinity) }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(samples - 1)
        return (mean, (variance / Double(samples)).squareRoot())
    }

    /// Stochastic Lanczos quadrature: for each of `probes` Gaussian start vectors, `steps`
    /// Lanczos steps give nodes `θ_i` (the Ritz values) and weights `τ_i²` (the squared first
    /// components of `T_m`'s eigenvectors, summing to 1). Then `Σ τ_i² g(θ_i)` is the Gauss
    /// quadrature of `vᵀ g(A) v / vᵀv`, exact for polynomials `g` of degree < 2m; averaged
    /// over probes it estimates `(1/n) tr g(A)`, the spectral density's integral of `g`.
    public static func stochasticLanczosQuadrature(
        dimension: Int, steps: Int, probes: Int, using generator: inout some RandomNumberGenerator,
        product: ([Double]) -> [Double]
    ) -> SpectralDensity {
        precondition(probes >= 1, "stochasticLanczosQuadrature: \(probes) probes")
        var nodes: [[Double]] = [], weights: [[Double]] = []
        for _ in 0..<probes {
            let start = gaussianVector(dimension, using: &generator)
            let (diagonal, offDiagonal) = lanczos(steps: steps, start: start, product: product)
            let (values, vectors) = SymmetricEigendecomposition.eigenpairs(diagonal: diagonal, offDiagonal: offDiagonal)
            nodes.append(values)
            weights.append(vectors.map { $0[0] * $0[0] })
        }
        return SpectralDensity(nodes: nodes, weights: weights)
    }

    static func gaussianVector(_ n: Int, using generator: inout some RandomNumberGenerator) -> [Double] {
        // Box–Muller on 53-bit uniforms, u in (0, 1] (one of the pair kept: simple, and the
        // cost is nothing beside a Hessian-vector product).
        (0..<n).map { _ in
            let u = (Double(generator.next() >> 11) + 1) / 9_007_199_254_740_992
            let v = Double(generator.next() >> 11) / 9_007_199_254_740_992
            return (-2 * Platform.log(u)).squareRoot() * Platform.cos(2 * Double.pi * v)
        }
    }
}

/// A spectral density from stochastic Lanczos quadrature: per probe, nodes and weights.
public struct SpectralDensity: Sendable, Equatable {
    /// The Ritz values of each probe.
    public let nodes: [[Double]]
    /// Their weights `τ_i²` (each probe's sum to 1).
    public let weights: [[Double]]

    /// `(1/n) tr g(A)` estimated: the probes' mean of `Σ τ_i² g(θ_i)`.
    public func integral(of g: (Double) -> Double) -> Double {
        let sums = zip(nodes, weights).map { zip($0, $1).reduce(0) { $0 + $1.1 * g($1.0) } }
        return sums.reduce(0, +) / Double(Swift.max(sums.count, 1))
    }

    /// The density smoothed by a Gaussian kernel of variance `σ² = relativeVariance ·
    /// max(1, λ_hi − λ_lo)` on `points` equally spaced values from the smallest node − margin
    /// to the largest + margin, normalized to integrate to 1 (PyHessian's `density_generate`,
    /// whose defaults these are: σ² = 10⁻⁵, margin 0.01).
    public func smoothed(points: Int = 1000, relativeVariance: Double = 1e-5, margin: Double = 0.01)
        -> (grid: [Double], density: [Double]) {
        let all = nodes.flatMap { $0 }
        guard points >= 2, let lowest = all.min(), let highest = all.max() else { return ([], []) }
        let lo = lowest - margin, hi = highest + margin
        let variance = relativeVariance * Swift.max(1, hi - lo)
        let grid = (0..<points).map { lo + (hi - lo) * Double($0) / Double(points - 1) }
        let normalization = 1 / (2 * Double.pi * variance).squareRoot() / Double(nodes.count)
        var density = grid.map { x in
            var sum = 0.0
            for (probeNodes, probeWeights) in zip(nodes, weights) {
                for (node, weight) in zip(probeNodes, probeWeights) {
                    sum += weight * Platform.exp(-(x - node) * (x - node) / (2 * variance))
                }
            }
            return sum * normalization
        }
        let area = density.reduce(0, +) * (hi - lo) / Double(points - 1)
        if area > 0 { density = density.map { $0 / area } }
        return (grid, density)
    }
}
