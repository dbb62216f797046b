import Loom

/// Cuppen's divide and conquer for the eigenvalues and eigenvectors of a symmetric tridiagonal
/// matrix (LAPACK `dstedc` with `dlaed0`–`dlaed4`), the engine of
/// ``SymmetricEigendecomposition`` when eigenvectors are wanted.
///
/// Tearing out the off-diagonal entry `β` between rows `m − 1` and `m` leaves
/// `T = diag(T₁, T₂) + |β| v vᵀ`, `v = e_{m−1} + sign(β) e_m` (`T₁`'s last and `T₂`'s first diagonal
/// entries less `|β|`). With `T₁ = Q₁ D₁ Q₁ᵀ` and `T₂ = Q₂ D₂ Q₂ᵀ` solved the same way,
/// `T = diag(Q₁, Q₂) (D + ρ z zᵀ) diag(Q₁, Q₂)ᵀ` with `z` from `Q₁`'s last row and `Q₂`'s first:
/// a rank-one update of a diagonal matrix (``SecularEquation``), whose eigenvectors `U` give
/// `T`'s as `diag(Q₁, Q₂) U`, two GEMMs. Leaves of at most ``leafSize`` rows are solved by QL.
///
/// Deflation (`dlaed2`) removes from the secular equation each pair with `ρ|z_j| ≤ tol` (an
/// eigenpair already) and, by a Givens rotation, one of two poles closer than `tol/|cs|`; with
/// clustered spectra most pairs deflate and the GEMMs shrink. The GEMMs skip the zero blocks:
/// a column of `diag(Q₁, Q₂)` is nonzero in the top rows, the bottom rows, or (after a rotation
/// across the halves) both, so the top rows cost `n₁ k (k₁ + k₂)` and the bottom `n₂ k (k₂ + k₃)`.
///
/// Cost: at most `4n³/3` flops without deflation (`n³` at the last merge, a quarter as much at
/// each level below), all in Loom's GEMM; `O(n²)` per level for the secular equations. Memory:
/// the `n × n` result and three `n × n` workspaces (gathered vectors, products, `U`). The leaf
/// size matters little: 16, 25, 32, 48 and 64 rows gave the same time at n = 2,000.
///
/// References: J. J. M. Cuppen, *A divide and conquer method for the symmetric tridiagonal
/// eigenproblem*, Numer. Math. 36 (1981); M. Gu and S. C. Eisenstat, *A divide-and-conquer
/// algorithm for the symmetric tridiagonal eigenproblem*, SIAM J. Matrix Anal. Appl. 16 (1995);
/// R.-C. Li, *Solving secular equations stably and efficiently*, LAPACK Working Note 89 (1993).
enum TridiagonalDivideAndConquer {
    /// The largest block solved by QL (LAPACK's `SMLSIZ` is 25).
    static let leafSize = 32

    /// The eigenvalues (ascending) of the tridiagonal matrix with `diagonal` (n) and
    /// `offDiagonal` (at least n − 1 entries), and its eigenvectors as the rows of the row-major
    /// `n × n` result (row k belongs to eigenvalue k). Also returns the QL sweeps of the leaves.
    /// A smaller `leafSize` (at least 1) makes tests merge small matrices.
    static func solve(
        diagonal: [Double], offDiagonal: [Double], leafSize: Int = leafSize
    ) -> (values: [Double], vectors: [Double], sweeps: Int) {
        let n = diagonal.count
        guard n > 0 else { return ([], [], 0) }
        // Work at unit scale, so that the tolerances and the secular equation neither overflow
        // nor underflow (dstedc scales the same way).
        var scale = 0.0
        for value in diagonal { scale = Swift.max(scale, Swift.abs(value)) }
        for value in offDiagonal.prefix(n - 1) { scale = Swift.max(scale, Swift.abs(value)) }
        if scale == 0 || !scale.isFinite { scale = 1 }
        var state = State(n: n, leafSize: Swift.max(leafSize, 1), diagonal: diagonal.map { $0 / scale },
                          offDiagonal: offDiagonal.prefix(n - 1).map { $0 / scale })
        state.solve(start: 0, size: n)
        return (state.d.map { $0 * scale }, state.q, state.sweeps)
    }

    /// The matrix being diagonalized and the workspace of the merges, allocated once.
    fileprivate struct State {
        let n: Int
        let leafSize: Int
        var d: [Double]
        let e: [Double]
        /// Row k of a subproblem's block holds its eigenvector k (`q[(start + k) n + start + i]`).
        var q: [Double]
        var gathered: [Double]
        var product: [Double]
        var deltas: [Double]
        var sweeps = 0

        init(n: Int, leafSize: Int, diagonal: [Double], offDiagonal: [Double]) {
            self.n = n
            self.leafSize = leafSize
            d = diagonal
            e = offDiagonal
            q = [Double](repeating: 0, count: n * n)
            gathered = q
            product = n > leafSize ? q : []
            deltas = product
        }

        mutating func solve(start: Int, size: Int) {
            if size <= leafSize {
                solveLeaf(start: start, size: size)
                return
            }
            let top = size / 2
            let beta = e[start + top - 1]
            d[start + top - 1] -= Swift.abs(beta)
            d[start + top] -= Swift.abs(beta)
            solve(start: start, size: top)
            solve(start: start + top, size: size - top)
            merge(start: start, top: top, bottom: size - top, beta: beta)
        }

        /// QL on a small block; its eigenpairs are written in ascending order.
        mutating func solveLeaf(start: Int, size m: Int) {
            var leaf = Tridiagonalization(diagonal: Array(d[start..<(start + m)]),
                                          offDiagonal: Array(e[start..<(start + m - 1)]))
            var z = [Double](repeating: 0, count: m * m)
            for i in 0..<m { z[i * m + i] = 1 }
            sweeps += leaf.diagonalize(rotating: &z, accumulates: true)
            let order = (0..<m).sorted { leaf.diagonal[$0] < leaf.diagonal[$1] }
            for (k, source) in order.enumerated() {
                d[start + k] = leaf.diagonal[source]
                let row = (start + k) * n + start
                for i in 0..<m { q[row + i] = z[source * m + i] }
            }
        }
    }
}

extension TridiagonalDivideAndConquer.State {
    /// Where a column of `diag(Q₁, Q₂)` (rotated by deflation) has nonzeros.
    private enum Support: CaseIterable { case top, both, bottom }

    /// Merges the solved halves `start ..< start + top` and `… + top + bottom` across the torn
    /// entry `beta`.
    mutating func merge(start: Int, top n1: Int, bottom n2: Int, beta: Double) {
        let m = n1 + n2, n = self.n
        // z = (Q₁'s last row, sign(β) Q₂'s first row) / √2, ρ = 2|β|: ‖z‖ = 1.
        var z = [Double](repeating: 0, count: m)
        let sign: Double = beta < 0 ? -1 : 1
        let half = (0.5).squareRoot()
        for k in 0..<n1 { z[k] = q[(start + k) * n + start + n1 - 1] * half }
        for k in n1..<m { z[k] = sign * q[(start + k) * n + start + n1] * half }
        let rho = 2 * Swift.abs(beta)
        // Both halves are ascending: merge their orders.
        var order: [Int] = []
        order.reserveCapacity(m)
        var a = 0, b = n1
        while a < n1 || b < m {
            if b == m || (a < n1 && d[start + a] <= d[start + b]) { order.append(a); a += 1 } else { order.append(b); b += 1 }
        }
        var values = order.map { d[start + $0] }
        var weights = order.map { z[$0] }
        var support: [Support] = order.map { $0 < n1 ? .top : .bottom }
        var maximum = 0.0
        for i in 0..<m { maximum = Swift.max(maximum, Swift.abs(values[i]), Swift.abs(weights[i])) }
        let tolerance = 8 * Double.ulpOfOne * maximum
        let kept = deflate(start: start, size: m, order: order, values: &values, weights: &weights, support: &support,
                           rho: rho, tolerance: tolerance)
        let k = kept.count
        var lambda = [Double](repeating: 0, count: k)
        if k > 0 {
            // The kept pairs grouped by support (top, both, bottom): the GEMM order of U's
            // columns and of the gathered eigenvectors.
            var rows: [Int] = [], counts: [Int] = []
            for group in Support.allCases {
                let before = rows.count
                for i in 0..<k where support[kept[i]] == group { rows.append(i) }
                counts.append(rows.count - before)
            }
            var position = [Int](repeating: 0, count: k)
            for (row, i) in rows.enumerated() { position[i] = row }
            solveSecular(poles: kept.map { values[$0] }, weights: kept.map { weights[$0] }, rho: rho,
                         position: position, lambda: &lambda)
            multiply(start: start, n1: n1, size: m, sources: rows.map { order[kept[$0]] }, counts: counts)
        }
        assemble(start: start, size: m, kept: kept, lambda: lambda, order: order, values: values)
    }

    /// `dlaed2`'s deflation, in ascending order of the poles. Returns the positions (into
    /// `order`) of the pairs that stay in the secular equation; the rest are eigenpairs already,
    /// with `values` their eigenvalues. Rotations are applied to the eigenvector rows in `q`.
    private mutating func deflate(
        start: Int, size: Int, order: [Int], values: inout [Double], weights: inout [Double], support: inout [Support],
        rho: Double, tolerance: Double
    ) -> [Int] {
        var kept: [Int] = []
        var previous: Int?
        for j in 0..<order.count {
            if rho * Swift.abs(weights[j]) <= tolerance { continue }
            guard let p = previous else { previous = j; continue }
            // Rotate z_p into z_j: if the rotated pair's coupling (d_j − d_p) c s is below the
            // tolerance, pole p is an eigenvalue.
            let r = (weights[p] * weights[p] + weights[j] * weights[j]).squareRoot()
            let c = weights[j] / r, s = -weights[p] / r
            if Swift.abs((values[j] - values[p]) * c * s) <= tolerance {
                weights[j] = r
                weights[p] = 0
                let dp = values[p], dj = values[j]
                values[p] = dp * c * c + dj * s * s
                values[j] = dp * s * s + dj * c * c
                rotate(start: start, size: size, order[p], order[j], c: c, s: s)
                if support[p] != support[j] { support[p] = .both; support[j] = .both }
            } else {
                kept.append(p)
            }
            previous = j
        }
        if let p = previous { kept.append(p) }
        return kept
    }

    /// `x ← c x + s y`, `y ← c y − s x` on eigenvector rows `x`, `y` of the block at `start`.
    private mutating func rotate(start: Int, size: Int, _ x: Int, _ y: Int, c: Double, s: Double) {
        let n = self.n
        q.withUnsafeMutableBufferPointer { buffer in
            let rowX = buffer.baseAddress! + (start + x) * n + start, rowY = buffer.baseAddress! + (start + y) * n + start
            for i in 0..<size {
                let u = rowX[i], v = rowY[i]
                rowX[i] = c * u + s * v
                rowY[i] = c * v - s * u
            }
        }
    }

    /// The roots `lambda` of the deflated secular equation and, in `deltas`, `U` (`k × k`:
    /// row j the eigenvector of root j, component i in column `position[i]`).
    private mutating func solveSecular(poles: [Double], weights z: [Double], rho: Double, position: [Int], lambda: inout [Double]) {
        let k = poles.count
        deltas.withUnsafeMutableBufferPointer { deltaBuffer in
            let deltas = deltaBuffer.baseAddress!
            lambda.withUnsafeMutableBufferPointer { lambdaBuffer in
                let lambda = lambdaBuffer.baseAddress!
                poles.withUnsafeBufferPointer { dBuffer in
                    z.withUnsafeBufferPointer { zBuffer in
                        forEachChunk(of: k, minimumChunk: Swift.max(8, (1 << 13) / k)) { range in
                            for j in range {
                                lambda[j] = SecularEquation.root(j, poles: dBuffer.baseAddress!, weights: zBuffer.baseAddress!,
                                                                 count: k, rho: rho, delta: deltas + j * k)
                            }
                        }
                        SecularEquation.vectors(deltas: deltas, poles: dBuffer.baseAddress!, weights: zBuffer.baseAddress!,
                                                count: k, position: position)
                    }
                }
            }
        }
    }

    /// `product` (`k × size`) = `U · G`, the new eigenvectors as rows, where `G`'s rows are the
    /// old eigenvectors `sources` (GEMM order). `counts` are the sizes of the top, both and
    /// bottom groups: the top `n1` components need only the first two, the rest the last two.
    private mutating func multiply(start: Int, n1: Int, size m: Int, sources: [Int], counts: [Int]) {
        let n = self.n, k = sources.count
        let topRows = counts[0] + counts[1], bottomFirst = counts[0]
        q.withUnsafeBufferPointer { qBuffer in
            gathered.withUnsafeMutableBufferPointer { gBuffer in
                product.withUnsafeMutableBufferPointer { pBuffer in
                    deltas.withUnsafeBufferPointer { uBuffer in
                        let q = qBuffer.baseAddress!, g = gBuffer.baseAddress!, w = pBuffer.baseAddress!, u = uBuffer.baseAddress!
                        for (row, source) in sources.enumerated() {
                            (g + row * m).update(from: q + (start + source) * n + start, count: m)
                        }
                        DenseGEMM.multiply(m: k, n: n1, k: topRows, u, strides: (k, 1), g, strides: (m, 1),
                                           beta: 0, w, strides: (m, 1))
                        DenseGEMM.multiply(m: k, n: m - n1, k: k - bottomFirst, u + bottomFirst, strides: (k, 1),
                                           g + bottomFirst * m + n1, strides: (m, 1), beta: 0, w + n1, strides: (m, 1))
                    }
                }
            }
        }
    }

    /// Writes the merged eigenpairs into `d` and the block of `q`, ascending: the secular
    /// equation's roots with their vectors in `product`, and the deflated pairs.
    private mutating func assemble(start: Int, size m: Int, kept: [Int], lambda: [Double], order: [Int], values: [Double]) {
        let n = self.n
        // (eigenvalue, row of product ≥ 0, or −1 − source row in q for a deflated pair)
        var pairs: [(value: Double, source: Int)] = []
        pairs.reserveCapacity(m)
        var isKept = [Bool](repeating: false, count: m)
        for (j, p) in kept.enumerated() {
            isKept[p] = true
            pairs.append((lambda[j], j))
        }
        for p in 0..<m where !isKept[p] { pairs.append((values[p], -1 - order[p])) }
        pairs.sort { $0.value < $1.value }
        q.withUnsafeMutableBufferPointer { qBuffer in
            gathered.withUnsafeMutableBufferPointer { gBuffer in
                product.withUnsafeBufferPointer { pBuffer in
                    let q = qBuffer.baseAddress!, scratch = gBuffer.baseAddress!, w = pBuffer.baseAddress!
                    for (row, pair) in pairs.enumerated() {
                        let from = pair.source >= 0 ? w + pair.source * m : UnsafePointer(q + (start - 1 - pair.source) * n + start)
                        (scratch + row * m).update(from: from, count: m)
                    }
                    for row in 0..<m { (q + (start + row) * n + start).update(from: scratch + row * m, count: m) }
                }
            }
        }
        for (row, pair) in pairs.enumerated() { d[start + row] = pair.value }
    }
}
