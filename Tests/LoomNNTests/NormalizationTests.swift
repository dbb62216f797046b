import Loom
import LoomNN
import LoomTestSupport
import Testing

@Suite("BatchNorm1d and LayerNorm1d")
struct NormalizationTests {
    /// Columns: mean 3, biased variance 8/3, unbiased 4; mean 6, biased 32/3, unbiased 16.
    static var batch: Tensor { Tensor([[1, 2], [3, 6], [5, 10]], dtype: .float64) }
    static let rows: [[Double]] = [[1, 2], [3, 6], [5, 10]]

    static func normalizedByHand(mean: [Double], variance: [Double], gamma: [Double], beta: [Double], epsilon: Double) -> [Double] {
        rows.flatMap { row in
            (0..<2).map { j in gamma[j] * (row[j] - mean[j]) / (variance[j] + epsilon).squareRoot() + beta[j] }
        }
    }

    @Test("training normalizes with batch statistics (biased variance) and updates running ones like PyTorch")
    func training() {
        let norm = BatchNorm1d(features: 2, dtype: .float64)
        norm.weight!.value = Tensor([2, -1], dtype: .float64)
        norm.bias!.value = Tensor([0.5, 1], dtype: .float64)
        let y = norm(Self.batch)
        let expected = Self.normalizedByHand(mean: [3, 6], variance: [8.0 / 3, 32.0 / 3], gamma: [2, -1], beta: [0.5, 1], epsilon: 1e-5)
        assertClose(y, expected, relative: 1e-14)
        // running ← 0.9·running + 0.1·batch statistic, from mean 0 and variance 1; unbiased variance.
        assertClose(norm.runningMean.value, [0.3, 0.6], relative: 1e-15)
        assertClose(norm.runningVariance.value, [0.9 + 0.4, 0.9 + 1.6], relative: 1e-15)
        _ = norm(Self.batch)
        assertClose(norm.runningMean.value, [0.9 * 0.3 + 0.3, 0.9 * 0.6 + 0.6], relative: 1e-15)
        assertClose(norm.runningVariance.value, [0.9 * 1.3 + 0.4, 0.9 * 2.5 + 1.6], relative: 1e-15)
    }

    @Test("evaluation uses the running statistics and leaves them alone")
    func evaluation() {
        let norm = BatchNorm1d(features: 2, epsilon: 1e-3, momentum: 0.25, dtype: .float64)
        _ = norm(Self.batch)
        // momentum 0.25: mean 0.25·[3, 6], variance 0.75 + 0.25·[4, 16].
        let mean = [0.75, 1.5], variance = [1.75, 4.75]
        assertClose(norm.runningMean.value, mean, relative: 1e-15)
        assertClose(norm.runningVariance.value, variance, relative: 1e-15)
        norm.evaluate()
        let y = norm(Self.batch)
        assertClose(y, Self.normalizedByHand(mean: mean, variance: variance, gamma: [1, 1], beta: [0, 0], epsilon: 1e-3), relative: 1e-14)
        assertClose(norm.runningMean.value, mean, relative: 0)
        // Evaluation is per example: one row gives the same values as in the batch.
        assertClose(norm(Self.batch[1..<2]), Array(y.asArray(Double.self)[2..<4]), relative: 1e-15)
    }

    @Test("running statistics are buffers; weight and bias are parameters")
    func state() {
        let norm = BatchNorm1d(features: 4)
        #expect(norm.namedParameters().map(\.path) == ["weight", "bias"])
        #expect(norm.namedBuffers().map(\.path) == ["runningMean", "runningVariance"])
        #expect(norm.parameterCount() == 8)
        #expect(BatchNorm1d(features: 4, affine: false).parameterCount() == 0)
        #expect(LayerNorm1d(features: 4).namedBuffers().isEmpty)
    }

    @Test("training gradients match central differences", arguments: [false, true])
    func batchNormGradients(affine: Bool) {
        let norm = BatchNorm1d(features: 3, affine: affine, dtype: .float64)
        if affine {
            norm.weight!.value = Tensor([1.5, -0.5, 2], dtype: .float64)
            norm.bias!.value = Tensor([0.1, 0.2, 0.3], dtype: .float64)
        }
        assertGradientsCorrect("BatchNorm1d affine: \(affine)", of: { norm($0[0]) }, inputs: [InputSpec([5, 3])], seed: 21)
    }

    @Test("LayerNorm1d normalizes each row (biased variance)")
    func layerNormValues() {
        let norm = LayerNorm1d(features: 3, dtype: .float64)
        norm.weight!.value = Tensor([1, 2, 3], dtype: .float64)
        norm.bias!.value = Tensor([0, 1, -1], dtype: .float64)
        let rows: [[Double]] = [[1, 2, 3], [2, 4, 8]]
        let x = Tensor(rows, dtype: .float64)
        let expected = rows.flatMap { row -> [Double] in
            let mean = row.reduce(0, +) / 3
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 3
            return row.indices.map { j in [1.0, 2, 3][j] * (row[j] - mean) / (variance + 1e-5).squareRoot() + [0.0, 1, -1][j] }
        }
        assertClose(norm(x), expected, relative: 1e-14)
        norm.evaluate()
        assertClose(norm(x), expected, relative: 1e-14)
        assertGradientsCorrect("LayerNorm1d", of: { norm($0[0]) }, inputs: [InputSpec([4, 3])], seed: 22)
    }
}
