import ArgumentParser
import Foundation
import Loom
import LoomData
import LoomTraining

/// The model file a command reads, and the `config.json` that describes a checkpoint of an
/// earlier release.
struct ModelFileOptions: ParsableArguments {
    @Argument(help: "A model file: checkpoint.safetensors of a run, or a file written by `loom export`.")
    var model: String
    @Option(help: "The run's config.json, for checkpoints written before model files described their model (default: beside the file).")
    var config: String?

    func load() throws -> TrainedModel {
        try TrainedModel(file: URL(fileURLWithPath: model), configurationURL: config.map { URL(fileURLWithPath: $0) })
    }
}

/// `loom evaluate MODEL`: loss and accuracy of a trained model on a test set.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a model file (a run's checkpoint or an exported model) on a dataset's test split.")

    @OptionGroup var file: ModelFileOptions
    @Option(help: "Dataset (default: the one the model was trained on).")
    var dataset: ImageDataset?
    @Option(name: .customLong("data"), help: "Directory holding the dataset's IDX files.")
    var dataDirectory: String?

    func run() throws {
        let trained = try file.load()
        let trainedOn = trained.configuration?.data
        guard let source = dataset ?? trainedOn?.dataset else {
            throw CommandLineError("\(file.model) does not say which data it was trained on: pass --dataset")
        }
        let directory = (dataDirectory ?? (dataset == nil ? trainedOn?.directory : nil)).map { URL(fileURLWithPath: $0) }
        let test = try source.loadTest(from: directory)
        let (loss, accuracy) = try trained.evaluate(test)
        print(String(format: "%@ test: accuracy %.2f%%  loss %.4f  (%d examples)", source.rawValue, accuracy * 100, loss, test.count))
    }
}

/// `loom predict MODEL IMAGES`: the class and probabilities for each image of an IDX file.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Predict the classes of the images in an IDX file.")

    @OptionGroup var file: ModelFileOptions
    @Argument(help: "An IDX image file (plain or .gz), uint8 pixels.")
    var images: String
    @Option(help: "Predict only the first N images.")
    var limit: Int?
    @Flag(help: "Print one JSON object per image.")
    var json = false

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be positive") }
    }

    func run() throws {
        let trained = try file.load()
        let file = try IDXArray(contentsOf: URL(fileURLWithPath: images))
        guard file.elementType == .uint8, file.shape.count >= 2 else {
            throw DataError.malformed(path: images, reason: "expected uint8 images [count, …], found \(file.elementType) \(file.shape)")
        }
        var pixels = file.tensor(scale: trained.description.preprocessing.scale)
        if let limit, limit < pixels.shape[0] { pixels = pixels[0..<limit] }
        let probabilities = try trained.probabilities(pixels)
        let rows = probabilities.asArray(Double.self)
        let names = trained.description.classNames
        let classes = names.count
        for index in 0..<probabilities.shape[0] {
            let row = Array(rows[(index * classes)..<((index + 1) * classes)])
            let best = row.indices.max { row[$0] < row[$1] }!
            if json {
                let values = row.map { String(format: "%.6f", $0) }.joined(separator: ", ")
                print("{\"index\": \(index), \"class\": \(best), \"name\": \"\(names[best])\", \"probabilities\": [\(values)]}")
            } else {
                print(String(format: "%5d  class %@  p=%.4f", index, names[best], row[best]))
            }
        }
    }
}

/// `loom export CHECKPOINT --output MODEL`: the model alone, ready to travel.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a checkpoint's model (weights and description, no optimizer state) to a file of its own.")

    @OptionGroup var file: ModelFileOptions
    @Option(help: "The model file to write (safetensors).")
    var output: String

    func run() throws {
        let destination = URL(fileURLWithPath: output)
        let model = try ModelFile.export(file.load(), to: destination)
        let size = (try? FileManager.default.attributesOfItem(atPath: destination.path)[.size] as? Int) ?? 0
        print("wrote \(output): MLP \(model.description.architecture.widths.map(String.init).joined(separator: "-")), \(model.model.parameterCount()) parameters, \(size) bytes")
    }
}

/// `loom inspect MODEL`: layers, shapes, parameter counts and metadata.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a model file's layers, their shapes and parameter counts, and its metadata.")

    @OptionGroup var file: ModelFileOptions

    func run() throws {
        let trained = try file.load()
        print(trained.summary(path: file.model))
    }
}
