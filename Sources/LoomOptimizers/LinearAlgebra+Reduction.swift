import Loom

// The Householder reduction of a symmetric matrix to tridiagonal form: blocked (LAPACK `dsytrd`
// with `dlatrd` panels) where the trailing matrix is large, column by column (`dsytd2`) below.

extension Tridiagonalization {
    /// Columns per panel: the inner dimension of the trailing update's GEMM is twice this.
    static let panelWidth = 32
    /// Trailing sizes at or below this are reduced column by column.
    static let blockedCrossover = 96

    /// Reduces the symmetric `n × n` row-major matrix in `a` (its lower triangle is read;
    /// `a` is overwritten) to tridiagonal form `T = QᵀAQ` (LAPACK `dsytrd`, lower).
    ///
    /// Step k: the reflector maps `x = A[k+1..<n, k]` to `β e₁`; the trailing block `B`
    /// becomes `HBH = B − v wᵀ − w vᵀ` with `p = τ B v`, `w = p − (τ/2)(pᵀv) v`: one
    /// symmetric matrix-vector product and one rank-2 update of the lower triangle. A panel
    /// (`dlatrd`) makes ``panelWidth`` reflectors against the matrix as it was at the panel's
    /// start, each `w` corrected by the panel's earlier `V` and `W`
    /// (`p = τ (B v − V Wᵀv − W Vᵀv)`), and then updates the trailing matrix once,
    /// `B ← B − V Wᵀ − W Vᵀ`, as GEMMs: half the `4n³/3` multiply-adds leave the memory-bound
    /// rank-2 updates; the symmetric products (the other half) stay matrix-vector.
    init(reducing a: inout [Double], n: Int) {
        self.init(reducedOrder: n)
        guard n > 0 else { return }
        var work = ReductionWorkspace(n: n)
        a.withUnsafeMutableBufferPointer { aBuffer in
            let a = aBuffer.baseAddress!
            var k = 0
            while n - k > Swift.max(Self.blockedCrossover, Self.panelWidth + 2) {
                reducePanel(a, n: n, first: k, work: &work)
                k += Self.panelWidth
            }
            for column in k..<Swift.max(n - 2, k) { reduceColumn(a, n: n, column: column, work: &work) }
            if n >= 2 {
                diagonal[n - 2] = a[(n - 2) * n + n - 2]
                offDiagonal[n - 2] = a[(n - 1) * n + n - 2]
            }
            diagonal[n - 1] = a[(n - 1) * n + n - 1]
        }
    }

    /// The reflector of column `k` into `work.v` (`n − k − 1` entries from index `k + 1`;
    /// all zero, with `τ = 0`, when the column is already reduced), recorded with `T`'s
    /// entries `diagonal[k]` and `offDiagonal[k] = β`. Returns `τ`.
    private mutating func makeReflector(_ a: UnsafeMutablePointer<Double>, n: Int, column k: Int, work: inout ReductionWorkspace) -> Double {
        let m = n - k - 1, base = k + 1
        var scaleNorm = 0.0
        for i in 1..<m { let x = a[(base + i) * n + k]; scaleNorm += x * x }
        let alpha = a[base * n + k]
        diagonal[k] = a[k * n + k]
        var tau = 0.0
        work.v.withUnsafeMutableBufferPointer { vBuffer in
            let v = vBuffer.baseAddress!
            if scaleNorm == 0 {
                offDiagonal[k] = alpha
                v.update(repeating: 0, count: m)
            } else {
                let beta = -(alpha >= 0 ? 1.0 : -1.0) * (alpha * alpha + scaleNorm).squareRoot()
                tau = (beta - alpha) / beta
                let inverse = 1 / (alpha - beta)
                v[0] = 1
                for i in 1..<m { v[i] = a[(base + i) * n + k] * inverse }
                offDiagonal[k] = beta
            }
            appendReflector(UnsafeBufferPointer(start: v, count: m), scale: tau)
        }
        return tau
    }

    /// `p = τ B v` for the trailing block `B` below and right of column `k` (`work.p`).
    private static func scaledProduct(_ a: UnsafeMutablePointer<Double>, n: Int, column k: Int, tau: Double, work: inout ReductionWorkspace) {
        let m = n - k - 1, base = k + 1, threads = work.threads
        work.v.withUnsafeMutableBufferPointer { vBuffer in
            work.p.withUnsafeMutableBufferPointer { pBuffer in
                work.partial.withUnsafeMutableBufferPointer { partialBuffer in
                    symmetricProduct(a + base * n + base, stride: n, m: m, v: vBuffer.baseAddress!,
                                     into: pBuffer.baseAddress!, scratch: partialBuffer.baseAddress!, threads: threads)
                }
                let p = pBuffer.baseAddress!
                for i in 0..<m { p[i] *= tau }
            }
        }
    }

    /// `w = p − (τ/2)(pᵀv) v` in `work.p`.
    private static func correct(m: Int, tau: Double, work: inout ReductionWorkspace) {
        work.v.withUnsafeBufferPointer { vBuffer in
            work.p.withUnsafeMutableBufferPointer { pBuffer in
                let v = vBuffer.baseAddress!, p = pBuffer.baseAddress!
                let correction = -0.5 * tau * DenseKernels.dot(p, v, m)
                for i in 0..<m { p[i] += correction * v[i] }
            }
        }
    }

    /// One unblocked step (`dsytd2`): reflector, `w`, rank-2 update of the trailing block.
    private mutating func reduceColumn(_ a: UnsafeMutablePointer<Double>, n: Int, column k: Int, work: inout ReductionWorkspace) {
        let tau = makeReflector(a, n: n, column: k, work: &work)
        guard tau != 0 else { return }
        let m = n - k - 1, base = k + 1
        Self.scaledProduct(a, n: n, column: k, tau: tau, work: &work)
        Self.correct(m: m, tau: tau, work: &work)
        work.v.withUnsafeBufferPointer { vBuffer in
            work.p.withUnsafeBufferPointer { pBuffer in
                Self.rankTwoUpdate(a + base * n + base, stride: n, m: m,
                                   v: UnsafeMutablePointer(mutating: vBuffer.baseAddress!), w: UnsafeMutablePointer(mutating: pBuffer.baseAddress!))
            }
        }
    }

    /// A panel of ``panelWidth`` columns from `k0` (`dlatrd`, lower), then the trailing update
    /// `B ← B − [V W] [W V]ᵀ`, by GEMMs on row blocks of the lower triangle.
    private mutating func reducePanel(_ a: UnsafeMutablePointer<Double>, n: Int, first k0: Int, work: inout ReductionWorkspace) {
        let nb = Self.panelWidth, ld = 2 * nb
        work.panel.withUnsafeMutableBufferPointer { $0.baseAddress!.update(repeating: 0, count: n * ld) }
        for i in 0..<nb {
            let j = k0 + i, m = n - j - 1, base = j + 1
            if i > 0 {
                // Column j (from the diagonal down) catches up with the panel's reflectors.
                work.panel.withUnsafeBufferPointer { xBuffer in
                    let x = xBuffer.baseAddress!, xj = x + j * ld
                    for r in j..<n {
                        let xr = x + r * ld
                        var sum = 0.0
                        for l in 0..<i { sum += xr[l] * xj[nb + l] + xr[nb + l] * xj[l] }
                        a[r * n + j] -= sum
                    }
                }
            }
            let tau = makeReflector(a, n: n, column: j, work: &work)
            for r in 0..<m { work.panel[(base + r) * ld + i] = work.v[r] }
            guard tau != 0 else { continue }
            Self.scaledProduct(a, n: n, column: j, tau: tau, work: &work)
            if i > 0 { Self.subtractPanel(base: base, m: m, count: i, tau: tau, work: &work) }
            Self.correct(m: m, tau: tau, work: &work)
            for r in 0..<m { work.panel[(base + r) * ld + nb + i] = work.p[r] }
        }
        // Y = [W V] for the rows below the panel, then the lower triangle of B −= X Yᵀ.
        let first = k0 + nb, size = n - first
        work.panel.withUnsafeBufferPointer { xBuffer in
            work.swapped.withUnsafeMutableBufferPointer { yBuffer in
                let x = xBuffer.baseAddress!, y = yBuffer.baseAddress!
                for r in first..<n {
                    (y + r * ld).update(from: x + r * ld + nb, count: nb)
                    (y + r * ld + nb).update(from: x + r * ld, count: nb)
                }
                let height = 128
                for top in stride(from: 0, to: size, by: height) {
                    let rows = Swift.min(height, size - top)
                    DenseGEMM.multiply(m: rows, n: top + rows, k: ld, alpha: -1, x + (first + top) * ld, strides: (ld, 1),
                                       y + first * ld, strides: (1, ld), beta: 1, a + (first + top) * n + first, strides: (n, 1))
                }
            }
        }
    }

    /// `p −= τ (V Wᵀv + W Vᵀv)` over the panel's first `count` columns, rows from `base`.
    private static func subtractPanel(base: Int, m: Int, count i: Int, tau: Double, work: inout ReductionWorkspace) {
        let nb = panelWidth, ld = 2 * nb
        work.panel.withUnsafeBufferPointer { xBuffer in
            work.v.withUnsafeBufferPointer { vBuffer in
                work.p.withUnsafeMutableBufferPointer { pBuffer in
                    let x = xBuffer.baseAddress! + base * ld, v = vBuffer.baseAddress!, p = pBuffer.baseAddress!
                    // t = (Wᵀv, Vᵀv)
                    var t = [Double](repeating: 0, count: ld)
                    for r in 0..<m {
                        let xr = x + r * ld, vr = v[r]
                        for l in 0..<i {
                            t[l] += xr[nb + l] * vr
                            t[nb + l] += xr[l] * vr
                        }
                    }
                    for r in 0..<m {
                        let xr = x + r * ld
                        var sum = 0.0
                        for l in 0..<i { sum += xr[l] * t[l] + xr[nb + l] * t[nb + l] }
                        p[r] -= tau * sum
                    }
                }
            }
        }
    }

    /// `p = B v` for the symmetric `m × m` block `B` at `b` (lower triangle, row stride
    /// `stride`): row `i` contributes `B[i, 0...i]·v[0...i]` to `p[i]` and `v[i] B[i, 0..<i]`
    /// to `p[0..<i]`, so each stored entry is read once (Loom's kernel, four rows a pass). Rows
    /// are split across threads by area, each thread summing into its own scratch vector.
    private static func symmetricProduct(
        _ b: UnsafeMutablePointer<Double>, stride: Int, m: Int, v: UnsafeMutablePointer<Double>,
        into p: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>, threads: Int
    ) {
        let chunks = m >= 384 ? threads : 1
        let bounds = triangleSplit(m, chunks)
        forEachChunk(of: chunks, minimumChunk: 1) { range in
            for chunk in range {
                let out = scratch + chunk * m
                out.update(repeating: 0, count: m)
                DenseSymmetricProduct.addLowerRows(first: bounds[chunk], count: bounds[chunk + 1] - bounds[chunk],
                                                   b, stride: stride, v: v, into: out)
            }
        }
        p.update(from: scratch, count: m)
        for chunk in 1..<chunks {
            let out = scratch + chunk * m
            for i in 0..<m { p[i] += out[i] }
        }
    }

    /// `B ← B − v wᵀ − w vᵀ` on the lower triangle of the `m × m` block at `b`.
    private static func rankTwoUpdate(_ b: UnsafeMutablePointer<Double>, stride: Int, m: Int,
                                      v: UnsafeMutablePointer<Double>, w: UnsafeMutablePointer<Double>) {
        let chunks = m >= 384 ? Swift.max(kernelThreadCount, 1) : 1
        let bounds = triangleSplit(m, chunks)
        forEachChunk(of: chunks, minimumChunk: 1) { range in
            for chunk in range {
                for i in bounds[chunk]..<bounds[chunk + 1] {
                    let row = b + i * stride
                    let vi = v[i], wi = w[i]
                    for j in 0...i { row[j] -= vi * w[j] + wi * v[j] }
                }
            }
        }
    }

    /// Row boundaries that split a lower triangle of `m` rows into `chunks` parts of about
    /// equal area.
    static func triangleSplit(_ m: Int, _ chunks: Int) -> [Int] {
        (0...chunks).map { c in
            c == chunks ? m : Swift.min(m, Int((Double(m) * (Double(c) / Double(chunks)).squareRoot()).rounded()))
        }
    }
}

/// Scratch vectors and panels of the reduction, allocated once per matrix.
struct ReductionWorkspace {
    let threads: Int
    var v: [Double]
    var p: [Double]
    var partial: [Double]
    /// `X = [V W]`, `n × 2·panelWidth`, and `[W V]`.
    var panel: [Double]
    var swapped: [Double]

    init(n: Int) {
        threads = Swift.max(kernelThreadCount, 1)
        v = [Double](repeating: 0, count: n)
        p = v
        partial = [Double](repeating: 0, count: n * threads)
        let blocked = n > Swift.max(Tridiagonalization.blockedCrossover, Tridiagonalization.panelWidth + 2)
        panel = [Double](repeating: 0, count: blocked ? n * 2 * Tridiagonalization.panelWidth : 0)
        swapped = panel
    }
}
