import Foundation
import Loom
import LoomNN

/// The one estimate of the memory Loom's work needs, for `MemoryRequirement.check(_:for:)`
/// before anything is allocated: training (`loom train`, the experiments), loading and scoring
/// a model file (`loom evaluate`, `predict`, `export`, `inspect`). An upper bound in float32,
/// not a measurement: it counts every copy that can be alive at once.
public enum MemoryEstimate {
    /// Copies of the parameters while training: the weights, their gradients, up to three
    /// optimizer tensors per weight (AMSGrad), and a checkpoint's encoding (the weights and
    /// those tensors again, as bytes).
    public static let trainingCopies = 1 + 1 + 3 + 4
    /// Copies of a batch's activations kept per layer: the output, the pre-activation, their
    /// gradients, a normalization's and a dropout mask's.
    public static let activationCopies = 6

    /// Bytes to train `architecture` in batches of `batchSize`; nil when the count overflows.
    public static func training(_ architecture: MLPArchitecture, batchSize: Int) -> Int? {
        guard let parameters = architecture.parameterCount,
              let weights = MemoryRequirement.product(parameters, trainingCopies, DType.float32.byteSize),
              let activations = activations(architecture, batchSize: batchSize) else { return nil }
        let (total, overflow) = weights.addingReportingOverflow(activations)
        return overflow ? nil : total
    }

    /// Bytes to read a model file of `fileBytes` (its bytes and the tensors decoded from them)
    /// and, once its `architecture` is known, build the model and score batches of `batchSize`.
    public static func evaluation(fileBytes: Int, architecture: MLPArchitecture? = nil, batchSize: Int = 1) -> Int? {
        guard let file = MemoryRequirement.product(fileBytes, 2) else { return nil }
        guard let architecture else { return file }
        guard let parameters = architecture.parameterCount,
              let model = MemoryRequirement.product(parameters, DType.float32.byteSize),
              let activations = activations(architecture, batchSize: batchSize) else { return nil }
        let (partial, o1) = file.addingReportingOverflow(model)
        let (total, o2) = partial.addingReportingOverflow(activations)
        return o1 || o2 ? nil : total
    }

    /// A batch's activations through every layer of `architecture`.
    static func activations(_ architecture: MLPArchitecture, batchSize: Int) -> Int? {
        var width = 0
        for layer in architecture.widths {
            let (sum, overflow) = width.addingReportingOverflow(layer)
            if overflow { return nil }
            width = sum
        }
        return MemoryRequirement.product(Swift.max(batchSize, 1), width, activationCopies, DType.float32.byteSize)
    }

    /// "the network 784-30000-30000-10": how messages name an architecture.
    public static func name(_ architecture: MLPArchitecture) -> String {
        let widths = architecture.widths
        let shown = widths.count <= 8 ? widths.map(String.init).joined(separator: "-")
            : "\(widths[0])-\(widths[1])-…-\(widths[widths.count - 1]) (\(widths.count - 2) hidden layers)"
        return "the network \(shown)"
    }
}
