/// The reverse-mode engine: walks a graph from an output back to its leaves, calling each
/// node's pullback once with the sum of the cotangents that reached it.
enum Backpropagation {
    /// Nodes reachable from `root`, inputs before the nodes that consume them.
    static func topologicalOrder(from root: GraphNode) -> [GraphNode] {
        var order: [GraphNode] = []
        var visited: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
        var stack: [(node: GraphNode, next: Int)] = [(root, 0)]
        while let (node, next) = stack.popLast() {
            if next < node.inputs.count {
                stack.append((node, next + 1))
                if let child = node.inputs[next].node, visited.insert(ObjectIdentifier(child)).inserted {
                    stack.append((child, 0))
                }
            } else {
                order.append(node)
            }
        }
        return order
    }

    /// Propagates `seed` from `root`. `isTarget` says which nodes' total cotangents the
    /// caller wants; each is passed to `deliver` once, when it is complete.
    /// With `createGraph`, pullbacks are recorded so the results are differentiable again.
    ///
    /// The seed may carry leading batch axes, `B + root.shape`: then every cotangent is
    /// `B + shape` and the pass computes one vector-Jacobian product per seed, in one walk of
    /// the graph whose operations act on the whole block (so a block of Hessian rows costs
    /// GEMMs over `B`-times-larger operands rather than `|B|` separate passes). Each
    /// pullback is written to accept such leading axes (see ``Pullback``).
    static func run(
        root: Tensor, seed: Tensor, createGraph: Bool,
        isTarget: (GraphNode) -> Bool, deliver: (GraphNode, Tensor) -> Void
    ) {
        guard let rootNode = root.node else { return }
        let batchRank = seed.rank - root.rank
        precondition(batchRank >= 0 && Array(seed.shape.suffix(root.rank)) == root.shape,
                     "backward: seed of shape \(seed.shape) for an output of shape \(root.shape)")
        let batchShape = Array(seed.shape.prefix(batchRank))
        let order = topologicalOrder(from: rootNode)
        // Only nodes from which a target can be reached need cotangents.
        var leadsToTarget: Set<ObjectIdentifier> = []
        for node in order {
            let id = ObjectIdentifier(node)
            if isTarget(node) || node.inputs.contains(where: { $0.node.map { leadsToTarget.contains(ObjectIdentifier($0)) } ?? false }) {
                leadsToTarget.insert(id)
            }
        }
        var cotangents: [ObjectIdentifier: Tensor] = [ObjectIdentifier(rootNode): seed]
        GradientRecording.$isEnabled.withValue(createGraph) {
            for node in order.reversed() {
                guard let cotangent = cotangents.removeValue(forKey: ObjectIdentifier(node)) else { continue }
                // A target's total is complete here (every consumer came before it); another
                // target may still lie upstream of it, so propagation goes on.
                if isTarget(node) { deliver(node, cotangent) }
                guard let pullback = node.pullback,
                      node.inputs.contains(where: { $0.node.map { leadsToTarget.contains(ObjectIdentifier($0)) } ?? false })
                else { continue }
                let output = node.savedOutput.map {
                    Tensor(storage: $0.storage, layout: $0.layout, dtype: $0.dtype, node: createGraph ? node : nil)
                } ?? Tensor.placeholder
                let inputCotangents = pullback(cotangent, output, node.inputs)
                for (input, inputCotangent) in zip(node.inputs, inputCotangents) {
                    guard let inputNode = input.node, var contribution = inputCotangent,
                          leadsToTarget.contains(ObjectIdentifier(inputNode)) else { continue }
                    contribution = contribution.unbroadcast(to: input.shape, batchShape: batchShape, dtype: input.dtype)
                    let id = ObjectIdentifier(inputNode)
                    // A second consumer's cotangent is added into the first's storage when no
                    // graph is recorded and nothing else holds it (a Hessian block's cotangents
                    // are megabytes, and a new tensor per addition was a quarter of its time).
                    if var sum = cotangents.removeValue(forKey: id) {
                        if createGraph || !Kernels.addInPlace(&sum, contribution) { sum = sum + contribution }
                        cotangents[id] = sum
                    } else {
                        cotangents[id] = contribution
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// Stands in for the output in pullbacks that did not ask to keep it. Never written and
    /// without a graph node, so sharing it across threads is safe.
    nonisolated(unsafe) static let placeholder = Tensor.make(Float.self, shape: [0]) { _ in }

    /// The cotangent `self` (of shape `batchShape` + a broadcast shape) summed back to
    /// `batchShape + shape`: the one place where broadcasting is undone. The leading batch
    /// axes of a batched pass are kept, never summed.
    func unbroadcast(to target: [Int], batchShape: [Int] = [], dtype targetType: DType) -> Tensor {
        var result = self
        let batchRank = batchShape.count
        if result.shape != batchShape + target {
            let lead = result.rank - batchRank - target.count
            precondition(lead >= 0 && Array(result.shape.prefix(batchRank)) == batchShape,
                         "backward: a cotangent of shape \(result.shape) cannot reduce to \(batchShape + target)")
            var axes = Array(batchRank..<(batchRank + lead))
            for axis in 0..<target.count where target[axis] == 1 && result.shape[batchRank + lead + axis] != 1 {
                axes.append(batchRank + lead + axis)
            }
            result = result.sum(alongAxes: axes, keepingDimensions: true).reshaped(batchShape + target)
        }
        return result.dtype == targetType ? result : result.cast(to: targetType)
    }

    /// Computes the gradient of this tensor with respect to every leaf that requires one,
    /// adding it to each leaf's ``gradient``.
    ///
    /// NOTE: with `createGraph`, each leaf's gradient is recorded and its graph reaches the
    /// leaf again, a reference cycle (PyTorch documents the same): set `gradient = nil` when
    /// done with it, or use ``gradients(of:withRespectTo:seed:createGraph:)``, which stores
    /// nothing on the leaves.
    ///
    /// - Parameters:
    ///   - seed: the cotangent of this tensor; defaults to 1 for a single-element tensor.
    ///   - createGraph: record the backward pass, so the gradients can be differentiated
    ///     again (Hessians, Hessian-vector products).
    public func backward(seed: Tensor? = nil, createGraph: Bool = false) {
        precondition(node != nil, "backward: the tensor does not depend on any tensor that requires a gradient")
        precondition(seed != nil || count == 1, "backward: an output of shape \(shape) needs an explicit seed")
        precondition(seed.map { $0.shape == shape } ?? true,
                     "backward: seed of shape \(seed?.shape ?? []) for an output of shape \(shape) (blocks of seeds go to gradients(of:withRespectTo:seed:))")
        Backpropagation.run(
            root: self, seed: seed ?? Tensor.ones(shape, dtype: dtype), createGraph: createGraph,
            isTarget: { $0.isLeaf },
            deliver: { node, cotangent in
                node.gradient = node.gradient.map { $0 + cotangent } ?? cotangent
            })
    }
}

/// The gradients of `output` with respect to each of `inputs` (any tensors on its graph),
/// without touching any tensor's ``Tensor/gradient``. An input that `output` does not depend
/// on gets zeros. Like `torch.autograd.grad`.
///
/// A seed of shape `B + output.shape` is a block of seeds, one per index of the leading axes
/// `B`: each result then has shape `B + input.shape`, slice `b` the vector-Jacobian product
/// with seed slice `b` (PyTorch's `is_grads_batched`, JAX's `vmap` of a `vjp`), from one pass
/// over the graph.
///
/// - Parameters:
///   - seed: the cotangent of `output` (or a block of them); defaults to 1 for a
///     single-element output.
///   - output: the tensor to differentiate.
///   - inputs: the tensors to differentiate with respect to.
///   - createGraph: record the backward pass so the results are differentiable again.
public func gradients(
    of output: Tensor, withRespectTo inputs: [Tensor], seed: Tensor? = nil, createGraph: Bool = false
) -> [Tensor] {
    precondition(seed != nil || output.count == 1, "gradients: an output of shape \(output.shape) needs an explicit seed")
    let targets = Set(inputs.compactMap { $0.node.map(ObjectIdentifier.init) })
    let batchShape = seed.map { Array($0.shape.prefix(Swift.max($0.rank - output.rank, 0))) } ?? []
    var found: [ObjectIdentifier: Tensor] = [:]
    Backpropagation.run(
        root: output, seed: seed ?? Tensor.ones(output.shape, dtype: output.dtype), createGraph: createGraph,
        isTarget: { targets.contains(ObjectIdentifier($0)) },
        deliver: { node, cotangent in found[ObjectIdentifier(node)] = cotangent })
    return inputs.map { input in
        input.node.flatMap { found[ObjectIdentifier($0)] } ?? Tensor.zeros(batchShape + input.shape, dtype: input.dtype)
    }
}
