import CLoomKernels
import Testing

/// The symmetric matrix-vector kernel of the tridiagonal reduction, on every ISA path, against
/// the full product computed from the mirrored matrix, for row ranges that start and end off
/// the kernel's blocks of four and strides wider than the matrix.
@Suite("Symmetric matrix-vector kernel")
struct SymmetricProductKernelTests {
    @Test(arguments: [(0, 1), (0, 4), (0, 13), (3, 9), (5, 32), (0, 67), (61, 70)])
    func lowerRowsMatchFullProduct(first: Int, count: Int) {
        let m = first + count, stride = m + 3
        var random = SplitMix(state: UInt64(m * 31 + first))
        var b = [Double](repeating: .nan, count: m * stride)  // entries above the diagonal must not be read
        for i in 0..<m { for j in 0...i { b[i * stride + j] = random.uniform() - 0.5 } }
        let v = (0..<m).map { _ in random.uniform() - 0.5 }
        let start = (0..<m).map { _ in random.uniform() }
        // What rows first..<m contribute: B[i, j] v[j] to out[i] (j ≤ i) and B[i, j] v[i] to out[j] (j < i).
        var expected = start
        for i in first..<m {
            for j in 0...i {
                expected[i] += b[i * stride + j] * v[j]
                if j < i { expected[j] += b[i * stride + j] * v[i] }
            }
        }
        let isa0 = loom_active_isa()
        defer { _ = loom_set_isa(isa0) }
        for isa in supportedISAs() {
            #expect(loom_set_isa(isa) == isa)
            var out = start
            loom_dsymv_lower_rows(Int64(first), Int64(count), b, Int64(stride), v, &out)
            for i in 0..<m {
                // Sums of up to m products of magnitude ≤ 1/4 in another order (and fused).
                #expect(abs(out[i] - expected[i]) <= Double(m) * 1e-15, "isa \(isa.rawValue), row \(i)")
            }
        }
    }
}
