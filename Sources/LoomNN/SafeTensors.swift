import Foundation
import Loom

/// Errors reading or writing checkpoint files. Each names the file and what is wrong.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case incompatible(path: String, reason: String)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): "cannot read \(path): \(reason)"
        case let .malformed(path, reason): "\(path) is not a valid safetensors file: \(reason)"
        case let .incompatible(path, reason): "\(path) does not fit: \(reason)"
        case let .unwritable(path, reason): "cannot write \(path): \(reason)"
        }
    }
}

/// The safetensors format: an 8-byte little-endian header length `N`, `N` bytes of JSON
/// (`{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …,
/// "__metadata__": {string: string}}`), then the raw little-endian tensor bytes, offsets
/// relative to the end of the header. Readable by Python's `safetensors` and PyTorch.
public enum SafeTensors {
    /// Header sizes above this are refused before anything is allocated (the reference
    /// implementation's limit is 100 MB).
    public static let maximumHeaderSize = 100_000_000
    /// The deepest nesting of JSON objects and arrays accepted in a header (a valid one has 3).
    public static let maximumHeaderDepth = 64

    static func code(for dtype: DType) -> String {
        switch dtype {
        case .float32: "F32"
        case .float64: "F64"
        case .int32: "I32"
        case .int64: "I64"
        }
    }

    static func dtype(for code: String) -> DType? {
        switch code {
        case "F32": .float32
        case "F64": .float64
        case "I32": .int32
        case "I64": .int64
        default: nil
        }
    }

    /// The bytes of a safetensors file holding `tensors` (written in name order) and
    /// string `metadata`.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> [UInt8] {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let tensor = tensors[name]!
            let size = tensor.count * tensor.dtype.byteSize
            header[name] = ["dtype": code(for: tensor.dtype), "shape": tensor.shape, "data_offsets": [offset, offset + size]] as [String: Any]
            offset += size
        }
        var json = [UInt8](try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
        while json.count % 8 != 0 { json.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes += $0 }
        bytes += json
        for name in names {
            // Elements are stored little-endian, which is this machine's order.
            tensors[name]!.withUnsafeRawBytes { bytes += $0 }
        }
        return bytes
    }

    /// Parses safetensors bytes, validating the header length, the JSON, each dtype and
    /// shape, and that the offsets tile the data exactly (no gaps, overlaps or overruns).
    public static func decode(_ bytes: [UInt8], path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        func fail(_ reason: String) -> CheckpointError { .malformed(path: path, reason: reason) }
        guard bytes.count >= 8 else { throw fail("\(bytes.count) bytes is too short for the 8-byte header length") }
        let declared = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard declared <= UInt64(maximumHeaderSize) else { throw fail("header length \(declared) exceeds the limit of \(maximumHeaderSize) bytes") }
        let headerSize = Int(declared)
        guard headerSize <= bytes.count - 8 else { throw fail("header length \(headerSize) is beyond the end of the file (\(bytes.count) bytes)") }
        let headerBytes = Data(bytes[8..<(8 + headerSize)])
        guard String(data: headerBytes, encoding: .utf8) != nil else { throw fail("the header is not UTF-8") }
        // Before parsing: a recursive parser must not meet unbounded nesting.
        let scan = SafeTensorsHeaderScan(headerBytes, depthLimit: maximumHeaderDepth)
        guard scan.maximumDepth <= maximumHeaderDepth else {
            throw fail("the header nests deeper than \(maximumHeaderDepth) levels")
        }
        guard let object = try? JSONSerialization.jsonObject(with: headerBytes), let header = object as? [String: Any] else {
            throw fail("the header is not a JSON object")
        }
        // JSONSerialization keeps one of two equal keys without a word; a checkpoint with two
        // tensors of one name is ambiguous, so it is refused.
        if let duplicate = scan.duplicateKey { throw fail("the name \"\(duplicate)\" appears twice in the header") }
        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let values = raw as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
            metadata = values
        }
        let dataStart = 8 + headerSize
        let dataSize = bytes.count - dataStart
        var entries: [(name: String, dtype: DType, shape: [Int], begin: Int, end: Int)] = []
        for (name, raw) in header where name != "__metadata__" {
            guard let entry = raw as? [String: Any] else { throw fail("entry \"\(name)\" is not an object") }
            guard let code = entry["dtype"] as? String else { throw fail("\"\(name)\" has no dtype") }
            guard let dtype = dtype(for: code) else { throw fail("\"\(name)\" has dtype \(code); Loom reads F32, F64, I32 and I64") }
            guard let shape = integers(entry["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("\"\(name)\" has an invalid shape \(entry["shape"] ?? "nil")")
            }
            guard let offsets = integers(entry["data_offsets"]), offsets.count == 2 else {
                throw fail("\"\(name)\" has invalid data_offsets \(entry["data_offsets"] ?? "nil")")
            }
            // Sizes of 0 are skipped in the product, so [0, 2³², 2³²] is refused too: its
            // strides would overflow even though it holds no elements.
            guard shape.checkedProduct(ignoringZeros: true) != nil, let count = shape.checkedProduct(ignoringZeros: false),
                  case let (byteCount, false) = count.multipliedReportingOverflow(by: dtype.byteSize) else {
                throw fail("\"\(name)\" has a shape \(shape) whose size overflows")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, end >= begin, end <= dataSize else {
                throw fail("\"\(name)\" has offsets [\(begin), \(end)] outside the \(dataSize) data bytes")
            }
            guard end - begin == byteCount else {
                throw fail("\"\(name)\" of shape \(shape) (\(code)) needs \(byteCount) bytes, its offsets span \(end - begin)")
            }
            entries.append((name, dtype, shape, begin, end))
        }
        // The data must be tiled exactly, in offset order.
        var expected = 0
        for entry in entries.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
            guard entry.begin == expected else {
                throw fail(entry.begin < expected ? "\"\(entry.name)\" overlaps another tensor" : "a gap of \(entry.begin - expected) bytes precedes \"\(entry.name)\"")
            }
            expected = entry.end
        }
        guard expected == dataSize else { throw fail("\(dataSize - expected) bytes after the last tensor") }
        var tensors: [String: Tensor] = [:]
        for entry in entries {
            tensors[entry.name] = bytes.withUnsafeBytes { raw in
                tensor(from: UnsafeRawBufferPointer(rebasing: raw[(dataStart + entry.begin)..<(dataStart + entry.end)]), dtype: entry.dtype, shape: entry.shape)
            }
        }
        return (tensors, metadata)
    }

    private static func integers(_ value: Any?) -> [Int]? {
        guard let values = value as? [Any] else { return nil }
        var result: [Int] = []
        for value in values {
            // `true` parses as an NSNumber of 1 (of ObjC type "c", where JSON integers are "i"
            // or "q"); a shape of booleans is not a shape.
            guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
            let double = number.doubleValue
            guard double.rounded() == double, Swift.abs(double) < 9e15 else { return nil }
            result.append(number.intValue)
        }
        return result
    }

    private static func tensor(from raw: UnsafeRawBufferPointer, dtype: DType, shape: [Int]) -> Tensor {
        func read<T: TensorScalar>(_ type: T.Type) -> Tensor {
            let count = shape.reduce(1, *)
            var values = [T](repeating: .zero, count: count)
            values.withUnsafeMutableBytes { $0.copyMemory(from: raw) }
            return Tensor(shape: shape, scalars: values)
        }
        switch dtype {
        case .float32: return read(Float.self)
        case .float64: return read(Double.self)
        case .int32: return read(Int32.self)
        case .int64: return read(Int64.self)
        }
    }

    /// Reads a safetensors file.
    public static func read(from url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw CheckpointError.unreadable(path: url.path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw CheckpointError.unreadable(path: url.path, reason: "it is a directory, not a safetensors file") }
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: url, options: .mappedIfSafe))
        } catch {
            throw CheckpointError.unreadable(path: url.path, reason: (error as NSError).localizedDescription)
        }
        return try decode(bytes, path: url.path)
    }

    /// Writes a safetensors file atomically: to a temporary file beside it, flushed, then
    /// renamed over the destination, so a crash leaves either the old file or the new one.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
        try AtomicFile.write(encode(tensors, metadata: metadata), to: url)
    }
}

/// Writing files so that a crash or a full disk never leaves a partial file in place of a
/// good one.
public enum AtomicFile {
    /// Writes `bytes` to a temporary file in `url`'s directory, syncs it, renames it over
    /// `url` and syncs the directory. On failure the temporary file is removed and `url` is
    /// untouched. Only a regular file is replaced: a directory, a symbolic link, a device or
    /// a FIFO at `url` is refused. A SIGINT or SIGTERM waits until the write has ended
    /// (`Interruption.uninterruptible(_:)`).
    public static func write(_ bytes: [UInt8], to url: URL) throws {
        if let kind = nonRegularKind(at: url) {
            throw CheckpointError.unwritable(path: url.path, reason: "it is \(kind), and Loom replaces only regular files")
        }
        try Interruption.uninterruptible { try writeReplacing(bytes, to: url) }
    }

    /// What kind of non-regular file is at `url` ("a directory"), or nil when there is a
    /// regular file or nothing.
    public static func nonRegularKind(at url: URL) -> String? {
        // attributesOfItem describes a symbolic link itself, not what it points to.
        guard let type = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.type] as? FileAttributeType else { return nil }
        switch type {
        case .typeRegular: return nil
        case .typeDirectory: return "a directory"
        case .typeSymbolicLink: return "a symbolic link"
        case .typeCharacterSpecial, .typeBlockSpecial: return "a device"
        case .typeSocket: return "a socket"
        default: return "not a regular file (a FIFO?)"
        }
    }

    private static func writeReplacing(_ bytes: [UInt8], to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        func fail(_ reason: String) -> CheckpointError { .unwritable(path: url.path, reason: reason) }
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else { throw fail(String(cString: strerror(errno))) }
        var failure: CheckpointError?
        bytes.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                let result = Foundation.write(descriptor, raw.baseAddress! + written, raw.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = fail(String(cString: strerror(errno)))
                    return
                }
                written += result
            }
        }
        if failure == nil && fsync(descriptor) != 0 { failure = fail(String(cString: strerror(errno))) }
        close(descriptor)
        if failure == nil && rename(temporary.path, url.path) != 0 { failure = fail(String(cString: strerror(errno))) }
        if let failure {
            unlink(temporary.path)
            throw failure
        }
        // The rename is durable only once the directory entry is on disk too. Best effort: the
        // new file is already in place, and some file systems refuse fsync on a directory.
        let directoryDescriptor = open(directory.path, O_RDONLY | O_DIRECTORY)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }
}

extension [Int] {
    /// The product of the elements, or nil when it overflows `Int`; with `ignoringZeros`,
    /// sizes of 0 count as 1 (the largest stride a layout of this shape computes).
    func checkedProduct(ignoringZeros: Bool) -> Int? {
        var product = 1
        for size in self {
            let (next, overflow) = product.multipliedReportingOverflow(by: ignoringZeros ? Swift.max(size, 1) : size)
            if overflow { return nil }
            product = next
        }
        return product
    }
}
