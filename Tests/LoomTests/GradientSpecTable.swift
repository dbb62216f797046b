import Loom
import LoomTestSupport

// The gradient table, part 1: elementwise primitives. Rows around linear primitives square
// the result (`squared`) so their recorded pullbacks are exercised by the second-order check.

/// Rows for arithmetic, elementary functions, selection and elementwise extrema.
let elementwiseRows: [GradientSpecRow] = [
    // Arithmetic
    row(.add, "", [input([3, 4]), input([3, 4])]) { squared($0[0] + $0[1]) },
    row(.add, "broadcast", [input([3, 1]), input([4])]) { squared($0[0] + $0[1]) },
    row(.add, "rank-0 with matrix", [input([]), input([2, 3])]) { squared($0[0] + $0[1]) },
    row(.add, "reversed rows + transposed", [input([3, 4], .real, .strided(step: -2)), input([3, 4], .real, .transposed)]) {
        squared($0[0] + $0[1])
    },
    row(.subtract, "broadcast", [input([2, 3]), input([3])]) { squared($0[0] - $0[1]) },
    row(.subtract, "expanded - strided", [input([3, 4], .real, .expanded(from: [1, 4])), input([3, 4], .real, .strided(step: 2))]) {
        squared($0[0] - $0[1])
    },
    row(.subtract, "scalar - tensor", [input([5])]) { squared(2.5 - $0[0]) },
    row(.multiply, "", [input([3, 4]), input([3, 4])]) { $0[0] * $0[1] },
    row(.multiply, "broadcast to [2, 4, 3]", [input([2, 1, 3]), input([4, 1])]) { $0[0] * $0[1] },
    row(.multiply, "fan-out x·x·x", [input([5])]) { $0[0] * $0[0] * $0[0] },
    row(.divide, "", [input([3, 4]), input([3, 4], .positive)]) { $0[0] / $0[1] },
    row(.divide, "broadcast numerator", [input([3, 1]), input([4], .positive, .strided(step: -1))]) { $0[0] / $0[1] },
    row(.divide, "constant / tensor", [input([2, 3], .positive)]) { 1.5 / $0[0] },
    row(.negate, "", [input([2, 3], .real, .strided(step: 2))]) { squared(-$0[0]) },
    row(.pow, "tensor exponent", [input([3, 4], .positive), input([3, 4])]) { Tensor.pow($0[0], $0[1]) },
    row(.pow, "broadcast tensor exponent", [input([3, 4], .positive), input([4])]) { Tensor.pow($0[0], $0[1]) },
    row(.pow, "base only differentiable", [input([2, 3], .positive)]) {
        Tensor.pow($0[0], constant([0.5, -1, 2, 3.5, 0, 1], shape: [2, 3], like: $0[0]))
    },
    row(.pow, "exponent only differentiable", [input([2, 3])]) {
        Tensor.pow(constant([0.5, 1, 2, 3.5, 0.7, 1.2], shape: [2, 3], like: $0[0]), $0[0])
    },
    row(.pow, "constant exponent 3", [input([5])]) { Tensor.pow($0[0], 3) },
    row(.pow, "constant exponent 0.5", [input([2, 3], .positive, .transposed)]) { Tensor.pow($0[0], 0.5) },
    row(.pow, "constant exponent -2", [input([4], .positive)]) { Tensor.pow($0[0], -2) },
    row(.pow, "constant exponent 0", [input([4])]) { Tensor.pow($0[0], 0) * $0[0] },

    // Elementary functions
    row(.exp, "", [input([3, 4])]) { $0[0].exp() },
    row(.exp, "transposed", [input([3, 4], .real, .transposed)]) { $0[0].exp() },
    row(.log, "", [input([3, 4], .positive)]) { $0[0].log() },
    row(.log, "probabilities, strided", [input([2, 3], .probability, .strided(step: -3))]) { $0[0].log() },
    row(.sqrt, "", [input([3, 4], .positive)]) { $0[0].sqrt() },
    row(.tanh, "", [input([3, 4])]) { $0[0].tanh() },
    row(.sigmoid, "", [input([3, 4], .uniform(-4, 4))]) { $0[0].sigmoid() },
    row(.relu, "away from 0", [input([3, 4], .awayFromZero)]) { squared($0[0].relu()) },
    row(.relu, "reversed rows", [input([3, 4], .awayFromZero, .strided(step: -1))]) { $0[0].relu().exp() },
    row(.abs, "away from 0", [input([3, 4], .awayFromZero)]) { squared($0[0].abs()) },
    row(.abs, "expanded", [input([3, 4], .awayFromZero, .expanded(from: [1, 4]))]) { $0[0].abs().log() },

    // Selection and extrema
    row(.where, "broadcast condition", [input([3, 4]), input([4])]) { x in
        let condition = constant([1, 0, 1], shape: [3, 1], like: x[0])
        return Tensor.where(condition, x[0].exp(), squared(x[1]))
    },
    row(.where, "condition from data", [input([2, 3], .awayFromZero)]) { x in
        Tensor.where(x[0] .> 0, x[0].exp(), x[0] * x[0] * x[0])
    },
    row(.maximum, "broadcast, no ties", [input([3, 1], .distinct(phase: 0)), input([4], .distinct(phase: 1))]) {
        squared(Tensor.maximum($0[0], $0[1]))
    },
    row(.maximum, "no ties", [input([2, 3], .distinct(phase: 1)), input([2, 3], .distinct(phase: 0))]) {
        Tensor.maximum($0[0], $0[1]).exp()
    },
    row(.minimum, "broadcast, no ties", [input([3, 1], .distinct(phase: 1)), input([4], .distinct(phase: 0))]) {
        squared(Tensor.minimum($0[0], $0[1]))
    },
    row(.minimum, "no ties, transposed", [input([3, 2], .distinct(phase: 0), .transposed), input([3, 2], .distinct(phase: 1))]) {
        Tensor.minimum($0[0], $0[1]).exp()
    },

    // Casting: through float32 and back, so values carry float32 rounding (≈ 6e-8); the
    // function is quadratic, so a large step has no truncation error and the check stays tight.
    row(.cast, "float64 → float32 → float64", [input([3, 4])],
        configuration: GradientCheck.Configuration(step: 1e-2, firstOrder: Tolerance(relative: 1e-4), secondOrder: Tolerance(relative: 1e-4))) {
        squared($0[0].cast(to: .float32).cast(to: .float64))
    },
]
