// Reductions over axes.

extension Tensor {
    /// The sum over `axes` (nil: all; negative axes count from the end), dropping the
    /// reduced axes unless `keepingDimensions`. Summing over no elements gives 0.
    /// The pullback broadcasts the cotangent back over the reduced axes.
    public func sum(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        let resolved = Shapes.axes(axes, rank: rank, "sum")
        let kept = Kernels.reduce(.sum, self, axes: resolved)
        let inputShape = shape
        let keptShape = kept.shape
        let result = Tensor.record(.sum, kept, inputs: [self]) { g, _, _ in
            let batch = g.batchShape(over: keptShape.count)
            return [g.reshaped(batch + keptShape).expanded(to: batch + inputShape)]
        }
        return keepingDimensions ? result : result.reshaped(Tensor.dropping(resolved, from: keptShape))
    }

    /// The sum over one axis.
    public func sum(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        sum(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// The maximum over `axes` (nil: all), NaN winning. The gradient goes to the elements
    /// equal to the maximum, split evenly among ties (as in JAX and PyTorch's `amax`).
    public func max(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        let resolved = Shapes.axes(axes, rank: rank, "max")
        let kept = Kernels.reduce(.max, self, axes: resolved)
        let keptShape = kept.shape
        let result = Tensor.record(.max, kept, inputs: [self], savesOutput: true) { g, y, x in
            let mask = x[0] .== y.detached()
            let share = mask / mask.sum(alongAxes: resolved, keepingDimensions: true)
            return [share * g.reshaped(g.batchShape(over: keptShape.count) + keptShape)]
        }
        return keepingDimensions ? result : result.reshaped(Tensor.dropping(resolved, from: keptShape))
    }

    /// The maximum over one axis.
    public func max(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        max(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// The logarithm of the softmax along `axis`, `(x − m) − log Σ exp(x − m)` with `m` the
    /// maximum (0 where it is infinite): subtracting it first keeps the result exact to the
    /// input's precision even for huge logits (`x − logSumExp(x)` would round `m + log Σ` to
    /// the precision of `m`), and no exponential overflows. One kernel pass per row instead of
    /// ten tensor operations: a classifier's loss is made of it. Shapes: any floating-point
    /// tensor of rank ≥ 1 → the same shape (`[batch, classes]` → `[batch, classes]`).
    /// ∂/∂x = g − softmax(x) · Σ_axis g, written as the composition it replaced differentiated
    /// `g + (−Σg / Σe) · e` with `e = exp(x − m)` (`m` a constant), in tensor operations on the
    /// recorded input, so it differentiates again, and gives the gradients, and so the
    /// trajectories, of runs made before it bit for bit.
    public func logSoftmax(alongAxis axis: Int = -1) -> Tensor {
        let resolved = Shapes.axis(axis, rank: rank, "logSoftmax")
        precondition(dtype.isFloatingPoint, "logSoftmax: needs a floating-point tensor, got \(dtype)")
        let (output, shift) = Kernels.logSoftmax(self, axis: resolved)
        let fromEnd = resolved - rank  // the cotangent may have leading batch axes
        return Tensor.record(.logSoftmax, output, inputs: [self]) { g, _, x in
            let e = (x[0] - shift).exp()
            let total = e.sum(alongAxes: [resolved], keepingDimensions: true)
            return [g + (-g).sum(alongAxes: [fromEnd], keepingDimensions: true) / total * e]
        }
    }

    /// The softmax cross-entropy of each row of `[batch, classes]` logits against integer
    /// `labels [batch]` (int32 or int64, each in `0..<classes`, else a trap):
    /// `ℓᵢ = −log softmax(xᵢ)[yᵢ] = logSumExp(xᵢ) − xᵢ[yᵢ]`, a `[batch]` tensor (PyTorch's
    /// `cross_entropy(reduction="none")`). One kernel pass forward and one backward, where
    /// `logSoftmax` then `gathered` cost five operations forward and about fifteen backward on a
    /// classifier's `[128, 10]`; each pass is bit for bit that composition's (the forward
    /// shifted and summed as ``logSoftmax(alongAxis:)``'s kernel does, the backward rounded as
    /// its pullbacks round). ∂ℓᵢ/∂xᵢ = softmax(xᵢ) − onehot(yᵢ). The pullback's value comes from
    /// its own kernel and is recorded (`softmaxCrossEntropyPullback`) with a pullback in tensor
    /// operations, so the backward pass differentiates again (Hessians of a classifier's loss).
    public func softmaxCrossEntropy(labels: Tensor) -> Tensor {
        precondition(rank == 2, "softmaxCrossEntropy: expected [batch, classes] logits, got \(shape)")
        precondition(dtype.isFloatingPoint, "softmaxCrossEntropy: needs floating-point logits, got \(dtype)")
        precondition(!labels.dtype.isFloatingPoint, "softmaxCrossEntropy: labels must be int32 or int64, got \(labels.dtype)")
        precondition(labels.shape == [shape[0]], "softmaxCrossEntropy: labels of shape \(labels.shape) for logits of shape \(shape)")
        let index = Kernels.checkedIndices(labels, size: shape[1], "softmaxCrossEntropy")
        let (losses, exponentials, totals) = Kernels.softmaxCrossEntropy(self, labels: index)
        let labelTensor = labels.detached()
        return Tensor.record(.softmaxCrossEntropy, losses, inputs: [self]) { g, _, x in
            [Tensor.softmaxCrossEntropyPullback(g, x[0], labelTensor, index, exponentials, totals)]
        }
    }

    /// `g (softmax(x) − onehot(y))` for the losses' cotangent `g` (`B + [batch]`), from the
    /// forward's saved exponentials and row totals: ``softmaxCrossEntropy(labels:)``'s pullback.
    /// Recorded on `[g, x]`: ∂/∂g of a cotangent `G` is `Σⱼ Gᵢⱼ (sᵢⱼ − onehotᵢⱼ)`, ∂/∂x is
    /// `gᵢ sᵢ ⊙ (Gᵢ − Σⱼ Gᵢⱼ sᵢⱼ)` (the softmax's Jacobian), with `s = softmax(x)`.
    private static func softmaxCrossEntropyPullback(
        _ g: Tensor, _ x: Tensor, _ labels: Tensor, _ index: [Int64], _ exponentials: Tensor, _ totals: Tensor
    ) -> Tensor {
        let value = Kernels.softmaxCrossEntropyPullback(g.detached(), labels: index, exponentials: exponentials, totals: totals)
        return record(.softmaxCrossEntropyPullback, value, inputs: [g, x]) { gg, _, inputs in
            let s = inputs[1].logSoftmax(alongAxis: 1).exp()
            let target = Tensor.oneHot(labels, classCount: inputs[1].shape[1], dtype: inputs[1].dtype)
            let perRow = (gg * s).sum(alongAxes: [-1], keepingDimensions: true)
            return [(gg * (s - target)).sum(alongAxes: [-1]),
                    inputs[0].reshaped(inputs[0].shape + [1]) * s * (gg - perRow)]
        }
    }

    /// The minimum over `axes`: `−max(−x)`.
    public func min(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        -(-self).max(alongAxes: axes, keepingDimensions: keepingDimensions)
    }

    /// The minimum over one axis.
    public func min(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        min(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// The index of the largest element along `axis` (the first among ties), as int64.
    public func argmax(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        let resolved = Shapes.axis(axis, rank: rank, "argmax")
        precondition(shape[resolved] > 0, "argmax: axis \(axis) of shape \(shape) is empty")
        let x = detached()
        let best = x.max(alongAxis: resolved, keepingDimensions: true)
        let size = shape[resolved]
        var positions = [Int](repeating: 1, count: rank)
        positions[resolved] = size
        let index = Tensor.arange(0, Double(size), dtype: .int64).reshaped(positions)
        // The first maximal index: the smallest index among the positions equal to the max.
        // NaN is the maximum (as in NumPy); NaN .== NaN is false, so NaN positions count too.
        let isMaximal = (x .== best) + (x .!= x)
        let candidates = Tensor.where(isMaximal, index, Tensor(Double(size), dtype: .int64))
        return candidates.min(alongAxes: [resolved], keepingDimensions: keepingDimensions)
    }

    /// Whether no element is NaN or infinite (integer tensors never are). One pass without
    /// allocating and without graph: the cheap divergence check of a training loop, where
    /// `abs().sum()` would allocate a tensor and could overflow on large finite values.
    public var hasOnlyFiniteElements: Bool { Kernels.allFinite(self) }

    static func dropping(_ axes: [Int], from shape: [Int]) -> [Int] {
        shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    }
}
