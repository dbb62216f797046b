import Loom
import Testing

/// `0, 1, …, n − 1` as float32 with `shape`.
private func counting(_ shape: [Int]) -> Tensor {
    Tensor.arange(0, Double(shape.reduce(1, *))).reshaped(shape)
}

/// Expects `view` to be a view of `base` (same storage) with `strides` and `offset`.
private func expectView(
    _ view: Tensor, of base: Tensor, strides: [Int], offset: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(view.sharesStorage(with: base), "expected a view, got a copy", sourceLocation: sourceLocation)
    #expect(view.layout.strides == strides, sourceLocation: sourceLocation)
    if let offset { #expect(view.layout.offset == offset, sourceLocation: sourceLocation) }
}

@Suite("Views: reshape")
struct ViewReshapeTests {
    @Test("reshaping a contiguous tensor is a view with row-major strides")
    func contiguous() {
        let x = counting([2, 3, 4])
        let y = x.reshaped([6, 4])
        expectView(y, of: x, strides: [4, 1], offset: 0)
        ForwardCheck.expect(y, (0..<24).map(Double.init), shape: [6, 4])
        expectView(x.reshaped([-1]), of: x, strides: [1])
        #expect(x.reshaped([4, -1]).shape == [4, 6])
        expectView(x.reshaped(2, 1, 12), of: x, strides: [12, 12, 1])
        // A contiguous slice keeps its offset.
        let tail = x[1]
        expectView(tail.reshaped([12]), of: x, strides: [1], offset: 12)
        ForwardCheck.expect(tail.reshaped([12]), (12..<24).map(Double.init))
    }

    @Test("a transposed matrix flattened must copy (NumPy)")
    func transposedMustCopy() {
        let x = counting([3, 4])
        let t = x.transposed()
        let flat = t.reshaped([12])
        #expect(!flat.sharesStorage(with: x))
        #expect(flat.isContiguous)
        ForwardCheck.expect(flat, [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11], shape: [12])
    }

    @Test("a permuted tensor: splitting an axis is a view, merging non-adjacent strides copies")
    func permuted() {
        let x = counting([2, 3, 4])
        let p = x.permuted(0, 2, 1)           // [2, 4, 3], strides [12, 1, 4]
        #expect(p.layout.strides == [12, 1, 4])
        let expected = p.asArray(Double.self)
        // Split the size-4 axis (stride 1) into 2 × 2: strides 2, 1.
        let split = p.reshaped([2, 2, 2, 3])
        expectView(split, of: x, strides: [12, 2, 1, 4])
        ForwardCheck.expect(split, expected)
        // Size-1 axes can go anywhere.
        let padded = p.reshaped([1, 2, 4, 1, 3])
        #expect(padded.sharesStorage(with: x))
        ForwardCheck.expect(padded, expected, shape: [1, 2, 4, 1, 3])
        // Merging [4, 3] with strides [1, 4] or [2, 4] with strides [12, 1] needs a copy.
        for shape in [[2, 12], [8, 3], [24]] {
            let merged = p.reshaped(shape)
            #expect(!merged.sharesStorage(with: x), "reshape to \(shape)")
            ForwardCheck.expect(merged, expected, shape: shape)
        }
    }

    @Test("a sliced tensor reshapes as a view where the sliced axes stay intact")
    func sliced() {
        let x = counting([4, 2, 3])
        let s = x[TensorSlice(step: 2)]       // [2, 2, 3], strides [12, 3, 1]
        expectView(s, of: x, strides: [12, 3, 1], offset: 0)
        let expected: [Double] = [0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17]
        ForwardCheck.expect(s, expected)
        // The inner two axes are contiguous between themselves: [2, 6] is a view.
        let merged = s.reshaped([2, 6])
        expectView(merged, of: x, strides: [12, 1])
        ForwardCheck.expect(merged, expected)
        // The outer two are not (12 ≠ 2·3): [4, 3] copies.
        let copied = s.reshaped([4, 3])
        #expect(!copied.sharesStorage(with: x))
        ForwardCheck.expect(copied, expected)
        // Columns sliced off a matrix: splitting rows is fine, flattening is not.
        let m = counting([4, 6])[TensorSlice.all, 1..<5]  // [4, 4], strides [6, 1], offset 1
        expectView(m, of: m, strides: [6, 1], offset: 1)
        expectView(m.reshaped([2, 2, 2, 2]), of: m, strides: [12, 6, 2, 1], offset: 1)
        #expect(!m.reshaped([16]).sharesStorage(with: m))
        ForwardCheck.expect(m.reshaped([16]), [1, 2, 3, 4, 7, 8, 9, 10, 13, 14, 15, 16, 19, 20, 21, 22])
    }

    @Test("a broadcast tensor reshapes as a view only when no stride-0 axis is merged")
    func broadcast() {
        let row = Tensor([1, 2, 3])
        let wide = row.expanded(to: [4, 3])
        expectView(wide.reshaped([2, 2, 3]), of: row, strides: [0, 0, 1])
        ForwardCheck.expect(wide.reshaped([2, 2, 3]), Array(repeating: [1, 2, 3], count: 4).flatMap { $0 })
        let flat = wide.reshaped([12])
        #expect(!flat.sharesStorage(with: row))
        ForwardCheck.expect(flat, Array(repeating: [1, 2, 3], count: 4).flatMap { $0 })
    }

    @Test("reshape of empty and rank-0 tensors")
    func degenerate() {
        #expect(Tensor.zeros([0, 3]).reshaped([3, 0, 5]).shape == [3, 0, 5])
        #expect(Tensor(4).reshaped([1, 1]).shape == [1, 1])
        #expect(Tensor([[4]]).reshaped([]).item() == 4)
        let same = counting([2, 2])
        #expect(same.reshaped([2, 2]).sharesStorage(with: same))
    }
}

@Suite("Views: permute, expand, squeeze, flatten")
struct ViewAxisTests {
    @Test("permute and transpose reorder strides without copying")
    func permute() {
        let x = counting([2, 3, 4])
        let p = x.permuted([2, 0, 1])
        expectView(p, of: x, strides: [1, 12, 4])
        #expect(p.shape == [4, 2, 3])
        #expect(p.scalar(at: [3, 1, 2]) == x.scalar(at: [1, 2, 3]))
        expectView(x.permuted([-1, 0, 1]), of: x, strides: [1, 12, 4])
        let t = x.transposed()
        expectView(t, of: x, strides: [12, 1, 4])
        #expect(t.shape == [2, 4, 3] && !t.isContiguous)
        let swapped = x.transposed(0, 2)
        expectView(swapped, of: x, strides: [1, 4, 12])
        #expect(swapped.scalar(at: [3, 2, 1]) == 23)
        ForwardCheck.expect(counting([2, 3]).transposed(), [0, 3, 1, 4, 2, 5], shape: [3, 2])
        // Transposing twice gives the original layout back.
        #expect(x.transposed().transposed().layout == x.layout)
    }

    @Test("expanded broadcasts with stride 0 on stretched axes")
    func expanded() {
        let column = Tensor([[1], [2], [3]])
        let wide = column.expanded(to: [3, 4])
        expectView(wide, of: column, strides: [1, 0])
        ForwardCheck.expect(wide, [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3], shape: [3, 4])
        let row = Tensor([1, 2, 3])
        let lifted = row.expanded(to: [2, 2, 3])
        expectView(lifted, of: row, strides: [0, 0, 1])
        #expect(!lifted.isContiguous)
        let scalar = Tensor(7).expanded(to: [2, 3])
        expectView(scalar, of: scalar, strides: [0, 0])
        ForwardCheck.expect(scalar, Array(repeating: 7, count: 6))
        #expect(row.expanded(as: Tensor.zeros([5, 3])).shape == [5, 3])
        #expect(Tensor.zeros([1, 3]).expanded(to: [0, 3]).shape == [0, 3])
    }

    @Test("squeezed and expandingDimensions add and remove size-1 axes as views")
    func squeezeUnsqueeze() {
        let x = counting([1, 3, 1])
        #expect(x.squeezed().shape == [3])
        #expect(x.squeezed(axes: [0]).shape == [3, 1])
        #expect(x.squeezed(axes: [-1]).shape == [1, 3])
        #expect(x.squeezed(axes: [0, 2]).shape == [3])
        #expect(x.squeezed().sharesStorage(with: x))
        #expect(counting([2, 3]).squeezed().shape == [2, 3])
        #expect(Tensor([[5]]).squeezed().shape == [])
        let v = Tensor([1, 2, 3])
        #expect(v.expandingDimensions(at: 0).shape == [1, 3])
        #expect(v.expandingDimensions(at: 1).shape == [3, 1])
        #expect(v.expandingDimensions(at: -1).shape == [3, 1])
        #expect(v.expandingDimensions(at: -2).shape == [1, 3])
        #expect(v.expandingDimensions(at: 0).sharesStorage(with: v))
        // On a non-contiguous view too.
        let t = counting([2, 3]).transposed()
        let u = t.expandingDimensions(at: 1)
        #expect(u.sharesStorage(with: t) && u.shape == [3, 1, 2])
        ForwardCheck.expect(u, [0, 3, 1, 4, 2, 5])
        #expect(Tensor(3).expandingDimensions(at: 0).shape == [1])
    }

    @Test("flattened merges a range of axes")
    func flattened() {
        let x = counting([2, 3, 4])
        #expect(x.flattened().shape == [24])
        #expect(x.flattened(startAxis: 1).shape == [2, 12])
        #expect(x.flattened(startAxis: 0, endAxis: 1).shape == [6, 4])
        #expect(x.flattened(startAxis: -2, endAxis: -1).shape == [2, 12])
        #expect(x.flattened(startAxis: 1, endAxis: 1).shape == [2, 3, 4])
        #expect(x.flattened().sharesStorage(with: x))
        #expect(Tensor(3).flattened().shape == [1])
        ForwardCheck.expect(x.transposed().flattened(startAxis: 1), x.transposed().asArray(Double.self), shape: [2, 12])
    }
}

@Suite("Views: slicing")
struct ViewSliceTests {
    let x = Tensor.arange(0, 10)

    @Test("ranges slice a view with an offset")
    func ranges() {
        let s = x[2..<5]
        expectView(s, of: x, strides: [1], offset: 2)
        ForwardCheck.expect(s, [2, 3, 4], shape: [3])
        ForwardCheck.expect(x[2...4], [2, 3, 4])
        ForwardCheck.expect(x[7...], [7, 8, 9])
        ForwardCheck.expect(x[..<2], [0, 1])
        ForwardCheck.expect(x[...1], [0, 1])
        ForwardCheck.expect(x[TensorSlice.all], (0..<10).map(Double.init))
    }

    @Test("steps, positive and negative")
    func steps() {
        let stepped = x[TensorSlice(start: 1, end: 8, step: 3)]
        expectView(stepped, of: x, strides: [3], offset: 1)
        ForwardCheck.expect(stepped, [1, 4, 7])
        let reversed = x[TensorSlice(step: -1)]
        expectView(reversed, of: x, strides: [-1], offset: 9)
        ForwardCheck.expect(reversed, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0])
        ForwardCheck.expect(x[TensorSlice(start: 8, end: 2, step: -2)], [8, 6, 4])
        ForwardCheck.expect(x[TensorSlice(step: 4)], [0, 4, 8])
        ForwardCheck.expect(x[TensorSlice(step: -3)], [9, 6, 3, 0])
        // A reversed view of a reversed view is the original order.
        ForwardCheck.expect(reversed[TensorSlice(step: -2)], [0, 2, 4, 6, 8])
    }

    @Test("negative positions count from the end; out-of-range bounds clamp")
    func negativeAndClamped() {
        ForwardCheck.expect(x[TensorSlice(start: -3)], [7, 8, 9])
        ForwardCheck.expect(x[TensorSlice(start: -4, end: -1)], [6, 7, 8])
        ForwardCheck.expect(x[(-2)...], [8, 9])
        ForwardCheck.expect(x[5..<100], [5, 6, 7, 8, 9])
        ForwardCheck.expect(x[TensorSlice(start: -100, end: 3)], [0, 1, 2])
        ForwardCheck.expect(x[TensorSlice(start: 100, end: -100, step: -3)], [9, 6, 3, 0])
        ForwardCheck.expect(x[TensorSlice(start: -1, end: -4, step: -1)], [9, 8, 7])
    }

    @Test("a closed range ending at −1 runs to the last element")
    func closedRangeToLast() {
        ForwardCheck.expect(x[(-3)...(-1)], [7, 8, 9], shape: [3])
        ForwardCheck.expect(x[...(-1)], (0..<10).map(Double.init), shape: [10])
        ForwardCheck.expect(x[(-3)...(-2)], [7, 8], shape: [2])
    }

    @Test("empty slices have size 0 on the axis")
    func empty() {
        for slice in [TensorSlice(start: 3, end: 3), TensorSlice(start: 5, end: 2), TensorSlice(start: 2, end: 5, step: -1),
                      TensorSlice(start: 20), TensorSlice(end: -20)] {
            let s = x[slice]
            #expect(s.shape == [0], "\(slice)")
            #expect(s.asArray(Float.self).isEmpty)
        }
        #expect(counting([3, 4])[TensorSlice.all, 2..<2].shape == [3, 0])
    }

    @Test("integer indices pick and drop an axis; several axes at once")
    func integerIndices() {
        let m = counting([3, 4])
        let row = m[1]
        expectView(row, of: m, strides: [1], offset: 4)
        ForwardCheck.expect(row, [4, 5, 6, 7], shape: [4])
        ForwardCheck.expect(m[-1], [8, 9, 10, 11], shape: [4])
        let column = m[TensorSlice.all, 1]
        expectView(column, of: m, strides: [4], offset: 1)
        ForwardCheck.expect(column, [1, 5, 9], shape: [3])
        let element = m[1, 2]
        #expect(element.shape == [] && element.item() == 6)
        #expect(m[-1, -1].item() == 11)
        ForwardCheck.expect(m[0..<2, TensorSlice(step: -2)], [3, 1, 7, 5], shape: [2, 2])
        ForwardCheck.expect(m[TensorSlice(step: 2), 1...2], [1, 2, 9, 10], shape: [2, 2])
        let cube = counting([2, 3, 4])
        ForwardCheck.expect(cube[1, TensorSlice.all, -1], [15, 19, 23], shape: [3])
        ForwardCheck.expect(cube.sliced([TensorSlice(start: 1), TensorSlice(start: 1, end: 2)]), [16, 17, 18, 19], shape: [1, 1, 4])
    }
}

@Suite("Views: copy-on-write")
struct ViewCopyOnWriteTests {
    @Test("writing to a copy leaves the original unchanged")
    func copyIsIndependent() {
        let a = Tensor([1, 2, 3])
        var b = a
        #expect(b.sharesStorage(with: a))
        b.withUnsafeMutableScalars(Float.self) { $0[0] = 100 }
        ForwardCheck.expect(a, [1, 2, 3])
        ForwardCheck.expect(b, [100, 2, 3])
        #expect(!b.sharesStorage(with: a))
    }

    @Test("writing to a view copies it out; the base is unchanged")
    func viewWrite() {
        let base = counting([3, 4])
        var view = base.transposed()
        view.withUnsafeMutableScalars(Float.self) { buffer in
            #expect(buffer.count == 12)
            #expect(Array(buffer.prefix(4)) == [0, 4, 8, 1], "the buffer is the view in row-major order")
            buffer[1] = -1
        }
        #expect(view.isContiguous && view.shape == [4, 3])
        #expect(view.scalar(at: [0, 1]) == -1)
        #expect(base.scalar(at: [1, 0]) == 4)
        var slice = base[1, 1..<3]
        slice.withUnsafeMutableScalars(Float.self) { $0[0] = 50 }
        ForwardCheck.expect(slice, [50, 6])
        ForwardCheck.expect(base[1], [4, 5, 6, 7])
    }

    @Test("writing to a base leaves earlier views unchanged")
    func baseWrite() {
        var base = counting([2, 2])
        let view = base.reshaped([4])
        base.withUnsafeMutableScalars(Float.self) { $0[3] = 9 }
        ForwardCheck.expect(view, [0, 1, 2, 3])
        ForwardCheck.expect(base, [0, 1, 2, 9])
    }

    @Test("a uniquely owned contiguous tensor is written in place")
    func uniqueInPlace() {
        var x = Tensor.zeros([5], dtype: .float64)
        let before = x.withUnsafeScalars(Double.self) { UnsafeRawPointer($0.baseAddress!) }
        let during = x.withUnsafeMutableScalars(Double.self) { buffer -> UnsafeRawPointer in
            buffer[2] = 4.5
            return UnsafeRawPointer(buffer.baseAddress!)
        }
        #expect(before == during)
        let again = x.withUnsafeMutableScalars(Double.self) { UnsafeRawPointer($0.baseAddress!) }
        #expect(again == during)
        ForwardCheck.expect(x, [0, 0, 4.5, 0, 0], dtype: .float64)
        // Once a second tensor holds the storage, the next write moves to a new buffer.
        let keep = x
        let moved = x.withUnsafeMutableScalars(Double.self) { buffer -> UnsafeRawPointer in
            buffer[0] = -1
            return UnsafeRawPointer(buffer.baseAddress!)
        }
        #expect(moved != during)
        #expect(!keep.sharesStorage(with: x))
        ForwardCheck.expect(keep, [0, 0, 4.5, 0, 0])
        ForwardCheck.expect(x, [-1, 0, 4.5, 0, 0])
    }
}
