/// Iterates the elements of one shape viewed through several operands' strides, as rows:
/// the innermost (coalesced) axis is a run of `innerCount` elements with a fixed stride per
/// operand, so kernels run a tight loop per row and pay the index arithmetic once per row.
struct StridedLoop {
    /// Sizes of the outer axes (all but the innermost, after coalescing).
    let outerShape: [Int]
    /// Per operand, strides of the outer axes.
    let outerStrides: [[Int]]
    /// Per operand, the stride along a row.
    let innerStrides: [Int]
    /// Per operand, the storage index of the first element.
    let baseOffsets: [Int]
    let innerCount: Int
    let rowCount: Int

    /// - Parameters:
    ///   - shape: the common (broadcast) shape.
    ///   - layouts: each operand's layout, already expanded to `shape`.
    init(shape: [Int], layouts: [Layout]) {
        // Drop size-1 axes and merge neighbours that are contiguous for every operand.
        var sizes: [Int] = []
        var strides: [[Int]] = Array(repeating: [], count: layouts.count)
        for axis in 0..<shape.count where shape[axis] != 1 {
            if let last = sizes.indices.last,
               layouts.indices.allSatisfy({ strides[$0][last] == layouts[$0].strides[axis] * shape[axis] }) {
                sizes[last] *= shape[axis]
                for k in layouts.indices { strides[k][last] = layouts[k].strides[axis] }
            } else {
                sizes.append(shape[axis])
                for k in layouts.indices { strides[k].append(layouts[k].strides[axis]) }
            }
        }
        if sizes.isEmpty {
            sizes = [1]
            for k in layouts.indices { strides[k] = [0] }
        }
        innerCount = sizes.last!
        innerStrides = strides.map { $0.last! }
        outerShape = Array(sizes.dropLast())
        outerStrides = strides.map { Array($0.dropLast()) }
        baseOffsets = layouts.map(\.offset)
        rowCount = shape.contains(0) ? 0 : outerShape.reduce(1, *)
    }

    /// Storage index of the first element of `row` for `operand`.
    @inline(__always)
    func offset(row: Int, operand: Int) -> Int {
        var remaining = row
        var position = baseOffsets[operand]
        let strides = outerStrides[operand]
        var axis = outerShape.count - 1
        while axis >= 0 {
            let size = outerShape[axis]
            position += (remaining % size) * strides[axis]
            remaining /= size
            axis -= 1
        }
        return position
    }

    /// Calls `body(row, begin, end)` for runs `begin ..< end` of the rows' elements that
    /// together cover every element once, split across threads when there are more than
    /// `Parallel.elementGrain` elements. The split is by element, not by row: a contiguous
    /// tensor coalesces to a single row, which a split by rows kept on one thread however
    /// large it was (the ReLU pullback of a 128 x 512 layer ran serially in every training step).
    func forEachSegment(_ body: (_ row: Int, _ begin: Int, _ end: Int) -> Void) {
        let total = rowCount * innerCount
        if total == 0 { return }
        Parallel.forEach(total, grain: Parallel.elementGrain) { first, last in forEachSegment(in: first..<last, body) }
    }

    /// Calls `body(row, begin, end)` for the runs of rows that hold `elements`, counted through
    /// the rows in order (`innerCount` a row): one chunk of ``forEachSegment(_:)``'s split.
    func forEachSegment(in elements: Range<Int>, _ body: (_ row: Int, _ begin: Int, _ end: Int) -> Void) {
        let n = innerCount
        var row = elements.lowerBound / n, begin = elements.lowerBound % n, remaining = elements.count
        while remaining > 0 {
            let end = Swift.min(n, begin + remaining)
            body(row, begin, end)
            remaining -= end - begin
            row += 1
            begin = 0
        }
    }
}
