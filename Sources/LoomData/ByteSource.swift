import CZlib
import Foundation

/// Bytes read in blocks, so that a reader holds a block of a large file, never the whole text.
protocol ByteSource: AnyObject {
    /// Fills the start of `buffer` with the next bytes and returns how many; 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Bytes produced so far and the whole stream's size: exact for plain input, extrapolated
    /// from the ratio so far for gzip. For reserving storage, never for correctness.
    var estimatedTotalBytes: Int? { get }
}

/// Bytes already in memory.
final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = Swift.min(buffer.count, bytes.count - offset)
        if count > 0 {
            bytes.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
            }
        }
        offset += count
        return count
    }

    var estimatedTotalBytes: Int? { bytes.count }
}

/// A file read sequentially with read(2), straight into the caller's block.
final class FileSource: ByteSource {
    private let handle: FileHandle
    private let path: String
    let size: Int?

    init(url: URL) throws {
        path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError.unreadable(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw DataError.unreadable(path: path, reason: "it is a directory") }
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw DataError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
    }

    deinit { try? handle.close() }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            let count = readFile(handle.fileDescriptor, buffer.baseAddress!, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw DataError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
    }

    var estimatedTotalBytes: Int? { size }
}

// NOTE: at file scope, because inside `FileSource` the name `read` is its own method.
private func readFile(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

/// A gzip stream (all members, as `gunzip` reads them) over another source, inflated block by
/// block with a cap on the total output, so a "gzip bomb" stops at `limit` bytes of text.
final class GzipSource: ByteSource {
    private let input: ByteSource
    private let path: String
    private let limit: Int
    // zlib keeps a pointer back to its z_stream: it must not move, so it lives on the heap.
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let inputBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
    private var inputEnded = false
    private var streamEnded = false
    private var consumed = 0, produced = 0

    init(input: ByteSource, path: String, limit: Int) throws {
        self.input = input
        self.path = path
        self.limit = limit
        stream.initialize(to: z_stream())
        // 15 + 16: a 32 KiB window, gzip framing only.
        guard inflateInit2_(stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            inputBuffer.deallocate()
            throw DataError.malformed(path: path, reason: "zlib could not start")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        inputBuffer.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_out = UInt32(Swift.min(buffer.count, Int(UInt32.max)))
        let capacity = Int(stream.pointee.avail_out)
        while stream.pointee.avail_out > 0 {
            if stream.pointee.avail_in == 0 && !inputEnded {
                let count = try input.read(into: inputBuffer)
                consumed += count
                if count == 0 { inputEnded = true }
                stream.pointee.next_in = inputBuffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.pointee.avail_in = UInt32(count)
            }
            if streamEnded {
                // Another member follows only if input remains; trailing nothing ends the stream.
                if stream.pointee.avail_in == 0 && inputEnded { break }
                guard inflateReset(stream) == Z_OK else { throw fail("cannot read the next gzip member") }
                streamEnded = false
            }
            let before = stream.pointee.avail_out
            let status = inflate(stream, Z_NO_FLUSH)
            switch status {
            case Z_STREAM_END: streamEnded = true
            case Z_OK: break
            case Z_BUF_ERROR:
                if inputEnded && stream.pointee.avail_in == 0 { throw fail("the gzip data is truncated") }
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                throw fail("corrupt gzip data (\(message))")
            }
            if inputEnded && stream.pointee.avail_in == 0 && !streamEnded && before == stream.pointee.avail_out {
                throw fail("the gzip data is truncated")
            }
        }
        let count = capacity - Int(stream.pointee.avail_out)
        produced += count
        guard produced <= limit else { throw fail("decompresses to more than \(limit) bytes (CSVOptions.maximumDecompressedBytes)") }
        return count
    }

    var estimatedTotalBytes: Int? {
        guard let total = input.estimatedTotalBytes, consumed > 0 else { return nil }
        return Int(Double(total) * Double(produced) / Double(consumed))
    }

    private func fail(_ reason: String) -> DataError { .malformed(path: path, reason: reason) }
}
