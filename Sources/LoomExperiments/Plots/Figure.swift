import Foundation
import LoomTraining

/// How an axis maps values to positions.
public enum AxisScale: String, Codable, Sendable {
    case linear
    /// Base-10 logarithmic; values ≤ 0 are left out of the plot.
    case logarithmic
}

/// A labelled axis. The label names the quantity, the unit says what it is measured in.
public struct Axis: Codable, Equatable, Sendable {
    public var label: String
    /// The unit, shown as `label (unit)`; nil for dimensionless quantities.
    public var unit: String?
    public var scale: AxisScale
    /// Whether the quantity is a count (layers, depths): a linear axis then ticks only at integers.
    public var isInteger: Bool

    /// An axis labelled `label` (with `unit` in brackets when given) on `scale`; `isInteger` for counts.
    public init(_ label: String, unit: String? = nil, scale: AxisScale = .linear, isInteger: Bool = false) {
        self.label = label
        self.unit = unit
        self.scale = scale
        self.isInteger = isInteger
    }

    private enum CodingKeys: String, CodingKey { case label, unit, scale, isInteger }

    /// Reads an axis; files written before `isInteger` existed read with it false.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        label = try container.decode(String.self, forKey: .label)
        unit = try container.decodeIfPresent(String.self, forKey: .unit)
        scale = try container.decode(AxisScale.self, forKey: .scale)
        isInteger = try container.decodeIfPresent(Bool.self, forKey: .isInteger) ?? false
    }

    /// `label (unit)`, with `, log scale` when logarithmic.
    public var title: String {
        var text = label
        if let unit { text += " (\(unit))" }
        if scale == .logarithmic { text += ", log scale" }
        return text
    }
}

/// One named curve or point set of a line/scatter ``Figure``.
public struct Series: Codable, Equatable, Sendable {
    /// How the points are drawn.
    public enum Style: String, Codable, Sendable {
        case line
        case markers
        case lineAndMarkers
    }

    public var name: String
    public var x: [Double]
    public var y: [Double]
    public var style: Style

    /// A series of the points `(x[i], y[i])`; `x` and `y` have one count.
    public init(name: String, x: [Double], y: [Double], style: Style = .lineAndMarkers) {
        precondition(x.count == y.count, "Series \(name): \(x.count) x values and \(y.count) y values")
        self.name = name
        self.x = x
        self.y = y
        self.style = style
    }

    /// A series over `1…y.count`.
    public init(name: String, y: [Double], style: Style = .lineAndMarkers) {
        self.init(name: name, x: y.indices.map { Double($0 + 1) }, y: y, style: style)
    }
}

/// A grid of values drawn as coloured cells, rows top to bottom.
public struct HeatMap: Codable, Equatable, Sendable {
    public var rowLabels: [String]
    public var columnLabels: [String]
    /// `values[row][column]`; NaN draws an empty cell.
    public var values: [[Double]]
    /// Optional text in each cell (e.g. "97.2%\n1.3 s"); defaults to the value.
    public var annotations: [[String]]?
    /// What the colour means, with its unit (the colour bar's title).
    public var valueLabel: String

    /// A grid of `values[row][column]`, `rowLabels.count × columnLabels.count`, with optional
    /// text per cell (`annotations`, same shape).
    public init(rowLabels: [String], columnLabels: [String], values: [[Double]], annotations: [[String]]? = nil, valueLabel: String) {
        precondition(values.count == rowLabels.count && values.allSatisfy { $0.count == columnLabels.count },
                     "HeatMap: values must be \(rowLabels.count) × \(columnLabels.count)")
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.values = values
        self.annotations = annotations
        self.valueLabel = valueLabel
    }

    enum CodingKeys: String, CodingKey { case rowLabels, columnLabels, values, annotations, valueLabel }

    /// Decodes a heat map, refusing values or annotations of another shape than the labels'
    /// (a `result.json` from outside is drawn from them cell by cell).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rowLabels = try c.decode([String].self, forKey: .rowLabels)
        columnLabels = try c.decode([String].self, forKey: .columnLabels)
        values = try c.decode([[Double]].self, forKey: .values)
        annotations = try c.decodeIfPresent([[String]].self, forKey: .annotations)
        valueLabel = try c.decode(String.self, forKey: .valueLabel)
        func fits<T>(_ grid: [[T]]) -> Bool { grid.count == rowLabels.count && grid.allSatisfy { $0.count == columnLabels.count } }
        guard fits(values), annotations.map(fits) ?? true else {
            throw DecodingError.dataCorruptedError(forKey: .values, in: c, debugDescription:
                "values and annotations must be \(rowLabels.count) rows × \(columnLabels.count) columns, as the labels")
        }
    }

    /// Where `value` falls between the smallest and the largest finite value, in [0, 1]
    /// (0 for a non-finite one): the colour or shade of its cell. Halved before subtracting,
    /// so values near ±1e308 do not overflow.
    func shade(_ value: Double) -> Double {
        let (low, high) = (valueRange.low / 2, valueRange.high / 2)
        guard value.isFinite, high > low else { return 0 }
        return Swift.min(Swift.max((value / 2 - low) / (high - low), 0), 1)
    }

    /// The smallest and the largest finite value (0 and 1 when there is none).
    var valueRange: (low: Double, high: Double) {
        let finite = values.flatMap { $0 }.filter(\.isFinite)
        return (finite.min() ?? 0, finite.max() ?? 1)
    }
}

/// A plot: either line/scatter ``series`` against two axes, or a ``heatMap`` whose axes
/// name its rows and columns. Written as `NAME.svg` by ``SVGRenderer`` and drawn in the
/// terminal by ``TerminalChart``.
public struct Figure: Codable, Equatable, Sendable {
    /// A file-name-safe name (`activation-variance`).
    public var name: String
    public var title: String
    public var xAxis: Axis
    public var yAxis: Axis
    public var series: [Series]
    public var heatMap: HeatMap?
    /// A sentence under the figure in reports: what to look at.
    public var caption: String

    /// A line or scatter plot of `series`.
    public init(name: String, title: String, xAxis: Axis, yAxis: Axis, series: [Series], caption: String = "") {
        self.name = name
        self.title = title
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.series = series
        self.heatMap = nil
        self.caption = caption
    }

    /// A heat map; the axes name its columns (x) and rows (y).
    public init(name: String, title: String, xAxis: Axis, yAxis: Axis, heatMap: HeatMap, caption: String = "") {
        self.init(name: name, title: title, xAxis: xAxis, yAxis: yAxis, series: [], caption: caption)
        self.heatMap = heatMap
    }
}

/// The numeric side of one axis: the data range, the ticks, and the map to [0, 1].
struct AxisMapping {
    let scale: AxisScale
    let low: Double
    let high: Double
    let ticks: [Double]

    /// A mapping covering `values` (non-finite values, and non-positive ones on a log axis,
    /// are ignored; an empty or single-valued range is widened).
    init(values: [Double], scale: AxisScale, isInteger: Bool = false) {
        self.scale = scale
        // Values beyond ±1e300 (or below 1e-300 on a log axis) are drawn at the edge: near
        // ±Double.greatestFiniteMagnitude the range itself, its steps and its decades overflow.
        let usable = values.filter { $0.isFinite && (scale == .linear || $0 > 0) }
            .map { Swift.min(Swift.max($0, scale == .linear ? -Self.largestMagnitude : 1 / Self.largestMagnitude), Self.largestMagnitude) }
        var low = usable.min() ?? (scale == .linear ? 0 : 1)
        var high = usable.max() ?? (scale == .linear ? 1 : 10)
        switch scale {
        case .linear:
            if low == high { low -= Swift.max(Swift.abs(low) * 0.1, 0.5); high += Swift.max(Swift.abs(high) * 0.1, 0.5) }
            // Counts tick at integers only: a step of at least 1.
            let step = isInteger ? Swift.max(1, AxisMapping.niceStep((high - low) / 5)) : AxisMapping.niceStep((high - low) / 5)
            low = (low / step).rounded(.down) * step
            high = (high / step).rounded(.up) * step
            // By index, not by repeated addition: a step below the values' spacing would never advance.
            let count = Swift.min(Int(((high - low) / step).rounded()), Self.maximumTickCount)
            ticks = (0...Swift.max(count, 0)).map { low + Double($0) * step }.map { Swift.abs($0) < step * 1e-9 ? 0 : $0 }
        case .logarithmic:
            // Wide ranges snap to whole decades; a range of three decades or less snaps to the
            // nearest 1, 2 or 5 × 10ᵏ around the data, so the data fill the canvas.
            let decadeLow = pow(10, log10(low).rounded(.down)), decadeHigh = pow(10, log10(high).rounded(.up))
            let spanned = Int((log10(decadeHigh) - log10(decadeLow)).rounded())
            if spanned <= 3 {
                let steps = (Int(log10(decadeLow).rounded()) - 1...Int(log10(decadeHigh).rounded()))
                    .flatMap { e in [1.0, 2, 5].map { $0 * pow(10, Double(e)) } }
                low = steps.last { $0 <= low * (1 + 1e-12) } ?? decadeLow
                high = steps.first { $0 >= high * (1 - 1e-12) } ?? decadeHigh
            } else {
                low = decadeLow
                high = decadeHigh
            }
            if low == high { high *= 10 }
            let decades = Int((log10(decadeHigh) - log10(decadeLow)).rounded())
            let every = Swift.max(1, (decades + 7) / 8)
            var marks: [Double] = []
            for exponent in stride(from: Int(log10(decadeLow).rounded()), through: Int(log10(decadeHigh).rounded()), by: every) {
                marks.append(pow(10, Double(exponent)))
                if decades <= 3 { marks += [2, 5].map { $0 * pow(10, Double(exponent)) } }
            }
            let (lowEnd, highEnd) = (low, high)
            ticks = marks.filter { $0 >= lowEnd * (1 - 1e-12) && $0 <= highEnd * (1 + 1e-12) }.sorted()
        }
        self.low = low
        self.high = high
    }

    /// The largest magnitude an axis spans (see ``init(values:scale:isInteger:)``).
    static let largestMagnitude = 1e300
    /// The most ticks an axis draws.
    static let maximumTickCount = 50

    /// 1, 2 or 5 times a power of ten, at least `rough`.
    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0 && rough.isFinite else { return 1 }
        let power = pow(10, log10(rough).rounded(.down))
        for multiple in [1.0, 2, 5, 10] where multiple * power >= rough { return multiple * power }
        return 10 * power
    }

    /// Where `value` falls in [0, 1] (nil when it cannot be drawn).
    func fraction(_ value: Double) -> Double? {
        guard value.isFinite else { return nil }
        let value = Swift.min(Swift.max(value, scale == .linear ? -Self.largestMagnitude : 1 / Self.largestMagnitude), Self.largestMagnitude)
        switch scale {
        case .linear: return (value - low) / (high - low)
        case .logarithmic: return value > 0 ? (log10(value) - log10(low)) / (log10(high) - log10(low)) : nil
        }
    }

    /// A short tick label: `0.5`, `1e-6`, `2000`.
    static func label(_ value: Double) -> String {
        if value == 0 { return "0" }
        guard value.isFinite else { return "\(value)" }
        let magnitude = Swift.abs(value)
        if magnitude >= 1e4 || magnitude < 1e-3 {
            let exponent = Int(log10(magnitude).rounded(.down))
            let mantissa = value / pow(10, Double(exponent))
            return Swift.abs(mantissa - mantissa.rounded()) < 1e-9 && mantissa.rounded() == 1
                ? "1e\(exponent)" : String(format: "%.3ge%d", mantissa, exponent)
        }
        return String(format: "%.4g", value)
    }
}

extension Figure {
    /// The figure's series as TensorBoard scalars, tagged `FIGURE/SERIES` and grouped by step:
    /// the x values when every one is a whole number (epochs, layers, steps), otherwise the
    /// point's index in its series. Heat maps have no series and give nothing.
    public var tensorBoardSteps: [(step: Int64, scalars: [TensorBoardEvent.Scalar])] {
        let wholeX = series.allSatisfy { $0.x.allSatisfy { $0 == $0.rounded() && Swift.abs($0) < 1e15 } }
        var steps: [Int64: [TensorBoardEvent.Scalar]] = [:]
        for curve in series {
            for (index, (x, y)) in zip(curve.x, curve.y).enumerated() {
                steps[wholeX ? Int64(x) : Int64(index), default: []].append(TensorBoardEvent.Scalar("\(name)/\(curve.name)", Float(y)))
            }
        }
        return steps.keys.sorted().map { ($0, steps[$0]!) }
    }
}
