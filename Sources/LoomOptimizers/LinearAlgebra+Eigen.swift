import Loom

/// The eigendecomposition `A = V diag(λ) Vᵀ` of a symmetric matrix, by Householder
/// reduction to a tridiagonal `T = QᵀAQ` followed by the implicit QL algorithm with
/// Wilkinson shifts on `T`, as LAPACK's `dsytrd` + `dsteqr` (and EISPACK's `tred2` + `tql2`).
///
/// Cost: `4n³/3` multiply-adds for the reduction (half the reads of a full-matrix version:
/// only the lower triangle is touched), `O(n²)` for the eigenvalues of `T`; with
/// eigenvectors about `3n³` more for the QL rotations (applied after each sweep, in column
/// blocks on Loom's kernel threads) and `2n³` for the back-transformation by `Q`.
/// Both are backward stable: the computed eigenvalues are exact for a matrix within
/// `O(n ε ‖A‖₂)` of `A`, so each is within a small multiple of `n` ulps of `‖A‖₂`.
///
/// Reference: G. H. Golub, C. F. Van Loan, *Matrix Computations*, 4th ed., §8.3 (Householder
/// tridiagonalization, symmetric QR); the QL iteration as in EISPACK `tql2`.
public struct SymmetricEigendecomposition: Sendable {
    /// The eigenvalues in ascending order.
    public let eigenvalues: [Double]
    /// The orthonormal eigenvectors as columns, column `k` belonging to `eigenvalues[k]`
    /// (an empty `0 × 0` matrix when they were not asked for).
    public let eigenvectors: DenseMatrix
    /// The number of QL iterations (implicit shifted sweeps) performed on `T` (0 when LAPACK
    /// did the work).
    public let iterationCount: Int

    /// Where the work is done.
    public enum Backend: Sendable, Equatable {
        /// LAPACK's `dsyevd` when a LAPACK library is found at run time, else ``swift``.
        case automatic
        /// Loom's own Householder reduction and QL iteration.
        case swift
    }

    /// The LAPACK library ``Backend/automatic`` uses, or nil when none was found (set
    /// `LOOM_LAPACK` to a library path, or to `off` for the Swift code).
    public static var lapackLibrary: String? { LAPACK.isAvailable ? LAPACK.libraryName : nil }

    /// Decomposes `matrix`, which must be square; only its lower triangle is read (for a
    /// symmetric matrix, that is all of it).
    ///
    /// - Parameters:
    ///   - matrix: the square matrix to decompose.
    ///   - computesEigenvectors: false skips the rotations and the back-transformation (then
    ///     `eigenvectors` is empty and the cost is `4n³/3`).
    ///   - backend: LAPACK when present (the default), or the Swift code.
    public init(_ matrix: DenseMatrix, computesEigenvectors: Bool = true, backend: Backend = .automatic) {
        precondition(matrix.isSquare, "SymmetricEigendecomposition: \(matrix.rowCount) × \(matrix.columnCount) is not square")
        let n = matrix.rowCount
        if backend == .automatic, let (values, rows) = LAPACK.symmetricEigen(matrix.scalars, n: n, vectors: computesEigenvectors) {
            eigenvalues = values
            iterationCount = 0
            eigenvectors = computesEigenvectors ? DenseMatrix(rowCount: n, columnCount: n, scalars: rows).transposed()
                                                : DenseMatrix(rowCount: 0, columnCount: 0)
            return
        }
        var work = matrix.scalars
        var tridiagonal = Tridiagonalization(reducing: &work, n: n)
        var z: [Double] = []
        if computesEigenvectors && n > Self.divideAndConquerThreshold {
            let solution = TridiagonalDivideAndConquer.solve(diagonal: tridiagonal.diagonal, offDiagonal: tridiagonal.offDiagonal)
            tridiagonal.diagonal = solution.values
            z = solution.vectors
            iterationCount = solution.sweeps
        } else {
            if computesEigenvectors {
                z = [Double](repeating: 0, count: n * n)
                for i in 0..<n { z[i * n + i] = 1 }
            }
            iterationCount = tridiagonal.diagonalize(rotating: &z, accumulates: computesEigenvectors)
        }
        if computesEigenvectors { tridiagonal.backTransform(&z) }
        let order = (0..<n).sorted { tridiagonal.diagonal[$0] < tridiagonal.diagonal[$1] }
        eigenvalues = order.map { tridiagonal.diagonal[$0] }
        guard computesEigenvectors else {
            eigenvectors = DenseMatrix(rowCount: 0, columnCount: 0)
            return
        }
        // Row k of z is the eigenvector of diagonal[k]; the result holds them as columns.
        var vectors = [Double](repeating: 0, count: n * n)
        for (column, source) in order.enumerated() {
            for row in 0..<n { vectors[row * n + column] = z[source * n + row] }
        }
        eigenvectors = DenseMatrix(rowCount: n, columnCount: n, scalars: vectors)
    }

    /// The order above which eigenvectors of `T` come from divide and conquer rather than QL.
    static let divideAndConquerThreshold = 64

    /// The smallest eigenvalue (nil for an empty matrix).
    public var minimumEigenvalue: Double? { eigenvalues.first }

    /// The largest eigenvalue (nil for an empty matrix).
    public var maximumEigenvalue: Double? { eigenvalues.last }

    /// The eigenvalues of the symmetric tridiagonal matrix with `diagonal` (n) and
    /// `offDiagonal` (n − 1), ascending: the implicit QL iteration alone, `O(n²)`. Lanczos
    /// and stochastic Lanczos quadrature use it (`eigenpairs(diagonal:offDiagonal:)` when
    /// they need the vectors too).
    public static func eigenvalues(diagonal: [Double], offDiagonal: [Double]) -> [Double] {
        eigenpairs(diagonal: diagonal, offDiagonal: offDiagonal, computesEigenvectors: false).values
    }

    /// The eigenvalues (ascending) of a symmetric tridiagonal matrix and, when asked, the
    /// first component of each normalized eigenvector (the quadrature weights of Lanczos
    /// are their squares) and the eigenvectors as rows.
    public static func eigenpairs(
        diagonal: [Double], offDiagonal: [Double], computesEigenvectors: Bool = true
    ) -> (values: [Double], vectors: [[Double]]) {
        let n = diagonal.count
        precondition(offDiagonal.count == Swift.max(n - 1, 0), "eigenpairs: \(offDiagonal.count) off-diagonal entries for \(n) diagonal ones")
        var t = Tridiagonalization(diagonal: diagonal, offDiagonal: offDiagonal)
        var z: [Double] = []
        if computesEigenvectors {
            z = [Double](repeating: 0, count: n * n)
            for i in 0..<n { z[i * n + i] = 1 }
        }
        _ = t.diagonalize(rotating: &z, accumulates: computesEigenvectors)
        let order = (0..<n).sorted { t.diagonal[$0] < t.diagonal[$1] }
        let vectors = computesEigenvectors ? order.map { Array(z[($0 * n)..<($0 * n + n)]) } : []
        return (order.map { t.diagonal[$0] }, vectors)
    }
}
