import Foundation
import Loom
import Testing

@testable import LoomData

/// gzip-compresses `bytes` with the system zlib (a gzip header, deflate, the trailer).
func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-gz-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("x")
    try Data(bytes).write(to: file)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-n", "-9", file.path]
    try process.run()
    process.waitUntilExit()
    return [UInt8](try Data(contentsOf: directory.appendingPathComponent("x.gz")))
}

/// Hostile IDX and gzip input not covered by `IDXTests.rejectsMalformedFiles`: every case is a
/// ``DataError`` naming the file, never a trap or an allocation sized by the claimed shape.
@Suite struct ReliabilityIDXTests {
    @Test("a zero size does not hide sizes whose strides overflow", arguments: [
        [0, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], [0xFFFF_FFFF, 0, 0xFFFF_FFFF, 0xFFFF_FFFF],
    ])
    func zeroSizeWithHugeSizes(shape: [Int]) {
        expectMalformed(idxBytes(shape: shape, payload: []), containing: "overflow")
    }

    @Test("absurd claimed sizes with a few bytes of data are refused by length, not allocated")
    func absurdSizes() {
        expectMalformed(idxBytes(shape: [0xFFFF_FFFF], payload: [1, 2]), containing: "needs 4294967295 bytes of data, the file has 2")
        expectMalformed(idxBytes(type: 0x0E, shape: [0x7FFF_FFFF, 16], payload: [1]), containing: "truncated")
        // 255 dimensions declared, the header stops after one.
        expectMalformed([0, 0, 8, 255, 0, 0, 0, 1], containing: "255 dimensions need 1024 bytes")
    }

    @Test("an empty array is valid and converts to an empty tensor")
    func emptyArray() throws {
        let array = try IDXArray(bytes: idxBytes(shape: [0, 28, 28], payload: []), path: "x")
        #expect(array.shape == [0, 28, 28])
        #expect(array.tensor().shape == [0, 28, 28])
    }

    @Test("every prefix of a valid file is refused with a typed error (truncated downloads)")
    func everyTruncation() throws {
        let bytes = idxBytes(type: 0x0B, shape: [2, 3], payload: Array(0..<12))
        for length in 0..<bytes.count {
            #expect(throws: DataError.self, "prefix of \(length) bytes") { try IDXArray(bytes: Array(bytes.prefix(length)), path: "x") }
        }
        #expect(try IDXArray(bytes: bytes, path: "x").shape == [2, 3])
    }

    @Test("gzip: every prefix of a compressed file is refused, and so is each flipped byte that breaks it")
    func gzipTruncationsAndBitFlips() throws {
        let plain = idxBytes(shape: [64], payload: (0..<64).map { UInt8($0 * 3 % 256) })
        let compressed = try gzipped(plain)
        #expect(try IDXArray(bytes: compressed, path: "x.gz").payload == Array(plain.dropFirst(8)))
        for length in 2..<compressed.count {
            #expect(throws: DataError.self, "prefix of \(length) bytes") { try IDXArray(bytes: Array(compressed.prefix(length)), path: "x.gz") }
        }
        // A flipped bit either still decodes (a header flag, the name) or is an error; never a trap.
        for position in 2..<compressed.count {
            var corrupt = compressed
            corrupt[position] ^= 0x10
            _ = try? IDXArray(bytes: corrupt, path: "x.gz")
        }
    }

    @Test("gzip: output past the limit (a decompression bomb) is refused")
    func decompressionBomb() throws {
        let compressed = try gzipped([UInt8](repeating: 0, count: 1 << 20))
        #expect(compressed.count < 2000)
        #expect(throws: DataError.malformed(path: "bomb.gz", reason: "decompresses to more than 65536 bytes")) {
            try Gzip.decompress(compressed, path: "bomb.gz", limit: 1 << 16)
        }
        #expect(try Gzip.decompress(compressed, path: "ok.gz").count == 1 << 20)
    }

    @Test("gzip: garbage after a complete member, and an empty member")
    func trailingGarbageAndEmptyMember() throws {
        let member = try gzipped(idxBytes(shape: [1], payload: [7]))
        do {
            _ = try IDXArray(bytes: member + [0x00, 0x42, 0x13], path: "x.gz")
            Issue.record("expected trailing garbage to be refused")
        } catch let error as DataError {
            #expect(error.description.contains("x.gz"))
            #expect(error.description.contains("gzip"))
        }
        // Two members concatenated are one file (as gunzip reads them).
        let two = try gzipped(idxBytes(shape: [2], payload: [7])) + (try gzipped([8]))
        #expect(try IDXArray(bytes: two, path: "x.gz").payload == [7, 8])
        expectMalformed(try gzipped([]), containing: "too short")
    }
}
