import Foundation
import Loom

/// An array read from an IDX file, the format of MNIST, Fashion-MNIST and the bundled digits.
///
/// Layout (all integers big-endian): two zero bytes, a type byte, the number of dimensions
/// `d`; then `d` sizes as uint32; then the elements in row-major order.
public struct IDXArray: Equatable, Sendable {
    /// The element types IDX defines.
    public enum ElementType: UInt8, Sendable {
        case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E

        /// Bytes per element.
        public var byteSize: Int {
            switch self {
            case .uint8, .int8: 1
            case .int16: 2
            case .int32, .float32: 4
            case .float64: 8
            }
        }
    }

    public let shape: [Int]
    public let elementType: ElementType
    /// The raw element bytes (big-endian for multi-byte types).
    public let payload: [UInt8]

    /// Parses IDX bytes (gzip-compressed or plain), validating the magic number, the
    /// dimensions and the length before allocating anything sized by them.
    /// - Parameters:
    ///   - bytes: the file's contents.
    ///   - path: names the source in error messages.
    public init(bytes: [UInt8], path: String) throws {
        var data = Gzip.isCompressed(bytes) ? try Gzip.decompress(bytes, path: path) : bytes
        func fail(_ reason: String) -> DataError { .malformed(path: path, reason: reason) }
        guard data.count >= 4 else { throw fail("\(data.count) bytes is too short for an IDX header") }
        guard data[0] == 0, data[1] == 0 else {
            throw fail(String(format: "wrong magic number 0x%02x%02x%02x%02x (an IDX file starts with two zero bytes)", data[0], data[1], data[2], data[3]))
        }
        guard let type = ElementType(rawValue: data[2]) else {
            throw fail(String(format: "unknown IDX element type 0x%02x", data[2]))
        }
        let rank = Int(data[3])
        guard rank >= 1 else { throw fail("an IDX array needs at least one dimension") }
        let headerSize = 4 + 4 * rank
        guard data.count >= headerSize else {
            throw fail("truncated header: \(rank) dimensions need \(headerSize) bytes, the file has \(data.count)")
        }
        var shape: [Int] = []
        // `span` skips sizes of 0: [0, 2³²−1, 2³²−1] holds nothing, but its row-major strides
        // would still overflow.
        var elementCount = 1, span = 1
        for axis in 0..<rank {
            let base = 4 + 4 * axis
            let size = Int(data[base]) << 24 | Int(data[base + 1]) << 16 | Int(data[base + 2]) << 8 | Int(data[base + 3])
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: size)
            let (spanProduct, spanOverflow) = span.multipliedReportingOverflow(by: Swift.max(size, 1))
            guard !overflow, !spanOverflow else { throw fail("dimensions \(shape + [size]) overflow") }
            shape.append(size)
            elementCount = product
            span = spanProduct
        }
        let (payloadSize, overflow) = elementCount.multipliedReportingOverflow(by: type.byteSize)
        guard !overflow else { throw fail("dimensions \(shape) overflow") }
        let available = data.count - headerSize
        guard available >= payloadSize else {
            throw fail("truncated: shape \(shape) needs \(payloadSize) bytes of data, the file has \(available)")
        }
        guard available == payloadSize else {
            throw fail("\(available - payloadSize) unexpected bytes after the data of shape \(shape)")
        }
        self.shape = shape
        self.elementType = type
        // In place: a second copy of a 2 GB decompressed file would double the peak.
        data.removeFirst(headerSize)
        self.payload = data
    }

    /// Reads and parses an IDX file (plain or `.gz`).
    public init(contentsOf url: URL) throws {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: url, options: .mappedIfSafe))
        } catch {
            throw DataError.unreadable(path: url.path, reason: (error as NSError).localizedDescription)
        }
        try self.init(bytes: bytes, path: url.path)
    }

    /// The elements as a tensor of `dtype`, each multiplied by `scale` (e.g. 1/255).
    public func tensor(dtype: DType = .float32, scale: Double = 1) -> Tensor {
        let count = shape.reduce(1, *)
        // Written straight into the tensor's storage: an intermediate [Double] of MNIST's
        // 47 M pixels would be 376 MB.
        return payload.withUnsafeBufferPointer { bytes in
            switch dtype {
            case .float32:
                if elementType == .uint8 {
                    let table = Self.byteValues(scale: scale)
                    return Tensor(shape: shape, writing: Float.self) { out in
                        for i in 0..<count { out[i] = table[Int(bytes[i])] }
                    }
                }
                return Tensor(shape: shape, writing: Float.self) { out in
                    for i in 0..<count { out[i] = Float(element(bytes, i) * scale) }
                }
            case .float64:
                return Tensor(shape: shape, writing: Double.self) { out in
                    for i in 0..<count { out[i] = element(bytes, i) * scale }
                }
            case .int32:
                return Tensor(shape: shape, writing: Int32.self) { out in
                    for i in 0..<count { out[i] = Int32(element(bytes, i) * scale) }
                }
            case .int64:
                return Tensor(shape: shape, writing: Int64.self) { out in
                    for i in 0..<count { out[i] = Int64(element(bytes, i) * scale) }
                }
            }
        }
    }

    /// The float32 feature of each byte value scaled by `scale`, computed in Double and
    /// rounded once (a table: 256 entries for every pixel of a dataset).
    static func byteValues(scale: Double) -> [Float] { (0..<256).map { Float(Double($0) * scale) } }

    private func element(_ bytes: UnsafeBufferPointer<UInt8>, _ i: Int) -> Double {
        let size = elementType.byteSize
        var bits: UInt64 = 0
        for k in 0..<size { bits = bits << 8 | UInt64(bytes[i * size + k]) }
        switch elementType {
        case .uint8: return Double(bits)
        case .int8: return Double(Int8(truncatingIfNeeded: bits))
        case .int16: return Double(Int16(truncatingIfNeeded: bits))
        case .int32: return Double(Int32(truncatingIfNeeded: bits))
        case .float32: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case .float64: return Double(bitPattern: bits)
        }
    }
}
