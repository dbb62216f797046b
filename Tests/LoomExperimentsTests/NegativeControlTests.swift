import Foundation
import Loom
import LoomNN
import Testing

@testable import LoomExperiments

/// Negative controls: each experiment's verdict code gets measurements in which the lecture's
/// claim is false, and must disagree. (A verdict that agrees with anything tests nothing.)
@Suite("Experiments: negative controls")
struct NegativeControlTests {
    /// A profile whose variance after hidden layer `l` is `first × factor^(l−1)`.
    func profile(predicted: Double, measured factor: Double, layers: Int = 49, first: Double = 0.668,
                 alternative: (name: String, factor: Double)? = nil) -> InitVarianceExperiment.Profile {
        InitVarianceExperiment.Profile(name: "control", predictedFactor: predicted, alternative: alternative,
                                       activationVariances: (0..<layers).map { first * pow(factor, Double($0)) },
                                       gradientNorms: Array(repeating: 1, count: layers + 1))
    }

    @Test("init-variance: variance that drifts ×0.977 per layer (0.668 → 0.22 over 48 layers) is not \"level\"")
    func initVarianceDrift() {
        let experiment = InitVarianceExperiment()
        #expect(experiment.verdict(for: profile(predicted: 1, measured: 1)).agrees)
        // The run the issue quotes: Kaiming fell 0.668 → 0.224 and the old verdict said "stays level".
        let drifting = profile(predicted: 1, measured: pow(0.224 / 0.668, 1.0 / 48))
        #expect(!experiment.verdict(for: drifting).agrees, "\(experiment.verdict(for: drifting).line)")
        // Drift up by the same amount fails too.
        #expect(!experiment.verdict(for: profile(predicted: 1, measured: pow(0.668 / 0.224, 1.0 / 48))).agrees)
    }

    @Test("init-variance: a real run with the wrong variance scale, claimed to be Kaiming, disagrees")
    func initVarianceWrongScale() {
        var experiment = InitVarianceExperiment()
        experiment.depth = 12
        experiment.width = 128
        experiment.batchSize = 128
        experiment.networks = 2
        // N(0, 1.5/n) with ReLU: ×0.75 per layer, measured; the claim is Kaiming's ×1.
        var wrong = experiment.profile(name: "N(0, 1.5/n) as if Kaiming", activation: .relu, initializer: .varianceScaling(scale: 1.5))
        #expect(experiment.verdict(for: wrong).agrees)
        wrong.predictedFactor = 1
        #expect(!experiment.verdict(for: wrong).agrees, "\(experiment.verdict(for: wrong).line)")
    }

    @Test("init-variance: Xavier measured at N(0, 1/n)'s factor disagrees, though within the tolerance of its own")
    func initVarianceXavierIndistinguishable() {
        var experiment = InitVarianceExperiment()
        experiment.totalTolerance = 1e6
        let xavier = 2.0.squareRoot() / 3
        #expect(experiment.verdict(for: profile(predicted: xavier, measured: xavier, alternative: ("1/n", 0.5))).agrees)
        #expect(!experiment.verdict(for: profile(predicted: xavier, measured: 0.5, alternative: ("1/n", 0.5))).agrees)
    }

    @Test("zero-init: W = 0 with gradients, a loss that falls, units that separate and a Kaiming that does not learn all disagree")
    func zeroInitWrongWorld() {
        let experiment = ZeroInitExperiment()
        typealias Outcome = ZeroInitExperiment.Outcome
        let zero = Outcome(name: "W = 0", initialGradientNorms: [0, 0, 0.4], epochLosses: [2.3], finalTrainLoss: log(10),
                           testAccuracy: 0.1, hiddenUnitSpread: 0)
        let equal = Outcome(name: "equal", initialGradientNorms: [0.1, 0.1, 0.4], epochLosses: [2], finalTrainLoss: 1.5,
                            testAccuracy: 0.3, hiddenUnitSpread: 0)
        let kaiming = Outcome(name: "Kaiming", initialGradientNorms: [1, 1, 1], epochLosses: [0.3], finalTrainLoss: 0.1,
                              testAccuracy: 0.95, hiddenUnitSpread: 0.8)
        #expect(experiment.verdicts(zero: zero, equal: equal, kaiming: kaiming).allSatisfy(\.agrees))
        var badZero = zero
        badZero.initialGradientNorms = [1e-3, 0, 0.4]
        badZero.finalTrainLoss = 0.5
        var badEqual = equal
        badEqual.hiddenUnitSpread = 0.3
        var badKaiming = kaiming
        badKaiming.finalTrainLoss = 2.2
        badKaiming.hiddenUnitSpread = 0.05
        let verdicts = experiment.verdicts(zero: badZero, equal: badEqual, kaiming: badKaiming)
        #expect(verdicts.allSatisfy { !$0.agrees }, "\(verdicts.filter(\.agrees).map(\.line))")
        #expect(verdicts.allSatisfy { !$0.refutedBy.isEmpty })
    }
}
