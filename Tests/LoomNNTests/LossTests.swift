import Foundation
import Loom
import LoomNN
import LoomTestSupport
import Testing

@Suite("Losses")
struct LossTests {
    static var logits: Tensor { Tensor([[1, 2, 3], [1, 1, 1], [-2, 0, 4]], dtype: .float64) }
    static let logitRows: [[Double]] = [[1, 2, 3], [1, 1, 1], [-2, 0, 4]]
    static let labelValues: [Int64] = [2, 0, 1]

    static func logSumExp(_ row: [Double]) -> Double { Foundation.log(row.map { Foundation.exp($0) }.reduce(0, +)) }

    /// Per-example cross-entropy with label smoothing ε, straight from the definition
    /// `−Σₖ qₖ log pₖ` with `q = (1 − ε)·onehot + ε/K`.
    static func crossEntropyByHand(smoothing: Double) -> [Double] {
        zip(logitRows, labelValues).map { row, label in
            let lse = logSumExp(row)
            return row.indices.reduce(0) { total, k in
                let q = (k == Int(label) ? 1 - smoothing : 0) + smoothing / Double(row.count)
                return total - q * (row[k] - lse)
            }
        }
    }

    /// Without smoothing the loss is the fused primitive, bit for bit the composition it
    /// replaced (−logSoftmax gathered at the labels, then the mean), value and gradient.
    @Test("softmax cross-entropy runs the fused primitive without smoothing", arguments: [DType.float32, .float64])
    func crossEntropyUsesPrimitive(dtype: DType) {
        var generator = SeededGenerator(seed: 3)
        var logits = Tensor.normal([16, 10], standardDeviation: 4, dtype: dtype, using: &generator)
        let labels = Tensor(shape: [16], scalars: (0..<16).map { Double(($0 * 3) % 10) }, dtype: .int32)
        func composed(_ x: Tensor) -> Tensor {
            (-x.logSoftmax(alongAxis: 1).gathered(labels.reshaped([-1, 1]), alongAxis: 1).reshaped([-1])).mean()
        }
        logits.requiresGradient = true
        let loss = softmaxCrossEntropy(logits: logits, labels: labels)
        #expect(loss.recordedPrimitives.contains(.softmaxCrossEntropy))
        #expect(!loss.recordedPrimitives.contains(.logSoftmax))
        #expect(loss.item(Double.self).bitPattern == composed(logits).item(Double.self).bitPattern)
        let fused = gradient(at: logits.detached()) { softmaxCrossEntropy(logits: $0, labels: labels) }
        #expect(fused.asArray(Double.self) == gradient(at: logits.detached(), of: composed).asArray(Double.self))
        // With smoothing every log-probability is needed: the composition runs.
        let smoothed = softmaxCrossEntropy(logits: logits, labels: labels, labelSmoothing: 0.1)
        #expect(smoothed.recordedPrimitives.contains(.logSoftmax))
    }

    @Test("softmax cross-entropy matches its definition, for both label types and every reduction",
          arguments: [DType.int32, .int64])
    func crossEntropyValues(labelType: DType) {
        let labels = Tensor(shape: [3], scalars: Self.labelValues, dtype: labelType)
        let expected = Self.crossEntropyByHand(smoothing: 0)
        // Row 1 is uniform: log 3.
        #expect(Swift.abs(expected[1] - Foundation.log(3)) < 1e-15)
        assertClose(softmaxCrossEntropy(logits: Self.logits, labels: labels, reduction: .none), expected, relative: 1e-14)
        assertClose(softmaxCrossEntropy(logits: Self.logits, labels: labels), [expected.reduce(0, +) / 3], relative: 1e-14)
        assertClose(softmaxCrossEntropy(logits: Self.logits, labels: labels, reduction: .sum), [expected.reduce(0, +)], relative: 1e-14)
    }

    @Test("label smoothing is (1 − ε)·NLL + ε·mean over classes of −log p")
    func labelSmoothing() {
        let labels = Tensor(shape: [3], scalars: Self.labelValues)
        for epsilon in [0.1, 0.5, 1.0] {
            let losses = softmaxCrossEntropy(logits: Self.logits, labels: labels, labelSmoothing: epsilon, reduction: .none)
            assertClose(losses, Self.crossEntropyByHand(smoothing: epsilon), relative: 1e-14, "ε = \(epsilon)")
        }
    }

    @Test("the gradient of the mean cross-entropy is (softmax − target)/batch")
    func crossEntropyGradient() {
        let labels = Tensor(shape: [3], scalars: Self.labelValues)
        let epsilon = 0.2
        let g = gradient(at: Self.logits) { softmaxCrossEntropy(logits: $0, labels: labels, labelSmoothing: epsilon) }
        let expected = zip(Self.logitRows, Self.labelValues).flatMap { row, label in
            let lse = Self.logSumExp(row)
            return row.indices.map { k in
                (Foundation.exp(row[k] - lse) - (k == Int(label) ? 1 - epsilon : 0) - epsilon / 3) / 3
            }
        }
        assertClose(g, expected, relative: 1e-13, absolute: 1e-16)
    }

    @Test("cross-entropy is finite for logits of ±1000, with the right values and gradients")
    func crossEntropyStability() {
        for dtype in [DType.float32, .float64] {
            let logits = Tensor([[1000, -1000, 0], [-1000, 1000, 1000]], dtype: dtype)
            let labels = Tensor([0, 2], dtype: .int64)
            let losses = softmaxCrossEntropy(logits: logits, labels: labels, reduction: .none)
            assertClose(losses, [0, Foundation.log(2)], relative: 1e-6, absolute: 1e-30, "\(dtype)")
            let g = gradient(at: logits) { softmaxCrossEntropy(logits: $0, labels: labels, reduction: .sum) }
            assertClose(g, [0, 0, 0, 0, 0.5, -0.5], relative: 1e-6, absolute: 1e-30, "\(dtype) gradient")
        }
    }

    @Test("negative log-likelihood picks −log p[y]; on logSoftmax it equals cross-entropy")
    func negativeLogLikelihoodValues() {
        let logProbabilities = Tensor([[-0.5, -1, -2], [-3, -0.1, -4]], dtype: .float64)
        let labels = Tensor([2, 1], dtype: .int32)
        assertClose(negativeLogLikelihood(logProbabilities: logProbabilities, labels: labels, reduction: .none), [2, 0.1], relative: 1e-15)
        assertClose(negativeLogLikelihood(logProbabilities: logProbabilities, labels: labels), [1.05], relative: 1e-15)
        assertClose(negativeLogLikelihood(logProbabilities: logProbabilities, labels: labels, reduction: .sum), [2.1], relative: 1e-15)
        let all = Tensor(shape: [3], scalars: Self.labelValues)
        assertClose(negativeLogLikelihood(logProbabilities: Self.logits.logSoftmax(alongAxis: 1), labels: all),
                    softmaxCrossEntropy(logits: Self.logits, labels: all), relative: 1e-15)
    }

    @Test("mean squared error and its gradient 2(ŷ − y)/n")
    func meanSquaredErrorValues() {
        let predictions = Tensor([[1, 2, 3], [0, 0, 1]], dtype: .float64)
        let targets = Tensor([[1, 0, 5], [1, 0, 0]], dtype: .float64)
        // Squares: 0, 4, 4, 1, 0, 1.
        assertClose(meanSquaredError(predictions: predictions, targets: targets), [10.0 / 6], relative: 1e-15)
        assertClose(meanSquaredError(predictions: predictions, targets: targets, reduction: .sum), [10], relative: 1e-15)
        assertClose(meanSquaredError(predictions: predictions, targets: targets, reduction: .none), [0, 4, 4, 1, 0, 1], relative: 1e-15)
        let g = gradient(at: predictions) { meanSquaredError(predictions: $0, targets: targets) }
        assertClose(g, [0, 4, -4, -2, 0, 2].map { $0 / 6 }, relative: 1e-15)
    }

    @Test("binary cross-entropy matches −t log σ(x) − (1 − t) log(1 − σ(x)) and is stable")
    func binaryCrossEntropyValues() {
        let x: [Double] = [-3, -0.5, 0, 0.7, 2, 5]
        let t: [Double] = [0, 1, 0.3, 1, 0, 0.5]
        let expected = zip(x, t).map { x, t in
            let s = 1 / (1 + Foundation.exp(-x))
            return -t * Foundation.log(s) - (1 - t) * Foundation.log(1 - s)
        }
        let logits = Tensor(shape: [2, 3], scalars: x), targets = Tensor(shape: [2, 3], scalars: t)
        assertClose(binaryCrossEntropy(logits: logits, targets: targets, reduction: .none), expected, relative: 1e-13)
        assertClose(binaryCrossEntropy(logits: logits, targets: targets), [expected.reduce(0, +) / 6], relative: 1e-13)
        assertClose(binaryCrossEntropy(logits: logits, targets: targets, reduction: .sum), [expected.reduce(0, +)], relative: 1e-13)

        let extreme = Tensor([1000, -1000, 1000, -1000], dtype: .float32)
        let labels = Tensor([1, 0, 0, 1], dtype: .float32)
        assertClose(binaryCrossEntropy(logits: extreme, targets: labels, reduction: .none), [0, 0, 1000, 1000], relative: 1e-7)
        let g = gradient(at: extreme) { binaryCrossEntropy(logits: $0, targets: labels, reduction: .sum) }
        assertClose(g, [0, 0, 1, -1], relative: 1e-7)
    }

    @Test("binary cross-entropy's gradient is σ(x) − t, exactly 1/2 − t at x = 0")
    func binaryCrossEntropyGradient() {
        let logits = Tensor([0, 0, 1.5, -2], dtype: .float64)
        let targets = Tensor([0, 1, 0.25, 1], dtype: .float64)
        let g = gradient(at: logits) { binaryCrossEntropy(logits: $0, targets: targets, reduction: .sum) }
        let expected = zip([0, 0, 1.5, -2.0], [0, 1, 0.25, 1.0]).map { 1 / (1 + Foundation.exp(-$0)) - $1 }
        assertClose(g, expected, relative: 1e-15, absolute: 1e-16)
    }

    @Test("Huber's loss is ½e² inside δ and δ(|e| − ½δ) outside; its gradient e inside, δ·sign(e) outside")
    func huberValues() {
        let predictions = Tensor([0, 0.5, 3, -2], dtype: .float64), targets = Tensor.zeros([4], dtype: .float64)
        assertClose(huberLoss(predictions: predictions, targets: targets, reduction: .none), [0, 0.125, 2.5, 1.5], relative: 1e-15)
        assertClose(huberLoss(predictions: predictions, targets: targets, delta: 2, reduction: .none), [0, 0.125, 4, 2], relative: 1e-15)
        let g = gradient(at: predictions) { huberLoss(predictions: $0, targets: targets) }
        assertClose(g, [0, 0.5, 1, -1].map { $0 / 4 }, relative: 1e-15)
    }

    @Test("gradients of every loss match central differences")
    func gradientChecks() {
        let labels = Tensor([1, 0, 3, 2], dtype: .int64)
        assertGradientsCorrect("softmaxCrossEntropy", of: { softmaxCrossEntropy(logits: $0[0], labels: labels) },
                               inputs: [InputSpec([4, 5])], seed: 31)
        assertGradientsCorrect("softmaxCrossEntropy smoothed", of: {
            softmaxCrossEntropy(logits: $0[0], labels: labels, labelSmoothing: 0.1, reduction: .none)
        }, inputs: [InputSpec([4, 5])], seed: 32)
        assertGradientsCorrect("negativeLogLikelihood", of: { negativeLogLikelihood(logProbabilities: $0[0], labels: labels, reduction: .sum) },
                               inputs: [InputSpec([4, 5])], seed: 33)
        assertGradientsCorrect("meanSquaredError", of: { meanSquaredError(predictions: $0[0], targets: $0[1]) },
                               inputs: [InputSpec([3, 2]), InputSpec([3, 2])], seed: 34)
        assertGradientsCorrect("binaryCrossEntropy", of: { binaryCrossEntropy(logits: $0[0], targets: $0[1]) },
                               inputs: [InputSpec([3, 4]), InputSpec([3, 4], .probability)], seed: 35)
        assertGradientsCorrect("huberLoss", of: { huberLoss(predictions: $0[0], targets: $0[1], delta: 0.7) },
                               inputs: [InputSpec([3, 2]), InputSpec([3, 2])], seed: 36)
    }
}
