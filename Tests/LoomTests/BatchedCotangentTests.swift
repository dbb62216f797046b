import Foundation
import Loom
import LoomTestSupport
import Testing

/// A block of seeds (a cotangent with leading batch axes) through one reverse pass gives,
/// slice by slice, the vector-Jacobian products of the seeds one at a time: for every row of
/// the gradient table, in the first pass and in the pass over a recorded backward graph
/// (the Hessian rows), so every primitive's pullback, and the pullback of its pullback, is
/// checked with a batch axis.
@Suite("Batched cotangents")
struct BatchedCotangentTests {
    /// Three seeds of `shape`, stacked: `[3] + shape`, values of varying sign and size.
    static func seedBlock(_ shape: [Int], phase: Double) -> Tensor {
        let count = shape.reduce(1, *)
        let scalars: [Double] = (0..<(3 * count)).map { (index: Int) -> Double in
            let size = 1 + Double(index % 5)
            return sin(1.7 * Double(index) + phase) * size
        }
        return Tensor(shape: [3] + shape, scalars: scalars, dtype: .float64)
    }

    /// Checks `gradients(of: output, withRespectTo: inputs, seed: block)` against one pass per
    /// slice of the block.
    static func expectBatchedEqualsOneByOne(_ output: Tensor, _ inputs: [Tensor], _ name: String, phase: Double) {
        let block = seedBlock(output.shape, phase: phase)
        let batched = gradients(of: output, withRespectTo: inputs, seed: block)
        for (index, input) in inputs.enumerated() {
            #expect(batched[index].shape == [3] + input.shape, "\(name): input \(index) got shape \(batched[index].shape)")
            guard batched[index].shape == [3] + input.shape else { continue }
            let single = (0..<3).map { gradients(of: output, withRespectTo: inputs, seed: block[$0])[index] }
            let expected = Tensor.stacked(single, axis: 0)
            let scale = expected.asArray(Double.self).map(Swift.abs).max() ?? 0
            assertClose(batched[index], expected, relative: 1e-12, absolute: 1e-13 * scale, "\(name): input \(index)")
        }
    }

    static func inputs(of row: GradientSpecRow) -> [Tensor] {
        var generator = SeededGenerator(seed: row.seed)
        return row.inputs.map { spec in
            var input = spec.present(spec.sampleBase(using: &generator))
            input.requiresGradient = true
            return input
        }
    }

    @Test("first order: a block of seeds equals the seeds one by one", arguments: gradientSpecRows)
    func firstOrder(row: GradientSpecRow) {
        let inputs = Self.inputs(of: row)
        let output = row.function(inputs)
        Self.expectBatchedEqualsOneByOne(output, inputs, row.name, phase: 0.3)
    }

    @Test("second order: a block of seeds through the recorded gradient equals the seeds one by one", arguments: gradientSpecRows)
    func secondOrder(row: GradientSpecRow) {
        let inputs = Self.inputs(of: row)
        let output = row.function(inputs)
        let weights = Self.seedBlock(output.shape, phase: 1.1)[0]
        let gradient = gradients(of: (output * weights).sum(), withRespectTo: inputs, createGraph: true)
        for (index, g) in gradient.enumerated() {
            Self.expectBatchedEqualsOneByOne(g, inputs, "\(row.name), ∂/∂input \(index)", phase: 0.7 + Double(index))
        }
    }

    @Test("the Jacobian is the same for every block size, and equals the Hessian's closed form")
    func jacobianBlocks() {
        // f(x) = Σ xᵢ³ + x₀x₁: H = diag(6x) + (e₀e₁ᵀ + e₁e₀ᵀ).
        var x = Tensor(shape: [5], scalars: [0.5, -1, 2, 0.25, -3], dtype: .float64)
        x.requiresGradient = true
        let g = withGradients { gradients(of: (x * x * x).sum() + x[0] * x[1], withRespectTo: [x], createGraph: true)[0] }
        var expected = [Double](repeating: 0, count: 25)
        for i in 0..<5 { expected[i * 5 + i] = 6 * x.asArray(Double.self)[i] }
        expected[1] = 1
        expected[5] = 1
        for block in [1, 2, 3, 5, 8] {
            let h = jacobian(of: g, withRespectTo: x, seedsPerPass: block)
            #expect(h.shape == [5, 5])
            assertClose(h, expected, relative: 1e-15, absolute: 1e-15, "\(block) seeds per pass")
        }
    }
}
