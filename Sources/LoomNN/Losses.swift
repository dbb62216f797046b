import Loom

// Losses, composed of core primitives (no backward code of their own). Classification losses
// take logits `[batch, classes]` and integer labels `[batch]` (int32 or int64) and trap on a
// label outside `0..<classes`.

/// How per-example losses are combined.
public enum Reduction: Sendable, Hashable {
    /// The mean over all elements (PyTorch's default): a scalar.
    case mean
    /// The sum over all elements: a scalar.
    case sum
    /// No reduction: the per-example (per-element) losses.
    case none

    /// `losses` reduced by this rule.
    public func apply(_ losses: Tensor) -> Tensor {
        switch self {
        case .mean: losses.mean()
        case .sum: losses.sum()
        case .none: losses
        }
    }
}

/// Checks `[batch, classes]` against `[batch]` integer labels and returns the labels as a
/// `[batch, 1]` index column.
private func labelColumn(_ scores: Tensor, _ labels: Tensor, _ name: String) -> Tensor {
    precondition(scores.rank == 2, "\(name): expected [batch, classes], got \(scores.shape)")
    precondition(!labels.dtype.isFloatingPoint, "\(name): labels must be int32 or int64, got \(labels.dtype)")
    precondition(labels.shape == [scores.shape[0]], "\(name): labels of shape \(labels.shape) for scores of shape \(scores.shape)")
    return labels.reshaped([scores.shape[0], 1])
}

/// The negative log-likelihood of integer labels under given log-probabilities:
/// `ℓᵢ = −log pᵢ[yᵢ]`.
///
/// Shapes: `logProbabilities [batch, classes]`, `labels [batch]` (int32/int64) → a scalar,
/// or `[batch]` with ``Reduction/none``. ∂ℓᵢ/∂ log pᵢ = −onehot(yᵢ).
public func negativeLogLikelihood(logProbabilities: Tensor, labels: Tensor, reduction: Reduction = .mean) -> Tensor {
    let column = labelColumn(logProbabilities, labels, "negativeLogLikelihood")
    return reduction.apply(-logProbabilities.gathered(column, alongAxis: 1).reshaped([-1]))
}

/// Softmax cross-entropy from logits, `ℓᵢ = logSumExp(zᵢ) − zᵢ[yᵢ]`, max-shifted as
/// `logSoftmax` is, so logits of any size (±1000) give finite losses and gradients. Without
/// label smoothing it runs as the fused `Tensor.softmaxCrossEntropy(labels:)` (one pass each
/// way); with it, through `logSoftmax`, whose every entry the smoothing term needs.
///
/// With label smoothing `ε` the target is `(1 − ε)·onehot(y) + ε/K` over `K` classes
/// (Szegedy et al., 2016; PyTorch's `label_smoothing`):
///
///     ℓᵢ = (1 − ε)·(−log pᵢ[yᵢ]) + ε·(−(1/K) Σₖ log pᵢ[k])
///
/// Shapes: `logits [batch, classes]`, `labels [batch]` (int32/int64) → a scalar, or
/// `[batch]` with ``Reduction/none``. The gradient is `(softmax(z) − target) / batch` for the
/// mean.
public func softmaxCrossEntropy(
    logits: Tensor, labels: Tensor, labelSmoothing: Double = 0, reduction: Reduction = .mean
) -> Tensor {
    precondition((0...1).contains(labelSmoothing), "softmaxCrossEntropy: label smoothing \(labelSmoothing) is outside [0, 1]")
    // Hard labels: the fused primitive (which checks the shapes and labels as labelColumn does),
    // bit for bit the composition below without smoothing.
    if labelSmoothing == 0 { return reduction.apply(logits.softmaxCrossEntropy(labels: labels)) }
    let column = labelColumn(logits, labels, "softmaxCrossEntropy")
    let logProbabilities = logits.logSoftmax(alongAxis: 1)
    var losses = -logProbabilities.gathered(column, alongAxis: 1).reshaped([-1])
    if labelSmoothing > 0 {
        let uniform = -logProbabilities.mean(alongAxes: [1])
        losses = losses * (1 - labelSmoothing) + uniform * labelSmoothing
    }
    return reduction.apply(losses)
}

/// The squared error `(ŷ − y)²` elementwise, reduced (the mean over all elements by default,
/// as PyTorch's `MSELoss`). `predictions` and `targets` must have the same shape: a `[n, 1]`
/// against `[n]` would otherwise broadcast to `[n, n]` silently.
public func meanSquaredError(predictions: Tensor, targets: Tensor, reduction: Reduction = .mean) -> Tensor {
    precondition(predictions.shape == targets.shape,
                 "meanSquaredError: predictions \(predictions.shape) and targets \(targets.shape) differ")
    let difference = predictions - targets
    return reduction.apply(difference * difference)
}

/// Huber's loss of the error `e = ŷ − y` with threshold `δ`, elementwise then reduced (PyTorch's
/// `HuberLoss`): `½e²` for `|e| ≤ δ`, `δ(|e| − ½δ)` beyond, written as
/// `½m² + δ(|e| − m)` with `m = min(|e|, δ)`, so its gradient is `e` inside and `δ·sign(e)`
/// outside. Quadratic near 0 like the squared error, linear for outliers. `predictions` and
/// `targets` must have the same shape.
public func huberLoss(predictions: Tensor, targets: Tensor, delta: Double = 1, reduction: Reduction = .mean) -> Tensor {
    precondition(predictions.shape == targets.shape, "huberLoss: predictions \(predictions.shape) and targets \(targets.shape) differ")
    precondition(delta > 0, "huberLoss: delta must be positive, got \(delta)")
    let error = (predictions - targets).abs()
    let inside = Tensor.minimum(error, Tensor(delta, dtype: error.dtype))
    return reduction.apply(inside * inside * 0.5 + (error - inside) * delta)
}

/// Binary cross-entropy from logits `x` and targets `t ∈ [0, 1]` (PyTorch's
/// `BCEWithLogitsLoss`): `ℓ = −t log σ(x) − (1 − t) log(1 − σ(x))`, computed in the stable
/// form
///
///     ℓ = max(x, 0) − x·t + log(1 + e^{−|x|})
///
/// which never exponentiates a positive number. ∂ℓ/∂x = σ(x) − t everywhere; the kinks of
/// `max` and `|·|` at x = 0 cancel, and they are written so that the derivative there is
/// exactly `1/2 − t` (see `Tensor.softplus()`). Shapes: `logits` and `targets` the same
/// shape `[…]` → a scalar, or `[…]` with ``Reduction/none``.
public func binaryCrossEntropy(logits: Tensor, targets: Tensor, reduction: Reduction = .mean) -> Tensor {
    precondition(logits.shape == targets.shape, "binaryCrossEntropy: logits \(logits.shape) and targets \(targets.shape) differ")
    precondition(logits.dtype.isFloatingPoint, "binaryCrossEntropy: needs floating-point logits, got \(logits.dtype)")
    return reduction.apply(logits.softplus() - logits * targets.cast(to: logits.dtype))
}
