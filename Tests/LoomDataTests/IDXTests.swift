import Foundation
import Loom
import Testing

@testable import LoomData

/// Builds IDX bytes: magic, sizes, payload.
func idxBytes(type: UInt8 = 0x08, shape: [Int], payload: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, type, UInt8(shape.count)]
    for size in shape {
        bytes += [UInt8(size >> 24 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF)]
    }
    return bytes + payload
}

func expectMalformed(_ bytes: [UInt8], containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try IDXArray(bytes: bytes, path: "x.idx")
        Issue.record("expected an error containing '\(fragment)'", sourceLocation: sourceLocation)
    } catch let error as DataError {
        #expect(error.description.contains(fragment), "\(error.description)", sourceLocation: sourceLocation)
        #expect(error.description.contains("x.idx"), sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct IDXTests {
    @Test func bundledDigitsMatchTheirREADME() throws {
        let splits = try ImageDataset.digits.load()
        #expect(splits.train.count == 1437)
        #expect(splits.test.count == 360)
        #expect(splits.train.inputs.shape == [1437, 64])
        // README: train sample 0 is label 0 with first row 0 0 5 13 9 1 0 0; sample 1436 is 8;
        // test sample 0 is label 2 with first row 0 0 0 4 15 12 0 0; test 359 is 4.
        let train = splits.train, test = splits.test
        #expect(train.labels.scalar(at: [0], as: Int64.self) == 0)
        #expect(train.labels.scalar(at: [1436], as: Int64.self) == 8)
        #expect(test.labels.scalar(at: [0], as: Int64.self) == 2)
        #expect(test.labels.scalar(at: [359], as: Int64.self) == 4)
        let firstRow = (train.inputs[0, 0..<8] * 16).asArray(Double.self).map { $0.rounded() }
        #expect(firstRow == [0, 0, 5, 13, 9, 1, 0, 0])
        let testRow = (test.inputs[0, 0..<8] * 16).asArray(Double.self).map { $0.rounded() }
        #expect(testRow == [0, 0, 0, 4, 15, 12, 0, 0])
        // Sums of all pixel bytes and labels.
        #expect(((train.inputs.sum() * 16).item(Double.self)).rounded() == 448_984)
        #expect(((test.inputs.sum() * 16).item(Double.self)).rounded() == 112_734)
        #expect(train.labels.sum().item(Int64.self) == 6456)
        #expect(test.labels.sum().item(Int64.self) == 1614)
    }

    @Test func parsesEveryElementType() throws {
        let bytes = idxBytes(type: 0x0B, shape: [2], payload: [0xFF, 0xFE, 0x01, 0x00])
        #expect(try IDXArray(bytes: bytes, path: "x").tensor().asArray(Double.self) == [-2, 256])
        let floats = idxBytes(type: 0x0D, shape: [1], payload: [0x3F, 0xC0, 0x00, 0x00])
        #expect(try IDXArray(bytes: floats, path: "x").tensor().asArray(Double.self) == [1.5])
        let signed = idxBytes(type: 0x09, shape: [1, 2], payload: [0x80, 0x7F])
        let parsed = try IDXArray(bytes: signed, path: "x")
        #expect(parsed.shape == [1, 2])
        #expect(parsed.tensor().asArray(Double.self) == [-128, 127])
    }

    @Test func rejectsMalformedFiles() {
        expectMalformed([0, 0], containing: "too short")
        expectMalformed([1, 0, 8, 1, 0, 0, 0, 0], containing: "wrong magic number 0x01000801")
        expectMalformed([0, 0, 0x42, 1, 0, 0, 0, 0], containing: "unknown IDX element type 0x42")
        expectMalformed([0, 0, 8, 0], containing: "at least one dimension")
        expectMalformed([0, 0, 8, 3, 0, 0, 0, 1], containing: "truncated header")
        expectMalformed(idxBytes(shape: [4], payload: [1, 2, 3]), containing: "truncated: shape [4] needs 4 bytes of data, the file has 3")
        expectMalformed(idxBytes(shape: [2], payload: [1, 2, 3]), containing: "1 unexpected bytes")
        // A claimed size of 2^32−1 ⁴ elements overflows rather than allocating.
        expectMalformed(idxBytes(shape: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], payload: []), containing: "overflow")
        expectMalformed(idxBytes(shape: [0xFFFF_FFFF, 0xFFFF], payload: []), containing: "truncated")
    }

    @Test func rejectsCorruptAndTruncatedGzip() throws {
        let url = committedDigitsDirectory.appendingPathComponent("train-labels-idx1-ubyte.gz")
        let good = [UInt8](try Data(contentsOf: url))
        #expect(try IDXArray(bytes: good, path: "ok").shape == [1437])
        expectMalformed(Array(good.prefix(good.count / 2)), containing: "truncated")
        var corrupt = good
        for i in 20..<60 { corrupt[i] ^= 0x5A }
        expectMalformed(corrupt, containing: "gzip")
    }

    @Test func reportsMissingFilesAndDirectories() {
        let missing = URL(fileURLWithPath: "/nonexistent/loom-test")
        #expect(throws: DataError.self) { try ImageDataset.mnist.load(from: missing) }
        #expect(throws: DataError.self) { try ImageDataset.mnist.load() }
        #expect(throws: DataError.self) { try IDXArray(contentsOf: missing.appendingPathComponent("x.idx")) }
    }

    @Test func rejectsImageAndLabelCountsThatDisagree() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-idx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let images = idxBytes(shape: [3, 2, 2], payload: [UInt8](repeating: 1, count: 12))
        for split in ["train", "t10k"] {
            try Data(images).write(to: directory.appendingPathComponent("\(split)-images-idx3-ubyte"))
            try Data(idxBytes(shape: [2], payload: [1, 2])).write(to: directory.appendingPathComponent("\(split)-labels-idx1-ubyte"))
        }
        do {
            _ = try ImageDataset.mnist.load(from: directory)
            Issue.record("expected a count mismatch")
        } catch let error as DataError {
            #expect(error.description.contains("3 images but"))
            #expect(error.description.contains("2 labels"))
        }
    }
}

@Suite struct DataLoaderTests {
    func dataset(_ count: Int) throws -> LabeledDataset {
        try LabeledDataset(
            inputs: Tensor.arange(0, Double(count * 2)).reshaped([count, 2]),
            labels: Tensor(shape: [count], scalars: (0..<count).map { Int64($0 % 3) }), classCount: 3)
    }

    @Test func batchesCoverEveryExampleOnceWithPerEpochShuffles() throws {
        let loader = DataLoader(try dataset(10), batchSize: 4, shuffles: true, seed: 7)
        #expect(loader.batchCount == 3)
        let batches = Array(loader.batches(epoch: 0))
        #expect(batches.map { $0.indices.count } == [4, 4, 2])
        #expect(batches.flatMap(\.indices).sorted() == Array(0..<10))
        for batch in batches {
            // Rows really are the examples named by the indices.
            #expect(batch.inputs.asArray(Double.self) == batch.indices.flatMap { [Double(2 * $0), Double(2 * $0 + 1)] })
            #expect(batch.labels.asArray(Int64.self) == batch.indices.map { Int64($0 % 3) })
        }
        #expect(loader.order(epoch: 0) == DataLoader(try dataset(10), batchSize: 4, seed: 7).order(epoch: 0))
        #expect(loader.order(epoch: 0) != loader.order(epoch: 1))
        #expect(loader.order(epoch: 0) != Array(0..<10))
    }

    @Test func dropLastAndNoShuffle() throws {
        let loader = DataLoader(try dataset(10), batchSize: 4, shuffles: false, dropsLast: true)
        #expect(loader.batchCount == 2)
        #expect(Array(loader.batches(epoch: 3)).flatMap(\.indices) == Array(0..<8))
    }

    @Test func rejectsLabelsOutsideTheClasses() {
        #expect(throws: DataError.self) {
            try LabeledDataset(inputs: Tensor.zeros([2, 2]), labels: Tensor([0, 5], dtype: .int64), classCount: 3)
        }
        #expect(throws: DataError.self) {
            try LabeledDataset(inputs: Tensor.zeros([3, 2]), labels: Tensor([0, 1], dtype: .int64), classCount: 3)
        }
    }
}
