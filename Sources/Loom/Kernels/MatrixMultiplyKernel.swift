import CLoomKernels

extension Kernels {
    /// `a · b` over the last two axes with broadcast batch axes: `a` is `[…, m, k]`, `b` is
    /// `[…, k, n]`, both already expanded to the same batch shape. Any strides (transposed
    /// or broadcast views) go straight to the packed GEMM, which copies into its panels.
    static func matmul(_ a: Tensor, _ b: Tensor, batchShape: [Int]) -> Tensor {
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
        let result = Tensor.uninitialized(shape: batchShape + [m, n], dtype: a.dtype)
        let batchCount = batchShape.reduce(1, *)
        if batchCount == 0 || m == 0 || n == 0 { return result }
        let batchLoop = StridedLoop(
            shape: batchShape,
            layouts: [result, a, b].map { Layout(shape: Array($0.shape.dropLast(2)), strides: Array($0.layout.strides.dropLast(2)), offset: $0.layout.offset) })
        let (ars, acs) = (a.layout.strides[a.rank - 2], a.layout.strides[a.rank - 1])
        let (brs, bcs) = (b.layout.strides[b.rank - 2], b.layout.strides[b.rank - 1])
        for row in 0..<batchLoop.rowCount {
            for inner in 0..<batchLoop.innerCount {
                let o = batchLoop.offset(row: row, operand: 0) + inner * batchLoop.innerStrides[0]
                let p = batchLoop.offset(row: row, operand: 1) + inner * batchLoop.innerStrides[1]
                let q = batchLoop.offset(row: row, operand: 2) + inner * batchLoop.innerStrides[2]
                switch a.dtype {
                case .float32:
                    loom_sgemm(Int64(m), Int64(n), Int64(k), 1,
                               a.storage.pointer(as: Float.self) + p, Int64(ars), Int64(acs),
                               b.storage.pointer(as: Float.self) + q, Int64(brs), Int64(bcs),
                               0, result.storage.pointer(as: Float.self) + o, Int64(n), 1)
                case .float64:
                    loom_dgemm(Int64(m), Int64(n), Int64(k), 1,
                               a.storage.pointer(as: Double.self) + p, Int64(ars), Int64(acs),
                               b.storage.pointer(as: Double.self) + q, Int64(brs), Int64(bcs),
                               0, result.storage.pointer(as: Double.self) + o, Int64(n), 1)
                case .int32, .int64:
                    preconditionFailure("matmul: needs floating-point tensors, got \(a.dtype)")
                }
            }
        }
        return result
    }
}
