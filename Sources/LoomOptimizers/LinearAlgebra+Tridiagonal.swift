import Loom

/// A symmetric tridiagonal matrix `T = QᵀAQ` with the Householder reflectors that made it,
/// and the QL iteration that diagonalizes it. The engine of ``SymmetricEigendecomposition``.
///
/// `Q = H₀ H₁ ⋯ H_{n−3}`, `H_k = I − τ_k v_k v_kᵀ`, where `v_k` is zero above index `k + 1`
/// and 1 there.
struct Tridiagonalization {
    let n: Int
    /// `T`'s diagonal; after ``diagonalize(rotating:accumulates:)``, the eigenvalues (unsorted).
    var diagonal: [Double]
    /// `T`'s subdiagonal `T[k + 1, k]` at index `k` (length n, the last entry 0).
    var offDiagonal: [Double]
    /// The reflectors packed one after another: `v_k[k + 1 ..< n]` (the leading 1 stored).
    private var reflectors: [Double] = []
    private var reflectorStarts: [Int] = []
    private var scales: [Double] = []

    /// A matrix that is already tridiagonal (`Q = I`).
    init(diagonal: [Double], offDiagonal: [Double]) {
        n = diagonal.count
        self.diagonal = diagonal
        self.offDiagonal = offDiagonal + [0]
    }

    /// An `n × n` matrix to be reduced: zero `T`, no reflectors yet.
    init(reducedOrder n: Int) {
        self.n = n
        diagonal = [Double](repeating: 0, count: n)
        offDiagonal = [Double](repeating: 0, count: n)
    }

    /// Records `H_k = I − τ v vᵀ` (`v` from index `k + 1`, `n − k − 1` entries; the reduction in
    /// LinearAlgebra+Reduction.swift makes them in order k = 0, 1, …).
    mutating func appendReflector(_ v: UnsafeBufferPointer<Double>, scale tau: Double) {
        scales.append(tau)
        reflectorStarts.append(reflectors.count)
        reflectors.append(contentsOf: v)
    }

    /// Runs the implicit QL iteration with Wilkinson shifts until `T` is diagonal (EISPACK
    /// `tql2`), leaving the eigenvalues in ``diagonal``. With `accumulates`, each sweep's
    /// Givens rotations are applied to the rows of `z` (an `n × n` row-major matrix whose
    /// rows are vectors: start from I to get `T`'s eigenvectors as rows). Returns the number
    /// of sweeps.
    mutating func diagonalize(rotating z: inout [Double], accumulates: Bool) -> Int {
        guard n > 1 else { return 0 }
        var d = diagonal, e = offDiagonal
        var sweeps = 0
        var rotations: [(index: Int, c: Double, s: Double)] = []
        rotations.reserveCapacity(n)
        for l in 0..<n {
            var iterations = 0
            while true {
                var m = l
                while m < n - 1 {
                    let scale = Swift.abs(d[m]) + Swift.abs(d[m + 1])
                    if Swift.abs(e[m]) <= Double.ulpOfOne * scale { break }
                    m += 1
                }
                if m == l { break }
                iterations += 1
                sweeps += 1
                // NOTE: 30 sweeps per eigenvalue is EISPACK's bound; convergence is cubic, so
                // reaching it means non-finite input, where stopping is the only answer.
                if iterations > 60 { break }
                var g = (d[l + 1] - d[l]) / (2 * e[l])
                var r = (g * g + 1).squareRoot()
                g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r))
                var s = 1.0, c = 1.0, p = 0.0
                var i = m - 1
                var deflated = false
                rotations.removeAll(keepingCapacity: true)
                while i >= l {
                    let f = s * e[i], b = c * e[i]
                    r = (f * f + g * g).squareRoot()
                    e[i + 1] = r
                    if r == 0 {
                        // Underflow: T splits here; restart the search.
                        d[i + 1] -= p
                        e[m] = 0
                        deflated = true
                        break
                    }
                    s = f / r
                    c = g / r
                    g = d[i + 1] - p
                    r = (d[i] - g) * s + 2 * c * b
                    p = s * r
                    d[i + 1] = g + p
                    g = c * r - b
                    if accumulates { rotations.append((i, c, s)) }
                    i -= 1
                }
                if accumulates { Self.apply(rotations, to: &z, n: n) }
                if deflated { continue }
                d[l] -= p
                e[l] = g
                e[m] = 0
            }
        }
        diagonal = d
        offDiagonal = e
        return sweeps
    }

    /// Applies a sweep's rotations in order (rotation `(i, c, s)` mixes rows `i` and `i + 1`:
    /// `zᵢ₊₁ ← s zᵢ + c zᵢ₊₁`, `zᵢ ← c zᵢ − s zᵢ₊₁`), in column blocks on the kernel threads.
    private static func apply(_ rotations: [(index: Int, c: Double, s: Double)], to z: inout [Double], n: Int) {
        guard !rotations.isEmpty else { return }
        let block = 256
        let blocks = (n + block - 1) / block
        z.withUnsafeMutableBufferPointer { buffer in
            let z = buffer.baseAddress!
            forEachChunk(of: blocks, minimumChunk: rotations.count * n < 1 << 16 ? blocks : 1) { range in
                for blockIndex in range {
                    let start = blockIndex * block, width = Swift.min(block, n - start)
                    for (i, c, s) in rotations {
                        let upper = z + i * n + start, lower = z + (i + 1) * n + start
                        for j in 0..<width {
                            let f = lower[j], h = upper[j]
                            lower[j] = s * h + c * f
                            upper[j] = c * h - s * f
                        }
                    }
                }
            }
        }
    }

    /// Replaces each row `r` of the `n × n` row-major `z` by `Q r` (as a row: `r ← r H_{n−3} ⋯ H₀`),
    /// turning eigenvectors of `T` into eigenvectors of `A`.
    ///
    /// Blocked (LAPACK `dormtr` with `dlarft`/`dlarfb`): the `b` reflectors `H_k … H_{k+b−1}`
    /// are `I − V T Vᵀ` (compact WY, `T` upper triangular), so a block is applied as
    /// `Z ← Z − ((Z V) Tᵀ) Vᵀ`, three GEMMs where the `2n³` multiply-adds run at the kernels'
    /// speed; blocks go from the last reflectors to the first.
    func backTransform(_ z: inout [Double]) {
        let count = scales.count
        guard count > 0 else { return }
        let n = self.n, width = 64
        var v = [Double](repeating: 0, count: n * width), t = [Double](repeating: 0, count: width * width)
        var w = [Double](repeating: 0, count: n * width), wt = [Double](repeating: 0, count: n * width)
        for first in stride(from: ((count - 1) / width) * width, through: 0, by: -width) {
            let b = Swift.min(width, count - first), rows = n - first - 1
            blockReflectors(first: first, count: b, into: &v, t: &t)
            z.withUnsafeMutableBufferPointer { zBuffer in
                let zSub = zBuffer.baseAddress! + first + 1
                v.withUnsafeBufferPointer { vBuffer in
                    let v = vBuffer.baseAddress!
                    w.withUnsafeMutableBufferPointer { wBuffer in
                        wt.withUnsafeMutableBufferPointer { wtBuffer in
                            t.withUnsafeBufferPointer { tBuffer in
                                let w = wBuffer.baseAddress!, wt = wtBuffer.baseAddress!
                                // W = Z[:, first+1…] V;  W' = W Tᵀ;  Z[:, first+1…] −= W' Vᵀ.
                                DenseGEMM.multiply(m: n, n: b, k: rows, zSub, strides: (n, 1), v, strides: (b, 1),
                                                   beta: 0, w, strides: (b, 1))
                                DenseGEMM.multiply(m: n, n: b, k: b, w, strides: (b, 1), tBuffer.baseAddress!, strides: (1, b),
                                                   beta: 0, wt, strides: (b, 1))
                                DenseGEMM.multiply(m: n, n: rows, k: b, alpha: -1, wt, strides: (b, 1), v, strides: (1, b),
                                                   beta: 1, zSub, strides: (n, 1))
                            }
                        }
                    }
                }
            }
        }
    }

    /// The reflectors `first ..< first + count` as the columns of `V` (`(n − first − 1) × count`,
    /// row-major with row stride `count`; column `i` is `v_{first+i}` from its own offset, zeros
    /// above) and the upper-triangular `T` (`count × count`, row stride `count`) with
    /// `H_first ⋯ H_{first+count−1} = I − V T Vᵀ` (`dlarft`, forward, columnwise).
    private func blockReflectors(first: Int, count b: Int, into v: inout [Double], t: inout [Double]) {
        let rows = n - first - 1
        for index in 0..<(rows * b) { v[index] = 0 }
        for index in 0..<(b * b) { t[index] = 0 }
        for i in 0..<b {
            let k = first + i, start = reflectorStarts[k], length = n - k - 1
            for j in 0..<length { v[(i + j) * b + i] = reflectors[start + j] }
        }
        for i in 0..<b {
            let tau = scales[first + i]
            t[i * b + i] = tau
            guard i > 0, tau != 0 else { continue }
            // x = −τ V[:, 0..<i]ᵀ v_i (rows below i only: v_i is zero above), then T[0..<i, i] = T[0..<i, 0..<i] x.
            var x = [Double](repeating: 0, count: i)
            for row in i..<rows {
                let vi = v[row * b + i]
                if vi == 0 { continue }
                for column in 0..<i { x[column] += v[row * b + column] * vi }
            }
            for column in 0..<i { x[column] *= -tau }
            for row in 0..<i {
                var sum = 0.0
                for column in row..<i { sum += t[row * b + column] * x[column] }
                t[row * b + i] = sum
            }
        }
    }
}

/// Inner loops of the dense kernels.
enum DenseKernels {
    /// `Σ a[i] b[i]` with four independent SIMD accumulators (a single scalar accumulator
    /// would wait on each addition's latency: the compiler may not reassociate).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ count: Int) -> Double {
        var s0 = SIMD4<Double>(), s1 = SIMD4<Double>(), s2 = SIMD4<Double>(), s3 = SIMD4<Double>()
        var i = 0
        let a4 = UnsafeRawPointer(a), b4 = UnsafeRawPointer(b)
        while i + 16 <= count {
            s0 += a4.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<Double>.self) * b4.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<Double>.self)
            s1 += a4.loadUnaligned(fromByteOffset: (i + 4) * 8, as: SIMD4<Double>.self) * b4.loadUnaligned(fromByteOffset: (i + 4) * 8, as: SIMD4<Double>.self)
            s2 += a4.loadUnaligned(fromByteOffset: (i + 8) * 8, as: SIMD4<Double>.self) * b4.loadUnaligned(fromByteOffset: (i + 8) * 8, as: SIMD4<Double>.self)
            s3 += a4.loadUnaligned(fromByteOffset: (i + 12) * 8, as: SIMD4<Double>.self) * b4.loadUnaligned(fromByteOffset: (i + 12) * 8, as: SIMD4<Double>.self)
            i += 16
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while i < count {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }
}
