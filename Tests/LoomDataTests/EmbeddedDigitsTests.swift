import Foundation
import Testing

@testable import LoomData

/// Sources/LoomData/Resources/digits, the committed files the embedded copy is made from.
let committedDigitsDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Sources/LoomData/Resources/digits")

@Suite struct EmbeddedDigitsTests {
    @Test("the embedded bytes equal the committed .gz files (else rerun Scripts/embed-digits.py)",
          arguments: ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "test-images-idx3-ubyte.gz", "test-labels-idx1-ubyte.gz"])
    func embeddedBytesEqualTheCommittedFiles(name: String) throws {
        let committed = try Data(contentsOf: committedDigitsDirectory.appendingPathComponent(name))
        let text = try #require(EmbeddedDigits.base64Files[name])
        let embedded = try #require(Data(base64Encoded: text, options: .ignoreUnknownCharacters))
        #expect(embedded == committed)
        #expect(EmbeddedDigits.base64Files.count == 4)
    }

    @Test func digitsLoadWithNoDirectoryAndAreAvailable() throws {
        #expect(ImageDataset.digits.isEmbedded)
        #expect(ImageDataset.digits.defaultDirectory == nil)
        #expect(ImageDataset.digits.isAvailable())
        #expect(ImageDataset.digits.defaultLocationDescription == "bundled (embedded in the binary)")
        #expect(!ImageDataset.mnist.isAvailable())
        let splits = try ImageDataset.digits.load()
        #expect(splits.train.count == 1437)
        #expect(splits.test.count == 360)
        #expect(splits.train.exampleShape == [64])
        #expect(splits.test.exampleShape == [64])
        #expect(splits.train.classCount == 10)
    }

    @Test func digitsFromADirectoryEqualTheEmbeddedOnes() throws {
        #expect(ImageDataset.digits.isAvailable(in: committedDigitsDirectory))
        let fromFiles = try ImageDataset.digits.load(from: committedDigitsDirectory)
        let embedded = try ImageDataset.digits.load()
        #expect(fromFiles.train.inputs.asArray(Double.self) == embedded.train.inputs.asArray(Double.self))
        #expect(fromFiles.test.labels.asArray(Int64.self) == embedded.test.labels.asArray(Int64.self))
        // --data DIR still means DIR: an empty one has no digits.
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("loom-no-digits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(!ImageDataset.digits.isAvailable(in: empty))
        #expect(throws: DataError.self) { try ImageDataset.digits.load(from: empty) }
    }
}
