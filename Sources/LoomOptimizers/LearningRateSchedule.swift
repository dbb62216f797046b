import Loom
import LoomNN

/// A learning rate as a function of the step (or epoch) count `t = 0, 1, 2, …`.
///
/// Schedules are pure: they hold no counter, so the same `t` always gives the same rate and a
/// resumed run needs only its step count. Apply one with ``apply(to:at:)`` before each step.
public protocol LearningRateSchedule: Sendable {
    /// The learning rate for step (or epoch) `t ≥ 0`.
    func learningRate(at t: Int) -> Double
}

extension LearningRateSchedule {
    /// Sets `optimizer`'s learning rate to the rate for `t`.
    public func apply(to optimizer: any Optimizer, at t: Int) {
        optimizer.learningRate = learningRate(at: t)
    }

    /// This schedule preceded by a linear warm-up of `steps` steps (see ``LinearWarmup``).
    public func afterWarmup(steps: Int, startFactor: Double = 0) throws -> LinearWarmup<Self> {
        try LinearWarmup(steps: steps, startFactor: startFactor, then: self)
    }
}

/// `α_t = α₀ · γ^⌊t / stepSize⌋`: the rate multiplied by `γ` every `stepSize` steps
/// (PyTorch's `StepLR`).
public struct StepDecay: LearningRateSchedule {
    public let initialLearningRate: Double
    public let stepSize: Int
    public let gamma: Double

    /// Throws for a negative rate, a `stepSize` below 1 or a negative `gamma`.
    public init(initialLearningRate: Double, stepSize: Int, gamma: Double = 0.1) throws {
        try Hyperparameter.require("initialLearningRate", initialLearningRate, atLeast: 0)
        try Hyperparameter.require("stepSize", Double(stepSize), atLeast: 1)
        try Hyperparameter.require("gamma", gamma, atLeast: 0)
        self.initialLearningRate = initialLearningRate
        self.stepSize = stepSize
        self.gamma = gamma
    }

    public func learningRate(at t: Int) -> Double {
        initialLearningRate * integerPower(gamma, max(t, 0) / stepSize)
    }
}

/// `α_t = α₀ · γᵗ` (PyTorch's `ExponentialLR`).
public struct ExponentialDecay: LearningRateSchedule {
    public let initialLearningRate: Double
    public let gamma: Double

    /// Throws for a negative rate or `gamma`.
    public init(initialLearningRate: Double, gamma: Double) throws {
        try Hyperparameter.require("initialLearningRate", initialLearningRate, atLeast: 0)
        try Hyperparameter.require("gamma", gamma, atLeast: 0)
        self.initialLearningRate = initialLearningRate
        self.gamma = gamma
    }

    public func learningRate(at t: Int) -> Double { initialLearningRate * integerPower(gamma, max(t, 0)) }
}

/// Cosine annealing from `α₀` down to `α_min` over `period` steps:
///
///     α_t = α_min + (α₀ − α_min) · (1 + cos(π t / T)) / 2     for 0 ≤ t ≤ T
///     α_t = α_min                                             for t > T
///
/// This is the closed form of PyTorch's `CosineAnnealingLR` (`T` = `T_max`, `α_min` =
/// `eta_min`) up to `T`. Past `T` PyTorch's cosine rises again (period `2T`); here the rate
/// stays at `α_min`, since an annealing schedule that restarts by accident is a surprise (use
/// an explicit restart schedule for SGDR).
///
/// Reference: I. Loshchilov, F. Hutter, *SGDR: Stochastic Gradient Descent with Warm
/// Restarts*, ICLR 2017.
public struct CosineAnnealing: LearningRateSchedule {
    public let initialLearningRate: Double
    public let minimumLearningRate: Double
    public let period: Int

    /// Throws for negative rates, a minimum above the initial rate, or a `period` below 1.
    public init(initialLearningRate: Double, period: Int, minimumLearningRate: Double = 0) throws {
        try Hyperparameter.require("initialLearningRate", initialLearningRate, atLeast: 0)
        try Hyperparameter.require("minimumLearningRate", minimumLearningRate, atLeast: 0)
        try Hyperparameter.require("period", Double(period), atLeast: 1)
        guard minimumLearningRate <= initialLearningRate else {
            throw OptimizerError.invalidHyperparameter(
                name: "minimumLearningRate", value: minimumLearningRate, requirement: "must not exceed initialLearningRate")
        }
        self.initialLearningRate = initialLearningRate
        self.minimumLearningRate = minimumLearningRate
        self.period = period
    }

    public func learningRate(at t: Int) -> Double {
        let progress = Double(min(max(t, 0), period)) / Double(period)
        return minimumLearningRate + (initialLearningRate - minimumLearningRate) * (1 + Platform.cos(Double.pi * progress)) / 2
    }
}

/// A linear warm-up into another schedule: with `α = next.learningRate(at: 0)`, `W` = `steps`
/// and `s` = `startFactor`,
///
///     α_t = α · (s + (1 − s) · t / W)      for t < W
///     α_t = next.learningRate(at: t − W)   for t ≥ W
///
/// So the rate rises linearly from `sα` to exactly where `next` starts. With
/// ``ConstantLearningRate`` as `next` this is PyTorch's `LinearLR(start_factor: s,
/// end_factor: 1, total_iters: W)`; with another schedule, PyTorch's
/// `SequentialLR([LinearLR(…), next], milestones: [W])`.
public struct LinearWarmup<Next: LearningRateSchedule>: LearningRateSchedule {
    public let steps: Int
    public let startFactor: Double
    public let next: Next

    /// Throws for a negative `steps` or a `startFactor` outside `[0, 1]`.
    public init(steps: Int, startFactor: Double = 0, then next: Next) throws {
        try Hyperparameter.require("steps", Double(steps), atLeast: 0)
        guard startFactor >= 0 && startFactor <= 1 else {
            throw OptimizerError.invalidHyperparameter(name: "startFactor", value: startFactor, requirement: "must be in [0, 1]")
        }
        self.steps = steps
        self.startFactor = startFactor
        self.next = next
    }

    public func learningRate(at t: Int) -> Double {
        guard t < steps else { return next.learningRate(at: t - steps) }
        let fraction = Double(max(t, 0)) / Double(steps)
        return next.learningRate(at: 0) * (startFactor + (1 - startFactor) * fraction)
    }
}

/// The same rate at every step.
public struct ConstantLearningRate: LearningRateSchedule {
    public let learningRate: Double

    /// Throws for a negative or non-finite rate.
    public init(_ learningRate: Double) throws {
        try Hyperparameter.require("learningRate", learningRate, atLeast: 0)
        self.learningRate = learningRate
    }

    public func learningRate(at t: Int) -> Double { learningRate }
}
