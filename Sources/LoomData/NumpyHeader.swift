/// The dict literal of an `.npy` header: `descr`, `fortran_order` and `shape`, parsed by a
/// small reader of the Python literals NumPy writes (strings, True/False, tuples of integers).
struct NumpyHeader {
    var descr: String
    var isFortranOrder: Bool
    var shape: [Int]

    init(parsing text: String, source: String) throws {
        var parser = Parser(bytes: Array(text.utf8), source: source)
        var descr: String?, fortran: Bool?, shape: [Int]?
        try parser.expect("{")
        while try !parser.consume("}") {
            let key = try parser.string()
            try parser.expect(":")
            switch key {
            case "descr":
                guard let value = try? parser.string() else {
                    throw parser.fail("a structured dtype (a list of fields in 'descr') is not supported; save plain arrays")
                }
                descr = value
            case "fortran_order": fortran = try parser.boolean()
            case "shape": shape = try parser.integerTuple()
            default: throw parser.fail("unknown header key '\(key)'")
            }
            if try !parser.consume(",") {
                try parser.expect("}")
                break
            }
        }
        guard let descr, let fortran, let shape else {
            throw DataError.malformed(path: source, reason: "the header lacks one of 'descr', 'fortran_order', 'shape': \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        self.descr = descr
        self.isFortranOrder = fortran
        self.shape = shape
    }

    private struct Parser {
        let bytes: [UInt8]
        let source: String
        var position = 0

        func fail(_ reason: String) -> DataError { .malformed(path: source, reason: "bad .npy header: \(reason)") }

        mutating func skipSpace() {
            while position < bytes.count && [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
        }

        mutating func consume(_ token: String) throws -> Bool {
            skipSpace()
            let token = Array(token.utf8)
            guard bytes.count - position >= token.count, Array(bytes[position..<(position + token.count)]) == token else { return false }
            position += token.count
            return true
        }

        mutating func expect(_ token: String) throws {
            guard try consume(token) else { throw fail("expected '\(token)' at byte \(position)") }
        }

        mutating func string() throws -> String {
            skipSpace()
            guard position < bytes.count, bytes[position] == 0x27 || bytes[position] == 0x22 else { throw fail("expected a string at byte \(position)") }
            let quote = bytes[position]
            let start = position + 1
            guard let end = bytes[start...].firstIndex(of: quote) else { throw fail("a string is never closed") }
            position = end + 1
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }

        mutating func boolean() throws -> Bool {
            if try consume("True") { return true }
            if try consume("False") { return false }
            throw fail("expected True or False at byte \(position)")
        }

        mutating func integerTuple() throws -> [Int] {
            try expect("(")
            var values: [Int] = []
            while try !consume(")") {
                skipSpace()
                let start = position
                while position < bytes.count && bytes[position] >= 0x30 && bytes[position] <= 0x39 { position += 1 }
                guard position > start, let value = Int(String(decoding: bytes[start..<position], as: UTF8.self)) else {
                    throw fail("expected a size at byte \(start)")
                }
                values.append(value)
                if try !consume(",") {
                    try expect(")")
                    break
                }
            }
            return values
        }
    }
}
