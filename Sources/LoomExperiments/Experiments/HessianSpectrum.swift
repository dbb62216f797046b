import Foundation
import Loom
import LoomData
import LoomTraining
import LoomNN
import LoomOptimizers

/// A ReLU MLP's loss as a function of one flat parameter vector `θ` (per layer the weight
/// `[in, out]` row-major, then the bias, as ``MLP`` lists its parameters), so the core
/// `hessian(of:at:)` gives `∇²f(θ)` by differentiating the gradient.
public struct FlatNetworkLoss {
    public let widths: [Int]
    public let inputs: Tensor
    public let labels: Tensor
    /// The L2 penalty `(λ/2)‖θ‖²` added to the mean cross-entropy.
    public let l2: Double

    /// The loss of an MLP of `widths` on `inputs [n, widths[0]]` and int64 `labels [n]`, with
    /// the penalty `(l2/2)‖θ‖²`.
    public init(widths: [Int], inputs: Tensor, labels: Tensor, l2: Double = 0) {
        self.widths = widths
        self.inputs = inputs
        self.labels = labels
        self.l2 = l2
    }

    /// `n`, the length of `θ`.
    public var parameterCount: Int { zip(widths, widths.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 + $1.1 } }

    /// `f(θ)`: a scalar.
    public func callAsFunction(_ theta: Tensor) -> Tensor {
        let sizes = zip(widths, widths.dropFirst()).flatMap { [$0 * $1, $1] }
        let pieces = theta.split(sizes: sizes)
        var z = inputs
        for layer in 0..<(widths.count - 1) {
            z = z.matmul(pieces[2 * layer].reshaped([widths[layer], widths[layer + 1]])) + pieces[2 * layer + 1]
            if layer < widths.count - 2 { z = z.relu() }
        }
        let loss = softmaxCrossEntropy(logits: z, labels: labels)
        return l2 > 0 ? loss + (theta * theta).sum() * (l2 / 2) : loss
    }

    /// `θ` of a model with these widths.
    public static func flatten(_ model: Module) -> Tensor {
        Tensor(shape: [model.parameterCount()], scalars: model.parameters.flatMap { $0.value.asArray(Double.self) }, dtype: .float64)
    }

    /// The eigenvalues of `∇²f(θ)`, ascending.
    public func eigenvalues(at theta: Tensor) -> [Double] {
        let h = hessian(of: { self($0) }, at: theta)
        return SymmetricEigendecomposition(DenseMatrix(h).symmetrized()).eigenvalues
    }
}

/// `hessian`: the spectrum of the loss Hessian of a small ReLU MLP, at initialization and
/// after training with Adam, from the exact Hessian (higher-order autodiff) and a Jacobi
/// eigendecomposition.
///
/// The lecture: a network's loss is not convex, so its Hessian has negative eigenvalues
/// (Newton's method needs a safeguard), and it is badly conditioned — a few large
/// eigenvalues over a bulk near zero — which is why plain gradient steps are slow and
/// curvature-aware or adaptive methods help. Near a minimum after training the negative
/// part shrinks relative to the largest curvature.
public struct HessianExperiment: Experiment {
    public static let name = "hessian"
    public var data = ExperimentData(limit: 500)
    public var hiddenWidths = [8]
    public var epochs = 30
    public var batchSize = 64
    public var learningRate = 0.01
    public var seed: UInt64 = 0

    /// The experiment with the defaults of its properties.
    public init() {}

    public var configuration: [ExperimentSetting] {
        [.init("data", data.description), .init("hidden widths", hiddenWidths.map(String.init).joined(separator: ",")),
         .init("activation", "ReLU, Kaiming normal"), .init("training", "Adam, learning rate \(learningRate), batch \(batchSize), \(epochs) epochs"),
         .init("Hessian", "exact, of the mean cross-entropy over the training examples, float64"), .init("seed", "\(seed)")]
    }

    public func validate() throws {
        try data.validate()
        try checkHiddenWidths(hiddenWidths, field: "hiddenWidths", allowsEmpty: true)
        try checkParameterCount([data.expectedFeatureCount] + hiddenWidths + [data.expectedClassCount],
                                limit: ExperimentLimits.maximumHessianParameterCount, field: "hiddenWidths", purpose: "an exact Hessian")
        try checkTraining(epochs: epochs, minimumEpochs: 0, batchSize: batchSize, learningRate: learningRate)
    }

    /// A spectrum and its summary numbers.
    public struct Spectrum: Sendable {
        public var eigenvalues: [Double]
        public var loss: Double
        public var largest: Double { eigenvalues.last ?? .nan }
        public var smallest: Double { eigenvalues.first ?? .nan }
        public var negativeCount: Int { eigenvalues.filter { $0 < -1e-9 * Swift.abs(largest) }.count }
        /// Eigenvalues with `|λ| ≤ 10⁻¹⁰ |λ|_max`: numerically zero (e.g. the weights of
        /// pixels that are 0 in every image, or of dead ReLU units, have no curvature).
        public var zeroCount: Int { eigenvalues.filter { Swift.abs($0) <= 1e-10 * Swift.abs(largest) }.count }
        /// `|λ|_max / |λ|_min` over the eigenvalues that are not numerically zero.
        public var conditionNumber: Double {
            let magnitudes = eigenvalues.map(Swift.abs).filter { $0 > 1e-10 * Swift.abs(largest) }
            return (magnitudes.max() ?? .nan) / (magnitudes.min() ?? .nan)
        }
        /// The fraction of eigenvalues with `|λ| < 1% of λ_max` (the bulk near zero).
        public var bulkFraction: Double {
            Double(eigenvalues.filter { Swift.abs($0) < 0.01 * Swift.abs(largest) }.count) / Double(Swift.max(eigenvalues.count, 1))
        }
    }

    /// The spectra at initialization and after training.
    public func spectra(log: (String) -> Void = { _ in }) throws -> (initial: Spectrum, trained: Spectrum) {
        let (train, _) = try data.load(dtype: .float64)
        var generator = SeededGenerator(seed: seed)
        let widths = [train.exampleShape.reduce(1, *)] + hiddenWidths + [train.classCount]
        let model = MLP(widths: widths, activation: .relu, dtype: .float64, using: &generator)
        let loss = FlatNetworkLoss(widths: widths, inputs: train.inputs, labels: train.labels)
        func spectrum(_ label: String) -> Spectrum {
            let theta = FlatNetworkLoss.flatten(model)
            let start = Date()
            let result = Spectrum(eigenvalues: loss.eigenvalues(at: theta), loss: withoutGradients { loss(theta) }.item(Double.self))
            log("\(label): loss \(format(result.loss, 4)), λ ∈ [\(format(result.smallest)), \(format(result.largest))], \(result.negativeCount) negative of \(theta.count), \(format(Date().timeIntervalSince(start), 2)) s")
            return result
        }
        let initial = spectrum("at initialization")
        let optimizer = try Adam(parameters: model.trainableParameters, learningRate: learningRate)
        let loader = DataLoader(train, batchSize: batchSize, shuffles: true, seed: seed)
        StepTrainer.train(model: model, optimizer: optimizer, loader: loader, steps: epochs * loader.batchCount)
        return (initial, spectrum("after training"))
    }

    public func run(log: (String) -> Void) throws -> ExperimentResult {
        let start = Date()
        let (initial, trained) = try spectra(log: log)
        func describe(_ s: Spectrum) -> String {
            "λ_max \(format(s.largest)), λ_min \(format(s.smallest)), \(s.negativeCount) negative, \(s.zeroCount) zero, κ = |λ|max/|λ|min (non-zero λ) \(format(s.conditionNumber)), \(percent(s.bulkFraction)) within 1% of λ_max of zero"
        }
        let verdicts = [
            Verdict(prediction: "the loss is not convex: the Hessian has negative eigenvalues at initialization",
                    measurement: describe(initial), agrees: initial.negativeCount > 0),
            Verdict(prediction: "the Hessian is badly conditioned (κ > 10⁴): a few large eigenvalues over a bulk near zero",
                    measurement: "at init κ \(format(initial.conditionNumber)), bulk \(percent(initial.bulkFraction)); trained κ \(format(trained.conditionNumber)), bulk \(percent(trained.bulkFraction))",
                    agrees: initial.conditionNumber > 1e4 && trained.conditionNumber > 1e4 && trained.bulkFraction > 0.5),
            Verdict(prediction: "after training (near a minimum) the negative curvature is small relative to the largest: |λ_min|/λ_max shrinks",
                    measurement: "|λ_min|/λ_max \(format(Swift.abs(initial.smallest) / initial.largest)) at init → \(format(Swift.abs(trained.smallest) / trained.largest)) trained; " + describe(trained),
                    agrees: Swift.abs(trained.smallest) / trained.largest < Swift.abs(initial.smallest) / initial.largest),
        ]
        let table = ResultTable(name: "eigenvalues", columns: ["index (ascending)", "eigenvalue at initialization", "eigenvalue after training"],
                                rows: initial.eigenvalues.indices.map { [.number(Double($0 + 1)), .number(initial.eigenvalues[$0]), .number(trained.eigenvalues[$0])] })
        let summaryTable = ResultTable(name: "summary", columns: ["point", "loss (nats)", "λ_max", "λ_min", "negative eigenvalues", "zero eigenvalues", "condition number |λ|max/|λ|min (non-zero λ)"],
                                       rows: [("initialization", initial), ("after training", trained)].map { [.text($0.0), .number($0.1.loss), .number($0.1.largest), .number($0.1.smallest), .number(Double($0.1.negativeCount)), .number(Double($0.1.zeroCount)), .number($0.1.conditionNumber)] })
        func magnitudes(_ s: Spectrum, _ label: String) -> [Series] {
            let sorted = s.eigenvalues.sorted { Swift.abs($0) > Swift.abs($1) }
            let rank = sorted.indices.map { Double($0 + 1) }
            let positive = zip(rank, sorted).filter { $0.1 > 0 }, negative = zip(rank, sorted).filter { $0.1 < 0 }
            return [Series(name: "\(label), λ > 0", x: positive.map(\.0), y: positive.map(\.1), style: .markers),
                    Series(name: "\(label), λ < 0 (as |λ|)", x: negative.map(\.0), y: negative.map { -$0.1 }, style: .markers)]
        }
        let figure = Figure(name: "spectrum", title: "Hessian eigenvalues by magnitude",
                            xAxis: Axis("rank by |λ|", scale: .logarithmic), yAxis: Axis("|eigenvalue|", unit: "nats per unit θ²", scale: .logarithmic),
                            series: magnitudes(initial, "init") + magnitudes(trained, "trained"),
                            caption: "A few large eigenvalues, then a long tail over many orders of magnitude; negative ones (open markers) are directions of negative curvature.")
        return ExperimentResult(experiment: Self.name, title: "The loss Hessian's spectrum",
                                summary: "A network's loss is non-convex (negative Hessian eigenvalues, so Newton needs a safeguard) and badly conditioned, which slows gradient descent.",
                                configuration: configuration, verdicts: verdicts, tables: [summaryTable, table], figures: [figure],
                                seconds: Date().timeIntervalSince(start))
    }
}
