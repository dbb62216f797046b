import Loom
import LoomNN
@testable import LoomOptimizers
import Testing

/// Trajectories of 25 steps against PyTorch (float32) and NumPy float64 runs of the
/// lecture's formulas, made by `Scripts/reference/optimizers_reference.py`.
@Suite("Reference trajectories")
struct ReferenceTrajectoryTests {
    typealias Factory = @Sendable ([Parameter]) throws -> any Optimizer

    /// The script's PyTorch configurations, in Loom's names.
    static let pytorchConfigurations: [String: Factory] = [
        "sgdPlain": { try SGD(parameters: $0, learningRate: 0.1) },
        "sgdHeavyBall": { try SGD(parameters: $0, learningRate: 0.05, momentum: 0.9, momentumForm: .heavyBall()) },
        "sgdDampening": {
            try SGD(parameters: $0, learningRate: 0.05, momentum: 0.9, momentumForm: .heavyBall(dampening: 0.3))
        },
        "sgdNesterovPyTorch": {
            try SGD(parameters: $0, learningRate: 0.05, momentum: 0.9, nesterov: true, momentumForm: .heavyBall())
        },
        "sgdWeightDecay": { try SGD(parameters: $0, learningRate: 0.1, weightDecay: 0.2) },
        "sgdHeavyBallWeightDecay": {
            try SGD(parameters: $0, learningRate: 0.05, momentum: 0.8, weightDecay: 0.2, momentumForm: .heavyBall())
        },
        "adam": { try Adam(parameters: $0, learningRate: 0.05) },
        "adamWeightDecay": {
            try Adam(parameters: $0, learningRate: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.3)
        },
        "adamW": { try AdamW(parameters: $0, learningRate: 0.05, weightDecay: 0.3) },
        "amsgrad": { try Adam(parameters: $0, learningRate: 0.05, amsgrad: true) },
        "adamWAmsgrad": { try AdamW(parameters: $0, learningRate: 0.05, weightDecay: 0.1, amsgrad: true) },
        "rmsprop": { try RMSProp(parameters: $0, learningRate: 0.01) },
        "rmspropCentered": { try RMSProp(parameters: $0, learningRate: 0.01, centered: true) },
        "rmspropMomentum": { try RMSProp(parameters: $0, learningRate: 0.01, momentum: 0.9) },
        "rmspropCenteredMomentumDecay": {
            try RMSProp(parameters: $0, learningRate: 0.01, alpha: 0.9, epsilon: 1e-4, momentum: 0.5, centered: true,
                        weightDecay: 0.1)
        },
        "adagrad": { try Adagrad(parameters: $0, learningRate: 0.1) },
        "adagradOptions": {
            try Adagrad(parameters: $0, learningRate: 0.1, learningRateDecay: 0.05, initialAccumulatorValue: 0.2,
                        epsilon: 1e-6, weightDecay: 0.1)
        },
    ]

    /// The script's NumPy float64 runs of the lecture's formulas.
    static let lectureConfigurations: [String: Factory] = [
        "emaMomentum": {
            try SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, momentumForm: .exponentialMovingAverage(biasCorrection: false))
        },
        "emaMomentumBiasCorrected": {
            try SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, momentumForm: .exponentialMovingAverage(biasCorrection: true))
        },
        "lectureNesterov": {
            try SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, nesterov: true,
                    momentumForm: .exponentialMovingAverage(biasCorrection: false))
        },
        "lectureNesterovBiasCorrected": {
            try SGD(parameters: $0, learningRate: 0.1, momentum: 0.8, nesterov: true,
                    momentumForm: .exponentialMovingAverage(biasCorrection: true))
        },
        "adamWithoutBiasCorrection": { try Adam(parameters: $0, learningRate: 0.05, biasCorrection: false) },
    ]

    @Test("every reference run has a Loom configuration, and the reverse")
    func coverage() {
        #expect(Set(Self.pytorchConfigurations.keys) == Set(OptimizerReferenceData.pytorch.keys))
        #expect(Set(Self.lectureConfigurations.keys) == Set(OptimizerReferenceData.lecture.keys))
    }

    // Float32 against float32: PyTorch and Loom round differently inside the loss and its
    // gradient (a few ulps), and 25 steps carry that forward. θ is of order 1, so the bound
    // |a − e| ≤ 2e-6 (1 + |e|) is ~17 float32 ulps at 1 (the worst seen is ~4e-7); any
    // algorithmic difference (a missed bias correction, a different dampening on the first
    // step, ε inside the root) moves θ by 1e-4 or more within 25 steps.
    @Test("float32 trajectories match PyTorch", arguments: OptimizerReferenceData.pytorch.keys.sorted())
    func pytorch(name: String) throws {
        let problem = ReferenceProblem(dtype: .float32)
        let factory = try #require(Self.pytorchConfigurations[name])
        let optimizer = try factory(problem.parameters)
        let actual = problem.trajectory(optimizer, steps: OptimizerReferenceData.stepCount)
        let errors = trajectoryErrors(actual, OptimizerReferenceData.pytorch[name]!, floor: 1)
        #expect(errors.relative < 2e-6, "\(name): max relative error \(errors.relative), absolute \(errors.absolute)")
    }

    @Test("float64 trajectories match the lecture's formulas", arguments: OptimizerReferenceData.lecture.keys.sorted())
    func lecture(name: String) throws {
        let problem = ReferenceProblem(dtype: .float64)
        let factory = try #require(Self.lectureConfigurations[name])
        let optimizer = try factory(problem.parameters)
        let iterate = (optimizer as? SGD).map { sgd in { (parameter: Parameter) in sgd.iterate(of: parameter) } }
        let actual = problem.trajectory(optimizer, steps: OptimizerReferenceData.stepCount, iterate: iterate)
        let errors = trajectoryErrors(actual, OptimizerReferenceData.lecture[name]!, floor: 1)
        #expect(errors.relative < 1e-13, "\(name): max relative error \(errors.relative), absolute \(errors.absolute)")
    }
}
