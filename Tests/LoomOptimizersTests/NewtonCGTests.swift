import Loom
import LoomNN
@testable import LoomOptimizers
import Testing

@Suite("NewtonCG")
struct NewtonCGTests {
    @Test("with a tight tolerance, one step matches Newton's step on softmax regression")
    func matchesNewton() throws {
        let exact = SoftmaxRegressionProblem(seed: 41)
        let free = SoftmaxRegressionProblem(seed: 41)
        // Start away from zero so the step is not special.
        for problem in [exact, free] {
            var generator = SeededGenerator(seed: 42)
            problem.weight.value = Tensor.normal([8, 3], standardDeviation: 0.3, dtype: .float64, using: &generator)
        }
        let newton = try Newton(parameters: exact.parameters)
        let newtonCG = try NewtonCG(parameters: free.parameters, residualTolerance: .relative(1e-12))
        try newton.step(loss: exact.loss)
        try newtonCG.step(loss: free.loss)
        let a = exact.weight.value.asArray(Double.self) + exact.bias.value.asArray(Double.self)
        let b = free.weight.value.asArray(Double.self) + free.bias.value.asArray(Double.self)
        #expect(maximumDifference(a, b) < 1e-9 * max(1, euclideanNorm(a)))
        let report = try #require(newtonCG.lastStep)
        #expect(report.conjugateGradientIterations <= 27)
        #expect(!report.foundNegativeCurvature)
    }

    @Test("a full step on a quadratic lands on A⁻¹b within n iterations")
    func quadratic() throws {
        let problem = QuadraticProblem(seed: 43)
        let newtonCG = try NewtonCG(parameters: problem.parameters, residualTolerance: .relative(1e-13))
        try newtonCG.step(loss: problem.loss)
        #expect(maximumDifference(problem.theta, problem.minimizer) < 1e-9)
        #expect(newtonCG.lastStep!.conjugateGradientIterations <= 5)
    }

    @Test("Hessian-vector products agree with the dense Hessian")
    func hessianVectorProducts() {
        let problem = TanhNetworkProblem(seed: 44)
        let model = FlatParameters(problem.parameters).secondOrderModel(problem.loss)
        let hessian = model.hessian()
        var generator = SeededGenerator(seed: 45)
        let v = Tensor.normal([model.gradient.count], dtype: .float64, using: &generator).asArray(Double.self)
        #expect(maximumDifference(model.hessianVectorProduct(v), hessian * v) < 1e-12)
    }

    @Test("CG stops at negative curvature with a descent direction")
    func negativeCurvature() {
        let h = DenseMatrix(rows: [[2, 0, 0], [0, 1, 0], [0, 0, -1]])
        // First direction −g has positive curvature (2 + 1 − 0.25·… > 0); a later one does not.
        let g = [1.0, 1, 0.5]
        let result = NewtonCG.conjugateGradient(gradient: g, tolerance: 1e-12, maximumIterations: 10) { h * $0 }
        #expect(result.foundNegativeCurvature)
        #expect(result.iterations >= 2)
        #expect(zip(result.direction, g).map(*).reduce(0, +) < 0)
        // Negative curvature along −g itself: the direction is −g.
        let first = NewtonCG.conjugateGradient(gradient: [0, 0, 1], tolerance: 1e-12, maximumIterations: 10) { h * $0 }
        #expect(first.foundNegativeCurvature && first.iterations == 1)
        #expect(first.direction == [0, 0, -1])
    }

    @Test("with a line search on a tanh network, the loss never increases")
    func nonConvexNetwork() throws {
        let problem = TanhNetworkProblem(seed: 31)
        let newtonCG = try NewtonCG(parameters: problem.parameters, lineSearch: .armijo)
        var previous = withoutGradients { problem.loss().item(Double.self) }
        let initial = previous
        for _ in 0..<20 {
            try newtonCG.step(loss: problem.loss)
            let now = withoutGradients { problem.loss().item(Double.self) }
            #expect(now <= previous)
            previous = now
        }
        #expect(previous < initial)
    }

    @Test("the iteration cap is honoured and step() uses the objective")
    func iterationCap() throws {
        let problem = SoftmaxRegressionProblem(seed: 46)
        let newtonCG = try NewtonCG(
            parameters: problem.parameters, residualTolerance: .relative(1e-12), maximumIterations: 3, objective: problem.loss)
        newtonCG.step()
        #expect(newtonCG.lastStep?.conjugateGradientIterations == 3)
        #expect(newtonCG.stepCount == 1)
        #expect(throws: OptimizerError.self) { try NewtonCG(parameters: problem.parameters, maximumIterations: 0) }
        #expect(throws: OptimizerError.self) { try NewtonCG(parameters: problem.parameters, residualTolerance: .relative(1)) }
    }
}
