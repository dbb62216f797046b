import Foundation
import Loom
import LoomData
import LoomTraining
import LoomNN
import LoomOptimizers

/// `weight-drift`: how far training moves the weights from where they started. For each
/// width, a ReLU MLP (Kaiming normal) trains with SGD, and every few steps each layer's
/// relative distance `‖W_t − W_0‖_F / ‖W_0‖_F` is recorded.
///
/// The lecture: the weights stay relatively close to their initialization while the loss
/// falls, and (the lazy-training view) the wider the network, the less they move.
public struct WeightDriftExperiment: Experiment {
    public static let name = "weight-drift"
    public var data = ExperimentData()
    public var widths = [32, 128, 512]
    /// Hidden layers.
    public var depth = 2
    public var epochs = 10
    public var batchSize = 32
    public var learningRate = 0.1
    /// Steps between recordings.
    public var recordEvery = 15
    public var seed: UInt64 = 0

    /// The experiment with the defaults of its properties.
    public init() {}

    public var configuration: [ExperimentSetting] {
        [.init("data", data.description), .init("widths", widths.map(String.init).joined(separator: ",")),
         .init("hidden layers", "\(depth)"), .init("initialization", "Kaiming normal, ReLU"),
         .init("optimizer", "SGD, learning rate \(learningRate), batch \(batchSize)"), .init("epochs", "\(epochs)"), .init("seed", "\(seed)")]
    }

    public func validate() throws {
        try data.validate()
        try require(!widths.isEmpty, "widths", "must name at least one width")
        try require(widths.allSatisfy { $0 > 0 }, "widths", "must be positive, got \(widths.map(String.init).joined(separator: ","))")
        try require((1...ExperimentLimits.maximumDepth).contains(depth), "depth",
                    "must be between 1 and \(ExperimentLimits.maximumDepth), got \(depth)")
        try checkParameterCount([data.expectedFeatureCount] + Array(repeating: widths.max()!, count: depth) + [data.expectedClassCount],
                                limit: ExperimentLimits.maximumParameterCount, field: "widths", purpose: "an experiment's network")
        try checkTraining(epochs: epochs, batchSize: batchSize, learningRate: learningRate)
        try require(recordEvery >= 1, "recordEvery", "must be positive, got \(recordEvery)")
    }

    /// One width's trajectory.
    public struct Trajectory: Sendable {
        public var width: Int
        public var steps: [Double] = []
        /// `drift[layer][k]`: `‖W_t − W_0‖ / ‖W_0‖` of layer `layer` at `steps[k]`.
        public var drift: [[Double]]
        public var losses: [Double] = []
        public var initialLoss: Double
        public var finalLoss: Double = .nan
        public var testAccuracy: Double = .nan

        /// Each layer's final drift.
        public var finalDrift: [Double] { drift.map { $0.last ?? 0 } }
    }

    /// Trains a network of `width` and records its drift.
    public func trajectory(width: Int, train: LabeledDataset, test: LabeledDataset) -> Trajectory {
        var generator = SeededGenerator(seed: seed)
        let model = MLP(widths: [train.exampleShape.reduce(1, *)] + Array(repeating: width, count: depth) + [train.classCount],
                        activation: .relu, using: &generator)
        let layers = model.linearLayers
        let initial = layers.map { $0.weight.value }
        let initialNorms = initial.map(frobeniusNorm)
        var result = Trajectory(width: width, drift: Array(repeating: [0], count: layers.count), initialLoss: StepTrainer.evaluate(model, on: train).loss)
        result.steps = [0]
        result.losses = [result.initialLoss]
        let optimizer = try! SGD(parameters: model.trainableParameters, learningRate: learningRate)
        let loader = DataLoader(train, batchSize: batchSize, shuffles: true, seed: seed)
        var window: [Double] = []
        StepTrainer.train(model: model, optimizer: optimizer, loader: loader, steps: epochs * loader.batchCount) { step, loss in
            window.append(loss)
            guard step % recordEvery == 0 else { return }
            result.steps.append(Double(step))
            result.losses.append(window.reduce(0, +) / Double(window.count))
            window.removeAll()
            for (index, layer) in layers.enumerated() {
                result.drift[index].append(withoutGradients { frobeniusNorm(layer.weight.value - initial[index]) } / initialNorms[index])
            }
        }
        result.finalLoss = StepTrainer.evaluate(model, on: train).loss
        result.testAccuracy = StepTrainer.evaluate(model, on: test).accuracy
        return result
    }

    /// One trajectory per width.
    public func trajectories(log: (String) -> Void = { _ in }) throws -> [Trajectory] {
        let (train, test) = try data.load()
        return widths.map { width in
            let t = trajectory(width: width, train: train, test: test)
            log("width \(width): loss \(format(t.initialLoss)) → \(format(t.finalLoss)), test accuracy \(percent(t.testAccuracy)), final drift per layer \(t.finalDrift.map { format($0, 2) }.joined(separator: ", "))")
            return t
        }
    }

    public func run(log: (String) -> Void) throws -> ExperimentResult {
        let start = Date()
        let results = try trajectories(log: log)
        let largest = results.map { $0.finalDrift.max() ?? 0 }
        let means = results.map { $0.finalDrift.reduce(0, +) / Double(Swift.max($0.finalDrift.count, 1)) }
        let learned = results.allSatisfy { $0.finalLoss < 0.25 * $0.initialLoss }
        let shrinking = zip(means, means.dropFirst()).allSatisfy { $1 < $0 }
        let verdicts = [
            Verdict(prediction: "the loss falls a lot while every layer's weights stay within ‖W_t − W_0‖ < ‖W_0‖ (relative drift < 1)",
                    measurement: zip(results, largest).map { "width \($0.width): loss \(format($0.initialLoss)) → \(format($0.finalLoss)), largest drift \(format($1, 2))" }.joined(separator: "; "),
                    agrees: learned && largest.allSatisfy { $0 < 1 }),
            Verdict(prediction: "wider networks move less, relative to their initialization",
                    measurement: "mean final drift " + zip(results, means).map { "\(format($1, 2)) at width \($0.width)" }.joined(separator: ", "),
                    agrees: results.count < 2 || shrinking),
        ]
        var table = ResultTable(name: "drift", columns: ["width", "step", "training loss (nats)"] + (0..<(depth + 1)).map { "drift W_\($0 + 1)" })
        for t in results {
            for k in t.steps.indices {
                table.rows.append([.number(Double(t.width)), .number(t.steps[k]), .number(t.losses[k])] + t.drift.map { .number($0[k]) })
            }
        }
        let middle = results[results.count / 2]
        let over = Figure(name: "drift-over-training", title: "Relative weight drift during training (width \(middle.width))",
                          xAxis: Axis("SGD step"), yAxis: Axis("‖W_t − W_0‖_F / ‖W_0‖_F"),
                          series: middle.drift.enumerated().map { Series(name: "layer \($0.offset + 1)", x: middle.steps, y: $0.element, style: .line) },
                          caption: "Each layer's distance from its initialization, relative to the initialization's size.")
        let byWidth = Figure(name: "drift-by-width", title: "Final relative drift by width",
                             xAxis: Axis("hidden width", unit: "units", scale: .logarithmic), yAxis: Axis("final ‖W_T − W_0‖_F / ‖W_0‖_F", scale: .logarithmic),
                             series: (0..<(depth + 1)).map { layer in Series(name: "layer \(layer + 1)", x: results.map { Double($0.width) }, y: results.map { $0.finalDrift[layer] }) },
                             caption: "Wider networks reach a low loss with a smaller relative change of their weights.")
        return ExperimentResult(experiment: Self.name, title: "Weights stay near their initialization",
                                summary: "Training moves the weights only a small distance relative to their initial size, and less the wider the network: initialization matters all through training.",
                                configuration: configuration, verdicts: verdicts, tables: [table], figures: [over, byWidth],
                                seconds: Date().timeIntervalSince(start))
    }
}
