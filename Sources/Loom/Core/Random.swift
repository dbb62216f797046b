/// A seeded pseudo-random generator (xoshiro256**, state expanded from the seed by
/// SplitMix64): the same seed gives the same sequence on every machine, so a whole run is
/// reproducible from its seed. Every random API in Loom takes a generator explicitly.
///
/// Reference: D. Blackman, S. Vigna, "Scrambled linear pseudorandom number generators",
/// ACM TOMS 47(4), 2021.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose sequence is determined by `seed`.
    public init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    public mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    /// The generator's state words, for saving and restoring a run's position.
    public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

    /// A generator at a saved position (from ``stateWords``).
    public init(stateWords words: [UInt64]) {
        precondition(words.count == 4 && words.contains { $0 != 0 }, "SeededGenerator: need four state words, not all zero")
        state = (words[0], words[1], words[2], words[3])
    }

    @inline(__always) private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public static func == (a: SeededGenerator, b: SeededGenerator) -> Bool { a.stateWords == b.stateWords }
}

extension RandomNumberGenerator {
    /// A uniform double in [0, 1) with 53 random bits.
    @inline(__always)
    mutating func nextUnitInterval() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal sample (Box–Muller; one of the pair is discarded for simplicity and
    /// so that each call consumes exactly two words).
    @inline(__always)
    mutating func nextStandardNormal() -> Double {
        let u1 = 1 - nextUnitInterval()  // (0, 1]: log stays finite
        let u2 = nextUnitInterval()
        return (-2 * Platform.log(u1)).squareRoot() * Platform.cos(2 * Double.pi * u2)
    }
}

extension Tensor {
    /// Samples from the uniform distribution on `[low, high)`.
    public static func uniform<G: RandomNumberGenerator>(
        _ shape: [Int], low: Double = 0, high: Double = 1, dtype: DType = .float32, using generator: inout G
    ) -> Tensor {
        precondition(high >= low, "uniform: high \(high) is below low \(low)")
        let count = shape.reduce(1, *)
        // float32 draws 24 random bits: a 53-bit value just below 1 would round up to 1.0.
        let bits = dtype == .float32 ? 24 : 53
        let scale = 1 / Double(UInt64(1) << UInt64(bits))
        let scalars = (0..<count).map { _ in low + (high - low) * Double(generator.next() >> UInt64(64 - bits)) * scale }
        return Tensor(shape: shape, scalars: scalars, dtype: dtype)
    }

    /// Samples from the normal distribution N(mean, standardDeviation²).
    public static func normal<G: RandomNumberGenerator>(
        _ shape: [Int], mean: Double = 0, standardDeviation: Double = 1, dtype: DType = .float32, using generator: inout G
    ) -> Tensor {
        precondition(standardDeviation >= 0, "normal: negative standard deviation \(standardDeviation)")
        let count = shape.reduce(1, *)
        let scalars = (0..<count).map { _ in mean + standardDeviation * generator.nextStandardNormal() }
        return Tensor(shape: shape, scalars: scalars, dtype: dtype)
    }

    /// Samples that are 1 with `probability` and 0 otherwise.
    public static func bernoulli<G: RandomNumberGenerator>(
        _ shape: [Int], probability: Double, dtype: DType = .float32, using generator: inout G
    ) -> Tensor {
        precondition((0...1).contains(probability), "bernoulli: probability \(probability) is outside [0, 1]")
        let count = shape.reduce(1, *)
        let scalars = (0..<count).map { _ in generator.nextUnitInterval() < probability ? 1.0 : 0.0 }
        return Tensor(shape: shape, scalars: scalars, dtype: dtype)
    }
}
