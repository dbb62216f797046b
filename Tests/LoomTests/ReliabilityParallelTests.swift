import Foundation
import Loom
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
