import Foundation
import Loom
import LoomOptimizers
import Testing

/// The symmetric eigensolver and Cholesky against matrices whose answers are known in closed
/// form, with tolerances in ulps of `‖A‖₂` that grow with `n` (the backward-error bound).
@Suite("Symmetric eigendecomposition")
struct EigendecompositionTests {
    /// A random orthogonal `n × n` matrix: the Q of a product of `n` random reflectors.
    static func randomOrthogonal(_ n: Int, seed: UInt64) -> DenseMatrix {
        var generator = SeededGenerator(seed: seed)
        var q = DenseMatrix.identity(n)
        for _ in 0..<n {
            let v = Tensor.normal([n], dtype: .float64, using: &generator).asArray(Double.self)
            let scale = 2 / v.reduce(0) { $0 + $1 * $1 }
            // Q ← Q (I − 2 v vᵀ / vᵀv)
            for i in 0..<n {
                var dot = 0.0
                for j in 0..<n { dot += q[i, j] * v[j] }
                for j in 0..<n { q[i, j] -= scale * dot * v[j] }
            }
        }
        return q
    }

    static func maximumError(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    /// Both backends (on a machine without LAPACK, `.automatic` is the Swift code twice).
    static let backends: [SymmetricEigendecomposition.Backend] = [.swift, .automatic]

    @Test("the (2, −1) tridiagonal matrix: λ_k = 2 − 2cos(kπ/(n+1))", arguments: [1, 2, 3, 10, 97, 300], backends)
    func secondDifference(n: Int, backend: SymmetricEigendecomposition.Backend) {
        var a = DenseMatrix(rowCount: n, columnCount: n)
        for i in 0..<n {
            a[i, i] = 2
            if i > 0 { a[i, i - 1] = -1; a[i - 1, i] = -1 }
        }
        let exact = (1...n).map { 2 - 2 * cos(Double($0) * Double.pi / Double(n + 1)) }
        let decomposition = SymmetricEigendecomposition(a, backend: backend)
        let ulp = 4 * Double.ulpOfOne
        #expect(Self.maximumError(decomposition.eigenvalues, exact) <= 10 * Double(n) * ulp)
        // The tridiagonal-only entry point gives the same spectrum.
        let direct = SymmetricEigendecomposition.eigenvalues(diagonal: [Double](repeating: 2, count: n),
                                                            offDiagonal: [Double](repeating: -1, count: n - 1))
        #expect(Self.maximumError(direct, exact) <= 10 * Double(n) * ulp)
        checkVectors(a, decomposition)
    }

    @Test("A = QΛQᵀ with known Λ (spread, clustered, repeated and negative eigenvalues)", arguments: [5, 40, 150, 257], backends)
    func knownSpectrum(n: Int, backend: SymmetricEigendecomposition.Backend) {
        // Eigenvalues over 12 orders of magnitude, a cluster, a repeated one and negative ones.
        let lambda = (0..<n).map { k -> Double in
            switch k % 5 {
            case 0: return -Double(k) / 3
            case 1: return pow(10, Double(k % 13) - 6)
            case 2: return 7
            case 3: return 7 + 1e-10 * Double(k)
            default: return Double(k * k)
            }
        }
        let q = Self.randomOrthogonal(n, seed: UInt64(n))
        var scaled = q
        for i in 0..<n { for j in 0..<n { scaled[i, j] *= lambda[j] } }
        let a = (scaled * q.transposed()).symmetrized()
        let norm = lambda.map(abs).max()!
        let decomposition = SymmetricEigendecomposition(a, backend: backend)
        #expect(Self.maximumError(decomposition.eigenvalues, lambda.sorted()) <= 10 * Double(n) * norm * Double.ulpOfOne)
        let valuesOnly = SymmetricEigendecomposition(a, computesEigenvectors: false, backend: backend)
        #expect(valuesOnly.eigenvectors.rowCount == 0)
        #expect(Self.maximumError(valuesOnly.eigenvalues, decomposition.eigenvalues) <= 10 * Double(n) * norm * Double.ulpOfOne)
        checkVectors(a, decomposition)
    }

    @Test("a dense 401 × 401 matrix: threaded symmetric products, many panels, deep merges")
    func denseOddOrder() {
        let n = 401
        var a = DenseMatrix(rowCount: n, columnCount: n)
        for i in 0..<n {
            for j in 0...i {
                let value = Double(((i * j + 3 * (i + j)) * 2_654_435_761) % 1_000_003) / 1_000_003 - 0.5
                a[i, j] = value
                a[j, i] = value
            }
        }
        let decomposition = SymmetricEigendecomposition(a, backend: .swift)
        checkVectors(a, decomposition)
        let norm = decomposition.eigenvalues.map(abs).max()!
        // The eigenvalues alone come from QL on the same T: the two solvers agree.
        let valuesOnly = SymmetricEigendecomposition(a, computesEigenvectors: false, backend: .swift)
        #expect(Self.maximumError(valuesOnly.eigenvalues, decomposition.eigenvalues) <= 10 * Double(n) * norm * Double.ulpOfOne)
        // The trace is the sum of the eigenvalues.
        #expect(abs(a.diagonal.reduce(0, +) - decomposition.eigenvalues.reduce(0, +)) <= Double(n) * norm * Double.ulpOfOne * 10)
    }

    /// `‖AV − VΛ‖ ≤ c n ε ‖A‖` and `‖VᵀV − I‖ ≤ c n ε`, entrywise.
    func checkVectors(_ a: DenseMatrix, _ decomposition: SymmetricEigendecomposition, sourceLocation: SourceLocation = #_sourceLocation) {
        let n = a.rowCount
        let v = decomposition.eigenvectors, lambda = decomposition.eigenvalues
        let norm = lambda.map(abs).max() ?? 0
        let av = a * v
        var residual = 0.0
        for i in 0..<n { for k in 0..<n { residual = max(residual, abs(av[i, k] - v[i, k] * lambda[k])) } }
        #expect(residual <= 20 * Double(n) * norm * Double.ulpOfOne, "residual \(residual)", sourceLocation: sourceLocation)
        let gram = v.transposed() * v
        #expect(Self.maximumError(gram.scalars, DenseMatrix.identity(n).scalars) <= 20 * Double(n) * Double.ulpOfOne,
                sourceLocation: sourceLocation)
    }

    @Test("an empty matrix, a 1 × 1 and a diagonal one")
    func degenerate() {
        #expect(SymmetricEigendecomposition(DenseMatrix(rowCount: 0, columnCount: 0)).eigenvalues.isEmpty)
        #expect(SymmetricEigendecomposition(DenseMatrix(rows: [[-3]])).eigenvalues == [-3])
        let diagonal = DenseMatrix(rows: [[3, 0, 0], [0, -1, 0], [0, 0, 2]])
        let decomposition = SymmetricEigendecomposition(diagonal)
        #expect(decomposition.eigenvalues == [-1, 2, 3])
        #expect(decomposition.eigenvectors == DenseMatrix(rows: [[0, 0, 1], [1, 0, 0], [0, 1, 0]]))
    }

    @Test("tridiagonal eigenpairs: T v = λ v, and the first components' squares sum to 1")
    func tridiagonalPairs() {
        let diagonal = [4.0, 1, -2, 3, 0.5], offDiagonal = [1.0, 0.3, 2, -1]
        let (values, vectors) = SymmetricEigendecomposition.eigenpairs(diagonal: diagonal, offDiagonal: offDiagonal)
        #expect(values == values.sorted())
        for (lambda, v) in zip(values, vectors) {
            for i in 0..<5 {
                var tv = diagonal[i] * v[i]
                if i > 0 { tv += offDiagonal[i - 1] * v[i - 1] }
                if i < 4 { tv += offDiagonal[i] * v[i + 1] }
                #expect(abs(tv - lambda * v[i]) < 1e-14 * 8)
            }
        }
        #expect(abs(vectors.reduce(0) { $0 + $1[0] * $1[0] } - 1) < 1e-14)
    }

    @Test("Cholesky of QΛQᵀ (Λ > 0) reproduces A and solves A x = b", arguments: [7, 64, 129])
    func cholesky(n: Int) throws {
        let lambda = (0..<n).map { 1 + Double($0) }
        let q = Self.randomOrthogonal(n, seed: 9)
        var scaled = q
        for i in 0..<n { for j in 0..<n { scaled[i, j] *= lambda[j] } }
        let a = (scaled * q.transposed()).symmetrized()
        let factors = try #require(CholeskyFactorization(a))
        let l = factors.lower
        let product = l * l.transposed()
        #expect(Self.maximumError(product.scalars, a.scalars) <= 10 * Double(n) * Double(n) * Double.ulpOfOne)
        let x = (0..<n).map { sin(Double($0)) }
        let solved = factors.solve(a * x)
        // Condition number n: the solution is good to about n · κ ulps.
        #expect(Self.maximumError(solved, x) <= 10 * Double(n) * Double(n) * Double.ulpOfOne)
        #expect(abs(factors.logDeterminant - lambda.reduce(0) { $0 + log($1) }) < 1e-10 * Double(n))
    }
}
