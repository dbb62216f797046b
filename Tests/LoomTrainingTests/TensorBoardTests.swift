import Foundation
import Testing

@testable import LoomTraining

/// The event files against known values: CRC-32C's published check values, and the bytes
/// that TensorBoard's own writer (`tensorboard.summary.writer.record_writer`, protobuf
/// `event_pb2`) produced for the same two events.
@Suite("TensorBoard event files")
struct TensorBoardTests {
    static func bytes(hex: String) -> [UInt8] {
        stride(from: 0, to: hex.count, by: 2).map { offset in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
    }

    /// `Event(wall_time=1.5, file_version="brain.Event:2")`, then `Event(wall_time=2.25,
    /// step=3, summary={value {tag: "loss/train", simple_value: 0.5}})`, framed by TensorBoard.
    static let tensorBoardRecords = bytes(hex: "1800000000000000a37f4b2209000000000000f83f1a0d627261696e2e4576656e743a322a28646c"
        + "200000000000000029eda95009000000000000024010032a130a110a0a6c6f73732f747261696e150000003f534f5d2c")
    static let events = [
        TensorBoardEvent(wallTime: 1.5, step: 0, content: .fileVersion("brain.Event:2")),
        TensorBoardEvent(wallTime: 2.25, step: 3, content: .scalars([.init("loss/train", 0.5)])),
    ]

    @Test("CRC-32C gives RFC 3720's check values, and the mask is TensorFlow's")
    func checksums() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map(UInt8.init)) == 0x46DD_794E)
        // tensorboard.compat.tensorflow_stub.pywrap_tensorflow.masked_crc32c(b"123456789")
        #expect(CRC32C.masked(Array("123456789".utf8)) == 0xC78A_B0E5)
    }

    @Test("events encode and frame to the bytes TensorBoard writes, and read back")
    func framing() {
        #expect(Self.events.flatMap { TFRecord.frame($0.encoded) } == Self.tensorBoardRecords)
        #expect(TFRecord.records(in: Self.tensorBoardRecords).compactMap(TensorBoardEvent.init(decoding:)) == Self.events)
    }

    @Test("a damaged or truncated file reads up to the damage, without trapping")
    func damage() {
        let whole = Self.tensorBoardRecords
        #expect(TFRecord.records(in: Array(whole.dropLast(3))).count == 1)
        #expect(TFRecord.records(in: Array(whole.prefix(5))).isEmpty)
        var flipped = whole
        flipped[whole.count - 10] ^= 1
        #expect(TFRecord.records(in: flipped).count == 1)
        var hugeLength = whole
        hugeLength[7] = 0x7F
        hugeLength[8...11] = ArraySlice(TFRecord.littleEndianBytes(CRC32C.masked(Array(hugeLength[0..<8]))))
        #expect(TFRecord.records(in: hugeLength).isEmpty)
        #expect(TensorBoardEvent(decoding: [0x0A, 0xFF, 0xFF]) == nil)
        #expect(TensorBoardEvent(decoding: [0x09, 1, 2]) == nil)
    }

    @Test("a training run writes one event per epoch with its metrics; a resume keeps only the epochs it holds")
    func trainingRun() throws {
        let url = try temporaryDirectory("events")
        defer { try? FileManager.default.removeItem(at: url) }
        var c = TrainingConfiguration()
        c.model.hiddenWidths = [16]
        c.epochs = 3
        c.data.validationFraction = 0.2
        try TrainingRun(configuration: c, directory: RunDirectory(url)).run()
        let files = EventFileWriter.files(in: url)
        #expect(files.count == 1)
        let events = EventFileWriter.events(at: files[0])
        #expect(events.first?.content == .fileVersion("brain.Event:2"))
        let metrics = try RunDirectory(url).readMetrics(EpochMetrics.self)
        #expect(events.dropFirst().map(\.step) == metrics.map { Int64($0.epoch) })
        for (event, epoch) in zip(events.dropFirst(), metrics) {
            guard case .scalars(let scalars) = event.content else { Issue.record("epoch \(epoch.epoch) has no scalars"); continue }
            let byTag = Dictionary(uniqueKeysWithValues: scalars.map { ($0.tag, $0.value) })
            #expect(byTag["loss/train"] == Float(epoch.trainLoss))
            #expect(byTag["loss/validation"] == Float(try #require(epoch.validationLoss)))
            #expect(byTag["accuracy/test"] == Float(try #require(epoch.testAccuracy)))
            #expect(byTag["learning_rate"] == Float(epoch.learningRate))
        }
        // A resume after epoch 2 (as if killed before epoch 3's checkpoint) drops epoch 3's event.
        let writer = try EventFileWriter(directory: url, keepingStepsThrough: 2)
        #expect(writer.url == files[0] && writer.isContinued)
        #expect(EventFileWriter.events(at: files[0]).map(\.step) == [0, 1, 2])
        // Starting over replaces the file.
        let fresh = try EventFileWriter(directory: url)
        #expect(EventFileWriter.files(in: url) == [fresh.url])
        #expect(EventFileWriter.events(at: fresh.url).count == 1)
    }
}
