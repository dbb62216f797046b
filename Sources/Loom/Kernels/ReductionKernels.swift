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
    private static func reduceRow<T: TensorScalar>(_ operation: ReductionOperation, _ p: UnsafeMutablePointer<T>, count: Int) -> T {
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
