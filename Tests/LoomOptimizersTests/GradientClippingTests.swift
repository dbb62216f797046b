import Loom
import LoomNN
import LoomOptimizers
import Testing

@Suite("Gradient clipping")
struct GradientClippingTests {
    @Test("scales all gradients by maximumNorm / (norm + 1e-6) and returns the norm before clipping")
    func clips() throws {
        let a = Parameter(Tensor([0, 0], dtype: .float32)), b = Parameter(Tensor([0], dtype: .float64))
        let frozen = Parameter(Tensor([0]), frozen: true), idle = Parameter(Tensor([0]))
        a.gradient = Tensor([3, 4], dtype: .float32)
        b.gradient = Tensor([12], dtype: .float64)
        let norm = try clipGradientNorm(of: [a, b, frozen, idle, a], maximumNorm: 6.5)
        #expect(norm == 13)
        let factor = 6.5 / (13 + 1e-6)
        let scaledA = a.gradient!.asArray(Double.self), scaledB = b.gradient!.asArray(Double.self)
        #expect(abs(scaledA[0] - 3 * factor) < 1e-6 && abs(scaledA[1] - 4 * factor) < 1e-6)
        #expect(abs(scaledB[0] - 12 * factor) < 1e-14)
        #expect(a.gradient!.dtype == .float32 && b.gradient!.dtype == .float64)
    }

    @Test("leaves gradients below the limit untouched")
    func belowLimit() throws {
        let a = Parameter(Tensor([0, 0], dtype: .float64))
        a.gradient = Tensor([3, 4], dtype: .float64)
        #expect(try clipGradientNorm(of: [a], maximumNorm: 5.1) == 5)
        #expect(a.gradient!.asArray(Double.self) == [3, 4])
        #expect(try clipGradientNorm(of: [], maximumNorm: 1) == 0)
    }

    @Test("an infinite norm is returned, and the gradients become zero (as PyTorch)")
    func infinite() throws {
        let a = Parameter(Tensor([0, 0], dtype: .float64))
        a.gradient = Tensor([.infinity, 1], dtype: .float64)
        #expect(try clipGradientNorm(of: [a], maximumNorm: 1) == .infinity)
        #expect(a.gradient!.asArray(Double.self)[1] == 0)
    }
}
