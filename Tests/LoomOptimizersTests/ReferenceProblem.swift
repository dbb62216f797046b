import Loom
import LoomNN
@testable import LoomOptimizers

/// The problem of `Scripts/reference/optimizers_reference.py`, built from the constants in
/// ``OptimizerReferenceData``: `W [2, 4]`, `v [3]`, `θ = concat(W.flat, v)`,
/// `f(θ) = Σ_k log(1 + exp(A_k·θ − y_k)) + decay · ‖θ‖²`.
final class ReferenceProblem {
    let weight: Parameter
    let bias: Parameter
    private let coefficients: Tensor
    private let targets: Tensor

    init(dtype: DType) {
        let data = OptimizerReferenceData.self
        weight = Parameter(Tensor(shape: [2, 4], scalars: data.initialWeight, dtype: dtype))
        bias = Parameter(Tensor(shape: [3], scalars: data.initialBias, dtype: dtype))
        coefficients = Tensor(shape: [6, 11], scalars: data.coefficients.flatMap { $0 }, dtype: dtype)
        targets = Tensor(shape: [6], scalars: data.targets, dtype: dtype)
    }

    var parameters: [Parameter] { [weight, bias] }

    /// θ as float64 values.
    var theta: [Double] { weight.value.asArray(Double.self) + bias.value.asArray(Double.self) }

    func loss() -> Tensor {
        let theta = Tensor.concatenated([weight.value.reshaped([8]), bias.value])
        let z = coefficients.matmul(theta) - targets
        return (1 + z.exp()).log().sum() + OptimizerReferenceData.decay * (theta * theta).sum()
    }

    /// Replaces the gradients with those of the loss at the parameters' current values.
    func computeGradients() {
        parameters.forEach { $0.zeroGradient() }
        loss().backward()
    }

    /// θ after each of `steps` steps of `optimizer` (which must own these parameters);
    /// `iterate` reads θ (the lecture's Nesterov stores the look-ahead point instead).
    func trajectory(_ optimizer: any Optimizer, steps: Int, iterate: ((Parameter) -> Tensor)? = nil) -> [[Double]] {
        (0..<steps).map { _ in
            computeGradients()
            optimizer.step()
            guard let iterate else { return theta }
            return iterate(weight).asArray(Double.self) + iterate(bias).asArray(Double.self)
        }
    }
}

/// The largest `|a − e| / (|e| + floor)` and `|a − e|` over two trajectories.
func trajectoryErrors(_ actual: [[Double]], _ expected: [[Double]], floor: Double) -> (relative: Double, absolute: Double) {
    precondition(actual.count == expected.count && zip(actual, expected).allSatisfy { $0.count == $1.count },
                 "trajectoryErrors: shapes differ")
    var relative = 0.0, absolute = 0.0
    for (a, e) in zip(actual.joined(), expected.joined()) {
        let error = abs(a - e)
        if !(error.isFinite) { return (.infinity, .infinity) }
        absolute = max(absolute, error)
        relative = max(relative, error / (abs(e) + floor))
    }
    return (relative, absolute)
}

/// Values of a buffer-level update, for calling the pure update functions on arrays.
func updated<T: OptimizerScalar>(_ values: inout [T], _ body: (UnsafeMutableBufferPointer<T>) -> Void) {
    values.withUnsafeMutableBufferPointer { body($0) }
}
