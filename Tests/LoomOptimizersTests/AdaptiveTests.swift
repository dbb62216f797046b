import Loom
import LoomNN
@testable import LoomOptimizers
import Testing

/// Single steps of Adam, AdamW, RMSProp and Adagrad against hand-computed values.
@Suite("Adaptive optimizers, single steps")
struct AdaptiveTests {
    /// Steps a one-element float64 parameter from `start` with the given gradients.
    func run(_ start: Double, gradients: [Double], _ make: ([Parameter]) throws -> any Optimizer) throws -> Double {
        let parameter = Parameter(Tensor([start], dtype: .float64))
        let optimizer = try make([parameter])
        for g in gradients {
            parameter.gradient = Tensor([g], dtype: .float64)
            optimizer.step()
        }
        return parameter.value.item(Double.self)
    }

    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-14 * max(1, abs(b)) }

    @Test("Adam: the first bias-corrected step is α g / (|g| + ε); without correction, α (1 − β₁) g / (√(1 − β₂) |g| + ε)")
    func adamFirstStep() throws {
        let corrected = try run(1, gradients: [0.5]) { try Adam(parameters: $0, learningRate: 0.1) }
        #expect(close(corrected, 1 - 0.1 * 0.5 / (0.5 + 1e-8)))
        let raw = try run(1, gradients: [0.5]) { try Adam(parameters: $0, learningRate: 0.1, biasCorrection: false) }
        #expect(close(raw, 1 - 0.1 * 0.05 / (0.001.squareRoot() * 0.5 + 1e-8)))
    }

    @Test("Adam: two steps with coupled weight decay, by hand")
    func adamTwoSteps() throws {
        let (alpha, b1, b2, eps, lambda) = (0.1, 0.5, 0.75, 0.01, 0.2)
        var theta = 1.0, m = 0.0, v = 0.0
        for (t, g) in [1.0, -2.0].enumerated() {
            let gi = g + lambda * theta
            m = b1 * m + (1 - b1) * gi
            v = b2 * v + (1 - b2) * gi * gi
            let mHat = m / (1 - integerPower(b1, t + 1)), vHat = v / (1 - integerPower(b2, t + 1))
            theta -= alpha * mHat / (vHat.squareRoot() + eps)
        }
        let actual = try run(1, gradients: [1, -2]) {
            try Adam(parameters: $0, learningRate: alpha, beta1: b1, beta2: b2, epsilon: eps, weightDecay: lambda)
        }
        #expect(close(actual, theta), "\(actual) vs \(theta)")
    }

    @Test("AMSGrad divides by the running maximum of v")
    func amsgrad() {
        // g = 1 then 0: v₂ = β₂ v₁ < v₁, so the maximum stays v₁.
        var p = [1.0], m = [0.0], v = [0.0], vMax = [0.0]
        let c = Adam.Coefficients(stepSize: 0.1, beta1: 0.9, beta2: 0.5, epsilon: 0, secondMomentCorrectionRoot: 1)
        for g in [1.0, 0.0] {
            p.withUnsafeMutableBufferPointer { p in
                [g].withUnsafeBufferPointer { g in
                    m.withUnsafeMutableBufferPointer { m in
                        v.withUnsafeMutableBufferPointer { v in
                            vMax.withUnsafeMutableBufferPointer { Adam.update(parameter: p, gradient: g, firstMoment: m,
                                                                              secondMoment: v, maximumSecondMoment: $0, coefficients: c) }
                        }
                    }
                }
            }
        }
        #expect(v == [0.25] && vMax == [0.5] && close(m[0], 0.09))
        let afterFirst = 1 - 0.1 * 0.1 / 0.5.squareRoot()
        #expect(close(p[0], afterFirst - 0.1 * 0.09 / 0.5.squareRoot()))
    }

    @Test("AdamW shrinks θ by (1 − αλ) before the step, and the decay does not enter m")
    func adamWDecay() throws {
        // g = 0: m stays 0, so only the decay moves θ.
        let decayed = try run(2, gradients: [0, 0]) { try AdamW(parameters: $0, learningRate: 0.1, weightDecay: 0.5) }
        #expect(close(decayed, 2 * 0.95 * 0.95))
        let adamW = try run(1, gradients: [0.5]) { try AdamW(parameters: $0, learningRate: 0.1, weightDecay: 0.5) }
        #expect(close(adamW, 0.95 - 0.1 * 0.5 / (0.5 + 1e-8)))
    }

    @Test("RMSProp: first steps of the plain, centered and momentum forms, by hand")
    func rmsprop() throws {
        let (alpha, lr, eps) = (0.9, 0.01, 1e-8)
        let plain = try run(1, gradients: [2]) { try RMSProp(parameters: $0, learningRate: lr, alpha: alpha, epsilon: eps) }
        #expect(close(plain, 1 - lr * 2 / ((0.1 * 4).squareRoot() + eps)))
        let centered = try run(1, gradients: [2]) {
            try RMSProp(parameters: $0, learningRate: lr, alpha: alpha, epsilon: eps, centered: true)
        }
        // s − ḡ² = 0.1·4 − (0.1·2)² = 0.36.
        #expect(close(centered, 1 - lr * 2 / (0.36.squareRoot() + eps)))
        let momentum = try run(1, gradients: [2, 2]) {
            try RMSProp(parameters: $0, learningRate: lr, alpha: alpha, epsilon: eps, momentum: 0.5)
        }
        let b1 = 2 / ((0.4).squareRoot() + eps), b2 = 0.5 * b1 + 2 / ((0.9 * 0.4 + 0.4).squareRoot() + eps)
        #expect(close(momentum, 1 - lr * b1 - lr * b2))
    }

    @Test("Adagrad: the sum starts at the initial value, and the rate decays as α / (1 + (t − 1)δ)")
    func adagrad() throws {
        let actual = try run(1, gradients: [1, 2]) {
            try Adagrad(parameters: $0, learningRate: 0.1, learningRateDecay: 0.5, initialAccumulatorValue: 3, epsilon: 0.01)
        }
        let first = 1 - 0.1 * 1 / (4.0.squareRoot() + 0.01)
        let second = first - 0.1 / 1.5 * 2 / (8.0.squareRoot() + 0.01)
        #expect(close(actual, second))
    }
}
