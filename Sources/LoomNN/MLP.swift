import Loom

/// Which normalization layer a builder puts after each hidden linear layer.
public enum NormalizationKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// None.
    case none
    /// ``BatchNorm1d`` with its defaults (ε = 1e-5, momentum 0.1).
    case batch
    /// ``LayerNorm1d`` with its defaults (ε = 1e-5).
    case layer

    /// A new normalization module over `features`, or nil for ``none``.
    public func makeModule(features: Int, dtype: DType = .float32) -> Module? {
        switch self {
        case .none: nil
        case .batch: BatchNorm1d(features: features, dtype: dtype)
        case .layer: LayerNorm1d(features: features, dtype: dtype)
        }
    }
}

/// The lecture's fully connected network
///
///     z₁ = x,   z_{i+1} = σ(W_iᵀ z_i + b_i)  (i = 1…L−1),   h_θ(x) = z_{L+1} = W_Lᵀ z_L + b_L
///
/// for widths `[n₁, …, n_{L+1}]`: `L` ``Linear`` layers, `W_i` of shape `[n_i, n_{i+1}]`.
/// Each hidden layer `i < L` is `Linear → normalization (optional) → activation → Dropout
/// (when p > 0)`; the last layer is a bare `Linear` (σ_L = identity), whose outputs are
/// logits. Shapes: `[batch, n₁] → [batch, n_{L+1}]`.
///
/// It is a ``Sequential``, so parameter paths are `layers.<k>.weight` with `k` counting every
/// module (for widths `[4, 8, 3]` with no normalization or dropout: `layers.0` Linear,
/// `layers.1` activation, `layers.2` Linear).
public final class MLP: Sequential {
    /// The widths `[n₁, …, n_{L+1}]`.
    public let widths: [Int]

    /// Builds the network. Weights come from `initializer` (by default Kaiming normal with the
    /// activation's gain, fan-in), biases are zero; weights, then dropout seeds, are drawn
    /// from `generator` layer by layer.
    ///
    /// - Parameters:
    ///   - widths: `[n₁, …, n_{L+1}]`, at least two positive sizes.
    ///   - activation: the hidden layers' activation `σ`.
    ///   - initializer: the weights' initializer (nil: Kaiming normal with the activation's gain).
    ///   - normalization: normalization after each hidden layer.
    ///   - dropout: the probability of ``Dropout`` after each hidden activation (0: none).
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of the weights and the dropout seeds.
    public init(
        widths: [Int], activation: Activation = .relu, initializer: Initializer? = nil,
        normalization: NormalizationKind = .none, dropout: Double = 0, dtype: DType = .float32,
        using generator: inout some RandomNumberGenerator
    ) {
        precondition(widths.count >= 2 && widths.allSatisfy { $0 > 0 }, "MLP: need at least two positive widths, got \(widths)")
        precondition((0..<1).contains(dropout), "MLP: dropout probability \(dropout) is outside [0, 1)")
        let weightInitializer = initializer ?? .kaimingNormal(nonlinearity: activation.nonlinearity)
        var layers: [Module] = []
        for (i, (input, output)) in zip(widths, widths.dropFirst()).enumerated() {
            layers.append(Linear(inputFeatures: input, outputFeatures: output, weightInitializer: weightInitializer,
                                 dtype: dtype, using: &generator))
            guard i < widths.count - 2 else { break }
            if let norm = normalization.makeModule(features: output, dtype: dtype) { layers.append(norm) }
            layers.append(activation.makeModule())
            if dropout > 0 { layers.append(Dropout(probability: dropout, generator: SeededGenerator(seed: generator.next()))) }
        }
        self.widths = widths
        super.init(layers)
    }

    /// The ``Linear`` layers `W_1 … W_L`, in order.
    public var linearLayers: [Linear] { layers.compactMap { $0 as? Linear } }
}

/// The residual MLP of the CMU 10-414 (needle) homework:
///
///     MLPResNet = Sequential(Linear(d, h), ReLU(),
///                            ResidualBlock(h, h/2) × blockCount,
///                            Linear(h, classes))
///     ResidualBlock(h, k) = Sequential(Residual(Sequential(Linear(h, k), Norm(k), ReLU(), Dropout(p),
///                                                          Linear(k, h), Norm(h))),
///                                      ReLU())
///
/// (`h/2` rounds down.) Shapes: `[batch, d] → [batch, classes]`, logits. Paths: `layers.0` is the first
/// Linear, `layers.2.layers.0.body.layers.0.weight` is the first block's first weight.
/// Linear weights use `initializer` (by default Kaiming normal, fan-in, gain √2; needle uses
/// Kaiming uniform) and zero biases (needle's are Kaiming uniform too).
public final class MLPResNet: Sequential {
    /// Builds the network.
    ///
    /// - Parameters:
    ///   - inputFeatures: `d`.
    ///   - hiddenFeatures: `h` (needle's default 100).
    ///   - blockCount: the number of residual blocks (default 3).
    ///   - classCount: the number of outputs (default 10).
    ///   - normalization: `Norm` in the blocks (default batch; `.none` leaves it out).
    ///   - dropout: `p` in the blocks (default 0.1; 0 leaves Dropout out).
    ///   - initializer: the weights' initializer.
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of the weights and the dropout seeds.
    public init(
        inputFeatures: Int, hiddenFeatures: Int = 100, blockCount: Int = 3, classCount: Int = 10,
        normalization: NormalizationKind = .batch, dropout: Double = 0.1, initializer: Initializer = .kaimingNormal(),
        dtype: DType = .float32, using generator: inout some RandomNumberGenerator
    ) {
        precondition(inputFeatures > 0 && hiddenFeatures >= 2 && blockCount >= 0 && classCount > 0,
                     "MLPResNet: invalid sizes d \(inputFeatures), h \(hiddenFeatures), blocks \(blockCount), classes \(classCount)")
        precondition((0..<1).contains(dropout), "MLPResNet: dropout probability \(dropout) is outside [0, 1)")
        func linear(_ input: Int, _ output: Int) -> Linear {
            Linear(inputFeatures: input, outputFeatures: output, weightInitializer: initializer, dtype: dtype, using: &generator)
        }
        var layers: [Module] = [linear(inputFeatures, hiddenFeatures), ReLU()]
        let inner = hiddenFeatures / 2
        for _ in 0..<blockCount {
            var body: [Module] = [linear(hiddenFeatures, inner)]
            if let norm = normalization.makeModule(features: inner, dtype: dtype) { body.append(norm) }
            body.append(ReLU())
            if dropout > 0 { body.append(Dropout(probability: dropout, generator: SeededGenerator(seed: generator.next()))) }
            body.append(linear(inner, hiddenFeatures))
            if let norm = normalization.makeModule(features: hiddenFeatures, dtype: dtype) { body.append(norm) }
            layers.append(Sequential(Residual(Sequential(body)), ReLU()))
        }
        layers.append(linear(hiddenFeatures, classCount))
        super.init(layers)
    }
}
