extension Float: FloatScalar {
    @inline(__always) static func exp(_ x: Float) -> Float { Platform.exp(x) }
    @inline(__always) static func log(_ x: Float) -> Float { Platform.log(x) }
    @inline(__always) static func tanh(_ x: Float) -> Float { Platform.tanh(x) }
    @inline(__always) static func pow(_ x: Float, _ y: Float) -> Float { Platform.pow(x, y) }
}

extension Double: FloatScalar {
    @inline(__always) static func exp(_ x: Double) -> Double { Platform.exp(x) }
    @inline(__always) static func log(_ x: Double) -> Double { Platform.log(x) }
    @inline(__always) static func tanh(_ x: Double) -> Double { Platform.tanh(x) }
    @inline(__always) static func pow(_ x: Double, _ y: Double) -> Double { Platform.pow(x, y) }
}

/// The CPU kernel layer: the only code that touches tensor memory. Operations call these
/// through `Tensor`; nothing above this layer knows about strides, threads or SIMD.
enum Kernels {
    /// out[i] = f(x[i]) over `x`'s shape; `out` is a new contiguous tensor of `U`.
    @inline(__always)
    static func map<T: TensorScalar, U: TensorScalar>(
        _ x: Tensor, _ input: T.Type, _ output: U.Type, _ f: (T) -> U
    ) -> Tensor {
        let result = Tensor.uninitialized(shape: x.shape, dtype: U.dtype)
        let loop = StridedLoop(shape: x.shape, layouts: [result.layout, x.layout])
        let out = result.storage.pointer(as: U.self), source = x.storage.pointer(as: T.self)
        let stride = loop.innerStrides[1]
        loop.forEachSegment { row, begin, end in
            let o = out + loop.offset(row: row, operand: 0)
            let p = source + loop.offset(row: row, operand: 1)
            if stride == 1 {
                for i in begin..<end { o[i] = f(p[i]) }
            } else {
                for i in begin..<end { o[i] = f(p[i * stride]) }
            }
        }
        return result
    }

    /// out[i] = f(a[i], b[i]) with NumPy broadcasting; `a` and `b` have element type `T`.
    @inline(__always)
    static func zip<T: TensorScalar, U: TensorScalar>(
        _ a: Tensor, _ b: Tensor, _ input: T.Type, _ output: U.Type, _ operation: String, _ f: (T, T) -> U
    ) -> Tensor {
        withoutActuallyEscaping(f) { zip(a, b, operation, ScalarClosure(body: $0)) }
    }

    /// out[i] = f(a[i], b[i]) with NumPy broadcasting, for `f` given as a type: the kernel
    /// specialized for it calls `f` directly, so its loops inline and vectorize (a closure
    /// would be called through a pointer per element: `zip` with a closure was a third of the
    /// time of a Hessian before the arithmetic went through this).
    static func zip<F: BinaryScalarFunction>(_ a: Tensor, _ b: Tensor, _ operation: String, _ f: F) -> Tensor {
        let shape = broadcastShape(a.shape, b.shape, operation)
        let result = Tensor.uninitialized(shape: shape, dtype: F.Output.dtype)
        zip(a, b, f, into: result)
        return result
    }

    /// `result[i] = f(a[i], b[i])` for a `result` of the broadcast shape, which may be `a`
    /// itself (each element is read before it is written, at the same index).
    private static func zip<F: BinaryScalarFunction>(_ a: Tensor, _ b: Tensor, _ f: F, into result: Tensor) {
        let shape = result.shape
        let loop = StridedLoop(shape: shape, layouts: [result.layout, a.layout.expanded(to: shape)!, b.layout.expanded(to: shape)!])
        let out = result.storage.pointer(as: F.Output.self)
        let left = a.storage.pointer(as: F.Input.self), right = b.storage.pointer(as: F.Input.self)
        let sa = loop.innerStrides[1], sb = loop.innerStrides[2]
        loop.forEachSegment { row, begin, end in
            let o = out + loop.offset(row: row, operand: 0)
            let p = left + loop.offset(row: row, operand: 1)
            let q = right + loop.offset(row: row, operand: 2)
            if sa == 1 && sb == 1 {
                for i in begin..<end { o[i] = f(p[i], q[i]) }
            } else if sa == 1 && sb == 0 {
                let y = q[0]
                for i in begin..<end { o[i] = f(p[i], y) }
            } else if sa == 0 && sb == 1 {
                let x = p[0]
                for i in begin..<end { o[i] = f(x, q[i]) }
            } else {
                for i in begin..<end { o[i] = f(p[i * sa], q[i * sb]) }
            }
        }
    }

    /// `a += b` in `a`'s own storage (`b` broadcast to `a`'s shape), for a float `a` that is
    /// contiguous, owns its whole storage and is referenced by no other tensor; false, with
    /// nothing written, for any other `a` (then `a + b` is the way).
    static func addInPlace(_ a: inout Tensor, _ b: Tensor) -> Bool {
        guard a.dtype == b.dtype, a.node == nil,
              Shapes.broadcast(a.shape, b.shape) == a.shape, a.isUniquelyOwned else { return false }
        switch a.dtype {
        case .float32: zip(a, b, Addition<Float>(), into: a)
        case .float64: zip(a, b, Addition<Double>(), into: a)
        case .int32, .int64: return false
        }
        return true
    }

    /// The broadcast of two shapes, trapping with the operation's name when incompatible.
    static func broadcastShape(_ a: [Int], _ b: [Int], _ operation: String) -> [Int] {
        guard let shape = Shapes.broadcast(a, b) else {
            preconditionFailure("\(operation): shapes \(a) and \(b) cannot be broadcast together")
        }
        return shape
    }

    /// Copies `source`'s elements into `destination`'s layout (same shape; `destination`
    /// may be a strided view of fresh storage, as when concatenating).
    static func copy(_ source: Tensor, into destination: Tensor) {
        precondition(source.shape == destination.shape && source.dtype == destination.dtype,
                     "copy: \(source.dtype)\(source.shape) into \(destination.dtype)\(destination.shape)")
        switch source.dtype {
        case .float32, .int32: copyElements(source, destination, UInt32.self)
        case .float64, .int64: copyElements(source, destination, UInt64.self)
        }
    }

    private static func copyElements<Bits>(_ source: Tensor, _ destination: Tensor, _ type: Bits.Type) {
        let loop = StridedLoop(shape: source.shape, layouts: [destination.layout, source.layout])
        let out = destination.storage.pointer(as: Bits.self), input = source.storage.pointer(as: Bits.self)
        let so = loop.innerStrides[0], si = loop.innerStrides[1]
        loop.forEachSegment { row, begin, end in
            let o = out + loop.offset(row: row, operand: 0)
            let p = input + loop.offset(row: row, operand: 1)
            if so == 1 && si == 1 {
                (o + begin).update(from: p + begin, count: end - begin)
            } else {
                for i in begin..<end { o[i * so] = p[i * si] }
            }
        }
    }

    /// The elements converted to `dtype`.
    static func cast(_ x: Tensor, to dtype: DType) -> Tensor {
        func convert<T: TensorScalar>(_ type: T.Type) -> Tensor {
            switch dtype {
            case .float32: map(x, T.self, Float.self) { Float(convertingDouble: $0.doubleValue) }
            case .float64: map(x, T.self, Double.self) { $0.doubleValue }
            // From floating point, out-of-range values saturate (as `full` does); between
            // integer types, values wrap (as NumPy's astype does).
            case .int32: x.dtype.isFloatingPoint
                ? map(x, T.self, Int32.self) { Int32(convertingDouble: $0.doubleValue) }
                : map(x, T.self, Int32.self) { Int32(convertingInt64: $0.int64Value) }
            case .int64: x.dtype.isFloatingPoint
                ? map(x, T.self, Int64.self) { Int64(convertingDouble: $0.doubleValue) }
                : map(x, T.self, Int64.self) { $0.int64Value }
            }
        }
        switch x.dtype {
        case .float32: return convert(Float.self)
        case .float64: return convert(Double.self)
        case .int32: return convert(Int32.self)
        case .int64: return convert(Int64.self)
        }
    }
}

/// A function of two scalars as a type, for ``Kernels/zip(_:_:_:_:)``.
protocol BinaryScalarFunction {
    associatedtype Input: TensorScalar
    associatedtype Output: TensorScalar
    func callAsFunction(_ a: Input, _ b: Input) -> Output
}

/// Any closure, called through its pointer (the general, slower case).
struct ScalarClosure<Input: TensorScalar, Output: TensorScalar>: BinaryScalarFunction {
    let body: (Input, Input) -> Output
    @inline(__always) func callAsFunction(_ a: Input, _ b: Input) -> Output { body(a, b) }
}

// The four arithmetic operations of floating-point tensors, the bulk of every backward pass,
// one type each so that each kernel's loop is specialized for one operation.

/// `a + b`.
struct Addition<Input: FloatScalar>: BinaryScalarFunction {
    @inline(__always) func callAsFunction(_ a: Input, _ b: Input) -> Input { a + b }
}

/// `a − b`.
struct Subtraction<Input: FloatScalar>: BinaryScalarFunction {
    @inline(__always) func callAsFunction(_ a: Input, _ b: Input) -> Input { a - b }
}

/// `a · b`.
struct Multiplication<Input: FloatScalar>: BinaryScalarFunction {
    @inline(__always) func callAsFunction(_ a: Input, _ b: Input) -> Input { a * b }
}

/// `a / b`.
struct Division<Input: FloatScalar>: BinaryScalarFunction {
    @inline(__always) func callAsFunction(_ a: Input, _ b: Input) -> Input { a / b }
}

/// `x > 0 ? g : g · 0` for `(g, x)`: the ReLU's pullback.
struct ReLUPullback<Input: FloatScalar>: BinaryScalarFunction {
    @inline(__always) func callAsFunction(_ g: Input, _ x: Input) -> Input { x > 0 ? g : g * 0 }
}
