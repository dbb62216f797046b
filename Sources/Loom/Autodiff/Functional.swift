// Functional differentiation in the style of JAX: each form takes a function and a point.
//
// They compose: `gradient(at:of:)` called on a point that is itself being differentiated
// records its backward pass, so `hessian` is the Jacobian of the gradient. (Tensors that
// `body` captures from outside, rather than receiving as its argument, are treated as
// constants by the inner differentiation.)

extension Tensor {
    /// A copy of `self` to differentiate with respect to: a fresh leaf when `self` has no
    /// graph, otherwise a recorded identity so outer differentiation still sees through it.
    func differentiationVariable() -> Tensor {
        if node == nil || !GradientRecording.isEnabled {
            var leaf = detached()
            leaf.requiresGradient = true
            return leaf
        }
        return Tensor.record(.identity, detached(), inputs: [self]) { cotangent, _, _ in [cotangent] }
    }
}

/// The value of `body` at `point` and its gradient there. `body` must return one element.
public func valueWithGradient(at point: Tensor, of body: (Tensor) -> Tensor) -> (value: Tensor, gradient: Tensor) {
    let (value, gradients) = valueWithGradient(at: [point]) { body($0[0]) }
    return (value, gradients[0])
}

/// The value of `body` at `points` and its gradient with respect to each of them.
public func valueWithGradient(at points: [Tensor], of body: ([Tensor]) -> Tensor) -> (value: Tensor, gradients: [Tensor]) {
    let outerRecording = GradientRecording.isEnabled && points.contains { $0.node != nil }
    let variables = points.map { $0.differentiationVariable() }
    let value = withGradients { body(variables) }
    precondition(value.count == 1, "gradient: the function returned shape \(value.shape); it must return one element")
    guard value.node != nil else {
        return (value, points.map { Tensor.zeros($0.shape, dtype: $0.dtype) })
    }
    let result = gradients(of: value, withRespectTo: variables, createGraph: outerRecording)
    return (outerRecording ? value : value.detached(), result)
}

/// The gradient of `body` (which returns one element) at `point`: ∇f(x), shaped like `x`.
public func gradient(at point: Tensor, of body: (Tensor) -> Tensor) -> Tensor {
    valueWithGradient(at: point, of: body).gradient
}

/// The gradients of `body` with respect to each of `points`.
public func gradient(at points: [Tensor], of body: ([Tensor]) -> Tensor) -> [Tensor] {
    valueWithGradient(at: points, of: body).gradients
}

/// The Jacobian of `body` at `point`, of shape `f(x).shape + x.shape`: entry `[i…, j…]` is
/// ∂fᵢ/∂xⱼ. Computed by reverse passes that each carry a block of unit seeds (see
/// ``jacobian(of:withRespectTo:seedsPerPass:createGraph:)``).
public func jacobian(of body: (Tensor) -> Tensor, at point: Tensor) -> Tensor {
    let outerRecording = GradientRecording.isEnabled && point.node != nil
    let variable = point.differentiationVariable()
    let output = withGradients { body(variable) }
    return jacobian(of: output, withRespectTo: variable, createGraph: outerRecording)
}

/// The Jacobian of `output` with respect to `input` (a tensor on its graph), of shape
/// `output.shape + input.shape`: row `i` is the vector-Jacobian product with the unit seed
/// `eᵢ`. Each reverse pass carries `seedsPerPass` unit seeds at once as one block (so the
/// pullbacks run on `seedsPerPass`-times-larger operands: a GEMM over more rows instead of
/// many small ones); by default as many as keep each block cotangent under
/// ``jacobianBlockElementLimit`` elements. Zeros when `output` does not depend on `input`.
public func jacobian(of output: Tensor, withRespectTo input: Tensor, seedsPerPass: Int? = nil, createGraph: Bool = false) -> Tensor {
    precondition(seedsPerPass.map { $0 >= 1 } ?? true, "jacobian: seedsPerPass must be at least 1")
    let rows = output.count
    guard output.node != nil, input.node != nil, rows > 0 else {
        return Tensor.zeros(output.shape + input.shape, dtype: input.dtype)
    }
    let block = Swift.min(rows, seedsPerPass ?? Swift.max(1, jacobianBlockElementLimit / Swift.max(largestCotangent(of: output), 1)))
    var pieces: [Tensor] = []
    for start in stride(from: 0, to: rows, by: block) {
        let count = Swift.min(block, rows - start)
        var seeds = [Double](repeating: 0, count: count * rows)
        for r in 0..<count { seeds[r * rows + start + r] = 1 }
        let seed = Tensor(shape: [count] + output.shape, scalars: seeds, dtype: output.dtype)
        pieces.append(gradients(of: output, withRespectTo: [input], seed: seed, createGraph: createGraph)[0])
    }
    let stacked = pieces.count == 1 ? pieces[0] : Tensor.concatenated(pieces, axis: 0)
    return stacked.reshaped(output.shape + input.shape)
}

/// The most elements one block cotangent of ``jacobian(of:withRespectTo:seedsPerPass:createGraph:)``
/// may hold by default: 2¹⁸ (2 MiB in float64), about what stays in cache. Measured on the
/// 64-16-10 Hessian (`loom-bench second-order-blocks`): blocks of 8–16 seeds (1–3 MiB
/// cotangents) are fastest, about twice one seed per pass; past that the elementwise work
/// of the pass becomes memory-bound and 256 seeds are slower than one.
public let jacobianBlockElementLimit = 1 << 18

/// The element count of the largest tensor on `output`'s graph, which bounds the size of
/// one cotangent of a pass from it.
func largestCotangent(of output: Tensor) -> Int {
    guard let root = output.node else { return output.count }
    return Backpropagation.topologicalOrder(from: root).reduce(output.count) { largest, node in
        node.inputs.reduce(largest) { $1.node == nil ? $0 : Swift.max($0, $1.count) }
    }
}

/// The Hessian ∇²f(x) of `body` (which returns one element) at `point`, of shape
/// `x.shape + x.shape`, from differentiating the gradient (not finite differences).
public func hessian(of body: (Tensor) -> Tensor, at point: Tensor) -> Tensor {
    jacobian(of: { gradient(at: $0, of: body) }, at: point)
}

/// The Hessian-vector product ∇²f(x)·v, computed as the gradient of ⟨∇f(x), v⟩ (one extra
/// reverse pass; the Hessian is never formed). `direction` has the shape of `point`.
public func hessianVectorProduct(of body: (Tensor) -> Tensor, at point: Tensor, direction: Tensor) -> Tensor {
    precondition(direction.shape == point.shape, "hessianVectorProduct: direction \(direction.shape) and point \(point.shape) differ")
    return gradient(at: point) { x in
        (gradient(at: x, of: body) * direction).sum()
    }
}
