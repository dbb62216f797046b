import Loom
import LoomNN
import LoomTestSupport
import Testing

@Suite("Linear")
struct LinearTests {
    @Test("stores the weight as [in, out] and the bias as [out]")
    func layout() {
        let layer = Linear(inputFeatures: 3, outputFeatures: 5, seed: 1)
        #expect(layer.weight.shape == [3, 5])
        #expect(layer.bias?.shape == [5])
        #expect((layer.inputFeatures, layer.outputFeatures) == (3, 5))
        #expect(layer.bias!.value.asArray(Double.self) == [0, 0, 0, 0, 0])
        let bare = Linear(inputFeatures: 3, outputFeatures: 5, bias: false, seed: 1)
        #expect(bare.bias == nil)
        #expect(bare.namedParameters().map(\.path) == ["weight"])
        // The same seed gives the same weight; the weight is drawn before the bias.
        #expect(bare.weight.value.asArray(Double.self) == layer.weight.value.asArray(Double.self))
    }

    @Test("forward is x W + b, by hand")
    func forwardByHand() {
        let layer = Linear(inputFeatures: 2, outputFeatures: 3, dtype: .float64, seed: 2)
        layer.weight.value = Tensor([[1, 2, 3], [4, 5, 6]], dtype: .float64)
        layer.bias!.value = Tensor([0.5, -1, 2], dtype: .float64)
        let x = Tensor([[1, -1], [2, 0.5]], dtype: .float64)
        // Row 0: [1−4, 2−5, 3−6] + b; row 1: [2+2, 4+2.5, 6+3] + b.
        assertClose(layer(x), [-2.5, -4, -1, 4.5, 5.5, 11], relative: 1e-15)
        // Leading axes are kept: [2, 1, 2] → [2, 1, 3].
        #expect(layer(x.reshaped([2, 1, 2])).shape == [2, 1, 3])
    }

    @Test("backward fills ∂W = xᵀ U and ∂b = Σ_rows U for L = ⟨xW + b, U⟩")
    func parameterGradients() {
        let layer = Linear(inputFeatures: 2, outputFeatures: 3, dtype: .float64, seed: 3)
        let x = Tensor([[1, -1], [2, 0.5]], dtype: .float64)
        let u = Tensor([[1, 0, -1], [2, 3, 0.5]], dtype: .float64)
        (layer(x) * u).sum().backward()
        // xᵀU: [[1·1 + 2·2, 1·0 + 2·3, 1·(−1) + 2·0.5], [−1·1 + 0.5·2, −1·0 + 0.5·3, −1·(−1) + 0.5·0.5]]
        assertClose(layer.weight.gradient!, [5, 6, 0, 0, 1.5, 1.25], relative: 1e-15)
        assertClose(layer.bias!.gradient!, [3, 3, -0.5], relative: 1e-15)
    }

    @Test("gradients with respect to input, weight and bias match central differences")
    func gradientCheck() {
        let layer = Linear(inputFeatures: 3, outputFeatures: 2, dtype: .float64, seed: 4)
        assertGradientsCorrect("Linear", of: { inputs in
            layer.weight.value = inputs[1]
            layer.bias!.value = inputs[2]
            return layer(inputs[0])
        }, inputs: [InputSpec([4, 3]), InputSpec([3, 2]), InputSpec([2])], seed: 5)
    }

    @Test("default weights are Kaiming normal N(0, 2/in)")
    func defaultInitialization() {
        let layer = Linear(inputFeatures: 200, outputFeatures: 500, seed: 6)
        let values = layer.weight.value.asArray(Double.self)
        let sigma = (2.0 / 200).squareRoot()
        #expect(Swift.abs(SampleStatistics.mean(values)) <= SampleStatistics.meanTolerance(sigma: sigma, count: values.count))
        #expect(Swift.abs(SampleStatistics.standardDeviation(values) - sigma)
                <= SampleStatistics.standardDeviationTolerance(sigma: sigma, count: values.count, kurtosis: 3))
    }
}
