import Loom
import Testing

/// A generator that always returns the same word, to drive samplers to their extremes.
private struct ConstantGenerator: RandomNumberGenerator {
    var word: UInt64
    mutating func next() -> UInt64 { word }
}

/// Sample mean and (population) variance in Double.
private func moments(_ values: [Double]) -> (mean: Double, variance: Double) {
    let n = Double(values.count)
    let mean = values.reduce(0, +) / n
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
    return (mean, variance)
}

@Suite("Random numbers")
struct RandomTests {
    /// Samples per statistical test; tolerances are 5 standard errors at this size, so a
    /// correct sampler fails about once in 1.7 million runs (and the seeds are fixed anyway).
    static let sampleCount = 200_000
    static let standardErrors = 5.0

    @Test("xoshiro256** seeded by SplitMix64 matches the reference algorithm's first outputs")
    func referenceSequence() {
        // From an independent transcription of Blackman & Vigna's reference C code.
        var zero = SeededGenerator(seed: 0)
        #expect([zero.next(), zero.next(), zero.next()] == [0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0])
        var answer = SeededGenerator(seed: 42)
        #expect([answer.next(), answer.next(), answer.next()] == [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1])
    }

    @Test("the same seed gives the same tensor; different seeds differ")
    func reproducible() {
        var a = SeededGenerator(seed: 7), b = SeededGenerator(seed: 7), c = SeededGenerator(seed: 8)
        let x = Tensor.normal([64], using: &a), y = Tensor.normal([64], using: &b), z = Tensor.normal([64], using: &c)
        #expect(x.asArray(Float.self) == y.asArray(Float.self))
        #expect(x.asArray(Float.self) != z.asArray(Float.self))
        #expect(a == b)
        #expect(a != c)
        // The generator advances: the next draw is new.
        let next = Tensor.normal([64], using: &a)
        #expect(next.asArray(Float.self) != x.asArray(Float.self))
        for (u, v) in zip(Tensor.uniform([32], using: &a).asArray(Float.self), Tensor.uniform([32], using: &b).asArray(Float.self)) {
            #expect(u != v, "a and b should be at different positions")
        }
    }

    @Test("stateWords restore a generator's position exactly")
    func stateRoundTrip() {
        var original = SeededGenerator(seed: 2024)
        for _ in 0..<17 { _ = original.next() }
        let words = original.stateWords
        #expect(words.count == 4)
        var restored = SeededGenerator(stateWords: words)
        #expect(restored == original)
        let expected = (0..<8).map { _ in original.next() }
        #expect((0..<8).map { _ in restored.next() } == expected)
        #expect(restored.stateWords == original.stateWords)
        #expect(SeededGenerator(seed: 1).stateWords != SeededGenerator(seed: 2).stateWords)
    }

    @Test("all-zero state words trap (xoshiro would emit zeros forever)")
    func zeroStateTraps() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = SeededGenerator(stateWords: [0, 0, 0, 0])
        }
        let message = result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
        #expect(message.contains("SeededGenerator"), "stderr: \(message)")
    }

    @Test("uniform samples lie in [low, high) with the uniform mean and variance",
          arguments: [(0.0, 1.0), (-3.0, 5.0), (10.0, 10.5)])
    func uniform(low: Double, high: Double) {
        var generator = SeededGenerator(seed: 11)
        let x = Tensor.uniform([Self.sampleCount], low: low, high: high, dtype: .float64, using: &generator)
        #expect(x.shape == [Self.sampleCount] && x.dtype == .float64)
        let values = x.asArray(Double.self)
        #expect(values.allSatisfy { $0 >= low && $0 < high })
        let width = high - low, n = Double(Self.sampleCount)
        let (mean, variance) = moments(values)
        let meanError = (width * width / 12 / n).squareRoot()
        #expect(Swift.abs(mean - (low + high) / 2) < Self.standardErrors * meanError)
        // Var(s²) ≈ (μ₄ − σ⁴)/n with μ₄ = w⁴/80, σ⁴ = w⁴/144.
        let varianceError = ((1.0 / 80 - 1.0 / 144) * width * width * width * width / n).squareRoot()
        #expect(Swift.abs(variance - width * width / 12) < Self.standardErrors * varianceError)
        // Both halves of the interval are hit about equally (not just the right moments).
        let lowerHalf = Double(values.filter { $0 < low + width / 2 }.count) / n
        #expect(Swift.abs(lowerHalf - 0.5) < Self.standardErrors * (0.25 / n).squareRoot())
    }

    @Test("float32 uniform never returns high, even for the largest random word")
    func uniformFloat32ExcludesHigh() {
        var extreme = ConstantGenerator(word: .max)
        let double = Tensor.uniform([1], low: 0, high: 1, dtype: .float64, using: &extreme).item(Double.self)
        #expect(double < 1)
        // A 53-bit draw of 1 − 2⁻⁵³ would round to 1.0 when stored as float32.
        let single = Tensor.uniform([1], low: 0, high: 1, dtype: .float32, using: &extreme).item(Float.self)
        #expect(single < 1)
        var smallest = ConstantGenerator(word: 0)
        #expect(Tensor.uniform([1], low: -2, high: 3, using: &smallest).item() == -2)
    }

    @Test("normal samples have the requested mean and standard deviation",
          arguments: [(0.0, 1.0), (3.0, 0.5), (-10.0, 4.0)])
    func normal(mean: Double, standardDeviation: Double) {
        var generator = SeededGenerator(seed: 12)
        let x = Tensor.normal([Self.sampleCount], mean: mean, standardDeviation: standardDeviation, dtype: .float64, using: &generator)
        let values = x.asArray(Double.self)
        let n = Double(Self.sampleCount)
        let (sampleMean, variance) = moments(values)
        #expect(Swift.abs(sampleMean - mean) < Self.standardErrors * standardDeviation / n.squareRoot())
        // The sample standard deviation has standard error ≈ σ/√(2n) for a normal.
        #expect(Swift.abs(variance.squareRoot() - standardDeviation) < Self.standardErrors * standardDeviation / (2 * n).squareRoot())
        // About 68.27% within one σ (binomial standard error).
        let inside = Double(values.filter { Swift.abs($0 - mean) < standardDeviation }.count) / n
        let p = 0.682_689_492
        #expect(Swift.abs(inside - p) < Self.standardErrors * (p * (1 - p) / n).squareRoot())
    }

    @Test("normal with zero standard deviation is the mean; float32 is the default dtype")
    func degenerateNormal() {
        var generator = SeededGenerator(seed: 3)
        let x = Tensor.normal([2, 3], mean: 1.5, standardDeviation: 0, using: &generator)
        #expect(x.dtype == .float32 && x.shape == [2, 3])
        #expect(x.asArray(Float.self) == Array(repeating: 1.5, count: 6))
        var extreme = ConstantGenerator(word: .max)
        #expect(Tensor.normal([4], using: &extreme).asArray(Double.self).allSatisfy { $0.isFinite })
        var zero = ConstantGenerator(word: 0)
        #expect(Tensor.normal([4], using: &zero).asArray(Double.self).allSatisfy { $0.isFinite })
    }

    @Test("bernoulli gives 0s and 1s with frequency p", arguments: [0.3, 0.5, 0.9])
    func bernoulli(probability: Double) {
        var generator = SeededGenerator(seed: 13)
        let values = Tensor.bernoulli([Self.sampleCount], probability: probability, using: &generator).asArray(Double.self)
        #expect(values.allSatisfy { $0 == 0 || $0 == 1 })
        let n = Double(Self.sampleCount)
        let frequency = values.reduce(0, +) / n
        #expect(Swift.abs(frequency - probability) < Self.standardErrors * (probability * (1 - probability) / n).squareRoot())
    }

    @Test("bernoulli with p = 0 and p = 1 is constant")
    func bernoulliExtremes() {
        var generator = SeededGenerator(seed: 14)
        #expect(Tensor.bernoulli([100], probability: 0, using: &generator).asArray(Float.self).allSatisfy { $0 == 0 })
        #expect(Tensor.bernoulli([100], probability: 1, using: &generator).asArray(Float.self).allSatisfy { $0 == 1 })
        let labels = Tensor.bernoulli([2, 2], probability: 1, dtype: .int64, using: &generator)
        #expect(labels.dtype == .int64 && labels.asArray(Int64.self) == [1, 1, 1, 1])
    }
}
