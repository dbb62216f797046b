/// Reductions the kernels implement.
enum ReductionOperation: String {
    case sum, max
}

extension Kernels {
    /// Reduces `x` over `axes` (sorted, resolved), keeping them as size-1 axes.
    static func reduce(_ operation: ReductionOperation, _ x: Tensor, axes: [Int]) -> Tensor {
        switch x.dtype {
        case .float32: return reduce(operation, x, axes, Float.self)
        case .float64: return reduce(operation, x, axes, Double.self)
        case .int32: return reduce(operation, x, axes, Int32.self)
        case .int64: return reduce(operation, x, axes, Int64.self)
        }
    }

    private static func reduce<T: TensorScalar>(_ operation: ReductionOperation, _ x: Tensor, _ axes: [Int], _ type: T.Type) -> Tensor {
        var keptShape = x.shape
        for axis in axes { keptShape[axis] = 1 }
        let reducedCount = axes.reduce(1) { $0 * x.shape[$1] }
        precondition(operation != .max || reducedCount > 0 || keptShape.contains(0),
                     "max: cannot reduce over an empty axis of shape \(x.shape)")
        let keptAxes = (0..<x.rank).filter { !axes.contains($0) }
        let keptCount = keptAxes.reduce(1) { $0 * x.shape[$1] }
        let result = Tensor.uninitialized(shape: keptShape, dtype: T.dtype)
        let out = UnsafeMutableBufferPointer(start: result.storage.pointer(as: T.self), count: keptCount)
        if keptCount == 0 { return result }

        // Reducing a leading block of a contiguous tensor: accumulate rows into the output
        // (the bias-gradient case), which vectorizes along the kept axes.
        let isLeading = axes == Array(0..<axes.count)
        if isLeading && x.isContiguous && keptCount > 1 {
            let source = x.storage.pointer(as: T.self) + x.layout.offset
            accumulateRows(operation, source, rows: reducedCount, columns: keptCount, into: out)
            return result
        }
        // Otherwise bring the reduced axes innermost (a copy unless they already are) and
        // reduce each contiguous row.
        let arranged = Tensor(storage: x.storage, layout: x.layout.permuted(keptAxes + axes), dtype: x.dtype).contiguousValue()
        let source = arranged.storage.pointer(as: T.self) + arranged.layout.offset
        let grain = max(1, Parallel.elementGrain / max(reducedCount, 1))
        Parallel.forEach(keptCount, grain: grain) { first, end in
            for row in first..<end {
                out[row] = reduceRow(operation, source + row * reducedCount, count: reducedCount)
            }
        }
        return result
    }

    private static func accumulateRows<T: TensorScalar>(
        _ operation: ReductionOperation, _ source: UnsafeMutablePointer<T>, rows: Int, columns: Int,
        into out: UnsafeMutableBufferPointer<T>
    ) {
        let grain = max(1, Parallel.elementGrain / max(rows, 1))
        Parallel.forEach(columns, grain: grain) { first, end in
            if rows == 0 {
                for j in first..<end { out[j] = 0 }
                return
            }
            for j in first..<end { out[j] = source[j] }
            for i in 1..<max(rows, 1) {
                let row = source + i * columns
                switch operation {
                case .sum: for j in first..<end { out[j] += row[j] }
                case .max: for j in first..<end where row[j] > out[j] || row[j] != row[j] { out[j] = row[j] }
                }
            }
        }
    }

    /// One row's reduction. Sums use eight accumulators so the adds pipeline (Swift does not
    /// reassociate floating-point addition on its own).
    @inline(__always)
    static func reduceRow<T: TensorScalar>(_ operation: ReductionOperation, _ p: UnsafeMutablePointer<T>, count: Int) -> T {
        switch operation {
        case .sum:
            var lanes = (T.zero, T.zero, T.zero, T.zero, T.zero, T.zero, T.zero, T.zero)
            var i = 0
            while i + 8 <= count {
                lanes.0 += p[i]; lanes.1 += p[i + 1]; lanes.2 += p[i + 2]; lanes.3 += p[i + 3]
                lanes.4 += p[i + 4]; lanes.5 += p[i + 5]; lanes.6 += p[i + 6]; lanes.7 += p[i + 7]
                i += 8
            }
            var total = ((lanes.0 + lanes.1) + (lanes.2 + lanes.3)) + ((lanes.4 + lanes.5) + (lanes.6 + lanes.7))
            while i < count { total += p[i]; i += 1 }
            return total
        case .max:
            var best = p[0]
            // `x != x` is true only for NaN, which wins, as in NumPy.
            for i in 1..<max(count, 1) where p[i] > best || p[i] != p[i] { best = p[i] }
            return best
        }
    }
}

extension Kernels {
    /// Whether every element of `x` is finite (integers always are). One pass, no allocation:
    /// `v − v` is 0 for a finite `v` and NaN for ±∞ or NaN, so a sum of them is 0 exactly
    /// when all are finite (it cannot overflow, unlike a sum of the values).
    static func allFinite(_ x: Tensor) -> Bool {
        switch x.dtype {
        case .float32: return allFinite(x, Float.self)
        case .float64: return allFinite(x, Double.self)
        case .int32, .int64: return true
        }
    }

    private static func allFinite<T: FloatScalar>(_ x: Tensor, _ type: T.Type) -> Bool {
        let source = x.contiguousValue()
        let p = source.storage.pointer(as: T.self) + source.layout.offset
        let count = source.count
        var lanes = (T.zero, T.zero, T.zero, T.zero, T.zero, T.zero, T.zero, T.zero)
        var i = 0
        while i + 8 <= count {
            lanes.0 += p[i] - p[i]; lanes.1 += p[i + 1] - p[i + 1]; lanes.2 += p[i + 2] - p[i + 2]; lanes.3 += p[i + 3] - p[i + 3]
            lanes.4 += p[i + 4] - p[i + 4]; lanes.5 += p[i + 5] - p[i + 5]; lanes.6 += p[i + 6] - p[i + 6]; lanes.7 += p[i + 7] - p[i + 7]
            i += 8
        }
        var total = ((lanes.0 + lanes.1) + (lanes.2 + lanes.3)) + ((lanes.4 + lanes.5) + (lanes.6 + lanes.7))
        while i < count { total += p[i] - p[i]; i += 1 }
        return total == 0
    }
}

extension Kernels {
    /// `log softmax` along `axis` (resolved) of a floating-point `x`, row by row in one kernel:
    /// per row the maximum `m` (NaN winning; 0 where it is infinite, as in `logSumExp`), `s = Σ
    /// exp(x − m)` with the eight-lane row sum of ``reduce(_:_:axes:)``, then `(x − m) − log s`:
    /// the operations of the composite `shifted − log(sum(exp(shifted)))` in one pass over each
    /// row instead of ten over the tensor (along the last axis, bit for bit its result). Rows
    /// along another axis are brought innermost first (a copy). Returns the output and the
    /// shift `m` (x's shape with `axis` of size 1), which the pullback uses.
    static func logSoftmax(_ x: Tensor, axis: Int) -> (output: Tensor, shift: Tensor) {
        switch x.dtype {
        case .float32: return logSoftmax(x, axis, Float.self)
        case .float64: return logSoftmax(x, axis, Double.self)
        case .int32, .int64: preconditionFailure("logSoftmax: needs a floating-point tensor, got \(x.dtype)")
        }
    }

    private static func logSoftmax<T: FloatScalar>(_ x: Tensor, _ axis: Int, _ type: T.Type) -> (output: Tensor, shift: Tensor) {
        var order = Array(0..<x.rank)
        order.remove(at: axis)
        order.append(axis)
        let arranged = Tensor(storage: x.storage, layout: x.layout.permuted(order), dtype: x.dtype).contiguousValue()
        let result = Tensor.uninitialized(shape: arranged.shape, dtype: x.dtype)
        var keptShape = arranged.shape
        keptShape[keptShape.count - 1] = 1
        let shifts = Tensor.uninitialized(shape: keptShape, dtype: x.dtype)
        let width = x.shape[axis]
        if arranged.count > 0 {
            let source = arranged.storage.pointer(as: T.self) + arranged.layout.offset
            let out = result.storage.pointer(as: T.self), shift = shifts.storage.pointer(as: T.self)
            Parallel.forEach(arranged.count / width, grain: max(1, Parallel.elementGrain / width)) { first, end in
                for row in first..<end {
                    shift[row] = logSoftmaxRow(source + row * width, out + row * width, count: width)
                }
            }
        } else if shifts.count > 0 {
            shifts.storage.pointer(as: T.self).initialize(repeating: 0, count: shifts.count)  // rows of nothing
        }
        // Back to x's axis order: result axis i is x's axis order[i].
        var inverse = order
        for (position, axis) in order.enumerated() { inverse[axis] = position }
        return (Tensor(storage: result.storage, layout: result.layout.permuted(inverse), dtype: x.dtype),
                Tensor(storage: shifts.storage, layout: shifts.layout.permuted(inverse), dtype: x.dtype))
    }

    /// One row of ``logSoftmax(_:axis:)`` from `x` into `y`; returns the row's shift.
    @inline(__always)
    private static func logSoftmaxRow<T: FloatScalar>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, count: Int) -> T {
        let (shift, total) = shiftedExponentials(x, into: y, count: count)
        let logTotal = T.log(total)
        for i in 0..<count { y[i] = (x[i] - shift) - logTotal }
        return shift
    }

    /// A row's softmax shift `m` (its maximum, NaN winning; 0 where it is infinite), `y = exp(x −
    /// m)` and `s = Σ y` with the eight-lane row sum: the part of a softmax that
    /// ``logSoftmax(_:axis:)`` and ``softmaxCrossEntropy(_:labels:)`` share, so their shifts and
    /// totals are the same bits.
    @inline(__always)
    private static func shiftedExponentials<T: FloatScalar>(
        _ x: UnsafeMutablePointer<T>, into y: UnsafeMutablePointer<T>, count: Int
    ) -> (shift: T, total: T) {
        let peak = reduceRow(.max, x, count: count)
        let shift = peak.isInfinite ? T.zero : peak
        for i in 0..<count { y[i] = T.exp(x[i] - shift) }
        return (shift, reduceRow(.sum, y, count: count))
    }
}

extension Kernels {
    /// Softmax cross-entropy of each row of `[batch, classes]` floating-point logits `x` against
    /// checked labels (one per row, in `0..<classes`): `ℓᵢ = −((xᵢ[yᵢ] − mᵢ) − log sᵢ)` with
    /// the shift `mᵢ` and `sᵢ = Σ exp(xᵢ − mᵢ)` of ``logSoftmax(_:axis:)``, computed by its row
    /// kernel's own step, so `ℓᵢ` is bit for bit the negated log-probability that
    /// `logSoftmax` then `gathered` give. Returns the losses `[batch]`, and for the pullback the
    /// exponentials `exp(x − m)` (`[batch, classes]`) and the row totals `s` (`[batch]`).
    static func softmaxCrossEntropy(_ x: Tensor, labels: [Int64]) -> (losses: Tensor, exponentials: Tensor, totals: Tensor) {
        switch x.dtype {
        case .float32: return softmaxCrossEntropy(x, labels, Float.self)
        case .float64: return softmaxCrossEntropy(x, labels, Double.self)
        case .int32, .int64: preconditionFailure("softmaxCrossEntropy: needs floating-point logits, got \(x.dtype)")
        }
    }

    private static func softmaxCrossEntropy<T: FloatScalar>(
        _ x: Tensor, _ labels: [Int64], _ type: T.Type
    ) -> (losses: Tensor, exponentials: Tensor, totals: Tensor) {
        let rows = x.shape[0], width = x.shape[1]
        let logits = x.contiguousValue()
        let losses = Tensor.uninitialized(shape: [rows], dtype: x.dtype)
        let exponentials = Tensor.uninitialized(shape: [rows, width], dtype: x.dtype)
        let totals = Tensor.uninitialized(shape: [rows], dtype: x.dtype)
        guard rows > 0, width > 0 else { return (losses, exponentials, totals) }  // no rows: labels were checked
        let source = logits.storage.pointer(as: T.self) + logits.layout.offset
        let e = exponentials.storage.pointer(as: T.self), loss = losses.storage.pointer(as: T.self)
        let total = totals.storage.pointer(as: T.self)
        labels.withUnsafeBufferPointer { label in
            Parallel.forEach(rows, grain: max(1, Parallel.elementGrain / width)) { first, end in
                for row in first..<end {
                    let x = source + row * width
                    let (shift, sum) = shiftedExponentials(x, into: e + row * width, count: width)
                    total[row] = sum
                    loss[row] = -((x[Int(label[row])] - shift) - T.log(sum))
                }
            }
        }
        return (losses, exponentials, totals)
    }

    /// The pullback of ``softmaxCrossEntropy(_:labels:)`` for the losses' cotangent `g`
    /// (`B + [batch]`, any layout): `B + [batch, classes]` with
    /// `(j == yᵢ ? −gᵢ : 0) + (gᵢ / sᵢ) · eᵢⱼ`, that is `gᵢ (softmax(xᵢ) − onehot(yᵢ))`, written
    /// as the composite's pullbacks (mean, negate, gather's scatter into zeros, logSoftmax's
    /// `G + (−ΣG) / s · e`) round it, bit for bit.
    static func softmaxCrossEntropyPullback(_ g: Tensor, labels: [Int64], exponentials: Tensor, totals: Tensor) -> Tensor {
        switch g.dtype {
        case .float32: return softmaxCrossEntropyPullback(g, labels, exponentials, totals, Float.self)
        case .float64: return softmaxCrossEntropyPullback(g, labels, exponentials, totals, Double.self)
        case .int32, .int64: preconditionFailure("softmaxCrossEntropy: needs a floating-point cotangent, got \(g.dtype)")
        }
    }

    private static func softmaxCrossEntropyPullback<T: FloatScalar>(
        _ g: Tensor, _ labels: [Int64], _ exponentials: Tensor, _ totals: Tensor, _ type: T.Type
    ) -> Tensor {
        let rows = exponentials.shape[0], width = exponentials.shape[1]
        let result = Tensor.uninitialized(shape: g.shape + [width], dtype: g.dtype)
        let count = g.count
        guard count > 0, width > 0 else { return result }
        // A rank-1 cotangent (the usual one: the mean's, a broadcast scalar) is read through its
        // stride; one with batch axes is made contiguous first.
        let cotangent = g.rank == 1 ? g : g.contiguousValue()
        let stride = g.rank == 1 ? g.layout.strides[0] : 1
        let gp = cotangent.storage.pointer(as: T.self) + cotangent.layout.offset
        let e = exponentials.storage.pointer(as: T.self), total = totals.storage.pointer(as: T.self)
        let out = result.storage.pointer(as: T.self)
        labels.withUnsafeBufferPointer { label in
            Parallel.forEach(count, grain: max(1, Parallel.elementGrain / width)) { first, end in
                for position in first..<end {
                    let row = position % rows, gi = gp[position * stride]
                    let q = gi / total[row]
                    let y = e + row * width, o = out + position * width
                    for j in 0..<width { o[j] = T.zero + q * y[j] }
                    let target = Int(label[row])
                    o[target] = (T.zero + -gi) + q * y[target]  // the scatter's 0 + (−gᵢ), then logSoftmax's sum
                }
            }
        }
        return result
    }
}
