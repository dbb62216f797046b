import Loom
import LoomNN
import LoomTestSupport
import Testing

@Suite("Dropout")
struct DropoutTests {
    static let shape = [200, 500]

    @Test("training zeroes a fraction ≈ p, scales survivors by 1/(1−p), and preserves the mean")
    func scaling() {
        let p = 0.3
        let dropout = Dropout(probability: p, seed: 1)
        let values = dropout(Tensor.ones(Self.shape, dtype: .float64)).asArray(Double.self)
        let n = values.count
        let zeros = values.filter { $0 == 0 }.count
        let survivors = values.filter { $0 != 0 }
        #expect(survivors.allSatisfy { Swift.abs($0 - 1 / (1 - p)) <= 1e-15 })
        // Zero count ~ Binomial(n, p); each output has mean 1 and variance p/(1 − p).
        let fraction = Double(zeros) / Double(n)
        #expect(Swift.abs(fraction - p) <= SampleStatistics.meanTolerance(sigma: (p * (1 - p)).squareRoot(), count: n), "zero fraction \(fraction)")
        let mean = SampleStatistics.mean(values)
        #expect(Swift.abs(mean - 1) <= SampleStatistics.meanTolerance(sigma: (p / (1 - p)).squareRoot(), count: n), "mean \(mean)")
    }

    @Test("the gradient is the same mask scaled by 1/(1−p)")
    func gradient() {
        let dropout = Dropout(probability: 0.5, seed: 2)
        var x = Tensor.ones([4, 6], dtype: .float64)
        x.requiresGradient = true
        let y = dropout(x)
        y.sum().backward()
        #expect(x.gradient!.asArray(Double.self) == y.asArray(Double.self))
        #expect(Set(y.asArray(Double.self)) == [0, 2])
    }

    @Test("evaluation is the identity and draws nothing")
    func evaluation() {
        let dropout = Dropout(probability: 0.9, seed: 3)
        dropout.evaluate()
        let before = dropout.generator
        let x = Tensor.normal([10, 10], using: &dropout.generator)
        let start = dropout.generator
        #expect(dropout(x).asArray(Float.self) == x.asArray(Float.self))
        #expect(dropout.generator == start && start != before)
    }

    @Test("masks are reproducible from the seed and differ between calls and seeds")
    func reproducibility() {
        let x = Tensor.ones([50, 40])
        let a = Dropout(probability: 0.5, seed: 4), b = Dropout(probability: 0.5, seed: 4), c = Dropout(probability: 0.5, seed: 5)
        let first = a(x).asArray(Float.self)
        #expect(first == b(x).asArray(Float.self))
        #expect(first != c(x).asArray(Float.self))
        #expect(first != a(x).asArray(Float.self))
    }

    @Test("p = 0 is the identity and p = 1 gives zeros")
    func extremes() {
        let x = Tensor([[1.0, -2.0], [3.0, 4.0]])
        #expect(Dropout(probability: 0, seed: 6)(x).asArray(Float.self) == [1, -2, 3, 4])
        #expect(Dropout(probability: 1, seed: 6)(x).asArray(Float.self) == [0, 0, 0, 0])
    }
}
