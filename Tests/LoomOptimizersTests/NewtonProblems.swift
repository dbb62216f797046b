import Loom
import LoomNN
import LoomOptimizers

// Small optimization problems for the Newton tests, built from core tensor operations and
// bare Parameters only.

/// `f(θ) = ½θᵀAθ − bᵀθ` over two parameters (shapes [3] and [2, 1], flattened in that order
/// into θ ∈ ℝ⁵), with `A = MᵀM + I` positive definite and `b = Aθ*`, so the minimizer is the
/// known `θ*`.
struct QuadraticProblem {
    let first: Parameter
    let second: Parameter
    let matrix: DenseMatrix
    let minimizer: [Double]
    private let a: Tensor
    private let b: Tensor

    init(seed: UInt64, dtype: DType = .float64) {
        var generator = SeededGenerator(seed: seed)
        let m = DenseMatrix(Tensor.normal([5, 5], dtype: .float64, using: &generator))
        matrix = (m.transposed() * m).addingToDiagonal(1)
        minimizer = Tensor.normal([5], dtype: .float64, using: &generator).asArray(Double.self)
        a = matrix.tensor(dtype: dtype)
        b = Tensor(shape: [5], scalars: matrix * minimizer, dtype: dtype)
        first = Parameter(Tensor.normal([3], dtype: dtype, using: &generator))
        second = Parameter(Tensor.normal([2, 1], dtype: dtype, using: &generator))
    }

    var parameters: [Parameter] { [first, second] }

    /// θ = [first, second] flattened.
    var theta: [Double] { first.value.asArray(Double.self) + second.value.asArray(Double.self) }

    func loss() -> Tensor {
        let theta = Tensor.concatenated([first.value, second.value.reshaped([-1])])
        return 0.5 * theta.matmul(a).matmul(theta) - (b * theta).sum()
    }
}

/// L2-regularized softmax regression, `f(W, b) = mean CE(softmax(XW + b), y) + (μ/2)(‖W‖² +
/// ‖b‖²)`: 200 samples, 8 features, 3 classes, float64, labels from a noisy linear teacher.
/// Strictly convex.
struct SoftmaxRegressionProblem {
    let weight: Parameter
    let bias: Parameter
    let inputs: Tensor
    let labels: Tensor
    let regularization: Double

    init(seed: UInt64, samples: Int = 200, features: Int = 8, classes: Int = 3, regularization: Double = 1e-2) {
        var generator = SeededGenerator(seed: seed)
        inputs = Tensor.normal([samples, features], dtype: .float64, using: &generator)
        let teacher = Tensor.normal([features, classes], dtype: .float64, using: &generator)
        let noise = Tensor.normal([samples, classes], standardDeviation: 0.5, dtype: .float64, using: &generator)
        labels = (inputs.matmul(teacher) + noise).argmax(alongAxis: 1).cast(to: .int64)
        weight = Parameter(Tensor.zeros([features, classes], dtype: .float64))
        bias = Parameter(Tensor.zeros([classes], dtype: .float64))
        self.regularization = regularization
    }

    var parameters: [Parameter] { [weight, bias] }

    func loss() -> Tensor { loss(weight: weight.value, bias: bias.value) }

    func loss(weight: Tensor, bias: Tensor) -> Tensor {
        let logProbabilities = (inputs.matmul(weight) + bias).logSoftmax(alongAxis: 1)
        let picked = logProbabilities.gathered(labels.reshaped([-1, 1]), alongAxis: 1)
        let penalty = (weight * weight).sum() + (bias * bias).sum()
        return -picked.mean() + 0.5 * regularization * penalty
    }
}

/// A 2 → 4 tanh → 1 network with mean squared error on six points (an XOR-like target):
/// non-convex, float64.
struct TanhNetworkProblem {
    let weight1: Parameter
    let bias1: Parameter
    let weight2: Parameter
    let bias2: Parameter
    let inputs = Tensor([[0, 0], [0, 1], [1, 0], [1, 1], [0.5, 0.2], [-0.3, 0.8]], dtype: .float64)
    let targets = Tensor([[0], [1], [1], [0], [0.7], [0.4]], dtype: .float64)

    init(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        weight1 = Parameter(Tensor.normal([2, 4], dtype: .float64, using: &generator))
        bias1 = Parameter(Tensor.normal([4], standardDeviation: 0.1, dtype: .float64, using: &generator))
        weight2 = Parameter(Tensor.normal([4, 1], standardDeviation: 0.5, dtype: .float64, using: &generator))
        bias2 = Parameter(Tensor.zeros([1], dtype: .float64))
    }

    var parameters: [Parameter] { [weight1, bias1, weight2, bias2] }

    func loss() -> Tensor {
        let hidden = (inputs.matmul(weight1.value) + bias1.value).tanh()
        let difference = hidden.matmul(weight2.value) + bias2.value - targets
        return (difference * difference).mean()
    }
}

/// The largest absolute difference between two vectors.
func maximumDifference(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "maximumDifference: lengths \(a.count) and \(b.count)")
    return zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0
}

/// The Euclidean norm.
func euclideanNorm(_ a: [Double]) -> Double { a.reduce(0) { $0 + $1 * $1 }.squareRoot() }
