import Loom
import LoomTestSupport
import Testing

/// The gradient checker itself: it must reject wrong derivatives (so the table can fail),
/// and its helpers must use their arguments.
@Suite("GradientSpec checker")
struct GradientSpecCheckerTests {
    @Test("accepts a correct gradient, with errors far below tolerance")
    func acceptsCorrectGradient() {
        let report = GradientCheck.check({ ($0[0] * $0[0] * $0[0]).exp() }, inputs: [InputSpec([3], .uniform(-1, 1))], seed: 1)
        #expect(report.failures.isEmpty, "\(report)")
        let first = report.firstOrder
        #expect(Swift.abs(first.analytic - first.numeric) < 1e-3 * first.tolerance.relative * first.scale, "\(first)")
        #expect(first.gradientScale > 0)
    }

    @Test("rejects a first derivative that is off by a factor (x·stopGradient(x))")
    func rejectsWrongFirstOrder() {
        // Value x², autodiff derivative x instead of 2x.
        let report = GradientCheck.check({ $0[0] * $0[0].detached() }, inputs: [InputSpec([4])], seed: 2)
        #expect(!report.firstOrder.isClose, "\(report)")
    }

    @Test("rejects a wrong second derivative when the first is right")
    func rejectsWrongSecondOrder() {
        // Value x³ and derivative 3x² (both right), but the recorded derivative is constant,
        // so autodiff's second derivative is 0 instead of 6x.
        let report = GradientCheck.check({ x in
            let c = x[0].detached()
            return c * c * c + 3 * c * c * (x[0] - c)
        }, inputs: [InputSpec([4], .positive)], seed: 3)
        #expect(report.firstOrder.isClose, "\(report)")
        let second = report.secondOrder
        #expect(second != nil && !second!.isClose, "\(report)")
    }

    @Test("rejects a float32 result that differs from float64")
    func rejectsFloat32Mismatch() {
        let report = GradientCheck.check({ x in x[0].dtype == .float32 ? x[0] * 1.001 : x[0] }, inputs: [InputSpec([2, 2])], seed: 4)
        #expect(report.float32Value.map { !$0.isClose } == true, "\(report)")
        #expect(report.float32Gradients.contains { !$0.isClose }, "\(report)")
        #expect(report.failures.count == 2, "\(report.failures)")
    }

    @Test("presents inputs in the requested layout, perturbing through the view")
    func presentsLayouts() {
        var generator = SeededGenerator(seed: 5)
        let cases: [(InputLayout, [Int])] = [
            (.transposed, [4, 3]), (.strided(step: -2), [6, 3]), (.strided(step: 3), [9, 3]), (.expanded(from: [1, 3]), [1, 3]),
        ]
        for (layout, baseShape) in cases {
            let spec = InputSpec([3, 3], .real, layout: layout)
            #expect(spec.baseShape == (layout == .transposed ? [3, 3] : baseShape), "\(layout)")
            let base = spec.sampleBase(using: &generator)
            let presented = spec.present(base)
            #expect(presented.shape == [3, 3] && presented.sharesStorage(with: base), "\(layout)")
            #expect(!presented.isContiguous, "\(layout) should not be contiguous")
        }
        let reversed = InputSpec([2], .real, layout: .strided(step: -2)).present(Tensor([1, 2, 3, 4], dtype: .float64))
        #expect(reversed.asArray(Double.self) == [4, 2])
    }

    @Test("domains keep their margins", arguments: [
        InputDomain.positive, .awayFromZero, .probability, .distinct(phase: 0), .distinct(phase: 1), .uniform(-4, 4),
    ])
    func domainsKeepMargins(domain: InputDomain) {
        var generator = SeededGenerator(seed: 6)
        let values = domain.sampleScalars(count: 40, using: &generator)
        #expect(values.count == 40 && Set(values).count == 40)
        switch domain {
        case .positive: #expect(values.allSatisfy { $0 >= 0.5 && $0 < 2 })
        case .awayFromZero: #expect(values.allSatisfy { Swift.abs($0) >= 0.25 } && values.contains { $0 < 0 })
        case .probability: #expect(values.allSatisfy { $0 > 0 && $0 < 1 })
        case .uniform(-4, 4): #expect(values.allSatisfy { $0 >= -4 && $0 < 4 })
        default:
            let sorted = values.sorted()
            #expect(zip(sorted, sorted.dropFirst()).allSatisfy { $1 - $0 > domain.margin * 2 })
        }
    }

    @Test("distinct samples of phases 0 and 1 never come within the margin")
    func distinctPhasesSeparate() {
        var generator = SeededGenerator(seed: 7)
        let a = InputDomain.distinct(phase: 0).sampleScalars(count: 12, using: &generator)
        let b = InputDomain.distinct(phase: 1).sampleScalars(count: 12, using: &generator)
        #expect(a.allSatisfy { x in b.allSatisfy { Swift.abs(x - $0) >= 0.05 - 1e-12 } })
        #expect(a.allSatisfy { x in Swift.abs(Swift.abs(x) - 0.3) >= 0.05 - 1e-12 })
    }

    @Test("compare names the worst element and honours both tolerances")
    func compareNamesWorstElement() {
        let expected = Tensor([[1, 2], [3, 100]], dtype: .float64)
        let actual = Tensor([[1.001, 2], [3, 100.5]], dtype: .float64)
        let comparison = compare(actual, expected, relative: 1e-4)
        #expect(!comparison.isClose)
        #expect(comparison.explanation.contains("[1, 1]"), "\(comparison)")
        #expect(compare(actual, expected, relative: 1e-2).isClose)
        #expect(!compare(actual, expected, relative: 0, absolute: 0.1).isClose)
        #expect(compare(actual, expected, relative: 0, absolute: 0.6).isClose)
        #expect(!compare(actual.reshaped([4]), expected, relative: 1).isClose)
        let nan = Tensor([Double.nan], dtype: .float64)
        #expect(compare(nan, nan, relative: 0).isClose && !compare(nan, Tensor([0.0], dtype: .float64), relative: 1).isClose)
    }
}
