// View primitives: reshape, permute, expand and slice change only the layout (reshape copies
// when the strides cannot express the new shape), so they cost no memory traffic.

extension Tensor {
    /// The same elements in row-major order with a new shape; one axis may be -1 (inferred).
    /// A view when the layout allows it, a copy otherwise (NumPy's rule). ∂: reshape back.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let target = resolvedShape(newShape)
        if target == shape { return self }
        let layoutView = layout.reshapedWithoutCopy(target)
        let value: Tensor
        if let layoutView {
            value = Tensor(storage: storage, layout: layoutView, dtype: dtype)
        } else {
            let copy = contiguousCopy()
            value = Tensor(storage: copy.storage, layout: Layout(contiguous: target), dtype: dtype)
        }
        let inputShape = shape
        return Tensor.record(.reshape, value, inputs: [self]) { g, _, _ in
            [g.reshaped(g.batchShape(over: target.count) + inputShape)]
        }
    }

    /// Variadic form of ``reshaped(_:)``.
    public func reshaped(_ newShape: Int...) -> Tensor { reshaped(newShape) }

    private func resolvedShape(_ newShape: [Int]) -> [Int] {
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        precondition(inferred.count <= 1 && newShape.allSatisfy { $0 >= -1 },
                     "reshape: invalid shape \(newShape) for \(shape)")
        var target = newShape
        if let axis = inferred.first {
            let known = newShape.filter { $0 != -1 }.reduce(1, *)
            precondition(known != 0 && count % known == 0, "reshape: cannot reshape \(shape) to \(newShape)")
            target[axis] = count / known
        }
        precondition(target.reduce(1, *) == count, "reshape: cannot reshape \(shape) (\(count) elements) to \(newShape)")
        return target
    }

    /// The axes reordered: axis `i` of the result is axis `axes[i]` of `self` (a view).
    /// ∂: permute by the inverse.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.count == rank, "permute: \(axes) for a tensor of rank \(rank)")
        let resolved = axes.map { Shapes.axis($0, rank: rank, "permute") }
        precondition(Set(resolved).count == rank, "permute: \(axes) is not a permutation of the axes of \(shape)")
        if resolved == Array(0..<rank) { return self }
        var inverse = [Int](repeating: 0, count: rank)
        for (position, axis) in resolved.enumerated() { inverse[axis] = position }
        let value = Tensor(storage: storage, layout: layout.permuted(resolved), dtype: dtype)
        return Tensor.record(.permute, value, inputs: [self]) { g, _, _ in
            let lead = g.rank - inverse.count
            return [g.permuted(Array(0..<lead) + inverse.map { $0 + lead })]
        }
    }

    /// Variadic form of ``permuted(_:)``.
    public func permuted(_ axes: Int...) -> Tensor { permuted(axes) }

    /// The last two axes swapped (a view); for a matrix, the transpose.
    public func transposed() -> Tensor {
        precondition(rank >= 2, "transposed: needs rank ≥ 2, got shape \(shape)")
        var axes = Array(0..<rank)
        axes.swapAt(rank - 1, rank - 2)
        return permuted(axes)
    }

    /// Two axes swapped (a view).
    public func transposed(_ first: Int, _ second: Int) -> Tensor {
        var axes = Array(0..<rank)
        axes.swapAt(Shapes.axis(first, rank: rank, "transpose"), Shapes.axis(second, rank: rank, "transpose"))
        return permuted(axes)
    }

    /// Broadcast to `shape` by NumPy's rules (a view with stride 0 on stretched axes).
    /// ∂: the engine sums the cotangent back over the stretched axes.
    public func expanded(to target: [Int]) -> Tensor {
        if target == shape { return self }
        guard let view = layout.expanded(to: target) else {
            preconditionFailure("expand: shape \(shape) cannot be broadcast to \(target)")
        }
        return Tensor.record(.expand, Tensor(storage: storage, layout: view, dtype: dtype), inputs: [self]) { g, _, _ in [g] }
    }

    /// Broadcast to another tensor's shape.
    public func expanded(as other: Tensor) -> Tensor { expanded(to: other.shape) }

    /// A size-1 axis inserted at `axis` (a view).
    public func expandingDimensions(at axis: Int) -> Tensor {
        let position = Shapes.axis(axis, rank: rank + 1, "unsqueeze")
        var newShape = shape
        newShape.insert(1, at: position)
        return reshaped(newShape)
    }

    /// Size-1 axes removed: the given ones (trapping if not size 1), or all when nil.
    public func squeezed(axes: [Int]? = nil) -> Tensor {
        let resolved = axes.map { Shapes.axes($0, rank: rank, "squeeze") } ?? shape.indices.filter { shape[$0] == 1 }
        for axis in resolved { precondition(shape[axis] == 1, "squeeze: axis \(axis) of shape \(shape) is not 1") }
        return reshaped(Tensor.dropping(resolved, from: shape))
    }

    /// The axes from `startAxis` to `endAxis` (inclusive) merged into one.
    public func flattened(startAxis: Int = 0, endAxis: Int = -1) -> Tensor {
        if rank == 0 { return reshaped([1]) }
        let start = Shapes.axis(startAxis, rank: rank, "flatten"), end = Shapes.axis(endAxis, rank: rank, "flatten")
        precondition(start <= end, "flatten: start axis \(startAxis) is after end axis \(endAxis)")
        let merged = shape[start...end].reduce(1, *)
        return reshaped(Array(shape[..<start]) + [merged] + Array(shape[(end + 1)...]))
    }
}

/// A slice along one axis: `start`, `start + step`, … before `end` (NumPy semantics:
/// negative positions count from the end, bounds are clamped, `step` may be negative).
public struct TensorSlice: Sendable, Equatable {
    public var start: Int?
    public var end: Int?
    public var step: Int
    /// Picks one index and removes the axis.
    public var index: Int?

    /// The positions `start`, `start + step`, … before `end` (nil: the axis's first or last
    /// position in the direction of `step`); `step` must not be 0.
    public init(start: Int? = nil, end: Int? = nil, step: Int = 1) {
        precondition(step != 0, "slice: step must not be zero")
        self.start = start; self.end = end; self.step = step; index = nil
    }

    init(index: Int) { self.index = index; step = 1 }

    /// The whole axis.
    public static let all = TensorSlice()

    /// `(start, count, step)` on an axis of `size`.
    func resolved(size: Int, axis: Int) -> (start: Int, count: Int, step: Int) {
        if let index {
            let i = index < 0 ? index + size : index
            precondition(i >= 0 && i < size, "slice: index \(index) is out of range for axis \(axis) of size \(size)")
            return (i, 1, 1)
        }
        func clamp(_ value: Int, _ low: Int, _ high: Int) -> Int { Swift.min(Swift.max(value, low), high) }
        if step > 0 {
            let s = start.map { clamp($0 < 0 ? $0 + size : $0, 0, size) } ?? 0
            let e = end.map { clamp($0 < 0 ? $0 + size : $0, 0, size) } ?? size
            return (s, e > s ? (e - s + step - 1) / step : 0, step)
        } else {
            let s = start.map { clamp($0 < 0 ? $0 + size : $0, -1, size - 1) } ?? size - 1
            let e = end.map { clamp($0 < 0 ? $0 + size : $0, -1, size - 1) } ?? -1
            return (s, s > e ? (s - e - step - 1) / -step : 0, step)
        }
    }
}

/// Anything that can index one axis: an `Int` (picks and drops the axis), a range, or a
/// ``TensorSlice`` (with a step).
public protocol TensorIndex {
    var tensorSlice: TensorSlice { get }
}

extension Int: TensorIndex { public var tensorSlice: TensorSlice { TensorSlice(index: self) } }
extension TensorSlice: TensorIndex { public var tensorSlice: TensorSlice { self } }
extension Range: TensorIndex where Bound == Int {
    public var tensorSlice: TensorSlice { TensorSlice(start: lowerBound, end: upperBound) }
}
extension ClosedRange: TensorIndex where Bound == Int {
    // An inclusive end of −1 (the last element) means "to the end": −1 + 1 = 0 would be empty.
    public var tensorSlice: TensorSlice { TensorSlice(start: lowerBound, end: upperBound == -1 ? nil : upperBound + 1) }
}
extension PartialRangeFrom: TensorIndex where Bound == Int {
    public var tensorSlice: TensorSlice { TensorSlice(start: lowerBound) }
}
extension PartialRangeUpTo: TensorIndex where Bound == Int {
    public var tensorSlice: TensorSlice { TensorSlice(end: upperBound) }
}
extension PartialRangeThrough: TensorIndex where Bound == Int {
    public var tensorSlice: TensorSlice { TensorSlice(end: upperBound == -1 ? nil : upperBound + 1) }
}

extension Tensor {
    /// Indexes the leading axes (the rest are taken whole): `x[0]`, `x[1..<3, 2]`,
    /// `x[TensorSlice(step: -1)]`. A view; integer indices remove their axis.
    public subscript(_ indices: any TensorIndex...) -> Tensor {
        sliced(indices.map(\.tensorSlice))
    }

    /// Slices the leading axes by ``TensorSlice``s (a view).
    public func sliced(_ slices: [TensorSlice]) -> Tensor {
        precondition(slices.count <= rank, "slice: \(slices.count) indices for a tensor of shape \(shape)")
        let windows = (0..<rank).map { axis in
            axis < slices.count ? slices[axis].resolved(size: shape[axis], axis: axis) : (0, shape[axis], 1)
        }
        let result = sliced(windows: windows)
        let droppedAxes = slices.indices.filter { slices[$0].index != nil }
        return droppedAxes.isEmpty ? result : result.reshaped(Tensor.dropping(droppedAxes, from: result.shape))
    }

    /// The view reading `windows[axis]` along each axis. ∂: the cotangent is placed back into
    /// zeros of the input's shape.
    func sliced(windows: [(start: Int, count: Int, step: Int)]) -> Tensor {
        var view = layout
        for (axis, window) in windows.enumerated() {
            view = view.sliced(axis: axis, start: window.start, count: window.count, step: window.step)
        }
        let inputShape = shape
        return Tensor.record(.slice, Tensor(storage: storage, layout: view, dtype: dtype), inputs: [self]) { g, _, _ in
            let batch = g.batchShape(over: windows.count)
            return [g.placed(into: batch + inputShape, windows: Tensor.wholeWindows(batch) + windows)]
        }
    }

    /// `self` written into a zero tensor of `shape` at the positions a slice with `windows`
    /// would read: the adjoint of slicing. ∂: slice the cotangent with the same windows.
    func placed(into target: [Int], windows: [(start: Int, count: Int, step: Int)]) -> Tensor {
        let result = Tensor.zeros(target, dtype: dtype)
        var view = result.layout
        for (axis, window) in windows.enumerated() {
            view = view.sliced(axis: axis, start: window.start, count: window.count, step: window.step)
        }
        precondition(view.shape == shape, "place: \(shape) into a window of shape \(view.shape)")
        Kernels.copy(detached(), into: Tensor(storage: result.storage, layout: view, dtype: dtype))
        return Tensor.record(.place, result, inputs: [self]) { g, _, _ in
            [g.sliced(windows: Tensor.wholeWindows(g.batchShape(over: windows.count)) + windows)]
        }
    }

    /// Slice windows that take each of the axes of `shape` whole.
    static func wholeWindows(_ shape: [Int]) -> [(start: Int, count: Int, step: Int)] {
        shape.map { (0, $0, 1) }
    }
}
