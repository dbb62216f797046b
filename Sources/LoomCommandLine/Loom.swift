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
