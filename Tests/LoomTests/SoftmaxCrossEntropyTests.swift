import Foundation
@testable import Loom
import LoomTestSupport
import Testing

/// The fused softmax cross-entropy against the composition it replaces
/// (`−logSoftmax(x)` gathered at the labels), bit for bit both ways, and against the closed
/// forms of its gradient and Hessian.
@Suite("softmax cross-entropy primitive")
struct SoftmaxCrossEntropyTests {
    static func composed(_ x: Tensor, _ labels: Tensor) -> Tensor {
        -x.logSoftmax(alongAxis: 1).gathered(labels.reshaped([-1, 1]), alongAxis: 1).reshaped([-1])
    }

    /// Logits of `rows` x `classes` with varied signs and sizes, some rows far from 0.
    static func logits(_ rows: Int, _ classes: Int, dtype: DType, seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        let base = Tensor.normal([rows, classes], standardDeviation: 3, dtype: .float64, using: &generator)
        let offsets = Tensor(shape: [rows, 1], scalars: (0..<rows).map { Double(($0 % 5) - 2) * 200 }, dtype: .float64)
        return (base + offsets).cast(to: dtype)
    }

    static func labels(_ rows: Int, _ classes: Int, dtype: DType) -> Tensor {
        Tensor(shape: [rows], scalars: (0..<rows).map { Double(($0 * 7 + 3) % classes) }, dtype: dtype)
    }

    static func bits(_ t: Tensor) -> [UInt64] { t.asArray(Double.self).map(\.bitPattern) }

    @Test("the losses equal the composition's bit for bit", arguments: [DType.float32, .float64])
    func forwardEqualsComposition(dtype: DType) {
        for (rows, classes) in [(1, 1), (3, 4), (37, 10), (128, 10), (5, 17)] {
            let x = Self.logits(rows, classes, dtype: dtype, seed: UInt64(rows * 100 + classes))
            for labelType in [DType.int32, .int64] {
                let y = Self.labels(rows, classes, dtype: labelType)
                #expect(Self.bits(x.softmaxCrossEntropy(labels: y)) == Self.bits(Self.composed(x, y)), "\(rows)x\(classes)")
            }
            // A transposed view of the logits is read as the values it shows.
            let xt = x.transposed().contiguous().transposed()
            let y = Self.labels(rows, classes, dtype: .int64)
            #expect(Self.bits(xt.softmaxCrossEntropy(labels: y)) == Self.bits(Self.composed(x, y)))
        }
        // −∞ logits (a masked class) and one huge logit: finite where the composition is.
        let special = Tensor(shape: [3, 3], scalars: [0, -.infinity, 1, 1e30, 0, -1e30, 5, 5, 5], dtype: dtype)
        let y = Tensor([0, 1, 2], dtype: .int64)
        #expect(Self.bits(special.softmaxCrossEntropy(labels: y)) == Self.bits(Self.composed(special, y)))
        #expect(Tensor.zeros([0, 4], dtype: dtype).softmaxCrossEntropy(labels: Tensor.zeros([0], dtype: .int64)).shape == [0])
    }

    @Test("the gradient equals the composition's bit for bit", arguments: [DType.float32, .float64])
    func gradientEqualsComposition(dtype: DType) {
        let x = Self.logits(37, 10, dtype: dtype, seed: 9)
        let y = Self.labels(37, 10, dtype: .int64)
        var generator = SeededGenerator(seed: 4)
        let weights = Tensor.normal([37], dtype: dtype, using: &generator)
        let reductions: [(String, (Tensor) -> Tensor)] = [
            ("mean", { $0.mean() }), ("sum", { $0.sum() }), ("weighted", { ($0 * weights).sum() }),
        ]
        for (name, reduce) in reductions {
            let fused = gradient(at: x) { reduce($0.softmaxCrossEntropy(labels: y)) }
            let composed = gradient(at: x) { reduce(Self.composed($0, y)) }
            let differing = zip(fused.asArray(Double.self), composed.asArray(Double.self)).filter { $0 != $1 }.count
            #expect(differing == 0, "\(dtype), \(name): \(differing) of \(fused.count) entries differ")
        }
    }

    /// ∂ mean ℓ / ∂x = (softmax(x) − onehot) / n, and its Hessian-vector product is, row by row,
    /// (diag(s) − s sᵀ) v / n.
    @Test func gradientAndHessianMatchClosedForms() {
        let rows = 6, classes = 5
        let x = Self.logits(rows, classes, dtype: .float64, seed: 21) * 0.01
        let y = Self.labels(rows, classes, dtype: .int64)
        var generator = SeededGenerator(seed: 8)
        let v = Tensor.normal([rows, classes], dtype: .float64, using: &generator)
        let loss = { (p: Tensor) in p.softmaxCrossEntropy(labels: y).mean() }
        let g = gradient(at: x, of: loss).asArray(Double.self)
        let hv = gradient(at: x) { p in (gradient(at: p, of: loss) * v).sum() }.asArray(Double.self)
        let xs = x.asArray(Double.self), vs = v.asArray(Double.self), labels = y.asArray(Int64.self)
        var expectedG = [Double](), expectedHV = [Double]()
        for i in 0..<rows {
            let row = xs[(i * classes)..<((i + 1) * classes)]
            let peak = row.max()!, total = row.map { Foundation.exp($0 - peak) }.reduce(0, +)
            let s = row.map { Foundation.exp($0 - peak) / total }
            let sv = (0..<classes).map { s[$0] * vs[i * classes + $0] }.reduce(0, +)
            for j in 0..<classes {
                expectedG.append((s[j] - (Int64(j) == labels[i] ? 1 : 0)) / Double(rows))
                expectedHV.append(s[j] * (vs[i * classes + j] - sv) / Double(rows))
            }
        }
        assertClose(Tensor(shape: [rows * classes], scalars: g, dtype: .float64), expectedG, relative: 1e-13, absolute: 1e-16)
        assertClose(Tensor(shape: [rows * classes], scalars: hv, dtype: .float64), expectedHV, relative: 1e-12, absolute: 1e-16)
    }
}
