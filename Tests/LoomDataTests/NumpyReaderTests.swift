import Foundation
import Testing

@testable import LoomData

/// `.npy` / `.npz` files written by NumPy (`Scripts/reference/numpy_fixtures.py`) and hostile
/// bytes built here.
@Suite struct NumpyReaderTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func load(_ name: String) throws -> NumpyArray {
        try NumpyReader.readNPY(contentsOf: Self.fixtures.appendingPathComponent("\(name).npy"))
    }

    func floats(_ array: NumpyArray) -> [Float]? { if case let .float32(values) = array.elements { values } else { nil } }
    func doubles(_ array: NumpyArray) -> [Double]? { if case let .float64(values) = array.elements { values } else { nil } }
    func integers(_ array: NumpyArray) -> [Int64]? { if case let .int64(values) = array.elements { values } else { nil } }
    func strings(_ array: NumpyArray) -> [String]? { if case let .strings(values) = array.elements { values } else { nil } }

    /// The message of the `DataError` that reading `bytes` as .npy throws.
    func npyError(_ bytes: [UInt8]) -> String {
        do {
            _ = try NumpyReader.readNPY(bytes: bytes, source: "bad.npy")
            return "no error"
        } catch let error as DataError {
            return error.description
        } catch {
            return "not a DataError: \(error)"
        }
    }

    /// A version 1.0 .npy file with `header` (padded as NumPy pads it) and `payload`.
    func npy(_ header: String, _ payload: [UInt8] = [], version: UInt8 = 1) -> [UInt8] {
        var text = Array(header.utf8)
        let prefix = version == 1 ? 10 : 12
        while (prefix + text.count + 1) % 64 != 0 { text.append(0x20) }
        text.append(0x0A)
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        bytes += version == 1 ? [UInt8(text.count & 0xFF), UInt8(text.count >> 8)] : (0..<4).map { UInt8((text.count >> (8 * $0)) & 0xFF) }
        return bytes + text + payload
    }

    @Test("floats in both byte orders, f2 widened, f8")
    func floatTypes() throws {
        #expect(try load("f4_le").shape == [2, 3])
        #expect(floats(try load("f4_le")) == [0, 0.25, 0.5, 0.75, 1, 1.25])
        #expect(floats(try load("f4_be")) == [0, 0.25, 0.5, 0.75, 1, 1.25])
        #expect(floats(try load("f2")) == [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])
        #expect(doubles(try load("f8_be")) == [0, 0.125, 0.25, 0.375, 0.5, 0.625])
    }

    @Test("every integer width and sign, both byte orders, as Int64")
    func integerTypes() throws {
        let minusThree: [Int64] = [-3, -2, -1, 0, 1, 2]
        for name in ["i1", "i2_be", "i4"] { #expect(integers(try load(name)) == minusThree, "\(name)") }
        #expect(integers(try load("i8_be")) == (0..<6).map { -Int64($0) << 40 })
        #expect(integers(try load("u1")) == (250..<256).map(Int64.init))
        #expect(integers(try load("u2_be")) == (65530..<65536).map(Int64.init))
        #expect(integers(try load("u4")) == (0..<6).map { Int64($0) * 800_000_000 })
        #expect(integers(try load("u8")) == (0..<6).map { Int64($0) + (1 << 62) })
    }

    @Test("bool, unicode in both byte orders, bytes")
    func otherTypes() throws {
        guard case let .bool(values) = try load("b1").elements else { Issue.record("not bool"); return }
        #expect(values == [true, false, true, false, true, false])
        #expect(strings(try load("U")) == ["a", "bé", "ccc", "", "日本", "x"])
        #expect(strings(try load("U_be")) == ["big", "é"])
        #expect(strings(try load("S")) == ["ab", "", "xyz"])
    }

    @Test("Fortran order is transposed to C order")
    func fortranOrder() throws {
        let array = try load("f4_fortran")
        #expect(array.shape == [2, 3, 4])
        #expect(floats(array) == (0..<24).map(Float.init))
        #expect(integers(try load("i8_fortran_be")) == [0, 1, 2, 3, 4, 5])
    }

    @Test("versions 2.0 and 3.0, a scalar, an empty array")
    func versionsAndShapes() throws {
        #expect(floats(try load("v2")) == [0, 1, 2, 3, 4, 5])
        #expect(strings(try load("v3")) == ["ü"])
        let scalar = try load("scalar")
        #expect(scalar.shape == [] && doubles(scalar) == [7.5])
        let empty = try load("empty")
        #expect(empty.shape == [0, 3] && empty.elements.count == 0)
    }

    @Test("npz: stored and deflated archives (written with ZIP64 local headers by NumPy)")
    func archives() throws {
        for name in ["stored", "deflated"] {
            let arrays = try NumpyReader.readNPZ(contentsOf: Self.fixtures.appendingPathComponent("\(name).npz"))
            #expect(Set(arrays.keys) == ["a", "b", "c"], "\(name)")
            #expect(arrays["a"].flatMap(floats) == [0, 1, 2, 3, 4, 5])
            #expect(arrays["b"].flatMap(strings) == ["x", "yz"])
        }
        let deflated = try NumpyReader.readNPZ(contentsOf: Self.fixtures.appendingPathComponent("deflated.npz"))
        #expect(deflated["c"].flatMap(integers) == (0..<1000).map(Int64.init))
    }

    @Test("object arrays are refused: they need pickle")
    func objectArrays() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent("object.npy")))
        #expect(npyError(bytes).contains("object arrays need Python's pickle"))
    }

    @Test("a header claiming terabytes is refused by the file's size, before allocating")
    func hugeClaims() {
        #expect(npyError(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }", [1, 2, 3]))
            .contains("needs 8000000000000 bytes of data, the file has 3"))
        #expect(npyError(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }")).contains("overflows"))
        #expect(npyError(npy("{'descr': '<U4611686018427387904', 'fortran_order': False, 'shape': (2,), }")).contains("overflows"))
    }

    @Test("bad headers, dtypes and sizes are one DataError each", arguments: [
        ("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", "not supported"),
        ("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", "structured dtype"),
        ("{'descr': '<f3', 'fortran_order': False, 'shape': (1,), }", "no float of 3 bytes"),
        ("{'descr': '<f4', 'shape': (1,), }", "lacks one of"),
        ("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", "True or False"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,-2), }", "expected a size"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", "needs 8 bytes of data, the file has 4"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", "needs 4 bytes of data, the file has 4 | no error"),
    ])
    func badHeaders(header: String, expected: String) {
        let message = npyError(npy(header, [0, 0, 0x80, 0x3F]))
        #expect(expected.split(separator: "|").contains { message.contains($0.trimmingCharacters(in: .whitespaces)) }, "\(message)")
        #expect(message.hasPrefix("bad.npy") || message == "no error", "\(message)")
    }

    @Test("every prefix of a valid file and a bad version are refused, never a trap")
    func truncations() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent("i8_be.npy")))
        for length in 0..<bytes.count {
            #expect(npyError(Array(bytes.prefix(length))).hasPrefix("bad.npy"), "prefix \(length)")
        }
        var version = bytes
        version[6] = 4
        #expect(npyError(version).contains("format version 4.0"))
        #expect(npyError(Array("not numpy at all".utf8)).contains("magic"))
        let u8 = npy("{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }", [UInt8](repeating: 0xFF, count: 8))
        #expect(npyError(u8).contains("past Int64.max"))
    }

    @Test("bad zip structures: truncated, corrupt, not a zip, lying sizes")
    func badArchives() throws {
        let good = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent("deflated.npz")))
        func npzError(_ bytes: [UInt8]) -> String {
            do {
                _ = try NumpyReader.readNPZ(bytes: bytes, source: "bad.npz")
                return "no error"
            } catch let error as DataError {
                return error.description
            } catch {
                return "not a DataError: \(error)"
            }
        }
        for length in stride(from: 0, to: good.count, by: 7) {
            #expect(npzError(Array(good.prefix(length))).hasPrefix("bad.npz"), "prefix \(length)")
        }
        #expect(npzError(Array("hello".utf8)).contains("no end-of-central-directory"))
        // Flip each byte of the first entry's data: the CRC or inflate catches it.
        var corrupt = good
        corrupt[120] ^= 0x55
        #expect(npzError(corrupt).hasPrefix("bad.npz"))
        for offset in stride(from: 0, to: good.count, by: 5) {
            var flipped = good
            flipped[offset] ^= 0xFF
            let message = npzError(flipped)
            #expect(message.hasPrefix("bad.npz") || message == "no error", "byte \(offset): \(message)")
        }
    }

    @Test("half floats convert exactly, subnormals and specials included")
    func halfFloats() {
        #expect(NumpyDType.float(fromHalf: 0x3C00) == 1)
        #expect(NumpyDType.float(fromHalf: 0xC000) == -2)
        #expect(NumpyDType.float(fromHalf: 0x0001) == 0x1p-24)
        #expect(NumpyDType.float(fromHalf: 0x7BFF) == 65504)
        #expect(NumpyDType.float(fromHalf: 0x7C00) == .infinity)
        #expect(NumpyDType.float(fromHalf: 0x7E00).isNaN)
        #expect(NumpyDType.float(fromHalf: 0x8000).sign == .minus)
    }
}
