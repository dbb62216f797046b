import Foundation
import Loom
import LoomTraining
import LoomNN

/// Averages the gradients of a data-parallel step over all processes with one allreduce: every
/// gradient, and the step's totals, packed into one flat buffer (a single bucket).
///
/// Each process's gradients are of the mean loss over its own part of the global batch, and
/// the parts may differ in size (by one, or a part may be empty), so the bucket carries
/// `nᵣ · ∇Lᵣ` and `nᵣ`, and the result is
///
///     ∇L = Σᵣ nᵣ ∇Lᵣ / Σᵣ nᵣ
///
/// — the gradient of the mean loss over the global batch, as one process would compute it
/// (up to the order of float additions). A missing gradient counts as zero, and a NaN or
/// infinity on one process reaches all, so every process takes the same divergence decision.
/// The buffer is float32 when every parameter is, else float64.
public final class GradientBucket {
    public let communicator: Communicator
    public let parameters: [Parameter]
    private let offsets: [Int]
    private let usesFloat32: Bool
    private var float32Buffer: [Float] = []
    private var float64Buffer: [Double] = []

    /// Steps reduced so far.
    public private(set) var steps = 0
    /// Wall-clock seconds spent inside the allreduce (waiting for the slowest process included).
    public private(set) var allReduceSeconds = 0.0
    /// Scalars per allreduce: every gradient element and the three totals.
    public var elementCount: Int { offsets.last! + 3 }

    /// A bucket over `parameters` (every process lists the same parameters in the same order).
    public init(parameters: [Parameter], communicator: Communicator) {
        self.parameters = parameters
        self.communicator = communicator
        var offsets = [0]
        for parameter in parameters { offsets.append(offsets.last! + parameter.count) }
        self.offsets = offsets
        usesFloat32 = parameters.allSatisfy { $0.value.dtype == .float32 }
        if usesFloat32 { float32Buffer = [Float](repeating: 0, count: offsets.last! + 3) }
        else { float64Buffer = [Double](repeating: 0, count: offsets.last! + 3) }
    }

    /// Replaces every parameter's gradient by the global batch's and returns the global totals
    /// (a `Trainer/gradientReducer`).
    public func reduce(_ local: StepTotals) throws -> StepTotals {
        let totals = usesFloat32 ? try reduce(local, buffer: &float32Buffer) : try reduce(local, buffer: &float64Buffer)
        steps += 1
        return totals
    }

    private func reduce<T: TensorScalar & BinaryFloatingPoint>(_ local: StepTotals, buffer: inout [T]) throws -> StepTotals {
        let weight = T(local.count)
        let tail = offsets.last!
        for (index, parameter) in parameters.enumerated() {
            let range = offsets[index]..<offsets[index + 1]
            guard let gradient = parameter.gradient, local.count > 0 else {
                for i in range { buffer[i] = 0 }
                continue
            }
            let values = gradient.dtype == T.dtype ? gradient : gradient.cast(to: T.dtype)
            values.withUnsafeScalars(T.self) { source in
                for (i, value) in zip(range, source) { buffer[i] = value * weight }
            }
        }
        (buffer[tail], buffer[tail + 1], buffer[tail + 2]) = (T(local.lossSum), T(local.correct), T(local.count))
        let start = DispatchTime.now().uptimeNanoseconds
        try buffer.withUnsafeMutableBufferPointer { pointer in
            if let pointer = pointer as? UnsafeMutableBufferPointer<Float> { try communicator.allReduce(pointer) }
            else if let pointer = pointer as? UnsafeMutableBufferPointer<Double> { try communicator.allReduce(pointer) }
        }
        allReduceSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        let count = buffer[tail + 2]
        for (index, parameter) in parameters.enumerated() where !parameter.isFrozen {
            let scalars = buffer[offsets[index]..<offsets[index + 1]].map { count > 0 ? $0 / count : 0 }
            let gradient = Tensor(shape: parameter.shape, scalars: scalars)
            parameter.gradient = gradient.dtype == parameter.value.dtype ? gradient : gradient.cast(to: parameter.value.dtype)
        }
        return StepTotals(lossSum: Double(buffer[tail]), correct: Double(buffer[tail + 1]), count: Double(count))
    }
}
