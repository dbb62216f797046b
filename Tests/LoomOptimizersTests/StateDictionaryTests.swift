import Loom
import LoomNN
@testable import LoomOptimizers
import Testing

@Suite("Optimizer state")
struct StateDictionaryTests {
    typealias Factory = ReferenceTrajectoryTests.Factory

    static let configurations: [String: Factory] = [
        "sgd heavy ball, Nesterov": {
            try SGD(parameters: $0, learningRate: 0.05, momentum: 0.9, nesterov: true, momentumForm: .heavyBall())
        },
        "sgd lecture Nesterov, bias-corrected": {
            try SGD(parameters: $0, learningRate: 0.1, momentum: 0.8, nesterov: true,
                    momentumForm: .exponentialMovingAverage(biasCorrection: true))
        },
        "adam amsgrad": { try Adam(parameters: $0, learningRate: 0.05, amsgrad: true) },
        "adamW": { try AdamW(parameters: $0, learningRate: 0.05) },
        "rmsprop centered, momentum": { try RMSProp(parameters: $0, learningRate: 0.01, momentum: 0.9, centered: true) },
        "adagrad": { try Adagrad(parameters: $0, learningRate: 0.1, learningRateDecay: 0.1, initialAccumulatorValue: 0.1) },
    ]

    @Test("10 steps, save, restore into fresh parameters and optimizer, 10 more == 20 uninterrupted",
          arguments: configurations.keys.sorted(), [DType.float32, .float64])
    func roundTrip(name: String, dtype: DType) throws {
        let make = try #require(Self.configurations[name])
        let uninterrupted = ReferenceProblem(dtype: dtype)
        let expected = uninterrupted.trajectory(try make(uninterrupted.parameters), steps: 20)

        let first = ReferenceProblem(dtype: dtype)
        let firstOptimizer = try make(first.parameters)
        _ = first.trajectory(firstOptimizer, steps: 10)
        let saved = firstOptimizer.stateDictionary()
        #expect(saved["stepCount"]?.item(Double.self) == 10)

        let resumed = ReferenceProblem(dtype: dtype)
        resumed.weight.value = first.weight.value.detached()
        resumed.bias.value = first.bias.value.detached()
        let resumedOptimizer = try make(resumed.parameters)
        try resumedOptimizer.loadStateDictionary(saved)
        #expect(resumedOptimizer.stepCount == 10)
        let continued = resumed.trajectory(resumedOptimizer, steps: 10)
        #expect(continued == Array(expected[10...]), "\(name) \(dtype): the resumed run differs")
    }

    @Test("a saved dictionary is a snapshot: later steps do not change it")
    func snapshot() throws {
        let problem = ReferenceProblem(dtype: .float32)
        let adam = try Adam(parameters: problem.parameters)
        _ = problem.trajectory(adam, steps: 2)
        let saved = adam.stateDictionary()
        let moment = saved["0.firstMoment"]!.asArray(Double.self)
        _ = problem.trajectory(adam, steps: 2)
        #expect(saved["0.firstMoment"]!.asArray(Double.self) == moment)
        #expect(adam.stateDictionary()["0.firstMoment"]!.asArray(Double.self) != moment)
    }

    @Test("a dictionary that does not fit throws and leaves the state unchanged", arguments: [
        "wrong shape", "wrong dtype", "missing buffer", "unknown key", "index out of range", "missing stepCount", "bad step",
    ])
    func mismatch(_ defect: String) throws {
        let problem = ReferenceProblem(dtype: .float32)
        let adam = try Adam(parameters: problem.parameters, amsgrad: true)
        _ = problem.trajectory(adam, steps: 3)
        let before = adam.stateDictionary()
        var state = before
        switch defect {
        case "wrong shape": state["0.secondMoment"] = Tensor.zeros([8])
        case "wrong dtype": state["1.firstMoment"] = Tensor.zeros([3], dtype: .float64)
        case "missing buffer": state["1.maximumSecondMoment"] = nil
        case "unknown key": state["0.momentumBuffer"] = Tensor.zeros([2, 4])
        case "index out of range": state["2.step"] = Tensor(1, dtype: .int64)
        case "missing stepCount": state["stepCount"] = nil
        default: state["0.step"] = Tensor(1.5, dtype: .float64)
        }
        #expect(throws: OptimizerError.self, "\(defect)") { try adam.loadStateDictionary(state) }
        let after = adam.stateDictionary()
        #expect(Set(after.keys) == Set(before.keys))
        for (key, tensor) in before {
            #expect(after[key]!.asArray(Double.self) == tensor.asArray(Double.self), "\(defect): \(key) changed")
        }
        #expect(adam.stepCount == 3)
    }

    @Test("loading an empty state (only the step count) resets the per-parameter state")
    func emptyState() throws {
        let problem = ReferenceProblem(dtype: .float64)
        let sgd = try SGD(parameters: problem.parameters, learningRate: 0.1, momentum: 0.9)
        _ = problem.trajectory(sgd, steps: 2)
        try sgd.loadStateDictionary(["stepCount": Tensor(0, dtype: .int64)])
        #expect(sgd.stateDictionary().keys.sorted() == ["stepCount"])
    }
}
