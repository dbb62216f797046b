import Foundation

/// Draws a ``Figure`` as a compact text chart for a terminal: each series in its own glyph
/// (so it reads without colour), axes with end labels, the log scales the figure asks for,
/// and a legend; a heat map becomes a shaded grid with its values.
public struct TerminalChart: Sendable {
    /// Plot columns and rows (the labels come on top of these).
    public var columns = 60
    public var rows = 14

    /// A chart with the default size.
    public init() {}

    static let glyphs: [Character] = ["●", "○", "■", "□", "▲", "△", "◆", "◇", "x", "+"]

    /// The chart as lines of text.
    public func render(_ figure: Figure) -> String {
        if let heatMap = figure.heatMap { return renderHeatMap(heatMap, figure) }
        let xMap = AxisMapping(values: figure.series.flatMap(\.x), scale: figure.xAxis.scale, isInteger: figure.xAxis.isInteger)
        let yMap = AxisMapping(values: figure.series.flatMap(\.y), scale: figure.yAxis.scale)
        var grid = Array(repeating: Array(repeating: Character(" "), count: columns), count: rows)
        for (index, series) in figure.series.enumerated() {
            let glyph = Self.glyphs[index % Self.glyphs.count]
            var previous: (Int, Int)?
            for (x, y) in zip(series.x, series.y) {
                guard let fx = xMap.fraction(x), let fy = yMap.fraction(y) else { previous = nil; continue }
                let column = Swift.min(columns - 1, Swift.max(0, Int((fx * Double(columns - 1)).rounded())))
                let row = Swift.min(rows - 1, Swift.max(0, Int(((1 - fy) * Double(rows - 1)).rounded())))
                // Join successive points of a line with the same glyph, so curves read as curves.
                if series.style != .markers, let (pc, pr) = previous {
                    let steps = Swift.max(Swift.abs(column - pc), Swift.abs(row - pr))
                    if steps > 1 {
                        for s in 1..<steps {
                            let c = pc + (column - pc) * s / steps, r = pr + (row - pr) * s / steps
                            if grid[r][c] == " " { grid[r][c] = "·" }
                        }
                    }
                }
                grid[row][column] = glyph
                previous = (column, row)
            }
        }
        let top = AxisMapping.label(yMap.high), bottom = AxisMapping.label(yMap.low)
        let labelWidth = Swift.max(top.count, bottom.count)
        var lines = ["\(figure.title)", "  \(figure.yAxis.title)"]
        for (r, row) in grid.enumerated() {
            let label = r == 0 ? top : (r == rows - 1 ? bottom : "")
            lines.append(String(repeating: " ", count: labelWidth - label.count) + label + " ┤" + String(row))
        }
        lines.append(String(repeating: " ", count: labelWidth) + " └" + String(repeating: "─", count: columns))
        let low = AxisMapping.label(xMap.low), high = AxisMapping.label(xMap.high)
        let gap = Swift.max(1, columns - low.count - high.count)
        lines.append(String(repeating: " ", count: labelWidth + 2) + low + String(repeating: " ", count: gap) + high)
        lines.append(String(repeating: " ", count: labelWidth + 2) + figure.xAxis.title)
        lines.append("  " + figure.series.enumerated().map { "\(Self.glyphs[$0.offset % Self.glyphs.count]) \($0.element.name)" }
            .joined(separator: "   "))
        return lines.joined(separator: "\n")
    }

    private func renderHeatMap(_ map: HeatMap, _ figure: Figure) -> String {
        let shades: [Character] = [" ", "░", "▒", "▓", "█"]
        let rowWidth = Swift.max(map.rowLabels.map(\.count).max() ?? 0, 4)
        let cell = 14
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? String(text.prefix(width)) : text + String(repeating: " ", count: width - text.count)
        }
        var lines = [figure.title, "  rows: \(figure.yAxis.title); columns: \(figure.xAxis.title); shade and value: \(map.valueLabel)"]
        lines.append(String(repeating: " ", count: rowWidth + 1) + map.columnLabels.map { pad($0, cell) }.joined())
        for (r, row) in map.values.enumerated() {
            var line = pad(map.rowLabels[r], rowWidth) + " "
            for value in row {
                let t = map.shade(value)
                let shade = shades[Swift.min(shades.count - 1, Int(t * Double(shades.count - 1) + 0.5))]
                line += pad(String(repeating: shade, count: 3) + " " + AxisMapping.label(value), cell)
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
