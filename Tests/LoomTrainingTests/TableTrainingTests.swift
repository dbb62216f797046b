import Foundation
import Loom
import LoomData
import LoomNN
import LoomOptimizers
import Testing

@testable import LoomCommandLine
@testable import LoomTraining

/// Training on the user's own tables, end to end: sources, column kinds, tasks, model files
/// that predict on new rows, and bad input refused before anything is written.
@Suite("Training on tables", .serialized)
struct TableTrainingTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/tables")
    static let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Data").standardized

    func configuration(_ file: String, target: [String]? = nil, _ change: (inout TrainingConfiguration) -> Void = { _ in })
        -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.data.file = file
        c.data.targets = target
        c.model.hiddenWidths = [32]
        c.seed = 3
        change(&c)
        return c
    }

    /// A table with a number, a category, a boolean and a missing cell; the class is "big"
    /// when size + (color == red) exceeds 5.
    func writePets(_ directory: URL, rows: Int = 200, missing: Bool = true) throws -> URL {
        var generator = SeededGenerator(seed: 9)
        var lines = ["size;color;indoor;class"]
        for i in 0..<rows {
            let size = Double(generator.next(upperBound: UInt64(1000))) / 100
            let color = ["red", "green", "blue"][Int(generator.next(upperBound: UInt64(3)))]
            let indoor = generator.next(upperBound: UInt64(2)) == 0 ? "true" : "False"
            let big = size + (color == "red" ? 1 : 0) > 5
            lines.append("\(missing && i == 7 ? "" : String(size));\"\(color)\";\(indoor);\(big ? "big" : "small")")
        }
        let url = directory.appendingPathComponent("pets.csv")
        try (lines.joined(separator: "\r\n") + "\r\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test("a CSV with numbers, categories, booleans and an imputed cell trains, and its model file predicts new rows by column name")
    func csvClassification() throws {
        let directory = try temporaryDirectory("pets")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try writePets(directory)
        #expect(throws: DataError.self) { try TrainingRun(configuration: configuration(file.path, target: ["class"]), directory: nil) }
        let c = configuration(file.path, target: ["class"]) { $0.data.missing = .impute; $0.epochs = 40 }
        let run = try TrainingRun(configuration: c, directory: RunDirectory(directory.appendingPathComponent("run")))
        let summary = try run.run()
        #expect(summary.task == .classification)
        #expect(try #require(summary.testAccuracy) >= 0.85)
        #expect(run.data.train.count == 160 && run.data.test.count == 40)

        let model = try TrainedModel(file: directory.appendingPathComponent("run/checkpoint.safetensors"))
        #expect(model.description.classNames == ["big", "small"])
        guard case let .table(encoding) = model.description.preprocessing else { Issue.record("not a table model"); return }
        #expect(encoding.featureNames == ["size", "color=blue", "color=green", "color=red", "indoor"])
        // New rows: other column order, no target, an unseen category.
        let rows = try CSVReader.read(bytes: Array("indoor,color,size\ntrue,red,9.5\nfalse,green,0.5\ntrue,purple,1\n".utf8), source: "new.csv")
        #expect(throws: DataError.self) { try model.features(of: rows) }
        let known = rows.prefix(2)
        let probabilities = try model.predictions(model.features(of: known))
        #expect(probabilities[0] > 0.5 && probabilities[3] > 0.5, "9.5 + red is big, 0.5 + green is small: \(probabilities)")
    }

    @Test("regression on an .npz with several targets and on one target: targets standardized, scores in their units")
    func npzRegression() throws {
        let c = configuration(Self.fixtures.appendingPathComponent("linear.npz").path) { $0.epochs = 200; $0.model.hiddenWidths = [16] }
        let run = try TrainingRun(configuration: c, directory: nil)
        let summary = try run.run()
        #expect(summary.task == .regression)
        #expect(try #require(summary.testR2) > 0.9, "y is linear in x: R² \(summary.testR2 ?? 0)")
        #expect(summary.testAccuracy == nil)
        guard case let .values(means, deviations) = run.data.target.kind else { Issue.record("not regression"); return }
        #expect(abs(means[0] - 3) < 1 && deviations[0] > 1)
        // Huber's loss trains too.
        var huber = c
        huber.regressionLoss = .huber(delta: 1)
        #expect(try #require(TrainingRun(configuration: huber, directory: nil).run().testR2) > 0.9)
    }

    @Test("an .npz of string classes and an .npy whose last column is the class train to separate the blobs")
    func numpyClassification() throws {
        let npz = try TrainingRun(configuration: configuration(Self.fixtures.appendingPathComponent("blobs.npz").path), directory: nil)
        #expect(npz.data.target.kind == .classes(["left", "right", "top"]))
        #expect(try #require(npz.run().testAccuracy) >= 0.95)
        let npy = try TrainingRun(configuration: configuration(Self.fixtures.appendingPathComponent("blobs.npy").path, target: ["2"]), directory: nil)
        #expect(npy.data.target.kind == .classes(["0", "1", "2"]))
        #expect(try #require(npy.run().testAccuracy) >= 0.95)
        var forced = configuration(Self.fixtures.appendingPathComponent("blobs.npy").path, target: ["2"])
        forced.data.task = .regression
        #expect(try TrainingRun(configuration: forced, directory: nil).data.target.task == .regression)
    }

    @Test("a validation split, early stopping and best.safetensors")
    func earlyStopping() throws {
        let directory = try temporaryDirectory("early")
        defer { try? FileManager.default.removeItem(at: directory) }
        let c = configuration(Self.data.appendingPathComponent("iris.csv").path, target: ["species"]) {
            $0.data.validationFraction = 0.2
            $0.earlyStoppingPatience = 2
            $0.epochs = 400
            $0.optimizer = .adam(.init(learningRate: 0.05))
        }
        let run = try TrainingRun(configuration: c, directory: RunDirectory(directory))
        let summary = try run.run()
        #expect(summary.stoppedEarly && summary.epochs < 400)
        let best = try #require(summary.bestEpoch)
        #expect(summary.epochs - best == 2)
        let losses = run.history.compactMap(\.validationLoss)
        #expect(losses.count == summary.epochs && losses[best - 1] == losses.min())
        let bestModel = try TrainedModel(file: directory.appendingPathComponent("best.safetensors"))
        #expect(bestModel.metadata["epochs"] == String(best))
        #expect(!bestModel.hasOptimizerState)
        #expect(abs(try bestModel.scores(run.data.validation!).loss - losses[best - 1]) < 1e-6)
    }

    @Test("bad tables are one line naming the file, the row and the column, and nothing is written", arguments: [
        ("ragged", "a,b,y\n1,2,0\n3,0\n", "row 3"),
        ("text in numbers", "a,b,y\n" + (1...30).map { "\($0),1,\($0 % 2)" }.joined(separator: "\n") + "\nabc,1,0\n", "\"abc\" is not a number"),
        ("empty", "", "empty"),
        ("header only", "a,b,y\n", "no data rows"),
        ("duplicate names", "a,a,y\n1,2,0\n", "a"),
        ("single class", "a,y\n1,0\n2,0\n3,0\n4,0\n5,0\n", "single class"),
        ("missing target", "a,b\n1,2\n", "no column \"y\""),
        ("infinite", "a,y\n1e999,0\n2,1\n", "row 2"),
        ("missing cell", "a,y\n1,0\n,1\n3,0\n4,1\n5,0\n", "missing value"),
    ])
    func badTables(name: String, text: String, expected: String) throws {
        let directory = try temporaryDirectory("bad-table")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("t.csv")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let output = directory.appendingPathComponent("run")
        do {
            _ = try TrainingRun(configuration: configuration(file.path, target: ["y"]) { $0.data.testFraction = 0 }, directory: RunDirectory(output)).run()
            Issue.record("\(name): accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains(expected), "\(name): \(message)")
            #expect(!message.contains("\n"), "\(name): one line")
        }
        #expect((try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? [] == [], "\(name): nothing written")
    }

    @Test("the command line maps --data FILE --target --features --test-fraction --validation-fraction --task --loss --missing --early-stopping")
    func commandLine() throws {
        let c = try Train.parse([
            "--data", "t.csv", "--target", "a,b", "--features", "x,y", "--test-fraction", "0.1", "--validation-fraction", "0.2",
            "--task", "regression", "--loss", "huber", "--missing", "impute", "--unknown-categories", "ignore", "--early-stopping", "5",
        ]).makeConfiguration()
        #expect(c.data.file == "t.csv" && c.data.targets == ["a", "b"] && c.data.features == ["x", "y"])
        #expect(c.data.testFraction == 0.1 && c.data.validationFraction == 0.2 && c.data.task == .regression)
        #expect(c.regressionLoss == .huber(delta: 1) && c.data.missing == .impute && c.data.unknownCategories == .ignore)
        #expect(c.earlyStoppingPatience == 5)
        #expect(throws: (any Error).self) { try Train.parse(["--early-stopping", "3"]).makeConfiguration() }  // no validation split
        #expect(try Train.parse(["--data", NSTemporaryDirectory()]).makeConfiguration().data.directory != nil)
    }
}

@Suite("Image sets that cannot train")
struct BadImageSetTests {
    /// IDX images `[count, side, side]` of zeros and their labels.
    func write(_ directory: URL, split: String, count: Int, side: Int) throws {
        func be(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(v).bigEndian) { Array($0) } }
        let images = be(0x803) + be(count) + be(side) + be(side) + [UInt8](repeating: 0, count: count * side * side)
        let labels = be(0x801) + be(count) + [UInt8](repeating: 0, count: count)
        try Data(images).write(to: directory.appendingPathComponent("\(split)-images-idx3-ubyte"))
        try Data(labels).write(to: directory.appendingPathComponent("\(split)-labels-idx1-ubyte"))
    }

    @Test("no training images, or test images of another size, are one clear error before training")
    func refused() throws {
        let empty = try temporaryDirectory("idx-empty"), sizes = try temporaryDirectory("idx-sizes")
        defer { try? FileManager.default.removeItem(at: empty); try? FileManager.default.removeItem(at: sizes) }
        try write(empty, split: "train", count: 0, side: 8)
        try write(empty, split: "test", count: 5, side: 8)
        try write(sizes, split: "train", count: 10, side: 8)
        try write(sizes, split: "test", count: 5, side: 7)
        var c = TrainingConfiguration()
        c.data = .init(dataset: .mnist, directory: empty.path)
        #expect(throws: DataError.malformed(path: empty.path, reason: "the training split has no examples")) { try TrainingRun(configuration: c, directory: nil) }
        c.data.directory = sizes.path
        #expect(throws: DataError.mismatch("\(sizes.path): the test images are 49 features, the training images 64")) { try TrainingRun(configuration: c, directory: nil) }
    }
}
