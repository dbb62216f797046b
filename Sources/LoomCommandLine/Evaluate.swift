import ArgumentParser
import Foundation
import Loom
import LoomData
import LoomNN
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

/// `loom evaluate MODEL [DATA]`: a trained model's scores on a test set.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a model file (a run's checkpoint or an exported model): on a table with the target column, or on a dataset's test split.")

    @OptionGroup var file: ModelFileOptions
    @Argument(help: "A table (CSV, .npy, .npz) with the model's input and target columns, for a model trained on a table (default: the run's --test file).")
    var table: String?
    @Option(help: "Dataset, for an image model (default: the one the model was trained on).")
    var dataset: ImageDataset?
    @Option(name: .customLong("data"), help: "Directory holding the dataset's IDX files.")
    var dataDirectory: String?

    func run() throws {
        let trained = try file.load()
        let (name, test) = try testData(trained)
        let scores = try trained.scores(test)
        if let accuracy = scores.accuracy {
            print(String(format: "%@: accuracy %.2f%%  loss %.4f  (%d examples)", name, accuracy * 100, scores.loss, test.count))
            print(try Self.confusionReport(trained, test))
        } else {
            print(String(format: "%@: R² %.4f  RMSE %.6g  MAE %.6g  loss %.4f  (%d examples)", name, scores.r2 ?? .nan, scores.rmse ?? .nan,
                         scores.mae ?? .nan, scores.loss, test.count))
        }
    }

    private func testData(_ trained: TrainedModel) throws -> (String, LabeledDataset) {
        if case .table = trained.description.preprocessing {
            guard let path = table ?? trained.configuration?.data.testFile else {
                throw CommandLineError("\(file.model) was trained on a table: give the table to evaluate on (loom evaluate MODEL DATA)")
            }
            let data = try TableFile.read(URL(fileURLWithPath: path), features: trained.configuration?.data.features,
                                          targets: trained.description.target.names).table
            return (path, try trained.dataset(of: data, warn: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }))
        }
        if let table { throw CommandLineError("\(file.model) was trained on images; evaluate it with --dataset/--data, not on \(table)") }
        let trainedOn = trained.configuration?.data
        guard let source = dataset ?? trainedOn?.dataset else {
            throw CommandLineError("\(file.model) does not say which data it was trained on: pass --dataset")
        }
        let directory = (dataDirectory ?? (dataset == nil ? trainedOn?.directory : nil)).map { URL(fileURLWithPath: $0) }
        return ("\(source.rawValue) test", try source.loadTest(from: directory))
    }

    /// The confusion matrix (rows: true class, columns: predicted) and each class's precision
    /// and recall.
    static func confusionReport(_ trained: TrainedModel, _ test: LabeledDataset) throws -> String {
        let names = trained.description.classNames, k = names.count
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        let labels = test.labels.asArray(Int64.self)
        for batch in DataLoader(test, batchSize: 1024, shuffles: false).batches(epoch: 0) {
            let probabilities = try trained.probabilities(batch.inputs).asArray(Double.self)
            for (row, index) in batch.indices.enumerated() {
                let predicted = mostProbableClass(probabilities[(row * k)..<((row + 1) * k)])
                matrix[Int(labels[index])][predicted] += 1
            }
        }
        let width = Swift.max(9, (names.map(\.count).max() ?? 1) + 2)
        func cell(_ text: String) -> String { String(repeating: " ", count: Swift.max(0, width - text.count)) + text }
        var lines = ["confusion matrix (rows: true class, columns: predicted):", cell("") + names.map(cell).joined()]
        for (i, row) in matrix.enumerated() { lines.append(cell(names[i]) + row.map { cell(String($0)) }.joined()) }
        lines.append(cell("class") + cell("precision") + cell("recall") + cell("support"))
        for i in 0..<k {
            let predicted = matrix.reduce(0) { $0 + $1[i] }, actual = matrix[i].reduce(0, +)
            let precision = predicted == 0 ? "-" : String(format: "%.3f", Double(matrix[i][i]) / Double(predicted))
            let recall = actual == 0 ? "-" : String(format: "%.3f", Double(matrix[i][i]) / Double(actual))
            lines.append(cell(names[i]) + cell(precision) + cell(recall) + cell(String(actual)))
        }
        return lines.joined(separator: "\n")
    }
}

/// `loom predict MODEL INPUT`: a prediction for every row of a table, or every image of an
/// IDX file.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict every row of a table (CSV, .npy, .npz) or every image of an IDX file.")

    @OptionGroup var file: ModelFileOptions
    @Argument(help: "A table with the model's input columns (any order; the target may be absent), or an IDX image file for an image model.")
    var input: String
    @Option(help: "Write the predictions as CSV to this file (default: standard output): one row per input row, a prediction column and, for classes, probability_<class> columns.")
    var output: String?
    @Option(parsing: .unconditional, help: "Predict only the first N rows.")
    var limit: Int?
    @Flag(help: "Print one JSON object per image (image models).")
    var json = false

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be positive") }
    }

    func run() throws {
        let trained = try file.load()
        guard case let .image(pixels) = trained.description.preprocessing else { return try predictTable(trained) }
        let file = try IDXArray(contentsOf: URL(fileURLWithPath: input))
        guard file.elementType == .uint8, file.shape.count >= 2 else {
            throw DataError.malformed(path: input, reason: "expected uint8 images [count, …], found \(file.elementType) \(file.shape)")
        }
        var images = file.tensor(scale: pixels.scale)
        if let limit, limit < images.shape[0] { images = images[0..<limit] }
        let probabilities = try trained.probabilities(images)
        let rows = probabilities.asArray(Double.self)
        let names = trained.description.classNames
        let classes = names.count
        for index in 0..<probabilities.shape[0] {
            let row = Array(rows[(index * classes)..<((index + 1) * classes)])
            let best = mostProbableClass(row[...])
            if json {
                let values = row.map { String(format: "%.6f", $0) }.joined(separator: ", ")
                print("{\"index\": \(index), \"class\": \(best), \"name\": \"\(names[best])\", \"probabilities\": [\(values)]}")
            } else {
                print(String(format: "%5d  class %@  p=%.4f", index, names[best], row[best]))
            }
        }
    }

    private func predictTable(_ trained: TrainedModel) throws {
        var table = try TableFile.read(URL(fileURLWithPath: input), features: trained.configuration?.data.features).table
        if let limit, limit < table.rowCount { table = table.prefix(limit) }
        let features = try trained.features(of: table, warn: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
        let values = try trained.predictions(features)
        let target = trained.description.target
        var lines: [String]
        switch target.kind {
        case let .classes(names):
            lines = [(["prediction"] + names.map { "probability_\($0)" }).map(CSVText.field).joined(separator: ",")]
            for row in 0..<table.rowCount {
                let p = values[(row * names.count)..<((row + 1) * names.count)]
                let best = mostProbableClass(p)
                lines.append(([CSVText.field(names[best])] + p.map { String(format: "%.6g", $0) }).joined(separator: ","))
            }
        case let .values(means, _):
            let k = means.count
            lines = [(k == 1 ? ["prediction"] : target.names.map { "prediction_\($0)" }).map(CSVText.field).joined(separator: ",")]
            for row in 0..<table.rowCount {
                lines.append(values[(row * k)..<((row + 1) * k)].map { String(format: "%.8g", $0) }.joined(separator: ","))
            }
        }
        let text = lines.joined(separator: "\n") + "\n"
        if let output {
            try AtomicFile.write(Array(text.utf8), to: URL(fileURLWithPath: output))
            print("wrote \(output): \(table.rowCount) predictions")
        } else {
            print(text, terminator: "")
        }
    }
}

/// The position, counted from the slice's start, of the largest of one example's class
/// probabilities.
func mostProbableClass(_ probabilities: ArraySlice<Double>) -> Int {
    probabilities.indices.max { probabilities[$0] < probabilities[$1] }! - probabilities.startIndex
}

/// Writing CSV fields (RFC 4180 quoting where needed).
enum CSVText {
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
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
