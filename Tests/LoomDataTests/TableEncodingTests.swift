import Foundation
import Loom
import Testing

@testable import LoomData

/// Tables becoming features and targets: encodings fitted on the training rows only.
@Suite("Table encodings")
struct TableEncodingTests {
    /// size (numbers, one missing), color (categories, one missing), ok (booleans), kind (the target).
    func table() -> Table {
        Table(names: ["size", "color", "ok", "kind"],
              columns: [.numbers([1, 2, 3, .nan, 10]),
                        .text(codes: [0, 1, 0, 2, -1], values: ["red", "blue", "green"]),
                        .text(codes: [0, 1, 1, 0, 0], values: ["true", "FALSE"]),
                        .text(codes: [0, 1, 0, 1, 0], values: ["cat", "dog"])],
              rowCount: 5, source: "pets.csv")
    }

    @Test("numbers are standardized with the training rows' mean and deviation, categories one-hot, booleans 0/1")
    func encodes() throws {
        let t = table()
        let encoding = try FeatureEncoding.fit(t, columns: ["size", "color", "ok"], rows: [0, 1, 2], missing: .impute,
                                               unknownCategories: .ignore)
        #expect(encoding.featureNames == ["size", "color=blue", "color=red", "ok"])
        guard case let .numeric(mean, deviation, fill) = encoding.columns[0].kind else { Issue.record("size is not numeric"); return }
        #expect(mean == 2 && abs(deviation - (2.0 / 3).squareRoot()) < 1e-12 && fill == 2)
        // "green" was not in the training rows: ignored (all zeros); row 3's size is imputed by the median 2.
        var warnings: [String] = []
        let x = try encoding.encode(t, warn: { warnings.append($0) }).asArray(Float.self)
        let d = Float(deviation)
        let expected: [Float] = [(1 - 2) / d, 0, 1, 1,
                                 0, 1, 0, 0,
                                 1 / d, 0, 1, 0,
                                 0, 0, 0, 1,
                                 8 / d, 0, 1, 1]  // row 4's missing color is the most frequent ("red")
        #expect(zip(x, expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(x)")
        #expect(warnings.count == 1 && warnings[0].contains("\"green\""))
    }

    @Test("missing cells and unknown categories are errors naming the row and column unless asked otherwise")
    func refuses() throws {
        let t = table()
        let strict = try FeatureEncoding.fit(t, columns: ["size", "color"], rows: [0, 1, 2], missing: .error, unknownCategories: .error)
        #expect(throws: DataError.malformed(path: "pets.csv", reason: "row 5, column \"size\": missing value (pass --missing impute to fill it)")) {
            try strict.encode(t, rows: [0, 3])
        }
        #expect(try strict.encode(t, rows: [2]).shape == [1, 3])
        do {
            _ = try FeatureEncoding.fit(t, columns: ["size", "color"], rows: [0, 1, 2], missing: .impute, unknownCategories: .error)
                .encode(t, rows: [3])
            Issue.record("an unknown category was accepted")
        } catch let DataError.malformed(path, reason) {
            #expect(path == "pets.csv" && reason.hasPrefix("row 5, column \"color\": unknown category \"green\""))
        }
        #expect(throws: DataError.self) { try t.columnIndex("weight") }
    }

    @Test("the task follows from the target: text or few integers are classes, other numbers values")
    func targets() throws {
        let t = table()
        let classes = try TargetEncoding.fit(t, names: ["kind"], rows: [0, 1, 2, 3, 4], task: nil)
        #expect(classes.kind == .classes(["cat", "dog"]))
        #expect(try classes.encode(t, rows: [0, 1, 3]).asArray(Int64.self) == [0, 1, 1])
        let values = try TargetEncoding.fit(t, names: ["size"], rows: [0, 1, 2], task: nil)
        #expect(values.task == .classification, "three distinct integers are taken for classes")
        let regression = try TargetEncoding.fit(t, names: ["size"], rows: [0, 1, 2], task: .regression)
        guard case let .values(means, deviations) = regression.kind else { Issue.record("not regression"); return }
        let y = try regression.encode(t, rows: [0, 2]).asArray(Float.self)
        #expect(abs(Double(y[0]) * deviations[0] + means[0] - 1) < 1e-6 && abs(Double(y[1]) * deviations[0] + means[0] - 3) < 1e-6)
        #expect(regression.restore([Double(y[1])], count: 1).map { ($0 * 1e6).rounded() / 1e6 } == [3])
        #expect(throws: DataError.self) { try TargetEncoding.fit(t, names: ["kind"], rows: [0, 2, 4], task: nil) }  // one class
        #expect(throws: DataError.self) { try TargetEncoding.fit(t, names: ["size"], rows: [0, 3], task: .regression) }  // missing target
        #expect(throws: DataError.self) { try TargetEncoding.fit(t, names: ["color"], rows: [0, 1], task: .regression) }  // text
    }
}

@Suite("Data loader bounds")
struct DataLoaderBoundsTests {
    @Test("a batch size as large as Int.max gives one batch of everything, without overflow")
    func hugeBatch() throws {
        let data = try LabeledDataset(inputs: Tensor.zeros([5, 2]), labels: Tensor(shape: [5], scalars: [0, 1, 0, 1, 0] as [Int64]), classCount: 2)
        let loader = DataLoader(data, batchSize: Int.max, shuffles: true, seed: 1)
        #expect(loader.batchCount == 1)
        #expect(Array(loader.batches(epoch: 0)).map(\.indices.count) == [5])
        #expect(DataLoader(data, batchSize: 2, shuffles: false).batchCount == 3)
    }
}
