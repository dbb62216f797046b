import CLoomKernels
import Foundation
import Loom
import LoomNN
import LoomOptimizers

// The MLP benchmarks of issue 6: MLP 784-512-512-10 (ReLU), float32, batch 128, one full
// training step (forward, softmax cross-entropy, backward, optimizer step) per call; and
// inference at batch 1024. Synthetic inputs in [0, 1) and labels 0…9 (the data's values do
// not change the work; the peers in Scripts/bench_peers.py use the same sizes).
// Not in main.swift: closures in top-level code are @MainActor-isolated (see PoolBench.swift).

/// The optimizers benchmarked, with the learning rates of PERFORMANCE.md's peer table.
enum BenchOptimizer: String, CaseIterable {
    case sgd, momentum, adam

    func make(_ parameters: [Parameter]) -> any Optimizer {
        switch self {
        case .sgd: try! SGD(parameters: parameters, learningRate: 0.1)
        // PyTorch's heavy ball, as the peers use (torch.optim.SGD(momentum=0.9), optax.sgd(momentum=0.9)).
        case .momentum: try! SGD(parameters: parameters, learningRate: 0.01, momentum: 0.9, momentumForm: .heavyBall())
        case .adam: try! Adam(parameters: parameters, learningRate: 1e-3)
        }
    }
}

/// The benchmark's layer widths, input to output.
let benchmarkWidths = [784, 512, 512, 10]

/// The training benchmarks' batch and the inference benchmark's.
let benchmarkBatch = 128, inferenceBatch = 1024

/// Batches of synthetic data: inputs `[batch, inputs]` float32 in [0, 1), labels `[batch]` int64
/// in 0..<classes.
func syntheticBatches(count: Int, batchSize: Int, seed: UInt64, inputs: Int = 784, classes: Int = 10)
    -> [(inputs: Tensor, labels: Tensor)] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in
        let x = Tensor.uniform([batchSize, inputs], low: 0, high: 1, using: &generator)
        let labels = Tensor(shape: [batchSize], scalars: (0..<batchSize).map { _ in Int64(generator.next() % UInt64(classes)) },
                            dtype: .int64)
        return (x, labels)
    }
}

/// The benchmark's model (by default MLP 784-512-512-10, ReLU), with the same seeded weights every time.
func benchmarkMLP(widths: [Int] = benchmarkWidths) -> MLP {
    var generator = SeededGenerator(seed: 0)
    return MLP(widths: widths, using: &generator)
}

/// The training benchmarks' setup: the model, `optimizer` over its parameters, and eight
/// synthetic batches.
func trainingSetup(_ optimizer: BenchOptimizer, widths: [Int] = benchmarkWidths, batchSize: Int = benchmarkBatch)
    -> (model: MLP, step: any Optimizer, batches: [(inputs: Tensor, labels: Tensor)]) {
    let model = benchmarkMLP(widths: widths)
    return (model, optimizer.make(model.parameters),
            syntheticBatches(count: 8, batchSize: batchSize, seed: 1, inputs: widths[0], classes: widths.last!))
}

/// Floating-point operations of one training step of an MLP with these widths: the forward
/// products, every weight gradient, and every input gradient but the first layer's (which
/// nobody needs). The count the benchmark tables turn into a fraction of the FMA ceiling.
func trainingStepFLOP(widths: [Int], batchSize: Int) -> Double {
    let layers = zip(widths, widths.dropFirst()).map { 2.0 * Double(batchSize) * Double($0) * Double($1) }
    return 2 * layers.reduce(0, +) + layers.dropFirst().reduce(0, +)
}

/// Runs `body` with the kernels on `threads` threads, then restores the previous count.
func withKernelThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
    let previous = loom_num_threads()
    loom_set_num_threads(Int32(threads))
    defer { loom_set_num_threads(previous) }
    return try body()
}

/// One training step per call of the MLP with `optimizer`, cycling over eight batches. As in
/// Trainer: the graph (which holds the weights) ends before the in-place update, which would
/// otherwise copy every parameter first. The optimizer clears the gradients (PyTorch's
/// optimizer.zero_grad()): the model's zeroGradients() finds its parameters by reflection, ~3%
/// of a step.
func trainingStepBody(_ optimizer: BenchOptimizer, widths: [Int] = benchmarkWidths, batchSize: Int = benchmarkBatch) -> () -> Void {
    let (model, step, batches) = trainingSetup(optimizer, widths: widths, batchSize: batchSize)
    var index = 0
    return {
        let batch = batches[index % batches.count]
        index += 1
        do {
            let loss = softmaxCrossEntropy(logits: model(batch.inputs), labels: batch.labels)
            step.zeroGradients()
            loss.backward()
        }
        step.step()
    }
}

/// One inference pass per call of the benchmark's MLP at batch ``inferenceBatch``.
func inferenceBody() -> () -> Void {
    let model = benchmarkMLP()
    model.evaluate()
    let batch = syntheticBatches(count: 1, batchSize: inferenceBatch, seed: 2)[0]
    return { _ = withoutGradients { model(batch.inputs) } }
}

/// Training steps per second of the MLP with `optimizer` on `threads` threads.
func benchTrainingStep(_ optimizer: BenchOptimizer, threads: Int, filter: String?,
                       widths: [Int] = benchmarkWidths, batchSize: Int = benchmarkBatch,
                       options: MeasureOptions = MeasureOptions(window: .milliseconds(250), samples: 7, warmup: .milliseconds(300))) {
    let name = "train mlp\(widths.map(String.init).joined(separator: "-")) b\(batchSize) \(optimizer.rawValue) \(threads)t"
    if let filter, !name.contains(filter) { return }
    let body = trainingStepBody(optimizer, widths: widths, batchSize: batchSize)
    withKernelThreads(threads) { measure(name, unit: "steps/s", workPerCall: 1, scale: 1, options: options, body) }.printJSON()
}

/// Inference samples per second at batch 1024.
func benchInference(threads: Int, filter: String?) {
    let name = "infer mlp\(benchmarkWidths.map(String.init).joined(separator: "-")) b\(inferenceBatch) \(threads)t"
    if let filter, !name.contains(filter) { return }
    let body = inferenceBody()
    withKernelThreads(threads) { measure(name, unit: "samples/s", workPerCall: Double(inferenceBatch), scale: 1, options: MeasureOptions(window: .milliseconds(250), samples: 7, warmup: .milliseconds(300)), body) }.printJSON()
}

/// Where a training step's time goes: microseconds per phase (forward, loss, backward,
/// optimizer), medians over many steps. A diagnostic, not a target.
func benchTrainingPhases(_ optimizer: BenchOptimizer, threads: Int, filter: String?) {
    let name = "phases 784-512-512-10 b128 \(optimizer.rawValue) \(threads)t"
    if let filter, !name.contains(filter) { return }
    withKernelThreads(threads) {
        let (model, step, batches) = trainingSetup(optimizer)
        let clock = ContinuousClock()
        var phases: [[Double]] = Array(repeating: [], count: 4)
        func microseconds(_ d: Duration) -> Double {
            Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) * 1e-12
        }
        for index in 0..<400 {
            let batch = batches[index % batches.count]
            let t0 = clock.now
            var t1 = t0, t2 = t0
            do {
                let logits = model(batch.inputs)
                t1 = clock.now
                let loss = softmaxCrossEntropy(logits: logits, labels: batch.labels)
                t2 = clock.now
                step.zeroGradients()
                loss.backward()
            }
            let t3 = clock.now
            step.step()
            let t4 = clock.now
            if index >= 50 {
                for (k, d) in [t1 - t0, t2 - t1, t3 - t2, t4 - t3].enumerated() { phases[k].append(microseconds(d)) }
            }
        }
        for (label, values) in zip(["forward", "loss", "backward", "optimizer"], phases) {
            summarize("\(name) \(label)", unit: "us", values).printJSON()
        }
    }
}

/// The fused `x·W + b` (one GEMM starting from the bias) against `matmul` then `+`, on the
/// first layer's shape, alternating windows so that machine load hits both alike.
func benchAffine(batch: Int, threads: Int, filter: String?) {
    let name = "affine \(batch)x784x512 \(threads)t"
    if let filter, !name.contains(filter) { return }
    withKernelThreads(threads) {
        var generator = SeededGenerator(seed: 3)
        let x = Tensor.uniform([batch, 784], using: &generator)
        let w = Tensor.uniform([784, 512], low: -0.1, high: 0.1, using: &generator)
        let b = Tensor.uniform([512], using: &generator)
        let flops = 2.0 * Double(batch) * 784 * 512
        var options = MeasureOptions()
        options.samples = 1
        var fused: [Double] = [], unfused: [Double] = []
        for _ in 0..<7 {
            fused.append(measure("", unit: "", workPerCall: flops, options: options) { _ = x.affine(weight: w, bias: b) }.median)
            unfused.append(measure("", unit: "", workPerCall: flops, options: options) { _ = x.matmul(w) + b }.median)
        }
        summarize("\(name) fused", unit: "GFLOP/s", fused).printJSON()
        summarize("\(name) matmul+add", unit: "GFLOP/s", unfused).printJSON()
    }
}

/// An elementwise product of two contiguous `[rows, 512]` float tensors (the kernel of the
/// ReLU pullback and of every same-shape binary operation) on one thread and on two,
/// alternating windows: what splitting one coalesced row across the pool buys.
func benchElementwise(rows: Int, filter: String?) {
    let name = "elementwise mul \(rows)x512"
    if let filter, !name.contains(filter) { return }
    var generator = SeededGenerator(seed: 4)
    let a = Tensor.uniform([rows, 512], using: &generator), b = Tensor.uniform([rows, 512], using: &generator)
    var options = MeasureOptions()
    options.samples = 1
    var results: [[Double]] = [[], []]
    for _ in 0..<9 {
        for threads in [1, 2] {
            results[threads - 1].append(withKernelThreads(threads) {
                measure("", unit: "", workPerCall: Double(rows * 512), options: options) { _ = a * b }.median
            })
        }
    }
    for threads in [1, 2] {
        summarize("\(name) \(threads)t", unit: "Gelem/s", results[threads - 1]).printJSON()
    }
}

/// Microseconds per small operation on the output layer's `[128, 10]` logits: what a
/// training step pays per op outside the GEMMs (the loss is a dozen of them).
func benchSmallOps(filter: String?) {
    let name = "small ops 128x10"
    if let filter, !name.contains(filter) { return }
    var generator = SeededGenerator(seed: 5)
    let x = Tensor.uniform([128, 10], using: &generator), y = Tensor.uniform([128, 10], using: &generator)
    let labels = Tensor(shape: [128], scalars: (0..<128).map { Double($0 % 10) }, dtype: .int64)
    measureLatency("\(name) add") { _ = x + y }.printJSON()
    measureLatency("\(name) exp") { _ = x.exp() }.printJSON()
    measureLatency("\(name) sum rows") { _ = x.sum(alongAxes: [1], keepingDimensions: true) }.printJSON()
    measureLatency("\(name) logSoftmax") { _ = x.logSoftmax(alongAxis: 1) }.printJSON()
    var w = Tensor.uniform([128, 10], using: &generator)
    w.requiresGradient = true
    measureLatency("\(name) add recorded") { _ = w + y }.printJSON()
    measureLatency("\(name) cross entropy") { _ = softmaxCrossEntropy(logits: w, labels: labels) }.printJSON()
    measureLatency("\(name) cross entropy + backward") { softmaxCrossEntropy(logits: w, labels: labels).backward() }.printJSON()
    // The composition the fused loss replaced (logSoftmax, gather, reshape, negate, mean): what
    // the primitive saves a step.
    let column = labels.reshaped([128, 1])
    measureLatency("\(name) cross entropy composed + backward") {
        (-w.logSoftmax(alongAxis: 1).gathered(column, alongAxis: 1).reshaped([-1])).mean().backward()
    }.printJSON()
}

/// Microseconds to find the MLP's parameters (`Module.namedParameters()`, the walk behind
/// `model.zeroGradients()`): bookkeeping a step pays when a loop calls it per step.
func benchModuleWalk(filter: String?) {
    let name = "module walk mlp784-512-512-10 namedParameters"
    if let filter, !name.contains(filter) { return }
    let model = benchmarkMLP()
    var count = 0
    measureLatency(name) { count &+= model.namedParameters().count }.printJSON()
    precondition(count > 0)
}

/// One MLP's training step on 2 threads, with windows long enough for its size (the scaling
/// table): the step's FLOP count goes out with it so the table can quote % of the ceiling.
func benchShape(widths: [Int], batchSize: Int, optimizer: BenchOptimizer) {
    let flop = trainingStepFLOP(widths: widths, batchSize: batchSize)
    // ~60 GFLOP/s a thread is a conservative speed: a window holds >= 3 steps and >= 0.25 s.
    let stepSeconds = flop / 120e9
    let window = max(0.25, 3 * stepSeconds)
    let options = MeasureOptions(window: .milliseconds(Int64(window * 1000)), samples: stepSeconds > 0.1 ? 5 : 7,
                                 warmup: .milliseconds(Int64(max(0.3, 2 * stepSeconds) * 1000)))
    print("{\"name\": \"flop per step\", \"unit\": \"FLOP\", \"median\": \(flop)}")
    let threads = ProcessInfo.processInfo.environment["LOOM_BENCH_THREADS"].flatMap { Int($0) } ?? 2
    benchTrainingStep(optimizer, threads: threads, filter: nil, widths: widths, batchSize: batchSize, options: options)
}

/// The matrix products of a training step (or of an inference pass) alone, one step per call,
/// through `loom_sgemm` on the step's shapes, layouts and data flow. Forward, each layer's
/// output is the next one's input (ReLU epilogue on hidden layers); backward, last layer first,
/// the weight gradient `Zᵢᵀ·Gᵢ₊₁` and, but for the first layer, the input gradient `Gᵢ₊₁·Wᵢᵀ`
/// (transposed views, as the autodiff pullbacks pass them), each into a buffer of its own; the
/// inputs rotate over eight batches as the step benchmark's do. Nothing else runs: no bias,
/// loss, elementwise pass, autodiff bookkeeping or update. Returns the body and what frees its
/// buffers.
func productsBody(widths: [Int], batch: Int, training: Bool) -> (body: () -> Void, free: () -> Void) {
    let layers = widths.count - 1
    func buffer(_ count: Int) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
        filled(count, Float.self).withUnsafeBufferPointer { p.initialize(from: $0.baseAddress!, count: count) }
        return p
    }
    let inputs = (0..<8).map { _ in buffer(batch * widths[0]) }
    let weights = (0..<layers).map { buffer(widths[$0] * widths[$0 + 1]) }
    let weightGradients = (0..<layers).map { buffer(widths[$0] * widths[$0 + 1]) }
    // activations[i]: layer i's input (activations[0] is the call's batch); gradients[i]: the
    // cotangent of layer i's input, gradients[layers] the loss's.
    let activations = (1...layers).map { buffer(batch * widths[$0]) }
    let gradients = (0...layers).map { buffer(batch * widths[$0]) }
    var call = 0
    let body = {
        let layerInputs = [inputs[call % inputs.count]] + activations
        call += 1
        for i in 0..<layers {
            let (k, n) = (Int64(widths[i]), Int64(widths[i + 1]))
            let gemm = i < layers - 1 ? loom_sgemm_relu : loom_sgemm
            gemm(Int64(batch), n, k, 1, layerInputs[i], k, 1, weights[i], n, 1, 0, layerInputs[i + 1], n, 1)
        }
        guard training else { return }
        for i in (0..<layers).reversed() {
            let (k, n, m) = (Int64(widths[i]), Int64(widths[i + 1]), Int64(batch))
            loom_sgemm(k, n, m, 1, layerInputs[i], 1, k, gradients[i + 1], n, 1, 0, weightGradients[i], n, 1)
            if i > 0 { loom_sgemm(m, k, n, 1, gradients[i + 1], n, 1, weights[i], 1, n, 0, gradients[i], k, 1) }
        }
    }
    return (body, { for p in inputs + weights + weightGradients + activations + gradients { p.deallocate() } })
}

/// What the model benchmarks are read against: each training step (and the inference pass)
/// against its matrix products alone (``productsBody(widths:batch:training:)``), in alternating
/// windows of one process, so that the host's load hits both alike. A step can at best approach
/// its products' rate; `ratio` is the median over the pairs of windows of step / products.
/// Its own command (`loom-bench bound`), so that its buffers do not count in the peak memory
/// of the model benchmarks' process.
func benchBound(threads: Int) {
    let options = MeasureOptions(window: .milliseconds(250), samples: 1, warmup: .milliseconds(100))
    let cases: [(label: String, batch: Int, training: Bool, body: () -> Void)] =
        BenchOptimizer.allCases.map { ("b\(benchmarkBatch) \($0.rawValue)", benchmarkBatch, true, trainingStepBody($0)) }
        + [("b\(inferenceBatch) infer", inferenceBatch, false, inferenceBody())]
    for c in cases {
        let name = "bound \(benchmarkWidths.map(String.init).joined(separator: "-")) \(c.label) \(threads)t"
        let products = productsBody(widths: benchmarkWidths, batch: c.batch, training: c.training)
        defer { products.free() }
        let (unit, work) = c.training ? ("steps/s", 1.0) : ("samples/s", Double(c.batch))
        var model: [Double] = [], alone: [Double] = []
        withKernelThreads(threads) {
            for _ in 0..<7 {
                model.append(measure("", unit: unit, workPerCall: work, scale: 1, options: options, c.body).median)
                alone.append(measure("", unit: unit, workPerCall: work, scale: 1, options: options, products.body).median)
            }
        }
        summarize("\(name) model", unit: unit, model).printJSON()
        summarize("\(name) products", unit: unit, alone).printJSON()
        summarize("\(name) ratio", unit: "model/products", zip(model, alone).map { $0 / $1 }).printJSON()
    }
}
