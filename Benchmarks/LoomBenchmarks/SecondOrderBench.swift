import Foundation
import Loom
import LoomNN
import LoomOptimizers

// The second-order benchmarks of issue 15, run only when asked (`loom-bench second-order
// [DIR]`: they take minutes). Benchmarks/second_order_peers.py runs them beside JAX, PyTorch and
// NumPy (OpenBLAS's LAPACK) on the same matrices and the same shapes, and prints the table of
// BENCHMARKS.md. Every input comes from integer formulas the script repeats exactly.

/// The symmetric benchmark matrix: `a_ij = ((i·j + 3(i + j)) · 2654435761 mod 1000003) / 1000003 − ½`,
/// exact in float64, so NumPy decomposes the same matrix.
func secondOrderMatrix(_ n: Int) -> DenseMatrix {
    var a = DenseMatrix(rowCount: n, columnCount: n)
    for i in 0..<n {
        for j in 0..<n { a[i, j] = Double(((i * j + 3 * (i + j)) * 2_654_435_761) % 1_000_003) / 1_000_003 - 0.5 }
    }
    return a
}

/// Seconds of the fastest of `repeats` calls (after one warm-up call when `warmsUp`).
func fastestSeconds(repeats: Int, warmsUp: Bool = true, _ body: () -> Void) -> Double {
    if warmsUp { body() }
    var best = Double.infinity
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return best
}

func printSeconds(_ name: String, _ seconds: Double, extra: String = "") {
    print("{\"name\": \"\(name)\", \"unit\": \"s\", \"seconds\": \(seconds)\(extra)}")
}

/// MLP 64-16-10 (ReLU) softmax cross-entropy on 1,437 examples of 64 features (the digits
/// training split's shape), float64: inputs `((7i + 13j) mod 17) / 16`, labels `i mod 10`,
/// `θ_p = 0.3 sin(1.3 p + 0.5)`, in Loom's [in, out] layout (θ = W1, b1, W2, b2 row-major).
struct SecondOrderMLP {
    let widths = [64, 16, 10]
    let examples = 1437
    let inputs: Tensor
    let labels: Tensor

    init() {
        var pixels = [Double](repeating: 0, count: 1437 * 64)
        for i in 0..<1437 {
            for j in 0..<64 { pixels[i * 64 + j] = Double((7 * i + 13 * j) % 17) / 16 }
        }
        inputs = Tensor(shape: [1437, 64], scalars: pixels, dtype: .float64)
        labels = Tensor(shape: [examples], scalars: (0..<examples).map { Int64($0 % 10) }, dtype: .int64)
    }

    var parameterCount: Int { 64 * 16 + 16 + 16 * 10 + 10 }
    var theta: Tensor {
        Tensor(shape: [parameterCount], scalars: (0..<parameterCount).map { 0.3 * sin(1.3 * Double($0) + 0.5) }, dtype: .float64)
    }

    func loss(_ theta: Tensor) -> Tensor {
        let pieces = theta.split(sizes: [64 * 16, 16, 16 * 10, 10])
        let hidden = (inputs.matmul(pieces[0].reshaped([64, 16])) + pieces[1]).relu()
        let logits = hidden.matmul(pieces[2].reshaped([16, 10])) + pieces[3]
        return softmaxCrossEntropy(logits: logits, labels: labels)
    }

    /// The same network as Loom modules, for a Newton step through the optimizer.
    func model() -> (MLP, () -> Tensor) {
        var generator = SeededGenerator(seed: 0)
        let network = MLP(widths: widths, activation: .relu, dtype: .float64, using: &generator)
        let values = theta.asArray(Double.self)
        var start = 0
        for parameter in network.parameters {
            parameter.value = Tensor(shape: parameter.shape, scalars: Array(values[start..<(start + parameter.count)]), dtype: .float64)
            start += parameter.count
        }
        let inputs = self.inputs, labels = self.labels
        return (network, { softmaxCrossEntropy(logits: network(inputs), labels: labels) })
    }
}

func benchSecondOrder(outputDirectory: String?) {
    benchSecondOrderAutodiff()
    benchEigendecompositions(outputDirectory: outputDirectory)
}

/// The gradient, one HVP, the dense Hessian, a Newton step and a Cholesky factorization of
/// the 64-16-10 problem (`loom-bench second-order-autodiff` runs only these).
func benchSecondOrderAutodiff() {
    let mlp = SecondOrderMLP()
    let theta = mlp.theta
    let direction = Tensor(shape: [mlp.parameterCount], scalars: (0..<mlp.parameterCount).map { cos(0.7 * Double($0)) }, dtype: .float64)
    let gradientSeconds = fastestSeconds(repeats: 20) { _ = gradient(at: theta) { mlp.loss($0) } }
    printSeconds("gradient MLP 64-16-10 digits-shaped f64", gradientSeconds)
    let hvpSeconds = fastestSeconds(repeats: 20) { _ = hessianVectorProduct(of: { mlp.loss($0) }, at: theta, direction: direction) }
    printSeconds("hvp MLP 64-16-10 digits-shaped f64", hvpSeconds, extra: ", \"per_gradient\": \(hvpSeconds / gradientSeconds)")
    let hessianSeconds = fastestSeconds(repeats: 2) { _ = hessian(of: { mlp.loss($0) }, at: theta) }
    printSeconds("hessian MLP 64-16-10 digits-shaped f64", hessianSeconds)
    let (network, loss) = mlp.model()
    let snapshot = network.parameters.map(\.value)
    var damping = 0.0
    let newtonSeconds = fastestSeconds(repeats: 2) {
        for (parameter, value) in zip(network.parameters, snapshot) { parameter.value = value }
        let newton = try! Newton(parameters: network.parameters)
        try! newton.step(loss: loss)
        damping = newton.lastDamping
    }
    printSeconds("newton step MLP 64-16-10 digits-shaped f64", newtonSeconds, extra: ", \"damping\": \(damping)")
    benchCholesky()
}

/// The factorizations of a Newton step (alone: `loom-bench second-order-cholesky`): the
/// benchmark Hessian (n = 1,210) shifted as the safeguard would, and an SPD matrix of n = 2,000
/// (`a_ij` as the eigendecomposition's, plus n·I), the fastest of 10 each.
func benchCholesky() {
    let mlp = SecondOrderMLP()
    let h = DenseMatrix(hessian(of: { mlp.loss($0) }, at: mlp.theta)).symmetrized()
    printSeconds("cholesky n=1210", fastestSeconds(repeats: 10) { _ = CholeskyFactorization(h.addingToDiagonal(10)) })
    // The safeguarded direction on the unshifted Hessian (indefinite: it needs λ ≈ 1.15).
    let g = gradient(at: mlp.theta) { mlp.loss($0) }.asArray(Double.self)
    var damping = 0.0
    let directionSeconds = fastestSeconds(repeats: 5) { damping = Newton.direction(hessian: h, gradient: g).damping }
    printSeconds("newton direction n=1210", directionSeconds, extra: ", \"damping\": \(damping)")
    let spd = secondOrderMatrix(2000).addingToDiagonal(2000)
    printSeconds("cholesky n=2000", fastestSeconds(repeats: 10) { _ = CholeskyFactorization(spd) })
}

/// The eigendecompositions at n = 650 and 2,000, by LAPACK when present and by the Swift code
/// (`loom-bench second-order-eigen [DIR]` runs only these).
func benchEigendecompositions(outputDirectory: String?) {

    print("{\"name\": \"lapack\", \"library\": \"\(SymmetricEigendecomposition.lapackLibrary ?? "none")\"}")
    for n in [650, 2000] {
        let a = secondOrderMatrix(n)
        for backend in [SymmetricEigendecomposition.Backend.automatic, .swift] {
            let label = backend == .swift ? "swift" : (SymmetricEigendecomposition.lapackLibrary == nil ? "swift" : "lapack")
            var values: [Double] = []
            let seconds = fastestSeconds(repeats: 1, warmsUp: false) { values = SymmetricEigendecomposition(a, backend: backend).eigenvalues }
            printSeconds("eigendecomposition n=\(n) \(label) (values and vectors)", seconds)
            let valuesSeconds = fastestSeconds(repeats: 1, warmsUp: false) {
                _ = SymmetricEigendecomposition(a, computesEigenvectors: false, backend: backend)
            }
            printSeconds("eigenvalues n=\(n) \(label)", valuesSeconds)
            if let outputDirectory {
                let text = values.map { "\($0)" }.joined(separator: "\n") + "\n"
                try! text.write(toFile: "\(outputDirectory)/loom-eigenvalues-\(n)-\(label).txt", atomically: true, encoding: .utf8)
            }
            if label == "swift" { break }
        }
    }
}

/// The dense Hessian of the 64-16-10 problem with each number of unit seeds per reverse pass
/// (`loom-bench second-order-blocks`): the measurement behind the default block size of
/// `jacobian(of:withRespectTo:seedsPerPass:createGraph:)`. Rounds interleave the sizes, so a
/// load change on a shared machine affects them alike; the fastest round counts.
func benchHessianBlocks() {
    let mlp = SecondOrderMLP()
    var theta = mlp.theta
    theta.requiresGradient = true
    let gradientTensor = withGradients { gradients(of: mlp.loss(theta), withRespectTo: [theta], createGraph: true)[0] }
    let sizes = [1, 2, 4, 8, 16, 32, 64, 128, 256]
    var best = [Double](repeating: .infinity, count: sizes.count)
    for _ in 0..<3 {
        for (index, size) in sizes.enumerated() {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = jacobian(of: gradientTensor, withRespectTo: theta, seedsPerPass: size)
            best[index] = min(best[index], Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
    }
    for (size, seconds) in zip(sizes, best) { printSeconds("hessian MLP 64-16-10 digits-shaped f64, \(size) seeds per pass", seconds) }
}
