import Foundation
import Loom
import LoomNN
import LoomOptimizers
import Testing

/// The dense Hessian of a loss closure (blocks of unit seeds through one reverse pass each)
/// against the same Hessian one Hessian-vector product per row, and against central
/// differences of the gradient.
@Suite("Batched dense Hessian")
struct BatchedHessianTests {
    /// A ReLU MLP 6-5-4 (59 parameters) with cross-entropy on 30 examples, float64: the
    /// primitives of Newton's usual objective (affineReLU, affine, logSoftmax, gather, mean).
    static func problem() -> (parameters: [Parameter], loss: () -> Tensor) {
        var generator = SeededGenerator(seed: 5)
        let model = MLP(widths: [6, 5, 4], activation: .relu, dtype: .float64, using: &generator)
        let inputs = Tensor.normal([30, 6], dtype: .float64, using: &generator)
        let labels = Tensor(shape: [30], scalars: (0..<30).map { Int64(($0 * 7) % 4) }, dtype: .int64)
        return (model.parameters, { softmaxCrossEntropy(logits: model(inputs), labels: labels) })
    }

    @Test("equals one Hessian-vector product per row to rounding")
    func batchedEqualsRowByRow() {
        let (parameters, loss) = Self.problem()
        let hessian = LossHessian(parameters: parameters, loss: loss)
        let n = hessian.dimension
        #expect(n == 59)
        let dense = hessian.dense()
        let scale = dense.scalars.map(abs).max()!
        #expect(scale > 0)
        let rows = (0..<n).map { hessian.product(Self.unit($0, n)) }
        var worst = 0.0
        // dense() is symmetrized, so it is compared with ½(row + column) of the products.
        for i in 0..<n {
            for j in 0..<n { worst = max(worst, abs(0.5 * (rows[i][j] + rows[j][i]) - dense[i, j])) }
        }
        #expect(worst <= 1e-13 * scale, "largest difference \(worst) for entries up to \(scale)")
    }

    static func unit(_ index: Int, _ n: Int) -> [Double] {
        var unit = [Double](repeating: 0, count: n)
        unit[index] = 1
        return unit
    }

    @Test("equals central differences of the gradient")
    func matchesFiniteDifferences() {
        let (parameters, loss) = Self.problem()
        let dense = LossHessian(parameters: parameters, loss: loss).dense()
        let n = dense.rowCount
        let theta = parameters.flatMap { $0.value.asArray(Double.self) }
        func gradient(at values: [Double]) -> [Double] {
            var start = 0
            for parameter in parameters {
                parameter.value = Tensor(shape: parameter.shape, scalars: Array(values[start..<(start + parameter.count)]), dtype: .float64)
                start += parameter.count
            }
            return LossHessian(parameters: parameters, loss: loss).gradient
        }
        let h = 1e-5
        let scale = dense.scalars.map(abs).max()!
        var worst = 0.0
        for j in 0..<n {
            var plus = theta, minus = theta
            plus[j] += h
            minus[j] -= h
            let column = zip(gradient(at: plus), gradient(at: minus)).map { ($0 - $1) / (2 * h) }
            for i in 0..<n { worst = max(worst, abs(column[i] - dense[i, j])) }
        }
        _ = gradient(at: theta)
        // Central differences err by O(h²·f''') plus rounding O(ε/h); ReLU kinks are avoided by
        // the sampled point (no pre-activation within h of 0 changes sign, else this fails).
        #expect(worst <= 1e-6 * scale, "largest difference \(worst) for entries up to \(scale)")
    }
}
