import Foundation
import Loom
import Testing

@testable import LoomNN

/// A safetensors file from a header object and data bytes.
func safetensorsBytes(header: String, data: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
    let json = [UInt8](header.utf8)
    var bytes: [UInt8] = []
    withUnsafeBytes(of: (declaredLength ?? UInt64(json.count)).littleEndian) { bytes += $0 }
    return bytes + json + data
}

func expectMalformedCheckpoint(_ bytes: [UInt8], containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try SafeTensors.decode(bytes, path: "model.safetensors")
        Issue.record("expected an error containing '\(fragment)'", sourceLocation: sourceLocation)
    } catch let error as CheckpointError {
        #expect(error.description.contains(fragment), "\(error.description)", sourceLocation: sourceLocation)
        #expect(error.description.contains("model.safetensors"), sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct SafeTensorsTests {
    @Test func roundTripsEveryDtypeAndMetadata() throws {
        let tensors: [String: Tensor] = [
            "layers.0.weight": Tensor([[1.5, -2], [3, 4], [5, 6]]),
            "layers.0.bias": Tensor([0.25, -0.5], dtype: .float64),
            "step": Tensor([7], dtype: .int64),
            "labels": Tensor([[1, 2, 3]], dtype: .int32),
            "empty": Tensor.zeros([0, 3]),
            "scalar": Tensor(2.5),
        ]
        let bytes = SafeTensors.encode(tensors, metadata: ["format": "loom"])
        // The header is padded so the data is 8-byte aligned.
        let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(headerLength % 8 == 0)
        let (decoded, metadata) = try SafeTensors.decode(bytes, path: "t")
        #expect(metadata == ["format": "loom"])
        #expect(Set(decoded.keys) == Set(tensors.keys))
        for (name, tensor) in tensors {
            #expect(decoded[name]!.dtype == tensor.dtype, "\(name)")
            #expect(decoded[name]!.shape == tensor.shape, "\(name)")
            #expect(decoded[name]!.asArray(Double.self) == tensor.asArray(Double.self), "\(name)")
        }
    }

    @Test func writesNonContiguousTensorsInLogicalOrder() throws {
        let transposed = Tensor([[1, 2, 3], [4, 5, 6]]).transposed()
        let (decoded, _) = try SafeTensors.decode(SafeTensors.encode(["t": transposed]), path: "t")
        #expect(decoded["t"]!.asArray(Float.self) == [1, 4, 2, 5, 3, 6])
    }

    @Test func matchesTheReferenceLayoutByteForByte() throws {
        // Written by hand from the format's definition: one F32 tensor [2] = [1, 2].
        let bytes = SafeTensors.encode(["a": Tensor([1, 2])])
        let expectedHeader = #"{"a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}}"#
        var header = [UInt8](expectedHeader.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        #expect(bytes == safetensorsBytes(header: String(decoding: header, as: UTF8.self), data: [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40]))
    }

    @Test func rejectsHostileFiles() {
        let ok = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let data = [UInt8](repeating: 0, count: 8)
        expectMalformedCheckpoint([1, 2, 3], containing: "too short")
        expectMalformedCheckpoint(safetensorsBytes(header: ok, data: data, declaredLength: 10_000_000_000), containing: "exceeds the limit")
        expectMalformedCheckpoint(safetensorsBytes(header: ok, data: data, declaredLength: 5000), containing: "beyond the end of the file")
        expectMalformedCheckpoint(safetensorsBytes(header: "[1, 2]", data: []), containing: "not a JSON object")
        expectMalformedCheckpoint([8, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFE, 0x7B, 0x7D, 0x20, 0x20, 0x20, 0x20], containing: "not UTF-8")
        expectMalformedCheckpoint(safetensorsBytes(header: #"{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), containing: "dtype BF16")
        expectMalformedCheckpoint(safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: data), containing: "invalid shape")
        expectMalformedCheckpoint(safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}}"#, data: data), containing: "overflows")
        expectMalformedCheckpoint(safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}"#, data: data), containing: "outside the 8 data bytes")
        expectMalformedCheckpoint(safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: data), containing: "needs 12 bytes")
        expectMalformedCheckpoint(safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: data), containing: "overlaps")
        expectMalformedCheckpoint(safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: data), containing: "gap of 4 bytes")
        expectMalformedCheckpoint(safetensorsBytes(header: ok, data: data + [1, 2]), containing: "2 bytes after the last tensor")
        expectMalformedCheckpoint(safetensorsBytes(header: #"{"__metadata__":{"a":1}}"#, data: []), containing: "__metadata__")
    }

    @Test func atomicWriteReplacesOrLeavesTheOldFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        try SafeTensors.write(["a": Tensor([1, 2])], to: url)
        try SafeTensors.write(["a": Tensor([3, 4])], to: url)
        #expect(try SafeTensors.read(from: url).tensors["a"]!.asArray(Float.self) == [3, 4])
        // Only the file itself: no temporary files left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.safetensors"])
        // Writing into a missing directory fails and creates nothing.
        let missing = directory.appendingPathComponent("no/such/dir/model.safetensors")
        #expect(throws: CheckpointError.self) { try SafeTensors.write(["a": Tensor([1])], to: missing) }
        #expect(throws: CheckpointError.self) { try SafeTensors.read(from: missing) }
    }
}

@Suite struct SafeTensorsInteroperabilityTests {
    @Test("a file written by PyTorch's safetensors.torch.save_file loads into Loom")
    func readsPyTorchFile() throws {
        let (tensors, metadata) = try SafeTensors.decode(SafeTensorsPyTorchFixture.bytes, path: "pytorch.safetensors")
        #expect(metadata == SafeTensorsPyTorchFixture.metadata)
        #expect(Set(tensors.keys) == Set(SafeTensorsPyTorchFixture.expected.keys))
        for (name, expected) in SafeTensorsPyTorchFixture.expected {
            let tensor = try #require(tensors[name])
            #expect(SafeTensors.code(for: tensor.dtype) == expected.dtype, "\(name)")
            #expect(tensor.shape == expected.shape, "\(name)")
            #expect(tensor.asArray(Double.self) == expected.values, "\(name)")
        }
    }

    @Test("Loom writes the same tensors back in a form that decodes to identical values")
    func roundTripsPyTorchTensors() throws {
        let (tensors, metadata) = try SafeTensors.decode(SafeTensorsPyTorchFixture.bytes, path: "pytorch.safetensors")
        let (again, metadataAgain) = try SafeTensors.decode(SafeTensors.encode(tensors, metadata: metadata), path: "loom")
        #expect(metadataAgain == metadata)
        for (name, tensor) in tensors {
            #expect(again[name]!.dtype == tensor.dtype)
            #expect(again[name]!.asArray(Double.self) == tensor.asArray(Double.self))
        }
    }
}
