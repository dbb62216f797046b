import Loom
import LoomNN
import LoomOptimizers
import Testing

@Suite("Hyperparameter validation")
struct HyperparameterTests {
    static var parameters: [Parameter] { [Parameter(Tensor([1.0]))] }

    /// Each case: a label, the hyperparameter the error must name, and the construction.
    static let cases: [(String, String, @Sendable () throws -> Void)] = [
        ("negative learning rate", "learningRate", { _ = try SGD(parameters: parameters, learningRate: -1) }),
        ("NaN learning rate", "learningRate", { _ = try Adam(parameters: parameters, learningRate: .nan) }),
        ("negative weight decay", "weightDecay", { _ = try SGD(parameters: parameters, weightDecay: -0.1) }),
        ("moving-average momentum 1", "momentum", { _ = try SGD(parameters: parameters, momentum: 1) }),
        ("negative heavy-ball momentum", "momentum", {
            _ = try SGD(parameters: parameters, momentum: -0.5, momentumForm: .heavyBall())
        }),
        ("Nesterov without momentum", "momentum", { _ = try SGD(parameters: parameters, nesterov: true) }),
        ("Nesterov with dampening", "dampening", {
            _ = try SGD(parameters: parameters, momentum: 0.9, nesterov: true, momentumForm: .heavyBall(dampening: 0.1))
        }),
        ("beta1 of 1", "beta1", { _ = try Adam(parameters: parameters, beta1: 1) }),
        ("negative beta2", "beta2", { _ = try AdamW(parameters: parameters, beta2: -0.1) }),
        ("negative epsilon", "epsilon", { _ = try Adam(parameters: parameters, epsilon: -1e-8) }),
        ("negative AdamW decay", "weightDecay", { _ = try AdamW(parameters: parameters, weightDecay: -1) }),
        ("negative alpha", "alpha", { _ = try RMSProp(parameters: parameters, alpha: -0.5) }),
        ("negative RMSProp momentum", "momentum", { _ = try RMSProp(parameters: parameters, momentum: -1) }),
        ("infinite RMSProp epsilon", "epsilon", { _ = try RMSProp(parameters: parameters, epsilon: .infinity) }),
        ("negative learning-rate decay", "learningRateDecay", { _ = try Adagrad(parameters: parameters, learningRateDecay: -1) }),
        ("negative initial accumulator", "initialAccumulatorValue", {
            _ = try Adagrad(parameters: parameters, initialAccumulatorValue: -1)
        }),
        ("step size 0", "stepSize", { _ = try StepDecay(initialLearningRate: 0.1, stepSize: 0) }),
        ("negative gamma", "gamma", { _ = try ExponentialDecay(initialLearningRate: 0.1, gamma: -1) }),
        ("cosine period 0", "period", { _ = try CosineAnnealing(initialLearningRate: 0.1, period: 0) }),
        ("cosine minimum above start", "minimumLearningRate", {
            _ = try CosineAnnealing(initialLearningRate: 0.1, period: 5, minimumLearningRate: 0.2)
        }),
        ("warm-up start factor 2", "startFactor", {
            _ = try LinearWarmup(steps: 3, startFactor: 2, then: ConstantLearningRate(0.1))
        }),
        ("negative clipping norm", "maximumNorm", { _ = try clipGradientNorm(of: parameters, maximumNorm: -1) }),
    ]

    @Test("invalid hyperparameters throw invalidHyperparameter naming the culprit", arguments: cases.indices)
    func invalid(_ index: Int) {
        let (label, name, construct) = Self.cases[index]
        do {
            try construct()
            Issue.record("\(label): no error")
        } catch let OptimizerError.invalidHyperparameter(culprit, _, requirement) {
            #expect(culprit == name, "\(label): named \(culprit)")
            #expect(!requirement.isEmpty)
        } catch {
            Issue.record("\(label): unexpected \(error)")
        }
    }

    @Test("the boundary values PyTorch accepts are accepted")
    func boundaries() throws {
        _ = try SGD(parameters: Self.parameters, learningRate: 0, momentum: 0.999)
        _ = try SGD(parameters: Self.parameters, momentum: 2, momentumForm: .heavyBall(dampening: 1))
        _ = try Adam(parameters: Self.parameters, beta1: 0, beta2: 0, epsilon: 0)
        _ = try RMSProp(parameters: Self.parameters, alpha: 0, centered: true)
        _ = try Adagrad(parameters: Self.parameters, epsilon: 0)
    }

    @Test("errors describe themselves")
    func description() {
        let error = OptimizerError.invalidHyperparameter(name: "beta1", value: 1, requirement: "must be in [0, 1)")
        #expect(error.description == "invalid beta1 1.0: must be in [0, 1)")
    }
}
