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
/// **Defaults** match PyTorch: `learningRate` 10⁻³, `beta1` 0.9, `beta2` 0.999, `epsilon`
/// 10⁻⁸, `weightDecay` 10⁻², `amsgrad` false.
///
/// Reference: I. Loshchilov, F. Hutter, *Decoupled Weight Decay Regularization*, ICLR 2019.
public final class AdamW: Optimizer {
    private let adam: Adam

    /// Throws ``OptimizerError/invalidHyperparameter(name:value:requirement:)`` as ``Adam`` does.
    public init(
        parameters: [Parameter], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
        epsilon: Double = 1e-8, weightDecay: Double = 1e-2, amsgrad: Bool = false, biasCorrection: Bool = true
    ) throws {
        adam = try Adam(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                        weightDecay: weightDecay, decoupled: true, amsgrad: amsgrad, biasCorrection: biasCorrection)
    }

    public var parameters: [Parameter] { adam.parameters }
    public var learningRate: Double {
        get { adam.learningRate }
        set { adam.learningRate = newValue }
    }
    public var beta1: Double { adam.beta1 }
    public var beta2: Double { adam.beta2 }
    public var epsilon: Double { adam.epsilon }
    /// λ in `θ ← θ − αλθ`.
    public var weightDecay: Double { adam.weightDecay }
    public var amsgrad: Bool { adam.amsgrad }
    public var biasCorrection: Bool { adam.biasCorrection }
    public var stepCount: Int { adam.stepCount }

    public func step() { adam.step() }
    public func stateDictionary() -> [String: Tensor] { adam.stateDictionary() }
    public func loadStateDictionary(_ state: [String: Tensor]) throws { try adam.loadStateDictionary(state) }
}
