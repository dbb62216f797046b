import Loom

/// Gradient checks by central differences in random directions (the method of JAX's
/// `check_grads`): a function `f: [Tensor] → Tensor` is reduced to a scalar with a random
/// cotangent `u`, `L(x) = ⟨f(x), u⟩`, and then
///
/// - **first order**: the autodiff directional derivative `⟨∇L(x), v⟩` (the gradient from one
///   reverse pass seeded with `u`) is compared with `(L(x + hv) − L(x − hv)) / 2h`;
/// - **second order**: with `φ(x) = ⟨∇L(x), w⟩` built by a reverse pass that records itself
///   (`createGraph: true`), the autodiff `⟨∇φ(x), v⟩ = vᵀ∇²L(x) w` (backward of backward) is
///   compared with `(φ(x + hv) − φ(x − hv)) / 2h`, where `φ` at the shifted points comes from
///   plain first-order autodiff;
/// - **float32 consistency**: the forward value and the gradient computed in float32 are
///   compared with the float64 ones.
///
/// All directions `u`, `v`, `w` are random normals; `v` and `w` are scaled to a largest
/// magnitude of 1, so `h` bounds how far an element moves (see ``InputDomain/margin``).
/// Inputs are sampled in float64 and rounded to float32-representable values, so the float32
/// run sees exactly the same inputs.
public enum GradientCheck {
    /// Step and tolerances of a check. The defaults suit float64 and smooth functions.
    public struct Configuration: Sendable, Hashable {
        /// The finite-difference step `h` (elements move by at most `h`).
        public var step: Double
        /// For first directional derivatives, relative to `Σ|∇L|·|v|`.
        public var firstOrder: Tolerance
        /// For second directional derivatives, relative to `Σ|∇φ|·|v|`.
        public var secondOrder: Tolerance
        /// For float32 values and gradients against float64, relative to each element, plus
        /// `relative ×` the largest float64 magnitude (so elements that cancel to near zero
        /// are judged on the tensor's scale), or nil to skip the float32 run.
        public var float32: Tolerance?
        /// Whether to check second order.
        public var checksSecondOrder: Bool

        /// A configuration; every parameter has the float64 default.
        public init(
            step: Double = 1e-5, firstOrder: Tolerance = .firstOrder(.float64),
            secondOrder: Tolerance = .secondOrder(.float64), float32: Tolerance? = .values(.float32),
            checksSecondOrder: Bool = true
        ) {
            precondition(step > 0, "GradientCheck.Configuration: step must be positive, got \(step)")
            self.step = step
            self.firstOrder = firstOrder
            self.secondOrder = secondOrder
            self.float32 = float32
            self.checksSecondOrder = checksSecondOrder
        }
    }

    /// One directional derivative computed two ways.
    public struct Comparison: Sendable, CustomStringConvertible {
        /// "first order" or "second order".
        public var order: String
        /// From autodiff.
        public var analytic: Double
        /// From central differences.
        public var numeric: Double
        /// `Σ|gradient|·|direction|` over the elements of the autodiff pairing.
        public var gradientScale: Double
        /// The allowed error.
        public var tolerance: Tolerance

        /// The size the error is measured against: ``gradientScale``, or |numeric| if larger
        /// (so an autodiff gradient that is wrongly zero is judged on the true scale).
        public var scale: Double { Swift.max(gradientScale, Swift.abs(numeric)) }

        /// Whether the two agree within tolerance.
        public var isClose: Bool { tolerance.accepts(analytic, numeric, scale: scale) }

        public var description: String {
            let error = Swift.abs(analytic - numeric)
            return "\(order): autodiff \(analytic) vs central difference \(numeric) "
                + "(error \(error) = \(scale > 0 ? error / scale : error) of scale \(scale); \(tolerance))"
        }
    }

    /// The outcome of ``check(_:inputs:configuration:seed:)``.
    public struct Report: Sendable, CustomStringConvertible {
        /// First directional derivatives.
        public var firstOrder: Comparison
        /// Second directional derivatives, when checked.
        public var secondOrder: Comparison?
        /// Float32 forward value against float64, when checked.
        public var float32Value: TensorComparison?
        /// Float32 gradients against float64 (one per input), when checked.
        public var float32Gradients: [TensorComparison]

        /// A line per failed comparison; empty when everything agreed.
        public var failures: [String] {
            var lines: [String] = []
            if !firstOrder.isClose { lines.append(firstOrder.description) }
            if let secondOrder, !secondOrder.isClose { lines.append(secondOrder.description) }
            if let float32Value, !float32Value.isClose { lines.append("float32 value: \(float32Value)") }
            for (i, comparison) in float32Gradients.enumerated() where !comparison.isClose {
                lines.append("float32 gradient of input \(i): \(comparison)")
            }
            return lines
        }

        public var description: String {
            let float32 = float32Value.map { $0.isClose && float32Gradients.allSatisfy(\.isClose) ? "float32: close" : "float32: differs" }
            return ([firstOrder.description, secondOrder?.description, float32].compactMap { $0 } + failures)
                .joined(separator: "\n")
        }
    }

    /// Checks `function` at inputs sampled from `inputs`, with random directions drawn from a
    /// generator seeded with `seed`.
    ///
    /// - Parameters:
    ///   - function: the function under test; it receives one tensor per entry of `inputs`, in
    ///     that entry's shape and layout, and must be differentiable with respect to all of
    ///     them. Constants (indices, masks) it captures should take their element type from
    ///     its inputs so that the float32 run stays in float32.
    /// - Precondition: `configuration.step` is below every input domain's margin.
    public static func check(
        _ function: ([Tensor]) -> Tensor, inputs: [InputSpec], configuration: Configuration = Configuration(),
        seed: UInt64
    ) -> Report {
        for spec in inputs where spec.domain.margin > 0 {
            precondition(configuration.step < spec.domain.margin,
                         "GradientCheck: step \(configuration.step) would cross the margin \(spec.domain.margin) of \(spec.domain)")
        }
        var generator = SeededGenerator(seed: seed)
        let bases = inputs.map { $0.sampleBase(using: &generator).cast(to: .float32).cast(to: .float64) }
        let point = Point(specs: inputs, bases: bases)
        let output = withoutGradients { function(point.leaves()) }
        let cotangent = Tensor.normal(output.shape, dtype: output.dtype, using: &generator)
        let v = inputs.map { unitDirection($0.baseShape, using: &generator) }
        let w = inputs.map { unitDirection($0.baseShape, using: &generator) }
        let step = configuration.step

        let gradient = point.gradients(of: function, seed: cotangent)
        let first = Comparison(
            order: "first order",
            analytic: point.pairing(gradient, v), numeric: centralDifference(step: step) { h in
                let shifted = point.shifted(by: v, times: h)
                return dot(withoutGradients { function(shifted.leaves()) }, cotangent)
            },
            gradientScale: point.absolutePairing(gradient, v), tolerance: configuration.firstOrder)

        var second: Comparison?
        if configuration.checksSecondOrder {
            let hessianW = point.hessianVectorProducts(of: function, seed: cotangent, direction: w)
            second = Comparison(
                order: "second order",
                analytic: point.pairing(hessianW, v), numeric: centralDifference(step: step) { h in
                    let shifted = point.shifted(by: v, times: h)
                    return shifted.pairing(shifted.gradients(of: function, seed: cotangent), w)
                },
                gradientScale: point.absolutePairing(hessianW, v), tolerance: configuration.secondOrder)
        }

        var report = Report(firstOrder: first, secondOrder: second, float32Value: nil, float32Gradients: [])
        if let tolerance = configuration.float32 {
            let narrow = Point(specs: inputs, bases: bases.map { $0.cast(to: .float32) })
            (report.float32Value, report.float32Gradients) = narrow.consistency(
                of: function, with: (output, gradient), seed: cotangent, tolerance: tolerance)
        }
        return report
    }

    /// Compares `actual` with `expected` elementwise within `tolerance.relative` of each
    /// element plus `tolerance.relative` times the largest magnitude in `expected`.
    static func compareOnScale(_ actual: Tensor, _ expected: Tensor, _ tolerance: Tolerance) -> TensorComparison {
        let largest = expected.asArray(Double.self).map { Swift.abs($0) }.max() ?? 0
        return compare(actual, expected, relative: tolerance.relative, absolute: tolerance.relative * largest + tolerance.absolute)
    }

    /// A standard-normal direction scaled so its largest magnitude is 1.
    static func unitDirection<G: RandomNumberGenerator>(_ shape: [Int], using generator: inout G) -> Tensor {
        let values = Tensor.normal(shape, dtype: .float64, using: &generator).asArray(Double.self)
        let largest = values.map { Swift.abs($0) }.max() ?? 0
        return Tensor(shape: shape, scalars: largest > 0 ? values.map { $0 / largest } : values, dtype: .float64)
    }

    /// `(g(h) − g(−h)) / 2h`.
    static func centralDifference(step: Double, _ g: (Double) -> Double) -> Double {
        (g(step) - g(-step)) / (2 * step)
    }
}

/// `Σ aᵢbᵢ` over the elements of two tensors of one shape, in Double.
func dot(_ a: Tensor, _ b: Tensor) -> Double {
    precondition(a.shape == b.shape, "dot: shapes \(a.shape) and \(b.shape) differ")
    return zip(a.asArray(Double.self), b.asArray(Double.self)).reduce(0) { $0 + $1.0 * $1.1 }
}
