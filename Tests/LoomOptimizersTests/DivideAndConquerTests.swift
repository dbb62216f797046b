import Foundation
import Loom
@testable import LoomOptimizers
import Testing

/// Divide and conquer on tridiagonal matrices with known or hard spectra, at leaf sizes small
/// enough that every size below merges several times; tolerances in ulps of `‖T‖` grow with `n`.
@Suite("Tridiagonal divide and conquer")
struct DivideAndConquerTests {
    /// `max |T v_k − λ_k v_k|` and `max |VᵀV − I|` over all entries (rows of `vectors` are the `v_k`).
    static func residuals(diagonal: [Double], offDiagonal: [Double], values: [Double], vectors: [Double]) -> (residual: Double, orthogonality: Double) {
        let n = diagonal.count
        var residual = 0.0, orthogonality = 0.0
        for k in 0..<n {
            let v = vectors[(k * n)..<(k * n + n)].map { $0 }
            for i in 0..<n {
                var tv = diagonal[i] * v[i] - values[k] * v[i]
                if i > 0 { tv += offDiagonal[i - 1] * v[i - 1] }
                if i < n - 1 { tv += offDiagonal[i] * v[i + 1] }
                residual = max(residual, abs(tv))
            }
            for l in 0...k {
                var dot = 0.0
                for i in 0..<n { dot += v[i] * vectors[l * n + i] }
                orthogonality = max(orthogonality, abs(dot - (k == l ? 1 : 0)))
            }
        }
        return (residual, orthogonality)
    }

    /// Solves and checks ascending order, the residual and orthogonality against `c n ε ‖T‖`;
    /// returns the eigenvalues.
    @discardableResult
    static func check(diagonal: [Double], offDiagonal: [Double], leafSize: Int,
                      sourceLocation: SourceLocation = #_sourceLocation) -> [Double] {
        let n = diagonal.count
        let (values, vectors, _) = TridiagonalDivideAndConquer.solve(diagonal: diagonal, offDiagonal: offDiagonal, leafSize: leafSize)
        #expect(values == values.sorted(), sourceLocation: sourceLocation)
        let norm = max(values.map(abs).max() ?? 0, Double.leastNormalMagnitude)
        let (residual, orthogonality) = residuals(diagonal: diagonal, offDiagonal: offDiagonal, values: values, vectors: vectors)
        let bound = 20 * Double(n) * Double.ulpOfOne
        #expect(residual <= bound * norm, "n = \(n), leaf \(leafSize): residual \(residual / norm / .ulpOfOne) ulp of ‖T‖",
                sourceLocation: sourceLocation)
        #expect(orthogonality <= bound, "n = \(n), leaf \(leafSize): ‖VᵀV − I‖ = \(orthogonality / .ulpOfOne) ulp",
                sourceLocation: sourceLocation)
        return values
    }

    static func maximumError(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    @Test("the (2, −1) matrix: λ_k = 2 − 2cos(kπ/(n+1))", arguments: [1, 2, 3, 33, 64, 65, 100, 257], [3, 8, 32])
    func secondDifference(n: Int, leafSize: Int) {
        let exact = (1...n).map { 2 - 2 * cos(Double($0) * Double.pi / Double(n + 1)) }
        let values = Self.check(diagonal: [Double](repeating: 2, count: n), offDiagonal: [Double](repeating: -1, count: n - 1),
                                leafSize: leafSize)
        #expect(Self.maximumError(values, exact) <= 10 * Double(n) * 4 * Double.ulpOfOne)
    }

    /// Wilkinson's `W⁺_{2m+1}`: diagonal `|m − i|`, off-diagonal 1; its largest eigenvalues come
    /// in pairs that agree to many digits (for m = 10, the top pair to about 10⁻¹⁴).
    static func wilkinson(_ m: Int) -> (diagonal: [Double], offDiagonal: [Double]) {
        ((0...(2 * m)).map { Double(abs(m - $0)) }, [Double](repeating: 1, count: 2 * m))
    }

    @Test("Wilkinson W21+ and W201+ (close pairs): QL's eigenvalues, orthogonal vectors", arguments: [10, 100], [2, 5, 32])
    func wilkinsonMatrix(m: Int, leafSize: Int) {
        let (diagonal, offDiagonal) = Self.wilkinson(m)
        let n = diagonal.count
        let values = Self.check(diagonal: diagonal, offDiagonal: offDiagonal, leafSize: leafSize)
        let reference = SymmetricEigendecomposition.eigenvalues(diagonal: diagonal, offDiagonal: offDiagonal)
        #expect(Self.maximumError(values, reference) <= 10 * Double(n) * Double(m) * Double.ulpOfOne)
        if m == 10 {
            // W21+'s largest eigenvalue, 10.746194182903393 (Wilkinson, The Algebraic Eigenvalue Problem).
            #expect(abs(values[n - 1] - 10.746194182903393) <= 1e-13)
        }
    }

    @Test("glued Wilkinson matrices and a split matrix (deflation of most pairs)", arguments: [3, 16])
    func gluedAndSplit(leafSize: Int) {
        // Six copies of W21+ glued by 10⁻⁹: clusters of six eigenvalues within 10⁻⁹ of each other.
        let (w, ones) = Self.wilkinson(10)
        let diagonal = Array([[Double]](repeating: w, count: 6).joined())
        var offDiagonal: [Double] = []
        for copy in 0..<6 { offDiagonal += ones + (copy < 5 ? [1e-9] : []) }
        let values = Self.check(diagonal: diagonal, offDiagonal: offDiagonal, leafSize: leafSize)
        let reference = SymmetricEigendecomposition.eigenvalues(diagonal: diagonal, offDiagonal: offDiagonal)
        #expect(Self.maximumError(values, reference) <= 10 * 126 * 11 * Double.ulpOfOne)
        // Exact zeros off the diagonal (ρ = 0 at some merges) and repeated diagonal entries.
        let split = (0..<90).map { Double($0 % 3) }
        let splitOff = (0..<89).map { $0 % 7 == 0 ? 0 : 0.5 }
        Self.check(diagonal: split, offDiagonal: splitOff, leafSize: leafSize)
        // The identity: everything deflates.
        let identity = Self.check(diagonal: [Double](repeating: 1, count: 70), offDiagonal: [Double](repeating: 0, count: 69),
                                  leafSize: leafSize)
        #expect(identity == [Double](repeating: 1, count: 70))
    }

    @Test("random tridiagonal matrices: the same eigenvalues and eigenvectors as QL", arguments: [77, 200])
    func agreesWithQL(n: Int) {
        var generator = SeededGenerator(seed: UInt64(n))
        let diagonal = Tensor.normal([n], dtype: .float64, using: &generator).asArray(Double.self)
        let offDiagonal = Tensor.normal([n - 1], dtype: .float64, using: &generator).asArray(Double.self)
        let values = Self.check(diagonal: diagonal, offDiagonal: offDiagonal, leafSize: 25)
        let (reference, referenceVectors) = SymmetricEigendecomposition.eigenpairs(diagonal: diagonal, offDiagonal: offDiagonal)
        let norm = values.map(abs).max()!
        #expect(Self.maximumError(values, reference) <= 10 * Double(n) * norm * Double.ulpOfOne)
        let (_, vectors, _) = TridiagonalDivideAndConquer.solve(diagonal: diagonal, offDiagonal: offDiagonal, leafSize: 25)
        // Each vector agrees with QL's up to sign, to within ε‖T‖ / gap.
        for k in 0..<n {
            var dot = 0.0
            for i in 0..<n { dot += vectors[k * n + i] * referenceVectors[k][i] }
            let gap = min(k > 0 ? values[k] - values[k - 1] : .infinity, k < n - 1 ? values[k + 1] - values[k] : .infinity)
            #expect(1 - abs(dot) <= 1e-10 + 1e3 * Double(n) * norm * Double.ulpOfOne / gap, "vector \(k)")
        }
    }

    @Test("non-finite entries end in finite time (NaN out), without trapping")
    func nonFinite() {
        var diagonal = (0..<80).map { Double($0 % 5) }
        diagonal[50] = .nan
        let offDiagonal = [Double](repeating: 0.5, count: 79)
        let (values, vectors, _) = TridiagonalDivideAndConquer.solve(diagonal: diagonal, offDiagonal: offDiagonal, leafSize: 8)
        #expect(values.count == 80 && vectors.count == 80 * 80)
        #expect(values.contains { $0.isNaN })
        var infinite = offDiagonal
        infinite[10] = .infinity
        #expect(TridiagonalDivideAndConquer.solve(diagonal: diagonal, offDiagonal: infinite, leafSize: 8).values.count == 80)
    }
}
