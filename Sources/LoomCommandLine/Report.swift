import ArgumentParser
import Foundation
import LoomTraining
import LoomExperiments

/// `loom report RUN_DIR…`: one self-contained HTML page from experiment and training run
/// directories, in any mix.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Gather `loom experiment` and `loom train` run directories into one self-contained HTML page.")

    @Argument(help: "Run directories written by `loom experiment` (result.json) or `loom train` (metrics.jsonl, config.json).")
    var runDirectories: [String]
    @Option(help: "The HTML file to write.")
    var output = "report.html"

    func run() throws {
        guard !runDirectories.isEmpty else { throw ValidationError("give at least one run directory") }
        var results: [ExperimentResult] = [], runs: [TrainingRunRecord] = []
        for path in runDirectories {
            let url = URL(fileURLWithPath: path)
            if !FileManager.default.fileExists(atPath: url.appendingPathComponent(ExperimentResult.fileName).path), TrainingRunRecord.isTrainingRun(url) {
                runs.append(try TrainingRunRecord.read(from: url))
            } else {
                results.append(try ExperimentResult.read(from: url))
            }
        }
        let report = Report(results: results, runs: runs, title: results.isEmpty ? "Loom training runs" : "Loom experiments")
        try report.write(to: URL(fileURLWithPath: output))
        let figures = results.reduce(0) { $0 + $1.figures.count }
        print("wrote \(output): \(results.count) experiment(s), \(figures) figure(s), \(runs.count) training run(s)")
    }
}
