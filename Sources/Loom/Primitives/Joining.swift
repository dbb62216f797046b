// Concatenation and the composites built on it (stack, split).

extension Tensor {
    /// `tensors` joined along `axis`; all other axes must agree. ∂: each input gets its slice
    /// of the cotangent.
    public static func concatenated(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate: no tensors")
        let common = tensors.dropFirst().reduce(tensors[0].dtype) { DType.promoted($0, $1.dtype) }
        let inputs = tensors.map { $0.dtype == common ? $0 : $0.cast(to: common) }
        let first = inputs[0]
        let resolved = Shapes.axis(axis, rank: first.rank, "concatenate")
        for tensor in inputs {
            var a = tensor.shape, b = first.shape
            precondition(a.count == b.count, "concatenate: shapes \(inputs.map(\.shape)) differ in rank")
            a[resolved] = 0; b[resolved] = 0
            precondition(a == b, "concatenate: shapes \(inputs.map(\.shape)) differ off axis \(axis)")
        }
        var shape = first.shape
        shape[resolved] = inputs.reduce(0) { $0 + $1.shape[resolved] }
        let result = Tensor.uninitialized(shape: shape, dtype: common)
        var starts: [Int] = []
        var position = 0
        for tensor in inputs {
            starts.append(position)
            let view = result.layout.sliced(axis: resolved, start: position, count: tensor.shape[resolved], step: 1)
            Kernels.copy(tensor.detached(), into: Tensor(storage: result.storage, layout: view, dtype: common))
            position += tensor.shape[resolved]
        }
        return record(.concatenate, result, inputs: inputs) { g, _, x in
            x.indices.map { i in
                guard x[i].requiresGradient else { return nil }
                var windows = Tensor.wholeWindows(g.shape)
                windows[g.rank - x[i].rank + resolved] = (starts[i], x[i].shape[resolved], 1)
                return g.sliced(windows: windows)
            }
        }
    }

    /// `tensors` (all of one shape) stacked along a new axis.
    public static func stacked(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "stack: no tensors")
        precondition(tensors.allSatisfy { $0.shape == tensors[0].shape }, "stack: shapes \(tensors.map(\.shape)) differ")
        return concatenated(tensors.map { $0.expandingDimensions(at: axis) }, axis: axis)
    }

    /// Pieces along `axis` of the given sizes (which must add up to the axis's size).
    public func split(sizes: [Int], alongAxis axis: Int = 0) -> [Tensor] {
        let resolved = Shapes.axis(axis, rank: rank, "split")
        precondition(sizes.allSatisfy { $0 >= 0 } && sizes.reduce(0, +) == shape[resolved],
                     "split: sizes \(sizes) do not add up to axis \(axis) of shape \(shape)")
        var start = 0
        return sizes.map { size in
            var windows = shape.map { (0, $0, 1) }
            windows[resolved] = (start, size, 1)
            start += size
            return sliced(windows: windows)
        }
    }

    /// `count` equal pieces along `axis` (its size must be divisible by `count`).
    public func split(count: Int, alongAxis axis: Int = 0) -> [Tensor] {
        let resolved = Shapes.axis(axis, rank: rank, "split")
        precondition(count > 0 && shape[resolved] % count == 0, "split: axis \(axis) of shape \(shape) does not divide into \(count)")
        return split(sizes: Array(repeating: shape[resolved] / count, count: count), alongAxis: resolved)
    }
}
