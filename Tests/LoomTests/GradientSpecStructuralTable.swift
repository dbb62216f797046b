import Loom
import LoomTestSupport

// The gradient table, part 2: reductions, matrix products, views, joining, indexing and the
// recorded identity of nested differentiation.

/// Rows for reductions and matrix multiplication.
let reductionAndMatmulRows: [GradientSpecRow] = [
    row(.sum, "all", [input([3, 4])]) { squared($0[0].sum()) },
    row(.sum, "axes [0, 2]", [input([2, 3, 4])]) { squared($0[0].sum(alongAxes: [0, 2])) },
    row(.sum, "axis -1 keeping dimensions", [input([3, 4])]) { x in
        x[0] * x[0].sum(alongAxis: -1, keepingDimensions: true)
    },
    row(.sum, "axes [-1, 0] dropping dimensions", [input([2, 3, 4], .real, .strided(step: -1))]) {
        squared($0[0].sum(alongAxes: [-1, 0], keepingDimensions: false))
    },
    row(.sum, "expanded input", [input([3, 4], .real, .expanded(from: [3, 1]))]) { squared($0[0].sum(alongAxis: 0)) },
    row(.max, "all, no ties", [input([3, 4], .distinct())]) { squared($0[0].max()) },
    row(.max, "axes [0, 2] keeping dimensions", [input([2, 3, 4], .distinct())]) { x in
        x[0] * x[0].max(alongAxes: [0, 2], keepingDimensions: true)
    },
    row(.max, "axis -1 dropping dimensions", [input([3, 4], .distinct())]) { squared($0[0].max(alongAxis: -1)) },
    row(.max, "axis -2 of transposed, keeping", [input([4, 3], .distinct(), .transposed)]) {
        $0[0].max(alongAxis: -2, keepingDimensions: true).exp()
    },
    row(.softmaxCrossEntropy, "[3, 4] against int64 labels", [input([3, 4])]) {
        $0[0].softmaxCrossEntropy(labels: Tensor([2, 0, 3], dtype: .int64))
    },
    row(.softmaxCrossEntropy, "transposed logits, int32 labels, weighted", [input([3, 4], .real, .transposed)]) { x in
        x[0].softmaxCrossEntropy(labels: Tensor([1, 1, 0], dtype: .int32)) * x[0].sum(alongAxis: 1)
    },
    row(.softmaxCrossEntropy, "large logits", [input([2, 5], .uniform(50, 60))]) {
        squared($0[0].softmaxCrossEntropy(labels: Tensor([4, 0], dtype: .int64)))
    },
    row(.softmaxCrossEntropyPullback, "nested gradient of the mean", [input([3, 4])]) { x in
        gradient(at: x[0]) { $0.softmaxCrossEntropy(labels: Tensor([3, 1, 1], dtype: .int64)).mean() } * x[0]
    },
    row(.matmul, "[3, 4]·[4, 5]", [input([3, 4]), input([4, 5])]) { $0[0].matmul($0[1]) },
    row(.affine, "[3, 4]·[4, 5] + [5], squared", [input([3, 4]), input([4, 5]), input([5])]) {
        squared($0[0].affine(weight: $0[1], bias: $0[2]))
    },
    row(.affine, "transposed input and weight", [input([3, 4], .real, .transposed), input([4, 2], .real, .transposed), input([2])]) {
        $0[0].affine(weight: $0[1], bias: $0[2])
    },
    row(.affineReLU, "[3, 4]·[4, 5] + [5], squared", [input([3, 4]), input([4, 5]), input([5])]) {
        squared($0[0].affineReLU(weight: $0[1], bias: $0[2]))
    },
    row(.affineReLU, "transposed input and weight, exp", [input([3, 4], .real, .transposed), input([4, 2], .real, .transposed), input([2])]) {
        $0[0].affineReLU(weight: $0[1], bias: $0[2]).exp()
    },
    row(.matmul, "batched, broadcast batch axes", [input([2, 1, 3, 4]), input([5, 4, 2])]) { $0[0].matmul($0[1]) },
    row(.matmul, "transposed operands", [input([3, 4], .real, .transposed), input([4, 2], .real, .transposed)]) {
        $0[0].matmul($0[1])
    },
    row(.matmul, "reversed rows", [input([3, 4], .real, .strided(step: -2)), input([4, 2])]) { $0[0].matmul($0[1]) },
    row(.matmul, "1-D · 2-D", [input([4]), input([4, 3])]) { $0[0].matmul($0[1]) },
    row(.matmul, "2-D · 1-D", [input([3, 4]), input([4])]) { $0[0].matmul($0[1]) },
    row(.matmul, "1-D · 1-D", [input([4]), input([4])]) { $0[0].matmul($0[1]) },
    row(.matmul, "1-D · batched", [input([4]), input([2, 4, 3])]) { $0[0].matmul($0[1]) },
    row(.matmul, "fan-out x·xᵀ", [input([3, 4])]) { $0[0].matmul($0[0].transposed()) },
]

/// Rows for the view primitives, joining, indexing, and the recorded identity.
let structuralRows: [GradientSpecRow] = [
    row(.reshape, "[3, 4] → [2, 6]", [input([3, 4])]) { squared($0[0].reshaped([2, 6])) },
    row(.reshape, "transposed → [-1] (copies)", [input([3, 4], .real, .transposed)]) { squared($0[0].reshaped([-1])) },
    row(.reshape, "expandingDimensions, squeezed", [input([3, 4])]) { x in
        squared(x[0].expandingDimensions(at: 1).squeezed()) * x[0]
    },
    row(.permute, "[2, 0, 1]", [input([2, 3, 4])]) { squared($0[0].permuted([2, 0, 1])) },
    row(.permute, "transposed()", [input([3, 4], .real, .strided(step: 2))]) { x in
        x[0].transposed().matmul(x[0])
    },
    row(.expand, "[3, 1] → [2, 3, 4]", [input([3, 1])]) { squared($0[0].expanded(to: [2, 3, 4])) },
    row(.expand, "expanded input expanded again", [input([3, 4], .real, .expanded(from: [4]))]) {
        squared($0[0].expanded(to: [2, 3, 4]))
    },
    row(.slice, "x[1..<3, step 2]", [input([4, 5])]) { squared($0[0][1..<3, TensorSlice(step: 2)]) },
    row(.slice, "negative step, from the end", [input([5, 3])]) { squared($0[0][TensorSlice(start: -1, step: -2)]) },
    row(.slice, "integer index of transposed", [input([3, 4], .real, .transposed)]) { squared($0[0][1]) },
    row(.slice, "sliced([all, reversed])", [input([2, 5])]) { x in
        squared(x[0].sliced([.all, TensorSlice(start: 3, end: 0, step: -1)]))
    },
    // `place` (the adjoint of slicing) is internal: it is reached through a recorded pullback.
    row(.place, "nested gradient of a strided slice", [input([5, 2])]) { x in
        gradient(at: x[0]) { y in Tensor.pow(y[TensorSlice(step: 2)], 3).sum() }
    },
    row(.concatenate, "three tensors along axis 1", [input([2, 1]), input([2, 3]), input([2, 2])]) {
        squared(Tensor.concatenated([$0[0], $0[1], $0[2]], axis: 1))
    },
    row(.concatenate, "axis -2, strided and expanded", [input([2, 3], .real, .strided(step: -1)), input([1, 3], .real, .expanded(from: [3]))]) {
        squared(Tensor.concatenated([$0[0], $0[1]], axis: -2))
    },
    row(.gather, "axis 0, repeated indices", [input([3, 4])]) { x in
        let indices = Tensor([[2, 0, 1, 2], [2, 2, 0, 1]], dtype: .int64)
        return squared(x[0].gathered(indices, alongAxis: 0))
    },
    row(.gather, "axis 1, int32 indices", [input([3, 4], .real, .transposed)]) { x in
        let indices = Tensor([[3, 3], [0, 1], [2, 0]], dtype: .int32)
        return squared(x[0].gathered(indices, alongAxis: 1))
    },
    row(.scatterAdd, "axis 0, repeated indices", [input([2, 3])]) { x in
        let indices = Tensor([[1, 3, 1], [1, 0, 3]], dtype: .int64)
        return squared(x[0].scatterAdded(indices, alongAxis: 0, into: [4, 3]))
    },
    row(.scatterAdd, "axis -1", [input([3, 2])]) { x in
        let indices = Tensor([[0, 0], [3, 1], [2, 3]], dtype: .int64)
        return squared(x[0].scatterAdded(indices, alongAxis: -1, into: [3, 4]))
    },
    row(.identity, "nested gradient(at:of:)", [input([4])]) { x in
        gradient(at: x[0]) { y in (y * y * y).sum() + (y.exp() * y).sum() }
    },
    row(.identity, "nested gradient at two points", [input([3]), input([3], .positive)]) { x in
        let inner = gradient(at: [x[0], x[1]]) { p in (p[0] * p[1].log()).sum() + (p[0] * p[0] * p[1]).sum() }
        return inner[0] * inner[1]
    },
]

/// Rows for the composites (no backward code of their own).
let compositeRows: [GradientSpecRow] = [
    row(.mean, "all", [input([3, 4])]) { squared($0[0].mean()) },
    row(.mean, "axes [0] keeping dimensions", [input([3, 4])]) { x in x[0] * x[0].mean(alongAxes: [0], keepingDimensions: true) },
    row(.mean, "axis -1", [input([2, 3, 4], .real, .transposed)]) { squared($0[0].mean(alongAxis: -1)) },
    row(.variance, "all", [input([3, 4])]) { $0[0].variance() },
    row(.variance, "axis 1, Bessel, keeping", [input([3, 4])]) { $0[0].variance(alongAxes: [1], correction: 1, keepingDimensions: true) },
    row(.standardDeviation, "all", [input([3, 4])]) { $0[0].standardDeviation() },
    row(.standardDeviation, "axis 0", [input([5, 3])]) { $0[0].standardDeviation(alongAxes: [0]) },
    row(.logSumExp, "all", [input([3, 4])]) { $0[0].logSumExp() },
    row(.logSumExp, "axis 1 keeping, large logits", [input([3, 4], .uniform(50, 60))]) {
        $0[0].logSumExp(alongAxes: [1], keepingDimensions: true)
    },
    row(.logSumExp, "axes [-1, 0]", [input([2, 3, 4])]) { $0[0].logSumExp(alongAxes: [-1, 0]) },
    row(.softmax, "axis -1", [input([3, 4])]) { $0[0].softmax() },
    row(.softmax, "axis 0 of transposed", [input([3, 4], .real, .transposed)]) { $0[0].softmax(alongAxis: 0) },
    row(.logSoftmax, "axis -1", [input([3, 4])]) { $0[0].logSoftmax() },
    row(.logSoftmax, "axis 1 of rank 3", [input([2, 3, 4])]) { $0[0].logSoftmax(alongAxis: 1) },
    row(.logSoftmax, "axis 0 of transposed, weighted", [input([3, 4], .real, .transposed)]) { x in
        x[0].logSoftmax(alongAxis: 0) * x[0]
    },
    row(.logSoftmax, "axis -1, large logits, exp", [input([3, 4], .uniform(50, 60))]) { $0[0].logSoftmax().exp() },
    row(.min, "all, no ties", [input([3, 4], .distinct())]) { squared($0[0].min()) },
    row(.min, "axes [0] keeping, no ties", [input([3, 4], .distinct())]) { x in
        x[0] * x[0].min(alongAxes: [0], keepingDimensions: true)
    },
    // Phase-0 distinct samples keep 0.05 from ±0.3 (odd multiples of spacing/2).
    row(.clamped, "to [-0.3, 0.3], away from the bounds", [input([3, 4], .distinct())]) {
        squared($0[0].clamped(lower: -0.3, upper: 0.3))
    },
    row(.split, "sizes [1, 3] along axis 1", [input([3, 4])]) { x in
        let pieces = x[0].split(sizes: [1, 3], alongAxis: 1)
        return pieces[0] * pieces[1]
    },
    row(.split, "count 2 along axis 0", [input([4, 3])]) { x in
        let pieces = x[0].split(count: 2)
        return pieces[0].exp() * pieces[1]
    },
    row(.stacked, "three tensors along axis 1", [input([2, 3]), input([2, 3]), input([2, 3], .real, .transposed)]) {
        squared(Tensor.stacked([$0[0], $0[1], $0[2]], axis: 1))
    },
    row(.stacked, "axis -1", [input([3]), input([3])]) { squared(Tensor.stacked([$0[0], $0[1]], axis: -1)) },
]

/// The whole table.
let gradientSpecRows: [GradientSpecRow] = elementwiseRows + reductionAndMatmulRows + structuralRows + compositeRows
