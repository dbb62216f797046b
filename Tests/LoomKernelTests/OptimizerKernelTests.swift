import CLoomKernels
import Testing

/// The fused Adam kernel on every ISA path against a Swift loop with the same operations in the
/// same order: the results must be identical bit for bit (no FMA, exact sqrt and division).
@Suite("Fused optimizer kernels")
struct OptimizerKernelTests {
    @Test(arguments: [0, 1, 7, 15, 16, 17, 33, 1037])
    func adamMatchesScalarLoopOnEveryISA(count: Int) {
        var random = SplitMix(state: UInt64(count) &+ 11)
        let p0 = (0..<count).map { _ in Float(random.uniform()) }
        let g = (0..<count).map { _ in Float(random.uniform() * 1e-2) }
        let m0 = (0..<count).map { _ in Float(random.uniform() * 1e-3) }
        let v0 = (0..<count).map { _ in Float((random.uniform() + 1) * 1e-5) }
        var c = loom_adam_coefficients_s(
            step_size: 1e-3 / 0.19, beta1: 0.9, beta2: 0.999, one_minus_beta1: Float(1 - 0.9), one_minus_beta2: Float(1 - 0.999),
            correction_root: Float((1 - 0.999 * 0.999).squareRoot()), epsilon: 1e-8, weight_decay: 0.01)
        var p = p0, m = m0, v = v0
        for i in 0..<count {
            let gi = g[i] + c.weight_decay * p[i]
            m[i] = c.beta1 * m[i] + c.one_minus_beta1 * gi
            v[i] = c.beta2 * v[i] + c.one_minus_beta2 * gi * gi
            p[i] -= c.step_size * m[i] / (v[i].squareRoot() / c.correction_root + c.epsilon)
        }
        let isa0 = loom_active_isa()
        defer { _ = loom_set_isa(isa0) }
        for isa in supportedISAs() {
            #expect(loom_set_isa(isa) == isa)
            var pk = p0, mk = m0, vk = v0
            loom_adam_update_s(Int64(count), &pk, g, &mk, &vk, &c)
            #expect(pk.map(\.bitPattern) == p.map(\.bitPattern), "parameter, isa \(isa.rawValue), count \(count)")
            #expect(mk.map(\.bitPattern) == m.map(\.bitPattern), "first moment, isa \(isa.rawValue)")
            #expect(vk.map(\.bitPattern) == v.map(\.bitPattern), "second moment, isa \(isa.rawValue)")
        }
    }
}
