import Foundation
import Loom
import LoomOptimizers
import Testing

@Suite("Newton linear algebra")
struct NewtonLinearAlgebraTests {
    @Test("Cholesky against known factors, solve and log-determinant")
    func choleskyKnownFactors() throws {
        // The classic example: A = L Lᵀ with L = [[2, 0, 0], [6, 1, 0], [−8, 5, 3]].
        let a = DenseMatrix(rows: [[4, 12, -16], [12, 37, -43], [-16, -43, 98]])
        let factors = try #require(CholeskyFactorization(a))
        #expect(factors.lower == DenseMatrix(rows: [[2, 0, 0], [6, 1, 0], [-8, 5, 3]]))
        // A x = b with x = [1, −2, 0.5].
        let x = factors.solve([4 - 24 - 8, 12 - 74 - 21.5, -16 + 86 + 49])
        #expect(zip(x, [1, -2, 0.5]).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(abs(factors.logDeterminant - 2 * log(6)) < 1e-12)
    }

    @Test("Cholesky of a random SPD matrix reproduces it")
    func choleskyRandom() throws {
        var generator = SeededGenerator(seed: 3)
        let m = DenseMatrix(Tensor.normal([12, 12], dtype: .float64, using: &generator))
        let a = (m.transposed() * m).addingToDiagonal(0.1)
        let l = try #require(CholeskyFactorization(a)).lower
        let product = l * l.transposed()
        #expect(zip(product.scalars, a.scalars).allSatisfy { abs($0 - $1) < 1e-11 * 12 })
        for i in 0..<12 { for j in (i + 1)..<12 { #expect(l[i, j] == 0) } }
    }

    @Test("Cholesky refuses indefinite, singular and non-finite matrices", arguments: [
        DenseMatrix(rows: [[1, 2], [2, 1]]),
        DenseMatrix(rows: [[1, 1], [1, 1]]),
        DenseMatrix(rows: [[-1, 0], [0, 1]]),
        DenseMatrix(rows: [[1, 0], [0, .nan]]),
    ])
    func choleskyRefuses(matrix: DenseMatrix) {
        #expect(CholeskyFactorization(matrix) == nil)
    }

    @Test("a minimum pivot rejects nearly singular matrices")
    func minimumPivot() {
        let a = DenseMatrix(rows: [[1, 0], [0, 1e-20]])
        #expect(CholeskyFactorization(a) != nil)
        #expect(CholeskyFactorization(a, minimumPivot: 1e-15) == nil)
    }

    @Test("eigenvalues of a 2 × 2 and a random symmetric matrix")
    func smallEigendecompositions() throws {
        let small = SymmetricEigendecomposition(DenseMatrix(rows: [[2, 1], [1, 2]]))
        #expect(zip(small.eigenvalues, [1.0, 3.0]).allSatisfy { abs($0 - $1) < 1e-14 })

        var generator = SeededGenerator(seed: 4)
        let m = DenseMatrix(Tensor.normal([8, 8], dtype: .float64, using: &generator))
        let a = DenseMatrix(rowCount: 8, columnCount: 8, scalars: zip(m.scalars, m.transposed().scalars).map { $0 + $1 })
        let decomposition = SymmetricEigendecomposition(a)
        let v = decomposition.eigenvectors
        let lambda = decomposition.eigenvalues
        #expect(lambda == lambda.sorted())
        // A V = V Λ and VᵀV = I.
        let av = a * v
        for i in 0..<8 {
            for k in 0..<8 { #expect(abs(av[i, k] - v[i, k] * lambda[k]) < 1e-12 * 8 * 4) }
        }
        let gram = v.transposed() * v
        #expect(zip(gram.scalars, DenseMatrix.identity(8).scalars).allSatisfy { abs($0 - $1) < 1e-13 })
        // The trace is the sum of the eigenvalues.
        #expect(abs(a.diagonal.reduce(0, +) - lambda.reduce(0, +)) < 1e-12)
        #expect(decomposition.iterationCount < 8 * 3)
    }
}
