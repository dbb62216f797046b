extension Kernels {
    /// Positions `(outer, inner)` of `x` viewed as `[outer, size, inner]` around `axis`.
    static func split(_ shape: [Int], at axis: Int) -> (outer: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[(axis + 1)...].reduce(1, *))
    }

    /// The indices as a contiguous `[Int64]`, each checked against `size`.
    static func checkedIndices(_ indices: Tensor, size: Int, _ operation: String) -> [Int64] {
        precondition(!indices.dtype.isFloatingPoint, "\(operation): indices must be int32 or int64, got \(indices.dtype)")
        let values = indices.asArray(Int64.self)
        for value in values {
            precondition(value >= 0 && value < size, "\(operation): index \(value) is out of range for an axis of size \(size)")
        }
        return values
    }

    /// `out[o, j, i] = x[o, indices[o, j, i], i]` around `axis` (NumPy's take_along_axis).
    static func gather(_ x: Tensor, indices: Tensor, axis: Int) -> Tensor {
        let index = checkedIndices(indices, size: x.shape[axis], "gather")
        switch x.dtype {
        case .float32: return gather(x, index, indices.shape, axis, Float.self)
        case .float64: return gather(x, index, indices.shape, axis, Double.self)
        case .int32: return gather(x, index, indices.shape, axis, Int32.self)
        case .int64: return gather(x, index, indices.shape, axis, Int64.self)
        }
    }

    private static func gather<T: TensorScalar>(_ x: Tensor, _ index: [Int64], _ shape: [Int], _ axis: Int, _ type: T.Type) -> Tensor {
        let source = x.contiguousValue()
        let (outer, inner) = split(shape, at: axis)
        let size = x.shape[axis], picked = shape[axis]
        return Tensor.make(T.self, shape: shape) { out in
            let p = source.storage.pointer(as: T.self) + source.layout.offset
            for o in 0..<outer {
                for j in 0..<picked {
                    for i in 0..<inner {
                        let position = (o * picked + j) * inner + i
                        out[position] = p[(o * size + Int(index[position])) * inner + i]
                    }
                }
            }
        }
    }

    /// The adjoint of ``gather(_:indices:axis:)``: zeros of `shape` with each element of
    /// `values` added at the position gather would have read it from.
    static func scatterAdd(_ values: Tensor, indices: Tensor, axis: Int, shape: [Int]) -> Tensor {
        let index = checkedIndices(indices, size: shape[axis], "scatterAdd")
        switch values.dtype {
        case .float32: return scatterAdd(values, index, axis, shape, Float.self)
        case .float64: return scatterAdd(values, index, axis, shape, Double.self)
        case .int32: return scatterAdd(values, index, axis, shape, Int32.self)
        case .int64: return scatterAdd(values, index, axis, shape, Int64.self)
        }
    }

    private static func scatterAdd<T: TensorScalar>(_ values: Tensor, _ index: [Int64], _ axis: Int, _ shape: [Int], _ type: T.Type) -> Tensor {
        let source = values.contiguousValue()
        let (outer, inner) = split(values.shape, at: axis)
        let size = shape[axis], picked = values.shape[axis]
        return Tensor.make(T.self, shape: shape) { out in
            out.initialize(repeating: 0)
            let p = source.storage.pointer(as: T.self) + source.layout.offset
            for o in 0..<outer {
                for j in 0..<picked {
                    for i in 0..<inner {
                        let position = (o * picked + j) * inner + i
                        out[(o * size + Int(index[position])) * inner + i] += p[position]
                    }
                }
            }
        }
    }
}
