/// The eigendecomposition `A = V diag(λ) Vᵀ` of a symmetric matrix, by the cyclic Jacobi
/// method: each rotation zeroes one off-diagonal pair, and sweeps over all pairs repeat until
/// the off-diagonal mass `√(Σ_{i≠j} A_ij²)` falls below `tolerance · ‖A‖_F`.
///
/// Jacobi is slower than tridiagonalization + QR (each sweep costs about 4n³ operations and a
/// few to ten sweeps are needed) but short, robust and accurate to working precision, which is
/// what tests and the Hessian-spectrum experiment need for matrices of a few hundred rows.
///
/// Reference: G. H. Golub, C. F. Van Loan, *Matrix Computations*, 4th ed., §8.5.
public struct SymmetricEigendecomposition: Sendable {
    /// The eigenvalues in ascending order.
    public let eigenvalues: [Double]
    /// The orthonormal eigenvectors as columns, column `k` belonging to `eigenvalues[k]`.
    public let eigenvectors: DenseMatrix
    /// The number of sweeps performed.
    public let sweepCount: Int

    /// Decomposes `matrix`, which must be square; only its symmetric part `½(A + Aᵀ)` is used.
    ///
    /// - Parameters:
    ///   - tolerance: the relative off-diagonal size at which to stop.
    ///   - maximumSweeps: the most sweeps to run (convergence is quadratic, so the default is
    ///     generous); the result after the last sweep is returned either way.
    public init(_ matrix: DenseMatrix, tolerance: Double = 1e-14, maximumSweeps: Int = 60) {
        precondition(matrix.isSquare, "SymmetricEigendecomposition: \(matrix.rowCount) × \(matrix.columnCount) is not square")
        let n = matrix.rowCount
        var a = matrix.symmetrized()
        var v = DenseMatrix.identity(n)
        let frobenius = DenseVector.norm(a.scalars)
        var sweeps = 0
        while sweeps < maximumSweeps && Self.offDiagonalNorm(a) > tolerance * frobenius {
            sweeps += 1
            for p in 0..<n {
                for q in (p + 1)..<Swift.max(p + 1, n) where a[p, q] != 0 {
                    Self.rotate(&a, &v, p, q)
                }
            }
        }
        let order = (0..<n).sorted { a[$0, $0] < a[$1, $1] }
        eigenvalues = order.map { a[$0, $0] }
        var sortedVectors = DenseMatrix(rowCount: n, columnCount: n)
        for (column, source) in order.enumerated() {
            for row in 0..<n { sortedVectors[row, column] = v[row, source] }
        }
        eigenvectors = sortedVectors
        sweepCount = sweeps
    }

    private static func offDiagonalNorm(_ a: DenseMatrix) -> Double {
        var sum = 0.0
        for i in 0..<a.rowCount { for j in 0..<a.columnCount where i != j { sum += a[i, j] * a[i, j] } }
        return sum.squareRoot()
    }

    /// Applies the Jacobi rotation that zeroes `a[p, q]`: `A ← JᵀAJ`, `V ← VJ`. The angle is
    /// the smaller root of `t² + 2θt − 1 = 0`, `θ = (a_qq − a_pp) / (2 a_pq)`, for stability.
    private static func rotate(_ a: inout DenseMatrix, _ v: inout DenseMatrix, _ p: Int, _ q: Int) {
        let n = a.rowCount
        let theta = (a[q, q] - a[p, p]) / (2 * a[p, q])
        let t = (theta >= 0 ? 1.0 : -1.0) / (Swift.abs(theta) + (theta * theta + 1).squareRoot())
        let c = 1 / (t * t + 1).squareRoot(), s = t * c
        for k in 0..<n {
            let akp = a[k, p], akq = a[k, q]
            a[k, p] = c * akp - s * akq
            a[k, q] = s * akp + c * akq
        }
        for k in 0..<n {
            let apk = a[p, k], aqk = a[q, k]
            a[p, k] = c * apk - s * aqk
            a[q, k] = s * apk + c * aqk
        }
        for k in 0..<n {
            let vkp = v[k, p], vkq = v[k, q]
            v[k, p] = c * vkp - s * vkq
            v[k, q] = s * vkp + c * vkq
        }
    }

    /// The smallest eigenvalue (nil for an empty matrix).
    public var minimumEigenvalue: Double? { eigenvalues.first }

    /// The largest eigenvalue (nil for an empty matrix).
    public var maximumEigenvalue: Double? { eigenvalues.last }
}
