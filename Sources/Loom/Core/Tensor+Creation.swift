extension Tensor {
    /// A tensor of `shape` with every element `value`.
    public static func full(_ shape: [Int], value: Double, dtype: DType = .float32) -> Tensor {
        precondition(shape.allSatisfy { $0 >= 0 }, "full: negative dimension in \(shape)")
        switch dtype {
        case .float32: return make(Float.self, shape: shape) { $0.initialize(repeating: Float(value)) }
        case .float64: return make(Double.self, shape: shape) { $0.initialize(repeating: value) }
        case .int32: return make(Int32.self, shape: shape) { $0.initialize(repeating: Int32(convertingDouble: value)) }
        case .int64: return make(Int64.self, shape: shape) { $0.initialize(repeating: Int64(convertingDouble: value)) }
        }
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor { full(shape, value: 0, dtype: dtype) }

    /// A tensor of ones.
    public static func ones(_ shape: [Int], dtype: DType = .float32) -> Tensor { full(shape, value: 1, dtype: dtype) }

    /// Zeros with this tensor's shape and element type.
    public func zerosLike() -> Tensor { Tensor.zeros(shape, dtype: dtype) }

    /// Ones with this tensor's shape and element type.
    public func onesLike() -> Tensor { Tensor.ones(shape, dtype: dtype) }

    /// A rank-0 tensor holding `value`.
    public init(_ value: Double, dtype: DType = .float32) {
        self = Tensor.full([], value: value, dtype: dtype)
    }

    /// A tensor of `shape` holding `scalars` in row-major order, stored as `dtype` (by
    /// default the Swift type's own: `Float` → float32, `Double` → float64, `Int32` → int32,
    /// `Int64` → int64).
    public init<T: TensorScalar>(shape: [Int], scalars: [T], dtype: DType? = nil) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor(shape:scalars:): negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == scalars.count,
                     "Tensor(shape:scalars:): shape \(shape) needs \(shape.reduce(1, *)) elements, got \(scalars.count)")
        let native = Tensor.make(T.self, shape: shape) { buffer in
            _ = buffer.initialize(from: scalars)
        }
        self = (dtype == nil || dtype == T.dtype) ? native : Kernels.cast(native, to: dtype!)
    }

    /// A contiguous tensor of `shape` and `T`'s element type whose elements `initializer` writes
    /// in row-major order (it must write every one): a tensor from data without an
    /// intermediate array.
    public init<T: TensorScalar>(shape: [Int], writing type: T.Type, _ initializer: (UnsafeMutableBufferPointer<T>) -> Void) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor(shape:writing:): negative dimension in \(shape)")
        self = Tensor.make(T.self, shape: shape, initializer)
    }

    /// A tensor from a (possibly nested) Swift array, such as `[[1, 2], [3, 4]]`. Literal
    /// numbers become float32 unless `dtype` says otherwise; `Int` arrays become int64 only
    /// when asked (`dtype: .int64`), so `Tensor([1, 2, 3])` is float32 like the default.
    public init<Literal: TensorLiteral>(_ literal: Literal, dtype: DType = .float32) {
        var scalars: [Double] = []
        let shape = Literal.shape(of: literal)
        Literal.flatten(literal, into: &scalars, expecting: shape, depth: 0)
        self = Tensor(shape: shape, scalars: scalars, dtype: dtype)
    }

    /// `[start, start + step, …)` up to but excluding `end` (NumPy's `arange`).
    public static func arange(_ start: Double = 0, _ end: Double, step: Double = 1, dtype: DType = .float32) -> Tensor {
        precondition(step != 0, "arange: step must not be zero")
        let count = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor(shape: [count], scalars: (0..<count).map { start + Double($0) * step }, dtype: dtype)
    }

    /// `count` evenly spaced values from `start` to `end`, both included.
    public static func linspace(_ start: Double, _ end: Double, count: Int, dtype: DType = .float32) -> Tensor {
        precondition(count >= 0, "linspace: negative count \(count)")
        let step = count > 1 ? (end - start) / Double(count - 1) : 0
        // The last value is `end` exactly (not start + (count−1)·step); a single value is
        // `start`, as in NumPy, PyTorch and JAX.
        return Tensor(shape: [count], scalars: (0..<count).map { $0 == count - 1 && count > 1 ? end : start + Double($0) * step }, dtype: dtype)
    }

    /// The identity matrix `[n, n]`.
    public static func eye(_ n: Int, dtype: DType = .float32) -> Tensor {
        precondition(n >= 0, "eye: negative size \(n)")
        var scalars = [Double](repeating: 0, count: n * n)
        for i in 0..<n { scalars[i * n + i] = 1 }
        return Tensor(shape: [n, n], scalars: scalars, dtype: dtype)
    }

    /// A tensor of `shape` that is 1 at flat position `index` and 0 elsewhere.
    static func oneHot(index: Int, shape: [Int], dtype: DType) -> Tensor {
        var scalars = [Double](repeating: 0, count: shape.reduce(1, *))
        scalars[index] = 1
        return Tensor(shape: shape, scalars: scalars, dtype: dtype)
    }
}

/// Swift values that describe a tensor: numbers and arrays of them, nested to any depth.
public protocol TensorLiteral {
    /// The shape of `value` (empty for a number).
    static func shape(of value: Self) -> [Int]
    /// Appends the numbers in row-major order, trapping when the nesting is ragged.
    static func flatten(_ value: Self, into scalars: inout [Double], expecting shape: [Int], depth: Int)
}

extension TensorLiteral where Self: TensorScalar {
    /// A scalar has shape `[]`.
    public static func shape(of value: Self) -> [Int] { [] }
    /// Appends the scalar.
    public static func flatten(_ value: Self, into scalars: inout [Double], expecting shape: [Int], depth: Int) {
        scalars.append(value.doubleValue)
    }
}

extension Float: TensorLiteral {}
extension Double: TensorLiteral {}
extension Int32: TensorLiteral {}
extension Int64: TensorLiteral {}

extension Int: TensorLiteral {
    /// An integer literal is a scalar, shape `[]`.
    public static func shape(of value: Int) -> [Int] { [] }
    /// Appends the integer as a number.
    public static func flatten(_ value: Int, into scalars: inout [Double], expecting shape: [Int], depth: Int) {
        scalars.append(Double(value))
    }
}

extension Array: TensorLiteral where Element: TensorLiteral {
    /// `[count]` followed by the first element's shape (raggedness is caught by `flatten`).
    public static func shape(of value: [Element]) -> [Int] {
        [value.count] + (value.first.map { Element.shape(of: $0) } ?? [])
    }
    /// Appends every element in row-major order; traps when a level's count differs from `shape`.
    public static func flatten(_ value: [Element], into scalars: inout [Double], expecting shape: [Int], depth: Int) {
        precondition(value.count == shape[depth], "Tensor: ragged nested array (expected \(shape[depth]) elements at depth \(depth), got \(value.count))")
        for element in value { Element.flatten(element, into: &scalars, expecting: shape, depth: depth + 1) }
    }
}
