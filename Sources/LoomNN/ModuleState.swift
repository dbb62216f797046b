import Loom

extension Module {
    /// The module's state as named tensors: every parameter and buffer by its dotted path
    /// (`layers.0.weight`, `layers.1.runningMean`), the names checkpoints use.
    public func stateDictionary() -> [String: Tensor] {
        var state: [String: Tensor] = [:]
        for (path, parameter) in namedParameters() { state[path] = parameter.value.detached() }
        for (path, buffer) in namedBuffers() { state[path] = buffer.value }
        return state
    }

    /// Loads parameters and buffers by path. Every tensor the module has must be present with
    /// its shape; the element type is converted when it differs. Names the module does not
    /// have are an error unless `allowingExtraNames`. Nothing is changed unless everything
    /// fits.
    ///
    /// - Parameters:
    ///   - state: tensors by dotted path (`layers.0.weight`).
    ///   - source: names the origin (a file path) in error messages.
    ///   - allowingExtraNames: ignore names the module does not have.
    public func loadStateDictionary(_ state: [String: Tensor], source: String, allowingExtraNames: Bool = false) throws {
        let parameters = namedParameters(), buffers = namedBuffers()
        var expected: [String: [Int]] = [:]
        for (path, parameter) in parameters { expected[path] = parameter.shape }
        for (path, buffer) in buffers { expected[path] = buffer.shape }
        // Wrong shapes first: they say more about what went wrong than a missing name.
        for (path, shape) in expected.sorted(by: { $0.key < $1.key }) {
            guard let tensor = state[path] else { continue }
            guard tensor.shape == shape else {
                throw CheckpointError.incompatible(path: source, reason: "\"\(path)\" has shape \(tensor.shape), the model needs \(shape)")
            }
            guard tensor.dtype.isFloatingPoint else {
                throw CheckpointError.incompatible(path: source, reason: "\"\(path)\" is \(tensor.dtype), the model needs floating point")
            }
        }
        if let (path, shape) = expected.sorted(by: { $0.key < $1.key }).first(where: { state[$0.key] == nil }) {
            throw CheckpointError.incompatible(path: source, reason: "it has no tensor \"\(path)\" (shape \(shape))")
        }
        if !allowingExtraNames, let extra = state.keys.sorted().first(where: { expected[$0] == nil }) {
            throw CheckpointError.incompatible(path: source, reason: "the model has no tensor \"\(extra)\"")
        }
        for (path, parameter) in parameters {
            parameter.value = state[path]!.cast(to: parameter.value.dtype).detached().ownedCopy()
        }
        for (path, buffer) in buffers {
            buffer.value = state[path]!.cast(to: buffer.value.dtype).ownedCopy()
        }
    }
}

extension Tensor {
    /// A contiguous copy with storage of its own, so writing into it in place (an optimizer
    /// step) can never show through the tensor it was loaded from.
    func ownedCopy() -> Tensor {
        var copy = self
        switch dtype {
        case .float32: copy.withUnsafeMutableScalars(Float.self) { _ in }
        case .float64: copy.withUnsafeMutableScalars(Double.self) { _ in }
        case .int32: copy.withUnsafeMutableScalars(Int32.self) { _ in }
        case .int64: copy.withUnsafeMutableScalars(Int64.self) { _ in }
        }
        return copy
    }
}
