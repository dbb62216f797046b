// loom-bench: kernel benchmarks. One JSON object per line per measurement (see Measure.swift).
// Usage: loom-bench [filter]   (runs only measurements whose name contains `filter`)
import CLoomKernels
import Foundation

let filter = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : nil

// Minutes long, so only on request: `loom-bench second-order [DIR]` (DIR receives eigenvalues).
// `second-order-autodiff` and `second-order-eigen [DIR]` run its two halves,
// `second-order-cholesky` the factorizations alone. `loom-bench bound`: each model benchmark
// against its matrix products alone (TrainingBench.swift).
let secondOrderDirectory = CommandLine.arguments.count > 2 ? CommandLine.arguments[2] : nil
switch filter {
case "second-order": benchSecondOrder(outputDirectory: secondOrderDirectory); exit(0)
case "second-order-autodiff": benchSecondOrderAutodiff(); exit(0)
case "second-order-eigen": benchEigendecompositions(outputDirectory: secondOrderDirectory); exit(0)
case "second-order-blocks": benchHessianBlocks(); exit(0)
case "second-order-cholesky": benchCholesky(); exit(0)
case "bound": benchBound(threads: 2); exit(0)
default: break
}

// `loom-bench shape W1-W2-...-Wn BATCH [OPTIMIZER]`: the training step of that MLP alone (the
// scaling table of BENCHMARKS.md, `python3 Scripts/bench_peers.py scaling`). Fewer, longer
// windows for big shapes: at least three steps a window.
if filter == "shape" {
    let arguments = CommandLine.arguments
    guard arguments.count >= 4, let batch = Int(arguments[3]), batch > 0,
          case let widths = arguments[2].split(separator: "-").compactMap({ Int($0) }), widths.count >= 2,
          widths.allSatisfy({ $0 > 0 }),
          let optimizer = BenchOptimizer(rawValue: arguments.count > 4 ? arguments[4] : "sgd")
    else {
        FileHandle.standardError.write(Data("usage: loom-bench shape 784-512-512-10 128 [sgd|momentum|adam]\n".utf8))
        exit(2)
    }
    benchShape(widths: widths, batchSize: batch, optimizer: optimizer)
    exit(0)
}

/// A GEMM shape as benchmarked: C[m, n] = A[m, k] · B[k, n]; an operand marked transposed is
/// stored as the transpose (a strided view, e.g. the weight-gradient products of an MLP).
struct GemmShape {
    var m: Int, k: Int, n: Int
    var transA = false, transB = false
    var label: String {
        "\(m)x\(k)x\(n)" + (transA ? " At" : "") + (transB ? " Bt" : "")
    }
}

/// Every product of the MLP's training step at batch 128 and of its inference pass at batch
/// 1024 (784-512-512-10; the first layer needs no input gradient), and 1024³.
/// `Benchmarks/numpy_gemm.py` times the same list: `gemm_table.py` passes it these labels.
let shapes = [
    GemmShape(m: 128, k: 784, n: 512),  // layer 1 forward
    GemmShape(m: 128, k: 512, n: 512),  // layer 2 forward
    GemmShape(m: 128, k: 512, n: 10),  // output layer forward
    GemmShape(m: 784, k: 128, n: 512, transA: true),  // dW1 = Xᵀ · dY1 (A is a transposed view)
    GemmShape(m: 512, k: 128, n: 512, transA: true),  // dW2 = Z1ᵀ · dY2
    GemmShape(m: 512, k: 128, n: 10, transA: true),  // dW3 = Z2ᵀ · dY3
    GemmShape(m: 128, k: 512, n: 512, transB: true),  // dZ1 = dY2 · W2ᵀ (B is a transposed view)
    GemmShape(m: 128, k: 10, n: 512, transB: true),  // dZ2 = dY3 · W3ᵀ
    GemmShape(m: 1024, k: 784, n: 512),  // inference, layer 1
    GemmShape(m: 1024, k: 512, n: 512),  // inference, layer 2
    GemmShape(m: 1024, k: 512, n: 10),  // inference, output layer
    GemmShape(m: 1024, k: 1024, n: 1024),
]

func isaName(_ isa: loom_isa) -> String {
    switch isa {
    case LOOM_ISA_AVX512: return "avx512"
    case LOOM_ISA_AVX2: return "avx2"
    default: return "portable"
    }
}

/// Fills with values in [-1, 1) (the exact values do not matter for timing).
func filled<T: BinaryFloatingPoint>(_ count: Int, _: T.Type) -> [T] {
    var s: UInt32 = 12345
    return (0..<count).map { _ in
        s = s &* 1_664_525 &+ 1_013_904_223
        return T(Double(s >> 8) / Double(1 << 23) - 1)
    }
}

func benchGemm<T: BinaryFloatingPoint>(_ type: T.Type, _ prefix: String, _ shape: GemmShape,
                                       threads: Int, isa: loom_isa) {
    let name = "\(prefix) \(shape.label) \(threads)t \(isaName(isa))"
    if let filter, !name.contains(filter) { return }
    let (m, k, n) = (shape.m, shape.k, shape.n)
    let a = filled(m * k, T.self), b = filled(k * n, T.self)
    var c = [T](repeating: 0, count: m * n)
    // Row-major storage of A (m x k) or of Aᵀ (k x m); likewise B.
    let (ars, acs) = shape.transA ? (1, m) : (k, 1)
    let (brs, bcs) = shape.transB ? (1, k) : (n, 1)
    let previousThreads = loom_num_threads(), previousISA = loom_active_isa()
    loom_set_num_threads(Int32(threads))
    _ = loom_set_isa(isa)
    defer { loom_set_num_threads(previousThreads); _ = loom_set_isa(previousISA) }
    // Slower paths get fewer, shorter windows so the whole run stays short.
    var options = MeasureOptions()
    if isa == LOOM_ISA_PORTABLE { options.samples = 3; options.window = .milliseconds(100) }
    let flops = 2.0 * Double(m) * Double(n) * Double(k)
    let result = a.withUnsafeBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
            c.withUnsafeMutableBufferPointer { cp in
                measure(name, unit: "GFLOP/s", workPerCall: flops, options: options) {
                    if T.self == Float.self {
                        ap.withMemoryRebound(to: Float.self) { af in
                            bp.withMemoryRebound(to: Float.self) { bf in
                                cp.withMemoryRebound(to: Float.self) { cf in
                                    loom_sgemm(Int64(m), Int64(n), Int64(k), 1, af.baseAddress, Int64(ars), Int64(acs),
                                               bf.baseAddress, Int64(brs), Int64(bcs), 0, cf.baseAddress, Int64(n), 1)
                                }
                            }
                        }
                    } else {
                        ap.withMemoryRebound(to: Double.self) { ad in
                            bp.withMemoryRebound(to: Double.self) { bd in
                                cp.withMemoryRebound(to: Double.self) { cd in
                                    loom_dgemm(Int64(m), Int64(n), Int64(k), 1, ad.baseAddress, Int64(ars), Int64(acs),
                                               bd.baseAddress, Int64(brs), Int64(bcs), 0, cd.baseAddress, Int64(n), 1)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    result.printJSON()
}

// The model benchmarks first (the peer script runs `loom-bench train` / `infer`).
for optimizer in BenchOptimizer.allCases { benchTrainingStep(optimizer, threads: 2, filter: filter) }
benchInference(threads: 2, filter: filter)
benchModuleWalk(filter: filter)
for optimizer in BenchOptimizer.allCases { benchTrainingPhases(optimizer, threads: 2, filter: filter) }
for batch in [128, 1024] { benchAffine(batch: batch, threads: 2, filter: filter) }
for rows in [128, 1024] { benchElementwise(rows: rows, filter: filter) }
benchSmallOps(filter: filter)

// Every path up to the active one (LOOM_ISA lowers it, as it does for the whole process).
let isas = (0...loom_active_isa().rawValue).reversed().map { loom_isa(rawValue: $0) }
let maxThreads = min(2, Int(loom_num_threads()))
for isa in isas {
    for shape in shapes {
        for threads in 1...max(maxThreads, 1) {
            benchGemm(Float.self, "sgemm", shape, threads: threads, isa: isa)
        }
    }
}
for isa in isas {
    for shape in shapes {
        for threads in 1...max(maxThreads, 1) {
            benchGemm(Double.self, "dgemm", shape, threads: threads, isa: isa)
        }
    }
}

if filter == nil || "parallel_for fork-join 2t".contains(filter!) { benchForkJoin() }
