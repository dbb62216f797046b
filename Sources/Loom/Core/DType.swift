/// The element type of a ``Tensor``.
///
/// `float32` is the default for values; `float64` serves gradient checks and Newton's method;
/// `int32` and `int64` hold class labels and indices.
public enum DType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case float32
    case float64
    case int32
    case int64

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float32, .int32: 4
        case .float64, .int64: 8
        }
    }

    /// Whether values of this type can carry gradients.
    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

    public var description: String { rawValue }

    /// The type both operands of a binary operation are converted to: floating point wins
    /// over integer, wider wins over narrower (NumPy's and PyTorch's rule for tensors).
    public static func promoted(_ a: DType, _ b: DType) -> DType {
        if a == b { return a }
        switch (a.isFloatingPoint, b.isFloatingPoint) {
        case (true, false): return a
        case (false, true): return b
        default: return a.byteSize >= b.byteSize ? a : b
        }
    }
}

/// A Swift type that can be an element of a ``Tensor``: `Float`, `Double`, `Int32`, `Int64`.
public protocol TensorScalar: SignedNumeric, Comparable, Sendable {
    /// The tensor element type that stores this Swift type.
    static var dtype: DType { get }
    /// Converts from `Double` (rounding toward zero for integer types).
    init(convertingDouble value: Double)
    /// Converts from `Int64` (rounding to nearest for floating-point types).
    init(convertingInt64 value: Int64)
    /// The value as `Double`.
    var doubleValue: Double { get }
    /// The value as `Int64` (rounding toward zero for floating-point types).
    var int64Value: Int64 { get }
}

extension Float: TensorScalar {
    public static var dtype: DType { .float32 }
    @inlinable public init(convertingDouble value: Double) { self = Float(value) }
    @inlinable public init(convertingInt64 value: Int64) { self = Float(value) }
    @inlinable public var doubleValue: Double { Double(self) }
    @inlinable public var int64Value: Int64 { isFinite ? Int64(self) : 0 }
}

extension Double: TensorScalar {
    public static var dtype: DType { .float64 }
    @inlinable public init(convertingDouble value: Double) { self = value }
    @inlinable public init(convertingInt64 value: Int64) { self = Double(value) }
    @inlinable public var doubleValue: Double { self }
    @inlinable public var int64Value: Int64 { isFinite ? Int64(self) : 0 }
}

extension Int32: TensorScalar {
    public static var dtype: DType { .int32 }
    @inlinable public init(convertingDouble value: Double) {
        self = value.isFinite ? Int32(clamping: Int64(Swift.max(Swift.min(value, 9.2e18), -9.2e18))) : 0
    }
    @inlinable public init(convertingInt64 value: Int64) { self = Int32(truncatingIfNeeded: value) }
    @inlinable public var doubleValue: Double { Double(self) }
    @inlinable public var int64Value: Int64 { Int64(self) }
}

extension Int64: TensorScalar {
    public static var dtype: DType { .int64 }
    @inlinable public init(convertingDouble value: Double) {
        self = value.isFinite ? Int64(Swift.max(Swift.min(value, 9.2e18), -9.2e18)) : 0
    }
    @inlinable public init(convertingInt64 value: Int64) { self = value }
    @inlinable public var doubleValue: Double { Double(self) }
    @inlinable public var int64Value: Int64 { self }
}

/// The floating-point element types, with the elementary functions the kernels need.
protocol FloatScalar: TensorScalar, BinaryFloatingPoint {
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
}
