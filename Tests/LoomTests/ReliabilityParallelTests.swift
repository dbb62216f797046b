import Foundation
@testable import Loom
import Testing

/// Work large enough to run on the kernel worker pool (more than `Parallel.elementGrain`
/// elements, or a GEMM of several blocks), checked against plain loops. Scripts/sanitizers.sh
/// runs this suite under ThreadSanitizer, so a data race in the pool or in a kernel's split of
/// the work is reported there.
@Suite struct ReliabilityParallelTests {
    let count = 3 * Parallel.elementGrain + 17

    func values(_ count: Int, seed: UInt64) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Double.random(in: -1...1, using: &generator) }
    }

    @Test("elementwise operations over contiguous, broadcast and transposed operands on the pool")
    func elementwise() {
        let a = values(count, seed: 1), b = values(count, seed: 2)
        let x = Tensor(shape: [count], scalars: a, dtype: .float64), y = Tensor(shape: [count], scalars: b, dtype: .float64)
        let combined = (x * y + x.exp()).asArray(Double.self)
        for (index, (p, q)) in zip(a, b).enumerated() {
            let expected = p * q + exp(p)
            if Swift.abs(combined[index] - expected) > 1e-14 * Swift.abs(expected) + 1e-300 {
                Issue.record("element \(index): \(combined[index]) vs \(expected)")
                break
            }
        }
        let rows = 512, columns = count / rows
        let matrix = Tensor(shape: [rows, columns], scalars: Array(a.prefix(rows * columns)), dtype: .float64)
        let transposedSum = (matrix.transposed() + matrix.transposed()).asArray(Double.self)
        var expected: [Double] = []
        for column in 0..<columns { for row in 0..<rows { expected.append(2 * a[row * columns + column]) } }
        #expect(transposedSum == expected)
        let column = Tensor(shape: [rows, 1], scalars: Array(b.prefix(rows)), dtype: .float64)
        let broadcast = (matrix - column).asArray(Double.self)
        #expect(broadcast == (0..<(rows * columns)).map { a[$0] - b[$0 / columns] })
    }

    /// Every element of `loop` once, from segments split across two threads when the pool is
    /// free: returns how often each element was visited and how many segments there were.
    func segments(_ loop: StridedLoop) -> (visits: [Int], segments: Int) {
        let total = loop.rowCount * loop.innerCount
        let visits = UnsafeMutableBufferPointer<Int>.allocate(capacity: total)
        let starts = UnsafeMutableBufferPointer<Int>.allocate(capacity: total)
        defer { visits.deallocate(); starts.deallocate() }
        visits.initialize(repeating: 0)
        starts.initialize(repeating: 0)
        let previous = kernelThreadCount
        kernelThreadCount = 2
        defer { kernelThreadCount = previous }
        // Disjoint segments write disjoint elements; an overlap would count twice (and is a
        // data race that the ThreadSanitizer run of this suite reports).
        loop.forEachSegment { row, begin, end in
            starts[row * loop.innerCount + begin] += 1
            for i in begin..<end { visits[row * loop.innerCount + i] += 1 }
        }
        return (Array(visits), starts.reduce(0, +))
    }

    @Test("a contiguous tensor, one row after coalescing, is split by element across threads")
    func contiguousSegments() {
        let loop = StridedLoop(shape: [4, count / 4], layouts: [Layout(contiguous: [4, count / 4]), Layout(contiguous: [4, count / 4])])
        #expect(loop.rowCount == 1 && loop.innerCount == count / 4 * 4)
        #expect(segments(loop).visits.allSatisfy { $0 == 1 })
        // Split by rows, the one row could only be one chunk; split by element, two chunks of
        // the split divide it between them. (How many chunks the pool makes depends on the
        // other tests running at the same time, so the division is checked on given chunks.)
        let total = loop.innerCount, middle = total / 2 + 3
        var runs: [[Int]] = []
        loop.forEachSegment(in: 0..<middle) { runs.append([$0, $1, $2]) }
        loop.forEachSegment(in: middle..<total) { runs.append([$0, $1, $2]) }
        #expect(runs == [[0, 0, middle], [0, middle, total]])
    }

    @Test("segments that start and end inside rows cover every element of a strided view once")
    func stridedSegments() {
        // Rows of 1,009 elements that do not coalesce (each starts 2 · 1,009 + 1 elements after
        // the last), so each chunk of the split starts and ends inside a row.
        let rows = 3 * Parallel.elementGrain / 1009 + 7, columns = 1009
        let view = Layout(shape: [rows, columns], strides: [2 * columns + 1, 2], offset: 0)
        let loop = StridedLoop(shape: [rows, columns], layouts: [Layout(contiguous: [rows, columns]), view])
        #expect(loop.rowCount == rows && loop.innerCount == columns)
        #expect(segments(loop).visits.allSatisfy { $0 == 1 })
        // A chunk from inside row 1 to inside row 3 is the rest of row 1, all of row 2 and the
        // start of row 3.
        var runs: [[Int]] = []
        loop.forEachSegment(in: (columns + 491)..<(3 * columns + 73)) { runs.append([$0, $1, $2]) }
        #expect(runs == [[1, 491, columns], [2, 0, columns], [3, 0, 73]])
    }

    @Test("reductions over all elements and along each axis on the pool")
    func reductions() {
        let a = values(count, seed: 3)
        let x = Tensor(shape: [count], scalars: a, dtype: .float64)
        let total = a.reduce(0, +)
        #expect(Swift.abs(x.sum().item(Double.self) - total) <= 1e-9 * Double(count))
        #expect(x.max().item(Double.self) == a.max()!)
        let rows = 256, columns = count / rows
        let matrix = Tensor(shape: [rows, columns], scalars: Array(a.prefix(rows * columns)), dtype: .float64)
        let rowSums = matrix.sum(alongAxes: [1]).asArray(Double.self)
        for row in 0..<rows {
            let expected = a[(row * columns)..<((row + 1) * columns)].reduce(0, +)
            #expect(Swift.abs(rowSums[row] - expected) <= 1e-12 * Double(columns), "row \(row)")
        }
        let columnMaxima = matrix.max(alongAxes: [0]).asArray(Double.self)
        for column in stride(from: 0, to: columns, by: 37) {
            #expect(columnMaxima[column] == (0..<rows).map { a[$0 * columns + column] }.max()!, "column \(column)")
        }
    }

    @Test("a matrix product of many blocks on the pool")
    func matmul() {
        let n = 192, k = 160, m = 200
        let a = values(n * k, seed: 4), b = values(k * m, seed: 5)
        let product = Tensor(shape: [n, k], scalars: a, dtype: .float64).matmul(Tensor(shape: [k, m], scalars: b, dtype: .float64))
        let result = product.asArray(Double.self)
        for (i, j) in [(0, 0), (n - 1, m - 1), (97, 3), (5, 151), (150, 199)] {
            let expected = (0..<k).reduce(0.0) { $0 + a[i * k + $1] * b[$1 * m + j] }
            #expect(Swift.abs(result[i * m + j] - expected) <= 1e-12 * Double(k), "(\(i), \(j))")
        }
    }
}
