import Foundation
import Loom
import LoomData
import LoomTraining
import LoomNN
import LoomOptimizers

/// `zero-init`: why weights must not start equal. Three copies of one ReLU MLP start from
/// `W = 0`, from all-equal weights (`W_i = 1/n_i` everywhere) and from Kaiming normal, and
/// train with the same SGD on the same batches.
///
/// The lecture: with `W = 0` every hidden activation is 0, so every weight gradient vanishes
/// (only the last bias learns) and the loss stays near `log(classes)`; with all-equal weights
/// every hidden unit of a layer computes the same function and receives the same gradient,
/// so the units stay identical forever (the layer acts as if it had width 1).
public struct ZeroInitExperiment: Experiment {
    public static let name = "zero-init"
    public var data = ExperimentData()
    public var hiddenWidths = [64, 64]
    public var epochs = 10
    public var batchSize = 32
    public var learningRate = 0.1
    public var seed: UInt64 = 0

    /// The experiment with the defaults of its properties.
    public init() {}

    public var configuration: [ExperimentSetting] {
        [.init("data", data.description), .init("hidden widths", hiddenWidths.map(String.init).joined(separator: ",")),
         .init("activation", "ReLU"), .init("optimizer", "SGD, learning rate \(learningRate), batch \(batchSize)"),
         .init("epochs", "\(epochs)"), .init("seed", "\(seed)")]
    }

    public func validate() throws {
        try data.validate()
        // The experiment is about the units of hidden layers: it needs one.
        try checkHiddenWidths(hiddenWidths, field: "hiddenWidths", allowsEmpty: false)
        try checkParameterCount([data.expectedFeatureCount] + hiddenWidths + [data.expectedClassCount],
                                limit: ExperimentLimits.maximumParameterCount, field: "hiddenWidths", purpose: "an experiment's network")
        try checkTraining(epochs: epochs, batchSize: batchSize, learningRate: learningRate)
    }

    /// How one initialization fared.
    public struct Outcome: Sendable {
        public var name: String
        /// `‖∇W_i‖_F` per layer on the whole training set, at initialization.
        public var initialGradientNorms: [Double]
        /// Mean training loss of each epoch.
        public var epochLosses: [Double]
        public var finalTrainLoss: Double
        public var testAccuracy: Double
        /// Over hidden layers: the largest `max_j ‖W[:, j] − W[:, 0]‖∞` after training,
        /// relative to `max|W|` (0 when all units of a layer are identical).
        public var hiddenUnitSpread: Double
    }

    enum Start: CaseIterable { case zero, equal, kaiming }

    /// Trains one copy from `start`.
    func outcome(_ start: Start, train: LabeledDataset, test: LabeledDataset) -> Outcome {
        var generator = SeededGenerator(seed: seed)
        let initializer: Initializer = start == .zero ? .zeros : .kaimingNormal(nonlinearity: .relu)
        let model = MLP(widths: [train.exampleShape.reduce(1, *)] + hiddenWidths + [train.classCount], activation: .relu,
                        initializer: initializer, using: &generator)
        if start == .equal {
            for layer in model.linearLayers {
                layer.weight.value = Tensor.full(layer.weight.shape, value: 1 / Double(layer.inputFeatures))
            }
        }
        let loss = softmaxCrossEntropy(logits: model(train.inputs), labels: train.labels)
        loss.backward()
        let gradientNorms = model.linearLayers.map { $0.weight.gradient.map(frobeniusNorm) ?? 0 }
        model.zeroGradients()
        let optimizer = try! SGD(parameters: model.trainableParameters, learningRate: learningRate)
        let loader = DataLoader(train, batchSize: batchSize, shuffles: true, seed: seed)
        var sums = Array(repeating: 0.0, count: epochs), counts = Array(repeating: 0, count: epochs)
        StepTrainer.train(model: model, optimizer: optimizer, loader: loader, steps: epochs * loader.batchCount) { step, value in
            let epoch = (step - 1) / loader.batchCount
            sums[epoch] += value
            counts[epoch] += 1
        }
        let spread = model.linearLayers.dropLast().map { layer -> Double in
            let w = layer.weight.value.asArray(Double.self), columns = layer.outputFeatures
            let scale = w.map(Swift.abs).max() ?? 0
            guard scale > 0 else { return 0 }
            var worst = 0.0
            for (index, value) in w.enumerated() { worst = Swift.max(worst, Swift.abs(value - w[index - index % columns])) }
            return worst / scale
        }.max() ?? 0
        let name = switch start { case .zero: "W = 0"; case .equal: "all-equal W = 1/n"; case .kaiming: "Kaiming normal" }
        return Outcome(name: name, initialGradientNorms: gradientNorms, epochLosses: zip(sums, counts).map { $0 / Double(Swift.max($1, 1)) },
                       finalTrainLoss: StepTrainer.evaluate(model, on: train).loss,
                       testAccuracy: StepTrainer.evaluate(model, on: test).accuracy, hiddenUnitSpread: spread)
    }

    /// The three outcomes: zero, all-equal, Kaiming.
    public func outcomes(log: (String) -> Void = { _ in }) throws -> [Outcome] {
        let (train, test) = try data.load()
        return Start.allCases.map { start in
            let result = outcome(start, train: train, test: test)
            log("\(result.name): train loss \(format(result.finalTrainLoss, 4)), test accuracy \(percent(result.testAccuracy)), hidden-unit spread \(format(result.hiddenUnitSpread))")
            return result
        }
    }

    /// The verdicts on the three outcomes (zero, all-equal, Kaiming), from the measurements
    /// alone, so a test can hand in outcomes where the lecture is wrong.
    public func verdicts(zero: Outcome, equal: Outcome, kaiming: Outcome) -> [Verdict] {
        let classes = 10.0, chance = Foundation.log(classes)
        let earlier = zero.initialGradientNorms.dropLast().max() ?? 0
        return [
            Verdict(prediction: "W = 0: the gradients of all earlier layers are exactly zero at initialization",
                    measurement: "largest ‖∇W_i‖ of layers 1…\(zero.initialGradientNorms.count - 1): \(format(earlier)); last layer \(format(zero.initialGradientNorms.last ?? .nan))",
                    refutedBy: "any ‖∇W_i‖ of layers 1…L−1 other than 0",
                    agrees: earlier == 0),
            Verdict(prediction: "W = 0: the loss stays near log(\(Int(classes))) = \(format(chance, 4))",
                    measurement: "train loss after \(epochs) epochs \(format(zero.finalTrainLoss, 4)), test accuracy \(percent(zero.testAccuracy))",
                    refutedBy: "a final train loss more than 5% away from log(\(Int(classes)))",
                    agrees: Swift.abs(zero.finalTrainLoss - chance) < 0.05 * chance),
            Verdict(prediction: "all-equal weights: the hidden units of a layer stay identical through training",
                    measurement: "largest relative difference between units after training \(format(equal.hiddenUnitSpread)) (Kaiming: \(format(kaiming.hiddenUnitSpread)))",
                    refutedBy: "units of the all-equal network differing by more than 1e-5 (relative), or Kaiming's by less than 0.1",
                    agrees: equal.hiddenUnitSpread <= 1e-5 && kaiming.hiddenUnitSpread > 0.1),
            Verdict(prediction: "Kaiming: the same network and optimizer learn (loss far below log(\(Int(classes))))",
                    measurement: "train loss \(format(kaiming.finalTrainLoss, 4)), test accuracy \(percent(kaiming.testAccuracy))",
                    refutedBy: "a final train loss above log(\(Int(classes)))/4 = \(format(chance / 4, 3))",
                    agrees: kaiming.finalTrainLoss < 0.25 * chance),
        ]
    }

    public func run(log: (String) -> Void) throws -> ExperimentResult {
        let start = Date()
        let results = try outcomes(log: log)
        let verdicts = verdicts(zero: results[0], equal: results[1], kaiming: results[2])
        let classes = 10.0, chance = Foundation.log(classes)
        var table = ResultTable(name: "outcomes", columns: ["initialization", "final train loss", "test accuracy", "hidden-unit spread"]
            + results[0].initialGradientNorms.indices.map { "‖∇W_\($0 + 1)‖ at init" })
        for result in results {
            table.rows.append([.text(result.name), .number(result.finalTrainLoss), .number(result.testAccuracy), .number(result.hiddenUnitSpread)]
                + result.initialGradientNorms.map(TableValue.number))
        }
        var losses = results.map { Series(name: $0.name, y: $0.epochLosses) }
        losses.append(Series(name: "log(\(Int(classes))) (chance)", x: [1, Double(epochs)], y: [chance, chance], style: .line))
        let lossFigure = Figure(name: "training-loss", title: "Training loss by initialization",
                                xAxis: Axis("epoch", isInteger: true), yAxis: Axis("mean training loss", unit: "nats", scale: .logarithmic), series: losses,
                                caption: "W = 0 sits on log(classes); all-equal weights learn only what a width-1 network can; Kaiming learns.")
        let gradientFigure = Figure(name: "initial-gradients", title: "Weight-gradient norm per layer at initialization",
                                    xAxis: Axis("layer", isInteger: true), yAxis: Axis("‖∇W_i‖_F"),
                                    series: results.map { Series(name: $0.name, y: $0.initialGradientNorms) },
                                    caption: "With W = 0 every weight gradient is exactly 0 (only the last bias gets a gradient).")
        return ExperimentResult(experiment: Self.name, title: "Zero and all-equal initialization",
                                summary: "W = 0 makes the gradients of earlier layers zero (a stationary point) and the loss stays near log(classes); all-equal weights keep hidden units identical, so the network cannot use its width.",
                                configuration: configuration, verdicts: verdicts, tables: [table], figures: [lossFigure, gradientFigure],
                                seconds: Date().timeIntervalSince(start))
    }
}
