import Loom

// A small dense linear-algebra kit in float64, for second-order methods: Newton's method
// solves (H + λI) p = −g with a Cholesky factorization; tests and experiments read the
// Hessian's spectrum with ``SymmetricEigendecomposition``. Everything is O(n²) memory and
// O(n³) time, meant for the few thousand parameters a dense Hessian allows.

/// A dense row-major matrix of `Double`s.
public struct DenseMatrix: Equatable, Sendable, CustomStringConvertible {
    /// The number of rows.
    public let rowCount: Int
    /// The number of columns.
    public let columnCount: Int
    /// The entries in row-major order: `(i, j)` is at `i * columnCount + j`.
    public var scalars: [Double]

    /// A `rowCount × columnCount` matrix holding `scalars` in row-major order.
    public init(rowCount: Int, columnCount: Int, scalars: [Double]) {
        precondition(rowCount >= 0 && columnCount >= 0, "DenseMatrix: negative size \(rowCount) × \(columnCount)")
        precondition(scalars.count == rowCount * columnCount,
                     "DenseMatrix: \(rowCount) × \(columnCount) needs \(rowCount * columnCount) entries, got \(scalars.count)")
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.scalars = scalars
    }

    /// A matrix from its rows (all of one length).
    public init(rows: [[Double]]) {
        let columns = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == columns }, "DenseMatrix: rows of different lengths \(rows.map(\.count))")
        self.init(rowCount: rows.count, columnCount: columns, scalars: rows.flatMap { $0 })
    }

    /// A `rowCount × columnCount` matrix with every entry `value`.
    public init(rowCount: Int, columnCount: Int, repeating value: Double = 0) {
        self.init(rowCount: rowCount, columnCount: columnCount,
                  scalars: [Double](repeating: value, count: rowCount * columnCount))
    }

    /// The `n × n` identity.
    public static func identity(_ n: Int) -> DenseMatrix {
        var result = DenseMatrix(rowCount: n, columnCount: n)
        for i in 0..<n { result[i, i] = 1 }
        return result
    }

    /// A matrix from a rank-2 floating-point tensor (converted to `Double`).
    public init(_ tensor: Tensor) {
        precondition(tensor.rank == 2, "DenseMatrix: needs a rank-2 tensor, got shape \(tensor.shape)")
        self.init(rowCount: tensor.shape[0], columnCount: tensor.shape[1], scalars: tensor.asArray(Double.self))
    }

    /// The matrix as a `[rowCount, columnCount]` tensor of `dtype`.
    public func tensor(dtype: DType = .float64) -> Tensor {
        Tensor(shape: [rowCount, columnCount], scalars: scalars, dtype: dtype)
    }

    /// The entry in row `row` and column `column`.
    public subscript(row: Int, column: Int) -> Double {
        get { scalars[row * columnCount + column] }
        set { scalars[row * columnCount + column] = newValue }
    }

    /// Whether the matrix is square.
    public var isSquare: Bool { rowCount == columnCount }

    /// The diagonal entries.
    public var diagonal: [Double] { (0..<Swift.min(rowCount, columnCount)).map { self[$0, $0] } }

    /// The transpose.
    public func transposed() -> DenseMatrix {
        var result = DenseMatrix(rowCount: columnCount, columnCount: rowCount)
        for i in 0..<rowCount { for j in 0..<columnCount { result[j, i] = self[i, j] } }
        return result
    }

    /// `A + λI` (square matrices only).
    public func addingToDiagonal(_ shift: Double) -> DenseMatrix {
        precondition(isSquare, "addingToDiagonal: \(rowCount) × \(columnCount) is not square")
        var result = self
        for i in 0..<rowCount { result[i, i] += shift }
        return result
    }

    /// `½(A + Aᵀ)`: removes the rounding asymmetry of a computed Hessian.
    public func symmetrized() -> DenseMatrix {
        precondition(isSquare, "symmetrized: \(rowCount) × \(columnCount) is not square")
        var result = self
        for i in 0..<rowCount {
            for j in (i + 1)..<Swift.max(i + 1, columnCount) {
                let mean = 0.5 * (self[i, j] + self[j, i])
                result[i, j] = mean
                result[j, i] = mean
            }
        }
        return result
    }

    /// The largest absolute difference between `self[i, j]` and `self[j, i]`.
    public var asymmetry: Double {
        precondition(isSquare, "asymmetry: \(rowCount) × \(columnCount) is not square")
        var result = 0.0
        for i in 0..<rowCount { for j in 0..<i { result = Swift.max(result, Swift.abs(self[i, j] - self[j, i])) } }
        return result
    }

    /// The product `A x`.
    public static func * (matrix: DenseMatrix, vector: [Double]) -> [Double] {
        precondition(vector.count == matrix.columnCount,
                     "DenseMatrix *: \(matrix.rowCount) × \(matrix.columnCount) times a vector of \(vector.count)")
        return (0..<matrix.rowCount).map { i in
            var sum = 0.0
            let base = i * matrix.columnCount
            for j in 0..<matrix.columnCount { sum += matrix.scalars[base + j] * vector[j] }
            return sum
        }
    }

    /// The product `A B`.
    public static func * (a: DenseMatrix, b: DenseMatrix) -> DenseMatrix {
        precondition(a.columnCount == b.rowCount, "DenseMatrix *: \(a.rowCount) × \(a.columnCount) times \(b.rowCount) × \(b.columnCount)")
        var result = DenseMatrix(rowCount: a.rowCount, columnCount: b.columnCount)
        for i in 0..<a.rowCount {
            for k in 0..<a.columnCount {
                let aik = a[i, k]
                if aik == 0 { continue }
                for j in 0..<b.columnCount { result[i, j] += aik * b[k, j] }
            }
        }
        return result
    }

    public var description: String {
        (0..<rowCount).map { i in
            "[" + (0..<columnCount).map { String(self[i, $0]) }.joined(separator: ", ") + "]"
        }.joined(separator: "\n")
    }
}

/// Vector helpers on `[Double]`.
enum DenseVector {
    /// `⟨a, b⟩`.
    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "dot: lengths \(a.count) and \(b.count) differ")
        var sum = 0.0
        for i in a.indices { sum += a[i] * b[i] }
        return sum
    }

    /// The Euclidean norm `‖a‖₂`.
    static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }

    /// `a + scale · b`.
    static func adding(_ a: [Double], _ b: [Double], scaledBy scale: Double = 1) -> [Double] {
        precondition(a.count == b.count, "adding: lengths \(a.count) and \(b.count) differ")
        return a.indices.map { a[$0] + scale * b[$0] }
    }
}

/// The Cholesky factorization `A = L Lᵀ` of a symmetric positive-definite matrix, with `L`
/// lower triangular and a positive diagonal.
///
/// The factorization reads only the lower triangle of `A`. It fails (the initializer returns
/// nil) at the first pivot `A_jj − Σₖ L_jk²` that is not above `minimumPivot` (or is not
/// finite): that is how Newton's method learns that `H + λI` is not (numerically) positive
/// definite and must be shifted further. Cost: n³/3 multiply-adds.
public struct CholeskyFactorization: Sendable {
    /// The lower-triangular factor `L` (zeros above the diagonal).
    public let lower: DenseMatrix

    /// Factors `matrix`, or returns nil when a pivot is `≤ minimumPivot` or not finite.
    ///
    /// Blocked (left-looking, LAPACK `dpotrf`'s order): for each block of `nb` columns, the
    /// block column below and on the diagonal is updated by the columns before it in one GEMM
    /// (`A[j…, J] −= L[j…, 0..<j] · L[J, 0..<j]ᵀ`, where the n³/3 multiply-adds are), then the
    /// diagonal block is factored row by row (Cholesky–Banachiewicz) and the rows below it are
    /// solved against it. Pivots are met in the order of the unblocked algorithm, so the same
    /// pivot fails; the values differ from it only by rounding.
    public init?(_ matrix: DenseMatrix, minimumPivot: Double = 0) {
        precondition(matrix.isSquare, "Cholesky: \(matrix.rowCount) × \(matrix.columnCount) is not square")
        let n = matrix.rowCount
        var l = [Double](repeating: 0, count: n * n)
        let succeeded = matrix.scalars.withUnsafeBufferPointer { aBuffer in
            l.withUnsafeMutableBufferPointer { lBuffer in
                guard let a = aBuffer.baseAddress, let l = lBuffer.baseAddress else { return true }
                // The lower triangle of A, to be overwritten by L.
                for i in 0..<n { (l + i * n).update(from: a + i * n, count: i + 1) }
                return Self.factor(l, n: n, minimumPivot: minimumPivot)
            }
        }
        guard succeeded else { return nil }
        lower = DenseMatrix(rowCount: n, columnCount: n, scalars: l)
    }

    /// Columns per block of the factorization: enough for the GEMM to run at speed, few
    /// enough that the unblocked work on each diagonal block stays small.
    static let blockSize = 96

    /// Columns per panel of the solve below each diagonal block (a GEMM between panels, short
    /// dot products within one): one micro-panel of the widest float64 GEMM tile.
    static let solvePanel = 16

    /// Overwrites the lower triangle of the row-major `n × n` `l` (holding `A`) with `L`;
    /// false at the first pivot that is not finite and above `minimumPivot`.
    private static func factor(_ l: UnsafeMutablePointer<Double>, n: Int, minimumPivot: Double) -> Bool {
        for j in stride(from: 0, to: n, by: blockSize) {
            let width = Swift.min(blockSize, n - j)
            // A[j..<n, J] −= L[j..<n, 0..<j] · L[J, 0..<j]ᵀ: the block column, diagonal block included.
            DenseGEMM.multiply(m: n - j, n: width, k: j, alpha: -1, l + j * n, strides: (n, 1),
                               l + j * n, strides: (1, n), beta: 1, l + j * n + j, strides: (n, 1))
            // The diagonal block, unblocked.
            for i in j..<(j + width) {
                let rowI = l + i * n
                for c in j..<i {
                    let rowC = l + c * n
                    rowI[c] = (rowI[c] - DenseKernels.dot(rowI + j, rowC + j, c - j)) / rowC[c]
                }
                let pivot = rowI[i] - DenseKernels.dot(rowI + j, rowI + j, i - j)
                guard pivot.isFinite, pivot > minimumPivot else { return false }
                rowI[i] = pivot.squareRoot()
            }
            // Rows below: L[R, J] = A[R, J] · L[J, J]⁻ᵀ, a forward substitution per row, in
            // panels of `solvePanel` columns: a panel's columns first lose what the panels before
            // it contribute, in one GEMM (L[R, P] −= L[R, j..<p] · L[P, j..<p]ᵀ), then are solved
            // against the panel's own triangle. The same arithmetic as the whole substitution
            // row by row, but for the order of its sums; most of it now runs in the GEMM (the
            // dot products of a row by row solve, up to 96 long, were most of a factorization's
            // time at n = 1,210).
            let below = n - j - width
            guard below > 0 else { continue }
            let rows = l + (j + width) * n
            for p in stride(from: j, to: j + width, by: solvePanel) {
                let panel = Swift.min(solvePanel, j + width - p)
                DenseGEMM.multiply(m: below, n: panel, k: p - j, alpha: -1, rows + j, strides: (n, 1),
                                   l + p * n + j, strides: (1, n), beta: 1, rows + p, strides: (n, 1))
                forEachChunk(of: below, minimumChunk: 64) { range in
                    for r in range {
                        let row = rows + r * n
                        for c in p..<(p + panel) {
                            let rowC = l + c * n
                            row[c] = (row[c] - DenseKernels.dot(row + p, rowC + p, c - p)) / rowC[c]
                        }
                    }
                }
            }
        }
        // Above the diagonal: zeros (the buffer held only the lower triangle of A).
        for i in 0..<n { (l + i * n + i + 1).update(repeating: 0, count: n - i - 1) }
        return true
    }

    /// The solution `x` of `A x = b`, by forward (`L y = b`) then back (`Lᵀ x = y`)
    /// substitution.
    public func solve(_ b: [Double]) -> [Double] {
        let n = lower.rowCount
        precondition(b.count == n, "Cholesky solve: right-hand side of \(b.count) for a \(n) × \(n) matrix")
        var y = b
        for i in 0..<n {
            var sum = y[i]
            for k in 0..<i { sum -= lower[i, k] * y[k] }
            y[i] = sum / lower[i, i]
        }
        var x = y
        for i in stride(from: n - 1, through: 0, by: -1) {
            var sum = x[i]
            for k in (i + 1)..<Swift.max(i + 1, n) { sum -= lower[k, i] * x[k] }
            x[i] = sum / lower[i, i]
        }
        return x
    }

    /// `log det A = 2 Σ log L_ii`.
    public var logDeterminant: Double {
        lower.diagonal.reduce(0) { $0 + 2 * Platform.log($1) }
    }
}
