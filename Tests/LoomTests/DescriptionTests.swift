import Loom
import Testing

@Suite("Description")
struct DescriptionTests {
    @Test("a 2×3 float32 matrix prints NumPy-style with aligned columns")
    func matrix() {
        let x = Tensor([[1, 2.5, -3], [4, 5, 6]])
        #expect(x.description == "Tensor([[ 1., 2.5, -3.],\n        [ 4.,  5.,  6.]])")
        #expect("\(x)" == x.description)
    }

    @Test("non-default dtypes are named; integers print without a decimal point")
    func dtypes() {
        #expect(Tensor([0.5, -1.25, 3], dtype: .float64).description == "Tensor([  0.5, -1.25,    3.], dtype: float64)")
        #expect(Tensor([1, -20, 300], dtype: .int64).description == "Tensor([  1, -20, 300], dtype: int64)")
        #expect(Tensor([7], dtype: .int32).description == "Tensor([7], dtype: int32)")
    }

    @Test("rank-0 tensors print their value alone")
    func scalar() {
        #expect(Tensor(2.5).description == "Tensor(2.5)")
        #expect(Tensor(3).description == "Tensor(3.)")
        #expect(Tensor(-4, dtype: .int64).description == "Tensor(-4, dtype: int64)")
    }

    @Test("special values, small and large magnitudes")
    func specialValues() {
        #expect(Tensor([Double.nan, .infinity, -.infinity]).description == "Tensor([ nan,  inf, -inf])")
        #expect(Tensor([0.123456]).description == "Tensor([0.1235])")
        #expect(Tensor([1e-5], dtype: .float64).description == "Tensor([1.0000e-05], dtype: float64)")
        #expect(Tensor([2.5e7], dtype: .float64).description == "Tensor([2.5000e+07], dtype: float64)")
        #expect(Tensor([0]).description == "Tensor([0.])")
    }

    @Test("rank 3 separates blocks with a blank line; views print their own order")
    func rank3() {
        let x = Tensor.arange(0, 8).reshaped([2, 2, 2])
        #expect(x.description == "Tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])")
        #expect(Tensor([[1, 2], [3, 4]]).transposed().description == "Tensor([[1., 3.],\n        [2., 4.]])")
        #expect(Tensor.zeros([0]).description == "Tensor([])")
    }

    @Test("more than 1000 elements are summarized with ... (first and last three per axis)")
    func summarized() {
        let long = Tensor.arange(0, 2000)
        #expect(long.description.hasPrefix("Tensor(["))
        let body = long.description.dropFirst("Tensor([".count).dropLast("])".count)
        let entries = body.split(separator: ",").map { $0.trimmingCharacters(in: " ") }
        #expect(entries == ["0.", "1.", "2.", "...", "1997.", "1998.", "1999."])
        let matrix = Tensor.arange(0, 2000).reshaped([40, 50])
        let lines = matrix.description.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 7, "\(lines)")
        #expect(lines.first?.hasPrefix("Tensor([[") == true)
        #expect(lines.first?.contains("...") == true)
        #expect(lines[3].trimmingCharacters(in: " ") == "...,")
        #expect(lines.last?.hasSuffix("1999.]])") == true)
        // Exactly 1000 elements are printed in full.
        let full = Tensor.arange(0, 1000).description
        #expect(!full.contains("..."))
        #expect(full.contains("999."))
        #expect(Tensor.arange(0, 1001).description.contains("..."))
    }

    @Test("debugDescription shows the layout")
    func debug() {
        let x = Tensor.zeros([2, 3])
        #expect(x.debugDescription == "Tensor(shape: [2, 3], dtype: float32, strides: [3, 1], offset: 0)")
        #expect(x.transposed()[1...].debugDescription == "Tensor(shape: [2, 2], dtype: float32, strides: [1, 3], offset: 1)")
    }
}

private extension Substring {
    func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}

private extension String {
    func trimmingCharacters(in set: Character) -> String { Substring(self).trimmingCharacters(in: set) }
}
