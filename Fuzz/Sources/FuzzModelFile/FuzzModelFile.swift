import Foundation
import Loom
import LoomTraining

/// One libFuzzer input: a model file (safetensors whose metadata holds `loom.model` and
/// `loom.configuration`), loaded as `loom evaluate`, `predict`, `export` and `inspect` load it.
/// A thrown error is the expected answer to garbage; a model that loads must score a batch of
/// zeros into finite-shaped outputs and describe itself.
func fuzzModelFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    do {
        try bytes.write(to: scratch)
    } catch {
        preconditionFailure("cannot write the fuzz input to \(scratch.path): \(error)")
    }
    guard let model = try? TrainedModel(file: scratch) else { return 0 }
    _ = model.summary(path: scratch.path)
    let features = model.inputFeatures
    precondition(features > 0, "a loaded model with \(features) input features")
    if features <= 4096, let outputs = try? model.probabilities(Tensor.zeros([2, features])) {
        precondition(outputs.shape.first == 2, "two rows gave outputs of shape \(outputs.shape)")
    }
    return 0
}

/// The file each input is written to (the loader reads files, as the tool does).
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("loom-fuzz-model-\(ProcessInfo.processInfo.processIdentifier).safetensors")
