import Loom

/// The eigendecomposition `A = V diag(λ) Vᵀ` of a symmetric matrix, in LAPACK `dsyevd`'s
/// three stages: Householder reduction to a tridiagonal `T = QᵀAQ`, the eigenproblem of `T`,
/// and (for eigenvectors) the back-transformation `V = Q V_T`.
///
/// - Reduction: blocked as `dsytrd` (panels of 32 reflectors, `dlatrd`), `4n³/3` flops, half
///   in GEMMs (the rank-2b trailing updates), half in symmetric matrix-vector products.
/// - `T`'s eigenvalues alone: the implicit QL iteration with Wilkinson shifts (EISPACK `tql2`),
///   `O(n²)`. With eigenvectors, above order 32: Cuppen's divide and conquer (`dstedc`, see
///   `TridiagonalDivideAndConquer`): rank-one tears, deflation, each secular root from its
///   nearer pole, Gu and Eisenstat's recomputed `z` (orthogonal vectors), and the merges as
///   GEMMs, at most `4n³/3` flops and much less when eigenvalues cluster. Below order 32, QL
///   with its rotations applied to the vectors.
/// - Back-transformation: compact WY blocks of 64 reflectors (`dormtr`), `2n³` flops in GEMMs.
///
/// Every stage is backward stable: the computed eigenvalues are exact for a matrix within
/// `O(n ε ‖A‖₂)` of `A`, so each is within a small multiple of `n` ulps of `‖A‖₂`, and the
/// eigenvectors are orthonormal to `O(n ε)`. Measured (BENCHMARKS.md, "Second order"): at
/// n = 2,000 with eigenvectors, about 1.2× OpenBLAS's `dsyevd` time on one thread.
///
/// References: G. H. Golub, C. F. Van Loan, *Matrix Computations*, 4th ed., §8.3 (Householder
/// tridiagonalization, symmetric QR) and §8.4 (divide and conquer); J. J. M. Cuppen, Numer.
/// Math. 36 (1981); M. Gu, S. C. Eisenstat, SIAM J. Matrix Anal. Appl. 16 (1995); the LAPACK
/// Users' Guide, 3rd ed., §3.4.3 (`xSYEVD`).
public struct SymmetricEigendecomposition: Sendable {
    /// The eigenvalues in ascending order.
    public let eigenvalues: [Double]
    /// The orthonormal eigenvectors as columns, column `k` belonging to `eigenvalues[k]`
    /// (an empty `0 × 0` matrix when they were not asked for).
    public let eigenvectors: DenseMatrix
    /// The number of QL iterations (implicit shifted sweeps) performed on `T`, or on the leaves
    /// of divide and conquer (0 when LAPACK did the work).
    public let iterationCount: Int

    /// Where the work is done.
    public enum Backend: Sendable, Equatable {
        /// LAPACK's `dsyevd` when a LAPACK library is found at run time, else ``swift``.
        case automatic
        /// Loom's own reduction, divide and conquer or QL, and back-transformation.
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
    ///   - computesEigenvectors: false skips the eigenvectors of `T` and the back-transformation
    ///     (then `eigenvectors` is empty and the cost is the reduction's `4n³/3` flops).
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

    /// The order above which eigenvectors of `T` come from divide and conquer rather than QL:
    /// its leaf size, since with one merge it is already faster (measured, one thread: 0.23
    /// against 0.25 ms at n = 40, 0.56 against 0.76 ms at n = 64, 8.1 against 15 ms at n = 200).
    static let divideAndConquerThreshold = TridiagonalDivideAndConquer.leafSize

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
