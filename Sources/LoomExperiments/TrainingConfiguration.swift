import Foundation
import Loom
import LoomData
import LoomNN
import LoomOptimizers

/// Everything that determines a training run, as stored in `config.json`: the same
/// configuration and seed give bit-identical weights on the same machine.
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    /// Activation functions by name (typed, with the options each needs).
    public enum ActivationName: String, Codable, CaseIterable, Sendable {
        case relu, tanh, sigmoid, gelu, identity
        case leakyReLU = "leaky-relu"
    }

    /// Weight initializers by name.
    public enum InitializerName: String, Codable, CaseIterable, Sendable {
        case kaimingNormal = "kaiming-normal", kaimingUniform = "kaiming-uniform"
        case xavierNormal = "xavier-normal", xavierUniform = "xavier-uniform"
        /// N(0, 1/n): the lecture's variance-preserving choice for linear layers.
        case lecunNormal = "lecun-normal"
        /// W = 0: every earlier layer's gradient vanishes (the lecture's bad stationary point).
        case zeros
    }

    /// Optimizers by name.
    public enum OptimizerName: String, Codable, CaseIterable, Sendable {
        case sgd, adam, adamw, rmsprop, adagrad, newton
        case newtonCG = "newton-cg"
    }

    /// How SGD's momentum accumulates (see `SGD.MomentumForm`).
    public enum MomentumFormName: String, Codable, CaseIterable, Sendable {
        /// The lecture's `u ← βu + (1−β)g`.
        case ema
        /// The same, with the step divided by `1 − βᵗ`.
        case emaBiasCorrected = "ema-bias-corrected"
        /// PyTorch's `u ← βu + (1 − dampening)g`.
        case heavyBall = "heavy-ball"
    }

    /// Learning-rate schedules by name (applied per epoch).
    public enum ScheduleName: String, Codable, CaseIterable, Sendable {
        case constant, step, exponential, cosine
    }

    public var dataset: ImageDataset = .digits
    /// A directory with the dataset's IDX files (nil: its default location).
    public var dataDirectory: String?
    /// Hidden layer widths; input and output widths come from the data.
    public var hiddenWidths: [Int] = [128, 128]
    public var activation: ActivationName = .relu
    public var negativeSlope: Double = 0.01
    public var initializer: InitializerName = .kaimingNormal
    public var normalization: String = "none"
    public var dropout: Double = 0
    public var optimizer: OptimizerName = .adam
    public var learningRate: Double = 1e-3
    public var momentum: Double = 0
    public var momentumForm: MomentumFormName = .ema
    public var dampening: Double = 0
    public var nesterov: Bool = false
    public var weightDecay: Double = 0
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    public var epsilon: Double = 1e-8
    public var amsgrad: Bool = false
    public var biasCorrection: Bool = true
    public var alpha: Double = 0.99
    public var centered: Bool = false
    public var lineSearch: Bool = false
    public var batchSize: Int = 32
    public var epochs: Int = 20
    public var schedule: ScheduleName = .constant
    public var scheduleStep: Int = 10
    public var scheduleGamma: Double = 0.1
    public var warmupEpochs: Int = 0
    public var labelSmoothing: Double = 0
    public var gradientClipNorm: Double?
    public var shuffle: Bool = true
    public var seed: UInt64 = 0
    public var divergencePolicy: DivergencePolicy = .stop

    /// The defaults of every property: the bundled digits, MLP 64-128-128-10, Adam.
    public init() {}

    /// Checks every option a user can get wrong, with a message naming it.
    public func validate() throws {
        func require(_ condition: Bool, _ message: String) throws {
            if !condition { throw RunError.invalidConfiguration(message) }
        }
        try require(learningRate.isFinite && learningRate > 0, "learning rate must be positive, got \(learningRate)")
        try require(batchSize > 0, "batch size must be positive, got \(batchSize)")
        try require(epochs >= 0, "epochs must not be negative, got \(epochs)")
        try require(hiddenWidths.allSatisfy { $0 > 0 }, "hidden widths must be positive, got \(hiddenWidths)")
        try require((0..<1).contains(dropout), "dropout must be in [0, 1), got \(dropout)")
        try require((0...1).contains(labelSmoothing), "label smoothing must be in [0, 1], got \(labelSmoothing)")
        try require(["none", "batch", "layer"].contains(normalization), "normalization must be none, batch or layer, got \(normalization)")
        try require(weightDecay >= 0, "weight decay must not be negative, got \(weightDecay)")
        try require(gradientClipNorm.map { $0 > 0 } ?? true, "gradient clip norm must be positive")
        try require(scheduleStep > 0, "schedule step must be positive, got \(scheduleStep)")
        try require(warmupEpochs >= 0, "warm-up epochs must not be negative, got \(warmupEpochs)")
    }

    var activationChoice: Activation {
        switch activation {
        case .relu: .relu
        case .tanh: .tanh
        case .sigmoid: .sigmoid
        case .gelu: .gelu(.none)
        case .identity: .identity
        case .leakyReLU: .leakyReLU(negativeSlope: negativeSlope)
        }
    }

    var weightInitializer: Initializer {
        let nonlinearity = activationChoice.nonlinearity
        switch initializer {
        case .kaimingNormal: return .kaimingNormal(nonlinearity: nonlinearity)
        case .kaimingUniform: return .kaimingUniform(nonlinearity: nonlinearity)
        case .xavierNormal: return .xavierNormal(gain: nonlinearity.gain)
        case .xavierUniform: return .xavierUniform(gain: nonlinearity.gain)
        case .lecunNormal: return .varianceScaling(scale: 1, mode: .fanIn, distribution: .normal)
        case .zeros: return .zeros
        }
    }

    var normalizationKind: NormalizationKind {
        switch normalization {
        case "batch": .batch
        case "layer": .layer
        default: .none
        }
    }

    /// The network for inputs of `inputFeatures` and `classCount` classes, initialized from
    /// the seed.
    public func makeModel(inputFeatures: Int, classCount: Int) -> MLP {
        var generator = SeededGenerator(seed: seed)
        return MLP(widths: [inputFeatures] + hiddenWidths + [classCount], activation: activationChoice,
                   initializer: weightInitializer, normalization: normalizationKind, dropout: dropout, using: &generator)
    }

    /// The optimizer over `parameters`; `objective` is the loss closure Newton's methods use.
    public func makeOptimizer(parameters: [Parameter], objective: (() -> Tensor)? = nil) throws -> any Optimizer {
        switch optimizer {
        case .sgd:
            let form: SGD.MomentumForm = switch momentumForm {
            case .ema: .exponentialMovingAverage(biasCorrection: false)
            case .emaBiasCorrected: .exponentialMovingAverage(biasCorrection: true)
            case .heavyBall: .heavyBall(dampening: dampening)
            }
            return try SGD(parameters: parameters, learningRate: learningRate, momentum: momentum,
                           weightDecay: weightDecay, nesterov: nesterov, momentumForm: form)
        case .adam:
            return try Adam(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                            weightDecay: weightDecay, amsgrad: amsgrad, biasCorrection: biasCorrection)
        case .adamw:
            return try AdamW(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                             weightDecay: weightDecay, amsgrad: amsgrad, biasCorrection: biasCorrection)
        case .rmsprop:
            return try RMSProp(parameters: parameters, learningRate: learningRate, alpha: alpha, epsilon: epsilon,
                               momentum: momentum, centered: centered, weightDecay: weightDecay)
        case .adagrad:
            return try Adagrad(parameters: parameters, learningRate: learningRate, epsilon: epsilon, weightDecay: weightDecay)
        case .newton:
            return try Newton(parameters: parameters, learningRate: learningRate, lineSearch: lineSearch ? .backtracking() : .none,
                              objective: objective)
        case .newtonCG:
            return try NewtonCG(parameters: parameters, learningRate: learningRate, lineSearch: lineSearch ? .backtracking() : .none,
                                objective: objective)
        }
    }

    /// The learning rate for each (0-based) epoch.
    public func makeSchedule() throws -> any LearningRateSchedule {
        let base: any LearningRateSchedule = switch schedule {
        case .constant: try ConstantLearningRate(learningRate)
        case .step: try StepDecay(initialLearningRate: learningRate, stepSize: scheduleStep, gamma: scheduleGamma)
        case .exponential: try ExponentialDecay(initialLearningRate: learningRate, gamma: scheduleGamma)
        case .cosine: try CosineAnnealing(initialLearningRate: learningRate, period: Swift.max(epochs - warmupEpochs, 1))
        }
        guard warmupEpochs > 0 else { return base }
        return try AnySchedule(base).afterWarmup(steps: warmupEpochs)
    }
}

/// A type-erased schedule, so warm-up can wrap whichever schedule was chosen.
struct AnySchedule: LearningRateSchedule {
    let base: any LearningRateSchedule
    init(_ base: any LearningRateSchedule) { self.base = base }
    func learningRate(at t: Int) -> Double { base.learningRate(at: t) }
}

extension ImageDataset: Codable {}
