import Loom

/// A fully connected (affine) layer: `y = x W + b`.
///
/// With rows as examples this is the lecture's `Z_{i+1} = Z_i W_i + 1 b_iᵀ`, the batched form
/// of `z_{i+1} = W_iᵀ z_i + b_i` (before the activation `σ_i`, which is a separate module).
///
/// - Shapes: `[batch, in] → [batch, out]`; any leading axes are kept
///   (`[…, in] → […, out]`, the weight broadcasts over them).
/// - Storage: ``weight`` is **`[in, out]`** and ``bias`` is `[out]`, so the forward pass is a
///   plain `matmul` with no transpose. PyTorch (`nn.Linear`) and MLX store the weight as
///   `[out, in]`: to load their weights, transpose them.
/// - Initialization: by default the weight is Kaiming normal, `N(0, 2 / in)` (right for a
///   ReLU that follows), and the bias is zero. PyTorch's default differs (Kaiming uniform
///   with gain √(1/3) for the weight, `U(±1/√in)` for the bias).
public final class Linear: Module {
    /// The weight `W`, `[inputFeatures, outputFeatures]`.
    public let weight: Parameter
    /// The bias `b`, `[outputFeatures]`, or nil for a layer without one.
    public let bias: Parameter?

    /// The size of the last input axis.
    public var inputFeatures: Int { weight.shape[0] }
    /// The size of the last output axis.
    public var outputFeatures: Int { weight.shape[1] }

    /// A layer mapping `inputFeatures` to `outputFeatures`, its weight drawn from
    /// `weightInitializer` (fans from the `[in, out]` layout: fan-in is `inputFeatures`) and
    /// its bias (when `bias`) from `biasInitializer` (a rank-1 shape: both fans are
    /// `outputFeatures`), in that order from `generator`.
    public init(
        inputFeatures: Int, outputFeatures: Int, bias: Bool = true,
        weightInitializer: Initializer = .kaimingNormal(), biasInitializer: Initializer = .zeros,
        dtype: DType = .float32, using generator: inout some RandomNumberGenerator
    ) {
        precondition(inputFeatures > 0 && outputFeatures > 0,
                     "Linear: feature counts must be positive, got \(inputFeatures) → \(outputFeatures)")
        weight = Parameter(weightInitializer.tensor([inputFeatures, outputFeatures], dtype: dtype, using: &generator))
        self.bias = bias ? Parameter(biasInitializer.tensor([outputFeatures], dtype: dtype, using: &generator)) : nil
        super.init()
    }

    /// A layer initialized from a `SeededGenerator` seeded with `seed`.
    public convenience init(
        inputFeatures: Int, outputFeatures: Int, bias: Bool = true,
        weightInitializer: Initializer = .kaimingNormal(), biasInitializer: Initializer = .zeros,
        dtype: DType = .float32, seed: UInt64
    ) {
        var generator = SeededGenerator(seed: seed)
        self.init(inputFeatures: inputFeatures, outputFeatures: outputFeatures, bias: bias,
                  weightInitializer: weightInitializer, biasInitializer: biasInitializer, dtype: dtype, using: &generator)
    }

    /// `x W + b`: `[…, in] → […, out]`.
    public override func forward(_ input: Tensor) -> Tensor {
        precondition(input.rank >= 1 && input.shape[input.rank - 1] == inputFeatures,
                     "Linear: input of shape \(input.shape) does not end in \(inputFeatures) features")
        // A batch of rows with a bias: one GEMM that starts from the bias (no separate add).
        if let bias, input.rank == 2 { return input.affine(weight: weight.value, bias: bias.value) }
        let product = input.matmul(weight.value)
        return bias.map { product + $0.value } ?? product
    }

    /// `forward(input).relu()`, for a batch of rows with a bias in one GEMM whose tiles are
    /// clipped as they complete (`Tensor.affineReLU`): the same values, one pass over the
    /// output fewer, and only the output kept for the backward pass. ``Sequential`` calls it
    /// for a `Linear` followed by a ``ReLU``.
    func forwardThroughReLU(_ input: Tensor) -> Tensor {
        guard let bias, input.rank == 2, input.shape[1] == inputFeatures else { return forward(input).relu() }
        return input.affineReLU(weight: weight.value, bias: bias.value)
    }
}
