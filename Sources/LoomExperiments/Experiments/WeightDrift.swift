import Foundation
import Loom
import LoomData
import LoomTraining
import LoomNN
import LoomOptimizers

/// `weight-drift`: how far training moves the weights from where they started, against how
/// far apart two runs from different initializations end. For each width, a ReLU MLP (Kaiming
/// normal) trains with SGD from seed ``seed``, and every few steps each layer's relative drift
/// `‖W_t − W_0‖_F / ‖W_0‖_F` is recorded; a second run from the initialization of seed
/// `seed + 1` (same data order, same optimizer) ends at `W′_T`.
///
/// The lecture: the weights end much closer to their own initialization than to the final
/// point of a run from a different initialization, `‖W_T − W_0‖ ≪ ‖W_T − W′_T‖`, so the
/// initialization matters all through training. How the drift changes with width is measured
/// and shown, not claimed.
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
    /// "Much closer": every layer's `‖W_T − W_0‖` must be at most this fraction of `‖W_T − W′_T‖`.
    public var closeness = 0.5
    /// The run must have learned: its final training loss at most this fraction of the initial.
    public var learnedFraction = 0.25

    /// The experiment with the defaults of its properties.
    public init() {}

    public var configuration: [ExperimentSetting] {
        [.init("data", data.description), .init("widths", widths.map(String.init).joined(separator: ",")),
         .init("hidden layers", "\(depth)"), .init("initialization", "Kaiming normal, ReLU; the second run from seed \(seed &+ 1)"),
         .init("optimizer", "SGD, learning rate \(learningRate), batch \(batchSize)"), .init("epochs", "\(epochs)"),
         .init("closeness", "‖W_T − W_0‖ ≤ \(format(closeness)) ‖W_T − W′_T‖ per layer"), .init("seed", "\(seed)")]
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
        try require(closeness > 0 && closeness.isFinite, "closeness", "must be positive and finite, got \(closeness)")
        try require(learnedFraction > 0 && learnedFraction <= 1, "learnedFraction", "must be in (0, 1], got \(learnedFraction)")
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
        /// Per layer, `‖W_0‖_F`.
        public var initialNorms: [Double] = []
        /// Per layer, `‖W_T − W_0‖_F`.
        public var distanceFromInitialization: [Double] = []
        /// Per layer, `‖W_T − W′_T‖_F` to the end of the run from the other initialization.
        public var distanceToOtherRun: [Double] = []

        /// Each layer's final relative drift `‖W_T − W_0‖ / ‖W_0‖`, at the last step (the last
        /// recording of ``drift`` may be up to ``recordEvery`` − 1 steps earlier).
        public var finalDrift: [Double] {
            distanceFromInitialization.isEmpty ? drift.map { $0.last ?? 0 } : zip(distanceFromInitialization, initialNorms).map { $0 / $1 }
        }
        /// Each layer's `‖W_T − W_0‖ / ‖W_T − W′_T‖`.
        public var closenessRatios: [Double] { zip(distanceFromInitialization, distanceToOtherRun).map { $0 / $1 } }
    }

    /// Trains a network of `width` from the initialization of `initializationSeed` (data order
    /// from ``seed``), recording its drift when `records`; returns the trajectory and the final weights.
    func train(width: Int, initializationSeed: UInt64, train: LabeledDataset, test: LabeledDataset, records: Bool) -> (Trajectory, [Tensor]) {
        var generator = SeededGenerator(seed: initializationSeed)
        let model = MLP(widths: [train.exampleShape.reduce(1, *)] + Array(repeating: width, count: depth) + [train.classCount],
                        activation: .relu, using: &generator)
        let layers = model.linearLayers
        let initial = layers.map { $0.weight.value }
        let initialNorms = initial.map(frobeniusNorm)
        var result = Trajectory(width: width, drift: Array(repeating: [0], count: layers.count), initialLoss: StepTrainer.evaluate(model, on: train).loss)
        result.steps = [0]
        result.losses = [result.initialLoss]
        result.initialNorms = initialNorms
        let optimizer = try! SGD(parameters: model.trainableParameters, learningRate: learningRate)
        let loader = DataLoader(train, batchSize: batchSize, shuffles: true, seed: seed)
        var window: [Double] = []
        StepTrainer.train(model: model, optimizer: optimizer, loader: loader, steps: epochs * loader.batchCount) { step, loss in
            guard records else { return }
            window.append(loss)
            guard step % recordEvery == 0 else { return }
            result.steps.append(Double(step))
            result.losses.append(window.reduce(0, +) / Double(window.count))
            window.removeAll()
            for (index, layer) in layers.enumerated() {
                result.drift[index].append(withoutGradients { frobeniusNorm(layer.weight.value - initial[index]) } / initialNorms[index])
            }
        }
        let final = layers.map { $0.weight.value }
        result.distanceFromInitialization = zip(final, initial).map { pair in withoutGradients { frobeniusNorm(pair.0 - pair.1) } }
        result.finalLoss = StepTrainer.evaluate(model, on: train).loss
        result.testAccuracy = StepTrainer.evaluate(model, on: test).accuracy
        return (result, final)
    }

    /// Trains a network of `width` from ``seed`` and a second one from `seed + 1`, and records the
    /// first one's drift and its distance to the second's endpoint.
    public func trajectory(width: Int, train: LabeledDataset, test: LabeledDataset) -> Trajectory {
        var (result, final) = self.train(width: width, initializationSeed: seed, train: train, test: test, records: true)
        let (_, other) = self.train(width: width, initializationSeed: seed &+ 1, train: train, test: test, records: false)
        result.distanceToOtherRun = zip(final, other).map { pair in withoutGradients { frobeniusNorm(pair.0 - pair.1) } }
        return result
    }

    /// One trajectory per width.
    public func trajectories(log: (String) -> Void = { _ in }) throws -> [Trajectory] {
        let (train, test) = try data.load()
        return widths.map { width in
            let t = trajectory(width: width, train: train, test: test)
            log("width \(width): loss \(format(t.initialLoss)) → \(format(t.finalLoss)), test accuracy \(percent(t.testAccuracy)), "
                + "per layer ‖W_T − W_0‖ / ‖W_T − W′_T‖ \(t.closenessRatios.map { format($0, 2) }.joined(separator: ", ")), "
                + "relative drift \(t.finalDrift.map { format($0, 2) }.joined(separator: ", "))")
            return t
        }
    }

    /// The verdict on one width's trajectory, from its measurements alone (so a test can hand in
    /// weights that drift far, or a run that did not learn).
    public func verdict(for t: Trajectory) -> Verdict {
        let learned = t.finalLoss < learnedFraction * t.initialLoss
        let ratios = t.closenessRatios
        let layers = ratios.indices.map { "W_\($0 + 1): \(format(t.distanceFromInitialization[$0], 3)) vs \(format(t.distanceToOtherRun[$0], 3)) (×\(format(ratios[$0], 2)))" }
        return Verdict(
            prediction: "width \(t.width): after training, every layer is much closer to its own initialization than to the end of a run from another initialization",
            measurement: "‖W_T − W_0‖ vs ‖W_T − W′_T‖: " + layers.joined(separator: "; ")
                + "; loss \(format(t.initialLoss)) → \(format(t.finalLoss))",
            refutedBy: "a layer with ‖W_T − W_0‖ > \(format(closeness)) ‖W_T − W′_T‖, or a loss that did not fall below \(format(learnedFraction)) of its start (a run that did not move proves nothing)",
            agrees: learned && !ratios.isEmpty && ratios.allSatisfy { $0 <= closeness })
    }

    public func run(log: (String) -> Void) throws -> ExperimentResult {
        let start = Date()
        let results = try trajectories(log: log)
        let verdicts = results.map(verdict(for:))
        var distances = ResultTable(name: "distances", columns: ["width", "layer", "‖W_0‖", "‖W_T − W_0‖", "‖W_T − W′_T‖", "‖W_T − W_0‖ / ‖W_T − W′_T‖", "relative drift ‖W_T − W_0‖ / ‖W_0‖"])
        for t in results {
            for layer in t.finalDrift.indices {
                distances.rows.append([.number(Double(t.width)), .number(Double(layer + 1)), .number(t.initialNorms[layer]), .number(t.distanceFromInitialization[layer]),
                                       .number(t.distanceToOtherRun[layer]), .number(t.closenessRatios[layer]), .number(t.finalDrift[layer])])
            }
        }
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
                             caption: "Measured, not a claim of the lecture: how each layer's relative drift changes with width (in the default run the hidden layers move less when wider; the output layer barely changes).")
        return ExperimentResult(experiment: Self.name, title: "Weights stay near their initialization",
                                summary: "Training ends much closer to where it started than to where a run from another initialization ends: the initialization matters all through training. (The width dependence is shown as measured.)",
                                configuration: configuration, verdicts: verdicts, tables: [distances, table], figures: [over, byWidth],
                                seconds: Date().timeIntervalSince(start))
    }
}
