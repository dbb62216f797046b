import ArgumentParser
import Foundation
import Loom
import LoomTraining
import LoomData
import LoomExperiments

/// The `loom` command: thin commands over LoomTraining and LoomExperiments that map flags to
/// library types. Every error from outside
/// (options, files, checkpoints) is printed as one line, with a non-zero exit.
public struct LoomCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "loom",
        abstract: "Train and study fully connected networks on the CPU.",
        version: "loom \(LoomVersion.description)",
        subcommands: [Train.self, Evaluate.self, Predict.self, Export.self, Inspect.self, Datasets.self, ExperimentCommand.self,
                      ReportCommand.self],
        defaultSubcommand: nil
    )

    public init() {}

    /// Makes standard output line-buffered before anything prints, so that an experiment
    /// redirected to a file or a pipe (`loom experiment hessian > log`, CI logs) shows each
    /// line as it happens instead of one block at the end.
    public static func prepareStandardOutput() { Platform.lineBufferStandardOutput() }

    /// Runs the tool: parses the arguments and runs the subcommand, with SIGINT and SIGTERM
    /// handled (`Interruption`): a training run stops after its current batch, every other
    /// command after its current write, with status 130 or 143. Data-parallel training keeps
    /// the default action, since ranks stopping at different batches would wait on each other.
    public static func main() {
        do {
            var command = try parseAsRoot()
            if (command as? Train)?.runOptions.distributed != true {
                Interruption.install { printLine(toStandardError: interruptedLine($0)) }
            }
            try command.run()
        } catch let RunError.interrupted(signal, _) {
            // Training inside a command other than `loom train` (an experiment): nothing it
            // writes is written before it ends, so there is nothing to resume.
            exitInterrupted(signal)
        } catch let interruption as Interrupted {
            // A loop's check saw the signal while the handler waits to exit: the same exit.
            exitInterrupted(interruption.signal)
        } catch {
            exit(withError: error)
        }
    }
}

/// What a command other than a training run says when a signal ends it.
private func interruptedLine(_ signal: Int32) -> String {
    "\(Interrupted(signal: signal)); every file already written is complete"
}

/// Says that a signal ended the command, and exits with the signal's status.
private func exitInterrupted(_ signal: Int32) -> Never {
    printLine(toStandardError: interruptedLine(signal))
    LoomCommand.exit(withError: ExitCode(Interrupted(signal: signal).exitStatus))
}

/// Writes `line` and a newline to standard error, unbuffered (also in `--json` mode).
func printLine(toStandardError line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// `loom datasets`: the datasets Loom can find on this machine.
struct Datasets: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the datasets Loom can find.")

    @Option(name: .customLong("data"), help: "A directory holding MNIST-style IDX files.")
    var dataDirectory: String?

    func run() throws {
        for dataset in ImageDataset.allCases {
            let directory = dataset.defaultDirectory
            let found = dataset.isAvailable(in: directory)
            let location = dataset.defaultLocationDescription
            print("\(dataset.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)) \(found ? "available" : "not found")  \(location)")
        }
        if let dataDirectory {
            let directory = URL(fileURLWithPath: dataDirectory)
            let splits = try ImageDataset.mnist.load(from: directory)
            print("\(directory.path): train \(splits.train.count), test \(splits.test.count), \(splits.train.exampleShape[0]) features")
        }
    }
}
