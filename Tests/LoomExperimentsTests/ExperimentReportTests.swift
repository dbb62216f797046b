import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import LoomTraining
import Testing

@testable import LoomExperiments

func temporaryDirectory(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("loom-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Collects element names and text so tests can look inside an SVG.
final class XMLCollector: NSObject, XMLParserDelegate {
    var elements: [String] = []
    var classes: [String] = []
    var text = ""
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append(name)
        text += " "
        if let value = attributes["class"] { classes.append(value) }
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    /// Parses `xml`; nil when it is not well-formed.
    static func parse(_ xml: String) -> XMLCollector? {
        let collector = XMLCollector()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = collector
        return parser.parse() ? collector : nil
    }
}

@Suite("Experiments: figures and reports")
struct ExperimentReportTests {
    let lines = Figure(
        name: "demo", title: "Loss & friends <test>", xAxis: Axis("step", scale: .logarithmic),
        yAxis: Axis("loss", unit: "nats", scale: .logarithmic),
        series: [Series(name: "SGD", x: [1, 10, 100], y: [2, 0.5, 0.01]),
                 Series(name: "Adam", x: [1, 10, 100], y: [2, 0.1, 0]),  // 0 cannot be drawn on a log axis
                 Series(name: "points", x: [3, 30], y: [1, 0.2], style: .markers)],
        caption: "a caption")
    let heat = Figure(name: "grid", title: "Accuracy", xAxis: Axis("width", unit: "units"), yAxis: Axis("depth"),
                      heatMap: HeatMap(rowLabels: ["1", "2"], columnLabels: ["16", "64", "256"],
                                       values: [[80, 90, 95], [85, .nan, 97]], valueLabel: "test accuracy (%)"))

    @Test("an SVG line plot is well-formed XML with a title, axis labels with units, log ticks and a legend")
    func svgLinePlot() throws {
        let svg = SVGRenderer().render(lines)
        let parsed = try #require(XMLCollector.parse(svg), "not well-formed:\n\(svg)")
        #expect(parsed.elements.first == "svg")
        #expect(parsed.text.contains("Loss & friends <test>"))
        #expect(parsed.classes.contains("x-label") && parsed.classes.contains("y-label") && parsed.classes.contains("legend"))
        #expect(parsed.text.contains("step, log scale") && parsed.text.contains("loss (nats), log scale"))
        #expect(parsed.text.contains("1e-2") || parsed.text.contains("0.01"))
        for name in ["SGD", "Adam", "points"] { #expect(parsed.text.contains(name)) }
        // Greyscale-safe: series differ in dash pattern and marker, not only colour.
        #expect(svg.contains("stroke-dasharray"))
        #expect(parsed.elements.contains("circle") && parsed.elements.contains("rect"))
        #expect(!svg.contains("nan") && !svg.contains("inf"))
    }

    @Test("an SVG heat map is well-formed, labels rows and columns and has a colour bar")
    func svgHeatMap() throws {
        let svg = SVGRenderer().render(heat)
        let parsed = try #require(XMLCollector.parse(svg))
        #expect(parsed.classes.contains("legend colour-bar"))
        for label in ["16", "64", "256", "width (units)", "depth", "test accuracy (%)", "97"] { #expect(parsed.text.contains(label), "missing \(label)") }
        #expect(parsed.elements.contains("linearGradient"))
    }

    @Test("the viridis ramp gets lighter from low to high, so heat maps survive greyscale")
    func rampIsMonotoneInLightness() {
        let luminances = stride(from: 0.0, through: 1.0, by: 0.05).map { t -> Double in
            let hex = SVGRenderer.viridis(t).dropFirst()
            let value = Int(hex, radix: 16)!
            return 0.2126 * Double(value >> 16) + 0.7152 * Double((value >> 8) & 255) + 0.0722 * Double(value & 255)
        }
        #expect(zip(luminances, luminances.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test("log axes tick at powers of ten; linear axes at 1-2-5 steps")
    func ticks() {
        #expect(AxisMapping(values: [0.003, 40], scale: .logarithmic).ticks == [1e-3, 1e-2, 1e-1, 1, 10, 100])
        let linear = AxisMapping(values: [0, 0.93], scale: .linear).ticks
        #expect(linear.count == 6 && linear.first == 0 && Swift.abs(linear[1] - 0.2) < 1e-12 && Swift.abs(linear.last! - 1) < 1e-12)
        #expect(AxisMapping.niceStep(0.3) == 0.5)
        #expect(AxisMapping.label(1e-6) == "1e-6")
        // Counts (layers, depths) tick at integers, even over a short range.
        let layers = AxisMapping(values: [1, 3], scale: .linear, isInteger: true).ticks
        #expect(!layers.isEmpty && layers.allSatisfy { $0 == $0.rounded() }, "\(layers)")
    }

    @Test("the terminal chart shows each series with its own glyph and a legend, and heat maps as a grid")
    func terminalChart() {
        let chart = TerminalChart().render(lines)
        #expect(chart.contains("●") && chart.contains("○") && chart.contains("■"))
        #expect(chart.contains("● SGD") && chart.contains("○ Adam"))
        #expect(chart.contains("loss (nats), log scale"))
        let grid = TerminalChart().render(heat)
        #expect(grid.contains("97") && grid.contains("256"))
    }

    func result(_ name: String, figures: [Figure], agrees: Bool) -> ExperimentResult {
        ExperimentResult(experiment: name, title: "Title \(name)", summary: "what the lecture says",
                         configuration: [ExperimentSetting("seed", "0")],
                         verdicts: [Verdict(prediction: "prediction \(name)", measurement: "measured 1.5",
                                            refutedBy: "refuted if \(name) above 2", agrees: agrees)],
                         tables: [ResultTable(name: "numbers", columns: ["a", "b, with comma"], rows: [[1, 2.5], ["x", "y\"z"]])],
                         figures: figures, seconds: 1.25)
    }

    @Test("a result writes result.json, CSVs and SVGs that read back")
    func resultFiles() throws {
        let url = try temporaryDirectory("experiment")
        defer { try? FileManager.default.removeItem(at: url) }
        let original = result("demo", figures: [lines, heat], agrees: true)
        let files = try original.write(to: RunDirectory(url)).map(\.lastPathComponent)
        #expect(files.dropLast() == ["result.json", "numbers.csv", "demo.svg", "grid.svg"])
        #expect(files.last?.hasPrefix(EventFileWriter.namePrefix) == true)
        // The event file holds every series point at its x (whole numbers) under FIGURE/SERIES.
        let events = EventFileWriter.events(at: url.appendingPathComponent(files.last!))
        let scalars = events.flatMap { event -> [(Int64, String, Float)] in
            guard case .scalars(let values) = event.content else { return [] }
            return values.map { (event.step, $0.tag, $0.value) }
        }
        #expect(scalars.count == 8)
        #expect(scalars.contains { $0 == (100, "demo/SGD", 0.01) } && scalars.contains { $0 == (30, "demo/points", 0.2) })
        let csv = try String(contentsOf: url.appendingPathComponent("numbers.csv"), encoding: .utf8)
        #expect(csv == "a,\"b, with comma\"\n1,2.5\nx,\"y\"\"z\"\n")
        let back = try ExperimentResult.read(from: url)
        #expect(back.verdicts == original.verdicts && back.figures.count == 2 && back.tables == original.tables)
        #expect(back.figures[1].heatMap?.values[1][1].isNaN == true)
        #expect(throws: RunError.self) { try ExperimentResult.read(from: url.appendingPathComponent("missing")) }
        // A verdict written before `refutedBy` existed still reads.
        let old = try JSONDecoder().decode(Verdict.self, from: Data(#"{"prediction":"p","measurement":"m","agrees":true}"#.utf8))
        #expect(old.refutedBy.isEmpty && old.agrees)
    }

    @Test("the HTML report embeds every figure inline, every verdict and configuration, and loads nothing from outside")
    func report() throws {
        let results = [result("first", figures: [lines], agrees: true), result("second", figures: [heat, lines], agrees: false)]
        let html = Report(results: results).html()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.components(separatedBy: "<svg ").count - 1 == 3)
        for svg in html.components(separatedBy: "<svg ").dropFirst() {
            let document = "<svg " + svg.components(separatedBy: "</svg>")[0] + "</svg>"
            #expect(XMLCollector.parse(document) != nil, "an embedded SVG is not well-formed")
        }
        #expect(html.contains("prediction first") && html.contains("prediction second") && html.contains("✗ disagrees"))
        // Every verdict says what would have made it disagree.
        #expect(html.contains("would disagree if:</i> refuted if first above 2") && html.contains("refuted if second above 2"))
        #expect(html.contains("<td>seed</td><td>0</td>"))
        #expect(html.contains("Loss &amp; friends &lt;test&gt;"))
        #expect(!html.contains("src=") && !html.contains("<link") && !html.contains("<script"))
        #expect(!html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http"))
    }
}

@Suite("Coinciding series")
struct CoincidingSeriesTests {
    @Test("a series drawn over an earlier one gets shifted markers and a legend entry naming the one it hides behind")
    func coinciding() {
        let x = (0..<30).map(Double.init)
        let figure = Figure(name: "same", title: "Same", xAxis: Axis("x"), yAxis: Axis("y"),
                            series: [Series(name: "first", x: x, y: x), Series(name: "second", x: x, y: x),
                                     Series(name: "third", x: x, y: x.map { $0 * 2 })])
        let svg = SVGRenderer().render(figure)
        #expect(svg.contains("second (= first)"))
        #expect(!svg.contains("third (="))
        #expect(SVGRenderer.coincidences([[(1, 1), (2, 2)], [(1, 1.2), (2, 2.4)], [(1, 9), (2, 2)]]).map { $0 } == [nil, 0, nil])
    }
}

@Suite("Axis ranges")
struct AxisRangeTests {
    @Test("a log axis over less than a decade ends at the nearest 1-2-5 values around the data, not at whole decades")
    func narrowLogAxis() {
        let axis = AxisMapping(values: [0.21, 0.55], scale: .logarithmic)
        #expect(axis.low == 0.2 && axis.high == 1)
        #expect(axis.ticks.allSatisfy { $0 >= 0.2 && $0 <= 1 } && axis.ticks.contains(0.5))
        let wide = AxisMapping(values: [1e-9, 3], scale: .logarithmic)
        #expect(wide.low == 1e-9 && abs(wide.high - 10) < 1e-9)
        // The data fill most of the canvas.
        #expect((axis.fraction(0.55)! - axis.fraction(0.21)!) > 0.55)
    }
}
