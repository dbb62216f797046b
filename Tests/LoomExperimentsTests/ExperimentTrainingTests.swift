import Foundation
import Loom
import LoomNN
import Testing

@testable import LoomExperiments

@Suite("Experiments: training, optimizers, Hessian")
struct ExperimentTrainingTests {
    @Test("weight-drift: the loss falls and every layer ends far closer to its start than to another run's end")
    func weightDrift() throws {
        var experiment = WeightDriftExperiment()
        experiment.data = ExperimentData(limit: 400)
        experiment.widths = [16, 256]
        experiment.epochs = 8
        experiment.recordEvery = 5
        let trajectories = try experiment.trajectories()
        for t in trajectories {
            #expect(t.finalLoss < 0.5 * t.initialLoss, "width \(t.width): loss \(t.initialLoss) → \(t.finalLoss)")
            #expect(t.finalDrift.allSatisfy { $0 > 0 && $0 < 1 }, "width \(t.width): drift \(t.finalDrift)")
            #expect(t.drift.allSatisfy { $0.count == t.steps.count })
            #expect(t.distanceToOtherRun.count == experiment.depth + 1)
            // The last recording is at most a few steps before the end: close to the final drift.
            for layer in t.finalDrift.indices {
                #expect(Swift.abs(t.drift[layer].last! / t.finalDrift[layer] - 1) < 0.1, "layer \(layer + 1)")
            }
            #expect(experiment.verdict(for: t).agrees, "\(experiment.verdict(for: t).line)")
        }
    }

    @Test("optimizers: Newton beats every first-order method in far fewer steps; heavy ball with α(1−β) equals EMA momentum")
    func optimizerComparison() throws {
        var experiment = OptimizerExperiment()
        // 4×4 pooled digits: softmax regression with 170 parameters, so Newton is quick.
        experiment.data = ExperimentData(limit: 150, pooling: 2)
        experiment.steps = 30
        experiment.newtonSteps = 5
        let (traces, theta) = try experiment.traces()
        #expect(traces.map(\.name) == OptimizerExperiment.methods)
        func trace(_ name: String) -> OptimizerExperiment.Trace { traces.first { $0.name == name }! }
        let bestFirstOrder = traces.filter { !$0.name.contains("Newton") }.map { $0.losses.last! }.min()!
        #expect(trace("Newton + line search").losses[5] < bestFirstOrder)
        // u ← βu + g with step α(1−β) is the EMA form u ← βu + (1−β)g with step α, exactly.
        let ema = trace("momentum (EMA)").losses, heavy = trace("heavy ball").losses
        #expect(zip(ema, heavy).allSatisfy { Swift.abs($0 - $1) <= 1e-9 * Swift.abs($0) })
        #expect(trace("Newton + line search").losses.last! <= trace("Newton + line search").losses.first!)
        // Newton's gradient norms are recorded at every iterate; the first-order methods' are not.
        #expect(trace("Newton + line search").gradientNorms.count == 6 && trace("SGD").gradientNorms.isEmpty)
        // The notes' Adam (no bias correction) runs and differs from the published one.
        #expect(trace("Adam (notes: no bias correction)").losses != trace("Adam").losses)
        // Softmax regression + (λ/2)‖θ‖² is strictly convex: the Hessian at Newton's point is positive definite.
        let data = try experiment.data.load(dtype: .float64).train
        let objective = FlatNetworkLoss(widths: [16, 10], inputs: data.inputs, labels: data.labels, l2: experiment.l2)
        let eigenvalues = objective.eigenvalues(at: Tensor(shape: [theta.count], scalars: theta, dtype: .float64))
        #expect(eigenvalues.first! > 0)
        #expect(eigenvalues.first! >= experiment.l2 * (1 - 1e-6))
    }

    @Test("the flat-θ loss equals the MLP's own loss, and its Hessian at initialization is indefinite")
    func hessianOfSmallNetwork() throws {
        let data = try ExperimentData(limit: 30, pooling: 2).load(dtype: .float64).train
        var generator = SeededGenerator(seed: 5)
        let widths = [16, 2, 10]
        let model = MLP(widths: widths, activation: .relu, dtype: .float64, using: &generator)
        let loss = FlatNetworkLoss(widths: widths, inputs: data.inputs, labels: data.labels)
        let theta = FlatNetworkLoss.flatten(model)
        #expect(theta.count == loss.parameterCount)
        let direct = withoutGradients { softmaxCrossEntropy(logits: model(data.inputs), labels: data.labels) }.item(Double.self)
        #expect(Swift.abs(withoutGradients { loss(theta) }.item(Double.self) - direct) < 1e-12)
        let eigenvalues = loss.eigenvalues(at: theta)
        #expect(eigenvalues.count == loss.parameterCount)
        #expect(eigenvalues.first! < 0 && eigenvalues.last! > 0)
    }

    @Test("hessian experiment: negative eigenvalues at initialization, a result with a log-log figure")
    func hessianExperiment() throws {
        var experiment = HessianExperiment()
        experiment.data = ExperimentData(limit: 40, pooling: 2)
        experiment.hiddenWidths = [2]
        experiment.epochs = 2
        let result = try experiment.run(log: { _ in })
        #expect(result.verdicts[0].agrees, "\(result.verdicts[0].line)")
        #expect(result.figures.count == 1 && result.figures[0].xAxis.scale == .logarithmic)
        #expect(result.tables[1].rows.count == 16 * 2 + 2 + 2 * 10 + 10)
    }

    @Test("width-depth: one cell per (depth, width) with an accuracy and a time")
    func widthDepth() throws {
        var experiment = WidthDepthExperiment()
        experiment.widths = [8, 32]
        experiment.depths = [1]
        experiment.epochs = 1
        let cells = try experiment.cells()
        #expect(cells.count == 2)
        #expect(cells.allSatisfy { $0.testAccuracy > 0.1 && $0.seconds > 0 })
        #expect(cells[1].parameterCount > cells[0].parameterCount)
    }
}
