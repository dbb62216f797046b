import Loom

/// Batch normalization over the batch axis (Ioffe & Szegedy, 2015), PyTorch's
/// `nn.BatchNorm1d` for `[batch, features]` inputs.
///
///     training:   μ = mean_batch(x),  σ² = mean_batch((x − μ)²)        (biased)
///                 y = γ ⊙ (x − μ) / √(σ² + ε) + β
///                 runningMean     ← (1 − m)·runningMean     + m·μ
///                 runningVariance ← (1 − m)·runningVariance + m·σ²·n/(n − 1)   (unbiased)
///     evaluation: y = γ ⊙ (x − runningMean) / √(runningVariance + ε) + β
///
/// Shapes: `[batch, features] → [batch, features]`; training needs `batch ≥ 2`. The running
/// statistics start at mean 0 and variance 1, are ``Buffer``s (saved by checkpoints, never
/// trained) and are updated outside the graph. `momentum` is the weight of the *new*
/// statistic, as in PyTorch (the opposite of an EMA's decay `β = 1 − m`).
public final class BatchNorm1d: Module {
    /// The scale `γ`, `[features]` (ones at first), or nil when not affine.
    public let weight: Parameter?
    /// The shift `β`, `[features]` (zeros at first), or nil when not affine.
    public let bias: Parameter?
    /// The running mean, `[features]`.
    public let runningMean: Buffer
    /// The running (unbiased) variance, `[features]`.
    public let runningVariance: Buffer
    /// The ε added to the variance.
    public let epsilon: Double
    /// The weight `m` of the new batch statistic in the running averages.
    public let momentum: Double

    /// The number of features.
    public var features: Int { runningMean.shape[0] }

    /// Batch normalization of `features` features; `affine` adds the learnable `γ` and `β`.
    public init(features: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true, dtype: DType = .float32) {
        precondition(features > 0, "BatchNorm1d: features must be positive, got \(features)")
        precondition(epsilon >= 0 && (0...1).contains(momentum), "BatchNorm1d: need ε ≥ 0 and momentum in [0, 1], got \(epsilon), \(momentum)")
        weight = affine ? Parameter(Tensor.ones([features], dtype: dtype)) : nil
        bias = affine ? Parameter(Tensor.zeros([features], dtype: dtype)) : nil
        runningMean = Buffer(Tensor.zeros([features], dtype: dtype))
        runningVariance = Buffer(Tensor.ones([features], dtype: dtype))
        self.epsilon = epsilon
        self.momentum = momentum
        super.init()
    }

    /// Normalizes with batch statistics (training, updating the running ones) or the running
    /// statistics (evaluation): `[batch, features] → [batch, features]`.
    public override func forward(_ input: Tensor) -> Tensor {
        precondition(input.rank == 2 && input.shape[1] == features,
                     "BatchNorm1d: expected [batch, \(features)], got \(input.shape)")
        let normalized: Tensor
        if isTraining {
            let n = input.shape[0]
            precondition(n > 1, "BatchNorm1d: training needs more than one example per batch, got \(input.shape)")
            let mean = input.mean(alongAxes: [0])
            let variance = input.variance(alongAxes: [0])
            normalized = (input - mean) / (variance + epsilon).sqrt()
            withoutGradients {
                let unbiased = variance.detached() * (Double(n) / Double(n - 1))
                runningMean.value = runningMean.value * (1 - momentum) + mean.detached().cast(to: runningMean.value.dtype) * momentum
                runningVariance.value = runningVariance.value * (1 - momentum) + unbiased.cast(to: runningVariance.value.dtype) * momentum
            }
        } else {
            normalized = (input - runningMean.value) / (runningVariance.value + epsilon).sqrt()
        }
        return affineTransform(normalized, weight: weight, bias: bias)
    }
}

/// Layer normalization over the feature axis (Ba et al., 2016), needle's `LayerNorm1d` and
/// PyTorch's `nn.LayerNorm(features)`:
///
///     μ = mean_features(x),  σ² = mean_features((x − μ)²)   (biased, per example)
///     y = γ ⊙ (x − μ) / √(σ² + ε) + β
///
/// Shapes: `[…, features] → […, features]`. The same in training and evaluation; no running
/// statistics.
public final class LayerNorm1d: Module {
    /// The scale `γ`, `[features]` (ones at first), or nil when not affine.
    public let weight: Parameter?
    /// The shift `β`, `[features]` (zeros at first), or nil when not affine.
    public let bias: Parameter?
    /// The ε added to the variance.
    public let epsilon: Double
    /// The number of features (the size of the last axis).
    public let features: Int

    /// Layer normalization of `features` features; `affine` adds the learnable `γ` and `β`.
    public init(features: Int, epsilon: Double = 1e-5, affine: Bool = true, dtype: DType = .float32) {
        precondition(features > 0, "LayerNorm1d: features must be positive, got \(features)")
        precondition(epsilon >= 0, "LayerNorm1d: ε must be non-negative, got \(epsilon)")
        weight = affine ? Parameter(Tensor.ones([features], dtype: dtype)) : nil
        bias = affine ? Parameter(Tensor.zeros([features], dtype: dtype)) : nil
        self.epsilon = epsilon
        self.features = features
        super.init()
    }

    /// Normalizes each example over its features: `[…, features] → […, features]`.
    public override func forward(_ input: Tensor) -> Tensor {
        precondition(input.rank >= 1 && input.shape[input.rank - 1] == features,
                     "LayerNorm1d: expected [..., \(features)], got \(input.shape)")
        let mean = input.mean(alongAxes: [-1], keepingDimensions: true)
        let variance = input.variance(alongAxes: [-1], keepingDimensions: true)
        return affineTransform((input - mean) / (variance + epsilon).sqrt(), weight: weight, bias: bias)
    }
}

/// `γ ⊙ x + β` over the last axis, with either omitted when nil.
func affineTransform(_ x: Tensor, weight: Parameter?, bias: Parameter?) -> Tensor {
    var result = x
    if let weight { result = result * weight.value }
    if let bias { result = result + bias.value }
    return result
}
