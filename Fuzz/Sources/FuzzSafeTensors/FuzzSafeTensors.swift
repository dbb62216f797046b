import Foundation
import Loom
import LoomExperiments
import LoomNN

/// One libFuzzer input: a safetensors file. Whatever decodes must encode and decode back to
/// the same names, shapes and dtypes, and loading it into a small model must either fit or
/// throw.
func fuzzSafeTensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let (tensors, metadata) = try? SafeTensors.decode(bytes, path: "fuzz.safetensors") else { return 0 }
    let again = try! SafeTensors.decode(SafeTensors.encode(tensors, metadata: metadata), path: "round trip")
    precondition(again.metadata == metadata, "safetensors: metadata changed in a round trip")
    for (name, tensor) in tensors {
        precondition(again.tensors[name]?.shape == tensor.shape && again.tensors[name]?.dtype == tensor.dtype,
                     "safetensors: \(name) changed in a round trip")
    }
    var generator = SeededGenerator(seed: 0)
    let model = MLP(widths: [2, 2], activation: .relu, using: &generator)
    _ = try? model.loadStateDictionary(tensors, source: "fuzz.safetensors", allowingExtraNames: true)
    return 0
}
