import Foundation
import Loom
import LoomNN
@testable import LoomOptimizers
import Testing

@Suite("Newton")
struct NewtonTests {
    @Test("the Hessian is taken with respect to all parameters flattened row-major, in order")
    func hessianLayout() {
        // f = Σ cₖ θₖ² + θ₀θ₄ with cₖ = k + 1 over θ = [p (2×2, row-major), q (1)]: H = diag(2c)
        // plus 1 at (0, 4) and (4, 0), which pins down the flattening order.
        let p = Parameter(Tensor([[1, 2], [3, 4]], dtype: .float64))
        let q = Parameter(Tensor([5], dtype: .float64))
        let flat = FlatParameters([p, q])
        let model = flat.secondOrderModel {
            let theta = Tensor.concatenated([p.value.reshaped([-1]), q.value])
            let c = Tensor([1, 2, 3, 4, 5], dtype: .float64)
            return (c * theta * theta).sum() + theta[0] * theta[4]
        }
        var expected = DenseMatrix(rowCount: 5, columnCount: 5)
        for k in 0..<5 { expected[k, k] = 2 * Double(k + 1) }
        expected[0, 4] = 1
        expected[4, 0] = 1
        #expect(maximumDifference(model.hessian().scalars, expected.scalars) < 1e-12)
        // ∇f = 2cθ + (θ₄, 0, 0, 0, θ₀).
        #expect(maximumDifference(model.gradient, [2 + 5, 8, 18, 32, 50 + 1]) < 1e-12)
        // The parameters are restored as leaves after the evaluation.
        #expect(p.value.isLeaf && p.value.requiresGradient)
        #expect(p.value.asArray(Double.self) == [1, 2, 3, 4])
    }

    @Test("a full step on a quadratic lands on A⁻¹b")
    func fullStepOnQuadratic() throws {
        let problem = QuadraticProblem(seed: 11)
        let newton = try Newton(parameters: problem.parameters)
        try newton.step(loss: problem.loss)
        #expect(maximumDifference(problem.theta, problem.minimizer) < 1e-10)
        #expect(newton.lastStep?.outcome == .updated)
        #expect(newton.lastDamping == 0 && !newton.lastStepWasSafeguarded)
        #expect(newton.stepCount == 1)
        // At the minimizer the gradient vanishes: a tolerance stops the next step.
        newton.gradientTolerance = 1e-8
        try newton.step(loss: problem.loss)
        #expect(newton.lastStep?.outcome == .converged)
        #expect(newton.stepCount == 1)
    }

    @Test("a damped step α = 0.5 halves the distance to the minimizer", arguments: [0.5, 0.25])
    func dampedStepOnQuadratic(alpha: Double) throws {
        let problem = QuadraticProblem(seed: 12)
        let before = zip(problem.theta, problem.minimizer).map { $0 - $1 }
        let newton = try Newton(parameters: problem.parameters, learningRate: alpha)
        try newton.step(loss: problem.loss)
        let after = zip(problem.theta, problem.minimizer).map { $0 - $1 }
        #expect(maximumDifference(after, before.map { (1 - alpha) * $0 }) < 1e-10)
    }

    @Test("float32 parameters: θ and the Hessian in float32, the solve in float64")
    func float32Parameters() throws {
        let problem = QuadraticProblem(seed: 13, dtype: .float32)
        let newton = try Newton(parameters: problem.parameters)
        try newton.step(loss: problem.loss)
        #expect(problem.first.value.dtype == .float32)
        #expect(maximumDifference(problem.theta, problem.minimizer) < 1e-3)
    }

    @Test("softmax regression: Newton reaches ‖∇f‖ < 1e-6 in at most 10 steps; gradient descent does not in 100")
    func softmaxRegressionNewtonVersusGradientDescent() throws {
        let problem = SoftmaxRegressionProblem(seed: 21)
        let newton = try Newton(parameters: problem.parameters, gradientTolerance: 1e-6)
        var updates = 0
        for _ in 0..<11 {
            try newton.step(loss: problem.loss)
            guard newton.lastStep?.outcome == .updated else { break }
            updates += 1
        }
        #expect(newton.lastStep?.outcome == .converged)
        #expect(newton.lastStep!.gradientNorm < 1e-6)
        #expect(updates <= 10)

        // Gradient descent from the same start with step 1/L, L = λ_max of the Hessian there
        // (the classical safe step for an L-smooth function).
        let fresh = SoftmaxRegressionProblem(seed: 21)
        let hessian = FlatParameters(fresh.parameters).secondOrderModel(fresh.loss).hessian()
        let smoothness = try #require(SymmetricEigendecomposition(hessian).maximumEigenvalue)
        let iterations = gradientDescentIterations(fresh, stepSize: 1 / smoothness, tolerance: 1e-6, limit: 100)
        #expect(iterations == nil, "gradient descent reached 1e-6 in \(iterations ?? 0) iterations")
    }

    /// Iterations plain gradient descent needs to reach `‖∇f‖ < tolerance`, or nil within `limit`.
    private func gradientDescentIterations(
        _ problem: SoftmaxRegressionProblem, stepSize: Double, tolerance: Double, limit: Int
    ) -> Int? {
        var weight = problem.weight.value.detached(), bias = problem.bias.value.detached()
        for iteration in 0...limit {
            let g = gradient(at: [weight, bias]) { problem.loss(weight: $0[0], bias: $0[1]) }
            let norm = euclideanNorm(g[0].asArray(Double.self) + g[1].asArray(Double.self))
            if norm < tolerance { return iteration }
            weight = weight - stepSize * g[0]
            bias = bias - stepSize * g[1]
        }
        return nil
    }

    @Test("safeguarded damped Newton on a tanh network never increases the loss, and the safeguard fires")
    func nonConvexNetwork() throws {
        let problem = TanhNetworkProblem(seed: 30)
        let newton = try Newton(parameters: problem.parameters, learningRate: 1, lineSearch: .armijo)
        var previous = withoutGradients { problem.loss().item(Double.self) }
        var safeguarded = 0, backtracked = 0
        var previousGradientNorm: Double?
        for _ in 0..<20 {
            let summary = try newton.step(loss: problem.loss)
            let before = try #require(summary.loss)
            let report = try #require(newton.lastStep)
            #expect(abs(before - previous) <= 1e-12 * max(1, previous))
            #expect(report.directionalDerivative < 0 || report.outcome != .updated)
            let now = withoutGradients { problem.loss().item(Double.self) }
            #expect(now <= previous, "the loss rose from \(previous) to \(now)")
            // The report's after-step figures are the next step's before-step figures.
            let after = try #require(summary.lossAfterStep)
            #expect(abs(after - now) <= 1e-12 * max(1, now))
            if let previousGradientNorm {
                #expect(abs(previousGradientNorm - report.gradientNorm) <= 1e-10 * max(1, report.gradientNorm))
            }
            previousGradientNorm = try #require(summary.gradientNormAfterStep)
            if report.stepSize < 1 { backtracked += 1 }
            if report.wasSafeguarded {
                safeguarded += 1
                #expect(newton.lastDamping > 0 && newton.lastStepWasSafeguarded)
            }
            previous = now
        }
        #expect(safeguarded >= 1)
        // On this seed the full step overshoots at times, so the line search is exercised;
        // the network interpolates its six points (measured: 2e-32 after 20 steps).
        #expect(backtracked >= 1)
        #expect(previous < 1e-10)
    }

    @Test("the safeguard on an indefinite matrix: the first λ on the grid that makes H + λI definite")
    func safeguardOnIndefinite() {
        let hessian = DenseMatrix(rows: [[1, 0.5, 0], [0.5, -2, 0], [0, 0, 3]])
        let gradient = [1.0, 1, -1]
        let safeguard = Newton.Safeguard()
        let (direction, damping) = Newton.direction(hessian: hessian, gradient: gradient, safeguard: safeguard)
        let smallest = SymmetricEigendecomposition(hessian).minimumEigenvalue!
        #expect(smallest < 0)
        #expect(damping > -smallest)
        // The previous grid point was not enough: λ/10 ≤ −λ_min (within the pivot floor).
        #expect(damping / safeguard.growthFactor <= -smallest + 1e-12)
        // λ sits on the grid λ₀·10ᵏ, λ₀ = 10⁻⁶ · max|H_ii| = 3·10⁻⁶.
        let exponent = log10(damping / 3e-6)
        #expect(abs(exponent - exponent.rounded()) < 1e-9)
        // p solves (H + λI) p = −g and is a descent direction.
        let residual = zip(hessian.addingToDiagonal(damping) * direction, gradient).map { $0 + $1 }
        #expect(residual.allSatisfy { abs($0) < 1e-12 })
        #expect(zip(direction, gradient).map(*).reduce(0, +) < 0)
    }

    @Test("passing over the shifts below −θ_min picks the same λ as trying every grid point, and θ_min ≥ λ_min")
    func safeguardSkipsHopelessShifts() {
        var generator = SeededGenerator(seed: 5)
        for (n, shift) in [(12, 0.3), (40, 2.0), (90, 25.0), (150, 1e-3)] {
            // A symmetric matrix with eigenvalues spread over [−shift, 10]: indefinite.
            let q = (0..<(n * n)).map { _ in Double.random(in: -1...1, using: &generator) }
            var rows = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
            for i in 0..<n { for j in 0...i { let v = q[i * n + j] + q[j * n + i]; rows[i][j] = v; rows[j][i] = v } }
            let symmetric = DenseMatrix(rows: rows)
            let spectrum = SymmetricEigendecomposition(symmetric, backend: .swift)
            let low = spectrum.minimumEigenvalue!, high = spectrum.maximumEigenvalue!
            // Map the spectrum affinely onto [−shift, 10].
            let a = (10 + shift) / (high - low)
            let hessian = DenseMatrix(rowCount: n, columnCount: n, scalars: symmetric.scalars.map { a * $0 })
                .addingToDiagonal(-shift - a * low)
            let gradient = (0..<n).map { Double(($0 * 7) % 5) - 2 }
            let lowest = SymmetricEigendecomposition(hessian, backend: .swift).minimumEigenvalue!
            let ritz = Newton.lowestRitzValue(hessian, start: gradient)
            #expect(ritz >= lowest - 1e-9 * 10, "n = \(n): θ_min \(ritz) below λ_min \(lowest)")
            if n <= Newton.ritzSteps { #expect(abs(ritz - lowest) < 1e-9, "n = \(n): \(ritz) vs \(lowest)") }
            // The reference: every grid point in turn, as before the Ritz value.
            let safeguard = Newton.Safeguard()
            let scale = Newton.hessianScale(hessian)
            let minimumPivot = Double(n) * Double.ulpOfOne * scale
            var reference = 0.0
            while true {
                if let factors = CholeskyFactorization(hessian.addingToDiagonal(reference), minimumPivot: minimumPivot),
                   zip(factors.solve(gradient), gradient).map(*).reduce(0, +) > 0 { break }
                reference = reference == 0 ? safeguard.initialDamping * scale : reference * safeguard.growthFactor
            }
            #expect(Newton.direction(hessian: hessian, gradient: gradient, safeguard: safeguard).damping == reference, "n = \(n)")
        }
    }

    @Test("the safeguard leaves a positive-definite Hessian alone, and scales from off-diagonals")
    func safeguardOnDefinite() {
        let definite = DenseMatrix(rows: [[2, 1], [1, 2]])
        let (direction, damping) = Newton.direction(hessian: definite, gradient: [3, 3])
        #expect(damping == 0)
        #expect(zip(direction, [-1.0, -1]).allSatisfy { abs($0 - $1) < 1e-14 })
        // Zero diagonal: the scale is the largest entry (1), so λ runs 10⁻⁶, …, 10 (> 1).
        let (_, offDiagonal) = Newton.direction(hessian: DenseMatrix(rows: [[0, 1], [1, 0]]), gradient: [1, 0])
        #expect(abs(offDiagonal - 10) < 1e-9)
        // A Hessian with NaN falls back to steepest descent.
        let (fallback, infinite) = Newton.direction(hessian: DenseMatrix(rows: [[.nan, 0], [0, 2]]), gradient: [1, 1])
        #expect(infinite == .infinity)
        #expect(fallback == [-0.5, -0.5])
    }

    @Test("too many parameters: a clear error with the count and the memory")
    func problemTooLarge() throws {
        let big = Parameter(Tensor.zeros([50, 100], dtype: .float64))
        #expect {
            try Newton(parameters: [big])
        } throws: { error in
            // 5000² × 8 bytes = 200,000,000 bytes = 190.7 MiB.
            let message = String(describing: error)
            return message.contains("5000 trainable parameters") && message.contains("190.7 MiB")
                && message.contains("4096") && (error as? OptimizerError).map {
                    if case .problemTooLarge = $0 { true } else { false }
                } ?? false
        }
        // The limit is configurable, and checked again at each step (a parameter unfrozen later).
        let small = Parameter(Tensor.zeros([3], dtype: .float64))
        let frozen = Parameter(Tensor.zeros([3], dtype: .float64), frozen: true)
        let newton = try Newton(parameters: [small, frozen], maximumParameterCount: 4)
        frozen.isFrozen = false
        #expect(throws: OptimizerError.problemTooLarge(
            "Newton: 6 trainable parameters need a dense 6 × 6 Hessian of 288 bytes (n² × 8 bytes); "
                + "the limit is 4 parameters (128 bytes). Use Newton-CG (Hessian-free) or raise the limit (maximumParameterCount).")) {
            try newton.step { (small.value * frozen.value).sum() }
        }
    }

    @Test("byte counts in binary units", arguments: [
        (512, "512 bytes"), (1536, "1.5 KiB"), (128 * 1024 * 1024, "128.0 MiB"), (3 * 1024 * 1024 * 1024, "3.0 GiB"),
    ] as [(Double, String)])
    func byteCounts(bytes: Double, text: String) {
        #expect(formattedByteCount(bytes) == text)
    }

    @Test("frozen parameters stay put; step() uses the objective")
    func frozenAndObjective() throws {
        let problem = QuadraticProblem(seed: 14)
        problem.second.isFrozen = true
        let frozenValue = problem.second.value.asArray(Double.self)
        let newton = try Newton(parameters: problem.parameters, objective: problem.loss)
        newton.step()
        #expect(problem.second.value.asArray(Double.self) == frozenValue)
        #expect(problem.second.value.isFrozenLeaf)
        // The free block solves its own 3 × 3 system: A₁₁θ₁ = b₁ − A₁₂θ₂, so ∇f vanishes there.
        let after = try Newton(parameters: [problem.first], gradientTolerance: 1e-9)
        try after.step(loss: problem.loss)
        #expect(after.lastStep?.outcome == .converged)
    }

    @Test("invalid options throw")
    func invalidOptions() {
        let p = Parameter(Tensor.zeros([2], dtype: .float64))
        #expect(throws: OptimizerError.self) { try Newton(parameters: [p], learningRate: 0) }
        #expect(throws: OptimizerError.self) { try Newton(parameters: [p], gradientTolerance: -1) }
        #expect(throws: OptimizerError.self) { try Newton(parameters: [p], lineSearch: .backtracking(contraction: 1)) }
        #expect(throws: OptimizerError.self) { try Newton(parameters: [p], safeguard: .init(growthFactor: 1)) }
    }

    @Test("state: only the step count, round trip and mismatch")
    func state() throws {
        let problem = QuadraticProblem(seed: 15)
        let newton = try Newton(parameters: problem.parameters)
        try newton.step(loss: problem.loss)
        let saved = newton.stateDictionary()
        let other = try Newton(parameters: problem.parameters)
        try other.loadStateDictionary(saved)
        #expect(other.stepCount == 1)
        #expect(throws: OptimizerError.self) { try other.loadStateDictionary(["0.momentum": Tensor(1)]) }
        #expect(other.stepCount == 1)
    }
}

extension Tensor {
    /// A leaf that does not require a gradient (what a frozen parameter holds).
    fileprivate var isFrozenLeaf: Bool { isLeaf && !requiresGradient }
}
