@testable import Loom
import Testing

@Suite("ReLU pullback")
struct ReLUPullbackTests {
    /// The fused pullback against the unfused `g · (x > 0)`, bit for bit, with NaN, ±∞, ±0 and
    /// a transposed operand, in both floating types; and through a second differentiation.
    @Test func fusedEqualsUnfused() {
        let g: [Double] = [1.5, -2, .nan, .infinity, -.infinity, -0.0, 3, -4, 0.25, 7, -1, 2]
        let x: [Double] = [1, -1, -2, -3, 2, 5, 0, -0.0, .nan, .infinity, -.infinity, 1e-30]
        for dtype in [DType.float32, .float64] {
            let gt = Tensor(shape: [3, 4], scalars: g, dtype: dtype)
            let xt = Tensor(shape: [4, 3], scalars: x, dtype: dtype).transposed()
            let fused = withoutGradients { Tensor.reluPullback(gt, xt) }.asArray(Double.self)
            let unfused = withoutGradients { gt * (xt .> 0) }.asArray(Double.self)
            #expect(fused.map(\.bitPattern) == unfused.map(\.bitPattern), "\(dtype)")
        }
        // ∇(Σ relu(x)·x) = 2·relu(x) flows through the recorded pullback (its cotangent is
        // g·x), so differentiating ⟨that, v⟩ again gives 2·v where x > 0.
        let point = Tensor(shape: [4], scalars: [1.0, -2, 3, -0.5], dtype: .float64)
        let v = Tensor(shape: [4], scalars: [2.0, 3, 4, 5], dtype: .float64)
        let secondOrder = gradient(at: point) { p in (gradient(at: p) { ($0.relu() * $0).sum() } * v).sum() }
        #expect(secondOrder.asArray(Double.self) == [4, 0, 8, 0])
    }
}
