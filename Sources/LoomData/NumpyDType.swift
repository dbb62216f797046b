/// A NumPy dtype string as `.npy` headers write it: a byte order (`<` little, `>` big, `|`
/// not applicable, `=` native), a kind and a size: `f2 f4 f8`, `i1…i8`, `u1…u8`, `b1` (or
/// `?`), `U<n>` (n UTF-32 code points), `S<n>` (n bytes).
struct NumpyDType {
    enum Kind { case float, signed, unsigned, bool, unicode, bytes }
    let kind: Kind
    let isBigEndian: Bool
    /// Bytes per element.
    let itemSize: Int
    let text: String

    init(_ text: String, source: String) throws {
        func fail(_ reason: String) -> DataError { .malformed(path: source, reason: "dtype '\(text)': \(reason)") }
        self.text = text
        var rest = Substring(text)
        var bigEndian = false
        if let order = rest.first, "<>|=".contains(order) {
            bigEndian = order == ">"
            rest = rest.dropFirst()
        }
        isBigEndian = bigEndian
        if rest == "?" { rest = "b1" }
        guard let code = rest.first else { throw fail("no type") }
        let size = Int(rest.dropFirst())
        switch code {
        case "f": kind = .float
        case "i": kind = .signed
        case "u": kind = .unsigned
        case "b": kind = .bool
        case "U": kind = .unicode
        case "S", "a": kind = .bytes
        case "O": throw fail("object arrays need Python's pickle to read; save numbers or strings instead")
        default: throw fail("not supported (Loom reads f2/f4/f8, i1–i8, u1–u8, b1, U and S)")
        }
        guard let size, size >= 0 else { throw fail("no element size") }
        switch kind {
        case .float: guard [2, 4, 8].contains(size) else { throw fail("no float of \(size) bytes") }
        case .signed, .unsigned: guard [1, 2, 4, 8].contains(size) else { throw fail("no integer of \(size) bytes") }
        case .bool: guard size == 1 else { throw fail("a bool is 1 byte") }
        case .unicode, .bytes: break
        }
        let (bytes, overflow) = size.multipliedReportingOverflow(by: kind == .unicode ? 4 : 1)
        guard !overflow else { throw fail("the element size overflows") }
        itemSize = bytes
    }

    /// The elements of `payload` (exactly `count × itemSize` bytes).
    func decode(_ payload: UnsafeRawBufferPointer, count: Int, source: String) throws -> NumpyArray.Elements {
        func word(_ index: Int, _ size: Int) -> UInt64 {
            var bits: UInt64 = 0
            let base = index * size
            for k in 0..<size {
                let byte = UInt64(payload[base + (isBigEndian ? k : size - 1 - k)])
                bits = bits << 8 | byte
            }
            return bits
        }
        switch kind {
        case .float:
            switch itemSize {
            case 2: return .float32((0..<count).map { Self.float(fromHalf: UInt16(word($0, 2))) })
            case 4: return .float32((0..<count).map { Float(bitPattern: UInt32(word($0, 4))) })
            default: return .float64((0..<count).map { Double(bitPattern: word($0, 8)) })
            }
        case .signed:
            let shift = UInt64(64 - 8 * itemSize)
            return .int64((0..<count).map { Int64(bitPattern: word($0, itemSize) << shift) >> shift })
        case .unsigned:
            var values = [Int64](repeating: 0, count: count)
            for index in 0..<count {
                let value = word(index, itemSize)
                guard value <= UInt64(Int64.max) else {
                    throw DataError.malformed(path: source, reason: "element \(index) of \(text) is \(value), past Int64.max")
                }
                values[index] = Int64(value)
            }
            return .int64(values)
        case .bool:
            return .bool((0..<count).map { payload[$0] != 0 })
        case .unicode:
            let characters = itemSize / 4
            var values: [String] = []
            values.reserveCapacity(count)
            for index in 0..<count {
                var scalars = String.UnicodeScalarView()
                var length = characters
                while length > 0 && word(index * characters + length - 1, 4) == 0 { length -= 1 }
                for k in 0..<length {
                    guard let scalar = Unicode.Scalar(UInt32(word(index * characters + k, 4))) else {
                        throw DataError.malformed(path: source, reason: "element \(index) of \(text) is not valid UTF-32")
                    }
                    scalars.append(scalar)
                }
                values.append(String(scalars))
            }
            return .strings(values)
        case .bytes:
            var values: [String] = []
            values.reserveCapacity(count)
            for index in 0..<count {
                var element = UnsafeRawBufferPointer(rebasing: payload[(index * itemSize)..<((index + 1) * itemSize)])
                while let last = element.last, last == 0 { element = UnsafeRawBufferPointer(rebasing: element.dropLast()) }
                guard let value = String(validating: element, as: UTF8.self) else {
                    throw DataError.malformed(path: source, reason: "element \(index) of \(text) is not UTF-8 text")
                }
                values.append(value)
            }
            return .strings(values)
        }
    }

    /// IEEE 754 binary16 to float32, exactly (subnormals, infinities and NaN included).
    static func float(fromHalf bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = Int(bits >> 10) & 0x1F
        let fraction = UInt32(bits & 0x3FF)
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | fraction << 13) }
        if exponent == 0 {
            // Zero or subnormal: fraction · 2⁻²⁴, exact in float32.
            let magnitude = Float(fraction) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | fraction << 13)
    }
}
