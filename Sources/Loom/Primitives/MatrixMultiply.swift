// Matrix multiplication.

extension Tensor {
    /// The matrix product, NumPy's `matmul`: `[…, m, k] · […, k, n] → […, m, n]` with the
    /// batch axes broadcast; a rank-1 left operand is a row `[1, k]` and a rank-1 right one a
    /// column `[k, 1]`, and that axis is removed from the result.
    /// ∂/∂a = g·bᵀ, ∂/∂b = aᵀ·g (summed over broadcast batch axes by the engine).
    /// Traps with `matmul: [2, 3] and [4, 5] are incompatible` on mismatched inner sizes.
    public func matmul(_ other: Tensor) -> Tensor {
        precondition(rank >= 1 && other.rank >= 1, "matmul: \(shape) and \(other.shape) are incompatible (scalars cannot be multiplied as matrices)")
        let inner = other.rank == 1 ? other.shape[0] : other.shape[other.rank - 2]
        precondition(shape[rank - 1] == inner, "matmul: \(shape) and \(other.shape) are incompatible")
        if rank == 1 || other.rank == 1 {
            let left = rank == 1 ? reshaped([1, shape[0]]) : self
            let right = other.rank == 1 ? other.reshaped([other.shape[0], 1]) : other
            var product = left.matmul(right)
            if other.rank == 1 { product = product.squeezed(axes: [-1]) }
            if rank == 1 { product = product.squeezed(axes: [-1 - (other.rank == 1 ? 0 : 1)]) }
            return product
        }
        precondition(shape[rank - 1] == other.shape[other.rank - 2], "matmul: \(shape) and \(other.shape) are incompatible")
        let (a, b) = Tensor.promotedOperands(self, other)
        precondition(a.dtype.isFloatingPoint, "matmul: needs floating-point tensors, got \(a.dtype)")
        guard let batch = Shapes.broadcast(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))) else {
            preconditionFailure("matmul: \(shape) and \(other.shape) are incompatible (batch axes do not broadcast)")
        }
        let left = a.layout.expanded(to: batch + Array(a.shape.suffix(2)))!
        let right = b.layout.expanded(to: batch + Array(b.shape.suffix(2)))!
        let value = Kernels.matmul(
            Tensor(storage: a.storage, layout: left, dtype: a.dtype),
            Tensor(storage: b.storage, layout: right, dtype: b.dtype), batchShape: batch)
        return Tensor.record(.matmul, value, inputs: [a, b]) { g, _, x in
            [x[0].requiresGradient ? g.matmul(x[1].transposed()) : nil,
             x[1].requiresGradient ? x[0].transposed().matmul(g) : nil]
        }
    }
}
