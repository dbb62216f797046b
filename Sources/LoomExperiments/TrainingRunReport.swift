import Foundation
import LoomTraining

/// A `loom train` run directory as `loom report` shows it: its configuration, its per-epoch
/// metrics and its summary.
public struct TrainingRunRecord: Sendable {
    /// The name shown for the run: its directory's name.
    public var name: String
    /// `config.json` flattened to dotted field names (`optimizer.learningRate`), in name order.
    public var configuration: [ExperimentSetting]
    public var metrics: [EpochMetrics]
    /// Nil for a run still training or killed before its end.
    public var summary: RunSummary?

    /// A run named `name` with its flattened configuration, metrics and summary.
    public init(name: String, configuration: [ExperimentSetting], metrics: [EpochMetrics], summary: RunSummary?) {
        self.name = name
        self.configuration = configuration
        self.metrics = metrics
        self.summary = summary
    }

    /// Whether `directory` holds a training run (a `metrics.jsonl` or a `config.json`).
    public static func isTrainingRun(_ directory: URL) -> Bool {
        ["metrics.jsonl", "config.json"].contains { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
    }

    /// Reads a training run directory; throws naming the file that cannot be read.
    public static func read(from directory: URL) throws -> TrainingRunRecord {
        // Read without `RunDirectory(_:)`, which would create the directory and write to it.
        let metricsURL = directory.appendingPathComponent("metrics.jsonl"), configURL = directory.appendingPathComponent("config.json")
        var metrics: [EpochMetrics] = []
        if let data = FileManager.default.contents(atPath: metricsURL.path) {
            for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
                do {
                    metrics.append(try RunDirectory.decoder.decode(EpochMetrics.self, from: Data(line.utf8)))
                } catch {
                    throw RunError.invalidConfiguration("\(metricsURL.path), line \(index + 1), is not a readable epoch: \(error)")
                }
            }
        }
        var configuration: [ExperimentSetting] = []
        if let data = FileManager.default.contents(atPath: configURL.path) {
            guard let object = try? JSONDecoder().decode(JSONLeaves.self, from: data) else {
                throw RunError.invalidConfiguration("\(configURL.path) is not JSON")
            }
            configuration = object.settings(prefix: "").sorted { $0.name < $1.name }
        }
        let summary = FileManager.default.contents(atPath: directory.appendingPathComponent("summary.json").path).flatMap { try? RunDirectory.decoder.decode(RunSummary.self, from: $0) }
        return TrainingRunRecord(name: directory.standardizedFileURL.lastPathComponent, configuration: configuration, metrics: metrics,
                                 summary: summary)
    }

    /// Whether the run is a classification (its metrics have accuracies).
    var isClassification: Bool { metrics.contains { $0.trainAccuracy != nil || $0.testAccuracy != nil } }

    /// The run's learning curves: the losses of every split, and the accuracies (or R²).
    public var figures: [Figure] {
        let epochs = metrics.map { Double($0.epoch) }
        func series(_ name: String, _ values: (EpochMetrics) -> Double?) -> Series? {
            let points = metrics.compactMap { metrics in values(metrics).map { (Double(metrics.epoch), $0) } }
            return points.isEmpty ? nil : Series(name: name, x: points.map(\.0), y: points.map(\.1))
        }
        let epochAxis = Axis("epoch", isInteger: true)
        let losses = [series("train", { $0.trainLoss }), series("validation", { $0.validationLoss }), series("test", { $0.testLoss })]
        var figures = [Figure(name: "\(name)-loss", title: "\(name): loss per epoch", xAxis: epochAxis, yAxis: Axis("loss"),
                              series: losses.compactMap { $0 }, caption: "Training loss is the epoch's running mean; validation and test are evaluated after the epoch.")]
        let scores = isClassification
            ? [series("train", { $0.trainAccuracy.map { $0 * 100 } }), series("validation", { $0.validationAccuracy.map { $0 * 100 } }),
               series("test", { $0.testAccuracy.map { $0 * 100 } })]
            : [series("validation", { $0.validationR2 }), series("test", { $0.testR2 })]
        if !epochs.isEmpty, scores.contains(where: { $0 != nil }) {
            figures.append(Figure(name: "\(name)-score", title: "\(name): \(isClassification ? "accuracy" : "R²") per epoch", xAxis: epochAxis,
                                  yAxis: isClassification ? Axis("accuracy", unit: "%") : Axis("R²"), series: scores.compactMap { $0 }))
        }
        return figures
    }
}

/// Several training runs compared: their test curves on one plot each, and their
/// configurations side by side.
public struct TrainingRunComparison: Sendable {
    public var runs: [TrainingRunRecord]

    /// A comparison of `runs`, in their order.
    public init(runs: [TrainingRunRecord]) { self.runs = runs }

    /// Test loss per epoch of every run on one plot, and test accuracy (or R²) on another.
    public var figures: [Figure] {
        let epochAxis = Axis("epoch", isInteger: true)
        func curves(_ value: (EpochMetrics) -> Double?) -> [Series] {
            runs.compactMap { run in
                let points = run.metrics.compactMap { metrics in value(metrics).map { (Double(metrics.epoch), $0) } }
                return points.isEmpty ? nil : Series(name: run.name, x: points.map(\.0), y: points.map(\.1))
            }
        }
        var figures = [Figure(name: "runs-test-loss", title: "Test loss per epoch, every run", xAxis: epochAxis, yAxis: Axis("test loss"),
                              series: curves { $0.testLoss })]
        let accuracies = curves { $0.testAccuracy.map { $0 * 100 } }
        if !accuracies.isEmpty {
            figures.append(Figure(name: "runs-test-accuracy", title: "Test accuracy per epoch, every classification run", xAxis: epochAxis,
                                  yAxis: Axis("test accuracy", unit: "%"), series: accuracies))
        }
        let r2 = curves { $0.testR2 }
        if !r2.isEmpty {
            figures.append(Figure(name: "runs-test-r2", title: "Test R² per epoch, every regression run", xAxis: epochAxis,
                                  yAxis: Axis("test R²"), series: r2))
        }
        return figures
    }

    /// Every configuration field of any run, one row each with a column per run ("—" where a
    /// run has no such field), and whether the runs differ in it.
    public var configurationRows: [(name: String, values: [String], differs: Bool)] {
        let names = Set(runs.flatMap { $0.configuration.map(\.name) }).sorted()
        let lookups = runs.map { Dictionary($0.configuration.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first }) }
        return names.map { name in
            let values = lookups.map { $0[name] ?? "—" }
            return (name, values, Set(values).count > 1)
        }
    }
}

/// Any JSON value, read only to list its leaves (`JSONDecoder` tells `true` from `1`, which
/// `JSONSerialization` does not on every platform).
private indirect enum JSONLeaves: Decodable {
    case object([String: JSONLeaves])
    case array([JSONLeaves])
    case leaf(String)

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .leaf("null") }
        else if let value = try? container.decode(Bool.self) { self = .leaf(value ? "true" : "false") }
        else if let value = try? container.decode(Double.self) { self = .leaf(value == value.rounded() && Swift.abs(value) < 1e15 ? String(Int64(value)) : "\(value)") }
        else if let value = try? container.decode(String.self) { self = .leaf(value) }
        else if let value = try? container.decode([JSONLeaves].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONLeaves].self)) }
    }

    /// The leaves as `a.b.c = value` settings; an array of plain values is one setting.
    func settings(prefix: String) -> [ExperimentSetting] {
        switch self {
        case .leaf(let text): return [ExperimentSetting(prefix, text)]
        case .object(let fields): return fields.flatMap { $1.settings(prefix: prefix.isEmpty ? $0 : "\(prefix).\($0)") }
        case .array(let items):
            let texts = items.compactMap { if case .leaf(let text) = $0 { text } else { nil } }
            if texts.count == items.count { return [ExperimentSetting(prefix, texts.joined(separator: ","))] }
            return items.enumerated().flatMap { $1.settings(prefix: "\(prefix).\($0)") }
        }
    }
}

extension Report {
    /// The training runs: compared on one plot per score and side by side by configuration
    /// (differing fields first, in bold), then each run's summary and learning curves.
    func trainingRunsSection() -> String {
        let comparison = TrainingRunComparison(runs: runs)
        var html = "<section id=\"training-runs\">\n<h2>Training runs</h2>\n"
        if runs.count > 1 {
            for figure in comparison.figures {
                html += Self.figureHTML(figure)
            }
        }
        let rows = comparison.configurationRows.sorted { $0.differs && !$1.differs }
        let differing = rows.filter(\.differs).count
        html += "<details open><summary>Configurations side by side (\(differing) of \(rows.count) fields differ)</summary>\n<table><tr><th>field</th>"
            + runs.map { "<th>\(escape($0.name))</th>" }.joined() + "</tr>\n"
        for row in rows {
            html += "<tr><td>\(row.differs ? "<b>\(escape(row.name))</b>" : escape(row.name))</td>"
                + row.values.map { "<td>\(row.differs ? "<b>\(escape($0))</b>" : escape($0))</td>" }.joined() + "</tr>\n"
        }
        html += "</table></details>\n"
        for run in runs {
            html += "<h3 id=\"run-\(escape(run.name))\">\(escape(run.name))</h3>\n<p>\(escape(Self.summaryLine(run)))</p>\n"
            for figure in run.figures {
                html += Self.figureHTML(figure)
            }
        }
        return html + "</section>\n"
    }

    /// A figure as inline SVG with its caption.
    static func figureHTML(_ figure: Figure) -> String {
        "<figure>\n" + SVGRenderer().render(figure) + "<figcaption>\(escape(figure.caption))</figcaption>\n</figure>\n"
    }

    /// One sentence about a run's outcome.
    static func summaryLine(_ run: TrainingRunRecord) -> String {
        guard let summary = run.summary else {
            return "\(run.metrics.count) epoch(s) so far; no summary.json (still training, or stopped before its end)."
        }
        let score = summary.testAccuracy.map { String(format: "test accuracy %.2f%%", $0 * 100) }
            ?? String(format: "test R² %.4f, RMSE %.4g", summary.testR2 ?? .nan, summary.testRMSE ?? .nan)
        return score + String(format: ", test loss %.4f after %d epochs (%.2f s), %d parameters, %@", summary.testLoss, summary.epochs,
                              summary.seconds, summary.parameterCount, summary.dataset)
    }
}
