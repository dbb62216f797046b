import Foundation

/// Renders a ``Figure`` as a standalone SVG document: title, labelled axes with ticks (base-10
/// ticks on log axes), a legend, and series told apart by colour *and* dash pattern *and*
/// marker shape, so the figure still reads when printed in greyscale. Heat maps use a
/// viridis-like ramp whose lightness rises monotonically, annotated with their values.
public struct SVGRenderer: Sendable {
    public var width = 720.0
    public var height = 440.0

    /// A renderer with the default size and style.
    public init() {}

    /// Okabe & Ito's colour-blind-safe palette (yellow left out: too light on white).
    static let colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
    /// Dash patterns, cycled with a different period from the colours (6 against 7), so no
    /// two of the first 42 series share both.
    static let dashes = ["", "7 4", "2 3", "9 3 2 3", "4 2", "12 3 3 3 3 3"]
    static let markers = ["circle", "square", "triangle", "diamond", "cross", "plus", "triangle-down"]

    private let left = 86.0, top = 44.0, bottom = 62.0

    /// The SVG text of `figure`.
    public func render(_ figure: Figure) -> String {
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" \
        font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12" role="img" aria-label="\(escape(figure.title))">
        <title>\(escape(figure.title))</title>
        <rect width="100%" height="100%" fill="#ffffff"/>
        <text x="\(width / 2)" y="24" text-anchor="middle" font-size="15" font-weight="bold">\(escape(figure.title))</text>

        """
        if let heatMap = figure.heatMap {
            svg += renderHeatMap(heatMap, figure)
        } else {
            svg += renderSeries(figure)
        }
        return svg + "</svg>\n"
    }

    // MARK: Line and scatter plots

    private func renderSeries(_ figure: Figure) -> String {
        let legendWidth = Swift.min(300.0, 44 + 7.2 * Double(figure.series.map(\.name.count).max() ?? 0))
        let plotWidth = width - left - legendWidth - 16, plotHeight = height - top - bottom
        let xMap = AxisMapping(values: figure.series.flatMap(\.x), scale: figure.xAxis.scale, isInteger: figure.xAxis.isInteger)
        let yMap = AxisMapping(values: figure.series.flatMap(\.y), scale: figure.yAxis.scale)
        func px(_ x: Double) -> Double? { xMap.fraction(x).map { left + $0 * plotWidth } }
        func py(_ y: Double) -> Double? { yMap.fraction(y).map { top + (1 - $0) * plotHeight } }
        var svg = "<g class=\"axes\" stroke=\"#444\" fill=\"none\">\n"
        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\"/>\n</g>\n"
        svg += "<g class=\"ticks\" font-size=\"11\">\n"
        for tick in xMap.ticks { if let x = px(tick) {
            svg += "<line x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(top + plotHeight))\" stroke=\"#e4e4e4\"/>"
            svg += "<line x1=\"\(f(x))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(x))\" y2=\"\(f(top + plotHeight + 5))\" stroke=\"#444\"/>"
            svg += "<text x=\"\(f(x))\" y=\"\(f(top + plotHeight + 18))\" text-anchor=\"middle\">\(AxisMapping.label(tick))</text>\n"
        } }
        for tick in yMap.ticks { if let y = py(tick) {
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(y))\" stroke=\"#e4e4e4\"/>"
            svg += "<line x1=\"\(f(left - 5))\" y1=\"\(f(y))\" x2=\"\(f(left))\" y2=\"\(f(y))\" stroke=\"#444\"/>"
            svg += "<text x=\"\(f(left - 8))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(AxisMapping.label(tick))</text>\n"
        } }
        svg += "</g>\n"
        svg += axisTitles(figure, centreX: left + plotWidth / 2, centreY: top + plotHeight / 2)
        svg += "<g class=\"series\" clip-path=\"url(#plot-\(figure.name))\">\n"
        svg += "<clipPath id=\"plot-\(figure.name)\"><rect x=\"\(f(left - 6))\" y=\"\(f(top - 6))\" width=\"\(f(plotWidth + 12))\" height=\"\(f(plotHeight + 12))\"/></clipPath>\n"
        let pixels = figure.series.map { series in zip(series.x, series.y).map { (px($0), py($1)) } }
        let twins = Self.coincidences(pixels)
        for (index, series) in figure.series.enumerated() {
            let points = pixels[index]
            if series.style != .markers {
                // A gap (an undrawable point) starts a new sub-path.
                var path = "", pen = false
                for point in points {
                    if let x = point.0, let y = point.1 { path += "\(pen ? "L" : "M")\(f(x)),\(f(y)) "; pen = true } else { pen = false }
                }
                svg += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(Self.colours[index % Self.colours.count])\" stroke-width=\"2\"\(dash(index))/>\n"
            }
            // A series drawn over an earlier one gets markers too, shifted along the curve, so
            // that both stay visible (the legend says which it coincides with).
            if series.style != .line || twins[index] != nil {
                let every = Swift.max(1, points.count / 14)
                let phase = twins[index].map { (index - $0) * Swift.max(1, every / 3) % every } ?? 0
                for (k, point) in points.enumerated() where k % every == phase || (phase == 0 && k == points.count - 1) {
                    if let x = point.0, let y = point.1 { svg += marker(index, x, y) }
                }
            }
        }
        svg += "</g>\n"
        svg += legend(figure.series, twins: twins, x: left + plotWidth + 16, width: legendWidth)
        return svg
    }

    /// For each series, the first earlier one it lies on (every point within 1.5 pixels, at the
    /// same x), or nil.
    static func coincidences(_ pixels: [[(Double?, Double?)]]) -> [Int?] {
        pixels.indices.map { j in
            pixels.indices.prefix(j).first { i in
                pixels[i].count == pixels[j].count && !pixels[j].isEmpty && zip(pixels[i], pixels[j]).allSatisfy { a, b in
                    switch (a.0, a.1, b.0, b.1) {
                    case let (x1?, y1?, x2?, y2?): abs(x1 - x2) < 0.5 && abs(y1 - y2) < 1.5
                    case (nil, _, nil, _), (_, nil, _, nil): true
                    default: false
                    }
                }
            }
        }
    }

    private func axisTitles(_ figure: Figure, centreX: Double, centreY: Double) -> String {
        "<text class=\"x-label\" x=\"\(f(centreX))\" y=\"\(f(height - 14))\" text-anchor=\"middle\" font-size=\"13\">\(escape(figure.xAxis.title))</text>\n"
            + "<text class=\"y-label\" transform=\"translate(18,\(f(centreY))) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">\(escape(figure.yAxis.title))</text>\n"
    }

    private func legend(_ series: [Series], twins: [Int?], x: Double, width: Double) -> String {
        var svg = "<g class=\"legend\">\n<rect x=\"\(f(x))\" y=\"\(f(top))\" width=\"\(f(width))\" height=\"\(f(Double(series.count) * 20 + 10))\" fill=\"#fff\" stroke=\"#bbb\"/>\n"
        for (index, item) in series.enumerated() {
            let y = top + 15 + Double(index) * 20
            if item.style != .markers {
                svg += "<line x1=\"\(f(x + 6))\" y1=\"\(f(y))\" x2=\"\(f(x + 34))\" y2=\"\(f(y))\" stroke=\"\(Self.colours[index % Self.colours.count])\" stroke-width=\"2\"\(dash(index))/>"
            }
            if item.style != .line || twins[index] != nil { svg += marker(index, x + 20, y) }
            let name = twins[index].map { "\(item.name) (= \(series[$0].name))" } ?? item.name
            svg += "<text x=\"\(f(x + 40))\" y=\"\(f(y + 4))\">\(escape(name))</text>\n"
        }
        return svg + "</g>\n"
    }

    private func dash(_ index: Int) -> String {
        let pattern = Self.dashes[index % Self.dashes.count]
        return pattern.isEmpty ? "" : " stroke-dasharray=\"\(pattern)\""
    }

    private func marker(_ index: Int, _ x: Double, _ y: Double) -> String {
        let colour = Self.colours[index % Self.colours.count], r = 4.0
        let style = "fill=\"\(index % 2 == 0 ? colour : "#fff")\" stroke=\"\(colour)\" stroke-width=\"1.5\""
        switch Self.markers[index % Self.markers.count] {
        case "circle": return "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"\(f(r))\" \(style)/>"
        case "square": return "<rect x=\"\(f(x - r))\" y=\"\(f(y - r))\" width=\"\(f(2 * r))\" height=\"\(f(2 * r))\" \(style)/>"
        case "triangle": return "<path d=\"M\(f(x)),\(f(y - r - 1)) L\(f(x + r + 1)),\(f(y + r)) L\(f(x - r - 1)),\(f(y + r)) Z\" \(style)/>"
        case "triangle-down": return "<path d=\"M\(f(x)),\(f(y + r + 1)) L\(f(x + r + 1)),\(f(y - r)) L\(f(x - r - 1)),\(f(y - r)) Z\" \(style)/>"
        case "diamond": return "<path d=\"M\(f(x)),\(f(y - r - 1)) L\(f(x + r + 1)),\(f(y)) L\(f(x)),\(f(y + r + 1)) L\(f(x - r - 1)),\(f(y)) Z\" \(style)/>"
        case "cross": return "<path d=\"M\(f(x - r)),\(f(y - r)) L\(f(x + r)),\(f(y + r)) M\(f(x - r)),\(f(y + r)) L\(f(x + r)),\(f(y - r))\" stroke=\"\(colour)\" stroke-width=\"2\"/>"
        default: return "<path d=\"M\(f(x - r)),\(f(y)) L\(f(x + r)),\(f(y)) M\(f(x)),\(f(y - r)) L\(f(x)),\(f(y + r))\" stroke=\"\(colour)\" stroke-width=\"2\"/>"
        }
    }

    // MARK: Heat maps

    private func renderHeatMap(_ map: HeatMap, _ figure: Figure) -> String {
        let barWidth = 90.0
        let plotWidth = width - left - barWidth - 30, plotHeight = height - top - bottom
        let rows = Double(Swift.max(map.rowLabels.count, 1)), columns = Double(Swift.max(map.columnLabels.count, 1))
        let cellWidth = plotWidth / columns, cellHeight = plotHeight / rows
        var svg = "<g class=\"cells\" font-size=\"12\">\n"
        for (r, row) in map.values.enumerated() {
            for (c, value) in row.enumerated() {
                let x = left + Double(c) * cellWidth, y = top + Double(r) * cellHeight
                let t = map.shade(value)
                let fill = value.isFinite ? Self.viridis(t) : "#ffffff"
                svg += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cellWidth))\" height=\"\(f(cellHeight))\" fill=\"\(fill)\" stroke=\"#fff\"/>"
                let text = map.annotations?[r][c] ?? AxisMapping.label(value)
                let lines = text.split(separator: "\n")
                for (k, line) in lines.enumerated() {
                    let ty = y + cellHeight / 2 + (Double(k) - Double(lines.count - 1) / 2) * 15 + 4
                    svg += "<text x=\"\(f(x + cellWidth / 2))\" y=\"\(f(ty))\" text-anchor=\"middle\" fill=\"\(t > 0.55 ? "#000" : "#fff")\">\(escape(String(line)))</text>"
                }
                svg += "\n"
            }
        }
        for (r, label) in map.rowLabels.enumerated() {
            svg += "<text x=\"\(f(left - 8))\" y=\"\(f(top + (Double(r) + 0.5) * cellHeight + 4))\" text-anchor=\"end\">\(escape(label))</text>\n"
        }
        for (c, label) in map.columnLabels.enumerated() {
            svg += "<text x=\"\(f(left + (Double(c) + 0.5) * cellWidth))\" y=\"\(f(top + plotHeight + 18))\" text-anchor=\"middle\">\(escape(label))</text>\n"
        }
        svg += "</g>\n" + axisTitles(figure, centreX: left + plotWidth / 2, centreY: top + plotHeight / 2)
        // The colour bar, labelled at its ends and middle.
        let barX = left + plotWidth + 24
        svg += "<g class=\"legend colour-bar\" font-size=\"11\">\n<defs><linearGradient id=\"ramp-\(figure.name)\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
        for k in 0...8 { svg += "<stop offset=\"\(f(Double(k) / 8))\" stop-color=\"\(Self.viridis(Double(k) / 8))\"/>" }
        svg += "</linearGradient></defs>\n<rect x=\"\(f(barX))\" y=\"\(f(top))\" width=\"16\" height=\"\(f(plotHeight))\" fill=\"url(#ramp-\(figure.name))\" stroke=\"#444\"/>\n"
        let (low, high) = map.valueRange
        for (k, value) in [high, low / 2 + high / 2, low].enumerated() {
            svg += "<text x=\"\(f(barX + 20))\" y=\"\(f(top + Double(k) * plotHeight / 2 + 4))\">\(AxisMapping.label(value))</text>\n"
        }
        svg += "<text transform=\"translate(\(f(barX + 78)),\(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">\(escape(map.valueLabel))</text>\n</g>\n"
        return svg
    }

    /// A viridis-like colour for `t ∈ [0, 1]` (dark purple → yellow; lightness increases).
    static func viridis(_ t: Double) -> String {
        let stops: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
        let position = Swift.min(Swift.max(t, 0), 1) * Double(stops.count - 1)
        let i = Swift.min(Int(position), stops.count - 2), u = position - Double(i)
        let (a, b) = (stops[i], stops[i + 1])
        func mix(_ p: Double, _ q: Double) -> Int { Int((p + (q - p) * u).rounded()) }
        return String(format: "#%02x%02x%02x", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }
}

/// `text` with XML's five special characters escaped.
func escape(_ text: String) -> String {
    var result = ""
    for character in text {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&apos;"
        default: result.append(character)
        }
    }
    return result
}
