/// An array read from a NumPy `.npy` file (or one entry of an `.npz` archive).
public struct NumpyArray: Sendable {
    /// The sizes of the axes, in C (row-major) order always: a Fortran-order file is
    /// transposed on read. `[]` is a scalar of one element.
    public var shape: [Int]
    /// The elements in C order.
    public var elements: Elements

    /// The element storage, by the file's kind of dtype.
    public enum Elements: Sendable {
        /// `f4`, and `f2` widened exactly.
        case float32([Float])
        /// `f8`.
        case float64([Double])
        /// Every integer width of either sign (`i1`…`i8`, `u1`…`u8`); a `u8` value above
        /// `Int64.max` is refused on read.
        case int64([Int64])
        /// `b1`.
        case bool([Bool])
        /// `<U` (UTF-32) and `|S` (bytes, read as UTF-8), trailing NULs removed as NumPy does.
        case strings([String])

        /// The number of elements.
        public var count: Int {
            switch self {
            case let .float32(values): values.count
            case let .float64(values): values.count
            case let .int64(values): values.count
            case let .bool(values): values.count
            case let .strings(values): values.count
            }
        }
    }

    /// An array from its shape and C-order elements (their count must be the shape's product).
    public init(shape: [Int], elements: Elements) {
        precondition(shape.reduce(1, *) == elements.count, "shape \(shape) needs \(shape.reduce(1, *)) elements, not \(elements.count)")
        self.shape = shape
        self.elements = elements
    }
}
