import ArgumentParser
import Foundation
import LoomTraining
import LoomExperiments

/// `loom report RUN_DIR…`: one self-contained HTML page from experiment run directories.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Gather `loom experiment` run directories into one self-contained HTML page.")

    @Argument(help: "Run directories written by `loom experiment`.")
    var runDirectories: [String]
    @Option(help: "The HTML file to write.")
    var output = "report.html"

    func run() throws {
        guard !runDirectories.isEmpty else { throw ValidationError("give at least one run directory") }
        let results = try runDirectories.map { try ExperimentResult.read(from: URL(fileURLWithPath: $0)) }
        try Report(results: results).write(to: URL(fileURLWithPath: output))
        print("wrote \(output): \(results.count) experiment(s), \(results.reduce(0) { $0 + $1.figures.count }) figure(s)")
    }
}
