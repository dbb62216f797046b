import Foundation
import Loom
import LoomNN
import LoomOptimizers
import Testing

@Suite("Learning-rate schedules")
struct ScheduleTests {
    func expectRates(_ schedule: some LearningRateSchedule, _ expected: [Double], _ label: String) {
        for (t, rate) in expected.enumerated() {
            let actual = schedule.learningRate(at: t)
            #expect(abs(actual - rate) <= 1e-12 * max(rate, 1e-3), "\(label) t = \(t): \(actual) vs \(rate)")
        }
    }

    @Test("closed forms")
    func closedForms() throws {
        expectRates(try StepDecay(initialLearningRate: 1, stepSize: 3, gamma: 0.5), [1, 1, 1, 0.5, 0.5, 0.5, 0.25], "step")
        expectRates(try ExponentialDecay(initialLearningRate: 2, gamma: 0.5), [2, 1, 0.5, 0.25], "exponential")
        let cosine = try CosineAnnealing(initialLearningRate: 1, period: 4, minimumLearningRate: 0.2)
        expectRates(cosine, (0...4).map { 0.2 + 0.8 * (1 + cos(Double.pi * Double($0) / 4)) / 2 }, "cosine")
        #expect(cosine.learningRate(at: 9) == 0.2, "stays at the minimum past the period")
        let warmup = try LinearWarmup(steps: 4, startFactor: 0, then: ExponentialDecay(initialLearningRate: 1, gamma: 0.5))
        expectRates(warmup, [0, 0.25, 0.5, 0.75, 1, 0.5, 0.25], "warm-up then exponential")
        expectRates(try ConstantLearningRate(0.3).afterWarmup(steps: 2, startFactor: 0.5), [0.15, 0.225, 0.3, 0.3], "afterWarmup")
    }

    @Test("agree with PyTorch's schedulers (base rate 0.1)")
    func pytorch() throws {
        let reference = OptimizerReferenceData.schedules
        expectRates(try StepDecay(initialLearningRate: 0.1, stepSize: 7, gamma: 0.5), reference["step"]!, "StepLR")
        expectRates(try ExponentialDecay(initialLearningRate: 0.1, gamma: 0.9), reference["exponential"]!, "ExponentialLR")
        expectRates(try CosineAnnealing(initialLearningRate: 0.1, period: 29, minimumLearningRate: 0.01),
                    reference["cosine"]!, "CosineAnnealingLR")
        expectRates(try LinearWarmup(steps: 8, startFactor: 0.25, then: ConstantLearningRate(0.1)),
                    reference["linearWarmup"]!, "LinearLR")
        let cosine = try CosineAnnealing(initialLearningRate: 0.1, period: 24, minimumLearningRate: 0.01)
        expectRates(try cosine.afterWarmup(steps: 5, startFactor: 0.25), reference["warmupThenCosine"]!, "SequentialLR")
    }

    @Test("apply(to:at:) sets the optimizer's rate")
    func apply() throws {
        let sgd = try SGD(parameters: [Parameter(Tensor([1.0]))], learningRate: 1)
        try ExponentialDecay(initialLearningRate: 0.4, gamma: 0.5).apply(to: sgd, at: 2)
        #expect(sgd.learningRate == 0.1)
    }
}
