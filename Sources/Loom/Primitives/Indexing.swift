// Gathering by integer indices (class labels) and its adjoint.

extension Tensor {
    /// Picks elements along `axis` by `indices` (int32/int64, same rank as `self`, equal
    /// sizes off `axis`): `out[…, j, …] = self[…, indices[…, j, …], …]` (NumPy's
    /// `take_along_axis`, PyTorch's `gather`). With labels `y` of shape `[n, 1]`,
    /// `logits.gathered(y, alongAxis: 1)` picks each row's true-class logit.
    /// ∂: the cotangent is scatter-added back to the picked positions.
    public func gathered(_ indices: Tensor, alongAxis axis: Int) -> Tensor {
        let resolved = Shapes.axis(axis, rank: rank, "gather")
        precondition(indices.rank == rank, "gather: indices of shape \(indices.shape) for a tensor of shape \(shape)")
        for a in 0..<rank where a != resolved {
            precondition(indices.shape[a] == shape[a], "gather: indices of shape \(indices.shape) and tensor of shape \(shape) differ on axis \(a)")
        }
        let inputShape = shape
        let index = indices.detached()
        return Tensor.record(.gather, Kernels.gather(self, indices: index, axis: resolved), inputs: [self]) { g, _, _ in
            let batch = g.batchShape(over: index.rank)
            return [g.scatterAdded(index.expanded(to: batch + index.shape), alongAxis: batch.count + resolved, into: batch + inputShape)]
        }
    }

    /// Zeros of `shape` with `self`'s elements added at the positions `indices` names along
    /// `axis`: the adjoint of ``gathered(_:alongAxis:)``. ∂: gather the cotangent.
    public func scatterAdded(_ indices: Tensor, alongAxis axis: Int, into shape: [Int]) -> Tensor {
        let resolved = Shapes.axis(axis, rank: rank, "scatterAdd")
        precondition(indices.shape == self.shape, "scatterAdd: indices of shape \(indices.shape) for values of shape \(self.shape)")
        precondition(shape.count == rank, "scatterAdd: target \(shape) for values of shape \(self.shape)")
        let index = indices.detached()
        return Tensor.record(.scatterAdd, Kernels.scatterAdd(self, indices: index, axis: resolved, shape: shape), inputs: [self]) { g, _, _ in
            let batch = g.batchShape(over: index.rank)
            return [g.gathered(index.expanded(to: batch + index.shape), alongAxis: batch.count + resolved)]
        }
    }

    /// One-hot rows for integer labels: shape `labels.shape + [classCount]`, 1 at each label.
    /// Traps on a label outside `0..<classCount`. Not differentiable (labels are integers).
    public static func oneHot(_ labels: Tensor, classCount: Int, dtype: DType = .float32) -> Tensor {
        precondition(classCount > 0, "oneHot: classCount must be positive, got \(classCount)")
        let index = Kernels.checkedIndices(labels, size: classCount, "oneHot")
        var scalars = [Double](repeating: 0, count: index.count * classCount)
        for (row, label) in index.enumerated() { scalars[row * classCount + Int(label)] = 1 }
        return Tensor(shape: labels.shape + [classCount], scalars: scalars, dtype: dtype)
    }

    /// The elements converted to `dtype`. ∂: converted back, between floating-point types;
    /// a conversion to or from an integer type passes no gradient.
    public func cast(to target: DType) -> Tensor {
        if target == dtype { return self }
        let value = Kernels.cast(self, to: target)
        guard dtype.isFloatingPoint && target.isFloatingPoint else { return value }
        let source = dtype
        return Tensor.record(.cast, value, inputs: [self]) { g, _, _ in [g.cast(to: source)] }
    }
}

extension Tensor {
    /// Whole slices along `axis` picked by a rank-1 integer `indices` (NumPy's and MLX's
    /// `take`): with `axis: 0`, the rows `indices[0], indices[1], …` of `self`, in that order
    /// (repeats allowed). A composite of ``gathered(_:alongAxis:)``, so its gradient
    /// scatter-adds back (repeated rows accumulate).
    public func take(_ indices: Tensor, alongAxis axis: Int = 0) -> Tensor {
        let resolved = Shapes.axis(axis, rank: rank, "take")
        precondition(indices.rank == 1, "take: indices must have rank 1, got shape \(indices.shape)")
        var indexShape = [Int](repeating: 1, count: rank)
        indexShape[resolved] = indices.count
        var target = shape
        target[resolved] = indices.count
        return gathered(indices.reshaped(indexShape).expanded(to: target), alongAxis: resolved)
    }
}
