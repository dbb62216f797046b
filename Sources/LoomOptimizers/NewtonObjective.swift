import Loom
import LoomNN

/// The trainable parameters seen as one flat vector `θ` (row-major within each parameter,
/// parameters in order), which is what Newton's method differentiates with respect to.
///
/// To differentiate a loss closure that reads ``Parameter/value``, the parameters are
/// temporarily replaced by reshaped slices of one leaf `θ`; the closure's graph then leads
/// back to `θ`, so the gradient and Hessian-vector products with respect to `θ` come from
/// the ordinary engine. The original values are restored afterwards, even when the closure
/// throws.
struct FlatParameters {
    let parameters: [Parameter]
    /// The element count of each parameter.
    let counts: [Int]
    /// The element type of `θ`: the promotion of the parameters' types.
    let dtype: DType

    init(_ parameters: [Parameter]) {
        self.parameters = parameters
        counts = parameters.map(\.count)
        dtype = parameters.dropFirst().reduce(parameters.first?.value.dtype ?? .float64) { DType.promoted($0, $1.value.dtype) }
    }

    /// `n`, the length of `θ`.
    var count: Int { counts.reduce(0, +) }

    /// The current `θ`.
    func currentValues() -> [Double] {
        parameters.flatMap { $0.value.asArray(Double.self) }
    }

    /// Runs `body` with each parameter's value replaced by its piece of `theta` (a rank-1
    /// tensor of length ``count``), cast to the parameter's own type.
    func withParameters<R>(at theta: Tensor, _ body: () throws -> R) rethrows -> R {
        let saved = parameters.map(\.value)
        defer { for (parameter, value) in zip(parameters, saved) { parameter.value = value } }
        let pieces = parameters.isEmpty ? [] : theta.split(sizes: counts)
        for (parameter, piece) in zip(parameters, pieces) {
            let value = piece.reshaped(parameter.shape)
            parameter.value = value.dtype == parameter.value.dtype ? value : value.cast(to: parameter.value.dtype)
        }
        return try body()
    }

    /// Sets the parameters to `values` (new leaves, outside any graph).
    func assign(_ values: [Double]) {
        precondition(values.count == count, "step(loss:): \(values.count) values for \(count) parameters")
        var start = 0
        for (parameter, count) in zip(parameters, counts) {
            let piece = Array(values[start..<(start + count)])
            parameter.value = Tensor(shape: parameter.shape, scalars: piece, dtype: parameter.value.dtype)
            start += count
        }
    }

    /// `f(θ)` without recording, with the parameters set to `values` (left there).
    func loss(at values: [Double], _ loss: () throws -> Tensor) rethrows -> Double {
        assign(values)
        return try withoutGradients { try lossValue(loss()) }
    }

    /// `f(θ)` and `‖∇f(θ)‖₂` at the current `θ`: one forward and one reverse pass.
    func valueAndGradientNorm(_ loss: () throws -> Tensor) rethrows -> (value: Double, gradientNorm: Double) {
        var theta = Tensor(shape: [count], scalars: currentValues(), dtype: dtype)
        theta.requiresGradient = true
        return try withGradients {
            let value = try withParameters(at: theta, loss)
            guard value.requiresGradient else { return (lossValue(value), 0) }
            let gradient = gradients(of: value, withRespectTo: [theta])[0].asArray(Double.self)
            return (lossValue(value), DenseVector.norm(gradient))
        }
    }

    /// `f(θ)` and `∇f(θ)` at the current `θ`: one forward and one reverse pass.
    func valueAndGradient(_ loss: () throws -> Tensor) rethrows -> (value: Double, gradient: [Double]) {
        var theta = Tensor(shape: [count], scalars: currentValues(), dtype: dtype)
        theta.requiresGradient = true
        return try withGradients {
            let value = try withParameters(at: theta, loss)
            guard value.requiresGradient else { return (lossValue(value), [Double](repeating: 0, count: count)) }
            return (lossValue(value), gradients(of: value, withRespectTo: [theta])[0].asArray(Double.self))
        }
    }

    /// `f` and `∇f` at `values`, leaving the parameters there.
    func value(at values: [Double], _ loss: () throws -> Tensor) rethrows -> (Double, [Double]) {
        assign(values)
        return try valueAndGradient(loss)
    }

    /// The loss, its gradient and a handle for second derivatives at the current `θ`.
    func secondOrderModel(_ loss: () throws -> Tensor) rethrows -> SecondOrderModel {
        var theta = Tensor(shape: [count], scalars: currentValues(), dtype: dtype)
        theta.requiresGradient = true
        return try withGradients {
            let value = try withParameters(at: theta, loss)
            let gradient = value.requiresGradient
                ? gradients(of: value, withRespectTo: [theta], createGraph: true)[0]
                : Tensor.zeros([count], dtype: dtype)
            return SecondOrderModel(
                value: lossValue(value), gradient: gradient.asArray(Double.self),
                theta: theta, gradientTensor: gradient)
        }
    }
}

/// The single element of a loss tensor, as a Double.
func lossValue(_ loss: Tensor) -> Double {
    precondition(loss.count == 1, "step(loss:): the loss closure returned shape \(loss.shape); it must return one element")
    return loss.item(Double.self)
}

/// `f(θ)`, `∇f(θ)` and the recorded gradient graph at one point, from which Hessian-vector
/// products cost one reverse pass each (no new forward pass).
struct SecondOrderModel {
    let value: Double
    let gradient: [Double]
    /// The leaf `θ` the gradient was taken with respect to.
    let theta: Tensor
    /// `∇f(θ)` with its recorded backward graph (createGraph), a function of `theta`.
    let gradientTensor: Tensor

    /// `∇²f(θ) v`, as the vector-Jacobian product `vᵀ ∂∇f/∂θ`, which equals `H v` because
    /// the Hessian is symmetric.
    func hessianVectorProduct(_ direction: [Double]) -> [Double] {
        let seed = Tensor(shape: [direction.count], scalars: direction, dtype: gradientTensor.dtype)
        return gradients(of: gradientTensor, withRespectTo: [theta], seed: seed)[0].asArray(Double.self)
    }

    /// The dense Hessian `∇²f(θ)`, as the Jacobian of the recorded gradient: blocks of unit
    /// seeds pushed through one reverse pass each (`jacobian(of:withRespectTo:seedsPerPass:createGraph:)`),
    /// symmetrized to remove rounding asymmetry.
    func hessian() -> DenseMatrix {
        let n = gradient.count
        let rows = jacobian(of: gradientTensor, withRespectTo: theta)
        return DenseMatrix(rowCount: n, columnCount: n, scalars: rows.asArray(Double.self)).symmetrized()
    }
}

/// The steps every Newton-type method shares around its choice of direction: evaluate
/// `f`, `∇f` and the gradient graph at `θ`; stop on a non-finite value or a small gradient;
/// ask `direction` for `p`; then move by `α p`, or by Armijo backtracking from `α`.
enum NewtonIteration {
    /// One step; leaves the parameters at the accepted point, or where they were, and reports
    /// the loss and gradient norm on both sides of it.
    ///
    /// - Parameter direction: the method's direction `p` at the model (it may fill the
    ///   report's method-specific fields). It must be a descent direction, `∇fᵀp < 0`.
    static func step(
        flat: FlatParameters, loss: () throws -> Tensor, learningRate: Double, lineSearch: NewtonLineSearch,
        gradientTolerance: Double, direction: (SecondOrderModel, inout NewtonStepReport) -> [Double]
    ) rethrows -> NewtonStepReport {
        var report = try move(flat: flat, loss: loss, learningRate: learningRate, lineSearch: lineSearch,
                              gradientTolerance: gradientTolerance, direction: direction)
        switch report.outcome {
        case .updated:
            (report.lossAfterStep, report.gradientNormAfterStep) = try flat.valueAndGradientNorm(loss)
        case .converged, .lineSearchFailed:
            (report.lossAfterStep, report.gradientNormAfterStep) = (report.loss, report.gradientNorm)
        case .nonFinite:
            break
        }
        return report
    }

    private static func move(
        flat: FlatParameters, loss: () throws -> Tensor, learningRate: Double, lineSearch: NewtonLineSearch,
        gradientTolerance: Double, direction: (SecondOrderModel, inout NewtonStepReport) -> [Double]
    ) rethrows -> NewtonStepReport {
        let start = flat.currentValues()
        let model = try flat.secondOrderModel(loss)
        let gradientNorm = DenseVector.norm(model.gradient)
        var report = NewtonStepReport(outcome: .updated, loss: model.value, gradientNorm: gradientNorm)
        guard model.value.isFinite && gradientNorm.isFinite else {
            report.outcome = .nonFinite
            return report
        }
        guard gradientNorm > gradientTolerance else {
            report.outcome = .converged
            return report
        }
        var p = direction(model, &report)
        var slope = DenseVector.dot(model.gradient, p)
        if slope.isFinite && slope >= 0 {
            // NOTE: both methods construct descent directions; this only catches rounding in
            // nearly singular systems, where steepest descent is the safe choice.
            p = model.gradient.map { -$0 }
            slope = -gradientNorm * gradientNorm
        }
        report.directionalDerivative = slope
        guard slope.isFinite else {
            report.outcome = .nonFinite
            return report
        }
        switch lineSearch {
        case .none:
            flat.assign(DenseVector.adding(start, p, scaledBy: learningRate))
            report.stepSize = learningRate
        case let .backtracking(sufficientDecrease, contraction, maximumTrials):
            var t = learningRate
            for trial in 1...maximumTrials {
                let value = try flat.loss(at: DenseVector.adding(start, p, scaledBy: t), loss)
                report.lineSearchTrials = trial
                if value.isFinite && value <= model.value + sufficientDecrease * t * slope {
                    report.stepSize = t
                    report.newLoss = value
                    return report
                }
                t *= contraction
            }
            flat.assign(start)
            report.outcome = .lineSearchFailed
            report.newLoss = model.value
        }
        return report
    }
}
