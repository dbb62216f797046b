/// Binary elementwise operations the kernels implement.
enum BinaryOperation: String {
    case add, subtract, multiply, divide, power, maximum, minimum
    case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual
}

/// Unary elementwise operations the kernels implement.
enum UnaryOperation: String {
    case negate, abs, sign, exp, log, sqrt, tanh, sigmoid, relu
}

extension Kernels {
    /// `a ∘ b` with broadcasting; both operands already have the same element type.
    static func binary(_ operation: BinaryOperation, _ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.dtype == b.dtype, "\(operation.rawValue): operands are \(a.dtype) and \(b.dtype)")
        switch a.dtype {
        case .float32: return floatingBinary(operation, a, b, Float.self)
        case .float64: return floatingBinary(operation, a, b, Double.self)
        case .int32: return integerBinary(operation, a, b, Int32.self)
        case .int64: return integerBinary(operation, a, b, Int64.self)
        }
    }

    private static func floatingBinary<T: FloatScalar>(_ operation: BinaryOperation, _ a: Tensor, _ b: Tensor, _ type: T.Type) -> Tensor {
        let name = operation.rawValue
        switch operation {
        case .add: return zip(a, b, name, Addition<T>())
        case .subtract: return zip(a, b, name, Subtraction<T>())
        case .multiply: return zip(a, b, name, Multiplication<T>())
        case .divide: return zip(a, b, name, Division<T>())
        case .power: return zip(a, b, T.self, T.self, name) { T.pow($0, $1) }
        // NaN propagates through maximum and minimum, as in NumPy and PyTorch.
        case .maximum: return zip(a, b, T.self, T.self, name) { $0.isNaN || $0 > $1 ? $0 : $1 }
        case .minimum: return zip(a, b, T.self, T.self, name) { $0.isNaN || $0 < $1 ? $0 : $1 }
        default: return commonBinary(operation, a, b, T.self)
        }
    }

    private static func integerBinary<T: TensorScalar & FixedWidthInteger>(_ operation: BinaryOperation, _ a: Tensor, _ b: Tensor, _ type: T.Type) -> Tensor {
        let name = operation.rawValue
        switch operation {
        case .divide:
            return zip(a, b, T.self, T.self, name) { $1 == 0 ? 0 : $0 / $1 }
        case .power:
            return zip(a, b, T.self, T.self, name) { T(convertingDouble: Double.pow($0.doubleValue, $1.doubleValue)) }
        case .maximum: return zip(a, b, T.self, T.self, name) { Swift.max($0, $1) }
        case .minimum: return zip(a, b, T.self, T.self, name) { Swift.min($0, $1) }
        // Integer arithmetic wraps rather than trapping on overflow, as NumPy's does.
        case .add: return zip(a, b, T.self, T.self, name) { $0 &+ $1 }
        case .subtract: return zip(a, b, T.self, T.self, name) { $0 &- $1 }
        case .multiply: return zip(a, b, T.self, T.self, name) { $0 &* $1 }
        default: return commonBinary(operation, a, b, T.self)
        }
    }

    private static func commonBinary<T: TensorScalar>(_ operation: BinaryOperation, _ a: Tensor, _ b: Tensor, _ type: T.Type) -> Tensor {
        let name = operation.rawValue
        switch operation {
        case .add: return zip(a, b, T.self, T.self, name) { $0 + $1 }
        case .subtract: return zip(a, b, T.self, T.self, name) { $0 - $1 }
        case .multiply: return zip(a, b, T.self, T.self, name) { $0 * $1 }
        case .equal: return zip(a, b, T.self, T.self, name) { $0 == $1 ? 1 : 0 }
        case .notEqual: return zip(a, b, T.self, T.self, name) { $0 != $1 ? 1 : 0 }
        case .less: return zip(a, b, T.self, T.self, name) { $0 < $1 ? 1 : 0 }
        case .lessOrEqual: return zip(a, b, T.self, T.self, name) { $0 <= $1 ? 1 : 0 }
        case .greater: return zip(a, b, T.self, T.self, name) { $0 > $1 ? 1 : 0 }
        case .greaterOrEqual: return zip(a, b, T.self, T.self, name) { $0 >= $1 ? 1 : 0 }
        case .divide, .power, .maximum, .minimum:
            preconditionFailure("\(name): handled by the typed kernels")
        }
    }

    /// `f(x)` elementwise.
    static func unary(_ operation: UnaryOperation, _ x: Tensor) -> Tensor {
        switch x.dtype {
        case .float32: return floatingUnary(operation, x, Float.self)
        case .float64: return floatingUnary(operation, x, Double.self)
        case .int32: return integerUnary(operation, x, Int32.self)
        case .int64: return integerUnary(operation, x, Int64.self)
        }
    }

    private static func floatingUnary<T: FloatScalar>(_ operation: UnaryOperation, _ x: Tensor, _ type: T.Type) -> Tensor {
        switch operation {
        case .negate: return map(x, T.self, T.self) { -$0 }
        case .abs: return map(x, T.self, T.self) { Swift.abs($0) }
        case .sign: return map(x, T.self, T.self) { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }
        case .exp: return map(x, T.self, T.self) { T.exp($0) }
        case .log: return map(x, T.self, T.self) { T.log($0) }
        case .sqrt: return map(x, T.self, T.self) { $0.squareRoot() }
        case .tanh: return map(x, T.self, T.self) { T.tanh($0) }
        // Two forms so that exp never overflows: 1/(1+e^{-x}) for x ≥ 0, e^x/(1+e^x) below.
        case .sigmoid: return map(x, T.self, T.self) { value in
            if value >= 0 { return 1 / (1 + T.exp(-value)) }
            let e = T.exp(value)
            return e / (1 + e)
        }
        case .relu: return map(x, T.self, T.self) { $0 > 0 ? $0 : ($0.isNaN ? $0 : 0) }
        }
    }

    private static func integerUnary<T: TensorScalar & FixedWidthInteger>(_ operation: UnaryOperation, _ x: Tensor, _ type: T.Type) -> Tensor {
        switch operation {
        case .negate: return map(x, T.self, T.self) { 0 &- $0 }
        case .abs: return map(x, T.self, T.self) { $0 < 0 ? 0 &- $0 : $0 }
        case .sign: return map(x, T.self, T.self) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
        case .relu: return map(x, T.self, T.self) { Swift.max($0, 0) }
        case .exp, .log, .sqrt, .tanh, .sigmoid:
            preconditionFailure("\(operation.rawValue): needs a floating-point tensor, got \(x.dtype)")
        }
    }

    /// `condition ≠ 0 ? a : b` elementwise with broadcasting of all three.
    static func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.dtype == b.dtype, "where: branches are \(a.dtype) and \(b.dtype)")
        let shape = broadcastShape(broadcastShape(condition.shape, a.shape, "where"), b.shape, "where")
        // Truthiness is decided in the condition's own type (any non-zero, NaN included, is
        // true) before the 0/1 mask is converted: converting first would turn 0.5 into 0.
        let truth = binary(.notEqual, condition, Tensor.full([], value: 0, dtype: condition.dtype))
        let mask = truth.dtype == a.dtype ? truth : cast(truth, to: a.dtype)
        switch a.dtype {
        case .float32: return select(mask, a, b, shape, Float.self)
        case .float64: return select(mask, a, b, shape, Double.self)
        case .int32: return select(mask, a, b, shape, Int32.self)
        case .int64: return select(mask, a, b, shape, Int64.self)
        }
    }

    private static func select<T: TensorScalar>(_ mask: Tensor, _ a: Tensor, _ b: Tensor, _ shape: [Int], _ type: T.Type) -> Tensor {
        let result = Tensor.uninitialized(shape: shape, dtype: T.dtype)
        let loop = StridedLoop(shape: shape, layouts: [result.layout, mask.layout.expanded(to: shape)!,
                                                       a.layout.expanded(to: shape)!, b.layout.expanded(to: shape)!])
        let out = result.storage.pointer(as: T.self), m = mask.storage.pointer(as: T.self)
        let p = a.storage.pointer(as: T.self), q = b.storage.pointer(as: T.self)
        let (sm, sa, sb) = (loop.innerStrides[1], loop.innerStrides[2], loop.innerStrides[3])
        loop.forEachSegment { row, begin, end in
            let o = out + loop.offset(row: row, operand: 0)
            let mr = m + loop.offset(row: row, operand: 1)
            let ar = p + loop.offset(row: row, operand: 2), br = q + loop.offset(row: row, operand: 3)
            for i in begin..<end { o[i] = mr[i * sm] != 0 ? ar[i * sa] : br[i * sb] }
        }
        return result
    }
}

extension Kernels {
    /// `x > 0 ? g : g · 0` elementwise for same-shape floating tensors: `g · (x > 0)` in one
    /// pass, bit for bit (NaN or ∞ in `g` still gives NaN where the mask is 0).
    static func reluPullback(_ g: Tensor, _ x: Tensor) -> Tensor {
        switch g.dtype {
        case .float32: return zip(g, x, "relu", ReLUPullback<Float>())
        case .float64: return zip(g, x, "relu", ReLUPullback<Double>())
        case .int32, .int64: preconditionFailure("relu: no gradient for \(g.dtype)")
        }
    }
}
