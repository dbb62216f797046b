import Foundation
import Loom
import Testing

@testable import LoomNN

/// The classic attacks on a tensor-file reader, each answered with a typed error that names
/// the file and the problem (see RELIABILITY.md). Complements `SafeTensorsTests.rejectsHostileFiles`.
@Suite struct ReliabilitySafeTensorsTests {
    let data8 = [UInt8](repeating: 0, count: 8)

    func json(_ name: String = "a", dtype: String = "F32", shape: String = "[2]", offsets: String = "[0,8]") -> String {
        #"{"\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}}"#
    }

    @Test("a header length past the end of the file, by one byte or by 2⁶⁴ − 1")
    func headerLengthBeyondTheFile() {
        let header = [UInt8](json().utf8)
        let bytes = safetensorsBytes(header: json(), data: [])
        expectMalformedCheckpoint(safetensorsBytes(header: json(), data: [], declaredLength: UInt64(header.count + 1)),
                                  containing: "beyond the end of the file (\(bytes.count) bytes)")
        expectMalformedCheckpoint(safetensorsBytes(header: json(), data: [], declaredLength: .max), containing: "exceeds the limit")
    }

    @Test("a claimed 10 GB header in a tiny file is refused before anything is allocated")
    func tenGigabyteHeader() {
        expectMalformedCheckpoint(safetensorsBytes(header: "{}", data: [], declaredLength: 10 << 30),
                                  containing: "header length 10737418240 exceeds the limit of 100000000 bytes")
    }

    @Test("offsets out of range: negative, reversed, past the data, huge, fractional, too many, not numbers",
          arguments: [
              ("[-8,0]", "outside the 8 data bytes"), ("[8,0]", "outside the 8 data bytes"),
              ("[0,16]", "outside the 8 data bytes"), ("[0,1000000000000000]", "outside the 8 data bytes"),
              ("[0,1e300]", "invalid data_offsets"), ("[0,7.5]", "invalid data_offsets"),
              ("[0,4,8]", "invalid data_offsets"), (#"["0","8"]"#, "invalid data_offsets"),
              ("[0,true]", "invalid data_offsets"), ("{}", "invalid data_offsets"),
          ])
    func offsetsOutOfRange(offsets: String, fragment: String) {
        expectMalformedCheckpoint(safetensorsBytes(header: json(offsets: offsets), data: data8), containing: fragment)
    }

    @Test("two tensors over the same bytes, or overlapping by one element")
    func overlappingOffsets() {
        let same = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        expectMalformedCheckpoint(safetensorsBytes(header: same, data: data8 + data8), containing: "overlaps another tensor")
        let partial = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        expectMalformedCheckpoint(safetensorsBytes(header: partial, data: data8 + [0, 0, 0, 0]), containing: "overlaps another tensor")
    }

    @Test("shapes whose element count, byte count or strides overflow Int", arguments: [
        "[4294967296,4294967296]", "[2147483648,2147483648]", "[0,4294967296,4294967296]", "[4294967296,0,4294967296]",
    ])
    func shapeProductOverflows(shape: String) {
        expectMalformedCheckpoint(safetensorsBytes(header: json(shape: shape), data: data8), containing: "overflows")
    }

    @Test("negative, absurd and non-integer dimensions", arguments: ["[-1]", "[2,-4]", "[1e20]", "[2.5]", "[true,2]", #"["2"]"#, "2"])
    func badDimensions(shape: String) {
        expectMalformedCheckpoint(safetensorsBytes(header: json(shape: shape), data: data8), containing: "invalid shape")
    }

    @Test("a tensor name that is not UTF-8 is refused as such")
    func nonUTF8Name() {
        var header = [UInt8](json("ab").utf8)
        // Replace "ab" with an invalid two-byte sequence (0xC3 must be followed by 0x80…0xBF).
        let position = header.firstIndex(of: UInt8(ascii: "a"))!
        header[position] = 0xC3
        header[position + 1] = 0x28
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes += $0 }
        expectMalformedCheckpoint(bytes + header + data8, containing: "not UTF-8")
    }

    @Test("a name given twice is refused, however it is spelled, rather than silently keeping one tensor")
    func duplicateNames() {
        let twice = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        expectMalformedCheckpoint(safetensorsBytes(header: twice, data: data8), containing: #"the name "a" appears twice"#)
        let escaped = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\u0061":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        expectMalformedCheckpoint(safetensorsBytes(header: escaped, data: data8), containing: #"the name "a" appears twice"#)
        let innerKey = #"{"a":{"dtype":"F32","dtype":"F64","shape":[2],"data_offsets":[0,8]}}"#
        expectMalformedCheckpoint(safetensorsBytes(header: innerKey, data: data8), containing: #"the name "dtype" appears twice"#)
        let metadata = #"{"__metadata__":{"k":"1","k":"2"}}"#
        expectMalformedCheckpoint(safetensorsBytes(header: metadata, data: []), containing: #""k" appears twice"#)
        // Equal names in different objects, and names equal to string values, are fine.
        let fine = #"{"__metadata__":{"a":"dtype"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        #expect(throws: Never.self) { try SafeTensors.decode(safetensorsBytes(header: fine, data: data8), path: "ok") }
    }

    @Test("nesting deep enough to exhaust a recursive parser's stack is refused")
    func deepNesting() {
        let deep = #"{"__metadata__":"# + String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000) + "}"
        expectMalformedCheckpoint(safetensorsBytes(header: deep, data: []), containing: "nests deeper than 64 levels")
    }

    @Test("dtype mismatch: bytes sized for another dtype, an unknown dtype, integers where the model needs floats")
    func dtypeMismatch() throws {
        expectMalformedCheckpoint(safetensorsBytes(header: json(dtype: "F64"), data: data8), containing: "(F64) needs 16 bytes, its offsets span 8")
        expectMalformedCheckpoint(safetensorsBytes(header: json(dtype: "f32"), data: data8), containing: "dtype f32")
        expectMalformedCheckpoint(safetensorsBytes(header: #"{"a":{"dtype":[],"shape":[2],"data_offsets":[0,8]}}"#, data: data8), containing: "has no dtype")
        var generator = SeededGenerator(seed: 0)
        let model = Linear(inputFeatures: 2, outputFeatures: 1, using: &generator)
        let state = ["weight": Tensor(shape: [2, 1], scalars: [Int64(1), 2]), "bias": Tensor([0])]
        #expect(throws: CheckpointError.incompatible(path: "m.safetensors", reason: "\"weight\" is int64, the model needs floating point")) {
            try model.loadStateDictionary(state, source: "m.safetensors")
        }
        // Nothing was changed by the refused load.
        #expect(model.weight.value.dtype == .float32)
    }

    @Test("every prefix of a valid file is refused with a typed error (truncated downloads)")
    func everyTruncation() throws {
        let bytes = SafeTensors.encode(["w": Tensor([[1, 2], [3, 4]]), "b": Tensor([5], dtype: .float64)], metadata: ["k": "v"])
        for length in 0..<bytes.count {
            #expect(throws: CheckpointError.self, "prefix of \(length) bytes") { try SafeTensors.decode(Array(bytes.prefix(length)), path: "t") }
        }
        #expect(try SafeTensors.decode(bytes, path: "t").tensors.count == 2)
    }
}
