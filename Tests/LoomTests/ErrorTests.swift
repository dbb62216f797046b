import Loom
import Testing

/// Expects the exit test's standard error to contain `message` (the precondition text).
private func expectMessage(
    _ result: ExitTest.Result?, contains message: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    let text = result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? "<no result>"
    #expect(text.contains(message), "expected «\(message)» in stderr: \(text.suffix(600))", sourceLocation: sourceLocation)
}

/// Programmer errors trap with a message naming the operation and the shapes. Each case
/// runs in a child process (a Swift Testing exit test) and checks what it printed.
@Suite("Errors: shapes and axes")
struct ErrorShapeTests {
    @Test("matmul with mismatched inner sizes")
    func matmulMismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).matmul(Tensor.zeros([4, 5]))
        }
        expectMessage(result, contains: "matmul: [2, 3] and [4, 5] are incompatible")
    }

    @Test("matmul of vectors of different lengths and of non-broadcasting batches")
    func matmulVectorsAndBatches() async {
        let vectors = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([3]).matmul(Tensor.zeros([4]))
        }
        expectMessage(vectors, contains: "are incompatible")
        // Vector operands are reported as given, not as the [1, k] and [k, 1] matrices they become.
        expectMessage(vectors, contains: "matmul: [3] and [4] are incompatible")
        let batches = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3, 4]).matmul(Tensor.zeros([3, 4, 5]))
        }
        expectMessage(batches, contains: "matmul: [2, 3, 4] and [3, 4, 5] are incompatible")
    }

    @Test("matmul of integer tensors")
    func matmulIntegers() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 2], dtype: .int32).matmul(Tensor.zeros([2, 2], dtype: .int32))
        }
        expectMessage(result, contains: "matmul: needs floating-point tensors, got int32")
    }

    @Test("binary operations on shapes that do not broadcast")
    func broadcastMismatch() async {
        let add = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
        }
        expectMessage(add, contains: "add: shapes [2, 3] and [4] cannot be broadcast together")
        let multiply = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([3, 1]) * Tensor.zeros([2, 2])
        }
        expectMessage(multiply, contains: "multiply: shapes [3, 1] and [2, 2] cannot be broadcast together")
        let compare = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2]) .< Tensor.zeros([3])
        }
        expectMessage(compare, contains: "shapes [2] and [3] cannot be broadcast together")
        let select = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.where(Tensor.ones([2]), Tensor.zeros([3]), Tensor.zeros([3]))
        }
        expectMessage(select, contains: "where: shapes [2] and [3] cannot be broadcast together")
    }

    @Test("expanded to an incompatible shape")
    func expandMismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([3]).expanded(to: [2, 4])
        }
        expectMessage(result, contains: "expand: shape [3] cannot be broadcast to [2, 4]")
    }

    @Test("reductions over an axis out of range, or repeated")
    func badAxis() async {
        let sum = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).sum(alongAxes: [3])
        }
        expectMessage(sum, contains: "sum: axis 3 is out of range for rank 2")
        let negative = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).max(alongAxis: -3)
        }
        expectMessage(negative, contains: "max: axis -3 is out of range for rank 2")
        let repeated = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).sum(alongAxes: [1, -1])
        }
        expectMessage(repeated, contains: "sum: repeated axis in [1, -1]")
        let mean = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2]).mean(alongAxis: 1)
        }
        expectMessage(mean, contains: "mean: axis 1 is out of range for rank 1")
    }

    @Test("max over an empty axis has no identity")
    func emptyMax() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([0]).max()
        }
        expectMessage(result, contains: "max: cannot reduce over an empty axis of shape [0]")
        let argmax = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 0]).argmax(alongAxis: 1)
        }
        expectMessage(argmax, contains: "argmax: axis 1 of shape [2, 0] is empty")
    }

    @Test("reshape to a shape with a different element count, or two inferred axes")
    func badReshape() async {
        let count = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).reshaped([4])
        }
        expectMessage(count, contains: "reshape: cannot reshape [2, 3] (6 elements) to [4]")
        let inferred = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).reshaped([-1, -1])
        }
        expectMessage(inferred, contains: "reshape: invalid shape [-1, -1] for [2, 3]")
        let indivisible = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).reshaped([4, -1])
        }
        expectMessage(indivisible, contains: "reshape: cannot reshape [2, 3] to [4, -1]")
    }

    @Test("permute with a repeated or missing axis")
    func badPermutation() async {
        let repeated = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).permuted([0, 0])
        }
        expectMessage(repeated, contains: "permute: [0, 0] is not a permutation of the axes of [2, 3]")
        let short = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3, 4]).permuted([1, 0])
        }
        expectMessage(short, contains: "permute: [1, 0] for a tensor of rank 3")
    }

    @Test("squeeze of an axis that is not 1, concatenate and stack of mismatched shapes")
    func squeezeAndJoin() async {
        let squeeze = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 1]).squeezed(axes: [0])
        }
        expectMessage(squeeze, contains: "squeeze: axis 0 of shape [2, 1] is not 1")
        let concatenate = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.concatenated([Tensor.zeros([2, 2]), Tensor.zeros([2, 3])])
        }
        expectMessage(concatenate, contains: "concatenate: shapes [[2, 2], [2, 3]] differ off axis 0")
        let stack = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.stacked([Tensor.zeros([2]), Tensor.zeros([3])])
        }
        expectMessage(stack, contains: "stack: shapes [[2], [3]] differ")
        let split = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([5]).split(sizes: [2, 2])
        }
        expectMessage(split, contains: "split: sizes [2, 2] do not add up to axis 0 of shape [5]")
    }
}

@Suite("Errors: indices, elements and dtypes")
struct ErrorIndexTests {
    @Test("gather and oneHot with an index out of range")
    func gatherOutOfRange() async {
        let gather = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).gathered(Tensor([[0], [3]], dtype: .int64), alongAxis: 1)
        }
        expectMessage(gather, contains: "gather: index 3 is out of range for an axis of size 3")
        let negative = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).gathered(Tensor([[0], [-1]], dtype: .int64), alongAxis: 1)
        }
        expectMessage(negative, contains: "gather: index -1 is out of range for an axis of size 3")
        let floats = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).gathered(Tensor([[0], [1]]), alongAxis: 1)
        }
        expectMessage(floats, contains: "gather: indices must be int32 or int64, got float32")
        let oneHot = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.oneHot(Tensor([0, 5], dtype: .int64), classCount: 3)
        }
        expectMessage(oneHot, contains: "oneHot: index 5 is out of range for an axis of size 3")
    }

    @Test("item() on a tensor with more than one element")
    func itemOnNonScalar() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2]).item()
        }
        expectMessage(result, contains: "item: tensor of shape [2] has 2 elements, not 1")
    }

    @Test("element and slice indices out of range")
    func indexOutOfRange() async {
        let scalar = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).scalar(at: [0, -4])
        }
        expectMessage(scalar, contains: "scalar(at:): index -4 out of range for axis 1 of size 3")
        let slice = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([3, 2])[3]
        }
        expectMessage(slice, contains: "slice: index 3 is out of range for axis 0 of size 3")
        let tooMany = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([3])[0, 0]
        }
        expectMessage(tooMany, contains: "slice: 2 indices for a tensor of shape [3]")
    }

    @Test("creation with inconsistent arguments")
    func creation() async {
        let scalars = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(shape: [2, 2], scalars: [Float](repeating: 0, count: 3))
        }
        expectMessage(scalars, contains: "Tensor(shape:scalars:): shape [2, 2] needs 4 elements, got 3")
        let arange = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.arange(0, 1, step: 0)
        }
        expectMessage(arange, contains: "arange: step must not be zero")
    }

    @Test("floating-point functions of integer tensors, and writes with the wrong scalar type")
    func dtypes() async {
        let exp = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1, 2], dtype: .int64).exp()
        }
        expectMessage(exp, contains: "exp: needs a floating-point tensor, got int64")
        // ReLU is defined for integers (no gradient), unlike exp.
        #expect(Tensor([1, -2], dtype: .int32).relu().asArray(Int64.self) == [1, 0])
        let write = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var x = Tensor.zeros([2])
            x.withUnsafeMutableScalars(Double.self) { $0[0] = 1 }
        }
        expectMessage(write, contains: "withUnsafeMutableScalars: tensor is float32, not float64")
    }
}
