import Foundation
import Loom
import Testing

/// A reduction computed by a plain loop in Double: `values` (row-major, `shape`) combined
/// over `axes`, in the order of the kept axes.
private func naiveReduce(
    _ values: [Double], shape: [Int], axes: Set<Int>, initial: Double, _ combine: (Double, Double) -> Double
) -> [Double] {
    let keptShape = shape.indices.map { axes.contains($0) ? 1 : shape[$0] }
    let keptStrides = Layout.contiguousStrides(keptShape)
    var result = [Double](repeating: initial, count: keptShape.reduce(1, *))
    for flat in values.indices {
        var remaining = flat, target = 0
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            let index = remaining % shape[axis]
            remaining /= shape[axis]
            if !axes.contains(axis) { target += index * keptStrides[axis] }
        }
        result[target] = combine(result[target], values[flat])
    }
    return result
}

@Suite("Forward: reductions")
struct ForwardReductionTests {
    /// A [2, 3, 4] tensor with distinct, irregular values.
    static var cube: Tensor {
        let values = (0..<24).map { Double(($0 * 7) % 24) - 11.5 }
        return Tensor(shape: [2, 3, 4], scalars: values, dtype: .float64)
    }

    @Test("sum, max, min and mean over every subset of axes match a plain loop",
          arguments: [[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2], [-1], [-3, -1]])
    func subsets(axes: [Int]) {
        let x = Self.cube, values = x.asArray(Double.self)
        let resolved = Set(axes.map { $0 < 0 ? $0 + 3 : $0 })
        let kept = (0..<3).map { resolved.contains($0) ? 1 : x.shape[$0] }
        let dropped = (0..<3).filter { !resolved.contains($0) }.map { x.shape[$0] }
        let n = Double(resolved.reduce(1) { $0 * x.shape[$1] })
        let sums = naiveReduce(values, shape: x.shape, axes: resolved, initial: 0, +)
        ForwardCheck.expect(x.sum(alongAxes: axes), sums, shape: dropped)
        ForwardCheck.expect(x.sum(alongAxes: axes, keepingDimensions: true), sums, shape: kept)
        ForwardCheck.expect(x.max(alongAxes: axes), naiveReduce(values, shape: x.shape, axes: resolved, initial: -.infinity, Swift.max), shape: dropped)
        ForwardCheck.expect(x.min(alongAxes: axes, keepingDimensions: true),
                            naiveReduce(values, shape: x.shape, axes: resolved, initial: .infinity, Swift.min), shape: kept)
        ForwardCheck.expect(x.mean(alongAxes: axes), sums.map { $0 / n }, shape: dropped)
        // The same through non-contiguous views: a permutation, and float32.
        let stored = Tensor(shape: [4, 2, 3], scalars: x.permuted(2, 0, 1).asArray(Double.self))
        let view = stored.permuted(1, 2, 0)
        #expect(!view.isContiguous)
        ForwardCheck.expect(view.sum(alongAxes: axes), sums, shape: dropped)
        ForwardCheck.expect(view.max(alongAxes: axes, keepingDimensions: true),
                            naiveReduce(values, shape: x.shape, axes: resolved, initial: -.infinity, Swift.max), shape: kept)
        ForwardCheck.expect(x.cast(to: .float32).sum(alongAxes: axes), sums, dtype: .float32)
    }

    @Test("reducing over all axes gives a rank-0 tensor")
    func allAxes() {
        let x = Tensor([[1, 2, 3], [4, 5, 6]])
        ForwardCheck.expect(x.sum(), [21], shape: [])
        ForwardCheck.expect(x.max(), [6], shape: [])
        ForwardCheck.expect(x.min(), [1], shape: [])
        ForwardCheck.expect(x.mean(), [3.5], shape: [])
        ForwardCheck.expect(x.sum(keepingDimensions: true), [21], shape: [1, 1])
        ForwardCheck.expect(x.sum(alongAxis: 1), [6, 15], shape: [2])
        ForwardCheck.expect(x.mean(alongAxis: 0, keepingDimensions: true), [2.5, 3.5, 4.5], shape: [1, 3])
        ForwardCheck.expect(x.max(alongAxis: -1), [3, 6], shape: [2])
    }

    @Test("views with offsets and strides reduce correctly")
    func views() {
        let m = Tensor.arange(0, 24).reshaped([4, 6])
        let slice = m[1..., 1..<5]   // rows 1–3, columns 1–4: non-contiguous with an offset
        ForwardCheck.expect(slice.sum(alongAxes: [0]), [7 + 13 + 19, 8 + 14 + 20, 9 + 15 + 21, 10 + 16 + 22])
        ForwardCheck.expect(slice.sum(alongAxes: [1]), [7 + 8 + 9 + 10, 13 + 14 + 15 + 16, 19 + 20 + 21 + 22])
        let rows = m[2...]           // contiguous, offset 12
        ForwardCheck.expect(rows.sum(alongAxes: [0]), [30, 32, 34, 36, 38, 40])
        ForwardCheck.expect(rows.max(alongAxes: [0]), [18, 19, 20, 21, 22, 23])
        let reversed = m[TensorSlice(step: -1)]
        ForwardCheck.expect(reversed.max(alongAxes: [0]), [18, 19, 20, 21, 22, 23])
        ForwardCheck.expect(Tensor([1, 2, 3]).expanded(to: [5, 3]).sum(alongAxes: [0]), [5, 10, 15])
    }

    @Test("integer sums stay integer; integer means become float32")
    func integers() {
        let x = Tensor([[1, 2], [3, 4]], dtype: .int64)
        ForwardCheck.expect(x.sum(), [10], dtype: .int64)
        ForwardCheck.expect(x.max(alongAxis: 0), [3, 4], dtype: .int64)
        ForwardCheck.expect(x.min(alongAxes: [1]), [1, 3], dtype: .int64)
        ForwardCheck.expect(x.mean(), [2.5], dtype: .float32)
        ForwardCheck.expect(Tensor([1, 2], dtype: .int32).mean(), [1.5], dtype: .float32)
    }

    @Test("empty axes: summing no elements gives 0; reducing over no axes is the identity")
    func emptyAxes() {
        ForwardCheck.expect(Tensor.zeros([0]).sum(), [0], shape: [])
        ForwardCheck.expect(Tensor.zeros([0, 3]).sum(alongAxes: [0]), [0, 0, 0], shape: [3])
        ForwardCheck.expect(Tensor.zeros([3, 0]).sum(alongAxes: [1]), [0, 0, 0], shape: [3])
        ForwardCheck.expect(Tensor.zeros([2, 0, 2], dtype: .int32).sum(alongAxes: [1]), [0, 0, 0, 0], shape: [2, 2], dtype: .int32)
        ForwardCheck.expect(Tensor.zeros([0, 3]).sum(alongAxes: [1]), [], shape: [0])
        ForwardCheck.expect(Tensor.zeros([0, 3]).max(alongAxes: [1]), [], shape: [0])
        let x = Tensor([[1, 2], [3, 4]])
        ForwardCheck.expect(x.sum(alongAxes: []), [1, 2, 3, 4], shape: [2, 2])
        ForwardCheck.expect(x.transposed().sum(alongAxes: []), [1, 3, 2, 4], shape: [2, 2])
        ForwardCheck.expect(x.max(alongAxes: []), [1, 2, 3, 4], shape: [2, 2])
    }

    @Test("size-1 axes and rank-0 tensors")
    func degenerate() {
        let x = Tensor([[[1], [2], [3]]])    // [1, 3, 1]
        ForwardCheck.expect(x.sum(alongAxes: [0, 2]), [1, 2, 3], shape: [3])
        ForwardCheck.expect(x.sum(alongAxes: [0]), [1, 2, 3], shape: [3, 1])
        ForwardCheck.expect(x.max(alongAxes: [2], keepingDimensions: true), [1, 2, 3], shape: [1, 3, 1])
        let s = Tensor(4.5)
        ForwardCheck.expect(s.sum(), [4.5], shape: [])
        ForwardCheck.expect(s.max(), [4.5], shape: [])
        ForwardCheck.expect(s.mean(), [4.5], shape: [])
        ForwardCheck.expect(s.variance(), [0], shape: [])
        ForwardCheck.expect(s.sum(keepingDimensions: true), [4.5], shape: [])
    }

    @Test("max and min propagate NaN")
    func nanReductions() {
        let x = Tensor([[1, .nan, 3], [4, 5, 6]])
        ForwardCheck.expect(x.max(alongAxis: 1), [.nan, 6])
        ForwardCheck.expect(x.min(alongAxes: [1]), [.nan, 4])
        ForwardCheck.expect(x.max(alongAxis: 0), [4, .nan, 6])
        ForwardCheck.expect(x.max(), [.nan])
        ForwardCheck.expect(Tensor([.nan, 1, 2]).max(alongAxis: 0), [.nan])
    }

    @Test("variance and standard deviation with correction 0 and 1")
    func variance() {
        let x = Tensor([[1, 2, 3, 4], [2, 2, 2, 2]], dtype: .float64)
        ForwardCheck.expect(x.variance(alongAxes: [1]), [1.25, 0], dtype: .float64)
        ForwardCheck.expect(x.variance(alongAxes: [1], correction: 1), [5.0 / 3, 0])
        ForwardCheck.expect(x.standardDeviation(alongAxes: [1]), [(1.25).squareRoot(), 0])
        ForwardCheck.expect(x.standardDeviation(alongAxes: [1], correction: 1, keepingDimensions: true), [(5.0 / 3).squareRoot(), 0], shape: [2, 1])
        ForwardCheck.expect(x.variance(alongAxes: [0]), [0.25, 0, 0.25, 1])
        // All 8 values: mean 2.25, Σ(x − 2.25)² = 5.5.
        ForwardCheck.expect(x.variance(), [5.5 / 8], shape: [])
        ForwardCheck.expect(x.variance(correction: 1), [5.5 / 7], shape: [])
        ForwardCheck.expect(x.variance(alongAxes: [-1, 0]), [5.5 / 8])
        ForwardCheck.expect(Tensor([1e8 + 1, 1e8 + 3], dtype: .float64).variance(), [1])
        ForwardCheck.expect(Tensor([1, 3]).variance(), [1], dtype: .float32)
        ForwardCheck.expect(Tensor([5]).variance(alongAxes: [0], correction: 1), [.nan])
    }

    @Test("argmax picks the first of tied maxima", arguments: [DType.float32, .float64, .int32, .int64])
    func argmax(dtype: DType) {
        let x = Tensor([[1, 3, 3], [2, 2, 1], [-5, -7, -5]], dtype: dtype)
        ForwardCheck.expect(x.argmax(alongAxis: 1), [1, 0, 0], shape: [3], dtype: .int64)
        ForwardCheck.expect(x.argmax(alongAxis: 0), [1, 0, 0], shape: [3], dtype: .int64)
        ForwardCheck.expect(x.argmax(alongAxis: -1, keepingDimensions: true), [1, 0, 0], shape: [3, 1], dtype: .int64)
        ForwardCheck.expect(Tensor([4, 4, 4, 4], dtype: dtype).argmax(alongAxis: 0), [0], shape: [], dtype: .int64)
        ForwardCheck.expect(x.transposed().argmax(alongAxis: 1), [1, 0, 0], dtype: .int64)
    }

    @Test("argmax of a slice containing NaN is the NaN's index (as in NumPy)")
    func argmaxNaN() {
        let x = Tensor([[1, .nan, 3], [4, 5, 6]])
        // NaN .== NaN is false, so matching only the maximum would find no index at all.
        ForwardCheck.expect(x.argmax(alongAxis: 1), [1, 2], dtype: .int64)
        ForwardCheck.expect(x.argmax(alongAxis: 0), [1, 0, 1], dtype: .int64)
        ForwardCheck.expect(Tensor([.nan, 1, .nan]).argmax(alongAxis: 0), [0], dtype: .int64)
    }
}

@Suite("Forward: logSumExp and softmax")
struct ForwardSoftmaxTests {
    @Test("logSumExp against the closed form, and stable at ±1000 and −∞")
    func logSumExp() {
        let x = Tensor([[0, 0], [1, 2], [1000, 1000], [-1000, -1000], [-Double.infinity, -.infinity], [0, -.infinity]], dtype: .float64)
        let expected: [Double] = [Foundation.log(2), 2 + Foundation.log(1 + Foundation.exp(-1.0)), 1000 + Foundation.log(2),
                        -1000 + Foundation.log(2), -.infinity, 0]
        ForwardCheck.expect(x.logSumExp(alongAxes: [1]), expected, shape: [6], dtype: .float64)
        ForwardCheck.expect(x.logSumExp(alongAxes: [1], keepingDimensions: true), expected, shape: [6, 1])
        ForwardCheck.expect(x.cast(to: .float32).logSumExp(alongAxes: [-1]), expected, dtype: .float32)
        ForwardCheck.expect(Tensor([1, 2, 3]).logSumExp(), [Foundation.log(Foundation.exp(1.0) + Foundation.exp(2.0) + Foundation.exp(3.0))], shape: [])
        ForwardCheck.expect(Tensor([[1, 2], [3, 4]], dtype: .float64).logSumExp(alongAxes: [0]),
                            [3 + Foundation.log(1 + Foundation.exp(-2.0)), 4 + Foundation.log(1 + Foundation.exp(-2.0))])
        ForwardCheck.expect(Tensor([Double.infinity, 1]).logSumExp(), [.infinity])
    }

    @Test("softmax rows sum to 1 and match e^x / Σ e^x")
    func softmax() {
        let x = Tensor([[1, 2, 3], [1000, 0, -1000], [-5, -5, -5]], dtype: .float64)
        let z = Foundation.exp(1.0) + Foundation.exp(2.0) + Foundation.exp(3.0)
        let p = x.softmax()
        ForwardCheck.expect(p, [Foundation.exp(1) / z, Foundation.exp(2) / z, Foundation.exp(3) / z, 1, 0, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3],
                            shape: [3, 3], dtype: .float64)
        ForwardCheck.expect(p.sum(alongAxes: [1]), [1, 1, 1])
        let q = Tensor([[1, 2], [3, 5]]).softmax(alongAxis: 0)
        ForwardCheck.expect(q.sum(alongAxes: [0]), [1, 1], dtype: .float32)
        let e2 = Foundation.exp(-2.0), e3 = Foundation.exp(-3.0)
        ForwardCheck.expect(q, [e2 / (1 + e2), e3 / (1 + e3), 1 / (1 + e2), 1 / (1 + e3)])
        var generator = SeededGenerator(seed: 5)
        let logits = Tensor.normal([16, 10], standardDeviation: 30, using: &generator)
        let sums = logits.softmax().sum(alongAxes: [1]).asArray(Double.self)
        #expect(sums.allSatisfy { ForwardCheck.isClose($0, 1, relative: 10 * ForwardCheck.tolerance(.float32)) }, "\(sums)")
    }

    @Test("logSoftmax is x − logSumExp(x), finite for extreme logits")
    func logSoftmax() {
        let x = Tensor([[0, 0], [1000, 0], [0, -1000]], dtype: .float64)
        ForwardCheck.expect(x.logSoftmax(), [-Foundation.log(2), -Foundation.log(2), 0, -1000, 0, -1000], dtype: .float64)
        let y = Tensor([[1, 2, 3]])
        let lse = Foundation.log(Foundation.exp(1.0) + Foundation.exp(2.0) + Foundation.exp(3.0))
        ForwardCheck.expect(y.logSoftmax(alongAxis: 1), [1 - lse, 2 - lse, 3 - lse], shape: [1, 3], dtype: .float32)
        ForwardCheck.expect(y.logSoftmax(alongAxis: 0), [0, 0, 0], shape: [1, 3])
    }

    /// The one-pass kernel against the ten-pass composition it replaced, `(x − m) − log Σ
    /// exp(x − m)` with `m` the row maximum (0 where infinite): the same operations in the same
    /// order along the last axis, so equal bit for bit, on one thread and on several (5,000
    /// rows split across the pool), and with infinities and NaN in rows.
    @Test("logSoftmax's kernel equals its composition bit for bit", arguments: [DType.float32, .float64])
    func logSoftmaxKernelEqualsComposition(dtype: DType) {
        func composed(_ x: Tensor) -> Tensor {
            let peak = x.max(alongAxes: [1], keepingDimensions: true)
            let shift = Tensor.where(peak.abs() .== Double.infinity, peak.zerosLike(), peak)
            let shifted = x - shift
            return shifted - shifted.exp().sum(alongAxes: [1], keepingDimensions: true).log()
        }
        var generator = SeededGenerator(seed: 11)
        for rows in [1, 16, 5000] {
            let x = Tensor.normal([rows, 10], standardDeviation: 20, dtype: dtype, using: &generator)
            #expect(x.logSoftmax().asArray(Double.self) == composed(x).asArray(Double.self), "\(rows) rows")
        }
        let inf = Double.infinity
        let special = Tensor([[-inf, -inf, -inf], [inf, 0, 1], [.nan, 0, 1], [-inf, 0, 1]], dtype: dtype)
        let fused = special.logSoftmax().asArray(Double.self), reference = composed(special).asArray(Double.self)
        #expect(fused.count == reference.count)
        for (a, b) in zip(fused, reference) { #expect(a == b || (a.isNaN && b.isNaN), "\(fused) against \(reference)") }
        let closed = [-1 - Foundation.log(1 + Foundation.exp(-1.0)), -Foundation.log(1 + Foundation.exp(-1.0))]
        #expect(fused[9] == -inf)
        #expect(ForwardCheck.isClose(fused[10], closed[0], relative: 4 * ForwardCheck.tolerance(dtype))
                && ForwardCheck.isClose(fused[11], closed[1], relative: 4 * ForwardCheck.tolerance(dtype)), "\(fused[10...])")
        // No rows, or rows of nothing: an empty result of the same shape.
        #expect(Tensor.zeros([0, 4], dtype: dtype).logSoftmax().shape == [0, 4])
        #expect(Tensor.zeros([3, 0], dtype: dtype).logSoftmax().shape == [3, 0])
    }
}

@Suite("Finite check")
struct FiniteCheckTests {
    @Test func findsEveryNonFiniteValueAnywhere() {
        for dtype in [DType.float32, .float64] {
            for count in [0, 1, 7, 8, 9, 100] {
                let finite = Tensor(shape: [count], scalars: (0..<count).map { Double($0) * 1e30 }, dtype: dtype)
                #expect(finite.hasOnlyFiniteElements)
                for position in [0, count / 2, count - 1] where count > 0 {
                    for bad in [Double.nan, .infinity, -.infinity] {
                        var scalars = (0..<count).map { Double($0) }
                        scalars[position] = bad
                        #expect(!Tensor(shape: [count], scalars: scalars, dtype: dtype).hasOnlyFiniteElements,
                                "\(dtype) count \(count) position \(position) value \(bad)")
                    }
                }
            }
        }
        // A transposed (non-contiguous) view and integers.
        let matrix = Tensor(shape: [2, 3], scalars: [1, 2, Double.nan, 4, 5, 6])
        #expect(!matrix.transposed().hasOnlyFiniteElements)
        #expect(Tensor(shape: [3], scalars: [Int64(1), 2, 3]).hasOnlyFiniteElements)
    }
}
