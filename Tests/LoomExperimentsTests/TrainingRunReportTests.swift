import Foundation
import LoomTraining
import Testing

@testable import LoomExperiments

/// `loom report` on training run directories: read without writing, curves per run, runs
/// compared, configurations side by side.
@Suite("Training runs in the report")
struct TrainingRunReportTests {
    /// A run directory with `epochs` epochs of made-up metrics and `config`.
    func makeRun(_ name: String, in root: URL, epochs: Int, config: String, summary: Bool = true) throws -> URL {
        let url = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let metrics = (1...epochs).map { epoch in
            EpochMetrics(epoch: epoch, trainLoss: 1 / Double(epoch), trainAccuracy: 0.5, test: Evaluation(loss: 2 / Double(epoch), accuracy: 0.4 + 0.1 * Double(epoch)),
                         learningRate: 0.1, seconds: 1, samplesPerSecond: 100)
        }
        try metrics.map { String(decoding: try RunDirectory.encoder.encode($0), as: UTF8.self) }.joined(separator: "\n")
            .write(to: url.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        try config.write(to: url.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        if summary {
            let value = RunSummary(task: .classification, test: metrics.last!.test, trainLoss: 0.1, trainAccuracy: 0.5, epochs: epochs,
                                   seconds: Double(epochs), parameterCount: 10, dataset: "digits")
            try RunDirectory.encoder.encode(value).write(to: url.appendingPathComponent("summary.json"))
        }
        return url
    }

    @Test("two runs: each one's curves, both on one plot, and the fields they differ in marked")
    func twoRuns() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("loom-report-runs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let a = try makeRun("a", in: root, epochs: 3, config: #"{"seed": 1, "optimizer": {"name": "adam", "learningRate": 0.001}, "shuffle": true}"#)
        let b = try makeRun("b", in: root, epochs: 2, config: #"{"seed": 1, "optimizer": {"name": "sgd"}, "model": {"hiddenWidths": [8, 8]}}"#, summary: false)
        #expect(TrainingRunRecord.isTrainingRun(a) && !TrainingRunRecord.isTrainingRun(root))
        let runs = try [a, b].map { try TrainingRunRecord.read(from: $0) }
        #expect(runs.map(\.name) == ["a", "b"] && runs[0].metrics.count == 3 && runs[0].summary != nil && runs[1].summary == nil)
        #expect(runs[0].configuration.contains(ExperimentSetting("optimizer.learningRate", "0.001")))
        #expect(runs[0].configuration.contains(ExperimentSetting("shuffle", "true")))
        #expect(runs[1].configuration.contains(ExperimentSetting("model.hiddenWidths", "8,8")))
        #expect(runs[0].figures.map(\.name) == ["a-loss", "a-score"])
        #expect(runs[0].figures[0].series.map(\.name) == ["train", "test"])
        #expect(runs[0].figures[1].series.last?.y.map { ($0 * 10).rounded() / 10 } == [50, 60, 70])
        let comparison = TrainingRunComparison(runs: runs)
        #expect(comparison.figures.map(\.name) == ["runs-test-loss", "runs-test-accuracy"])
        #expect(comparison.figures[0].series.map(\.name) == ["a", "b"] && comparison.figures[0].series[1].y == [2, 1])
        let rows = Dictionary(uniqueKeysWithValues: comparison.configurationRows.map { ($0.name, $0) })
        #expect(rows["seed"]?.differs == false && rows["optimizer.name"]?.differs == true)
        #expect(rows["optimizer.learningRate"]?.values == ["0.001", "—"])
        let html = Report(results: [], runs: runs).html()
        #expect(html.contains("id=\"training-runs\"") && html.contains("<b>optimizer.name</b>") && html.contains("no summary.json"))
        #expect(html.components(separatedBy: "<svg ").count - 1 == 2 + 2 + 2)
        // Reading wrote nothing into the run directories.
        #expect(try FileManager.default.contentsOfDirectory(atPath: b.path).sorted() == ["config.json", "metrics.jsonl"])
    }

    @Test("a damaged metrics line or config.json is an error naming the file, not a crash")
    func damaged() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("loom-report-damaged-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let run = try makeRun("a", in: root, epochs: 2, config: "{not json")
        #expect(throws: RunError.self) { try TrainingRunRecord.read(from: run) }
        try #"{"seed": 1e308}"#.write(to: run.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        #expect(try TrainingRunRecord.read(from: run).configuration == [ExperimentSetting("seed", "1e+308")])
        try "{\"epoch\": 1}\n".write(to: run.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        #expect(throws: RunError.self) { try TrainingRunRecord.read(from: run) }
    }
}
