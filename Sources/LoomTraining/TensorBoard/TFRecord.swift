/// TFRecord framing, the container of TensorBoard's event files: per record its length
/// (UInt64, little-endian), the masked CRC-32C of those 8 bytes, the data, and the masked
/// CRC-32C of the data.
public enum TFRecord {
    /// One framed record.
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        let length = littleEndianBytes(UInt64(data.count))
        return length + littleEndianBytes(CRC32C.masked(length)) + data + littleEndianBytes(CRC32C.masked(data))
    }

    /// The records of `bytes`, in order, up to the first one that is truncated or whose
    /// checksums do not match (a file cut by a kill keeps the records before the cut).
    public static func records(in bytes: [UInt8]) -> [[UInt8]] {
        var records: [[UInt8]] = []
        var position = 0
        while bytes.count - position >= 12 {
            let lengthBytes = Array(bytes[position..<position + 8])
            guard read(UInt32.self, bytes, at: position + 8) == CRC32C.masked(lengthBytes) else { break }
            let length = read(UInt64.self, bytes, at: position)
            let start = position + 12
            guard length <= UInt64(bytes.count - start), bytes.count - start - Int(length) >= 4 else { break }
            let data = Array(bytes[start..<start + Int(length)])
            guard read(UInt32.self, bytes, at: start + Int(length)) == CRC32C.masked(data) else { break }
            records.append(data)
            position = start + Int(length) + 4
        }
        return records
    }

    static func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<T.bitWidth / 8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    private static func read<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type, _ bytes: [UInt8], at offset: Int) -> T {
        (0..<T.bitWidth / 8).reduce(T(0)) { $0 | T(bytes[offset + $1]) << ($1 * 8) }
    }
}
