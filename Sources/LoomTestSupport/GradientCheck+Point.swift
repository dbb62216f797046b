import Loom
import Testing

extension GradientCheck {
    /// A point at which a function is evaluated: one contiguous base tensor per input, each
    /// presented to the function through its ``InputSpec``'s layout.
    struct Point {
        let specs: [InputSpec]
        let bases: [Tensor]

        /// The function's arguments as fresh leaves that require gradients.
        func leaves() -> [Tensor] {
            zip(specs, bases).map { spec, base in
                var input = spec.present(base.detached())
                input.requiresGradient = true
                return input
            }
        }

        /// The point moved by `times ×` `directions` (given in base shapes), in each base's dtype.
        func shifted(by directions: [Tensor], times: Double) -> Point {
            Point(specs: specs, bases: zip(bases, directions).map { base, direction in
                withoutGradients { base + (direction * times).cast(to: base.dtype) }
            })
        }

        /// `∇ₓ⟨f(x), seed⟩` for each input, from one reverse pass (not recorded).
        func gradients(of function: ([Tensor]) -> Tensor, seed: Tensor) -> [Tensor] {
            let inputs = leaves()
            let output = function(inputs)
            precondition(output.shape == seed.shape, "GradientCheck: output shape changed from \(seed.shape) to \(output.shape)")
            return Loom.gradients(of: output, withRespectTo: inputs, seed: seed)
        }

        /// `∇ₓ⟨∇ₓ⟨f(x), seed⟩, direction⟩ = ∇²⟨f, seed⟩ · direction` for each input, by
        /// differentiating a recorded (`createGraph: true`) reverse pass.
        func hessianVectorProducts(of function: ([Tensor]) -> Tensor, seed: Tensor, direction: [Tensor]) -> [Tensor] {
            let inputs = leaves()
            let first = Loom.gradients(of: function(inputs), withRespectTo: inputs, seed: seed, createGraph: true)
            let presented = zip(specs, direction).map { spec, w in spec.present(w) }
            let pairing = zip(first, presented)
                .map { gradient, w in (gradient * w.cast(to: gradient.dtype)).sum() }
                .reduce(Tensor(0, dtype: .float64)) { $0 + $1 }
            return Loom.gradients(of: pairing, withRespectTo: inputs)
        }

        /// The function's value and gradients (seeded with `seed`) at this point, compared with
        /// `reference` values and gradients computed at the same point in another precision.
        func consistency(
            of function: ([Tensor]) -> Tensor, with reference: (value: Tensor, gradients: [Tensor]), seed: Tensor,
            tolerance: Tolerance
        ) -> (value: TensorComparison, gradients: [TensorComparison]) {
            let value = withoutGradients { function(leaves()) }
            let gradients = gradients(of: function, seed: seed.cast(to: value.dtype))
            return (GradientCheck.compareOnScale(value, reference.value, tolerance),
                    zip(gradients, reference.gradients).map { GradientCheck.compareOnScale($0, $1, tolerance) })
        }

        /// `Σᵢ ⟨gradientᵢ, presented directionᵢ⟩`.
        func pairing(_ gradients: [Tensor], _ directions: [Tensor]) -> Double {
            zip(specs, zip(gradients, directions)).reduce(0) { total, item in
                let (spec, (gradient, direction)) = item
                return total + dot(gradient, spec.present(direction))
            }
        }

        /// `Σᵢ Σ |gradientᵢ|·|presented directionᵢ|`: the scale a pairing's error is judged on,
        /// which does not vanish when the terms of the pairing cancel.
        func absolutePairing(_ gradients: [Tensor], _ directions: [Tensor]) -> Double {
            zip(specs, zip(gradients, directions)).reduce(0) { total, item in
                let (spec, (gradient, direction)) = item
                return total + dot(gradient.abs(), spec.present(direction).abs())
            }
        }
    }
}

/// Runs ``GradientCheck/check(_:inputs:configuration:seed:)`` and records one test issue per
/// failed comparison, each prefixed with `name` so a table row names itself.
///
/// - Returns: the report, for further expectations.
@discardableResult
public func assertGradientsCorrect(
    _ name: String, of function: ([Tensor]) -> Tensor, inputs: [InputSpec],
    configuration: GradientCheck.Configuration = GradientCheck.Configuration(), seed: UInt64,
    sourceLocation: SourceLocation = #_sourceLocation
) -> GradientCheck.Report {
    let report = GradientCheck.check(function, inputs: inputs, configuration: configuration, seed: seed)
    for failure in report.failures {
        Issue.record("\(name): \(failure)", sourceLocation: sourceLocation)
    }
    return report
}
