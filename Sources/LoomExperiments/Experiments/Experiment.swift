import Foundation
import LoomTraining
import LoomNN

/// One lecture experiment: a fixed-seed computation whose numbers, figures and verdict land
/// in an ``ExperimentResult``. Implementations keep their grid in stored properties (with
/// defaults that finish in about a minute on two cores), so tests can run a tiny grid.
public protocol Experiment {
    /// The command-line name (`loom experiment NAME`), e.g. `init-variance`.
    static var name: String { get }
    /// The settings that decide the run, for the report and `result.json`.
    var configuration: [ExperimentSetting] { get }
    /// Checks every setting that input from outside can get wrong, before anything runs or is
    /// allocated: throws a `ConfigurationError` whose field is the property's name (`depth`,
    /// `hiddenWidths`, `data.limit`). Sizes are bounded (``ExperimentLimits``) so that no
    /// setting can exhaust memory or the stack.
    func validate() throws
    /// Runs the experiment (call ``validate()`` first; ``ExperimentRunner`` does); `log` receives one line per finished unit of work.
    func run(log: (String) -> Void) throws -> ExperimentResult
}

/// One named setting of an experiment (kept in order, unlike a dictionary).
public struct ExperimentSetting: Codable, Equatable, Sendable {
    public var name: String
    public var value: String

    /// A setting named `name` with `value`.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// What the lecture predicts, what the run measured, what would have made them disagree,
/// and whether they agree.
public struct Verdict: Codable, Equatable, Sendable {
    /// The lecture's claim, stated so that a measurement can refute it.
    public var prediction: String
    /// The measured numbers that bear on the claim.
    public var measurement: String
    /// The measurement that would have refuted the claim (`the fitted factor outside
    /// [0.9, 1.1]`): what the verdict's test is, so a reader can see it could fail.
    public var refutedBy: String
    /// Whether the measurement is within the stated tolerance of the prediction.
    public var agrees: Bool

    /// What the lecture predicts, what the run measured, what would have refuted it, and
    /// whether they agree.
    public init(prediction: String, measurement: String, refutedBy: String, agrees: Bool) {
        self.prediction = prediction
        self.measurement = measurement
        self.refutedBy = refutedBy
        self.agrees = agrees
    }


    private enum CodingKeys: String, CodingKey { case prediction, measurement, refutedBy, agrees }

    /// Reads a verdict; `result.json` files written before `refutedBy` existed read with it empty.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        prediction = try container.decode(String.self, forKey: .prediction)
        measurement = try container.decode(String.self, forKey: .measurement)
        refutedBy = try container.decodeIfPresent(String.self, forKey: .refutedBy) ?? ""
        agrees = try container.decode(Bool.self, forKey: .agrees)
    }

    /// One line for a terminal: `✓ agrees: prediction — measured: … — would disagree if: …`.
    public var line: String {
        "\(agrees ? "✓ agrees" : "✗ DISAGREES"): \(prediction) — measured: \(measurement)"
            + (refutedBy.isEmpty ? "" : " — would disagree if: \(refutedBy)")
    }
}

/// A cell of a ``ResultTable``: a number (written as a JSON number) or text.
public enum TableValue: Codable, Equatable, Sendable, ExpressibleByStringLiteral, ExpressibleByFloatLiteral,
    ExpressibleByIntegerLiteral {
    case number(Double)
    case text(String)

    /// A text cell.
    public init(stringLiteral value: String) { self = .text(value) }
    /// A number cell.
    public init(floatLiteral value: Double) { self = .number(value) }
    /// A number cell.
    public init(integerLiteral value: Int) { self = .number(Double(value)) }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) { self = .number(number) } else { self = .text(try container.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let value) where value.isFinite: try container.encode(value)
        case .number(let value): try container.encode(String(value))
        case .text(let value): try container.encode(value)
        }
    }

    /// The value as CSV or HTML text (numbers to 6 significant digits).
    public var text: String {
        switch self {
        case .number(let value): value == value.rounded() && Swift.abs(value) < 1e9 ? String(Int(value)) : String(format: "%.6g", value)
        case .text(let value): value
        }
    }
}

/// A table of numbers, written as `NAME.csv`; rows hold one value per column.
public struct ResultTable: Codable, Equatable, Sendable {
    /// A file-name-safe name (`per-layer`).
    public var name: String
    /// Column headers, with units in parentheses where they have one.
    public var columns: [String]
    public var rows: [[TableValue]]

    /// A table named `name` (its CSV file name) with `columns` and `rows` of that many cells.
    public init(name: String, columns: [String], rows: [[TableValue]] = []) {
        self.name = name
        self.columns = columns
        self.rows = rows
    }

    /// RFC 4180 CSV (fields with commas, quotes or newlines are quoted).
    public var csv: String {
        func field(_ text: String) -> String {
            text.contains(where: { ",\"\n".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        return ([columns.map(field).joined(separator: ",")] + rows.map { $0.map { field($0.text) }.joined(separator: ",") })
            .joined(separator: "\n") + "\n"
    }
}

/// Everything one experiment run produced: written to a run directory as `result.json`
/// (all of it), one CSV per table and one SVG per figure; read back by `loom report`.
public struct ExperimentResult: Codable, Sendable {
    /// The experiment's command-line name.
    public var experiment: String
    /// A one-line title for reports.
    public var title: String
    /// What the experiment shows, in a sentence or two (the lecture's claim).
    public var summary: String
    public var configuration: [ExperimentSetting]
    public var verdicts: [Verdict]
    public var tables: [ResultTable]
    public var figures: [Figure]
    /// Wall-clock seconds the run took.
    public var seconds: Double

    /// An experiment's result: what it is, its verdicts, figures and tables.
    public init(experiment: String, title: String, summary: String, configuration: [ExperimentSetting],
                verdicts: [Verdict], tables: [ResultTable], figures: [Figure], seconds: Double = 0) {
        self.experiment = experiment
        self.title = title
        self.summary = summary
        self.configuration = configuration
        self.verdicts = verdicts
        self.tables = tables
        self.figures = figures
        self.seconds = seconds
    }

    /// Whether every verdict agrees with the lecture.
    public var agrees: Bool { verdicts.allSatisfy(\.agrees) }

    /// The name of the file holding everything.
    public static let fileName = "result.json"

    /// Writes `result.json`, `TABLE.csv` per table and `FIGURE.svg` per figure into
    /// `directory`, each atomically, and a TensorBoard event file with every figure's series
    /// (``Figure/tensorBoardSteps``). Returns the files written.
    @discardableResult
    public func write(to directory: RunDirectory) throws -> [URL] {
        var written: [URL] = []
        let json = directory.url.appendingPathComponent(Self.fileName)
        try directory.writeJSON(self, to: json)
        written.append(json)
        for table in tables {
            let url = directory.url.appendingPathComponent("\(table.name).csv")
            try AtomicFile.write(Array(table.csv.utf8), to: url)
            written.append(url)
        }
        for figure in figures {
            let url = directory.url.appendingPathComponent("\(figure.name).svg")
            try AtomicFile.write(Array(SVGRenderer().render(figure).utf8), to: url)
            written.append(url)
        }
        let events = try EventFileWriter(directory: directory.url)
        for figure in figures {
            for (step, scalars) in figure.tensorBoardSteps { try events.append(scalars, step: step) }
        }
        written.append(events.url)
        return written
    }

    /// Reads `result.json` from a run directory.
    public static func read(from directory: URL) throws -> ExperimentResult {
        let url = directory.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RunError.invalidConfiguration("\(directory.path) has no \(fileName) (it is neither a `loom experiment` nor a `loom train` run directory)")
        }
        do {
            return try RunDirectory.decoder.decode(ExperimentResult.self, from: data)
        } catch {
            throw RunError.invalidConfiguration("\(url.path) is not a readable experiment result: \(ConfigurationDecoding.describe(error))")
        }
    }
}
