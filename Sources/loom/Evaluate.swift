import ArgumentParser
import Foundation
import Loom
import LoomData
import LoomExperiments

/// `loom evaluate CHECKPOINT`: loss and accuracy of a trained model on a test set.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate a checkpoint on a dataset's test split.")

    @Argument(help: "A checkpoint (checkpoint.safetensors of a run, or a model file).")
    var checkpoint: String
    @Option(help: "The run's config.json (default: beside the checkpoint).")
    var config: String?
    @Option(help: "Dataset (default: the one the model was trained on).")
    var dataset: ImageDataset?
    @Option(name: .customLong("data"), help: "Directory holding the dataset's IDX files.")
    var dataDirectory: String?

    func run() throws {
        let trained = try TrainedModel(checkpoint: URL(fileURLWithPath: checkpoint), configurationURL: config.map { URL(fileURLWithPath: $0) })
        let source = dataset ?? trained.configuration.dataset
        let directory = (dataDirectory ?? (dataset == nil ? trained.configuration.dataDirectory : nil)).map { URL(fileURLWithPath: $0) }
        let test = try source.load(from: directory).test
        let (loss, accuracy) = try trained.evaluate(test)
        print(String(format: "%@ test: accuracy %.2f%%  loss %.4f  (%d examples)", source.rawValue, accuracy * 100, loss, test.count))
    }
}

/// `loom predict CHECKPOINT IMAGES`: the class and probabilities for each image of an IDX file.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Predict the classes of the images in an IDX file.")

    @Argument(help: "A checkpoint (checkpoint.safetensors of a run, or a model file).")
    var checkpoint: String
    @Argument(help: "An IDX image file (plain or .gz), uint8 pixels.")
    var images: String
    @Option(help: "The run's config.json (default: beside the checkpoint).")
    var config: String?
    @Option(help: "Predict only the first N images.")
    var limit: Int?
    @Flag(help: "Print one JSON object per image.")
    var json = false

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be positive") }
    }

    func run() throws {
        let trained = try TrainedModel(checkpoint: URL(fileURLWithPath: checkpoint), configurationURL: config.map { URL(fileURLWithPath: $0) })
        let file = try IDXArray(contentsOf: URL(fileURLWithPath: images))
        guard file.elementType == .uint8, file.shape.count >= 2 else {
            throw DataError.malformed(path: images, reason: "expected uint8 images [count, …], found \(file.elementType) \(file.shape)")
        }
        var pixels = file.tensor(scale: 1 / trained.configuration.dataset.maximumPixel)
        if let limit, limit < pixels.shape[0] { pixels = pixels[0..<limit] }
        let probabilities = try trained.probabilities(pixels)
        let rows = probabilities.asArray(Double.self)
        let classes = trained.classCount
        for index in 0..<probabilities.shape[0] {
            let row = Array(rows[(index * classes)..<((index + 1) * classes)])
            let best = row.indices.max { row[$0] < row[$1] }!
            if json {
                let values = row.map { String(format: "%.6f", $0) }.joined(separator: ", ")
                print("{\"index\": \(index), \"class\": \(best), \"probabilities\": [\(values)]}")
            } else {
                print(String(format: "%5d  class %d  p=%.4f", index, best, row[best]))
            }
        }
    }
}
