import Foundation
import Loom
import LoomNN
import Testing

@testable import LoomExperiments

@Suite("Experiments: initialization")
struct ExperimentInitializationTests {
    /// A 12-layer, width-128 version of `init-variance` with 2 weight draws: seconds, not a minute.
    func tinyInitVariance() -> InitVarianceExperiment {
        var experiment = InitVarianceExperiment()
        experiment.depth = 12
        experiment.width = 128
        experiment.batchSize = 128
        experiment.networks = 2
        return experiment
    }

    @Test("N(0, c/n): linear layers multiply the activation variance by c, ReLU layers by c/2")
    func variancePropagation() {
        let experiment = tinyInitVariance()
        let cases: [(Activation, Double, Double)] = [(.relu, 1, 0.5), (.relu, 2, 1), (.relu, 3, 1.5), (.identity, 1, 1), (.identity, 2, 2)]
        for (activation, c, predicted) in cases {
            let profile = experiment.profile(name: "\(activation) \(c)", activation: activation, initializer: .varianceScaling(scale: c))
            #expect(profile.activationVariances.count == experiment.depth - 1)
            #expect(Swift.abs(profile.predictedFactor / predicted - 1) < 1e-12)
            #expect(Swift.abs(profile.fittedFactor / predicted - 1) < 0.1, "\(activation), c = \(c): factor \(profile.fittedFactor), predicted \(predicted)")
        }
    }

    @Test("on non-square layers Xavier is n_in/(n_in + n_out) per ReLU layer, not ½, and Kaiming stays level")
    func nonSquareLayers() {
        let experiment = tinyInitVariance()
        let xavier = experiment.profile(name: "Xavier", activation: .relu, initializer: .xavierNormal(), squareLayers: false)
        // Widths alternate 128 and 256: factors 128/384 and 256/384, geometric mean √2/3.
        #expect(Swift.abs(xavier.predictedFactor - 2.0.squareRoot() / 3) < 1e-9)
        #expect(Swift.abs(xavier.fittedFactor / xavier.predictedFactor - 1) < 0.05, "Xavier: \(xavier.fittedFactor)")
        let kaiming = experiment.profile(name: "Kaiming", activation: .relu, initializer: .kaimingNormal(), squareLayers: false)
        #expect(Swift.abs(kaiming.predictedFactor - 1) < 1e-9)
        #expect(experiment.verdict(for: kaiming).agrees, "\(experiment.verdict(for: kaiming).line)")
    }

    @Test("ReLU with 1/n vanishes (about half per layer), Kaiming stays level, and the gradients follow")
    func vanishingAgainstKaiming() {
        let experiment = tinyInitVariance()
        let small = experiment.profile(name: "1/n", activation: .relu, initializer: .varianceScaling(scale: 1))
        let kaiming = experiment.profile(name: "Kaiming", activation: .relu, initializer: .kaimingNormal(nonlinearity: .relu))
        let layers = Double(small.activationVariances.count - 1)
        #expect(small.activationVariances.last! / small.activationVariances.first! < pow(0.6, layers))
        let kaimingRatio = kaiming.activationVariances.last! / kaiming.activationVariances.first!
        #expect(kaimingRatio > 0.5 && kaimingRatio < 2, "Kaiming: variance changed by \(kaimingRatio) over \(layers) layers")
        // ‖∇W‖ scales like (c/2)^(L/2): far smaller with 1/n than with 2/n.
        #expect(small.gradientNorms.max()! < 0.1 * kaiming.gradientNorms.min()!)
    }

    @Test("init-variance's verdicts agree on a small grid and it draws two figures")
    func initVarianceResult() throws {
        var experiment = tinyInitVariance()
        experiment.scales = [1, 2]
        let result = try experiment.run(log: { _ in })
        #expect(result.verdicts.count == 6)
        #expect(result.agrees, "\(result.verdicts.filter { !$0.agrees }.map(\.line))")
        #expect(result.verdicts.allSatisfy { !$0.refutedBy.isEmpty })
        #expect(result.figures.map(\.name) == ["activation-variance", "gradient-norm"])
        #expect(result.figures[0].yAxis.scale == .logarithmic)
    }

    /// `zero-init` on 300 digits for 3 epochs.
    func tinyZeroInit() -> ZeroInitExperiment {
        var experiment = ZeroInitExperiment()
        experiment.data = ExperimentData(limit: 400)
        experiment.hiddenWidths = [16, 16]
        experiment.epochs = 8
        return experiment
    }

    @Test("W = 0 gives exactly zero weight gradients and a loss at log(classes); all-equal units stay identical")
    func zeroAndEqualInitialization() throws {
        let outcomes = try tinyZeroInit().outcomes()
        let (zero, equal, kaiming) = (outcomes[0], outcomes[1], outcomes[2])
        #expect(zero.initialGradientNorms.dropLast().allSatisfy { $0 == 0 })
        #expect(Swift.abs(zero.finalTrainLoss - log(10)) < 0.1)
        #expect(zero.hiddenUnitSpread == 0)
        #expect(equal.initialGradientNorms.allSatisfy { $0 > 0 })
        #expect(equal.hiddenUnitSpread <= 1e-5)
        #expect(kaiming.hiddenUnitSpread > 0.1)
        #expect(kaiming.finalTrainLoss < zero.finalTrainLoss / 2)
    }
}
