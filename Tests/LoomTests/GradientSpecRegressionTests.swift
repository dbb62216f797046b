import Loom
import LoomTestSupport
import Testing

/// Regression tests for defects the gradient spec found (both fixed).
@Suite("GradientSpec regressions")
struct GradientSpecRegressionTests {
    @Test("gradients(of:withRespectTo:) sees through an interior input to one upstream of it")
    func interiorAndUpstreamTargets() {
        var x = Tensor([1, 2], dtype: .float64)
        x.requiresGradient = true
        let h = x * 2
        let y = (h * h + x).sum()  // dy/dh = 2h, dy/dx = 8x + 1
        let both = gradients(of: y, withRespectTo: [h, x])
        assertClose(both[0], [4, 8], relative: 1e-13, "dy/dh")
        assertClose(gradients(of: y, withRespectTo: [x])[0], [9, 17], relative: 1e-13, "dy/dx alone")
        // Backpropagation once stopped at every target, losing the path x → h → y for x.
        assertClose(both[1], [9, 17], relative: 1e-13, "dy/dx requested together with h")
    }

    @Test("pow with a tensor exponent 0 has base derivative 0 at base 0, like a constant exponent")
    func powZeroExponentAtZeroBase() {
        let base = Tensor([0, 1.5], dtype: .float64)
        let constant = gradient(at: base) { Tensor.pow($0, 0).sum() }
        assertClose(constant, [0, 0], relative: 0, "constant exponent 0")
        let tensor = gradient(at: base) { Tensor.pow($0, $0.zerosLike()).sum() }
        // The tensor-exponent pullback once computed 0 · 0⁻¹ = 0 · ∞ = NaN here.
        assertClose(tensor, [0, 0], relative: 0, "tensor exponent 0")
    }
}
