/// An n-dimensional array of numbers with value semantics, NumPy broadcasting and reverse-mode
/// automatic differentiation.
///
/// A tensor is a ``Layout`` (shape, strides, offset) over shared storage. Views such as
/// `reshaped(_:)`, ``transposed()``, ``expanded(to:)`` and slicing share storage; writing
/// through ``withUnsafeMutableScalars(_:_:)`` copies first unless the tensor is the only owner.
///
/// A tensor produced by a recorded operation carries a graph node that remembers how to
/// propagate gradients; set ``requiresGradient`` on inputs, call ``backward(seed:createGraph:)``
/// on a result, and read ``gradient``.
public struct Tensor {
    var storage: TensorStorage
    /// Shape, strides and offset of this tensor in its storage.
    public internal(set) var layout: Layout
    /// The element type.
    public let dtype: DType
    /// The graph node, when this tensor requires a gradient.
    var node: GraphNode?

    init(storage: TensorStorage, layout: Layout, dtype: DType, node: GraphNode? = nil) {
        self.storage = storage
        self.layout = layout
        self.dtype = dtype
        self.node = node
    }

    /// A new contiguous tensor whose elements are written by `initializer`, which receives a
    /// buffer of `shape`'s element count.
    static func make<T: TensorScalar>(
        _ type: T.Type, shape: [Int], _ initializer: (UnsafeMutableBufferPointer<T>) -> Void
    ) -> Tensor {
        let layout = Layout(contiguous: shape)
        let storage = TensorStorage(byteCount: layout.count * T.dtype.byteSize)
        initializer(UnsafeMutableBufferPointer(start: storage.pointer(as: T.self), count: layout.count))
        return Tensor(storage: storage, layout: layout, dtype: T.dtype)
    }

    /// A new contiguous tensor of `dtype` with uninitialized elements.
    static func uninitialized(shape: [Int], dtype: DType) -> Tensor {
        let layout = Layout(contiguous: shape)
        return Tensor(storage: TensorStorage(byteCount: layout.count * dtype.byteSize), layout: layout, dtype: dtype)
    }

    /// The size of each axis.
    public var shape: [Int] { layout.shape }
    /// The number of axes.
    public var rank: Int { layout.rank }
    /// The number of elements.
    public var count: Int { layout.count }
    /// Whether elements are stored in row-major order without gaps.
    public var isContiguous: Bool { layout.isContiguous }

    /// The tensor without its graph: same values, no gradient flows through it.
    public func detached() -> Tensor {
        Tensor(storage: storage, layout: layout, dtype: dtype)
    }

    /// Whether two tensors share storage (a view and its base do).
    public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }
}

// MARK: - Reading and writing elements

extension Tensor {
    /// All elements in row-major order, converted to `T`.
    public func asArray<T: TensorScalar>(_ type: T.Type) -> [T] {
        let source = contiguousValue()
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            source.withScalarPointer { (pointer: UnsafePointer<Float>) in
                for i in 0..<source.count { buffer[i] = T(convertingDouble: Double(pointer[i])) }
            } double: { pointer in
                for i in 0..<source.count { buffer[i] = T(convertingDouble: pointer[i]) }
            } int32: { pointer in
                for i in 0..<source.count { buffer[i] = T(convertingInt64: Int64(pointer[i])) }
            } int64: { pointer in
                for i in 0..<source.count { buffer[i] = T(convertingInt64: pointer[i]) }
            }
            initialized = source.count
        }
    }

    /// The single element of a tensor with one element, converted to `T`.
    public func item<T: TensorScalar>(_ type: T.Type = Float.self) -> T {
        precondition(count == 1, "item: tensor of shape \(shape) has \(count) elements, not 1")
        return asArray(T.self)[0]
    }

    /// The element at a multi-index (negative indices count from the end), converted to `T`.
    public func scalar<T: TensorScalar>(at indices: [Int], as type: T.Type = Float.self) -> T {
        precondition(indices.count == rank, "scalar(at:): \(indices.count) indices for rank \(rank)")
        let resolved = indices.enumerated().map { axis, index in
            let i = index < 0 ? index + shape[axis] : index
            precondition(i >= 0 && i < shape[axis], "scalar(at:): index \(index) out of range for axis \(axis) of size \(shape[axis])")
            return i
        }
        let position = layout.index(resolved)
        switch dtype {
        case .float32: return T(convertingDouble: Double(storage.pointer(as: Float.self)[position]))
        case .float64: return T(convertingDouble: storage.pointer(as: Double.self)[position])
        case .int32: return T(convertingInt64: Int64(storage.pointer(as: Int32.self)[position]))
        case .int64: return T(convertingInt64: storage.pointer(as: Int64.self)[position])
        }
    }

    /// Calls one of the closures with a pointer to this contiguous tensor's first element.
    func withScalarPointer(
        _ float: (UnsafePointer<Float>) -> Void,
        double: (UnsafePointer<Double>) -> Void,
        int32: (UnsafePointer<Int32>) -> Void,
        int64: (UnsafePointer<Int64>) -> Void
    ) {
        precondition(isContiguous)
        switch dtype {
        case .float32: float(storage.pointer(as: Float.self) + layout.offset)
        case .float64: double(storage.pointer(as: Double.self) + layout.offset)
        case .int32: int32(storage.pointer(as: Int32.self) + layout.offset)
        case .int64: int64(storage.pointer(as: Int64.self) + layout.offset)
        }
    }

    /// Gives read access to the elements of a contiguous copy (or this tensor when already
    /// contiguous) as a buffer of `T`, which must be the tensor's element type.
    public func withUnsafeScalars<T: TensorScalar, R>(
        _ type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R
    ) rethrows -> R {
        precondition(T.dtype == dtype, "withUnsafeScalars: tensor is \(dtype), not \(T.dtype)")
        let source = contiguousValue()
        return try body(UnsafeBufferPointer(start: source.storage.pointer(as: T.self) + source.layout.offset, count: count))
    }

    /// Gives read access to the elements' bytes in row-major order, in this machine's byte
    /// order (little-endian on x86-64 and arm64), whatever the element type: the form files
    /// and transports (safetensors, MPI buffers) want.
    public func withUnsafeRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let source = contiguousValue()
        let start = UnsafeRawPointer(source.storage.bytes) + source.layout.offset * dtype.byteSize
        return try body(UnsafeRawBufferPointer(start: start, count: count * dtype.byteSize))
    }

    /// Gives write access to the elements as a contiguous buffer of `T` (the tensor's element
    /// type). Copies first when the storage is shared or the layout is not contiguous, so no
    /// other tensor observes the writes. The graph node is kept: writing in place is for
    /// values outside differentiation (optimizer updates).
    public mutating func withUnsafeMutableScalars<T: TensorScalar, R>(
        _ type: T.Type, _ body: (UnsafeMutableBufferPointer<T>) throws -> R
    ) rethrows -> R {
        precondition(T.dtype == dtype, "withUnsafeMutableScalars: tensor is \(dtype), not \(T.dtype)")
        if !isUniquelyOwned {
            let copy = contiguousCopy()
            storage = copy.storage
            layout = copy.layout
        }
        return try body(UnsafeMutableBufferPointer(start: storage.pointer(as: T.self), count: count))
    }

    /// Whether this tensor is the only one holding its storage, all of which it spans in a
    /// contiguous layout: then writing into the storage changes no other tensor.
    var isUniquelyOwned: Bool {
        mutating get {
            isKnownUniquelyReferenced(&storage) && layout.isContiguous && layout.offset == 0
                && storage.byteCount == count * dtype.byteSize
        }
    }

    /// The same values in a row-major contiguous layout: `self` when already contiguous,
    /// otherwise a copy. Differentiable (the copy is a reshape to the same shape).
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        let copy = contiguousCopy()
        return Tensor.record(.reshape, copy, inputs: [self]) { g, _, _ in [g] }
    }

    /// This tensor's values in a contiguous layout, without graph (a copy only when needed).
    func contiguousValue() -> Tensor {
        isContiguous ? detached() : contiguousCopy()
    }

    /// A fresh contiguous copy of the values, without graph.
    func contiguousCopy() -> Tensor {
        let result = Tensor.uninitialized(shape: shape, dtype: dtype)
        Kernels.copy(self, into: result)
        return result
    }
}
