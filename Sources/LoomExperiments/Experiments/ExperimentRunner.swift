import Foundation
import LoomTraining

/// Runs an ``Experiment`` the way `loom experiment` does: the run, its files in the run
/// directory, then a terminal chart per figure and the verdicts.
public enum ExperimentRunner {
    /// Validates `experiment` (a `ConfigurationError` stops it before anything runs), runs it,
    /// writes its files to `directory` (when given; locked for the run, and never a training
    /// run's directory) and returns the result; `print` receives
    /// progress lines, the charts and the verdicts.
    @discardableResult
    public static func run(_ experiment: some Experiment, directory: RunDirectory?, charts: Bool = true,
                           print: (String) -> Void) throws -> ExperimentResult {
        try experiment.validate()
        if let directory {
            // Before the run: a second writer of the same directory, or a training run's
            // directory, is refused at once rather than after minutes of work.
            try directory.lockForWriting()
            guard !directory.holdsRun else {
                throw RunError.unwritable(path: directory.url.path, reason: "it holds a training run; give the experiment a directory of its own (--output)")
            }
        }
        print("== \(type(of: experiment).name): " + experiment.configuration.map { "\($0.name) \($0.value)" }.joined(separator: "; "))
        let result = try experiment.run(log: { print("  " + $0) })
        if charts {
            for figure in result.figures { print("\n" + TerminalChart().render(figure)) }
        }
        print("\n" + summary(of: result))
        if let directory {
            let files = try result.write(to: directory)
            print("wrote \(files.map(\.lastPathComponent).joined(separator: ", ")) to \(directory.url.path)")
        }
        return result
    }

    /// The verdict block: the lecture's claim, then one line per prediction.
    public static func summary(of result: ExperimentResult) -> String {
        var lines = ["Verdict (\(result.title), \(String(format: "%.1f", result.seconds)) s): "
            + (result.agrees ? "the run agrees with the lecture" : "the run DISAGREES with the lecture on \(result.verdicts.filter { !$0.agrees }.count) of \(result.verdicts.count) points")]
        lines.append("  lecture: \(result.summary)")
        lines += result.verdicts.map { "  " + $0.line }
        return lines.joined(separator: "\n")
    }
}
