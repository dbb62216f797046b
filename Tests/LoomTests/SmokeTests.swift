import Loom
import Testing

@Test func smoke() {
    let a = Tensor([[1, 2, 3], [4, 5, 6]])
    let b = Tensor([10, 20, 30])
    print(a + b)
    print((a + b).sum(alongAxis: 0))
    print(a.matmul(a.transposed()))
    var x = Tensor([1.0, 2.0, 3.0], dtype: .float64)
    x.requiresGradient = true
    let y = (x * x * x).sum()
    y.backward()
    print(x.gradient!)
    print(hessian(of: { ($0 * $0 * $0).sum() }, at: Tensor([1.0, 2.0], dtype: .float64)))
    let d3 = gradient(at: Tensor(2.0, dtype: .float64)) { x in
        gradient(at: x) { x in gradient(at: x) { x in x * x * x } }
    }
    print("d3", d3)
    print(Tensor([[1, 2], [3, 4]]).softmax())
    print(a[1, 0..<2], a[TensorSlice(step: -1)])
}
