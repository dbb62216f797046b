import Foundation
import Loom
import LoomNN
import LoomTestSupport
import Testing

@Suite("Activations")
struct ActivationTests {
    static let points: [Double] = [-3, -1.5, -0.25, 0, 0.25, 1, 2.5]

    static func apply(_ module: Module, _ values: [Double] = points) -> [Double] {
        module(Tensor(shape: [values.count], scalars: values)).asArray(Double.self)
    }

    static func expectClose(_ actual: [Double], _ expected: [Double], tolerance: Double, _ name: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count, sourceLocation: sourceLocation)
        for (i, (a, e)) in zip(actual, expected).enumerated() where !(Swift.abs(a - e) <= tolerance * Swift.max(1, Swift.abs(e))) {
            Issue.record("\(name) at \(points.count == actual.count ? points[i] : Double(i)): \(a) vs \(e)", sourceLocation: sourceLocation)
        }
    }

    @Test("elementwise modules match their closed forms")
    func closedForms() {
        let p = Self.points
        Self.expectClose(Self.apply(ReLU()), p.map { Swift.max($0, 0) }, tolerance: 0, "relu")
        Self.expectClose(Self.apply(LeakyReLU(negativeSlope: 0.2)), p.map { $0 > 0 ? $0 : 0.2 * $0 }, tolerance: 0, "leakyReLU")
        Self.expectClose(Self.apply(Tanh()), p.map { Foundation.tanh($0) }, tolerance: 1e-15, "tanh")
        Self.expectClose(Self.apply(Sigmoid()), p.map { 1 / (1 + Foundation.exp(-$0)) }, tolerance: 1e-15, "sigmoid")
        Self.expectClose(Self.apply(Identity()), p, tolerance: 0, "identity")
        // Reference values of GELU(1): exact Φ(1) = 0.841344746…, tanh form 0.841191990…
        Self.expectClose(Self.apply(GELU(), [1]), [0.8413447460685429], tolerance: 1e-7, "gelu")
        Self.expectClose(Self.apply(GELU(approximation: .tanh), [1]), [0.8411919906082768], tolerance: 1e-12, "gelu tanh")
    }

    @Test("erf is within the Abramowitz–Stegun bound 1.5e-7 of libm's erf, and odd")
    func erfAccuracy() {
        let grid = stride(from: -6.0, through: 6.0, by: 0.01).map { $0 }
        let values = Tensor(shape: [grid.count], scalars: grid).erf().asArray(Double.self)
        var worst = 0.0
        for (x, value) in zip(grid, values) { worst = Swift.max(worst, Swift.abs(value - Foundation.erf(x))) }
        #expect(worst <= 1.5e-7, "largest error \(worst)")
        #expect(worst > 0, "a float64 approximation cannot be exact everywhere; is the grid evaluated?")
        let odd = Tensor([-0.7, 0.7], dtype: .float64).erf().asArray(Double.self)
        #expect(odd[0] == -odd[1])
    }

    @Test("erf's gradient is close to 2/√π e^{−x²}, including at 0")
    func erfDerivative() {
        let grid = stride(from: -4.0, through: 4.0, by: 0.125).map { $0 }
        let derivative = gradient(at: Tensor(shape: [grid.count], scalars: grid)) { $0.erf().sum() }.asArray(Double.self)
        for (x, d) in zip(grid, derivative) {
            let exact = 2 / Double.pi.squareRoot() * Foundation.exp(-x * x)
            // The derivative of the A&S approximation is off by up to ~7e-6 (at 0).
            #expect(Swift.abs(d - exact) <= 1e-5, "erf'(\(x)) = \(d), exact \(exact)")
        }
    }

    @Test("GELU matches x·Φ(x) with libm's erf; the tanh form within 1e-3")
    func geluValues() {
        let exact = Self.points.map { $0 * 0.5 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }
        // |x|/2 times erf's error bound 1.5e-7.
        for (x, (value, reference)) in zip(Self.points, zip(Self.apply(GELU()), exact)) {
            #expect(Swift.abs(value - reference) <= 0.75e-7 * Swift.abs(x) + 1e-15, "gelu(\(x)) = \(value), exact \(reference)")
        }
        Self.expectClose(Self.apply(GELU(approximation: .tanh)), exact, tolerance: 1e-3, "gelu tanh vs exact")
    }

    @Test("kinks: leakyReLU' = s, softplus' = 1/2 and erf' = 2/√π at 0")
    func derivativesAtZero() {
        let zero = Tensor([0.0], dtype: .float64)
        #expect(gradient(at: zero) { $0.leakyReLU(negativeSlope: 0.3).sum() }.item(Double.self) == 0.3)
        #expect(gradient(at: zero) { $0.softplus().sum() }.item(Double.self) == 0.5)
        #expect(Swift.abs(gradient(at: zero) { $0.erf().sum() }.item(Double.self) - 2 / Double.pi.squareRoot()) < 1e-5)
        #expect(zero.erf().item(Double.self) == 0)
        #expect(Swift.abs(gradient(at: zero) { $0.gelu().sum() }.item(Double.self) - 0.5) < 1e-12)
    }

    @Test("softplus is log(1 + eˣ) without overflow")
    func softplusValues() {
        let inputs: [Double] = [-30, -1, 0, 2, 800]
        let values = Tensor(shape: [inputs.count], scalars: inputs).softplus().asArray(Double.self)
        let expected: [Double] = inputs.map { x in Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x))) }
        for (v, e) in zip(values, expected) {
            let allowed: Double = 1e-15 * Swift.max(1, e) + 1e-15
            #expect(Swift.abs(v - e) <= allowed, "\(v) vs \(e)")
        }
    }

    @Test("softmax module sums to 1 along its axis")
    func softmaxModule() {
        let x = Tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 1000.0]], dtype: .float64)
        let rows = Softmax()(x)
        assertClose(rows.sum(alongAxes: [1]), [1, 1], relative: 1e-15)
        let e = [Foundation.exp(1.0), Foundation.exp(2.0), Foundation.exp(3.0)]
        assertClose(rows[0], e.map { $0 / e.reduce(0, +) }, relative: 1e-15)
        assertClose(Softmax(axis: 0)(x).sum(alongAxes: [0]), [1, 1, 1], relative: 1e-15)
    }

    @Test("gradients of the composites match central differences", arguments: [
        ("leakyReLU", InputDomain.awayFromZero),
        ("softplus", InputDomain.real),
        ("erf", InputDomain.real),
        ("gelu", InputDomain.real),
        ("gelu tanh", InputDomain.real),
    ])
    func gradientChecks(name: String, domain: InputDomain) {
        let function: (Tensor) -> Tensor = switch name {
        case "leakyReLU": { $0.leakyReLU(negativeSlope: 0.1) }
        case "softplus": { $0.softplus() }
        case "erf": { $0.erf() }
        case "gelu": { $0.gelu() }
        default: { $0.gelu(approximation: .tanh) }
        }
        assertGradientsCorrect(name, of: { function($0[0]) }, inputs: [InputSpec([3, 4], domain)], seed: 11)
    }

    @Test("Activation maps to modules and gains")
    func activationOption() {
        #expect(Activation.relu.makeModule() is ReLU)
        #expect(Activation.identity.makeModule() is Identity)
        #expect((Activation.leakyReLU(negativeSlope: 0.2).makeModule() as? LeakyReLU)?.negativeSlope == 0.2)
        #expect((Activation.gelu(.tanh).makeModule() as? GELU)?.approximation == .tanh)
        #expect(Activation.tanh.makeModule() is Tanh && Activation.sigmoid.makeModule() is Sigmoid)
        #expect(Activation.identity.recommendedGain == 1)
        #expect(Activation.relu.recommendedGain == 2.0.squareRoot())
        #expect(Activation.tanh.recommendedGain == 5.0 / 3)
        #expect(Activation.sigmoid.recommendedGain == 1)
        #expect(Activation.leakyReLU(negativeSlope: 0.2).recommendedGain == (2 / 1.04).squareRoot())
    }
}
