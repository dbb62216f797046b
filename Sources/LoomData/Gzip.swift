import CZlib
import Foundation
import Loom

/// gzip decompression through the system zlib.
public enum Gzip {
    /// Whether `bytes` start with the gzip magic number `1f 8b`.
    public static func isCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// The decompressed bytes of a gzip stream (all members, as `gunzip` does).
    ///
    /// - Parameters:
    ///   - path: names the source in error messages.
    ///   - limit: the largest output accepted, so a hostile file (a "zip bomb") cannot make
    ///   - bytes: the compressed stream.
    ///     the process allocate without bound.
    /// - Throws: ``DataError/malformed(path:reason:)`` for corrupt or truncated data, or
    ///   output past `limit`.
    public static func decompress(_ bytes: [UInt8], path: String, limit: Int = 1 << 31) throws -> [UInt8] {
        // Two passes: the first only counts, so that the output is checked against the
        // machine's memory and then allocated once at its exact size (growing an array by
        // appending would reserve up to twice the output, and copy it at every doubling).
        var size = 0
        try inflate(bytes, path: path, limit: limit) { size += $0.count }
        do {
            try MemoryRequirement.check(size, for: "decompressing \(path)")
        } catch let error as MemoryError {
            throw DataError.malformed(path: path, reason: error.description)
        }
        var output: [UInt8] = []
        output.reserveCapacity(size)
        try inflate(bytes, path: path, limit: limit) { output.append(contentsOf: $0) }
        return output
    }

    /// Inflates `bytes`, handing each block of output to `sink`.
    private static func inflate(_ bytes: [UInt8], path: String, limit: Int, sink: (UnsafeBufferPointer<UInt8>) -> Void) throws {
        var stream = z_stream()
        // 15 + 32: a 32 KiB window, and detect the gzip (or zlib) header automatically.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError.malformed(path: path, reason: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var total = 0
        let chunkSize = 1 << 16
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        try bytes.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = UInt32(input.count)
            while true {
                let status = chunk.withUnsafeMutableBufferPointer { buffer -> Int32 in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = UInt32(chunkSize)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunkSize - Int(stream.avail_out)
                guard total + produced <= limit else {
                    throw DataError.malformed(path: path, reason: "decompresses to more than \(limit) bytes")
                }
                total += produced
                chunk.withUnsafeBufferPointer { sink(UnsafeBufferPointer(rebasing: $0[0..<produced])) }
                switch status {
                case Z_STREAM_END:
                    // Another gzip member may follow; stop at the end of the input.
                    if stream.avail_in == 0 { return }
                    guard inflateReset(&stream) == Z_OK else {
                        throw DataError.malformed(path: path, reason: "cannot read the next gzip member")
                    }
                case Z_OK:
                    if stream.avail_in == 0 && produced == 0 {
                        throw DataError.malformed(path: path, reason: "the gzip data is truncated")
                    }
                case Z_BUF_ERROR:
                    if stream.avail_in == 0 {
                        throw DataError.malformed(path: path, reason: "the gzip data is truncated")
                    }
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw DataError.malformed(path: path, reason: "corrupt gzip data (\(message))")
                }
            }
        }
    }
}
