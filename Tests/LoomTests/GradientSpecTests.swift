import Loom
import LoomTestSupport
import Testing

/// The gradient table (GradientSpecTable*.swift) checked against central differences, first
/// and second order in float64, plus float32 against float64; and its coverage.
@Suite("GradientSpec table")
struct GradientSpecTableTests {
    @Test("autodiff matches central differences", arguments: gradientSpecRows)
    func gradientsMatchCentralDifferences(row: GradientSpecRow) {
        let report = assertGradientsCorrect(
            row.name, of: row.function, inputs: row.inputs, configuration: row.configuration, seed: row.seed)
        // A check whose derivatives are all zero would pass vacuously.
        #expect(report.firstOrder.gradientScale > 0, "\(row.name): the first-order gradient is identically zero")
        #expect(report.secondOrder != nil, "\(row.name): second order was not checked")
    }

    @Test("the output records the declared primitive", arguments: gradientSpecRows.filter { $0.primitive != nil })
    func recordsDeclaredPrimitive(row: GradientSpecRow) throws {
        let primitive = try #require(row.primitive)
        var generator = SeededGenerator(seed: row.seed)
        let inputs = row.inputs.map { spec in
            var input = spec.present(spec.sampleBase(using: &generator))
            input.requiresGradient = true
            return input
        }
        let output = row.function(inputs)
        #expect(output.recordedPrimitives.contains(primitive),
                "\(row.name): recorded \(output.recordedPrimitives.map(\.rawValue).sorted()), not \(primitive)")
    }

    @Test("every primitive has a row")
    func everyPrimitiveIsCovered() {
        let declared = Set(gradientSpecRows.compactMap(\.primitive))
        let missing = Primitive.allCases.filter { !declared.contains($0) }
        #expect(missing.isEmpty, "primitives without a gradient row: \(missing.map(\.rawValue))")
    }

    @Test("every composite has a row")
    func everyCompositeIsCovered() {
        let declared = Set(gradientSpecRows.compactMap { row -> Composite? in
            if case let .composite(composite) = row.subject { return composite }
            return nil
        })
        let missing = Composite.allCases.filter { !declared.contains($0) }
        #expect(missing.isEmpty, "composites without a gradient row: \(missing.map(\.rawValue))")
    }

    @Test("row names are unique, so failures are unambiguous")
    func rowNamesAreUnique() {
        let names = gradientSpecRows.map(\.name)
        #expect(Set(names).count == names.count, "duplicate row names: \(names.filter { n in names.filter { $0 == n }.count > 1 })")
    }
}
