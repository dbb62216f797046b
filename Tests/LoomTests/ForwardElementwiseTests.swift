import Foundation
import Loom
import Testing

@Suite("Forward: broadcasting and arithmetic")
struct ForwardArithmeticTests {
    @Test("NumPy broadcasting: [3, 1] + [1, 4], rank 0 with anything, trailing alignment")
    func broadcasting() {
        let column = Tensor([[0], [10], [20]]), row = Tensor([[1, 2, 3, 4]])
        ForwardCheck.expect(column + row, [1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24], shape: [3, 4])
        ForwardCheck.expect(row - column, [1, 2, 3, 4, -9, -8, -7, -6, -19, -18, -17, -16], shape: [3, 4])
        let scalar = Tensor(2)
        ForwardCheck.expect(scalar * Tensor([[1, 2], [3, 4]]), [2, 4, 6, 8], shape: [2, 2])
        ForwardCheck.expect(Tensor([[1, 2], [3, 4]]) / scalar, [0.5, 1, 1.5, 2], shape: [2, 2])
        ForwardCheck.expect(scalar + scalar, [4], shape: [])
        // Trailing axes align: [2, 3] with [3] and with [2, 1, 3] → [2, 2, 3].
        let m = Tensor([[1, 2, 3], [4, 5, 6]])
        ForwardCheck.expect(m * Tensor([1, 10, 100]), [1, 20, 300, 4, 50, 600], shape: [2, 3])
        let deep = m + Tensor([[[0, 0, 0]], [[100, 100, 100]]])
        ForwardCheck.expect(deep, [1, 2, 3, 4, 5, 6, 101, 102, 103, 104, 105, 106], shape: [2, 2, 3])
        // Broadcasting works on views (transposed, sliced with a negative step).
        ForwardCheck.expect(m.transposed() + Tensor([[0, 100]]), [1, 104, 2, 105, 3, 106], shape: [3, 2])
        ForwardCheck.expect(m[TensorSlice.all, TensorSlice(step: -1)] - m, [2, 0, -2, 2, 0, -2])
    }

    @Test("size-0 axes broadcast to size-0 results")
    func emptyBroadcast() {
        ForwardCheck.expect(Tensor.zeros([0, 3]) + Tensor.ones([1, 3]), [], shape: [0, 3])
        ForwardCheck.expect(Tensor.zeros([2, 1]) * Tensor.ones([2, 0]), [], shape: [2, 0])
        ForwardCheck.expect(Tensor.zeros([0]) + Tensor(1), [], shape: [0])
        ForwardCheck.expect(Tensor.zeros([1]) - Tensor.zeros([0]), [], shape: [0])
        #expect(Shapes.broadcast([0], [1]) == [0] && Shapes.broadcast([1], [0]) == [0])
        #expect(Shapes.broadcast([0], [2]) == nil)
        #expect(Shapes.broadcast([], [4, 1]) == [4, 1])
    }

    @Test("all four operators in every dtype")
    func operatorsPerDType() {
        for dtype in [DType.float32, .float64, .int32, .int64] {
            let a = Tensor([7, -7, 6, 0], dtype: dtype), b = Tensor([2, 2, -3, 5], dtype: dtype)
            ForwardCheck.expect(a + b, [9, -5, 3, 5], dtype: dtype)
            ForwardCheck.expect(a - b, [5, -9, 9, -5], dtype: dtype)
            ForwardCheck.expect(a * b, [14, -14, -18, 0], dtype: dtype)
            ForwardCheck.expect(-a, [-7, 7, -6, 0], dtype: dtype)
            // True division: integers divide as float32 (3.5, not 3).
            ForwardCheck.expect(a / b, [3.5, -3.5, -2, 0], dtype: dtype.isFloatingPoint ? dtype : .float32)
        }
        ForwardCheck.expect(Tensor([1, -1, 0], dtype: .float64) / Tensor(0, dtype: .float64),
                            [.infinity, -.infinity, .nan], dtype: .float64)
        var x = Tensor([1, 2])
        x += Tensor([10, 10]); x -= 1; x *= 3; x /= Tensor(2)
        ForwardCheck.expect(x, [15, 16.5])
    }

    @Test("integer arithmetic wraps on overflow, like NumPy")
    func integerWrap() {
        let big = Tensor(shape: [2], scalars: [Int32.max, Int32.min])
        #expect((big + Tensor(shape: [1], scalars: [Int32(1)])).asArray(Int32.self) == [Int32.min, Int32.min + 1])
        #expect((-big).asArray(Int32.self) == [-Int32.max, Int32.min])
        #expect((big.abs()).asArray(Int32.self) == [Int32.max, Int32.min])
    }

    @Test("type promotion: float beats int, wider beats narrower")
    func promotion() {
        let i32 = Tensor([1, 2], dtype: .int32), i64 = Tensor([1, 2], dtype: .int64)
        let f32 = Tensor([0.5, 0.25]), f64 = Tensor([0.5, 0.25], dtype: .float64)
        ForwardCheck.expect(i32 + f32, [1.5, 2.25], dtype: .float32)
        ForwardCheck.expect(f32 + i32, [1.5, 2.25], dtype: .float32)
        ForwardCheck.expect(i64 * f32, [0.5, 0.5], dtype: .float32)
        ForwardCheck.expect(f32 + f64, [1, 0.5], dtype: .float64)
        ForwardCheck.expect(i32 + i64, [2, 4], dtype: .int64)
        ForwardCheck.expect(i64 - f64, [0.5, 1.75], dtype: .float64)
        ForwardCheck.expect(i32 / i32, [1, 1], dtype: .float32)
        ForwardCheck.expect(i64 / i64, [1, 1], dtype: .float32)
        #expect(DType.promoted(.int64, .float32) == .float32)
        #expect(DType.promoted(.float32, .float64) == .float64)
        #expect(DType.promoted(.int32, .int64) == .int64)
    }

    @Test("weak Swift scalars keep the tensor's dtype (fractions with integers become float32)")
    func weakScalars() {
        ForwardCheck.expect(Tensor([1, 2], dtype: .int32) + 2, [3, 4], dtype: .int32)
        ForwardCheck.expect(3 * Tensor([1, 2], dtype: .int64), [3, 6], dtype: .int64)
        ForwardCheck.expect(Tensor([1, 2], dtype: .int32) + 0.5, [1.5, 2.5], dtype: .float32)
        ForwardCheck.expect(Tensor([1, 2], dtype: .int64) / 2, [0.5, 1], dtype: .float32)
        ForwardCheck.expect(Tensor([0.1], dtype: .float64) * 3, [0.1 * 3], dtype: .float64)
        ForwardCheck.expect(Tensor([1]) + 1e-3, [1.001], dtype: .float32)
        ForwardCheck.expect(10 - Tensor([1, 2]), [9, 8], dtype: .float32)
        ForwardCheck.expect(1 / Tensor([4, -0.5], dtype: .float64), [0.25, -2], dtype: .float64)
        // The float32 result is rounded in float32: 1 + 1e-8 is 1.
        #expect((Tensor([1]) + 1e-8).item(Double.self) == 1)
        #expect((Tensor([1], dtype: .float64) + 1e-8).item(Double.self) == 1 + 1e-8)
    }

    @Test("pow: tensor and constant exponents, integer powers, NaN for negative bases with fractions")
    func power() {
        ForwardCheck.expect(Tensor.pow(Tensor([2, 3, -3, 0]), 2), [4, 9, 9, 0])
        ForwardCheck.expect(Tensor.pow(Tensor([4, 2, 0]), 0.5), [2, 2.0.squareRoot(), 0])
        ForwardCheck.expect(Tensor.pow(Tensor([2, 0, -5]), 0), [1, 1, 1])
        ForwardCheck.expect(Tensor.pow(Tensor([2, 4]), -1), [0.5, 0.25])
        ForwardCheck.expect(Tensor.pow(Tensor([-8]), 1.0 / 3), [.nan])
        ForwardCheck.expect(Tensor.pow(Tensor([2, 3, 10]), Tensor([10, 0.5, -2])), [1024, 3.0.squareRoot(), 0.01])
        ForwardCheck.expect(Tensor.pow(Tensor([[2], [3]]), Tensor([1, 2, 3])), [2, 4, 8, 3, 9, 27], shape: [2, 3])
        let ints = Tensor.pow(Tensor([2, 3, -2], dtype: .int64), Tensor([10, 3, 3], dtype: .int64))
        ForwardCheck.expect(ints, [1024, 27, -8], dtype: .int64)
        ForwardCheck.expect(Tensor.pow(Tensor([4, 9], dtype: .int32), 0.5), [2, 3], dtype: .float32)
        ForwardCheck.expect(Tensor.pow(Tensor([3], dtype: .int32), 2), [9], dtype: .int32)
        ForwardCheck.expect(Tensor.pow(Tensor([1.5], dtype: .float64), 3), [3.375], dtype: .float64)
    }
}

@Suite("Forward: elementary functions")
struct ForwardElementaryTests {
    static let inputs: [Double] = [-3, -0.5, 0, 0.25, 1, 2.5, 20]

    @Test("exp, tanh and sigmoid against the C library in Double", arguments: [DType.float32, .float64])
    func smoothFunctions(dtype: DType) {
        let x = Tensor(shape: [Self.inputs.count], scalars: Self.inputs, dtype: dtype)
        let sigmoid = Self.inputs.map { 1 / (1 + Foundation.exp(-$0)) }
        ForwardCheck.expect(x.exp(), Self.inputs.map { Foundation.exp($0) }, dtype: dtype, relative: 4 * ForwardCheck.tolerance(dtype))
        ForwardCheck.expect(x.tanh(), Self.inputs.map { Foundation.tanh($0) }, dtype: dtype)
        ForwardCheck.expect(x.sigmoid(), sigmoid, dtype: dtype)
        ForwardCheck.expect(Tensor([1], dtype: dtype).exp(), [M_E], dtype: dtype)
    }

    @Test("log and sqrt with their domain edges", arguments: [DType.float32, .float64])
    func logSqrt(dtype: DType) {
        let x = Tensor([M_E, 1, 0.25, 100, 0, -1], dtype: dtype)
        ForwardCheck.expect(x.log(), [1, 0, Foundation.log(0.25), Foundation.log(100), -.infinity, .nan], dtype: dtype)
        ForwardCheck.expect(x.sqrt(), [M_E.squareRoot(), 1, 0.5, 10, 0, .nan], dtype: dtype)
        ForwardCheck.expect(Tensor([Double.infinity], dtype: dtype).log(), [.infinity])
    }

    @Test("sigmoid and tanh saturate without overflow at ±1000 and ±∞", arguments: [DType.float32, .float64])
    func saturation(dtype: DType) {
        let x = Tensor([-1000, 1000, -Double.infinity, .infinity, -100], dtype: dtype)
        ForwardCheck.expect(x.sigmoid(), [0, 1, 0, 1, Foundation.exp(-100)], dtype: dtype)
        ForwardCheck.expect(x.tanh(), [-1, 1, -1, 1, -1], dtype: dtype)
        ForwardCheck.expect(Tensor([0], dtype: dtype).sigmoid(), [0.5])
        ForwardCheck.expect(Tensor([1000, -1000], dtype: dtype).exp(), [.infinity, 0])
        // Far in the tail the value is tiny but resolved, not rounded to 0 by 1 − σ(−x).
        let tail = Tensor([-30], dtype: .float64).sigmoid().item(Double.self)
        #expect(ForwardCheck.isClose(tail / Foundation.exp(-30), 1, relative: 1e-12))
    }

    @Test("relu, abs and sign, including zero, negative zero and NaN")
    func piecewise() {
        let x = Tensor([-2, -0.0, 0, 3, .nan, -.infinity])
        ForwardCheck.expect(x.relu(), [0, 0, 0, 3, .nan, 0])
        ForwardCheck.expect(x.abs(), [2, 0, 0, 3, .nan, .infinity])
        ForwardCheck.expect(x.sign(), [-1, 0, 0, 1, .nan, -1])
        let ints = Tensor([-5, 0, 7], dtype: .int32)
        // relu() is floating-point only (it traps on integers; see the error tests).
        ForwardCheck.expect(ints.abs(), [5, 0, 7], dtype: .int32)
        ForwardCheck.expect(ints.sign(), [-1, 0, 1], dtype: .int32)
        ForwardCheck.expect(Tensor([-5, 9], dtype: .int64).sign(), [-1, 1], dtype: .int64)
    }
}

@Suite("Forward: comparisons, selection and extrema")
struct ForwardComparisonTests {
    @Test("comparisons give 0/1 in the operands' common dtype, with broadcasting")
    func comparisons() {
        let a = Tensor([1, 2, 3]), b = Tensor([3, 2, 1])
        ForwardCheck.expect(a .== b, [0, 1, 0], dtype: .float32)
        ForwardCheck.expect(a .!= b, [1, 0, 1])
        ForwardCheck.expect(a .< b, [1, 0, 0])
        ForwardCheck.expect(a .<= b, [1, 1, 0])
        ForwardCheck.expect(a .> b, [0, 0, 1])
        ForwardCheck.expect(a .>= b, [0, 1, 1])
        ForwardCheck.expect(a .> 1.5, [0, 1, 1])
        ForwardCheck.expect(a .== 2, [0, 1, 0])
        ForwardCheck.expect(Tensor([[1], [2]]) .< Tensor([0, 1.5, 3]), [0, 1, 1, 0, 0, 1], shape: [2, 3])
        ForwardCheck.expect(Tensor([1, 2], dtype: .int32) .< Tensor([1.5, 1.5]), [1, 0], dtype: .float32)
        ForwardCheck.expect(Tensor([5, 6], dtype: .int64) .>= 6, [0, 1], dtype: .int64)
        // NaN is unequal to everything, itself included.
        let nan = Tensor([.nan, 1])
        ForwardCheck.expect(nan .== nan, [0, 1])
        ForwardCheck.expect(nan .!= nan, [1, 0])
        ForwardCheck.expect(nan .< 2, [0, 1])
    }

    @Test("where selects by a non-zero condition, broadcasting all three")
    func selection() {
        let condition = Tensor([[1], [0]])
        ForwardCheck.expect(Tensor.where(condition, Tensor([1, 2, 3]), Tensor(-1)), [1, 2, 3, -1, -1, -1], shape: [2, 3])
        ForwardCheck.expect(Tensor.where(Tensor([-2, 0, 0.5]), Tensor([1, 1, 1]), Tensor([0, 0, 0])), [1, 0, 1])
        let x = Tensor([-1, 2, -3])
        ForwardCheck.expect(Tensor.where(x .> 0, x, x * 10), [-10, 2, -30])
        ForwardCheck.expect(Tensor.where(Tensor([1, 0]), Tensor([1, 2], dtype: .int32), Tensor([0.5, 0.5])), [1, 0.5], dtype: .float32)
        ForwardCheck.expect(Tensor.where(Tensor([0, 1], dtype: .int64), Tensor([1, 2], dtype: .int64), Tensor([7, 8], dtype: .int64)),
                            [7, 2], dtype: .int64)
    }

    @Test("where treats any non-zero condition as true, whatever the branch dtype")
    func selectionConditionTruthiness() {
        let branches = (Tensor([1, 2], dtype: .int32), Tensor([-1, -2], dtype: .int32))
        // Casting the condition to the branch dtype first would turn 0.5, NaN and 2³² into 0.
        ForwardCheck.expect(Tensor.where(Tensor([0.5, 0]), branches.0, branches.1), [1, -2], dtype: .int32)
        ForwardCheck.expect(Tensor.where(Tensor([.nan, 0]), branches.0, branches.1), [1, -2], dtype: .int32)
        let wide = Tensor(shape: [2], scalars: [Int64(1) << 32, 0])
        ForwardCheck.expect(Tensor.where(wide, branches.0, branches.1), [1, -2], dtype: .int32)
        // With floating branches the same conditions work.
        ForwardCheck.expect(Tensor.where(Tensor([0.5, .nan]), Tensor([1, 2]), Tensor([-1, -2])), [1, 2])
    }

    @Test("maximum and minimum broadcast and propagate NaN from either side")
    func extrema() {
        let a = Tensor([1, 5, .nan, 2]), b = Tensor([3, 4, 0, .nan])
        ForwardCheck.expect(Tensor.maximum(a, b), [3, 5, .nan, .nan])
        ForwardCheck.expect(Tensor.minimum(a, b), [1, 4, .nan, .nan])
        ForwardCheck.expect(Tensor.maximum(Tensor([[1], [5]]), Tensor([2, 3, 4])), [2, 3, 4, 5, 5, 5], shape: [2, 3])
        ForwardCheck.expect(Tensor.maximum(Tensor([-1, 7], dtype: .int32), Tensor([0, 0], dtype: .int32)), [0, 7], dtype: .int32)
        ForwardCheck.expect(Tensor.minimum(Tensor([-1, 7], dtype: .int64), Tensor([2.5])), [-1, 2.5], dtype: .float32)
        ForwardCheck.expect(Tensor.maximum(Tensor([-Double.infinity]), Tensor([-1e30])), [-1e30])
    }

    @Test("clamped limits to [lower, upper] and keeps NaN")
    func clamped() {
        ForwardCheck.expect(Tensor([-2, 0.5, 3, .nan]).clamped(lower: 0, upper: 1), [0, 0.5, 1, .nan])
        ForwardCheck.expect(Tensor([-5, 5, 50], dtype: .int32).clamped(lower: 0, upper: 10), [0, 5, 10], dtype: .int32)
        ForwardCheck.expect(Tensor([-1e10, 1e10], dtype: .float64).clamped(lower: -1, upper: 1), [-1, 1], dtype: .float64)
    }
}
