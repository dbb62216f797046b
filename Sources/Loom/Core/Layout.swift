/// Where a tensor's elements sit in its storage: element `[i₀, …, iₙ₋₁]` is at
/// `offset + Σ iₖ · strides[k]` (in elements). Stride 0 repeats an element (broadcasting).
///
/// Every view (reshape, permute, expand, slice) is arithmetic on a layout; none copies.
public struct Layout: Equatable, Sendable, CustomStringConvertible {
    public var shape: [Int]
    public var strides: [Int]
    public var offset: Int

    /// A row-major contiguous layout of `shape`.
    public init(contiguous shape: [Int]) {
        self.shape = shape
        self.strides = Layout.contiguousStrides(shape)
        self.offset = 0
    }

    /// A layout with explicit strides (elements, may be 0 or negative) and offset: element
    /// `(i₀, …, iₙ)` lives at `offset + Σ iₖ·strides[k]`. `shape` and `strides` have one rank.
    public init(shape: [Int], strides: [Int], offset: Int) {
        precondition(shape.count == strides.count, "layout: shape \(shape) and strides \(strides) differ in rank")
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    public var rank: Int { shape.count }
    public var count: Int { shape.reduce(1, *) }

    public var description: String { "Layout(shape: \(shape), strides: \(strides), offset: \(offset))" }

    /// Row-major strides for `shape`.
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= Swift.max(shape[axis], 1)
        }
        return strides
    }

    /// Whether the elements are in row-major order with no gaps (size-1 axes' strides ignored).
    public var isContiguous: Bool {
        var expected = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) where shape[axis] != 1 {
            if shape[axis] == 0 { return true }
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }

    /// The smallest and one-past-largest storage index any element touches.
    var span: (lower: Int, upper: Int) {
        if count == 0 { return (offset, offset) }
        var lower = offset, upper = offset
        for (size, stride) in zip(shape, strides) {
            if stride > 0 { upper += (size - 1) * stride } else { lower += (size - 1) * stride }
        }
        return (lower, upper + 1)
    }

    /// Storage index of a multi-index.
    @inline(__always)
    func index(_ indices: [Int]) -> Int {
        var position = offset
        for axis in 0..<indices.count { position += indices[axis] * strides[axis] }
        return position
    }

    // MARK: - Views

    func permuted(_ axes: [Int]) -> Layout {
        Layout(shape: axes.map { shape[$0] }, strides: axes.map { strides[$0] }, offset: offset)
    }

    /// Broadcast to `target` (NumPy rules: align right, size-1 axes stretch with stride 0).
    /// Returns nil when the shapes are not compatible.
    func expanded(to target: [Int]) -> Layout? {
        guard target.count >= rank else { return nil }
        let lead = target.count - rank
        var newStrides = [Int](repeating: 0, count: target.count)
        for axis in 0..<rank {
            let size = shape[axis], want = target[lead + axis]
            if size == want { newStrides[lead + axis] = strides[axis] }
            else if size == 1 { newStrides[lead + axis] = 0 }
            else { return nil }
        }
        return Layout(shape: target, strides: newStrides, offset: offset)
    }

    /// A layout with `newShape` over the same elements without copying, or nil when the
    /// strides cannot express it (NumPy's no-copy reshape rule: split and merge axes only
    /// where the old layout is contiguous across them).
    func reshapedWithoutCopy(_ newShape: [Int]) -> Layout? {
        if isContiguous { return Layout(shape: newShape, strides: Layout.contiguousStrides(newShape), offset: offset) }
        // Drop size-1 axes of the old layout; they carry no stride information.
        let old = zip(shape, strides).filter { $0.0 != 1 }
        var newStrides = [Int](repeating: 0, count: newShape.count)
        var oi = 0, ni = 0
        while ni < newShape.count || oi < old.count {
            if ni < newShape.count && newShape[ni] == 1 { newStrides[ni] = 0; ni += 1; continue }
            guard oi < old.count, ni < newShape.count else { return nil }
            // Group old axes [oi, oj) and new axes [ni, nj) with equal products.
            var oj = oi + 1, nj = ni + 1
            var oldProduct = old[oi].0, newProduct = newShape[ni]
            while oldProduct != newProduct {
                if oldProduct < newProduct {
                    guard oj < old.count else { return nil }
                    oldProduct *= old[oj].0; oj += 1
                } else {
                    guard nj < newShape.count else { return nil }
                    newProduct *= newShape[nj]; nj += 1
                }
            }
            // The old group must be contiguous among itself.
            for k in oi..<(oj - 1) where old[k].1 != old[k + 1].1 * old[k + 1].0 { return nil }
            // Assign new strides from the innermost old stride outward.
            var running = old[oj - 1].1
            for k in stride(from: nj - 1, through: ni, by: -1) {
                newStrides[k] = running
                running *= newShape[k]
            }
            oi = oj; ni = nj
        }
        return Layout(shape: newShape, strides: newStrides, offset: offset)
    }

    /// Elements `start, start + step, …` (before `end`) along `axis`; `step` may be negative.
    func sliced(axis: Int, start: Int, count: Int, step: Int) -> Layout {
        var result = self
        result.offset += start * strides[axis]
        result.shape[axis] = count
        result.strides[axis] = strides[axis] * step
        return result
    }
}

/// Shape arithmetic shared by the operations.
public enum Shapes {
    /// The NumPy broadcast of two shapes, or nil if incompatible.
    public static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = Swift.max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if x == y || y == 1 { result[i] = x } else if x == 1 { result[i] = y } else { return nil }
        }
        return result
    }

    /// Resolves a possibly negative axis against `rank`, trapping with the operation's name.
    public static func axis(_ axis: Int, rank: Int, _ operation: String) -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        precondition(resolved >= 0 && resolved < rank, "\(operation): axis \(axis) is out of range for rank \(rank)")
        return resolved
    }

    /// Resolves and sorts a set of axes (nil means all), trapping on duplicates.
    public static func axes(_ axes: [Int]?, rank: Int, _ operation: String) -> [Int] {
        guard let axes else { return Array(0..<rank) }
        let resolved = axes.map { axis($0, rank: rank, operation) }.sorted()
        precondition(Set(resolved).count == resolved.count, "\(operation): repeated axis in \(axes)")
        return resolved
    }
}
