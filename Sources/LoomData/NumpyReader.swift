import Foundation

/// Reads NumPy's `.npy` files (format versions 1.0, 2.0 and 3.0) and `.npz` archives.
///
/// An `.npy` file is the magic `\x93NUMPY`, a version, a header length (2 bytes in 1.0, 4 in
/// 2.0 and 3.0, little-endian), a header that is a Python dict literal
/// (`{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`) and the raw elements. The
/// claimed size is checked against the bytes present before anything is allocated.
public enum NumpyReader {
    /// Reads an `.npy` file.
    public static func readNPY(contentsOf url: URL) throws -> NumpyArray {
        let data = try mapped(url)
        return try data.withUnsafeBytes { try parseNPY($0, source: url.path) }
    }

    /// The same from bytes already in memory.
    public static func readNPY(bytes: [UInt8], source: String) throws -> NumpyArray {
        try bytes.withUnsafeBytes { try parseNPY($0, source: source) }
    }

    /// Every array of an .npz archive, by name without ".npy".
    public static func readNPZ(contentsOf url: URL) throws -> [String: NumpyArray] {
        let data = try mapped(url)
        return try data.withUnsafeBytes { try readNPZ($0, source: url.path) }
    }

    /// The same from bytes already in memory.
    public static func readNPZ(bytes: [UInt8], source: String) throws -> [String: NumpyArray] {
        try bytes.withUnsafeBytes { try readNPZ($0, source: source) }
    }

    static func mapped(_ url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw DataError.unreadable(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }

    static func readNPZ(_ bytes: UnsafeRawBufferPointer, source: String) throws -> [String: NumpyArray] {
        var arrays: [String: NumpyArray] = [:]
        for entry in try ZipArchive.entries(bytes, path: source) where !entry.name.hasSuffix("/") {
            let name = entry.name.hasSuffix(".npy") ? String(entry.name.dropLast(4)) : entry.name
            guard arrays[name] == nil else {
                throw DataError.malformed(path: source, reason: "the archive holds \(entry.name) twice")
            }
            arrays[name] = try ZipArchive.withContents(of: entry, in: bytes, path: source) {
                try parseNPY($0, source: "\(source)/\(entry.name)")
            }
        }
        return arrays
    }

    // MARK: - .npy

    static func parseNPY(_ bytes: UnsafeRawBufferPointer, source: String) throws -> NumpyArray {
        func fail(_ reason: String) -> DataError { .malformed(path: source, reason: reason) }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 10 else { throw fail("\(bytes.count) bytes is too short for an .npy header") }
        guard bytes.prefix(6).elementsEqual(magic) else { throw fail("no .npy magic number (\\x93NUMPY) at the start") }
        let major = bytes[6], minor = bytes[7]
        let headerStart: Int, headerLength: Int
        switch major {
        case 1:
            headerStart = 10
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("\(bytes.count) bytes is too short for an .npy \(major).0 header") }
            headerStart = 12
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        default:
            throw fail("format version \(major).\(minor) is not one of 1.0, 2.0, 3.0")
        }
        guard bytes.count - headerStart >= headerLength else {
            throw fail("truncated: the header claims \(headerLength) bytes, \(bytes.count - headerStart) follow")
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[headerStart..<(headerStart + headerLength)])
        // 1.0 and 2.0 headers are latin-1 (ASCII in practice), 3.0 UTF-8.
        guard let header = major == 3 ? String(validating: headerBytes, as: UTF8.self) : String(bytes: headerBytes, encoding: .isoLatin1) else {
            throw fail("the header is not valid text")
        }
        let dictionary = try NumpyHeader(parsing: header, source: source)
        let type = try NumpyDType(dictionary.descr, source: source)
        let count = try elementCount(dictionary.shape, source: source)
        let (payloadSize, overflow) = count.multipliedReportingOverflow(by: type.itemSize)
        guard !overflow else { throw fail("shape \(dictionary.shape) of \(dictionary.descr) overflows") }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[(headerStart + headerLength)...])
        guard payload.count >= payloadSize else {
            throw fail("truncated: shape \(dictionary.shape) of \(dictionary.descr) needs \(payloadSize) bytes of data, the file has \(payload.count)")
        }
        guard payload.count == payloadSize else {
            throw fail("\(payload.count - payloadSize) unexpected bytes after the data of shape \(dictionary.shape)")
        }
        var elements = try type.decode(payload, count: count, source: source)
        if dictionary.isFortranOrder && dictionary.shape.count > 1 {
            elements = elements.transposedFromFortranOrder(shape: dictionary.shape)
        }
        return NumpyArray(shape: dictionary.shape, elements: elements)
    }

    static func elementCount(_ shape: [Int], source: String) throws -> Int {
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw DataError.malformed(path: source, reason: "shape \(shape) overflows") }
            count = product
        }
        return count
    }
}

extension NumpyArray.Elements {
    /// C order from elements stored in Fortran (column-major) order of `shape`.
    func transposedFromFortranOrder(shape: [Int]) -> Self {
        func reorder<T>(_ values: [T]) -> [T] {
            guard let first = values.first else { return values }
            var result = [T](repeating: first, count: values.count)
            // Fortran strides: axis 0 varies fastest.
            var strides = [Int](repeating: 1, count: shape.count)
            for axis in 1..<shape.count { strides[axis] = strides[axis - 1] * shape[axis - 1] }
            var index = [Int](repeating: 0, count: shape.count)
            var offset = 0
            for target in 0..<values.count {
                result[target] = values[offset]
                var axis = shape.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    offset += strides[axis]
                    if index[axis] < shape[axis] { break }
                    offset -= strides[axis] * shape[axis]
                    index[axis] = 0
                    axis -= 1
                }
            }
            return result
        }
        switch self {
        case let .float32(values): return .float32(reorder(values))
        case let .float64(values): return .float64(reorder(values))
        case let .int64(values): return .int64(reorder(values))
        case let .bool(values): return .bool(reorder(values))
        case let .strings(values): return .strings(reorder(values))
        }
    }
}
