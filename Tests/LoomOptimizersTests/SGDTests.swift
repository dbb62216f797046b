import Loom
import LoomNN
@testable import LoomOptimizers
import Testing

@Suite("SGD")
struct SGDTests {
    /// One call of the pure update on arrays; returns (θ, u).
    func update(_ theta: [Double], _ gradient: [Double], _ velocity: [Double]?, _ rule: SGD.Rule) -> ([Double], [Double]?) {
        var p = theta, u = velocity
        p.withUnsafeMutableBufferPointer { p in
            gradient.withUnsafeBufferPointer { g in
                if u != nil {
                    u!.withUnsafeMutableBufferPointer { SGD.update(parameter: p, gradient: g, momentumBuffer: $0, rule: rule) }
                } else {
                    SGD.update(parameter: p, gradient: g, momentumBuffer: nil, rule: rule)
                }
            }
        }
        return (p, u)
    }

    @Test("plain step with weight decay: θ − α(g + λθ), by hand")
    func plainStep() {
        let (p, _) = update([1, -2], [0.5, 0.25], nil, .plain(learningRate: 0.1, weightDecay: 0.1))
        #expect(p == [1 - 0.1 * (0.5 + 0.1), -2 - 0.1 * (0.25 - 0.2)])
    }

    @Test("heavy ball: u = g on the first step, then βu + (1 − d)g; Nesterov steps along g + βu")
    func heavyBall() {
        let first = update([1], [2], [0], .heavyBall(learningRate: 0.1, weightDecay: 0, momentum: 0.9, dampening: 0, nesterov: false))
        #expect(first.1 == [2] && first.0 == [1 - 0.1 * 2])
        let second = update(first.0, [1], first.1, .heavyBall(learningRate: 0.1, weightDecay: 0, momentum: 0.9, dampening: 0.5, nesterov: false))
        #expect(second.1 == [0.9 * 2 + 0.5 * 1])
        #expect(second.0 == [0.8 - 0.1 * 2.3])
        let nesterov = update([1], [1], [2], .heavyBall(learningRate: 0.1, weightDecay: 0, momentum: 0.9, dampening: 0, nesterov: true))
        #expect(nesterov.1 == [2.8])
        #expect(nesterov.0 == [1 - 0.1 * (1 + 0.9 * 2.8)])
    }

    @Test("the optimizer uses dampening from the second step on, as PyTorch")
    func dampeningStartsOnSecondStep() throws {
        let parameter = Parameter(Tensor([1.0], dtype: .float64))
        let sgd = try SGD(parameters: [parameter], learningRate: 0.1, momentum: 0.9, momentumForm: .heavyBall(dampening: 0.5))
        parameter.gradient = Tensor([2.0], dtype: .float64)
        sgd.step()
        #expect(parameter.value.asArray(Double.self) == [0.8])   // u = g, not (1 − d) g
        sgd.step()
        #expect(parameter.value.asArray(Double.self) == [0.8 - 0.1 * (0.9 * 2 + 0.5 * 2)])
    }

    @Test("moving average: with bias correction the first step is exactly α g")
    func movingAverageFirstStep() throws {
        for (biasCorrection, expected) in [(true, 1 - 0.1 * 0.5), (false, 1 - 0.1 * (0.1 * 0.5))] {
            let parameter = Parameter(Tensor([1.0], dtype: .float64))
            let sgd = try SGD(parameters: [parameter], learningRate: 0.1, momentum: 0.9,
                              momentumForm: .exponentialMovingAverage(biasCorrection: biasCorrection))
            parameter.gradient = Tensor([0.5], dtype: .float64)
            sgd.step()
            let value = parameter.value.item(Double.self)
            #expect(abs(value - expected) <= 1e-15, "biasCorrection \(biasCorrection): \(value) vs \(expected)")
        }
    }

    @Test("moving average, two steps with bias correction, by hand")
    func movingAverageTwoSteps() {
        // β = 0.5, α = 1: u₁ = 0.5·2 = 1, θ₁ = 1 − 1/(1 − 0.5) = −1; u₂ = 0.5 + 0.5·4 = 2.5,
        // θ₂ = −1 − 2.5/(1 − 0.25).
        let one = update([1], [2], [0], .movingAverage(weightDecay: 0, momentum: 0.5, stepScale: 1 / 0.5))
        #expect(one.0 == [-1] && one.1 == [1])
        let two = update(one.0, [4], one.1, .movingAverage(weightDecay: 0, momentum: 0.5, stepScale: 1 / 0.75))
        #expect(abs(two.0[0] - (-1 - 2.5 / 0.75)) <= 1e-15 && two.1 == [2.5])
    }

    @Test("the lecture's Nesterov: the stored point is θ − αu, and the gradient is taken there")
    func lectureNesterovLookAhead() throws {
        // f(θ) = ½ c θ², ∇f = cθ. Track θ by the lecture's formulas and compare with iterate(of:)
        // and the stored look-ahead point.
        let (c, alpha, beta) = (3.0, 0.1, 0.5)
        let parameter = Parameter(Tensor([1.0], dtype: .float64))
        let sgd = try SGD(parameters: [parameter], learningRate: alpha, momentum: beta, nesterov: true)
        var theta = 1.0, u = 0.0
        for step in 1...4 {
            let lookAhead = theta - alpha * u
            #expect(abs(parameter.value.item(Double.self) - lookAhead) <= 1e-15, "step \(step): stored point")
            parameter.gradient = Tensor([c * parameter.value.item(Double.self)], dtype: .float64)
            sgd.step()
            u = beta * u + (1 - beta) * c * lookAhead
            theta -= alpha * u
            #expect(abs(sgd.iterate(of: parameter).item(Double.self) - theta) <= 1e-15, "step \(step): θ")
        }
    }

    @Test("float32 and float64 parameters step alike; frozen ones and ones without a gradient do not move")
    func dtypesAndSkipping() throws {
        let single = Parameter(Tensor([1, 2], dtype: .float32))
        let double = Parameter(Tensor([1, 2], dtype: .float64))
        let frozen = Parameter(Tensor([5]), frozen: true)
        let idle = Parameter(Tensor([7]))
        let sgd = try SGD(parameters: [single, double, frozen, idle], learningRate: 0.5, momentum: 0.9, momentumForm: .heavyBall())
        single.gradient = Tensor([1, -1], dtype: .float32)
        double.gradient = Tensor([1, -1], dtype: .float64)
        sgd.step()
        #expect(single.value.asArray(Double.self) == [0.5, 2.5])
        #expect(double.value.asArray(Double.self) == [0.5, 2.5])
        #expect(single.value.dtype == .float32 && double.value.dtype == .float64)
        #expect(frozen.value.asArray(Double.self) == [5] && idle.value.asArray(Double.self) == [7])
        #expect(Set(sgd.stateDictionary().keys) == ["stepCount", "0.step", "0.momentumBuffer", "1.step", "1.momentumBuffer"])
    }

    @Test("updates in place: no copy of the parameter's storage, no graph recorded")
    func inPlace() throws {
        let parameter = Parameter(Tensor.ones([64]))
        let sgd = try SGD(parameters: [parameter], learningRate: 0.1)
        let address = { parameter.value.withUnsafeScalars(Float.self) { $0.baseAddress } }
        let before = address()
        let loss = { (parameter.value * parameter.value).sum() }
        loss().backward()
        sgd.step()
        #expect(address() == before)
        #expect(parameter.value.isLeaf && parameter.value.requiresGradient && parameter.gradient != nil)
        #expect(parameter.value.asArray(Double.self).allSatisfy { abs($0 - 0.8) < 1e-7 })
    }

    @Test("a parameter listed twice is updated once")
    func duplicates() throws {
        let parameter = Parameter(Tensor([1.0], dtype: .float64))
        let sgd = try SGD(parameters: [parameter, parameter], learningRate: 0.5)
        #expect(sgd.parameters.count == 1)
        parameter.gradient = Tensor([1.0], dtype: .float64)
        sgd.step()
        #expect(parameter.value.item(Double.self) == 0.5)
    }
}
