import Loom
import LoomNN

/// Adam with decoupled weight decay: the decay shrinks θ directly instead of entering the
/// gradient, so it is not rescaled by the second-moment estimate.
///
///     θ ← θ − α λ θ                              (decoupled decay, first)
///     m ← β₁ m + (1 − β₁) g                      (g = ∇f(θ), no λθ added)
///     v ← β₂ v + (1 − β₂) g²
///     θ ← θ − α/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// with AMSGrad and bias correction as in ``Adam`` (whose update function this uses). This is
/// PyTorch's `torch.optim.AdamW`, whose decay multiplies by the learning rate (`α λ`), unlike
/// the paper's schedule multiplier alone.
///
/// **Defaults** (``defaultHyperparameters``) match PyTorch: Adam's, with `weightDecay` 10⁻².
///
/// Reference: I. Loshchilov, F. Hutter, *Decoupled Weight Decay Regularization*, ICLR 2019.
public final class AdamW: Adam {
    /// AdamW's defaults: ``Adam/Hyperparameters`` with `weightDecay` 10⁻².
    public static let defaultHyperparameters = Adam.Hyperparameters(weightDecay: 1e-2)

    /// AdamW over `parameters`; throws as ``Adam/Hyperparameters/validate()`` does.
    public init(parameters: [Parameter], _ hyperparameters: Adam.Hyperparameters) throws {
        try super.init(parameters: parameters, hyperparameters, decoupled: true)
    }

    /// AdamW with hyperparameters given one by one (defaults from ``defaultHyperparameters``).
    public convenience init(
        parameters: [Parameter], learningRate: Double = defaultHyperparameters.learningRate,
        beta1: Double = defaultHyperparameters.beta1, beta2: Double = defaultHyperparameters.beta2,
        epsilon: Double = defaultHyperparameters.epsilon, weightDecay: Double = defaultHyperparameters.weightDecay,
        amsgrad: Bool = defaultHyperparameters.amsgrad, biasCorrection: Bool = defaultHyperparameters.biasCorrection
    ) throws {
        try self.init(parameters: parameters, Adam.Hyperparameters(
            learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
            amsgrad: amsgrad, biasCorrection: biasCorrection))
    }
}
