import Loom
import LoomNN

/// An optimizer chosen by name with its hyperparameters: what a configuration file stores
/// and the command line sets. Each case carries the optimizer's own `Hyperparameters` value,
/// whose initializer declares its defaults; nothing here repeats one.
///
/// Adding an optimizer: its class (a ``FirstOrderOptimizer`` subclass, or an ``Optimizer``),
/// a case here with its name, defaults and maker, and its command-line flags if it has new
/// hyperparameters.
public enum OptimizerChoice: Sendable, Equatable {
    case sgd(SGD.Hyperparameters)
    case adam(Adam.Hyperparameters)
    case adamw(Adam.Hyperparameters)
    case rmsprop(RMSProp.Hyperparameters)
    case adagrad(Adagrad.Hyperparameters)
    case newton(Newton.Hyperparameters)
    case newtonCG(NewtonCG.Hyperparameters)
    case lbfgs(LBFGS.Hyperparameters)

    /// The optimizers' names, as configuration files and the command line spell them.
    public enum Name: String, CaseIterable, Codable, Sendable {
        case sgd, adam, adamw, rmsprop, adagrad, newton
        case newtonCG = "newton-cg"
        case lbfgs
    }

    /// The optimizer called `name` with its default hyperparameters.
    public init(defaultsFor name: Name) {
        switch name {
        case .sgd: self = .sgd(.init())
        case .adam: self = .adam(.init())
        case .adamw: self = .adamw(AdamW.defaultHyperparameters)
        case .rmsprop: self = .rmsprop(.init())
        case .adagrad: self = .adagrad(.init())
        case .newton: self = .newton(.init())
        case .newtonCG: self = .newtonCG(.init())
        case .lbfgs: self = .lbfgs(.init())
        }
    }

    public var name: Name {
        switch self {
        case .sgd: .sgd
        case .adam: .adam
        case .adamw: .adamw
        case .rmsprop: .rmsprop
        case .adagrad: .adagrad
        case .newton: .newton
        case .newtonCG: .newtonCG
        case .lbfgs: .lbfgs
        }
    }

    /// The (initial) learning rate α.
    public var learningRate: Double {
        get {
            switch self {
            case let .sgd(h): h.learningRate
            case let .adam(h), let .adamw(h): h.learningRate
            case let .rmsprop(h): h.learningRate
            case let .adagrad(h): h.learningRate
            case let .newton(h): h.learningRate
            case let .newtonCG(h): h.learningRate
            case let .lbfgs(h): h.learningRate
            }
        }
        set {
            switch self {
            case var .sgd(h): h.learningRate = newValue; self = .sgd(h)
            case var .adam(h): h.learningRate = newValue; self = .adam(h)
            case var .adamw(h): h.learningRate = newValue; self = .adamw(h)
            case var .rmsprop(h): h.learningRate = newValue; self = .rmsprop(h)
            case var .adagrad(h): h.learningRate = newValue; self = .adagrad(h)
            case var .newton(h): h.learningRate = newValue; self = .newton(h)
            case var .newtonCG(h): h.learningRate = newValue; self = .newtonCG(h)
            case var .lbfgs(h): h.learningRate = newValue; self = .lbfgs(h)
            }
        }
    }

    /// Whether the optimizer evaluates the loss itself (Newton-type: it needs the loss
    /// closure and the whole batch on one process).
    public var requiresLossClosure: Bool {
        switch self {
        case .newton, .newtonCG, .lbfgs: true
        default: false
        }
    }

    /// Throws ``OptimizerError/invalidHyperparameter(name:value:requirement:)`` for a bad value.
    public func validate() throws {
        switch self {
        case let .sgd(h): try h.validate()
        case let .adam(h), let .adamw(h): try h.validate()
        case let .rmsprop(h): try h.validate()
        case let .adagrad(h): try h.validate()
        case let .newton(h): try h.validate()
        case let .newtonCG(h): try h.validate()
        case let .lbfgs(h): try h.validate()
        }
    }

    /// The optimizer over `parameters`; `objective` is the loss closure Newton-type methods use
    /// when a step is given none.
    public func makeOptimizer(parameters: [Parameter], objective: (() -> Tensor)? = nil) throws -> any Optimizer {
        switch self {
        case let .sgd(h): try SGD(parameters: parameters, h)
        case let .adam(h): try Adam(parameters: parameters, h)
        case let .adamw(h): try AdamW(parameters: parameters, h)
        case let .rmsprop(h): try RMSProp(parameters: parameters, h)
        case let .adagrad(h): try Adagrad(parameters: parameters, h)
        case let .newton(h): try Newton(parameters: parameters, h, objective: objective)
        case let .newtonCG(h): try NewtonCG(parameters: parameters, h, objective: objective)
        case let .lbfgs(h): try LBFGS(parameters: parameters, h, objective: objective)
        }
    }
}

extension OptimizerChoice: Codable {
    /// `{"name": "sgd", "learningRate": 0.01, …}`: the name beside the hyperparameters' fields;
    /// a missing field takes that optimizer's default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        let key = AnyCodingKey("name")
        let text = try c.decode(String.self, forKey: key)
        guard let name = Name(rawValue: text) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: c,
                debugDescription: "unknown optimizer \"\(text)\" (\(Name.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        switch name {
        case .sgd: self = .sgd(try .init(from: decoder))
        case .adam: self = .adam(try .init(from: decoder))
        case .adamw: self = .adamw(try .init(from: decoder, defaults: AdamW.defaultHyperparameters))
        case .rmsprop: self = .rmsprop(try .init(from: decoder))
        case .adagrad: self = .adagrad(try .init(from: decoder))
        case .newton: self = .newton(try .init(from: decoder))
        case .newtonCG: self = .newtonCG(try .init(from: decoder))
        case .lbfgs: self = .lbfgs(try .init(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        try c.encode(name.rawValue, forKey: AnyCodingKey("name"))
        switch self {
        case let .sgd(h): try h.encode(to: encoder)
        case let .adam(h), let .adamw(h): try h.encode(to: encoder)
        case let .rmsprop(h): try h.encode(to: encoder)
        case let .adagrad(h): try h.encode(to: encoder)
        case let .newton(h): try h.encode(to: encoder)
        case let .newtonCG(h): try h.encode(to: encoder)
        case let .lbfgs(h): try h.encode(to: encoder)
        }
    }
}

/// A learning-rate schedule chosen by name, applied per epoch (`t` = the 0-based epoch),
/// optionally after a linear warm-up. Each case's defaults are declared on the case.
public enum ScheduleChoice: Sendable, Equatable {
    /// The optimizer's learning rate throughout.
    case constant
    /// ``StepDecay``: × `gamma` every `stepSize` epochs.
    case step(stepSize: Int = ScheduleChoice.defaultStepSize, gamma: Double = ScheduleChoice.defaultStepGamma)
    /// ``ExponentialDecay``: × `gamma` every epoch.
    case exponential(gamma: Double = ScheduleChoice.defaultExponentialGamma)
    /// ``CosineAnnealing`` over the epochs after the warm-up, down to `minimumLearningRate`.
    case cosine(minimumLearningRate: Double = 0)

    /// The step schedule's default epochs between decays.
    public static let defaultStepSize = 10
    /// The step schedule's default decay factor.
    public static let defaultStepGamma = 0.1
    /// The exponential schedule's default decay factor per epoch.
    public static let defaultExponentialGamma = 0.95

    /// The schedules' names, as configuration files and the command line spell them.
    public enum Name: String, CaseIterable, Codable, Sendable { case constant, step, exponential, cosine }

    /// The schedule called `name` with its defaults.
    public init(defaultsFor name: Name) {
        switch name {
        case .constant: self = .constant
        case .step: self = .step()
        case .exponential: self = .exponential()
        case .cosine: self = .cosine()
        }
    }

    public var name: Name {
        switch self {
        case .constant: .constant
        case .step: .step
        case .exponential: .exponential
        case .cosine: .cosine
        }
    }

    /// The schedule for a run of `epochs` epochs starting from `learningRate`, after
    /// `warmupEpochs` of linear warm-up from 0. Throws for invalid values.
    public func make(learningRate: Double, epochs: Int, warmupEpochs: Int = 0) throws -> any LearningRateSchedule {
        let base: any LearningRateSchedule = switch self {
        case .constant: try ConstantLearningRate(learningRate)
        case let .step(stepSize, gamma): try StepDecay(initialLearningRate: learningRate, stepSize: stepSize, gamma: gamma)
        case let .exponential(gamma): try ExponentialDecay(initialLearningRate: learningRate, gamma: gamma)
        case let .cosine(minimum):
            try CosineAnnealing(initialLearningRate: learningRate, period: Swift.max(epochs - warmupEpochs, 1),
                                minimumLearningRate: minimum)
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

extension ScheduleChoice: Codable {
    /// `"constant"`, `"cosine"`, … or `{"name": "step", "stepSize": 10, "gamma": 0.1}`; a
    /// missing field takes the case's default.
    public init(from decoder: any Decoder) throws {
        let name: String
        var fields: KeyedDecodingContainer<AnyCodingKey>?
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            name = text
        } else {
            let c = try decoder.container(keyedBy: AnyCodingKey.self)
            name = try c.decode(String.self, forKey: AnyCodingKey("name"))
            fields = c
        }
        guard let kind = Name(rawValue: name) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "unknown schedule \"\(name)\" (\(Name.allCases.map(\.rawValue).joined(separator: ", ")))"))
        }
        func field<T: Decodable>(_ key: String, _ value: T) throws -> T {
            try fields?.decode(AnyCodingKey(key), default: value) ?? value
        }
        switch ScheduleChoice(defaultsFor: kind) {
        case .constant: self = .constant
        case let .step(stepSize, gamma): self = .step(stepSize: try field("stepSize", stepSize), gamma: try field("gamma", gamma))
        case let .exponential(gamma): self = .exponential(gamma: try field("gamma", gamma))
        case let .cosine(minimum): self = .cosine(minimumLearningRate: try field("minimumLearningRate", minimum))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        guard self != .constant else {
            var c = encoder.singleValueContainer()
            return try c.encode(name.rawValue)
        }
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        try c.encode(name.rawValue, forKey: AnyCodingKey("name"))
        switch self {
        case .constant: break
        case let .step(stepSize, gamma):
            try c.encode(stepSize, forKey: AnyCodingKey("stepSize"))
            try c.encode(gamma, forKey: AnyCodingKey("gamma"))
        case let .exponential(gamma): try c.encode(gamma, forKey: AnyCodingKey("gamma"))
        case let .cosine(minimum): try c.encode(minimum, forKey: AnyCodingKey("minimumLearningRate"))
        }
    }
}
