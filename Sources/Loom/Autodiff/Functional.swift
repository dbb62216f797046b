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
/// ∂fᵢ/∂xⱼ. Computed with one reverse pass per output element, so meant for small functions.
public func jacobian(of body: (Tensor) -> Tensor, at point: Tensor) -> Tensor {
    let outerRecording = GradientRecording.isEnabled && point.node != nil
    let variable = point.differentiationVariable()
    let output = withGradients { body(variable) }
    guard output.node != nil else {
        return Tensor.zeros(output.shape + point.shape, dtype: point.dtype)
    }
    var rows: [Tensor] = []
    rows.reserveCapacity(output.count)
    for index in 0..<output.count {
        let seed = Tensor.oneHot(index: index, shape: output.shape, dtype: output.dtype)
        rows.append(gradients(of: output, withRespectTo: [variable], seed: seed, createGraph: outerRecording)[0])
    }
    if rows.isEmpty { return Tensor.zeros(output.shape + point.shape, dtype: point.dtype) }
    return Tensor.stacked(rows, axis: 0).reshaped(output.shape + point.shape)
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
