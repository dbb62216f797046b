/// The strong-Wolfe line search of PyTorch's `torch.optim.lbfgs._strong_wolfe` (itself
/// after minFunc): bracket a step, then zoom by safeguarded cubic interpolation, until
/// `f(θ + t p) ≤ f + c₁ t gᵀp` and `|∇f(θ + t p)ᵀp| ≤ −c₂ gᵀp`.
enum StrongWolfe {
    struct Result {
        var value: Double
        var gradient: [Double]
        var step: Double
        var evaluations: Int
    }

    private struct Point {
        var step: Double, value: Double, gradient: [Double], slope: Double
    }

    /// Searches along `direction` from `start` (where the loss is `value`, its gradient
    /// `gradient` and `slope = gradientᵀdirection < 0`), beginning with `step`.
    /// `evaluate(θ)` returns the loss and gradient at θ.
    static func search(
        from start: [Double], direction: [Double], step initialStep: Double, value: Double, gradient: [Double], slope: Double,
        sufficientDecrease c1: Double = 1e-4, curvature c2: Double = 0.9, changeTolerance: Double = 1e-9, maximumTrials: Int = 25,
        evaluate: ([Double]) throws -> (Double, [Double])
    ) rethrows -> Result {
        let directionSize = direction.map(Swift.abs).max() ?? 0
        func at(_ t: Double) throws -> Point {
            let (f, g) = try evaluate(DenseVector.adding(start, direction, scaledBy: t))
            return Point(step: t, value: f, gradient: g, slope: DenseVector.dot(g, direction))
        }
        var t = initialStep
        var new = try at(t)
        var evaluations = 1
        var previous = Point(step: 0, value: value, gradient: gradient, slope: slope)
        var done = false
        var trials = 0
        var bracket: [Point] = []
        while trials < maximumTrials {
            if new.value > value + c1 * t * slope || (trials > 1 && new.value >= previous.value) {
                bracket = [previous, new]
                break
            }
            if Swift.abs(new.slope) <= -c2 * slope {
                bracket = [new]
                done = true
                break
            }
            if new.slope >= 0 {
                bracket = [previous, new]
                break
            }
            let minimumStep = t + 0.01 * (t - previous.step), maximumStep = t * 10
            let next = cubicMinimum(previous.step, previous.value, previous.slope, t, new.value, new.slope,
                                    bounds: (minimumStep, maximumStep))
            previous = new
            t = next
            new = try at(t)
            evaluations += 1
            trials += 1
        }
        if trials == maximumTrials {
            bracket = [Point(step: 0, value: value, gradient: gradient, slope: slope), new]
        }
        // Zoom.
        var insufficientProgress = false
        var (low, high) = bracket.count == 2 && bracket[0].value > bracket[1].value ? (1, 0) : (0, 1)
        while !done && trials < maximumTrials && bracket.count == 2 {
            if Swift.abs(bracket[1].step - bracket[0].step) * directionSize < changeTolerance { break }
            t = cubicMinimum(bracket[0].step, bracket[0].value, bracket[0].slope, bracket[1].step, bracket[1].value, bracket[1].slope)
            let upper = Swift.max(bracket[0].step, bracket[1].step), lower = Swift.min(bracket[0].step, bracket[1].step)
            let margin = 0.1 * (upper - lower)
            if Swift.min(upper - t, t - lower) < margin {
                if insufficientProgress || t >= upper || t <= lower {
                    t = Swift.abs(t - upper) < Swift.abs(t - lower) ? upper - margin : lower + margin
                    insufficientProgress = false
                } else {
                    insufficientProgress = true
                }
            } else {
                insufficientProgress = false
            }
            new = try at(t)
            evaluations += 1
            trials += 1
            if new.value > value + c1 * t * slope || new.value >= bracket[low].value {
                bracket[high] = new
                (low, high) = bracket[0].value <= bracket[1].value ? (0, 1) : (1, 0)
            } else {
                if Swift.abs(new.slope) <= -c2 * slope {
                    done = true
                } else if new.slope * (bracket[high].step - bracket[low].step) >= 0 {
                    bracket[high] = bracket[low]
                }
                bracket[low] = new
            }
        }
        let best = bracket.count == 1 ? bracket[0] : bracket[low]
        return Result(value: best.value, gradient: best.gradient, step: best.step, evaluations: evaluations)
    }

    /// The minimizer of the cubic through `(x1, f1)` and `(x2, f2)` with slopes `g1`, `g2`,
    /// clamped to `bounds` (default: between the two points); their midpoint when the cubic
    /// has no minimum.
    static func cubicMinimum(_ x1: Double, _ f1: Double, _ g1: Double, _ x2: Double, _ f2: Double, _ g2: Double,
                             bounds: (Double, Double)? = nil) -> Double {
        let (lower, upper) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1))
        let d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        let d2Square = d1 * d1 - g1 * g2
        guard d2Square >= 0 else { return (lower + upper) / 2 }
        let d2 = d2Square.squareRoot()
        let minimum = x1 <= x2
            ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
            : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return Swift.min(Swift.max(minimum, lower), upper)
    }
}
