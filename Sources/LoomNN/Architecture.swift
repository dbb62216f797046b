import Loom

/// What an ``MLP`` is, apart from its weights: enough to rebuild it from a model file.
///
/// Stored as JSON in a model file's metadata (`loom.architecture`), so that a file alone can
/// be evaluated, used for prediction and inspected.
public struct MLPArchitecture: Codable, Equatable, Sendable {
    /// `[n₁, …, n_{L+1}]`: input features, the hidden widths, outputs.
    public var widths: [Int]
    public var activation: Activation
    public var normalization: NormalizationKind
    /// The dropout probability after each hidden activation (0: none).
    public var dropout: Double

    /// The architecture of an MLP with these widths and layers.
    public init(widths: [Int], activation: Activation, normalization: NormalizationKind = .none, dropout: Double = 0) {
        self.widths = widths
        self.activation = activation
        self.normalization = normalization
        self.dropout = dropout
    }

    /// Checks what input from outside (a model file, a configuration) could get wrong, before
    /// anything is allocated.
    public func validate() throws {
        guard widths.count >= 2, widths.allSatisfy({ $0 > 0 }) else {
            throw ArchitectureError("an MLP needs at least two positive widths, got \(widths)")
        }
        guard (0..<1).contains(dropout) else { throw ArchitectureError("dropout must be in [0, 1), got \(dropout)") }
        if case let .leakyReLU(slope) = activation, !slope.isFinite {
            throw ArchitectureError("the leaky ReLU's negative slope must be finite, got \(slope)")
        }
    }

    /// The number of weights and biases: `Σ (nᵢ + 1) nᵢ₊₁`, plus two per feature of each
    /// normalization layer; nil when it overflows.
    public var parameterCount: Int? {
        var total = 0
        for (index, (input, output)) in zip(widths, widths.dropFirst()).enumerated() {
            let (weights, o1) = input.multipliedReportingOverflow(by: output)
            let normalization = self.normalization != .none && index < widths.count - 2 ? 2 * output : 0
            let (sum, o2) = total.addingReportingOverflow(weights &+ output &+ normalization)
            guard !o1, !o2 else { return nil }
            total = sum
        }
        return total
    }
}

/// An architecture that cannot be built.
public struct ArchitectureError: Error, Equatable, CustomStringConvertible {
    public let description: String
    /// An error with this message.
    public init(_ description: String) { self.description = description }
}

extension MLP {
    /// The network `architecture` describes, with weights from `initializer` (default: Kaiming
    /// normal for its activation) drawn from `generator`.
    public convenience init(_ architecture: MLPArchitecture, initializer: Initializer? = nil, dtype: DType = .float32,
                            using generator: inout some RandomNumberGenerator) {
        self.init(widths: architecture.widths, activation: architecture.activation, initializer: initializer,
                  normalization: architecture.normalization, dropout: architecture.dropout, dtype: dtype, using: &generator)
    }
}

// MARK: - Configuration files

extension Activation: Codable {
    /// `"relu"`, `"tanh"`, `"sigmoid"`, `"identity"`, `"gelu"` (erf), `"gelu-tanh"`, or
    /// `{"name": "leaky-relu", "negativeSlope": s}` (a bare `"leaky-relu"` has slope 0.01,
    /// PyTorch's default).
    public init(from decoder: any Decoder) throws {
        if let name = try? decoder.singleValueContainer().decode(String.self) {
            self = try Self.named(name, negativeSlope: nil, codingPath: decoder.codingPath)
            return
        }
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        let name = try c.decode(String.self, forKey: AnyCodingKey("name"))
        self = try Self.named(name, negativeSlope: try c.decodeIfPresent(Double.self, forKey: AnyCodingKey("negativeSlope")),
                              codingPath: decoder.codingPath)
    }

    public func encode(to encoder: any Encoder) throws {
        if case let .leakyReLU(slope) = self {
            var c = encoder.container(keyedBy: AnyCodingKey.self)
            try c.encode(name, forKey: AnyCodingKey("name"))
            try c.encode(slope, forKey: AnyCodingKey("negativeSlope"))
        } else {
            var c = encoder.singleValueContainer()
            try c.encode(name)
        }
    }

    /// The slope of a leaky ReLU named without one (PyTorch's `negative_slope` default).
    public static let defaultNegativeSlope = 0.01

    /// Every activation's name, as configuration files and the command line spell it.
    public static let names = ["relu", "leaky-relu", "tanh", "sigmoid", "gelu", "gelu-tanh", "identity"]

    /// The name of this activation in configuration files.
    public var name: String {
        switch self {
        case .identity: "identity"
        case .relu: "relu"
        case .leakyReLU: "leaky-relu"
        case .tanh: "tanh"
        case .sigmoid: "sigmoid"
        case .gelu(.none): "gelu"
        case .gelu(.tanh): "gelu-tanh"
        }
    }

    /// The activation called `name` (a negative slope only for `leaky-relu`).
    public static func named(_ name: String, negativeSlope: Double? = nil) throws -> Activation {
        try named(name, negativeSlope: negativeSlope, codingPath: [])
    }

    private static func named(_ name: String, negativeSlope: Double?, codingPath: [any CodingKey]) throws -> Activation {
        func fail(_ message: String) -> DecodingError {
            .dataCorrupted(.init(codingPath: codingPath, debugDescription: message))
        }
        if name != "leaky-relu", negativeSlope != nil { throw fail("\(name) has no negative slope (only leaky-relu does)") }
        switch name {
        case "identity": return .identity
        case "relu": return .relu
        case "leaky-relu": return .leakyReLU(negativeSlope: negativeSlope ?? defaultNegativeSlope)
        case "tanh": return .tanh
        case "sigmoid": return .sigmoid
        case "gelu": return .gelu(.none)
        case "gelu-tanh": return .gelu(.tanh)
        default: throw fail("unknown activation \"\(name)\" (\(names.joined(separator: ", ")))")
        }
    }
}

/// A weight initializer by name, resolved against the activation that follows the layer
/// (for its gain): what a configuration file or the command line chooses.
public enum InitializerName: String, Codable, CaseIterable, Sendable {
    case kaimingNormal = "kaiming-normal", kaimingUniform = "kaiming-uniform"
    case xavierNormal = "xavier-normal", xavierUniform = "xavier-uniform"
    /// N(0, 1/n): the lecture's variance-preserving choice for linear layers.
    case lecunNormal = "lecun-normal"
    /// W = 0: every earlier layer's gradient vanishes (the lecture's bad stationary point).
    case zeros

    /// The initializer for weights that feed `activation`.
    public func initializer(for activation: Activation) -> Initializer {
        let nonlinearity = activation.nonlinearity
        switch self {
        case .kaimingNormal: return .kaimingNormal(nonlinearity: nonlinearity)
        case .kaimingUniform: return .kaimingUniform(nonlinearity: nonlinearity)
        case .xavierNormal: return .xavierNormal(gain: nonlinearity.gain)
        case .xavierUniform: return .xavierUniform(gain: nonlinearity.gain)
        case .lecunNormal: return .varianceScaling(scale: 1, mode: .fanIn, distribution: .normal)
        case .zeros: return .zeros
        }
    }
}
