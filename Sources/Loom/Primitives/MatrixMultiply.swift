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

    /// The affine map `self · weight + bias` of a `[m, k]` matrix, with `weight [k, n]` and
    /// `bias [n]` added to every row: `[m, k] → [m, n]`, a fully connected layer in one GEMM
    /// (the bias is the GEMM's starting value, so it takes no separate pass). Equal to
    /// `matmul(weight) + bias` up to float rounding (the bias joins the sum first).
    /// ∂/∂self = g·weightᵀ, ∂/∂weight = selfᵀ·g, ∂/∂bias = Σ_rows g (the engine's unbroadcast).
    public func affine(weight: Tensor, bias: Tensor) -> Tensor {
        let (x, w, b) = affineOperands(weight, bias, "affine")
        return Tensor.record(.affine, Kernels.affine(x, w, b), inputs: [x, w, b]) { g, _, inputs in
            Tensor.affinePullback(g, inputs)
        }
    }

    /// `relu(self · weight + bias)` for `self [m, k]`, `weight [k, n]` and `bias [n]`:
    /// `[m, k] → [m, n]`, a fully connected layer and its ReLU in one GEMM, each
    /// tile of the output clipped at 0 as the GEMM completes it (no pass of its own, and only
    /// the output is kept for the backward pass). Equal to `affine(weight:bias:).relu()` bit for
    /// bit; `Sequential` uses it for a `Linear` followed by a ReLU.
    /// With `y` the output: `g' = g · (y > 0)` (y > 0 exactly where the pre-activation is, so the
    /// derivative at the kink is 0 as in ``relu()``), then ∂/∂self = g'·weightᵀ, ∂/∂weight =
    /// selfᵀ·g', ∂/∂bias = Σ_rows g'.
    public func affineReLU(weight: Tensor, bias: Tensor) -> Tensor {
        let (x, w, b) = affineOperands(weight, bias, "affineReLU")
        return Tensor.record(.affineReLU, Kernels.affine(x, w, b, relu: true), inputs: [x, w, b], savesOutput: true) {
            g, y, inputs in Tensor.affinePullback(Tensor.reluPullback(g, y), inputs)
        }
    }

    /// The operands of an affine map, checked and promoted to one floating type.
    private func affineOperands(_ weight: Tensor, _ bias: Tensor, _ name: String) -> (Tensor, Tensor, Tensor) {
        precondition(rank == 2 && weight.rank == 2 && bias.rank == 1 && shape[1] == weight.shape[0]
                     && bias.shape[0] == weight.shape[1],
                     "\(name): \(shape) · \(weight.shape) + \(bias.shape) are incompatible")
        let dtype = DType.promoted(DType.promoted(self.dtype, weight.dtype), bias.dtype)
        precondition(dtype.isFloatingPoint, "\(name): needs floating-point tensors, got \(dtype)")
        return (cast(to: dtype), weight.cast(to: dtype), bias.cast(to: dtype))
    }

    /// The affine map's pullback for the output cotangent `g` and inputs `[x, weight, bias]`:
    /// `[g·weightᵀ, xᵀ·g, g]` (the bias's `[m, n]` cotangent is summed over rows by the engine).
    private static func affinePullback(_ g: Tensor, _ inputs: [Tensor]) -> [Tensor?] {
        [inputs[0].requiresGradient ? g.matmul(inputs[1].transposed()) : nil,
         inputs[1].requiresGradient ? inputs[0].transposed().matmul(g) : nil,
         inputs[2].requiresGradient ? g : nil]
    }
}
