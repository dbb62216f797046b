import Foundation
import Testing

@testable import LoomExperiments

@Suite("Reliability: reports of hostile results")
struct ReliabilityReportTests {
    static let extremes: [[Double]] = [
        [-1e308, 1e308], [-Double.greatestFiniteMagnitude, Double.greatestFiniteMagnitude], [1e-320, 1e308],
        [1, 1 + 1e-15], [.nan, .infinity, -.infinity], [5e-324, 5e-324], [0, 1e308],
    ]

    @Test("axes over values near ±1e308, subnormals, NaN and ∞ have a finite range and a bounded number of ticks",
          arguments: extremes)
    func extremeAxes(values: [Double]) {
        for scale in [AxisScale.linear, .logarithmic] {
            let axis = AxisMapping(values: values, scale: scale)
            #expect(axis.low.isFinite && axis.high.isFinite && axis.low < axis.high, "\(scale) \(values): \(axis.low)…\(axis.high)")
            #expect(!axis.ticks.isEmpty && axis.ticks.count <= AxisMapping.maximumTickCount + 1 && axis.ticks.allSatisfy(\.isFinite),
                    "\(scale) \(values): \(axis.ticks.count) ticks")
        }
    }

    @Test("a figure of extreme values renders as SVG and in the terminal", arguments: extremes)
    func extremeFigures(values: [Double]) throws {
        for scale in [AxisScale.linear, .logarithmic] {
            let figure = Figure(name: "f", title: "t", xAxis: Axis("x", scale: scale), yAxis: Axis("y", scale: scale),
                                series: [Series(name: "s", x: values, y: values.reversed())])
            #expect(XMLCollector.parse(SVGRenderer().render(figure)) != nil)
            #expect(!TerminalChart().render(figure).isEmpty)
        }
        let map = HeatMap(rowLabels: ["a"], columnLabels: values.map { _ in "c" }, values: [values], valueLabel: "v")
        let heat = Figure(name: "h", title: "t", xAxis: Axis("x"), yAxis: Axis("y"), heatMap: map)
        #expect(XMLCollector.parse(SVGRenderer().render(heat)) != nil)
        #expect(!TerminalChart().render(heat).isEmpty)
        #expect(values.allSatisfy { (0...1).contains(map.shade($0)) })
    }

    @Test("a heat map whose values do not match its labels is refused when decoded")
    func mismatchedHeatMap() {
        let json = #"{"rowLabels": ["a", "b"], "columnLabels": ["c"], "values": [[1]], "valueLabel": "v"}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(HeatMap.self, from: Data(json.utf8)) }
        let fits = #"{"rowLabels": ["a"], "columnLabels": ["c"], "values": [[1]], "valueLabel": "v"}"#
        #expect(throws: Never.self) { try JSONDecoder().decode(HeatMap.self, from: Data(fits.utf8)) }
    }
}
