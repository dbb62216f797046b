import CLoomKernels
import Foundation
import Testing

/// A small deterministic generator so failures reproduce.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 52) - 1 }
}

/// One GEMM case: shapes, operand layouts and scalars.
struct GemmCase: CustomStringConvertible {
    var m: Int, n: Int, k: Int
    var transA = false, transB = false
    var broadcastA = false  // A has a zero row stride (every row the same)
    var broadcastB = false  // B has a zero column stride (every column the same)
    var stridedC = false  // C is a column-major view (c_rs = 1)
    var alpha = 1.0, beta = 0.0
    var description: String {
        "m=\(m) n=\(n) k=\(k) tA=\(transA) tB=\(transB) bA=\(broadcastA) bB=\(broadcastB) "
            + "sC=\(stridedC) alpha=\(alpha) beta=\(beta)"
    }
}

/// Operand storage with the strides of a case. Returns (storage, rs, cs).
func makeOperand(_ rows: Int, _ cols: Int, transposed: Bool, broadcast: Bool, rowBroadcast: Bool,
                 rng: inout SplitMix) -> ([Double], Int, Int) {
    if broadcast {
        // rowBroadcast: one row repeated (rs = 0); else one column repeated (cs = 0).
        if rowBroadcast { return ((0..<max(cols, 1)).map { _ in rng.uniform() }, 0, 1) }
        return ((0..<max(rows, 1)).map { _ in rng.uniform() }, 1, 0)
    }
    let data = (0..<max(rows * cols, 1)).map { _ in rng.uniform() }
    return transposed ? (data, 1, max(rows, 1)) : (data, max(cols, 1), 1)
}

/// A case's operands and the double-precision reference result with per-element tolerance.
struct PreparedGemm {
    let c: GemmCase, float: Bool
    let a: [Double], ars: Int, acs: Int
    let b: [Double], brs: Int, bcs: Int
    let c0: [Double], crs: Int, ccs: Int
    var want: [Double], tol: [Double]

    /// Tolerance: (sqrt(k) + 2) * eps * (|alpha| * sum_p |a_ip b_pj| + |beta c_ij|), times 4.
    init(_ c: GemmCase, float: Bool, seed: UInt64) {
        self.c = c; self.float = float
        var rng = SplitMix(state: seed)
        (a, ars, acs) = makeOperand(c.m, c.k, transposed: c.transA, broadcast: c.broadcastA,
                                    rowBroadcast: true, rng: &rng)
        (b, brs, bcs) = makeOperand(c.k, c.n, transposed: c.transB, broadcast: c.broadcastB,
                                    rowBroadcast: false, rng: &rng)
        (crs, ccs) = c.stridedC ? (1, max(c.m, 1)) : (max(c.n, 1), 1)
        var c0 = (0..<max(c.m * c.n, 1)).map { _ in rng.uniform() }
        if c.beta == 0 { c0 = c0.map { _ in .nan } }  // beta == 0 must not read C
        self.c0 = c0
        // The reference uses the values the kernel sees (rounded to Float for sgemm).
        let r: (Double) -> Double = float ? { Double(Float($0)) } : { $0 }
        let eps = float ? Double(Float.ulpOfOne) : Double.ulpOfOne
        want = [Double](repeating: 0, count: c0.count)
        tol = want
        for i in 0..<c.m {
            for j in 0..<c.n {
                var s = 0.0, mag = 0.0
                for p in 0..<c.k {
                    let x = r(a[i * ars + p * acs]) * r(b[p * brs + j * bcs])
                    s += x
                    mag += abs(x)
                }
                let ci = i * crs + j * ccs
                let old = c.beta == 0 ? 0 : r(c0[ci])
                want[ci] = c.alpha * s + c.beta * old
                let scale = abs(c.alpha) * mag + abs(c.beta * old) + Double.leastNormalMagnitude
                tol[ci] = 4 * (Double(c.k).squareRoot() + 2) * eps * scale
            }
        }
    }

    /// Runs sgemm/dgemm with the current ISA and thread count; records an issue on mismatch.
    func check() {
        var out: [Double]
        if float {
            let af = a.map(Float.init), bf = b.map(Float.init)
            var cf = c0.map(Float.init)
            loom_sgemm(Int64(c.m), Int64(c.n), Int64(c.k), Float(c.alpha), af, Int64(ars), Int64(acs),
                       bf, Int64(brs), Int64(bcs), Float(c.beta), &cf, Int64(crs), Int64(ccs))
            out = cf.map(Double.init)
        } else {
            out = c0
            loom_dgemm(Int64(c.m), Int64(c.n), Int64(c.k), c.alpha, a, Int64(ars), Int64(acs),
                       b, Int64(brs), Int64(bcs), c.beta, &out, Int64(crs), Int64(ccs))
        }
        for i in 0..<c.m {
            for j in 0..<c.n {
                let ci = i * crs + j * ccs
                if !(abs(out[ci] - want[ci]) <= tol[ci]) {
                    Issue.record("\(float ? "sgemm" : "dgemm") \(c) isa=\(loom_active_isa().rawValue) threads=\(loom_num_threads()): C[\(i),\(j)] = \(out[ci]), want \(want[ci]) (tol \(tol[ci]))")
                    return
                }
            }
        }
    }
}

/// Every ISA path this CPU supports, lowest first.
func supportedISAs() -> [loom_isa] {
    let top = loom_detected_isa().rawValue
    return (0...top).map { loom_isa(rawValue: $0) }
}

func gemmCases() -> [GemmCase] {
    var cases: [GemmCase] = []
    let sizes = [0, 1, 2, 5, 7, 13, 17, 31, 63, 65, 129]
    // Edge sizes in each dimension against a middling other pair.
    for s in sizes {
        cases.append(GemmCase(m: s, n: 37, k: 19))
        cases.append(GemmCase(m: 23, n: s, k: 29))
        cases.append(GemmCase(m: 13, n: 70, k: s, beta: 0.5))
    }
    // Mixed edges and every layout.
    for (m, n, k) in [(1, 1, 1), (6, 64, 1), (7, 65, 33), (65, 17, 200), (12, 128, 385), (129, 129, 129)] {
        for tA in [false, true] {
            for tB in [false, true] {
                cases.append(GemmCase(m: m, n: n, k: k, transA: tA, transB: tB))
            }
        }
    }
    // Big enough to block over K and M and to be split across threads.
    cases.append(GemmCase(m: 300, n: 200, k: 500))
    cases.append(GemmCase(m: 128, n: 520, k: 400, transA: true, beta: 1))
    cases.append(GemmCase(m: 70, n: 300, k: 450, transB: true, alpha: -0.5, beta: 2))
    cases.append(GemmCase(m: 600, n: 70, k: 300, beta: 0.25))
    // A row-major A read in place across many panels of B (16 of the widest tile, 32), and
    // one with a 4 KB row stride, with edges.
    cases.append(GemmCase(m: 67, n: 530, k: 300, beta: 0.5))
    cases.append(GemmCase(m: 13, n: 515, k: 1024))
    // On more than one thread, products of few rows read the full panels of a row-major B in
    // place on AVX-512 (the two above; a last partial panel is packed); B exactly one panel wide
    // (64 floats, 32 doubles) stays packed.
    cases.append(GemmCase(m: 100, n: 64, k: 300))
    cases.append(GemmCase(m: 100, n: 32, k: 300, beta: 1))
    // On one thread too, up to 64 rows on AVX-512 and 12 on AVX2, and with A packed (a
    // transposed A, as the 10-class weight gradient's transpose has): K blocked in two, beta,
    // a last partial panel; and a 4 KB row stride.
    cases.append(GemmCase(m: 40, n: 200, k: 1100, transA: true, beta: 0.5))
    cases.append(GemmCase(m: 10, n: 70, k: 600, transA: true, beta: 1))
    cases.append(GemmCase(m: 64, n: 1024, k: 70))
    // Two or more K blocks on every path (the widest, AVX-512 float, blocks K by 1024; the
    // others by 512 or 256), three on AVX-512 float too.
    cases.append(GemmCase(m: 30, n: 140, k: 1100, beta: 0.5))
    cases.append(GemmCase(m: 70, n: 20, k: 1300, transA: true, transB: true))
    cases.append(GemmCase(m: 9, n: 70, k: 2100, beta: 1))
    // Narrower than a tile with A transposed (an output layer's weight gradient), which runs as
    // its transpose: the MLP's own shape, and one with a strided C, beta and an edge in m.
    cases.append(GemmCase(m: 512, n: 10, k: 128, transA: true))
    cases.append(GemmCase(m: 201, n: 3, k: 70, transA: true, transB: true, stridedC: true, beta: 0.5))
    // At most 12 columns with a row-major A and k >= 128 run as dot products along k (an output
    // layer's forward pass, 128x512x10): every column count of the tile and past it, a row tile
    // of one, k a whole number of 16-blocks or with a tail, B row-major or transposed, beta,
    // alpha and a strided C; k = 127 and 13 columns stay on the tile.
    for (m, n, k) in [(128, 10, 512), (7, 1, 200), (33, 12, 129), (5, 7, 1100), (9, 6, 128), (3, 13, 300), (20, 10, 127)] {
        cases.append(GemmCase(m: m, n: n, k: k))
        cases.append(GemmCase(m: m, n: n, k: k, transB: true, alpha: -0.5, beta: 0.5))
    }
    cases.append(GemmCase(m: 41, n: 11, k: 333, stridedC: true, beta: 1))
    cases.append(GemmCase(m: 41, n: 11, k: 333, broadcastB: true))
    // Broadcast operands, strided C, alpha/beta combinations.
    cases.append(GemmCase(m: 40, n: 90, k: 50, broadcastA: true))
    cases.append(GemmCase(m: 40, n: 90, k: 50, broadcastB: true, beta: 1))
    cases.append(GemmCase(m: 130, n: 70, k: 260, stridedC: true, beta: -1))
    cases.append(GemmCase(m: 9, n: 33, k: 7, stridedC: true))
    for alpha in [0.0, 1.0, -2.5] {
        for beta in [0.0, 1.0, 0.75] {
            cases.append(GemmCase(m: 19, n: 67, k: 45, alpha: alpha, beta: beta))
        }
    }
    return cases
}

/// Tests that change the global ISA or thread count: one serialized suite, state restored.
@Suite(.serialized)
struct KernelStateTests {
    @Test func isaSelection() {
        let detected = loom_detected_isa()
        let before = loom_active_isa()
        defer { _ = loom_set_isa(before) }
        #expect(loom_set_isa(LOOM_ISA_PORTABLE) == LOOM_ISA_PORTABLE)
        #expect(loom_active_isa() == LOOM_ISA_PORTABLE)
        // A request above the CPU is clamped to what it has.
        #expect(loom_set_isa(LOOM_ISA_AVX512) == detected)
        #expect(loom_active_isa() == detected)
    }

    @Test(arguments: [true, false])
    func gemmMatchesReferenceOnEveryISA(float: Bool) {
        let isa0 = loom_active_isa(), threads0 = loom_num_threads()
        defer { _ = loom_set_isa(isa0); loom_set_num_threads(threads0) }
        for (i, c) in gemmCases().enumerated() {
            let prepared = PreparedGemm(c, float: float, seed: UInt64(i * 7 + 1))
            for isa in supportedISAs() {
                #expect(loom_set_isa(isa) == isa)
                for threads in [1, 2, 3] {
                    loom_set_num_threads(Int32(threads))
                    prepared.check()
                }
            }
        }
    }

    /// The ReLU epilogue (`loom_?gemm_relu`) must equal the GEMM followed by `max(·, 0)` bit for
    /// bit on every path and thread count: the same sums, clipped once each tile's last K block
    /// is in. NaN stays NaN (a NaN planted in A's first row reaches C's first row) and −0 becomes +0.
    @Test(arguments: [true, false])
    func reluEpilogueEqualsGemmThenReLU(float: Bool) {
        let isa0 = loom_active_isa(), threads0 = loom_num_threads()
        defer { _ = loom_set_isa(isa0); loom_set_num_threads(threads0) }
        func relu(_ v: Double) -> Double { v > 0 || v.isNaN ? v : 0 }
        for (i, c) in gemmCases().enumerated() {
            let p = PreparedGemm(c, float: float, seed: UInt64(i * 11 + 3))
            var a = p.a
            if i % 3 == 0, c.m > 0, c.k > 0 { a[0] = .nan }
            for isa in supportedISAs() {
                #expect(loom_set_isa(isa) == isa)
                for threads in [1, 2] {
                    loom_set_num_threads(Int32(threads))
                    var plain: [Double], fused: [Double]
                    if float {
                        let af = a.map(Float.init), bf = p.b.map(Float.init)
                        var c1 = p.c0.map(Float.init), c2 = c1
                        loom_sgemm(Int64(c.m), Int64(c.n), Int64(c.k), Float(c.alpha), af, Int64(p.ars), Int64(p.acs),
                                   bf, Int64(p.brs), Int64(p.bcs), Float(c.beta), &c1, Int64(p.crs), Int64(p.ccs))
                        loom_sgemm_relu(Int64(c.m), Int64(c.n), Int64(c.k), Float(c.alpha), af, Int64(p.ars), Int64(p.acs),
                                        bf, Int64(p.brs), Int64(p.bcs), Float(c.beta), &c2, Int64(p.crs), Int64(p.ccs))
                        (plain, fused) = (c1.map(Double.init), c2.map(Double.init))
                    } else {
                        plain = p.c0
                        fused = p.c0
                        loom_dgemm(Int64(c.m), Int64(c.n), Int64(c.k), c.alpha, a, Int64(p.ars), Int64(p.acs),
                                   p.b, Int64(p.brs), Int64(p.bcs), c.beta, &plain, Int64(p.crs), Int64(p.ccs))
                        loom_dgemm_relu(Int64(c.m), Int64(c.n), Int64(c.k), c.alpha, a, Int64(p.ars), Int64(p.acs),
                                        p.b, Int64(p.brs), Int64(p.bcs), c.beta, &fused, Int64(p.crs), Int64(p.ccs))
                    }
                    for row in 0..<c.m {
                        for column in 0..<c.n {
                            let ci = row * p.crs + column * p.ccs
                            let want = relu(plain[ci])
                            if fused[ci].bitPattern != want.bitPattern && !(fused[ci].isNaN && want.isNaN) {
                                Issue.record("\(float ? "sgemm" : "dgemm")_relu \(c) isa=\(isa.rawValue) threads=\(threads): C[\(row),\(column)] = \(fused[ci]), want \(want)")
                                return
                            }
                        }
                    }
                    // The planted NaN must have reached the output (a clipped NaN would be a bug).
                    if i % 3 == 0, c.m > 0, c.k > 0, c.n > 0, c.alpha != 0, !c.broadcastA {
                        #expect(fused[0].isNaN, "\(c): NaN in A's first row gave \(fused[0])")
                    }
                }
            }
        }
    }

    /// The affine epilogue (`loom_?gemm_affine`, the bias and the ReLU applied by the micro-kernel
    /// as it stores a tile) must equal C filled with the bias, then the GEMM with beta = 1 (then
    /// `max(·, 0)`), bit for bit on every path and thread count and every case's layout (C is not
    /// read: it starts as NaN). The bias has −0 and values that cancel the product's rows; a NaN
    /// planted in A's first row reaches C's first row through the ReLU.
    @Test(arguments: [true, false])
    func affineEpilogueEqualsBiasFillThenGemm(float: Bool) {
        let isa0 = loom_active_isa(), threads0 = loom_num_threads()
        defer { _ = loom_set_isa(isa0); loom_set_num_threads(threads0) }
        func relu(_ v: Double) -> Double { v > 0 || v.isNaN ? v : 0 }
        for (i, c) in gemmCases().enumerated() {
            let p = PreparedGemm(c, float: float, seed: UInt64(i * 13 + 5))
            var a = p.a
            if i % 3 == 0, c.m > 0, c.k > 0 { a[0] = .nan }
            let bias: [Double] = (0..<max(c.n, 1)).map { (j: Int) -> Double in
                if j % 7 == 3 { return -0.0 }
                return Double(j % 5) - 2 + 0.125 * Double(j % 3)
            }
            for isa in supportedISAs() {
                #expect(loom_set_isa(isa) == isa)
                for threads in [1, 2] {
                    loom_set_num_threads(Int32(threads))
                    for withReLU in [false, true] {
                        var filled = [Double](repeating: .nan, count: p.c0.count), fused = filled
                        for row in 0..<c.m { for column in 0..<c.n { filled[row * p.crs + column * p.ccs] = bias[column] } }
                        if float {
                            let af = a.map(Float.init), bf = p.b.map(Float.init), biasf = bias.map(Float.init)
                            var c1 = filled.map(Float.init), c2 = fused.map(Float.init)
                            (withReLU ? loom_sgemm_relu : loom_sgemm)(
                                Int64(c.m), Int64(c.n), Int64(c.k), Float(c.alpha), af, Int64(p.ars), Int64(p.acs),
                                bf, Int64(p.brs), Int64(p.bcs), 1, &c1, Int64(p.crs), Int64(p.ccs))
                            loom_sgemm_affine(Int64(c.m), Int64(c.n), Int64(c.k), Float(c.alpha), af, Int64(p.ars), Int64(p.acs),
                                              bf, Int64(p.brs), Int64(p.bcs), biasf, &c2, Int64(p.crs), Int64(p.ccs), withReLU ? 1 : 0)
                            (filled, fused) = (c1.map(Double.init), c2.map(Double.init))
                        } else {
                            (withReLU ? loom_dgemm_relu : loom_dgemm)(
                                Int64(c.m), Int64(c.n), Int64(c.k), c.alpha, a, Int64(p.ars), Int64(p.acs),
                                p.b, Int64(p.brs), Int64(p.bcs), 1, &filled, Int64(p.crs), Int64(p.ccs))
                            loom_dgemm_affine(Int64(c.m), Int64(c.n), Int64(c.k), c.alpha, a, Int64(p.ars), Int64(p.acs),
                                              p.b, Int64(p.brs), Int64(p.bcs), bias, &fused, Int64(p.crs), Int64(p.ccs), withReLU ? 1 : 0)
                        }
                        for row in 0..<c.m {
                            for column in 0..<c.n {
                                let ci = row * p.crs + column * p.ccs
                                if fused[ci].bitPattern != filled[ci].bitPattern && !(fused[ci].isNaN && filled[ci].isNaN) {
                                    Issue.record("\(float ? "sgemm" : "dgemm")_affine relu=\(withReLU) \(c) isa=\(isa.rawValue) threads=\(threads): C[\(row),\(column)] = \(fused[ci]), want \(filled[ci])")
                                    return
                                }
                                if withReLU, !(fused[ci] >= 0 || fused[ci].isNaN) || fused[ci].bitPattern == (-0.0).bitPattern {
                                    Issue.record("\(c): C[\(row),\(column)] = \(fused[ci]) after the ReLU")
                                    return
                                }
                            }
                        }
                        if i % 3 == 0, c.m > 0, c.k > 0, c.n > 0, c.alpha != 0, !c.broadcastA {
                            #expect(fused[0].isNaN, "\(c): NaN in A's first row gave \(fused[0])")
                        }
                    }
                }
            }
        }
    }

    /// The threaded product must equal the single-threaded one exactly: slices cover whole
    /// micro-tiles and each element's sum runs in the same order.
    @Test func multiThreadedEqualsSingleThreaded() {
        let threads0 = loom_num_threads()
        defer { loom_set_num_threads(threads0) }
        var rng = SplitMix(state: 42)
        // Then three skinny ones (a 10-column output layer, its weight gradient's shape, k = 10
        // as in its input gradient), which split over threads like any other product, and one of
        // few rows, whose B is read in place on more than one thread (AVX-512).
        for (m, n, k) in [(128, 512, 300), (500, 64, 200), (97, 333, 257), (128, 10, 512), (1024, 10, 512), (512, 10, 128), (128, 512, 10), (32, 530, 784)] {
            let a = (0..<m * k).map { _ in Float(rng.uniform()) }
            let b = (0..<k * n).map { _ in Float(rng.uniform()) }
            var c1 = [Float](repeating: 0, count: m * n), c2 = c1
            loom_set_num_threads(1)
            loom_sgemm(Int64(m), Int64(n), Int64(k), 1, a, Int64(k), 1, b, Int64(n), 1, 0, &c1, Int64(n), 1)
            loom_set_num_threads(2)
            loom_sgemm(Int64(m), Int64(n), Int64(k), 1, a, Int64(k), 1, b, Int64(n), 1, 0, &c2, Int64(n), 1)
            #expect(c1 == c2, "m=\(m) n=\(n) k=\(k)")
        }
    }

    @Test func threadCountIsClamped() {
        let threads0 = loom_num_threads()
        defer { loom_set_num_threads(threads0) }
        loom_set_num_threads(0)
        #expect(loom_num_threads() == 1)
        loom_set_num_threads(3)
        #expect(loom_num_threads() == 3)
    }

    @Test func parallelForCoversEveryIndexOnce() {
        let threads0 = loom_num_threads()
        defer { loom_set_num_threads(threads0) }
        for threads in [1, 2, 4] {
            loom_set_num_threads(Int32(threads))
            for (n, grain) in [(0, 1), (1, 1), (2, 1), (7, 3), (100, 1), (100, 50), (100, 200), (1000, 7), (12345, 0)] {
                #expect(ParallelForProbe.countsAreAllOne(n: n, grain: grain, nested: false), "n=\(n) grain=\(grain) threads=\(threads)")
                #expect(ParallelForProbe.countsAreAllOne(n: n, grain: grain, nested: true), "nested n=\(n) grain=\(grain) threads=\(threads)")
            }
        }
    }
}

/// Counts how often each index is visited through loom_parallel_for.
enum ParallelForProbe {
    final class Box {
        let counts: UnsafeMutablePointer<Int64>
        let nested: Bool
        init(n: Int, nested: Bool) {
            self.nested = nested
            counts = .allocate(capacity: max(n, 1))
            counts.initialize(repeating: 0, count: max(n, 1))
        }
        deinit { counts.deallocate() }
    }

    /// Context of a nested call: the outer chunk's offset into the same counters.
    final class Inner {
        let box: Box, offset: Int
        init(box: Box, offset: Int) { self.box = box; self.offset = offset }
    }

    static func countsAreAllOne(n: Int, grain: Int, nested: Bool) -> Bool {
        let box = Box(n: n, nested: nested)
        let ctx = Unmanaged.passRetained(box).toOpaque()
        defer { Unmanaged<Box>.fromOpaque(ctx).release() }
        loom_parallel_for(Int64(n), Int64(grain), { ctx, begin, end in
            let box = Unmanaged<Box>.fromOpaque(ctx!).takeUnretainedValue()
            guard box.nested else {
                for i in Int(begin)..<Int(end) { box.counts[i] += 1 }
                return
            }
            // A nested parallel_for over this chunk: must run inline and still cover it once.
            let inner = Unmanaged.passRetained(Inner(box: box, offset: Int(begin))).toOpaque()
            defer { Unmanaged<Inner>.fromOpaque(inner).release() }
            loom_parallel_for(end - begin, 1, { ctx, b, e in
                let inner = Unmanaged<Inner>.fromOpaque(ctx!).takeUnretainedValue()
                for i in Int(b)..<Int(e) { inner.box.counts[inner.offset + i] += 1 }
            }, inner)
        }, ctx)
        return (0..<n).allSatisfy { box.counts[$0] == 1 }
    }
}

/// Several threads using the pool at once (one gets it, the others run inline).
@Test func parallelForFromConcurrentCallers() async {
    let results = await withTaskGroup(of: Bool.self) { group in
        for t in 0..<6 {
            group.addTask {
                (0..<50).allSatisfy { i in
                    ParallelForProbe.countsAreAllOne(n: 1000 + 37 * t + i, grain: 10, nested: i % 2 == 0)
                }
            }
        }
        var all: [Bool] = []
        for await r in group { all.append(r) }
        return all
    }
    #expect(results.allSatisfy { $0 })
}

/// A job whose first chunk on a worker thread stalls (as when the OS takes the worker's core):
/// the other threads (the caller at least) must run every other chunk, the caller then wait
/// (spinning, then asleep) for the stalled one, and return only when it is done.
enum StalledWorkerProbe {
    final class Box: @unchecked Sendable {  // guarded by `lock`
        let caller = pthread_self()
        var stalledThread: pthread_t?
        var chunksOfStalledThread = 0
        var stalledChunkDone = false
        let lock = NSLock()
    }

    /// Runs a job of 8 iterations; returns nil when no worker took a chunk (none woke in time),
    /// else (the iterations the stalled worker ran, whether its stalled chunk was done at the return).
    static func run() -> (stalledThreadChunks: Int, stalledDone: Bool)? {
        let box = Box()
        let ctx = Unmanaged.passRetained(box).toOpaque()
        defer { Unmanaged<Box>.fromOpaque(ctx).release() }
        loom_parallel_for(8, 1, { ctx, begin, end in
            let box = Unmanaged<Box>.fromOpaque(ctx!).takeUnretainedValue()
            let me = pthread_self()
            box.lock.lock()
            var stall = false
            if pthread_equal(me, box.caller) == 0 && box.stalledThread == nil {
                box.stalledThread = me
                stall = true
            }
            if let stalled = box.stalledThread, pthread_equal(me, stalled) != 0 { box.chunksOfStalledThread += Int(end - begin) }
            box.lock.unlock()
            if stall {
                usleep(60_000)  // 60 ms: far past the caller's 20 us of spinning
                box.lock.lock()
                box.stalledChunkDone = true
                box.lock.unlock()
            } else {
                usleep(1_000)  // other chunks take 1 ms, time enough for a worker to wake and claim one
            }
        }, ctx)
        box.lock.lock()
        defer { box.lock.unlock() }
        guard box.stalledThread != nil else { return nil }
        return (box.chunksOfStalledThread, box.stalledChunkDone)
    }
}

extension KernelStateTests {
    @Test func aStalledWorkerHoldsBackOnlyItsOwnChunk() {
        let threads0 = loom_num_threads()
        defer { loom_set_num_threads(threads0) }
        loom_set_num_threads(2)
        var observed = 0
        for _ in 0..<20 {
            guard let (stalledThreadChunks, stalledDone) = StalledWorkerProbe.run() else { continue }
            observed += 1
            #expect(stalledDone, "loom_parallel_for returned before the stalled chunk finished")
            // The other 7 chunks went to the threads on a core; with one chunk per thread the
            // stalled worker would have held back half of the job.
            #expect(stalledThreadChunks == 1, "the stalled worker ran \(stalledThreadChunks) of 8 iterations")
            if observed == 3 { break }
        }
        #expect(observed > 0, "no worker took a chunk in 20 jobs")
    }
}

/// Which threads ran a job's chunks.
enum ChunkThreadsProbe {
    final class Box: @unchecked Sendable {  // guarded by `lock`
        let caller = pthread_self()
        var chunksOffCaller = 0
        let lock = NSLock()
    }

    /// Runs a job of 8 chunks of 1 ms each; returns how many ran on a thread other than the caller.
    static func chunksOffCaller() -> Int {
        let box = Box()
        let ctx = Unmanaged.passRetained(box).toOpaque()
        defer { Unmanaged<Box>.fromOpaque(ctx).release() }
        loom_parallel_for(8, 1, { ctx, _, _ in
            let box = Unmanaged<Box>.fromOpaque(ctx!).takeUnretainedValue()
            let offCaller = pthread_equal(pthread_self(), box.caller) == 0
            usleep(1_000)
            box.lock.lock()
            if offCaller { box.chunksOffCaller += 1 }
            box.lock.unlock()
        }, ctx)
        box.lock.lock()
        defer { box.lock.unlock() }
        return box.chunksOffCaller
    }
}

extension KernelStateTests {
    /// On a machine the pool counts as busy, an idle worker sleeps at once instead of spinning
    /// for the next job; every job must still be covered exactly once (each one now wakes the
    /// sleeping worker), and the woken worker must still take chunks.
    @Test func aBusyMachinesSleepingWorkersStillTakeEveryJob() {
        let threads0 = loom_num_threads()
        defer {
            loom_set_num_threads(threads0)
            loom_pool_set_machine_busy(0)
        }
        loom_set_num_threads(2)
        var covered = true, offCaller = 0
        for i in 0..<200 {
            loom_pool_set_machine_busy(1)  // held for the whole loop (it lasts 100 ms from each call)
            #expect(loom_pool_machine_busy() != 0)
            covered = covered && ParallelForProbe.countsAreAllOne(n: 1000 + i, grain: 10, nested: i % 3 == 0)
            if i % 20 == 0 { offCaller += ChunkThreadsProbe.chunksOffCaller() }
        }
        #expect(covered, "a job was not covered exactly once while workers slept between jobs")
        // Ten jobs of 8 ms of work: a worker woken for each must take some of their chunks.
        #expect(offCaller > 0, "no chunk of 10 jobs ran on a worker woken from sleep")
    }
}
