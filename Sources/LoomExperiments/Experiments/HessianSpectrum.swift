import Foundation
import Loom
import LoomData
import LoomTraining
import LoomNN
import LoomOptimizers

/// A ReLU MLP's loss as a function of one flat parameter vector `θ` (per layer the weight
/// `[in, out]` row-major, then the bias, as `MLP` lists its parameters), so the core
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

/// `hessian`: the spectrum of the loss Hessian of a ReLU MLP, at initialization and after
/// training with Adam. Every network gets PyHessian's estimates from Hessian-vector products
/// (the top eigenvalues and the smallest Ritz value by Lanczos, the trace by Hutchinson, the
/// spectral density by stochastic Lanczos quadrature), so a 669,706-parameter MNIST network
/// needs no dense Hessian; small networks (at most Newton's dense limit) also get the exact
/// spectrum, and a verdict that the estimates agree with it.
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
    /// How many of the largest eigenvalues to report.
    public var topEigenvalueCount = 10
    /// Lanczos steps per probe (each one Hessian-vector product).
    public var lanczosSteps = 40
    /// Rademacher vectors for Hutchinson's trace (PyHessian's `maxIter`).
    public var traceSamples = 100
    /// Lanczos probes for the density (the first also gives the extreme eigenvalues).
    public var densityProbes = 1
    /// The most parameters for which the exact (dense) spectrum is computed too.
    public var denseLimit = ExperimentLimits.maximumHessianParameterCount

    /// The experiment with the defaults of its properties.
    public init() {}

    public var configuration: [ExperimentSetting] {
        [.init("data", data.description), .init("hidden widths", hiddenWidths.map(String.init).joined(separator: ",")),
         .init("activation", "ReLU, Kaiming normal"), .init("training", "Adam, learning rate \(learningRate), batch \(batchSize), \(epochs) epochs"),
         .init("Hessian", "of the mean cross-entropy over the training examples, float64; exact (dense) up to \(denseLimit) parameters"),
         .init("estimates", "Lanczos \(lanczosSteps) steps × \(densityProbes) probes (top \(topEigenvalueCount), density), Hutchinson \(traceSamples) samples"),
         .init("seed", "\(seed)")]
    }

    public func validate() throws {
        try data.validate()
        try checkHiddenWidths(hiddenWidths, field: "hiddenWidths", allowsEmpty: true)
        try checkParameterCount([data.expectedFeatureCount] + hiddenWidths + [data.expectedClassCount],
                                limit: ExperimentLimits.maximumParameterCount, field: "hiddenWidths", purpose: "Hessian-vector products")
        try checkTraining(epochs: epochs, minimumEpochs: 0, batchSize: batchSize, learningRate: learningRate)
        try require(topEigenvalueCount >= 1, "topEigenvalueCount", "must be at least 1, got \(topEigenvalueCount)")
        try require(lanczosSteps >= topEigenvalueCount && lanczosSteps <= 10_000, "lanczosSteps",
                    "must be between topEigenvalueCount (\(topEigenvalueCount)) and 10000, got \(lanczosSteps)")
        try require(traceSamples >= 2 && traceSamples <= 100_000, "traceSamples", "must be between 2 and 100000, got \(traceSamples)")
        try require(densityProbes >= 1 && densityProbes <= 1000, "densityProbes", "must be between 1 and 1000, got \(densityProbes)")
        try require(denseLimit >= 0 && denseLimit <= ExperimentLimits.maximumHessianParameterCount, "denseLimit",
                    "must be between 0 and \(ExperimentLimits.maximumHessianParameterCount), got \(denseLimit)")
    }

    /// A spectrum: the estimates from Hessian-vector products, and the exact eigenvalues of a
    /// small network.
    public struct Spectrum: Sendable {
        /// All eigenvalues, ascending (nil: too many parameters for a dense Hessian).
        public var eigenvalues: [Double]?
        public var loss: Double
        public var parameterCount: Int
        /// The largest eigenvalues by Lanczos, descending.
        public var topEigenvalues: [Double]
        /// The smallest Ritz value of the Lanczos run: an upper bound on λ_min (so a negative
        /// one proves a negative eigenvalue).
        public var smallestRitzValue: Double
        /// Hutchinson's estimate of tr H and its standard error.
        public var trace: Double
        public var traceStandardError: Double
        /// Stochastic Lanczos quadrature.
        public var density: SpectralDensity
        public var seconds: Double

        public var largest: Double { eigenvalues?.last ?? topEigenvalues.first ?? .nan }
        public var smallest: Double { eigenvalues?.first ?? smallestRitzValue }
        /// Eigenvalues below `−10⁻⁹ λ_max` (dense only).
        public var negativeCount: Int? { eigenvalues.map { $0.filter { $0 < -1e-9 * Swift.abs(largest) }.count } }
        /// Eigenvalues with `|λ| ≤ 10⁻¹⁰ |λ|_max`: numerically zero (e.g. the weights of
        /// pixels that are 0 in every image, or of dead ReLU units, have no curvature). Dense only.
        public var zeroCount: Int? { eigenvalues.map { $0.filter { Swift.abs($0) <= 1e-10 * Swift.abs(largest) }.count } }
        /// `|λ|_max / |λ|_min` over the eigenvalues that are not numerically zero (dense only).
        public var conditionNumber: Double? {
            eigenvalues.map { values in
                let magnitudes = values.map(Swift.abs).filter { $0 > 1e-10 * Swift.abs(largest) }
                return (magnitudes.max() ?? .nan) / (magnitudes.min() ?? .nan)
            }
        }
        /// The fraction of eigenvalues with `|λ| < 1% of λ_max` (the bulk near zero): counted
        /// when dense, else the density's mass there.
        public var bulkFraction: Double {
            let threshold = 0.01 * Swift.abs(largest)
            if let eigenvalues {
                return Double(eigenvalues.filter { Swift.abs($0) < threshold }.count) / Double(Swift.max(eigenvalues.count, 1))
            }
            return density.integral { Swift.abs($0) < threshold ? 1 : 0 }
        }
    }

    /// The spectrum of `loss` at the model's current weights.
    func spectrum(model: MLP, train: LabeledDataset, widths: [Int]) -> Spectrum {
        let start = Date()
        let hessian = LossHessian(parameters: model.trainableParameters) {
            softmaxCrossEntropy(logits: model(train.inputs), labels: train.labels)
        }
        var generator = SeededGenerator(seed: seed &+ 1)
        let density = SpectrumEstimation.stochasticLanczosQuadrature(
            dimension: hessian.dimension, steps: lanczosSteps, probes: densityProbes, using: &generator, product: hessian.product)
        let ritz = density.nodes[0]
        let (trace, error) = SpectrumEstimation.hutchinsonTrace(
            dimension: hessian.dimension, samples: traceSamples, using: &generator, product: hessian.product)
        var eigenvalues: [Double]?
        if hessian.dimension <= denseLimit {
            let flat = FlatNetworkLoss(widths: widths, inputs: train.inputs, labels: train.labels)
            eigenvalues = flat.eigenvalues(at: FlatNetworkLoss.flatten(model))
        }
        return Spectrum(eigenvalues: eigenvalues, loss: hessian.value, parameterCount: hessian.dimension,
                        topEigenvalues: Array(ritz.reversed().prefix(topEigenvalueCount)), smallestRitzValue: ritz.first ?? .nan,
                        trace: trace, traceStandardError: error, density: density, seconds: Date().timeIntervalSince(start))
    }

    /// The spectra at initialization and after training.
    public func spectra(log: (String) -> Void = { _ in }) throws -> (initial: Spectrum, trained: Spectrum) {
        let (train, _) = try data.load(dtype: .float64)
        var generator = SeededGenerator(seed: seed)
        let widths = [train.exampleShape.reduce(1, *)] + hiddenWidths + [train.classCount]
        let model = MLP(widths: widths, activation: .relu, dtype: .float64, using: &generator)
        func measured(_ label: String) -> Spectrum {
            let result = spectrum(model: model, train: train, widths: widths)
            log("\(label): loss \(format(result.loss, 4)), λ_max \(format(result.largest)), λ_min \(result.eigenvalues == nil ? "≤ " : "")\(format(result.smallest)), "
                + "tr H \(format(result.trace)) ± \(format(result.traceStandardError, 2)), \(result.parameterCount) parameters, \(format(result.seconds, 3)) s")
            return result
        }
        let initial = measured("at initialization")
        let optimizer = try Adam(parameters: model.trainableParameters, learningRate: learningRate)
        let loader = DataLoader(train, batchSize: batchSize, shuffles: true, seed: seed)
        StepTrainer.train(model: model, optimizer: optimizer, loader: loader, steps: epochs * loader.batchCount)
        return (initial, measured("after training"))
    }

    public func run(log: (String) -> Void) throws -> ExperimentResult {
        let start = Date()
        let (initial, trained) = try spectra(log: log)
        let verdicts = Self.verdicts(initial, trained)
        let summaryTable = ResultTable(
            name: "summary",
            columns: ["point", "loss (nats)", "λ_max", "λ_min (dense; else the smallest Ritz value, ≥ λ_min)", "trace (Hutchinson)", "trace standard error",
                      "negative eigenvalues", "zero eigenvalues", "condition number |λ|max/|λ|min (non-zero λ)", "seconds"],
            rows: [("initialization", initial), ("after training", trained)].map { label, s in
                [.text(label), .number(s.loss), .number(s.largest), .number(s.smallest), .number(s.trace), .number(s.traceStandardError),
                 .number(s.negativeCount.map(Double.init) ?? .nan), .number(s.zeroCount.map(Double.init) ?? .nan),
                 .number(s.conditionNumber ?? .nan), .number(s.seconds)]
            })
        var tables = [summaryTable]
        if let initialValues = initial.eigenvalues, let trainedValues = trained.eigenvalues {
            tables.append(ResultTable(name: "eigenvalues", columns: ["index (ascending)", "eigenvalue at initialization", "eigenvalue after training"],
                                      rows: initialValues.indices.map { [.number(Double($0 + 1)), .number(initialValues[$0]), .number(trainedValues[$0])] }))
        }
        tables.append(ResultTable(name: "top eigenvalues", columns: ["rank", "Lanczos at initialization", "Lanczos after training"],
                                  rows: initial.topEigenvalues.indices.map { k in
                                      [.number(Double(k + 1)), .number(initial.topEigenvalues[k]),
                                       .number(k < trained.topEigenvalues.count ? trained.topEigenvalues[k] : .nan)]
                                  }))
        let figure = initial.eigenvalues != nil && trained.eigenvalues != nil ? Self.magnitudeFigure(initial, trained) : Self.densityFigure(initial, trained)
        return ExperimentResult(experiment: Self.name, title: "The loss Hessian's spectrum",
                                summary: "A network's loss is non-convex (negative Hessian eigenvalues, so Newton needs a safeguard) and badly conditioned, which slows gradient descent.",
                                configuration: configuration, verdicts: verdicts, tables: tables, figures: [figure],
                                seconds: Date().timeIntervalSince(start))
    }

    static func verdicts(_ initial: Spectrum, _ trained: Spectrum) -> [Verdict] {
        func describe(_ s: Spectrum) -> String {
            if let negative = s.negativeCount, let zero = s.zeroCount, let kappa = s.conditionNumber {
                return "λ_max \(format(s.largest)), λ_min \(format(s.smallest)), \(negative) negative, \(zero) zero, κ = |λ|max/|λ|min (non-zero λ) \(format(kappa)), \(percent(s.bulkFraction)) within 1% of λ_max of zero"
            }
            return "λ_max \(format(s.largest)), smallest Ritz value \(format(s.smallest)) (≥ λ_min), density mass within 1% of λ_max of zero \(percent(s.bulkFraction))"
        }
        let ratio = { (s: Spectrum) in Swift.abs(Swift.min(s.smallest, 0)) / s.largest }
        var verdicts = [
            Verdict(prediction: "the loss is not convex: the Hessian has negative eigenvalues at initialization",
                    measurement: describe(initial),
                    refutedBy: "no eigenvalue below −10⁻⁹ λ_max at initialization (a convex loss there)", agrees: (initial.negativeCount.map { $0 > 0 }) ?? (initial.smallest < 0)),
            Verdict(prediction: "the Hessian is badly conditioned: a few large eigenvalues over a bulk near zero"
                        + (initial.conditionNumber == nil ? " (most of the density within 1% of λ_max of zero)" : " (κ > 10⁴)"),
                    measurement: initial.conditionNumber.map { "at init κ \(format($0)), bulk \(percent(initial.bulkFraction)); trained κ \(format(trained.conditionNumber ?? .nan)), bulk \(percent(trained.bulkFraction))" }
                        ?? "bulk at init \(percent(initial.bulkFraction)), trained \(percent(trained.bulkFraction)); λ_max / |tr H / n|: \(format(initial.largest / Swift.abs(initial.trace / Double(initial.parameterCount))))",
                    refutedBy: "κ ≤ 10⁴ at initialization or after training, or half or less of the spectrum within 1% of λ_max of zero",
                    agrees: initial.conditionNumber.map { $0 > 1e4 && (trained.conditionNumber ?? 0) > 1e4 && trained.bulkFraction > 0.5 }
                        ?? (initial.bulkFraction > 0.5 && trained.bulkFraction > 0.5)),
            Verdict(prediction: "after training (near a minimum) the negative curvature is small relative to the largest: |λ_min|/λ_max shrinks",
                    measurement: "|λ_min|/λ_max \(format(ratio(initial))) at init → \(format(ratio(trained))) trained; " + describe(trained),
                    refutedBy: "|λ_min|/λ_max as large or larger after training than at initialization",
                    agrees: ratio(trained) < ratio(initial)),
        ]
        if let values = initial.eigenvalues {
            let exactTop = Array(values.reversed().prefix(initial.topEigenvalues.count))
            let topError = zip(initial.topEigenvalues, exactTop).map { Swift.abs($0 - $1) }.max() ?? 0
            let exactTrace = values.reduce(0, +)
            verdicts.append(Verdict(
                prediction: "the estimates from Hessian-vector products agree with the dense spectrum: λ_max to 1e-6 relative, the trace within 4 standard errors",
                measurement: "λ_max \(format(initial.topEigenvalues.first ?? .nan, 10)) vs \(format(values.last ?? .nan, 10)) (top \(exactTop.count) max error \(format(topError, 2))); trace \(format(initial.trace)) ± \(format(initial.traceStandardError, 2)) vs \(format(exactTrace))",
                refutedBy: "Lanczos's λ_max off by more than 10⁻⁶ relative, or Hutchinson's trace more than 4 standard errors from the exact one",
                agrees: Swift.abs((initial.topEigenvalues.first ?? .nan) - (values.last ?? .nan)) <= 1e-6 * Swift.abs(values.last ?? 1)
                    && Swift.abs(initial.trace - exactTrace) <= 4 * initial.traceStandardError))
        }
        return verdicts
    }

    static func magnitudeFigure(_ initial: Spectrum, _ trained: Spectrum) -> Figure {
        func magnitudes(_ s: Spectrum, _ label: String) -> [Series] {
            let sorted = (s.eigenvalues ?? []).sorted { Swift.abs($0) > Swift.abs($1) }
            let rank = sorted.indices.map { Double($0 + 1) }
            let positive = zip(rank, sorted).filter { $0.1 > 0 }, negative = zip(rank, sorted).filter { $0.1 < 0 }
            return [Series(name: "\(label), λ > 0", x: positive.map(\.0), y: positive.map(\.1), style: .markers),
                    Series(name: "\(label), λ < 0 (as |λ|)", x: negative.map(\.0), y: negative.map { -$0.1 }, style: .markers)]
        }
        return Figure(name: "spectrum", title: "Hessian eigenvalues by magnitude",
                      xAxis: Axis("rank by |λ|", scale: .logarithmic), yAxis: Axis("|eigenvalue|", unit: "nats per unit θ²", scale: .logarithmic),
                      series: magnitudes(initial, "init") + magnitudes(trained, "trained"),
                      caption: "A few large eigenvalues, then a long tail over many orders of magnitude; negative ones (open markers) are directions of negative curvature.")
    }

    static func densityFigure(_ initial: Spectrum, _ trained: Spectrum) -> Figure {
        func series(_ s: Spectrum, _ label: String) -> Series {
            let (grid, density) = s.density.smoothed(points: 400)
            // The log axis needs positive values: the Gaussian tails underflow far from the nodes.
            let floor = (density.max() ?? 1) * 1e-12
            return Series(name: label, x: grid, y: density.map { Swift.max($0, floor) }, style: .line)
        }
        return Figure(name: "density", title: "Hessian spectral density (stochastic Lanczos quadrature)",
                      xAxis: Axis("eigenvalue", unit: "nats per unit θ²"), yAxis: Axis("density", scale: .logarithmic),
                      series: [series(initial, "init"), series(trained, "trained")],
                      caption: "PyHessian's smoothed density: Gaussian kernels (σ² = 10⁻⁵ × range) at the Ritz values, weighted by the squared first components. Mass piles up near zero; a few outliers carry the large curvature.")
    }
}
