import Foundation
import Loom
import LoomNN
import LoomOptimizers
import Testing

/// Lanczos, Hutchinson and stochastic Lanczos quadrature on a small network's loss Hessian,
/// against the dense Hessian's eigendecomposition.
@Suite("Spectrum estimation from Hessian-vector products")
struct SpectrumEstimationTests {
    /// A tanh MLP 5-6-3 (57 parameters) with cross-entropy on 20 examples, float64, and its
    /// Hessian operator and dense Hessian at the initial weights.
    static func network() -> (hessian: LossHessian, dense: DenseMatrix, eigenvalues: [Double]) {
        var generator = SeededGenerator(seed: 11)
        let model = MLP(widths: [5, 6, 3], activation: .tanh, dtype: .float64, using: &generator)
        let inputs = Tensor.normal([20, 5], dtype: .float64, using: &generator)
        let labels = Tensor(shape: [20], scalars: (0..<20).map { Int64($0 % 3) }, dtype: .int64)
        let hessian = LossHessian(parameters: model.parameters) { softmaxCrossEntropy(logits: model(inputs), labels: labels) }
        let dense = hessian.dense()
        return (hessian, dense, SymmetricEigendecomposition(dense, computesEigenvectors: false).eigenvalues)
    }

    @Test("products equal the dense Hessian times the vector")
    func products() {
        let (hessian, dense, _) = Self.network()
        #expect(hessian.dimension == 57)
        let v = (0..<57).map { sin(Double($0)) }
        let scale = dense.scalars.map(abs).max()!
        #expect(zip(hessian.product(v), dense * v).allSatisfy { abs($0 - $1) <= 1e-13 * scale * 57 })
    }

    @Test("Lanczos: the top 10 eigenvalues after n steps, the top 3 after 40")
    func lanczos() {
        let (hessian, _, eigenvalues) = Self.network()
        let scale = eigenvalues.map(abs).max()!
        var generator = SeededGenerator(seed: 1)
        let top = SpectrumEstimation.largestEigenvalues(count: 10, dimension: 57, steps: 57, using: &generator, product: hessian.product)
        let expected = Array(eigenvalues.reversed().prefix(10))
        #expect(zip(top, expected).allSatisfy { abs($0 - $1) <= 1e-10 * scale }, "\(top) vs \(expected)")
        let fewer = SpectrumEstimation.largestEigenvalues(count: 3, dimension: 57, steps: 40, using: &generator, product: hessian.product)
        #expect(zip(fewer, expected).allSatisfy { abs($0 - $1) <= 1e-6 * scale }, "\(fewer) vs \(expected)")
    }

    @Test("Hutchinson: within 4 standard errors of the trace, the error as 2 Σ_{i≠j} H_ij² predicts")
    func hutchinson() {
        let (hessian, dense, _) = Self.network()
        let trace = dense.diagonal.reduce(0, +)
        var generator = SeededGenerator(seed: 2)
        let (estimate, standardError) = SpectrumEstimation.hutchinsonTrace(dimension: 57, samples: 400, using: &generator, product: hessian.product)
        #expect(abs(estimate - trace) <= 4 * standardError, "\(estimate) vs \(trace) ± \(standardError)")
        // The estimator's variance is 2 Σ_{i≠j} H_ij², so the error must be well below |tr H|'s scale.
        var offDiagonal = 0.0
        for i in 0..<57 { for j in 0..<57 where i != j { offDiagonal += dense[i, j] * dense[i, j] } }
        #expect(abs(standardError - (2 * offDiagonal / 400).squareRoot()) < 0.25 * (2 * offDiagonal / 400).squareRoot())
    }

    @Test("SLQ: with m = n steps the nodes are eigenvalues, the weights sum to 1, the mean estimates tr H / n")
    func quadrature() {
        let (hessian, dense, eigenvalues) = Self.network()
        let scale = eigenvalues.map(abs).max()!
        var generator = SeededGenerator(seed: 3)
        let density = SpectrumEstimation.stochasticLanczosQuadrature(dimension: 57, steps: 57, probes: 3, using: &generator, product: hessian.product)
        #expect(density.nodes.count == 3)
        for weights in density.weights { #expect(abs(weights.reduce(0, +) - 1) < 1e-12) }
        // Every node is (to rounding) an eigenvalue.
        for node in density.nodes.flatMap({ $0 }) {
            #expect(eigenvalues.map { abs($0 - node) }.min()! <= 1e-8 * scale)
        }
        // (1/n) tr H and (1/n) tr H² estimated; with 3 probes only to within ~50%.
        let trace = dense.diagonal.reduce(0, +) / 57
        #expect(abs(density.integral { $0 } - trace) < 0.5 * abs(trace))
        let smoothed = density.smoothed(points: 200)
        #expect(smoothed.grid.count == 200)
        let area = smoothed.density.reduce(0, +) * (smoothed.grid.last! - smoothed.grid.first!) / 199
        #expect(abs(area - 1) < 1e-9)
    }

    @Test("Gauss quadrature from 8 Lanczos steps is exact for moments of degree < 16 (a diagonal operator)")
    func moments() {
        let lambda = (1...30).map { Double($0) * 0.25 - 4 }
        let product: ([Double]) -> [Double] = { v in zip(lambda, v).map { $0 * $1 } }
        let start = (0..<30).map { cos(Double($0)) + 1.5 }
        let norm2 = start.reduce(0) { $0 + $1 * $1 }
        let (diagonal, offDiagonal) = SpectrumEstimation.lanczos(steps: 8, start: start, product: product)
        #expect(diagonal.count == 8 && offDiagonal.count == 7)
        let (nodes, vectors) = SymmetricEigendecomposition.eigenpairs(diagonal: diagonal, offDiagonal: offDiagonal)
        for p in 0..<16 {
            let quadrature = zip(nodes, vectors).reduce(0) { $0 + $1.1[0] * $1.1[0] * pow($1.0, Double(p)) }
            let exact = zip(lambda, start).reduce(0) { $0 + pow($1.0, Double(p)) * $1.1 * $1.1 } / norm2
            let size = zip(lambda, start).reduce(0) { $0 + pow(abs($1.0), Double(p)) * $1.1 * $1.1 } / norm2
            #expect(abs(quadrature - exact) <= 1e-11 * size, "moment \(p): \(quadrature) vs \(exact)")
        }
    }
}
