import LoomData
import LoomNN
import LoomOptimizers

/// `config.json` version 1: the flat layout (one field per hyperparameter of every
/// optimizer) that releases before the schema version wrote. Read so that their run
/// directories still resume, evaluate and predict; never written.
struct LegacyTrainingConfiguration: Codable {
    var dataset: ImageDataset
    var dataDirectory: String?
    var hiddenWidths: [Int]
    var activation: String
    var negativeSlope: Double
    var initializer: InitializerName
    var normalization: NormalizationKind
    var dropout: Double
    var optimizer: OptimizerChoice.Name
    var learningRate: Double
    var momentum: Double
    var momentumForm: String
    var dampening: Double
    var nesterov: Bool
    var weightDecay: Double
    var beta1: Double
    var beta2: Double
    var epsilon: Double
    var amsgrad: Bool
    var biasCorrection: Bool
    var alpha: Double
    var centered: Bool
    var lineSearch: Bool
    var batchSize: Int
    var epochs: Int
    var schedule: ScheduleChoice.Name
    var scheduleStep: Int
    var scheduleGamma: Double
    var warmupEpochs: Int
    var labelSmoothing: Double
    var gradientClipNorm: Double?
    var shuffle: Bool
    var seed: UInt64
    var divergencePolicy: DivergencePolicy

    /// The same run in today's typed configuration: each optimizer takes the fields it used.
    func upgraded(source: String) throws -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.data = .init(dataset: dataset, directory: dataDirectory)
        c.model.hiddenWidths = hiddenWidths
        do {
            c.model.activation = try Activation.named(activation, negativeSlope: activation == "leaky-relu" ? negativeSlope : nil)
        } catch {
            throw ConfigurationError(source: source, field: "activation", message: "unknown activation \"\(activation)\"")
        }
        c.model.initializer = initializer
        c.model.normalization = normalization
        c.model.dropout = dropout
        let form: SGD.MomentumForm
        switch momentumForm {
        case "ema": form = .exponentialMovingAverage(biasCorrection: false)
        case "ema-bias-corrected": form = .exponentialMovingAverage(biasCorrection: true)
        case "heavy-ball": form = .heavyBall(dampening: dampening)
        default: throw ConfigurationError(source: source, field: "momentumForm", message: "unknown momentum form \"\(momentumForm)\"")
        }
        let adam = Adam.Hyperparameters(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                                        weightDecay: weightDecay, amsgrad: amsgrad, biasCorrection: biasCorrection)
        c.optimizer = switch optimizer {
        case .sgd:
            .sgd(.init(learningRate: learningRate, momentum: momentum, weightDecay: weightDecay, nesterov: nesterov,
                       momentumForm: form))
        case .adam: .adam(adam)
        case .adamw: .adamw(adam)
        case .rmsprop:
            .rmsprop(.init(learningRate: learningRate, alpha: alpha, epsilon: epsilon, momentum: momentum,
                           centered: centered, weightDecay: weightDecay))
        case .adagrad: .adagrad(.init(learningRate: learningRate, epsilon: epsilon, weightDecay: weightDecay))
        case .newton: .newton(.init(learningRate: learningRate, lineSearch: lineSearch ? .armijo : .none))
        case .newtonCG: .newtonCG(.init(learningRate: learningRate, lineSearch: lineSearch ? .armijo : .none))
        case .lbfgs: .lbfgs(.init(learningRate: learningRate))  // not written by version 1; read for completeness
        }
        c.schedule = switch schedule {
        case .constant: .constant
        case .step: .step(stepSize: scheduleStep, gamma: scheduleGamma)
        case .exponential: .exponential(gamma: scheduleGamma)
        case .cosine: .cosine(minimumLearningRate: 0)
        }
        c.warmupEpochs = warmupEpochs
        c.batchSize = batchSize
        c.epochs = epochs
        c.labelSmoothing = labelSmoothing
        c.gradientClipNorm = gradientClipNorm
        c.shuffle = shuffle
        c.seed = seed
        c.divergencePolicy = divergencePolicy
        return c
    }
}
