/// One record of a TensorBoard event file: the subset of TensorFlow's `Event` protocol buffer
/// (`tensorflow/core/util/event.proto`) that scalars need, encoded by hand so the training layer
/// depends on no protobuf library.
///
/// ```
/// message Event   { double wall_time = 1; int64 step = 2; oneof what { string file_version = 3; Summary summary = 5; } }
/// message Summary { repeated Value value = 1; }
/// message Value   { string tag = 1; oneof value { float simple_value = 2; } }
/// ```
public struct TensorBoardEvent: Equatable, Sendable {
    /// What an event carries.
    public enum Content: Equatable, Sendable {
        /// The first event of every file: `brain.Event:2`.
        case fileVersion(String)
        /// Scalars by tag (TensorBoard stores them as float32).
        case scalars([Scalar])
    }

    /// One tagged value of a summary.
    public struct Scalar: Equatable, Sendable {
        public var tag: String
        public var value: Float

        /// The value `value` under `tag` (`loss/train`).
        public init(_ tag: String, _ value: Float) {
            self.tag = tag
            self.value = value
        }
    }

    /// Seconds since 1970.
    public var wallTime: Double
    public var step: Int64
    public var content: Content

    /// An event at `wallTime` and `step` carrying `content`.
    public init(wallTime: Double, step: Int64, content: Content) {
        self.wallTime = wallTime
        self.step = step
        self.content = content
    }

    /// The version TensorBoard's readers expect in a file's first event.
    public static let fileVersion = "brain.Event:2"

    /// The protocol-buffer bytes.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = [0x09] + TFRecord.littleEndianBytes(wallTime.bitPattern)
        if step != 0 { bytes += [0x10] + Self.varint(UInt64(bitPattern: step)) }
        switch content {
        case .fileVersion(let version):
            bytes += Self.lengthDelimited(field: 3, Array(version.utf8))
        case .scalars(let scalars):
            let values = scalars.flatMap { scalar in
                Self.lengthDelimited(field: 1, Self.lengthDelimited(field: 1, Array(scalar.tag.utf8))
                    + [0x15] + TFRecord.littleEndianBytes(scalar.value.bitPattern))
            }
            bytes += Self.lengthDelimited(field: 5, values)
        }
        return bytes
    }

    /// Decodes an event this type encodes; nil for bytes that are not one (unknown fields of
    /// a well-formed message are skipped, as protocol buffers require).
    public init?(decoding bytes: [UInt8]) {
        var wallTime = 0.0, step: Int64 = 0, content = Content.scalars([])
        var reader = ProtobufReader(bytes[...])
        while let (field, value) = reader.next() {
            switch (field, value) {
            case (1, .fixed64(let bits)): wallTime = Double(bitPattern: bits)
            case (2, .varint(let raw)): step = Int64(bitPattern: raw)
            case (3, .bytes(let text)): content = .fileVersion(String(decoding: text, as: UTF8.self))
            case (5, .bytes(let summary)):
                var scalars: [Scalar] = []
                var values = ProtobufReader(summary)
                while let (valueField, value) = values.next() {
                    guard valueField == 1, case .bytes(let entry) = value else { continue }
                    var tag = "", number: Float?
                    var entryReader = ProtobufReader(entry)
                    while let (entryField, part) = entryReader.next() {
                        if entryField == 1, case .bytes(let text) = part { tag = String(decoding: text, as: UTF8.self) }
                        if entryField == 2, case .fixed32(let bits) = part { number = Float(bitPattern: bits) }
                    }
                    if let number { scalars.append(Scalar(tag, number)) }
                    if entryReader.failed { return nil }
                }
                if values.failed { return nil }
                content = .scalars(scalars)
            default: break
            }
        }
        if reader.failed { return nil }
        self.init(wallTime: wallTime, step: step, content: content)
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value, bytes: [UInt8] = []
        repeat {
            bytes.append(UInt8(value & 0x7F) | (value >= 0x80 ? 0x80 : 0))
            value >>= 7
        } while value != 0
        return bytes
    }

    static func lengthDelimited(field: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [field << 3 | 2] + varint(UInt64(payload.count)) + payload
    }
}

/// Reads the fields of one protocol-buffer message; stops (with `failed`) at malformed input.
struct ProtobufReader {
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed32(UInt32)
    }

    private var bytes: ArraySlice<UInt8>
    private(set) var failed = false

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    mutating func next() -> (field: UInt64, value: Value)? {
        guard !bytes.isEmpty, !failed, let key = varint() else { return nil }
        let value: Value?
        switch key & 7 {
        case 0: value = varint().map { .varint($0) }
        case 1: value = fixed(8).map { .fixed64($0) }
        case 2:
            if let length = varint(), length <= UInt64(bytes.count) {
                value = .bytes(bytes.prefix(Int(length)))
                bytes = bytes.dropFirst(Int(length))
            } else {
                value = nil
            }
        case 5: value = fixed(4).map { .fixed32(UInt32($0)) }
        default: value = nil
        }
        guard let value else {
            failed = true
            return nil
        }
        return (key >> 3, value)
    }

    private mutating func varint() -> UInt64? {
        var result: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 7) {
            guard let byte = bytes.popFirst() else { break }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
        }
        failed = true
        return nil
    }

    private mutating func fixed(_ count: Int) -> UInt64? {
        guard bytes.count >= count else { return nil }
        defer { bytes = bytes.dropFirst(count) }
        return bytes.prefix(count).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << ($1.offset * 8) }
    }
}
