import Foundation
import Loom
import LoomNN
import Testing

/// A core defect found while building LoomNN (fixed): logSoftmax used to compute
/// x − (m + log Σ exp(x − m)), and m + log 2 rounds to ulp(1000) ≈ 6e-5 in float32.
@Suite("logSoftmax precision")
struct LogSoftmaxPrecisionTests {
    @Test("logSoftmax and the cross-entropy keep float32 precision for logits near ±1000")
    func logSoftmaxOfLargeLogits() {
        let x = Tensor([[-1000, 1000, 1000]])
        let value = Double(x.logSoftmax(alongAxis: 1).asArray(Float.self)[1])
        // PyTorch: (x − m) − log Σ exp(x − m) = −log 2 to float32 precision.
        #expect(Swift.abs(value + Foundation.log(2)) <= 4 * Double(Float.ulpOfOne), "logSoftmax gave \(value)")
        let loss = softmaxCrossEntropy(logits: x, labels: Tensor([1], dtype: .int64)).item(Double.self)
        #expect(Swift.abs(loss - Foundation.log(2)) <= 4 * Double(Float.ulpOfOne), "loss \(loss)")
    }
}
