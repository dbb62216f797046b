import Loom
import LoomTestSupport
import Testing

/// Higher-order operators against closed forms, and the engine's behaviour: accumulation,
/// fan-out, resetting, recording switches, detaching, and the kink conventions.
@Suite("GradientSpec behaviour")
struct GradientSpecBehaviorTests {
    let tight = Tolerance.values(.float64).relative * 100

    @Test("cotangents summed in place never change a gradient already handed out or a shared seed")
    func inPlaceAccumulationKeepsDeliveredGradients() {
        var x = Tensor([1, 2, 3], dtype: .float64)
        x.requiresGradient = true
        // a's cotangent (the seed's ones) is delivered as a target's gradient and passed on
        // unchanged by the reshape to x, whose other consumers add 3 and 2x into it.
        let a = x.reshaped([3, 1])
        let loss = a.sum() + (x * 3).sum() + (x * x).sum()
        let g = gradients(of: loss, withRespectTo: [a, x])
        #expect(g[0].asArray(Double.self) == [1, 1, 1])
        #expect(g[1].asArray(Double.self) == [6, 8, 10])
        // A seed that several consumers share: the caller's tensor keeps its values.
        let seed = Tensor([1, 1, 1], dtype: .float64)
        let y = x * 1
        let h = gradients(of: y + y, withRespectTo: [x], seed: seed)
        #expect(h[0].asArray(Double.self) == [2, 2, 2])
        #expect(seed.asArray(Double.self) == [1, 1, 1])
    }

    @Test("d³/dx³ x³ = 6 by nesting gradient(at:of:) three times")
    func thirdDerivativeOfCube() {
        for value in [-1.5, 0.0, 2.0] {
            let x = Tensor(value, dtype: .float64)
            let third = gradient(at: x) { x in
                gradient(at: x) { x in
                    gradient(at: x) { x in x * x * x }
                }
            }
            assertClose(third, [6], relative: tight, "x = \(value)")
            let second = gradient(at: x) { x in gradient(at: x) { x in x * x * x } }
            assertClose(second, [6 * value], relative: tight, absolute: tight, "x = \(value)")
        }
    }

    @Test("hessianVectorProduct equals hessian · v", arguments: [0, 1, 2])
    func hessianVectorProductMatchesHessian(function: Int) {
        var generator = SeededGenerator(seed: UInt64(10 + function))
        let a = Tensor.normal([4, 3], dtype: .float64, using: &generator)
        let bodies: [(Tensor) -> Tensor] = [
            { x in (x * x * x).sum() + (x.exp() * x.reversedForTest()).sum() },
            { x in x.matmul(a).tanh().sum() + x.logSumExp() },
            { x in (x.softmax() * x).sum() * x.variance() },
        ]
        let x = Tensor.normal([4], dtype: .float64, using: &generator)
        let v = Tensor.normal([4], dtype: .float64, using: &generator)
        let hessian = Loom.hessian(of: bodies[function], at: x)
        #expect(hessian.shape == [4, 4])
        assertClose(hessian, hessian.transposed(), relative: tight, absolute: tight, "Hessian is symmetric")
        let product = hessianVectorProduct(of: bodies[function], at: x, direction: v)
        assertClose(product, hessian.matmul(v), relative: tight, absolute: tight, "function \(function)")
    }

    @Test("Hessian of a quadratic form xᵀAx is A + Aᵀ")
    func hessianOfQuadraticForm() {
        let a = Tensor([[1, 2, 0], [-1, 3, 4], [0.5, 0, -2]], dtype: .float64)
        let x = Tensor([0.3, -0.7, 1.1], dtype: .float64)
        let hessian = Loom.hessian(of: { x in x.matmul(a).matmul(x) }, at: x)
        assertClose(hessian, a + a.transposed(), relative: tight, absolute: tight)
    }

    @Test("jacobian of vector functions against closed forms")
    func jacobianMatchesClosedForms() {
        let x = Tensor([0.5, -1, 2], dtype: .float64)
        let a = Tensor([[1, 2, 3], [4, 5, 6]], dtype: .float64)
        assertClose(jacobian(of: { a.matmul($0) }, at: x), a, relative: tight, "A·x")
        assertClose(jacobian(of: { $0 * $0 }, at: x), [1, 0, 0, 0, -2, 0, 0, 0, 4], relative: tight, "x ⊙ x")
        let s = x.softmax().asArray(Double.self)
        let softmaxJacobian = (0..<3).flatMap { i in (0..<3).map { j in (i == j ? s[i] : 0) - s[i] * s[j] } }
        assertClose(jacobian(of: { $0.softmax() }, at: x), softmaxJacobian, relative: tight, absolute: tight, "softmax")
        let outer = jacobian(of: { $0.reshaped([3, 1]) * $0 }, at: x)
        #expect(outer.shape == [3, 3, 3])
        // ∂(xᵢxⱼ)/∂xₖ = δᵢₖxⱼ + xᵢδⱼₖ.
        let values = x.asArray(Double.self)
        let expected = (0..<27).map { n -> Double in
            let (i, j, k) = (n / 9, n / 3 % 3, n % 3)
            return (i == k ? values[j] : 0) + (j == k ? values[i] : 0)
        }
        assertClose(outer, expected, relative: tight, "outer product")
    }

    @Test("valueWithGradient returns the value and the gradient")
    func valueWithGradientMatches() {
        let x = Tensor([1, 2], dtype: .float64)
        let (value, gradient) = valueWithGradient(at: x) { ($0 * $0).sum() }
        assertClose(value, [5], relative: tight)
        assertClose(gradient, [2, 4], relative: tight)
        #expect(!value.requiresGradient, "a top-level value should be detached")
    }

    @Test("backward accumulates across calls, fan-out adds, and resetting clears")
    func backwardAccumulatesAndResets() {
        var x = Tensor([1, -2, 3], dtype: .float64)
        x.requiresGradient = true
        let square = (x * x).sum()
        square.backward()
        assertClose(x.gradient!, [2, -4, 6], relative: tight, "one call")
        square.backward()
        assertClose(x.gradient!, [4, -8, 12], relative: tight, "two calls accumulate")
        x.gradient = nil
        let fanOut = (x * x + x).sum()  // x reaches the sum along three paths
        fanOut.backward()
        assertClose(x.gradient!, [3, -3, 7], relative: tight, "fan-out after a reset")
        let seeded = x * 2
        seeded.backward(seed: Tensor([1, 10, 100], dtype: .float64))
        assertClose(x.gradient!, [5, 17, 207], relative: tight, "an explicit seed adds on top")
    }

    @Test("gradients(of:withRespectTo:) leaves .gradient untouched and gives zeros for unused inputs")
    func functionalGradientsDoNotAccumulate() {
        var x = Tensor([1, 2], dtype: .float64), unused = Tensor([5], dtype: .float64)
        x.requiresGradient = true
        unused.requiresGradient = true
        let result = gradients(of: (x * x).sum(), withRespectTo: [x, unused])
        assertClose(result[0], [2, 4], relative: tight)
        assertClose(result[1], [0], relative: 0)
        #expect(x.gradient == nil && unused.gradient == nil)
    }

    @Test("withoutGradients records nothing")
    func withoutGradientsRecordsNothing() {
        var x = Tensor([1, 2], dtype: .float64)
        x.requiresGradient = true
        let y = withoutGradients { (x * x).exp().sum() }
        #expect(!y.requiresGradient && y.recordedPrimitives.isEmpty && isRecordingGradients)
        let inside = withoutGradients { isRecordingGradients }
        #expect(!inside)
        let z = withoutGradients { withGradients { x * x } }
        #expect(z.recordedPrimitives == [.multiply], "withGradients re-enables recording")
    }

    @Test("detached() stops gradients")
    func detachedStopsGradients() {
        var x = Tensor([1.5, -2], dtype: .float64)
        x.requiresGradient = true
        let y = (x * x.detached()).sum()
        assertClose(gradients(of: y, withRespectTo: [x])[0], [1.5, -2], relative: tight, "only the attached factor")
        #expect(!x.detached().requiresGradient)
        let constant = (x.detached() * 3).sum()
        #expect(constant.recordedPrimitives.isEmpty)
    }

    @Test("kink conventions: ∇relu(0) = 0, ∇abs(0) = 0, ties split evenly")
    func kinkConventions() {
        let x = Tensor([-1, 0, 2], dtype: .float64)
        assertClose(gradient(at: x) { $0.relu().sum() }, [0, 0, 1], relative: 0, "relu")
        assertClose(gradient(at: x) { $0.abs().sum() }, [-1, 0, 1], relative: 0, "abs")
        let a = Tensor([1, 2, 3], dtype: .float64), b = Tensor([1, 0, 5], dtype: .float64)
        let maximum = gradient(at: [a, b]) { Tensor.maximum($0[0], $0[1]).sum() }
        assertClose(maximum[0], [0.5, 1, 0], relative: 0, "maximum, first operand")
        assertClose(maximum[1], [0.5, 0, 1], relative: 0, "maximum, second operand")
        let minimum = gradient(at: [a, b]) { Tensor.minimum($0[0], $0[1]).sum() }
        assertClose(minimum[0], [0.5, 0, 1], relative: 0, "minimum, first operand")
        assertClose(minimum[1], [0.5, 1, 0], relative: 0, "minimum, second operand")
        let tied = Tensor([[3, 1, 3], [0, 2, 2]], dtype: .float64)
        assertClose(gradient(at: tied) { $0.max(alongAxis: 1).sum() }, [0.5, 0, 0.5, 0, 0.5, 0.5], relative: 0, "max reduction ties")
        assertClose(gradient(at: tied) { $0.max().sum() }, [0.5, 0, 0.5, 0, 0, 0], relative: 0, "max over all, tie")
    }
}

extension Tensor {
    /// The elements in reverse order along axis 0 (a strided view), for mixing terms in tests.
    fileprivate func reversedForTest() -> Tensor { self[TensorSlice(step: -1)] }
}
