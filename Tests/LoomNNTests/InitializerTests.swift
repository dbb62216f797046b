import Loom
import LoomNN
import Testing

@Suite("Initializers")
struct InitializerTests {
    @Test("fans come from the [in, out] layout")
    func fanComputation() {
        #expect(fans(of: [3, 5]) == (3, 5))
        #expect(fans(of: [2, 3, 4]) == (6, 8))
        #expect(fans(of: [7]) == (7, 7))
        #expect(fans(of: []) == (1, 1))
        // A Linear(3 → 5) weight has fan-in 3, as PyTorch's nn.Linear(3, 5) (stored [5, 3]).
        let layer = Linear(inputFeatures: 3, outputFeatures: 5, seed: 1)
        #expect(fans(of: layer.weight.shape) == (3, 5))
    }

    @Test("gains: linear 1, ReLU √2, tanh 5/3, sigmoid 1, leaky ReLU √(2/(1+s²))")
    func gains() {
        #expect(Nonlinearity.linear.gain == 1)
        #expect(Nonlinearity.relu.gain == 2.0.squareRoot())
        #expect(Nonlinearity.tanh.gain == 5.0 / 3)
        #expect(Nonlinearity.sigmoid.gain == 1)
        #expect(Nonlinearity.leakyReLU(negativeSlope: 0.01).gain == (2 / 1.0001).squareRoot())
        #expect(Nonlinearity.leakyReLU(negativeSlope: 0).gain == Nonlinearity.relu.gain)
    }

    static let presets: [(Initializer, Double)] = [
        (Initializer.xavierNormal(), 2.0 / 400),
        (Initializer.xavierUniform(gain: 5.0 / 3), 25.0 / 9 * 2 / 400),
        (Initializer.kaimingNormal(), 2.0 / 100),
        (Initializer.kaimingNormal(nonlinearity: .relu, mode: .fanOut), 2.0 / 300),
        (Initializer.kaimingUniform(nonlinearity: .leakyReLU(negativeSlope: 0.2)), 2.0 / 1.04 / 100),
        (Initializer.kaimingUniform(nonlinearity: .tanh, mode: .fanIn), 25.0 / 9 / 100),
        (Initializer.varianceScaling(scale: 3, mode: .fanAverage, distribution: .truncatedNormal), 3.0 / 200),
    ]

    @Test("presets give the variance g²/fan of their mode (shape [100, 300])", arguments: presets)
    func presetVariances(initializer: Initializer, variance: Double) {
        let sigma = initializer.standardDeviation(for: [100, 300])!
        #expect(Swift.abs(sigma * sigma - variance) <= 1e-15 * variance)
        #expect(Initializer.zeros.standardDeviation(for: [100, 300]) == nil)
    }

    static let shape = [400, 250]

    @Test("samples have the mean and deviation they promise (5 standard errors at n = 10⁵)", arguments: [
        Distribution.normal, .uniform, .truncatedNormal,
    ])
    func sampleStatistics(distribution: Distribution) {
        var generator = SeededGenerator(seed: 7)
        let initializer = Initializer.varianceScaling(scale: 2, mode: .fanIn, distribution: distribution)
        let values = initializer.tensor(Self.shape, dtype: .float64, using: &generator).asArray(Double.self)
        let sigma = (2.0 / 400).squareRoot()
        // Kurtosis 3 (normal), 1.8 (uniform), ≈ 2.4 (normal truncated at ±2; 3 is conservative).
        let kurtosis = distribution == .uniform ? 1.8 : 3
        let mean = SampleStatistics.mean(values), deviation = SampleStatistics.standardDeviation(values)
        #expect(Swift.abs(mean) <= SampleStatistics.meanTolerance(sigma: sigma, count: values.count), "mean \(mean)")
        #expect(Swift.abs(deviation - sigma) <= SampleStatistics.standardDeviationTolerance(sigma: sigma, count: values.count, kurtosis: kurtosis),
                "deviation \(deviation) vs \(sigma)")
        let largest = values.map { Swift.abs($0) }.max()!
        switch distribution {
        case .uniform:
            let bound = 3.0.squareRoot() * sigma
            #expect(largest <= bound && largest > bound * 0.999)
        case .truncatedNormal:
            let bound = 2 * sigma / 0.87962566103423978
            #expect(largest <= bound && largest > bound * 0.99)
        case .normal:
            #expect(largest > 3 * sigma)
        }
    }

    @Test("fixed rules: constants exactly, uniform within its bounds, normal with its moments")
    func fixedRules() {
        var generator = SeededGenerator(seed: 8)
        #expect(Initializer.zeros.tensor([3, 2], using: &generator).asArray(Double.self) == [0, 0, 0, 0, 0, 0])
        #expect(Initializer.ones.tensor([2], using: &generator).asArray(Double.self) == [1, 1])
        #expect(Initializer.constant(0.25).tensor([2], dtype: .float64, using: &generator).asArray(Double.self) == [0.25, 0.25])
        let before = generator
        _ = Initializer.constant(3).tensor([100], using: &generator)
        #expect(generator == before, "constant rules draw nothing")

        let n = 100_000
        let uniform = Initializer.uniform(low: -1, high: 3).tensor([n], dtype: .float64, using: &generator).asArray(Double.self)
        #expect(uniform.allSatisfy { $0 >= -1 && $0 < 3 })
        #expect(Swift.abs(SampleStatistics.mean(uniform) - 1) <= SampleStatistics.meanTolerance(sigma: 4 / 12.0.squareRoot(), count: n))
        let normal = Initializer.normal(mean: 2, standardDeviation: 0.5).tensor([n], dtype: .float64, using: &generator).asArray(Double.self)
        #expect(Swift.abs(SampleStatistics.mean(normal) - 2) <= SampleStatistics.meanTolerance(sigma: 0.5, count: n))
        #expect(Swift.abs(SampleStatistics.standardDeviation(normal) - 0.5)
                <= SampleStatistics.standardDeviationTolerance(sigma: 0.5, count: n, kurtosis: 3))
    }

    @Test("the same seed gives the same weights")
    func reproducibility() {
        var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9)
        let first = Initializer.kaimingUniform().tensor([20, 30], using: &a).asArray(Float.self)
        #expect(first == Initializer.kaimingUniform().tensor([20, 30], using: &b).asArray(Float.self))
        #expect(first != Initializer.kaimingUniform().tensor([20, 30], using: &a).asArray(Float.self))
    }
}
