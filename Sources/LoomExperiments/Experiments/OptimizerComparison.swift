import Foundation
import Loom
import LoomData
import LoomNN
import LoomOptimizers

/// `optimizers`: one network, one initialization, one data order, one seed, one objective,
/// and every optimizer of the lecture: SGD, momentum (EMA with and without bias correction,
/// heavy ball), Nesterov, Adam, Newton and damped Newton. The model is small enough for an
/// exact Hessian (softmax regression by default), in float64; the objective is the mean
/// cross-entropy plus `(λ/2)‖θ‖²`, strictly convex for softmax regression with λ > 0.
///
/// Learning rates: one `α` for the SGD family; heavy ball (`u ← βu + g`) gets `α(1 − β)`
/// so that its steady-state step matches the EMA form's; Adam has its own. Adam runs twice:
/// as published (bias-corrected) and as the lecture notes print it (no bias correction).
public struct OptimizerExperiment: Experiment {
    public static let name = "optimizers"
    public var data = ExperimentData()
    /// Hidden widths ([]: softmax regression).
    public var hiddenWidths: [Int] = []
    /// Minibatch size (nil: the whole training set, i.e. deterministic full-batch steps).
    public var batchSize: Int?
    public var steps = 200
    public var newtonSteps = 15
    public var learningRate = 0.5
    public var momentum = 0.9
    public var adamLearningRate = 0.05
    public var l2 = 1e-3
    public var seed: UInt64 = 0
    /// Momentum, Nesterov and Adam agree when they reach SGD's final objective in fewer than
    /// `steps / speedup` steps (1: fewer steps than SGD, the lecture's claim).
    public var speedup = 1.0
    /// Newton's rate: the order of convergence estimated from its last three gradient norms
    /// above rounding must be at least this (linear convergence gives 1, quadratic 2).
    public var minimumOrder = 1.5

    /// The experiment with the defaults of its properties.
    public init() {}

    public var configuration: [ExperimentSetting] {
        [.init("data", data.description),
         .init("model", hiddenWidths.isEmpty ? "softmax regression" : "ReLU MLP, hidden \(hiddenWidths.map(String.init).joined(separator: ","))"),
         .init("objective", "mean cross-entropy + (\(format(l2))/2)‖θ‖², float64"), .init("batch", batchSize.map(String.init) ?? "full training set"),
         .init("steps", "\(steps) first-order, \(newtonSteps) Newton"),
         .init("learning rates", "α = \(format(learningRate)) (heavy ball α(1−β)), β = \(format(momentum)), Adam \(format(adamLearningRate)), Newton 1 and 0.5"),
         .init("seed", "\(seed)")]
    }

    public func validate() throws {
        try data.validate()
        try checkHiddenWidths(hiddenWidths, field: "hiddenWidths", allowsEmpty: true)
        // Every Newton variant forms the dense Hessian; checked here, not after the first-order runs.
        try checkParameterCount([data.expectedFeatureCount] + hiddenWidths + [data.expectedClassCount],
                                limit: ExperimentLimits.maximumHessianParameterCount, field: "hiddenWidths", purpose: "Newton's dense Hessian")
        try require(batchSize.map { $0 >= 1 } ?? true, "batchSize", "must be positive, got \(batchSize ?? 0)")
        // The verdicts compare the first-order methods after 10 steps.
        try require((10...ExperimentLimits.maximumSteps).contains(steps), "steps",
                    "must be between 10 and \(ExperimentLimits.maximumSteps), got \(steps)")
        try require((1...ExperimentLimits.maximumSteps).contains(newtonSteps), "newtonSteps",
                    "must be between 1 and \(ExperimentLimits.maximumSteps), got \(newtonSteps)")
        try require(learningRate > 0 && learningRate.isFinite, "learningRate", "must be positive and finite, got \(learningRate)")
        try require(adamLearningRate > 0 && adamLearningRate.isFinite, "adamLearningRate",
                    "must be positive and finite, got \(adamLearningRate)")
        try require((0..<1).contains(momentum), "momentum", "must be in [0, 1), got \(momentum)")
        try require(l2 >= 0 && l2.isFinite, "l2", "must be non-negative and finite, got \(l2)")
        try require(speedup >= 1 && speedup.isFinite, "speedup", "must be at least 1 and finite, got \(speedup)")
        try require(minimumOrder > 1 && minimumOrder.isFinite, "minimumOrder", "must be above 1 and finite, got \(minimumOrder)")
    }

    /// One optimizer's run.
    public struct Trace: Sendable {
        public var name: String
        /// The full objective after 0, 1, 2, … steps.
        public var losses: [Double]
        /// Cumulative seconds of optimizer work (forward, backward, update) after each step.
        public var seconds: [Double]
        /// Floats of state kept per parameter (Newton: the `n × n` Hessian, per step).
        public var statePerParameter: String
        /// `‖∇f(θ_k)‖` of the full objective after 0, 1, 2, … steps (Newton's methods only; empty
        /// for the others).
        public var gradientNorms: [Double] = []
        public var secondsPerStep: Double { (seconds.last ?? 0) / Double(Swift.max(seconds.count - 1, 1)) }
    }

    /// The method names, in the order they run.
    public static let methods = ["SGD", "momentum (EMA)", "momentum (EMA, bias-corrected)", "heavy ball", "Nesterov", "Adam", "Adam (notes: no bias correction)", "Newton (α = 1)", "damped Newton (α = 0.5)", "Newton + line search"]

    /// Runs every method of ``methods`` from the same initial weights: their traces, and the
    /// flattened parameters that Newton with line search ends at (the reference optimum).
    public func traces(log: (String) -> Void = { _ in }) throws -> (traces: [Trace], final: [Double]) {
        let (train, _) = try data.load(dtype: .float64)
        let widths = [train.exampleShape.reduce(1, *)] + hiddenWidths + [train.classCount]
        var traces: [Trace] = []
        var finalTheta: [Double] = []
        for method in Self.methods {
            var generator = SeededGenerator(seed: seed)
            let model = MLP(widths: widths, activation: .relu, dtype: .float64, using: &generator)
            let parameters = model.trainableParameters
            let penalty = l2
            let loss: (Tensor, Tensor) -> Tensor = { inputs, labels in
                softmaxCrossEntropy(logits: model(inputs), labels: labels)
                    + parameters.map { ($0.value * $0.value).sum() }.reduce(Tensor(0, dtype: .float64), +) * (penalty / 2)
            }
            let (optimizer, state): (any Optimizer, String) = switch method {
            case "SGD": (try SGD(parameters: parameters, learningRate: learningRate), "0")
            case "momentum (EMA)": (try SGD(parameters: parameters, learningRate: learningRate, momentum: momentum), "1")
            case "momentum (EMA, bias-corrected)":
                (try SGD(parameters: parameters, learningRate: learningRate, momentum: momentum, momentumForm: .exponentialMovingAverage(biasCorrection: true)), "1")
            case "heavy ball": (try SGD(parameters: parameters, learningRate: learningRate * (1 - momentum), momentum: momentum, momentumForm: .heavyBall(dampening: 0)), "1")
            case "Nesterov": (try SGD(parameters: parameters, learningRate: learningRate, momentum: momentum, nesterov: true), "1")
            case "Adam": (try Adam(parameters: parameters, learningRate: adamLearningRate), "2")
            case "Adam (notes: no bias correction)": (try Adam(parameters: parameters, learningRate: adamLearningRate, biasCorrection: false), "2")
            case "Newton (α = 1)": (try Newton(parameters: parameters, learningRate: 1), "n (Hessian)")
            case "damped Newton (α = 0.5)": (try Newton(parameters: parameters, learningRate: 0.5), "n (Hessian)")
            default: (try Newton(parameters: parameters, learningRate: 1, lineSearch: .backtracking()), "n (Hessian)")
            }
            let loader = DataLoader(train, batchSize: batchSize ?? train.count, shuffles: batchSize != nil, seed: seed)
            let count = optimizer.requiresLossClosure ? newtonSteps : steps
            // The objective at the iterate θ (for the lecture's Nesterov, not the look-ahead point
            // the parameters hold).
            func objective() -> Double {
                optimizer.withParametersAtIterate { withoutGradients { loss(train.inputs, train.labels) }.item(Double.self) }
            }
            // Newton's rate is judged on ‖∇f‖; the gradient is taken outside the timed steps.
            func gradientNorm() -> Double {
                optimizer.withParametersAtIterate {
                    parameters.forEach { $0.zeroGradient() }
                    loss(train.inputs, train.labels).backward()
                    let norm = parameters.map { $0.gradient.map { g in withoutGradients { (g * g).sum() }.item(Double.self) } ?? 0 }.reduce(0, +).squareRoot()
                    parameters.forEach { $0.zeroGradient() }
                    return norm
                }
            }
            var trace = Trace(name: method, losses: [objective()], seconds: [0], statePerParameter: state)
            if optimizer.requiresLossClosure { trace.gradientNorms = [gradientNorm()] }
            var elapsed = 0.0, epoch = 0
            let allParameters = model.parameters  // found once, outside the timed steps
            while trace.losses.count <= count {
                for batch in loader.batches(epoch: epoch) where trace.losses.count <= count {
                    let start = Date()
                    if optimizer.requiresLossClosure {
                        try optimizer.step { loss(batch.inputs, batch.labels) }
                    } else {
                        allParameters.forEach { $0.zeroGradient() }
                        loss(batch.inputs, batch.labels).backward()
                        try optimizer.step(loss: nil)
                    }
                    elapsed += Date().timeIntervalSince(start)
                    trace.seconds.append(elapsed)
                    trace.losses.append(objective())
                    if optimizer.requiresLossClosure { trace.gradientNorms.append(gradientNorm()) }
                }
                epoch += 1
            }
            model.zeroGradients()
            log("\(method): objective \(format(trace.losses[0], 4)) → \(format(trace.losses.last!, 6)) in \(count) steps, \(format(trace.secondsPerStep * 1000)) ms/step")
            traces.append(trace)
            if method == "Newton + line search" { finalTheta = FlatNetworkLoss.flatten(model).asArray(Double.self) }
        }
        return (traces, finalTheta)
    }

    /// The estimated order of convergence from the last three gradient norms above rounding
    /// (`floor` = 1e-9 × the first): `p = log(g₃/g₂) / log(g₂/g₁)` (2 for quadratic, 1 for
    /// linear), with `C = g₃ / g₂²`; nil when fewer than three norms lie above the floor or they do not fall.
    static func convergenceOrder(_ norms: [Double]) -> (order: Double, constant: Double, norms: [Double])? {
        guard let first = norms.first, first > 0 else { return nil }
        let above = norms.filter { $0 > 1e-9 * first && $0.isFinite }
        guard above.count >= 3 else { return nil }
        let (g1, g2, g3) = (above[above.count - 3], above[above.count - 2], above[above.count - 1])
        guard g2 < g1, g3 < g2 else { return nil }
        return (Foundation.log(g3 / g2) / Foundation.log(g2 / g1), g3 / (g2 * g2), [g1, g2, g3])
    }

    /// The verdict on Newton's local rate, `‖g_{k+1}‖ ≤ C ‖g_k‖²`, for one trace (a test hands it
    /// damped Newton, which converges only linearly).
    public func quadraticRateVerdict(for trace: Trace) -> Verdict {
        let estimate = Self.convergenceOrder(trace.gradientNorms)
        let measurement = estimate.map { e in
            "last ‖∇f‖ above rounding \(e.norms.map { format($0, 3) }.joined(separator: " → ")): order \(format(e.order, 3)), C = ‖g_{k+1}‖/‖g_k‖² = \(format(e.constant, 3))"
        } ?? "fewer than three falling gradient norms above rounding: \(trace.gradientNorms.map { format($0, 2) }.joined(separator: ", "))"
        return Verdict(prediction: "\(trace.name) converges quadratically near the optimum: ‖g_{k+1}‖ ≤ C ‖g_k‖²",
                       measurement: measurement,
                       refutedBy: "an order of convergence below \(format(minimumOrder)) (linear convergence, as damped Newton's, gives 1), or no three falling norms to estimate it",
                       agrees: (estimate?.order ?? 0) >= minimumOrder)
    }

    /// The number of steps after which `trace` first reaches an objective of `target` or below (nil: never).
    static func steps(of trace: Trace, toReach target: Double) -> Int? { trace.losses.firstIndex { $0 <= target } }

    /// The verdicts on the traces of ``methods``, from the measurements alone (so a test can hand
    /// in traces where momentum does not help or Newton is slow).
    public func verdicts(for traces: [Trace]) -> [Verdict] {
        func trace(_ name: String) -> Trace { traces.first { $0.name == name }! }
        let firstOrder = traces.filter { !$0.name.contains("Newton") }
        let bestFirst = firstOrder.min { $0.losses.last! < $1.losses.last! }!
        let newtons = traces.filter { $0.name.contains("Newton") }, sgd = trace("SGD")
        let early = Swift.min(10, newtonSteps)
        let newton = newtons.min { $0.losses[early] < $1.losses[early] }!
        let full = trace("Newton (α = 1)"), safer = newtons.filter { $0.name != full.name }
        let ema = trace("momentum (EMA)"), corrected = trace("momentum (EMA, bias-corrected)")
        let accelerated = ["momentum (EMA)", "heavy ball", "Nesterov", "Adam"].map(trace)
        let target = sgd.losses.last!, budget = Double(sgd.losses.count - 1) / speedup
        let reached = accelerated.map { Self.steps(of: $0, toReach: target) }
        let tenth = Swift.min(10, steps)
        return [
            Verdict(prediction: "Newton's method needs far fewer steps: after \(early) steps it is below where every first-order method is after \(steps)",
                    measurement: "\(newton.name) after \(early) steps \(format(newton.losses[early], 6)); best first-order (\(bestFirst.name)) after \(steps) steps \(format(bestFirst.losses.last!, 6))",
                    refutedBy: "every Newton variant above the best first-order objective after \(early) steps",
                    agrees: newton.losses[early] <= bestFirst.losses.last!),
            quadraticRateVerdict(for: trace("Newton + line search")),
            Verdict(prediction: "full Newton steps are trustworthy only near the minimum: from a poor start, damping or a line search does at least as well",
                    measurement: "final objective: full steps \(format(full.losses.last!, 4)); " + safer.map { "\($0.name) \(format($0.losses.last!, 4))" }.joined(separator: ", "),
                    refutedBy: "full steps ending lower than damped Newton or Newton with line search",
                    agrees: safer.allSatisfy { $0.losses.last! <= full.losses.last! * (1 + 1e-9) }),
            Verdict(prediction: "momentum, Nesterov and Adam reach a given objective in fewer steps than SGD",
                    measurement: "steps to reach SGD's objective after \(steps) steps (\(format(target, 4))): "
                        + zip(accelerated, reached).map { "\($0.name) \($1.map(String.init) ?? "never")" }.joined(separator: ", "),
                    refutedBy: "any of them needing \(format(budget, 4)) steps or more (SGD's \(steps)\(speedup == 1 ? "" : " / \(format(speedup))"))",
                    agrees: reached.allSatisfy { $0.map { Double($0) < budget } ?? false }),
            Verdict(prediction: "bias correction removes the EMA momentum's slow start (u₀ = 0 shrinks the first steps by 1 − βᵗ)",
                    measurement: "objective after \(tenth) steps: \(format(ema.losses[tenth], 4)) without, \(format(corrected.losses[tenth], 4)) with bias correction",
                    refutedBy: "the bias-corrected run at or above the uncorrected one after \(tenth) steps",
                    agrees: corrected.losses[tenth] < ema.losses[tenth]),
        ]
    }

    public func run(log: (String) -> Void) throws -> ExperimentResult {
        let start = Date()
        let (traces, _) = try traces(log: log)
        let verdicts = verdicts(for: traces)
        let costs = ResultTable(name: "cost-per-step", columns: ["optimizer", "steps", "seconds per step", "total seconds", "final objective (nats)", "state floats per parameter"],
                                rows: traces.map { [.text($0.name), .number(Double($0.losses.count - 1)), .number($0.secondsPerStep), .number($0.seconds.last!), .number($0.losses.last!), .text($0.statePerParameter)] })
        var curves = ResultTable(name: "loss-curves", columns: ["optimizer", "step", "seconds", "objective (nats)"])
        for t in traces { for k in t.losses.indices { curves.rows.append([.text(t.name), .number(Double(k)), .number(t.seconds[k]), .number(t.losses[k])]) } }
        // The objective's lower bound is unknown, so plot f − f* against the best value seen.
        let best = traces.flatMap(\.losses).min()!
        func gap(_ t: Trace) -> [Double] { t.losses.map { Swift.max($0 - best, 1e-12) } }
        let bySteps = Figure(name: "loss-vs-step", title: "Suboptimality against steps",
                             xAxis: Axis("step", scale: .logarithmic), yAxis: Axis("f(θ) − f_best", unit: "nats", scale: .logarithmic),
                             series: traces.map { Series(name: $0.name, x: $0.losses.indices.map { Double($0) + 1 }, y: gap($0)) },
                             caption: "x is step + 1 (log scale). f_best is the lowest objective any method reached; Newton gets there in a few steps.")
        let byTime = Figure(name: "loss-vs-time", title: "Suboptimality against wall-clock time",
                            xAxis: Axis("optimizer time", unit: "s", scale: .logarithmic), yAxis: Axis("f(θ) − f_best", unit: "nats", scale: .logarithmic),
                            series: traces.map { t in Series(name: t.name, x: Array(t.seconds.dropFirst()), y: Array(gap(t).dropFirst())) },
                            caption: "Time counts only the optimizer's work (forward, backward, update), not the evaluation of the curve.")
        return ExperimentResult(experiment: Self.name, title: "Optimizers on one problem",
                                summary: "Newton's method converges in a handful of steps, quadratically near the optimum, but each step costs an n × n Hessian; momentum and Adam speed up gradient descent at the cost of one or two extra vectors of state; bias correction fixes the EMA's slow start. The notes' Adam (no bias correction) runs beside the published one; the cost of a step is measured in the table.",
                                configuration: configuration, verdicts: verdicts, tables: [costs, curves], figures: [bySteps, byTime],
                                seconds: Date().timeIntervalSince(start))
    }
}
