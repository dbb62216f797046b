import Loom
import LoomNN
import Testing

@testable import LoomOptimizers

/// The one step form every optimizer shares.
@Suite("Optimizer base")
struct OptimizerBaseTests {
    func problem() -> (Parameter, () -> Tensor) {
        var generator = SeededGenerator(seed: 3)
        let w = Parameter(Tensor.normal([5], using: &generator))
        let x = Tensor.normal([8, 5], using: &generator)
        return (w, { { let r = x.matmul(w.value.reshaped([5, 1])).tanh() - 0.5; return (r * r).mean() }() })
    }

    @Test("step(loss:) on a first-order optimizer is backward then step, and reports the loss",
          arguments: OptimizerChoice.Name.allCases.filter { !OptimizerChoice(defaultsFor: $0).requiresLossClosure })
    func closureStepMatchesManualStep(name: OptimizerChoice.Name) throws {
        let (a, lossA) = problem(), (b, lossB) = problem()
        var choice = OptimizerChoice(defaultsFor: name)
        choice.learningRate = 0.05
        let closure = try choice.makeOptimizer(parameters: [a]), manual = try choice.makeOptimizer(parameters: [b])
        for _ in 0..<3 {
            let report = try closure.step(loss: lossA)
            let value = lossB()
            b.zeroGradient()
            value.backward()
            try manual.step(loss: nil)
            #expect(report.loss == value.item(Double.self))
        }
        #expect(a.value.asArray(Float.self) == b.value.asArray(Float.self))
        #expect(closure.stepCount == 3)
    }

    @Test("a Newton-type step without a loss closure throws instead of trapping")
    func newtonNeedsClosure() throws {
        let (w, _) = problem()
        let newton = try Newton(parameters: [w])
        #expect(newton.requiresLossClosure)
        #expect(throws: OptimizerError.missingLossClosure("Newton")) { try newton.step(loss: nil) }
    }

    @Test("state saved with a held point restores it; an optimizer without one refuses such a key")
    func heldPointState() throws {
        let (w, loss) = problem()
        let sgd = try SGD(parameters: [w], learningRate: 0.1, momentum: 0.9, nesterov: true)
        for _ in 0..<3 { try sgd.step(loss: loss) }
        let state = sgd.stateDictionary()
        #expect(state["0.heldPoint"]?.asArray(Float.self) == w.value.asArray(Float.self))
        let (v, _) = problem()
        let restored = try SGD(parameters: [v], learningRate: 0.1, momentum: 0.9, nesterov: true)
        try restored.loadStateDictionary(state)
        #expect(v.value.asArray(Float.self) == w.value.asArray(Float.self))
        #expect(restored.iterate(of: v).asArray(Float.self) == sgd.iterate(of: w).asArray(Float.self))
        let plain = try SGD(parameters: [v], learningRate: 0.1, momentum: 0.9)
        #expect(throws: OptimizerError.self) { try plain.loadStateDictionary(state) }
    }
}
