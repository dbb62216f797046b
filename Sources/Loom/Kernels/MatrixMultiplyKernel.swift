import CLoomKernels

extension Kernels {
    /// `a · b` over the last two axes with broadcast batch axes: `a` is `[…, m, k]`, `b` is
    /// `[…, k, n]`, both already expanded to the same batch shape. Any strides (transposed
    /// or broadcast views) go straight to the packed GEMM, which copies into its panels.
    static func matmul(_ a: Tensor, _ b: Tensor, batchShape: [Int]) -> Tensor {
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
        let batchCount = batchShape.reduce(1, *)
        if batchCount > 1 && m > 0 && n > 0, let folded = foldedMatmul(a, b, batchShape: batchShape) { return folded }
        let result = Tensor.uninitialized(shape: batchShape + [m, n], dtype: a.dtype)
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
                gemm(m, n, k, a, offset: p, strides: (ars, acs), b, offset: q, strides: (brs, bcs),
                     beta: 0, into: result, offset: o)
            }
        }
        return result
    }
}

extension Kernels {
    /// One GEMM instead of one per batch index, when one operand is the same matrix for every
    /// index (stride 0 on the batch axes, as a block of cotangents meets a weight):
    /// `[B…, m, k] · [k, n]` as `[B·m, k] · [k, n]` when the left rows merge without a copy,
    /// and `[m, k] · [B…, k, n]` as `[m, k] · [k, B·n]` after one copy of the right operand
    /// (the result is returned as a `[B…, m, n]` view of the `[m, B·n]` product). Nil when
    /// neither applies. Each output entry sums over `k` as the per-index GEMMs do.
    private static func foldedMatmul(_ a: Tensor, _ b: Tensor, batchShape: [Int]) -> Tensor? {
        let batchRank = batchShape.count
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
        let batchCount = batchShape.reduce(1, *)
        let aIsShared = a.layout.strides.prefix(batchRank).allSatisfy { $0 == 0 }
        let bIsShared = b.layout.strides.prefix(batchRank).allSatisfy { $0 == 0 }
        if bIsShared, !aIsShared, let rows = a.layout.reshapedWithoutCopy([batchCount * m, k]) {
            let result = Tensor.uninitialized(shape: batchShape + [m, n], dtype: a.dtype)
            let bRows = b.layout.strides[b.rank - 2], bColumns = b.layout.strides[b.rank - 1]
            gemm(batchCount * m, n, k, a, offset: rows.offset, strides: (rows.strides[0], rows.strides[1]),
                 b, offset: b.layout.offset, strides: (bRows, bColumns), beta: 0, into: result, offset: 0)
            return result
        }
        if aIsShared, !bIsShared {
            // [B…, k, n] → [k, B…, n], contiguous: the columns of all batch indices side by side.
            let moved = Array(batchRank..<(batchRank + 1)) + Array(0..<batchRank) + [batchRank + 1]
            let columns = Tensor(storage: b.storage, layout: b.layout.permuted(moved), dtype: b.dtype).contiguousCopy()
            let product = Tensor.uninitialized(shape: [m, batchCount * n], dtype: a.dtype)
            let aRows = a.layout.strides[a.rank - 2], aColumns = a.layout.strides[a.rank - 1]
            gemm(m, batchCount * n, k, a, offset: a.layout.offset, strides: (aRows, aColumns),
                 columns, offset: 0, strides: (batchCount * n, 1), beta: 0, into: product, offset: 0)
            let batchStrides = Layout.contiguousStrides(batchShape).map { $0 * n }
            let view = Layout(shape: batchShape + [m, n], strides: batchStrides + [batchCount * n, 1], offset: 0)
            return Tensor(storage: product.storage, layout: view, dtype: a.dtype)
        }
        return nil
    }

    /// `x · w + b` for `x [m, k]`, `w [k, n]` (any strides) and `b [n]`, all of one floating
    /// type, in one GEMM (`loom_sgemm_affine`): its micro-kernel adds the bias to each tile of
    /// the output as it stores it, and with `relu` applies `max(·, 0)` there too, so neither
    /// the bias nor the activation costs a pass over the output (filling the output with the
    /// bias first and accumulating into it, which gives the same bits, was 5-6% of an
    /// inference pass at batch 1024).
    static func affine(_ x: Tensor, _ w: Tensor, _ b: Tensor, relu: Bool = false) -> Tensor {
        let m = x.shape[0], k = x.shape[1], n = w.shape[1]
        let result = Tensor.uninitialized(shape: [m, n], dtype: x.dtype)
        if m == 0 || n == 0 { return result }
        gemm(m, n, k, x, offset: x.layout.offset, strides: (x.layout.strides[0], x.layout.strides[1]),
             w, offset: w.layout.offset, strides: (w.layout.strides[0], w.layout.strides[1]),
             beta: 0, bias: b.contiguousValue(), relu: relu, into: result, offset: 0)
        return result
    }
}

extension Kernels {
    /// `C = A · B + beta · C` through the packed GEMM of the operands' floating type: `A [m, k]`
    /// and `B [k, n]` addressed in their storage from `offset` by (row, column) `strides`,
    /// `C [m, n]` row-major from `offset` of `c`'s storage. With a contiguous `bias [n]`
    /// (beta 0), `C = A · B + bias` and then `max(·, 0)` with `relu`, both applied by the
    /// micro-kernel as it stores each tile (`loom_?gemm_affine`).
    private static func gemm(
        _ m: Int, _ n: Int, _ k: Int, _ a: Tensor, offset aOffset: Int, strides aStrides: (Int, Int),
        _ b: Tensor, offset bOffset: Int, strides bStrides: (Int, Int),
        beta: Double, bias: Tensor? = nil, relu: Bool = false, into c: Tensor, offset cOffset: Int
    ) {
        precondition(bias == nil ? !relu : beta == 0, "gemm: a bias needs beta 0, a ReLU a bias")
        let (am, ak, bk, bn) = (Int64(aStrides.0), Int64(aStrides.1), Int64(bStrides.0), Int64(bStrides.1))
        switch c.dtype {
        case .float32:
            let ap = a.storage.pointer(as: Float.self) + aOffset, bp = b.storage.pointer(as: Float.self) + bOffset
            let cp = c.storage.pointer(as: Float.self) + cOffset
            if let bias {
                loom_sgemm_affine(Int64(m), Int64(n), Int64(k), 1, ap, am, ak, bp, bk, bn,
                                  bias.storage.pointer(as: Float.self) + bias.layout.offset, cp, Int64(n), 1, relu ? 1 : 0)
            } else {
                loom_sgemm(Int64(m), Int64(n), Int64(k), 1, ap, am, ak, bp, bk, bn, Float(beta), cp, Int64(n), 1)
            }
        case .float64:
            let ap = a.storage.pointer(as: Double.self) + aOffset, bp = b.storage.pointer(as: Double.self) + bOffset
            let cp = c.storage.pointer(as: Double.self) + cOffset
            if let bias {
                loom_dgemm_affine(Int64(m), Int64(n), Int64(k), 1, ap, am, ak, bp, bk, bn,
                                  bias.storage.pointer(as: Double.self) + bias.layout.offset, cp, Int64(n), 1, relu ? 1 : 0)
            } else {
                loom_dgemm(Int64(m), Int64(n), Int64(k), 1, ap, am, ak, bp, bk, bn, beta, cp, Int64(n), 1)
            }
        case .int32, .int64:
            preconditionFailure("gemm: needs floating-point tensors, got \(c.dtype)")  // checked by matmul and affine
        }
    }
}

/// Loom's packed float64 GEMM on raw buffers, for dense linear algebra that works outside
/// tensors (the blocked factorizations of LoomOptimizers): the same kernel, threads and
/// ISA dispatch as ``Tensor/matmul(_:)``.
public enum DenseGEMM {
    /// `C ← alpha · A · B + beta · C` for `A [m, k]`, `B [k, n]` and `C [m, n]`, each addressed
    /// by its (row, column) strides in elements (a transpose is a swap of the strides).
    /// With `beta = 0`, `C` is not read.
    public static func multiply(
        m: Int, n: Int, k: Int, alpha: Double = 1,
        _ a: UnsafePointer<Double>, strides aStrides: (row: Int, column: Int),
        _ b: UnsafePointer<Double>, strides bStrides: (row: Int, column: Int),
        beta: Double, _ c: UnsafeMutablePointer<Double>, strides cStrides: (row: Int, column: Int)
    ) {
        guard m > 0 && n > 0 else { return }
        loom_dgemm(Int64(m), Int64(n), Int64(k), alpha, a, Int64(aStrides.row), Int64(aStrides.column),
                   b, Int64(bStrides.row), Int64(bStrides.column), beta, c, Int64(cStrides.row), Int64(cStrides.column))
    }
}

/// Loom's symmetric matrix-vector kernel on raw buffers, for the Householder tridiagonal
/// reduction of LoomOptimizers (in Swift it compiled to baseline SSE2; here it runs on the
/// active ISA like ``DenseGEMM``).
public enum DenseSymmetricProduct {
    /// Rows `first ..< first + count` of `p = B v` for a symmetric `B` stored as its lower
    /// triangle (row `i` at `b + i · stride`, entries `0...i`): adds `B[i, 0...i]·v[0...i]` to
    /// `out[i]` and `v[i] B[i, 0..<i]` to `out[0..<i]`, reading each stored entry once. Rows
    /// split across threads must each sum into their own `out`.
    public static func addLowerRows(
        first: Int, count: Int, _ b: UnsafePointer<Double>, stride: Int, v: UnsafePointer<Double>,
        into out: UnsafeMutablePointer<Double>
    ) {
        guard count > 0 else { return }
        loom_dsymv_lower_rows(Int64(first), Int64(count), b, Int64(stride), v, out)
    }
}
