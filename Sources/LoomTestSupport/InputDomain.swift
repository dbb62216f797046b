import Loom

/// Where a gradient check samples an input from: a set of reals on which the function under
/// test is smooth, with enough room around every sample that a finite-difference step never
/// crosses a kink, a tie or the edge of the domain.
///
/// Finite differences in ``GradientCheck`` perturb each input by at most ``GradientCheck/Configuration/step``
/// per element (directions are scaled to a maximum magnitude of 1), so a domain whose
/// samples keep a margin `m` from every non-smooth point is safe for any step below `m`.
public struct InputDomain: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        case normal(mean: Double, standardDeviation: Double)
        case uniform(low: Double, high: Double)
        case awayFromZero(low: Double, high: Double)
        case lattice(spacing: Double, phase: Int)
    }

    let kind: Kind

    /// Any real: samples from N(0, 1). For functions smooth everywhere (add, exp, tanh, …).
    public static let real = InputDomain(kind: .normal(mean: 0, standardDeviation: 1))

    /// Positive reals in [0.5, 2): for `log`, `sqrt`, a divisor, the base of `pow`.
    public static let positive = InputDomain(kind: .uniform(low: 0.5, high: 2))

    /// Reals with magnitude in [0.25, 2) and a random sign: away from the kink at 0 of
    /// `relu` and `abs` by at least 0.25.
    public static let awayFromZero = InputDomain(kind: .awayFromZero(low: 0.25, high: 2))

    /// Probabilities in [0.05, 0.95): away from 0 and 1, where logs and their derivatives blow up.
    public static let probability = InputDomain(kind: .uniform(low: 0.05, high: 0.95))

    /// Reals uniformly distributed in [`low`, `high`).
    public static func uniform(_ low: Double, _ high: Double) -> InputDomain {
        precondition(low < high, "InputDomain.uniform: empty interval [\(low), \(high))")
        return InputDomain(kind: .uniform(low: low, high: high))
    }

    /// Pairwise distinct values, for functions with ties (`max`, `maximum`, `minimum`,
    /// `clamped`): each element is `spacing · (k + phase/2) + jitter`, with a different integer
    /// `k` per element (a random permutation of integers centred on 0) and a jitter in
    /// [0, spacing/4). So two elements of one sample differ by more than spacing/2, two
    /// samples with phases 0 and 1 differ everywhere by at least spacing/4, and phase-0
    /// samples keep spacing/4 from every odd multiple of spacing/2 (good clamp bounds).
    /// The default spacing 0.2 gives margins of at least 0.05.
    public static func distinct(phase: Int = 0, spacing: Double = 0.2) -> InputDomain {
        precondition(phase == 0 || phase == 1, "InputDomain.distinct: phase must be 0 or 1, got \(phase)")
        precondition(spacing > 0, "InputDomain.distinct: spacing must be positive, got \(spacing)")
        return InputDomain(kind: .lattice(spacing: spacing, phase: phase))
    }

    /// The smallest distance from a sample to a point where the function it is meant for is
    /// not smooth (a kink, a tie with another sample, a domain edge); 0 for ``real``.
    public var margin: Double {
        switch kind {
        case .normal: 0
        case let .uniform(low, high): low >= 0 ? Swift.min(low, high - low) : 0
        case let .awayFromZero(low, _): low
        case let .lattice(spacing, _): spacing / 4
        }
    }

    /// `count` samples in row-major order.
    public func sampleScalars<G: RandomNumberGenerator>(count: Int, using generator: inout G) -> [Double] {
        switch kind {
        case let .normal(mean, standardDeviation):
            return Tensor.normal([count], mean: mean, standardDeviation: standardDeviation, dtype: .float64, using: &generator)
                .asArray(Double.self)
        case let .uniform(low, high):
            return (0..<count).map { _ in Double.random(in: low..<high, using: &generator) }
        case let .awayFromZero(low, high):
            return (0..<count).map { _ in
                let magnitude = Double.random(in: low..<high, using: &generator)
                return Bool.random(using: &generator) ? magnitude : -magnitude
            }
        case let .lattice(spacing, phase):
            let positions = Array(-(count / 2)..<(count - count / 2)).shuffled(using: &generator)
            return positions.map { k in
                spacing * (Double(k) + Double(phase) / 2) + Double.random(in: 0..<(spacing / 4), using: &generator)
            }
        }
    }

    /// A contiguous tensor of `shape` and `dtype` sampled from this domain.
    public func sample<G: RandomNumberGenerator>(_ shape: [Int], dtype: DType = .float64, using generator: inout G) -> Tensor {
        Tensor(shape: shape, scalars: sampleScalars(count: shape.reduce(1, *), using: &generator), dtype: dtype)
    }

    public var description: String {
        switch kind {
        case let .normal(mean, standardDeviation):
            mean == 0 && standardDeviation == 1 ? "real" : "normal(\(mean), \(standardDeviation))"
        case let .uniform(low, high): "uniform[\(low), \(high))"
        case let .awayFromZero(low, high): "|x|∈[\(low), \(high))"
        case let .lattice(spacing, phase): "distinct(phase: \(phase), spacing: \(spacing))"
        }
    }
}
