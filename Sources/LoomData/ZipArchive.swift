import CZlib
import Foundation

/// The entries of a ZIP archive (what `np.savez` writes): the central directory, ZIP64 sizes
/// and offsets, entries stored (method 0) or deflated (method 8), each checked against its
/// CRC-32. Every offset and size is checked against the archive's bytes before use.
enum ZipArchive {
    struct Entry {
        var name: String
        var method: UInt16
        var crc: UInt32
        var compressedSize: Int
        var size: Int
        var localHeaderOffset: Int
    }

    /// Little-endian integers at checked offsets.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        let path: String

        func fail(_ reason: String) -> DataError { .malformed(path: path, reason: "bad zip archive: \(reason)") }

        func integer(_ offset: Int, _ size: Int) throws -> Int {
            guard offset >= 0, size <= bytes.count, offset <= bytes.count - size else {
                throw fail("a record at byte \(offset) runs past the end of the file (\(bytes.count) bytes; truncated?)")
            }
            var value: UInt64 = 0
            for k in (0..<size).reversed() { value = value << 8 | UInt64(bytes[offset + k]) }
            guard value <= UInt64(Int.max) else { throw fail("a size or offset at byte \(offset) is out of range") }
            return Int(value)
        }

        func u16(_ offset: Int) throws -> Int { try integer(offset, 2) }
        func u32(_ offset: Int) throws -> Int { try integer(offset, 4) }
        func u64(_ offset: Int) throws -> Int { try integer(offset, 8) }
    }

    static func entries(_ bytes: UnsafeRawBufferPointer, path: String) throws -> [Entry] {
        let reader = Reader(bytes: bytes, path: path)
        // The end-of-central-directory record: 22 bytes and a comment of up to 65535.
        let lowest = Swift.max(0, bytes.count - 22 - 0xFFFF)
        guard bytes.count >= 22, let end = stride(from: bytes.count - 22, through: lowest, by: -1).first(where: { (try? reader.u32($0)) == 0x0605_4B50 }) else {
            throw reader.fail("no end-of-central-directory record (not a zip file, or truncated)")
        }
        var count = try reader.u16(end + 10)
        var directorySize = try reader.u32(end + 12)
        var directoryOffset = try reader.u32(end + 16)
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: a locator just before points at the ZIP64 end record.
            guard end >= 20, try reader.u32(end - 20) == 0x0706_4B50 else { throw reader.fail("ZIP64 sizes without a ZIP64 locator") }
            let record = try reader.u64(end - 20 + 8)
            guard try reader.u32(record) == 0x0606_4B50 else { throw reader.fail("the ZIP64 end record is missing") }
            count = try reader.u64(record + 32)
            directorySize = try reader.u64(record + 40)
            directoryOffset = try reader.u64(record + 48)
        }
        guard directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset else {
            throw reader.fail("the central directory (\(directorySize) bytes at \(directoryOffset)) lies past the end of the file")
        }
        // Each directory record is at least 46 bytes: a count past that is a lie.
        guard count <= directorySize / 46 else { throw reader.fail("\(count) entries cannot fit in a directory of \(directorySize) bytes") }
        var entries: [Entry] = []
        var offset = directoryOffset
        for _ in 0..<count {
            guard try reader.u32(offset) == 0x0201_4B50 else { throw reader.fail("a central directory record is corrupt at byte \(offset)") }
            let flags = try reader.u16(offset + 8)
            let method = try reader.u16(offset + 10)
            let crc = try reader.u32(offset + 16)
            var compressedSize = try reader.u32(offset + 20)
            var size = try reader.u32(offset + 24)
            let nameLength = try reader.u16(offset + 28)
            let extraLength = try reader.u16(offset + 30)
            let commentLength = try reader.u16(offset + 32)
            var localOffset = try reader.u32(offset + 42)
            let nameStart = offset + 46
            _ = try reader.integer(nameStart, nameLength + extraLength)
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[nameStart..<(nameStart + nameLength)]), as: UTF8.self)
            // The ZIP64 extra field holds, in order, only the values saturated above.
            var extra = nameStart + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let tag = try reader.u16(extra), length = try reader.u16(extra + 2)
                if tag == 0x0001 {
                    var field = extra + 4
                    if size == 0xFFFF_FFFF { size = try reader.u64(field); field += 8 }
                    if compressedSize == 0xFFFF_FFFF { compressedSize = try reader.u64(field); field += 8 }
                    if localOffset == 0xFFFF_FFFF { localOffset = try reader.u64(field); field += 8 }
                    guard field <= extra + 4 + length else { throw reader.fail("the ZIP64 field of \(name) is too short") }
                }
                extra += 4 + length
            }
            guard flags & 1 == 0 else { throw reader.fail("\(name) is encrypted") }
            guard method == 0 || method == 8 else {
                throw reader.fail("\(name) uses compression method \(method); Loom reads stored (0) and deflated (8) entries")
            }
            if method == 0 && compressedSize != size { throw reader.fail("\(name) is stored but its sizes differ") }
            entries.append(Entry(name: name, method: UInt16(method), crc: UInt32(crc), compressedSize: compressedSize, size: size, localHeaderOffset: localOffset))
            offset = extraEnd + commentLength
        }
        return entries
    }

    /// Calls `body` with an entry's bytes: a slice of the archive when stored, inflated when
    /// deflated (to at most its declared size, which deflate's 1032:1 ratio bounds), after
    /// checking the CRC-32.
    static func withContents<T>(of entry: Entry, in bytes: UnsafeRawBufferPointer, path: String, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        let reader = Reader(bytes: bytes, path: path)
        let local = entry.localHeaderOffset
        guard try reader.u32(local) == 0x0403_4B50 else { throw reader.fail("the local header of \(entry.name) is missing") }
        let dataStart = local + 30 + (try reader.u16(local + 26)) + (try reader.u16(local + 28))
        guard dataStart <= bytes.count, entry.compressedSize <= bytes.count - dataStart else {
            throw reader.fail("\(entry.name) (\(entry.compressedSize) bytes at \(dataStart)) runs past the end of the file (truncated?)")
        }
        let compressed = UnsafeRawBufferPointer(rebasing: bytes[dataStart..<(dataStart + entry.compressedSize)])
        func checked(_ contents: UnsafeRawBufferPointer) throws -> T {
            let crc = UInt32(crc32(0, contents.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(contents.count)))
            guard crc == entry.crc else { throw reader.fail("\(entry.name) fails its CRC-32 check (corrupt)") }
            return try body(contents)
        }
        if entry.method == 0 { return try checked(compressed) }
        let (bound, overflow) = entry.compressedSize.multipliedReportingOverflow(by: 1032)
        guard overflow || entry.size <= bound + 1024 else {
            throw reader.fail("\(entry.name) claims \(entry.size) bytes from \(entry.compressedSize) compressed, more than deflate can produce")
        }
        let memory = ProcessInfo.processInfo.physicalMemory / 2
        guard UInt64(entry.size) <= memory else {
            throw reader.fail("\(entry.name) claims \(entry.size) bytes, more than half of this machine's memory")
        }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(entry.size, 1), alignment: 16)
        defer { output.deallocate() }
        let produced = try inflateRaw(compressed, into: output, name: entry.name, reader: reader)
        guard produced == entry.size else { throw reader.fail("\(entry.name) inflates to \(produced) bytes, its header says \(entry.size)") }
        return try checked(UnsafeRawBufferPointer(rebasing: output[0..<produced]))
    }

    private static func inflateRaw(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, name: String, reader: Reader) throws -> Int {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        // -15: raw deflate (no zlib or gzip framing), a 32 KiB window.
        guard inflateInit2_(stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw reader.fail("zlib could not start") }
        defer { inflateEnd(stream) }
        guard input.count <= Int(UInt32.max), output.count <= Int(UInt32.max) else {
            throw reader.fail("\(name) is larger than 4 GiB, which this reader does not inflate")
        }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(input.count)
        stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_out = UInt32(output.count)
        let status = inflate(stream, Z_FINISH)
        switch status {
        case Z_STREAM_END: return output.count - Int(stream.pointee.avail_out)
        case Z_BUF_ERROR where stream.pointee.avail_out == 0:
            throw reader.fail("\(name) inflates to more than its header's \(output.count) bytes")
        case Z_BUF_ERROR: throw reader.fail("the deflated data of \(name) is truncated")
        default:
            let message = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
            throw reader.fail("corrupt deflated data in \(name) (\(message))")
        }
    }
}
