import Loom
import Testing

@Suite("Tensor creation")
struct TensorCreationTests {
    @Test("zeros, ones and full fill every element with the value, in each dtype")
    func filled() {
        for dtype in DType.allCases {
            ForwardCheck.expect(Tensor.zeros([2, 3], dtype: dtype), Array(repeating: 0, count: 6), shape: [2, 3], dtype: dtype)
            ForwardCheck.expect(Tensor.ones([4], dtype: dtype), [1, 1, 1, 1], shape: [4], dtype: dtype)
            ForwardCheck.expect(Tensor.full([3, 1], value: -7, dtype: dtype), [-7, -7, -7], shape: [3, 1], dtype: dtype)
        }
        ForwardCheck.expect(Tensor.full([], value: 2.5), [2.5], shape: [], dtype: .float32)
        ForwardCheck.expect(Tensor.zeros([2, 0, 3]), [], shape: [2, 0, 3])
        // An integer fill truncates toward zero, like the conversion it uses.
        ForwardCheck.expect(Tensor.full([2], value: -2.9, dtype: .int64), [-2, -2], dtype: .int64)
    }

    @Test("zerosLike and onesLike copy shape and dtype")
    func likes() {
        let x = Tensor(shape: [2, 2], scalars: [Int32](repeating: 5, count: 4))
        ForwardCheck.expect(x.zerosLike(), [0, 0, 0, 0], shape: [2, 2], dtype: .int32)
        ForwardCheck.expect(x.onesLike(), [1, 1, 1, 1], shape: [2, 2], dtype: .int32)
    }

    @Test("Tensor(shape:scalars:) takes the Swift type's dtype unless told otherwise")
    func fromScalars() {
        ForwardCheck.expect(Tensor(shape: [2, 2], scalars: [Float](arrayLiteral: 1, 2, 3, 4)), [1, 2, 3, 4], shape: [2, 2], dtype: .float32)
        ForwardCheck.expect(Tensor(shape: [3], scalars: [0.1, 0.2, 0.3] as [Double]), [0.1, 0.2, 0.3], dtype: .float64)
        ForwardCheck.expect(Tensor(shape: [2], scalars: [Int32.max, Int32.min]), [2147483647, -2147483648], dtype: .int32)
        ForwardCheck.expect(Tensor(shape: [1], scalars: [Int64(1) << 40]), [1_099_511_627_776], dtype: .int64)
        // An explicit dtype converts: 0.1 as float32 is the nearest Float, not the Double.
        let narrowed = Tensor(shape: [1], scalars: [0.1] as [Double], dtype: .float32)
        #expect(narrowed.dtype == .float32)
        #expect(narrowed.item(Double.self) == Double(Float(0.1)))
        #expect(narrowed.item(Double.self) != 0.1)
        ForwardCheck.expect(Tensor(shape: [2], scalars: [Float](arrayLiteral: 1.9, -1.9), dtype: .int32), [1, -1], dtype: .int32)
        ForwardCheck.expect(Tensor(shape: [0], scalars: [Float]()), [], shape: [0])
        ForwardCheck.expect(Tensor(shape: [], scalars: [Float](arrayLiteral: 3)), [3], shape: [])
    }

    @Test("nested arrays give their nesting as the shape, float32 by default")
    func nestedArrays() {
        ForwardCheck.expect(Tensor([[1, 2], [3, 4]]), [1, 2, 3, 4], shape: [2, 2], dtype: .float32)
        ForwardCheck.expect(Tensor([[[1], [2], [3]], [[4], [5], [6]]]), [1, 2, 3, 4, 5, 6], shape: [2, 3, 1])
        ForwardCheck.expect(Tensor([1.5, -2.25]), [1.5, -2.25], shape: [2], dtype: .float32)
        ForwardCheck.expect(Tensor([[1, 2, 3]], dtype: .int64), [1, 2, 3], shape: [1, 3], dtype: .int64)
        ForwardCheck.expect(Tensor([0.1, 0.2], dtype: .float64), [0.1, 0.2], dtype: .float64)
        ForwardCheck.expect(Tensor([Int]()), [], shape: [0])
        ForwardCheck.expect(Tensor([Float(1), Float(2)]), [1, 2], shape: [2], dtype: .float32)
    }

    @Test("a ragged nested array traps, naming the depth")
    func raggedArrayTraps() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([[1, 2], [3]])
        }
        let message = result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
        #expect(message.contains("ragged nested array"), "stderr: \(message)")
        await #expect(processExitsWith: .failure) {
            _ = Tensor([[[1], [2]], [[3], [4, 5]]])
        }
    }

    @Test("a Swift number becomes a rank-0 tensor")
    func scalars() {
        let x = Tensor(2.5)
        #expect(x.shape == [] && x.rank == 0 && x.count == 1 && x.dtype == .float32)
        #expect(x.item() == Float(2.5))
        let y = Tensor(-3, dtype: .int32)
        #expect(y.dtype == .int32 && y.item(Int32.self) == -3)
        #expect(Tensor(1e300, dtype: .float64).item(Double.self) == 1e300)
        #expect(Tensor(1e300).item() == Float.infinity)
    }

    @Test("arange excludes the end and handles fractional, negative and empty ranges")
    func arange() {
        ForwardCheck.expect(Tensor.arange(0, 5), [0, 1, 2, 3, 4], shape: [5], dtype: .float32)
        ForwardCheck.expect(Tensor.arange(0, 1, step: 0.25), [0, 0.25, 0.5, 0.75], shape: [4])
        ForwardCheck.expect(Tensor.arange(0, 1.1, step: 0.25), [0, 0.25, 0.5, 0.75, 1], shape: [5])
        ForwardCheck.expect(Tensor.arange(3, 0, step: -1), [3, 2, 1])
        ForwardCheck.expect(Tensor.arange(1, -0.5, step: -0.5), [1, 0.5, 0])
        ForwardCheck.expect(Tensor.arange(2, 2), [], shape: [0])
        ForwardCheck.expect(Tensor.arange(3, 1), [], shape: [0])
        ForwardCheck.expect(Tensor.arange(0, 3, step: -1), [], shape: [0])
        ForwardCheck.expect(Tensor.arange(-2, 2, step: 1.5, dtype: .float64), [-2, -0.5, 1], dtype: .float64)
        ForwardCheck.expect(Tensor.arange(0, 4, dtype: .int64), [0, 1, 2, 3], dtype: .int64)
        // NumPy's count: ceil((end - start) / step).
        #expect(Tensor.arange(0, 10, step: 3).shape == [4])
    }

    @Test("linspace includes both endpoints exactly")
    func linspace() {
        ForwardCheck.expect(Tensor.linspace(0, 1, count: 0), [], shape: [0])
        // A single value is start, as in NumPy, PyTorch and JAX (it once returned [end]).
        ForwardCheck.expect(Tensor.linspace(3, 7, count: 1), [3], shape: [1])
        ForwardCheck.expect(Tensor.linspace(5, 5, count: 1), [5], shape: [1])
        ForwardCheck.expect(Tensor.linspace(0, 1, count: 5), [0, 0.25, 0.5, 0.75, 1], shape: [5])
        ForwardCheck.expect(Tensor.linspace(2, -2, count: 3), [2, 0, -2])
        // 0.1 + 6·0.1 is 0.7000000000000001 in Double; the last element must be 0.7 itself.
        let values = Tensor.linspace(0.1, 0.7, count: 7, dtype: .float64).asArray(Double.self)
        #expect(values.first == 0.1)
        #expect(values.last == 0.7)
        #expect(values.count == 7)
        for (k, value) in values.enumerated() { #expect(Swift.abs(value - (0.1 + 0.1 * Double(k))) < 1e-15) }
    }

    @Test("eye is the identity matrix")
    func eye() {
        ForwardCheck.expect(Tensor.eye(3), [1, 0, 0, 0, 1, 0, 0, 0, 1], shape: [3, 3], dtype: .float32)
        ForwardCheck.expect(Tensor.eye(1, dtype: .int32), [1], shape: [1, 1], dtype: .int32)
        ForwardCheck.expect(Tensor.eye(0), [], shape: [0, 0])
        let x = Tensor([[1, 2], [3, 4]])
        ForwardCheck.expect(Tensor.eye(2).matmul(x), [1, 2, 3, 4])
    }

    @Test("asArray converts to any scalar type; floats to integers truncate toward zero")
    func asArray() {
        let x = Tensor([[1.5, -2.5], [3.75, 0]])
        #expect(x.asArray(Float.self) == [1.5, -2.5, 3.75, 0])
        #expect(x.asArray(Double.self) == [1.5, -2.5, 3.75, 0])
        #expect(x.asArray(Int32.self) == [1, -2, 3, 0])
        #expect(x.asArray(Int64.self) == [1, -2, 3, 0])
        // A non-contiguous view reads in its own row-major order.
        #expect(x.transposed().asArray(Float.self) == [1.5, 3.75, -2.5, 0])
        let big = Tensor(shape: [1], scalars: [Int64(1) << 53 + 1])
        #expect(big.asArray(Int64.self) == [9_007_199_254_740_993])
    }

    @Test("item reads the single element, in any requested type")
    func item() {
        #expect(Tensor([[4.25]]).item() == Float(4.25))
        #expect(Tensor([7], dtype: .int64).item(Int64.self) == 7)
        #expect(Tensor(0.1, dtype: .float64).item(Double.self) == 0.1)
        #expect(Tensor(0.1, dtype: .float64).item() == Float(0.1))
    }

    @Test("scalar(at:) reads one element; negative indices count from the end")
    func scalarAt() {
        let x = Tensor.arange(0, 12).reshaped([3, 4])
        #expect(x.scalar(at: [0, 0]) == 0)
        #expect(x.scalar(at: [1, 2]) == 6)
        #expect(x.scalar(at: [-1, -1]) == 11)
        #expect(x.scalar(at: [-3, 1]) == 1)
        #expect(x.scalar(at: [2, -4], as: Int64.self) == 8)
        // Through a view: the strides and offset are honoured.
        let t = x.transposed()
        #expect(t.scalar(at: [3, 0]) == 3)
        #expect(t.scalar(at: [-1, -1]) == 11)
        let s = x[1..., TensorSlice(step: -1)]
        #expect(s.scalar(at: [0, 0]) == 7)
        #expect(Tensor(9).scalar(at: []) == 9)
    }

    @Test("default and explicit dtypes")
    func dtypes() {
        #expect(Tensor([1, 2]).dtype == .float32)
        #expect(Tensor.zeros([1]).dtype == .float32)
        #expect(Tensor.arange(0, 2).dtype == .float32)
        #expect(DType.float32.byteSize == 4 && DType.float64.byteSize == 8)
        #expect(DType.int32.byteSize == 4 && DType.int64.byteSize == 8)
        #expect(DType.float64.isFloatingPoint && !DType.int64.isFloatingPoint)
        #expect("\(DType.int32)" == "int32")
    }

    @Test("cast rounds: float → int toward zero, int → float to nearest, float64 → float32 to nearest")
    func castRounding() {
        let x = Tensor([2.7, -2.7, 0.5, -0.5, 1e6], dtype: .float64)
        ForwardCheck.expect(x.cast(to: .int32), [2, -2, 0, 0, 1_000_000], dtype: .int32)
        ForwardCheck.expect(x.cast(to: .int64), [2, -2, 0, 0, 1_000_000], dtype: .int64)
        // 2²⁴ + 1 is not a float32: it rounds to the even neighbour 2²⁴.
        let wide = Tensor(shape: [2], scalars: [Int64(16_777_217), Int64(16_777_219)])
        #expect(wide.cast(to: .float32).asArray(Double.self) == [16_777_216, 16_777_220])
        #expect(wide.cast(to: .float64).asArray(Double.self) == [16_777_217, 16_777_219])
        #expect(Tensor(0.1, dtype: .float64).cast(to: .float32).item(Double.self) == Double(Float(0.1)))
        // Round trip int32 → int64 → int32 is exact; int64 → int32 wraps like NumPy's astype.
        let ints = Tensor(shape: [3], scalars: [Int32.min, -1, Int32.max])
        #expect(ints.cast(to: .int64).cast(to: .int32).asArray(Int32.self) == [Int32.min, -1, Int32.max])
        #expect(Tensor(shape: [1], scalars: [Int64(1) << 32 + 5]).cast(to: .int32).item(Int32.self) == 5)
        // Casting to the same dtype is the identity (no copy).
        let same = x.cast(to: .float64)
        #expect(same.sharesStorage(with: x))
    }

    @Test("an out-of-range float becomes the same int32 whichever way the tensor is made",
          .bug(id: "forward-int32-saturation"))
    func outOfRangeIntegerConversionIsConsistent() {
        let filled = Tensor.full([1], value: 3e9, dtype: .int32).item(Int64.self)
        #expect(filled == Int64(Int32.max))
        #expect(Tensor([3e9], dtype: .int32).item(Int64.self) == filled)
        #expect(Tensor([3e9], dtype: .float64).cast(to: .int32).item(Int64.self) == filled)
        // Between integer types a conversion wraps, as NumPy's astype does.
        #expect(Tensor(shape: [1], scalars: [Int64(1) << 32 | 5]).cast(to: .int32).item(Int64.self) == 5)
    }
}
