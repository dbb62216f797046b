import Loom

/// Inverted dropout (Srivastava et al., 2014): in training, each element is zeroed with
/// probability `p` and the survivors are scaled by `1 / (1 − p)`, so that the expectation
/// `E[y] = x` is unchanged and evaluation needs no rescaling; in evaluation it is the
/// identity.
///
///     training:   y = x ⊙ m / (1 − p),   mᵢ ~ Bernoulli(1 − p) independently
///     evaluation: y = x
///
/// Shapes: `[…] → […]`. The masks come from the module's own `SeededGenerator`, so a run is
/// reproducible from its seed; each training forward pass advances it. With `p = 1` every
/// element is dropped (the output is zero, not NaN).
public final class Dropout: Module {
    /// The probability `p` of zeroing an element.
    public let probability: Double
    /// The generator the masks are drawn from (its state is the module's position in the
    /// random stream; save `SeededGenerator/stateWords` to resume a run exactly).
    public var generator: SeededGenerator

    /// Dropout with probability `probability`, drawing masks from `generator`.
    public init(probability: Double = 0.5, generator: SeededGenerator) {
        precondition((0...1).contains(probability), "Dropout: probability \(probability) is outside [0, 1]")
        self.probability = probability
        self.generator = generator
        super.init()
    }

    /// Dropout with probability `probability`, drawing masks from a generator seeded with `seed`.
    public convenience init(probability: Double = 0.5, seed: UInt64) {
        self.init(probability: probability, generator: SeededGenerator(seed: seed))
    }

    /// `x ⊙ m / (1 − p)` in training, `x` in evaluation: `[…] → […]`.
    public override func forward(_ input: Tensor) -> Tensor {
        guard isTraining, probability > 0 else { return input }
        precondition(input.dtype.isFloatingPoint, "Dropout: needs a floating-point input, got \(input.dtype)")
        if probability == 1 { return input * 0 }
        let mask = Tensor.bernoulli(input.shape, probability: 1 - probability, dtype: input.dtype, using: &generator)
        return input * (mask / (1 - probability))
    }
}
