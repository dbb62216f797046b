import Loom
import Testing

/// `a · b` for row-major `[m, k]` and `[k, n]` in Double, with the per-element bound
/// `Σ_k |a_ik b_kj|` that a rounding-error estimate scales with.
private func naiveMatmul(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int) -> (product: [Double], magnitude: [Double]) {
    var product = [Double](repeating: 0, count: m * n), magnitude = product
    for i in 0..<m {
        for j in 0..<n {
            for p in 0..<k {
                product[i * n + j] += a[i * k + p] * b[p * n + j]
                magnitude[i * n + j] += Swift.abs(a[i * k + p] * b[p * n + j])
            }
        }
    }
    return (product, magnitude)
}

/// Expects `c` to equal the naive product within the standard dot-product error bound
/// `k·ε·Σ|a||b|` for the dtype's unit roundoff ε (doubled for slack).
private func expectProduct(_ c: Tensor, _ a: Tensor, _ b: Tensor, sourceLocation: SourceLocation = #_sourceLocation) {
    let m = a.shape[0], k = a.shape[1], n = b.shape[1]
    let (product, magnitude) = naiveMatmul(a.asArray(Double.self), b.asArray(Double.self), m: m, k: k, n: n)
    #expect(c.shape == [m, n], sourceLocation: sourceLocation)
    let epsilon = c.dtype == .float64 ? Double.ulpOfOne : Double(Float.ulpOfOne)
    let actual = c.asArray(Double.self)
    for index in actual.indices {
        let bound = 2 * Double(k) * epsilon * magnitude[index]
        let error = Swift.abs(actual[index] - product[index])
        if error > bound { Issue.record("element \(index): \(actual[index]) vs \(product[index])", sourceLocation: sourceLocation); return }
    }
}

@Suite("Forward: matmul")
struct ForwardMatmulTests {
    @Test("2-D product against the hand-computed result")
    func small() {
        let a = Tensor([[1, 2, 3], [4, 5, 6]]), b = Tensor([[7, 8], [9, 10], [11, 12]])
        ForwardCheck.expect(a.matmul(b), [58, 64, 139, 154], shape: [2, 2], dtype: .float32)
        ForwardCheck.expect(b.matmul(a), [39, 54, 69, 49, 68, 87, 59, 82, 105], shape: [3, 3])
        ForwardCheck.expect(Tensor([[2]]).matmul(Tensor([[3, 4]])), [6, 8], shape: [1, 2])
    }

    @Test("transposed, sliced, reversed and broadcast operands are read through their strides")
    func stridedOperands() {
        let a = Tensor([[1, 4], [2, 5], [3, 6]]).transposed()   // [[1, 2, 3], [4, 5, 6]]
        let b = Tensor([[7, 9, 11], [8, 10, 12]]).transposed()  // [[7, 8], [9, 10], [11, 12]]
        ForwardCheck.expect(a.matmul(b), [58, 64, 139, 154], shape: [2, 2])
        let wide = Tensor.arange(0, 20).reshaped([4, 5])
        let block = wide[1..<3, 1..<4]                           // [[6, 7, 8], [11, 12, 13]], offset 6
        ForwardCheck.expect(block.matmul(Tensor.ones([3, 1])), [21, 36], shape: [2, 1])
        let flipped = Tensor([[1, 2], [3, 4]])[TensorSlice(step: -1), TensorSlice(step: -1)]  // [[4, 3], [2, 1]]
        ForwardCheck.expect(flipped.matmul(Tensor.eye(2)), [4, 3, 2, 1])
        ForwardCheck.expect(Tensor([[1, 2]]).matmul(flipped), [8, 5])
        let repeated = Tensor([[1, 2, 3]]).expanded(to: [2, 3])   // row stride 0
        ForwardCheck.expect(repeated.matmul(Tensor([[1], [1], [1]])), [6, 6], shape: [2, 1])
        ForwardCheck.expect(Tensor([[1, 1]]).matmul(Tensor([[5], [7]]).expanded(to: [2, 3])), [12, 12, 12])
    }

    @Test("1-D operands: vector·matrix, matrix·vector, vector·vector (rank 0)")
    func vectors() {
        let m = Tensor([[1, 2], [3, 4], [5, 6]])
        ForwardCheck.expect(Tensor([1, 0, -1]).matmul(m), [-4, -4], shape: [2])
        ForwardCheck.expect(m.matmul(Tensor([1, -1])), [-1, -1, -1], shape: [3])
        ForwardCheck.expect(Tensor([1, 2, 3]).matmul(Tensor([4, 5, 6])), [32], shape: [])
        // With batches: [2, 3, 2]·[2] → [2, 3]; [3]·[2, 3, 2] → [2, 2].
        let batch = Tensor.stacked([m, -m])
        ForwardCheck.expect(batch.matmul(Tensor([1, 1])), [3, 7, 11, -3, -7, -11], shape: [2, 3])
        ForwardCheck.expect(Tensor([1, 1, 1]).matmul(batch), [9, 12, -9, -12], shape: [2, 2])
    }

    @Test("batched products broadcast the batch axes")
    func batched() {
        var generator = SeededGenerator(seed: 21)
        let a = Tensor.normal([2, 1, 3, 4], dtype: .float64, using: &generator)
        let b = Tensor.normal([5, 4, 2], dtype: .float64, using: &generator)
        let c = a.matmul(b)
        #expect(c.shape == [2, 5, 3, 2] && c.dtype == .float64)
        for i in 0..<2 {
            for j in 0..<5 {
                expectProduct(c[i, j], a[i, 0], b[j])
            }
        }
        let shared = Tensor.normal([4, 2], dtype: .float64, using: &generator)
        let d = a.matmul(shared)
        #expect(d.shape == [2, 1, 3, 2])
        expectProduct(d[1, 0], a[1, 0], shared)
    }

    @Test("a 130×257 · 257×65 product matches a Double loop", arguments: [DType.float32, .float64])
    func large(dtype: DType) {
        var generator = SeededGenerator(seed: 22)
        let a = Tensor.uniform([130, 257], low: -1, high: 1, dtype: dtype, using: &generator)
        let b = Tensor.uniform([257, 65], low: -1, high: 1, dtype: dtype, using: &generator)
        let c = a.matmul(b)
        #expect(c.dtype == dtype)
        expectProduct(c, a, b)
        // The same through transposed storage.
        let bt = Tensor(shape: [65, 257], scalars: b.transposed().asArray(Double.self), dtype: dtype).transposed()
        expectProduct(a.matmul(bt), a, b)
    }

    @Test("mixed precision promotes; an empty inner axis gives zeros")
    func promotionAndEmpty() {
        let c = Tensor([[1, 2]]).matmul(Tensor([[0.5], [0.25]], dtype: .float64))
        ForwardCheck.expect(c, [1], shape: [1, 1], dtype: .float64)
        ForwardCheck.expect(Tensor.ones([2, 0]).matmul(Tensor.ones([0, 3])), [0, 0, 0, 0, 0, 0], shape: [2, 3])
        ForwardCheck.expect(Tensor.ones([0, 4]).matmul(Tensor.ones([4, 3])), [], shape: [0, 3])
        ForwardCheck.expect(Tensor.ones([0, 2, 4]).matmul(Tensor.ones([4, 3])), [], shape: [0, 2, 3])
    }
}

@Suite("Forward: joining and indexing")
struct ForwardJoiningTests {
    @Test("concatenated joins along any axis and promotes dtypes")
    func concatenated() {
        let a = Tensor([[1, 2], [3, 4]]), b = Tensor([[5, 6]])
        ForwardCheck.expect(Tensor.concatenated([a, b]), [1, 2, 3, 4, 5, 6], shape: [3, 2])
        ForwardCheck.expect(Tensor.concatenated([a, b.transposed()], axis: 1), [1, 2, 5, 3, 4, 6], shape: [2, 3])
        ForwardCheck.expect(Tensor.concatenated([a, a], axis: -1), [1, 2, 1, 2, 3, 4, 3, 4], shape: [2, 4])
        ForwardCheck.expect(Tensor.concatenated([a, Tensor.zeros([0, 2]), b]), [1, 2, 3, 4, 5, 6], shape: [3, 2])
        ForwardCheck.expect(Tensor.concatenated([Tensor([1], dtype: .int32), Tensor([0.5], dtype: .float64)]), [1, 0.5], dtype: .float64)
        ForwardCheck.expect(Tensor.concatenated([a]), [1, 2, 3, 4], shape: [2, 2])
    }

    @Test("stacked adds a new axis")
    func stacked() {
        let a = Tensor([1, 2, 3]), b = Tensor([4, 5, 6])
        ForwardCheck.expect(Tensor.stacked([a, b]), [1, 2, 3, 4, 5, 6], shape: [2, 3])
        ForwardCheck.expect(Tensor.stacked([a, b], axis: 1), [1, 4, 2, 5, 3, 6], shape: [3, 2])
        ForwardCheck.expect(Tensor.stacked([a, b], axis: -1), [1, 4, 2, 5, 3, 6], shape: [3, 2])
        ForwardCheck.expect(Tensor.stacked([Tensor(1), Tensor(2)]), [1, 2], shape: [2])
    }

    @Test("split by sizes and by count gives views")
    func split() {
        let x = Tensor.arange(0, 12).reshaped([3, 4])
        let parts = x.split(sizes: [1, 3], alongAxis: 1)
        ForwardCheck.expect(parts[0], [0, 4, 8], shape: [3, 1])
        ForwardCheck.expect(parts[1], [1, 2, 3, 5, 6, 7, 9, 10, 11], shape: [3, 3])
        #expect(parts.allSatisfy { $0.sharesStorage(with: x) })
        let thirds = x.split(count: 3)
        #expect(thirds.count == 3)
        ForwardCheck.expect(thirds[2], [8, 9, 10, 11], shape: [1, 4])
        let withEmpty = x.split(sizes: [0, 3], alongAxis: 0)
        #expect(withEmpty[0].shape == [0, 4] && withEmpty[1].shape == [3, 4])
        ForwardCheck.expect(Tensor.concatenated(x.split(count: 2, alongAxis: -1), axis: 1), x.asArray(Double.self))
    }

    @Test("gathered picks along an axis (take_along_axis)")
    func gathered() {
        let x = Tensor([[1, 2, 3], [4, 5, 6]])
        let labels = Tensor([[2], [0]], dtype: .int64)
        ForwardCheck.expect(x.gathered(labels, alongAxis: 1), [3, 4], shape: [2, 1])
        ForwardCheck.expect(x.gathered(Tensor([[1, 0, 1]], dtype: .int32), alongAxis: 0), [4, 2, 6], shape: [1, 3])
        ForwardCheck.expect(x.gathered(Tensor([[0, 0, 2, 2], [1, 1, 1, 0]], dtype: .int64), alongAxis: -1),
                            [1, 1, 3, 3, 5, 5, 5, 4], shape: [2, 4])
        ForwardCheck.expect(x.transposed().gathered(Tensor([[1], [0], [1]], dtype: .int64), alongAxis: 1), [4, 2, 6])
        ForwardCheck.expect(Tensor([[1, 2], [3, 4]], dtype: .int64).gathered(Tensor([[1], [1]], dtype: .int64), alongAxis: 1),
                            [2, 4], dtype: .int64)
    }

    @Test("scatterAdded accumulates repeated indices")
    func scatterAdded() {
        let values = Tensor([[1, 2, 3]])
        ForwardCheck.expect(values.scatterAdded(Tensor([[0, 0, 2]], dtype: .int64), alongAxis: 1, into: [1, 4]), [3, 0, 3, 0], shape: [1, 4])
        let rows = Tensor([[10], [20]])
        ForwardCheck.expect(rows.scatterAdded(Tensor([[2], [0]], dtype: .int32), alongAxis: 1, into: [2, 3]), [0, 0, 10, 20, 0, 0])
        ForwardCheck.expect(Tensor([[1, 2]]).scatterAdded(Tensor([[1, 1]], dtype: .int64), alongAxis: 0, into: [3, 2]), [0, 0, 1, 2, 0, 0])
    }

    @Test("oneHot rows for integer labels")
    func oneHot() {
        ForwardCheck.expect(Tensor.oneHot(Tensor([2, 0, 1], dtype: .int64), classCount: 3), [0, 0, 1, 1, 0, 0, 0, 1, 0], shape: [3, 3], dtype: .float32)
        ForwardCheck.expect(Tensor.oneHot(Tensor([[1], [0]], dtype: .int32), classCount: 2, dtype: .float64), [0, 1, 1, 0], shape: [2, 1, 2], dtype: .float64)
        ForwardCheck.expect(Tensor.oneHot(Tensor([3, 1], dtype: .int64)[TensorSlice(step: -1)], classCount: 4), [0, 1, 0, 0, 0, 0, 0, 1])
        ForwardCheck.expect(Tensor.oneHot(Tensor(shape: [0], scalars: [Int64]()), classCount: 2), [], shape: [0, 2])
    }
}

@Suite("Forward: affine")
struct ForwardAffineTests {
    /// `x [m, k]`, `w [k, n]` and `b [n]` uniform in [-1, 1), in float32 and in float64.
    static func operands(_ sizes: (Int, Int, Int), seed: UInt64) -> [(DType, Tensor, Tensor, Tensor)] {
        let (m, k, n) = sizes
        var generator = SeededGenerator(seed: seed)
        return [DType.float32, .float64].map { dtype in
            (dtype, Tensor.uniform([m, k], low: -1, high: 1, dtype: dtype, using: &generator),
             Tensor.uniform([k, n], low: -1, high: 1, dtype: dtype, using: &generator),
             Tensor.uniform([n], low: -1, high: 1, dtype: dtype, using: &generator))
        }
    }

    /// The fused `x·W + b` against `matmul` then `+` (the unfused path), float32 and float64,
    /// on shapes that take the threaded GEMM and on edge sizes.
    @Test(arguments: [(128, 784, 512), (3, 5, 2), (7, 1, 9), (1, 4, 1), (130, 64, 10), (5, 0, 3)])
    func matchesMatmulPlusBias(sizes: (Int, Int, Int)) {
        let (m, k, n) = sizes
        for (dtype, x, w, b) in Self.operands(sizes, seed: UInt64(m * 131 + k * 7 + n)) {
            let fused = x.affine(weight: w, bias: b).asArray(Double.self)
            let unfused = (x.matmul(w) + b).asArray(Double.self)
            // Float rounding differs only in where the bias joins the sum: allow a few ulps of
            // the sum of magnitudes (k + 1 terms of size ≤ 1).
            let tolerance = (dtype == .float32 ? 1e-6 : 1e-14) * Double(k + 1)
            #expect(fused.count == m * n)
            for (a, e) in zip(fused, unfused) { #expect(abs(a - e) <= tolerance, "\(dtype) \(sizes): \(a) vs \(e)") }
        }
    }

    /// `affineReLU` against `affine` then `relu`: equal bit for bit (the clip runs on the same
    /// sums), NaN kept and −0 sent to +0 as by `relu()`.
    @Test(arguments: [(128, 784, 512), (3, 5, 2), (7, 1, 9), (130, 64, 10), (5, 0, 3)])
    func affineReLUEqualsAffineThenReLU(sizes: (Int, Int, Int)) {
        let (m, k, n) = sizes
        for (dtype, x, w, b) in Self.operands(sizes, seed: UInt64(m * 17 + k * 5 + n)) {
            let fused = x.affineReLU(weight: w, bias: b).asArray(Double.self)
            let unfused = x.affine(weight: w, bias: b).relu().asArray(Double.self)
            #expect(fused.map(\.bitPattern) == unfused.map(\.bitPattern), "\(dtype) \(sizes)")
            #expect(fused.contains(0) && fused.contains { $0 > 0 } || m * n < 4 || k == 0, "\(dtype) \(sizes): no clipped and no kept values")
        }
        // A NaN input spreads over its row and stays NaN; −2 and the exact 0 of 1 − 1 give +0.
        let special = Tensor([[Double.nan, 1], [0, 1]]).affineReLU(weight: Tensor([[1, 0], [0, 1]]), bias: Tensor([-2, -1]))
        let values = special.asArray(Double.self)
        #expect(values[0].isNaN && values[1].isNaN)
        #expect(values[2] == 0 && values[2].sign == .plus && values[3] == 0 && values[3].sign == .plus)
    }
}
