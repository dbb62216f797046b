import Loom
import LoomTestSupport
import Testing

/// The composite operations the gradient table must cover (they have no backward code of
/// their own, so a row checks that their composition differentiates correctly).
enum Composite: String, CaseIterable, Sendable {
    case mean, variance, standardDeviation, logSumExp, softmax, min, clamped, split, stacked
}

/// What a gradient-table row covers: a primitive or a composite.
enum Subject: Sendable, Hashable, CustomStringConvertible {
    case primitive(Primitive)
    case composite(Composite)

    var description: String {
        switch self {
        case let .primitive(primitive): primitive.rawValue
        case let .composite(composite): composite.rawValue
        }
    }
}

/// One row of the gradient table: a function exercising `subject`, the inputs to check it at,
/// and the check's step and tolerances.
struct GradientSpecRow: Sendable, CustomTestStringConvertible {
    let subject: Subject
    /// What distinguishes this row from others with the same subject.
    let note: String
    let inputs: [InputSpec]
    let configuration: GradientCheck.Configuration
    let function: @Sendable ([Tensor]) -> Tensor

    /// The row's name in test output and failure messages.
    var name: String {
        "\(subject)\(note.isEmpty ? "" : " \(note)") [\(inputs.map(\.description).joined(separator: "; "))]"
    }

    var testDescription: String { name }

    /// The declared primitive, if the row covers one.
    var primitive: Primitive? {
        if case let .primitive(primitive) = subject { return primitive }
        return nil
    }

    /// A seed derived from the name (FNV-1a), so each row draws its own stable samples.
    var seed: UInt64 {
        name.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}

/// A row covering `primitive`.
func row(
    _ primitive: Primitive, _ note: String = "", _ inputs: [InputSpec],
    configuration: GradientCheck.Configuration = GradientCheck.Configuration(),
    _ function: @escaping @Sendable ([Tensor]) -> Tensor
) -> GradientSpecRow {
    GradientSpecRow(subject: .primitive(primitive), note: note, inputs: inputs, configuration: configuration, function: function)
}

/// A row covering `composite`.
func row(
    _ composite: Composite, _ note: String = "", _ inputs: [InputSpec],
    configuration: GradientCheck.Configuration = GradientCheck.Configuration(),
    _ function: @escaping @Sendable ([Tensor]) -> Tensor
) -> GradientSpecRow {
    GradientSpecRow(subject: .composite(composite), note: note, inputs: inputs, configuration: configuration, function: function)
}

/// Shorthand for an ``InputSpec``.
func input(_ shape: [Int], _ domain: InputDomain = .real, _ layout: InputLayout = .contiguous) -> InputSpec {
    InputSpec(shape, domain, layout: layout)
}

/// `y ⊙ y`: wrapped around a linear operation so that the cotangent reaching it depends on
/// the input, which makes its recorded pullback matter for second order (for a linear `f`
/// alone, ⟨f(x), u⟩ has a zero Hessian whatever the pullback records).
func squared(_ y: Tensor) -> Tensor { y * y }

/// A constant of `x`'s element type, so rows stay in float32 during the float32 run.
func constant(_ values: [Double], shape: [Int], like x: Tensor) -> Tensor {
    Tensor(shape: shape, scalars: values, dtype: x.dtype)
}
