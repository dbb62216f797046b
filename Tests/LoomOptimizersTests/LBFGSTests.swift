import Foundation
import Loom
import LoomNN
import LoomOptimizers
import Testing

@Suite("L-BFGS")
struct LBFGSTests {
    /// The extended Rosenbrock function of Scripts/reference/lbfgs_reference.py on a [6]
    /// parameter: odd entries picked by exact 0/1 products.
    static func rosenbrock(_ x: Parameter) -> () -> Tensor {
        let pickFirst = Tensor(shape: [2, 1], scalars: [1.0, 0], dtype: .float64)
        let pickSecond = Tensor(shape: [2, 1], scalars: [0.0, 1], dtype: .float64)
        return {
            let pairs = x.value.reshaped([3, 2])
            let odd = pairs.matmul(pickFirst), even = pairs.matmul(pickSecond)
            let curve = even - odd * odd, offset = 1 - odd
            return (curve * curve * 100 + offset * offset).sum()
        }
    }

    static func hyperparameters(_ name: String) -> LBFGS.Hyperparameters {
        switch name {
        case "strongWolfe": LBFGS.Hyperparameters(usesStrongWolfe: true)
        case "strongWolfeHistory3": LBFGS.Hyperparameters(maximumIterations: 10, historySize: 3, usesStrongWolfe: true)
        case "fixedSteps": LBFGS.Hyperparameters(learningRate: 0.05, maximumIterations: 8)
        default: preconditionFailure("unknown configuration \(name)")
        }
    }

    @Test("trajectories match torch.optim.LBFGS (float64)", arguments: ["strongWolfe", "strongWolfeHistory3", "fixedSteps"])
    func matchesPyTorch(name: String) throws {
        let reference = try #require(LBFGSReferenceData.runs[name])
        let x = Parameter(Tensor(shape: [6], scalars: LBFGSReferenceData.start, dtype: .float64))
        let optimizer = try LBFGS(parameters: [x], Self.hyperparameters(name))
        let loss = Self.rosenbrock(x)
        for (step, (point, value)) in zip(reference.points, reference.losses).enumerated() {
            try optimizer.step(loss: loss)
            let here = x.value.asArray(Double.self)
            #expect(zip(here, point).allSatisfy { abs($0 - $1) <= 1e-8 * max(1, abs($1)) }, "\(name) step \(step + 1): \(here) vs \(point)")
            let measured = withoutGradients { loss() }.item(Double.self)
            #expect(abs(measured - value) <= 1e-8 * max(abs(value), 1e-4), "\(name) step \(step + 1): loss \(measured) vs \(value)")
        }
        #expect(optimizer.iterationCount == reference.iterations)
        #expect(optimizer.evaluationCount == reference.evaluations)
    }

    @Test("a quadratic: converges to A⁻¹b; options validate and decode with defaults")
    func quadraticAndOptions() throws {
        let a = DenseMatrix(rows: [[3, 1, 0], [1, 4, 1], [0, 1, 5]])
        let b = [1.0, -2, 3]
        let x = Parameter(Tensor.zeros([3], dtype: .float64))
        let matrix = a.tensor(), vector = Tensor(shape: [3], scalars: b, dtype: .float64)
        let loss = { (x.value * matrix.matmul(x.value) * 0.5).sum() - (vector * x.value).sum() }
        // PyTorch's loss-change tolerance (10⁻⁹) would stop at ~10⁻⁵ from x*: turn it off here.
        let optimizer = try LBFGS(parameters: [x], LBFGS.Hyperparameters(gradientTolerance: 1e-12, changeTolerance: 0, usesStrongWolfe: true))
        try optimizer.step(loss: loss)
        let solution = try #require(CholeskyFactorization(a)).solve(b)
        #expect(zip(x.value.asArray(Double.self), solution).allSatisfy { abs($0 - $1) < 1e-7 }, "\(x.value.asArray(Double.self)) vs \(solution)")
        #expect(throws: OptimizerError.self) { try LBFGS(parameters: [x], LBFGS.Hyperparameters(historySize: 0)) }
        #expect(throws: OptimizerError.self) { try LBFGS(parameters: [x]).step(loss: nil) }
        let decoded = try JSONDecoder().decode(LBFGS.Hyperparameters.self, from: Data(#"{"historySize": 7}"#.utf8))
        #expect(decoded == LBFGS.Hyperparameters(historySize: 7))
        let encoded = try JSONEncoder().encode(LBFGS.Hyperparameters(maximumEvaluations: 9, usesStrongWolfe: true))
        #expect(try JSONDecoder().decode(LBFGS.Hyperparameters.self, from: encoded) == LBFGS.Hyperparameters(maximumEvaluations: 9, usesStrongWolfe: true))
    }
}
