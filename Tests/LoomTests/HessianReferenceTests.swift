import Loom
import Testing

/// The Hessian of a small MLP's loss in float64 against reference numbers produced once by an
/// independent implementation (PyTorch; see `Scripts/reference/hessian_mlp.py`, which wrote
/// `Fixtures/HessianMLPFixture.swift` and `Scripts/reference/hessian_mlp.json`).
///
/// The loss is rebuilt here as a function of the flattened parameter vector
/// θ = (W1, b1, W2, b2), each row-major, in the lecture's convention
/// `Z_{i+1} = σ(Z_i W_i + 1 b_iᵀ)` with `W_i` stored [in, out] and the last layer linear.
@Suite("Hessian of an MLP loss against PyTorch reference numbers")
struct HessianReferenceTests {
    /// Relative tolerance, scaled by the largest magnitude of the reference quantity.
    /// Both sides are float64 and differ only in rounding (observed ≈ 1e-16).
    static let relative = 1e-10

    // MARK: - The loss, rebuilt in Loom

    enum CrossEntropyForm: Sendable, CaseIterable { case gathered, oneHot }

    /// W1, b1, W2, b2, … as views (slices + reshapes) of θ, so the gradient flows back to θ.
    static func parameters(_ theta: Tensor, layerSizes: [Int]) -> [Tensor] {
        var parts: [Tensor] = []
        var offset = 0
        for (nIn, nOut) in zip(layerSizes.dropLast(), layerSizes.dropFirst()) {
            parts.append(theta[offset..<(offset + nIn * nOut)].reshaped([nIn, nOut]))
            offset += nIn * nOut
            parts.append(theta[offset..<(offset + nOut)])
            offset += nOut
        }
        precondition(offset == theta.count, "θ has \(theta.count) elements, the layers need \(offset)")
        return parts
    }

    /// The case's mean loss as a function of θ.
    static func lossFunction(
        _ reference: HessianMLPReferenceCase, crossEntropy: CrossEntropyForm = .gathered
    ) -> (Tensor) -> Tensor {
        let x = Tensor(shape: reference.inputShape, scalars: reference.inputs)
        // Only the loss's own data exists (the other array of the fixture is empty).
        let labels = reference.loss == .softmaxCrossEntropy
            ? Tensor(shape: [reference.labels.count, 1], scalars: reference.labels) : nil
        let targets = reference.loss == .meanSquaredError
            ? Tensor(shape: reference.targetShape, scalars: reference.targets) : nil
        let layerCount = reference.layerSizes.count - 1
        return { theta in
            let parts = parameters(theta, layerSizes: reference.layerSizes)
            var z = x
            for layer in 0..<layerCount {
                let preactivation = z.matmul(parts[2 * layer]) + parts[2 * layer + 1]
                if layer == layerCount - 1 {
                    z = preactivation
                } else {
                    switch reference.activation {
                    case .tanh: z = preactivation.tanh()
                    case .relu: z = preactivation.relu()
                    }
                }
            }
            switch reference.loss {
            case .softmaxCrossEntropy:
                let labels = labels!, logProbabilities = z.logSoftmax(alongAxis: 1)
                switch crossEntropy {
                case .gathered:
                    return -logProbabilities.gathered(labels, alongAxis: 1).mean()
                case .oneHot:
                    let classCount = reference.layerSizes.last!
                    let hot = Tensor.oneHot(labels.reshaped([-1]), classCount: classCount, dtype: .float64)
                    return -(logProbabilities * hot).sum(alongAxis: 1).mean()
                }
            case .meanSquaredError:
                let difference = z - targets!
                return (difference * difference).mean()
            }
        }
    }

    static func theta(_ reference: HessianMLPReferenceCase) -> Tensor {
        Tensor(shape: [reference.theta.count], scalars: reference.theta)
    }

    // MARK: - Comparison helpers

    /// Largest |a − e| and the tolerance `relative · max(1e-300, max |e|)`; records an issue
    /// naming the worst element when the bound is exceeded.
    @discardableResult
    static func expectClose(
        _ actual: [Double], _ expected: [Double], _ what: String,
        relative: Double = HessianReferenceTests.relative,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> (maxAbs: Double, maxRel: Double) {
        guard actual.count == expected.count else {
            Issue.record("\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
            return (.infinity, .infinity)
        }
        let scale = expected.map(Swift.abs).max() ?? 0
        var worst = 0, maxAbs = 0.0
        for i in actual.indices {
            let error = Swift.abs(actual[i] - expected[i])
            if !(error <= maxAbs) { maxAbs = error; worst = i }  // catches NaN too
        }
        let tolerance = relative * Swift.max(scale, 1e-300)
        #expect(maxAbs <= tolerance,
                "\(what): max |error| \(maxAbs) at element \(worst) (got \(actual[worst]), expected \(expected[worst])), tolerance \(tolerance)",
                sourceLocation: sourceLocation)
        return (maxAbs, scale > 0 ? maxAbs / scale : maxAbs)
    }

    /// H·v for the row-major n×n `matrix`.
    static func multiply(_ matrix: [Double], _ vector: [Double]) -> [Double] {
        let n = vector.count
        return (0..<n).map { row in (0..<n).reduce(0.0) { $0 + matrix[row * n + $1] * vector[$1] } }
    }

    /// A few fixed directions: a dense pseudo-random one, a basis vector, and an alternating one.
    static func directions(count n: Int) -> [[Double]] {
        var dense = [Double](repeating: 0, count: n)
        var basis = [Double](repeating: 0, count: n)
        var alternating = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let residue = Double((i * 7 + 3) % 11)
            dense[i] = residue / 11.0 - 0.4
            let sign: Double = i % 2 == 0 ? 1.0 : -1.0
            alternating[i] = sign * (1.0 + Double(i) / Double(n))
        }
        basis[n / 2] = 1
        return [dense, basis, alternating]
    }

    // MARK: - Tests

    @Test("the fixture is self-consistent", arguments: HessianMLPFixture.all.map(\.name))
    func fixtureShapes(name: String) {
        let reference = HessianMLPFixture.all.first { $0.name == name }!
        let sizes = reference.layerSizes
        let p = zip(sizes.dropLast(), sizes.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 + $1.1 }
        #expect(reference.theta.count == p)
        #expect(reference.gradient.count == p)
        #expect(reference.hessian.count == p * p)
        #expect(reference.inputs.count == reference.inputShape.reduce(1, *))
        #expect(reference.inputShape == [reference.inputShape[0], sizes[0]])
    }

    @Test("loss, gradient and Hessian match PyTorch in float64", arguments: HessianMLPFixture.all.map(\.name))
    func matchesReference(name: String) {
        let reference = HessianMLPFixture.all.first { $0.name == name }!
        let f = Self.lossFunction(reference)
        let point = Self.theta(reference)
        let p = point.count

        let (value, gradient) = valueWithGradient(at: point, of: f)
        #expect(value.dtype == .float64 && gradient.dtype == .float64)
        #expect(gradient.shape == [p])
        let loss = Self.expectClose([value.item(Double.self)], [reference.lossValue], "\(name) loss", relative: 1e-13)
        let grad = Self.expectClose(gradient.asArray(Double.self), reference.gradient, "\(name) gradient")
        // `gradient(at:of:)` is the same computation as `valueWithGradient`; check it anyway.
        Self.expectClose(Loom.gradient(at: point, of: f).asArray(Double.self), reference.gradient, "\(name) gradient(at:of:)")

        let hessian = Loom.hessian(of: f, at: point)
        #expect(hessian.shape == [p, p])
        #expect(hessian.dtype == .float64)
        let h = Self.expectClose(hessian.asArray(Double.self), reference.hessian, "\(name) Hessian")
        print("HessianReference \(name): P = \(p); loss |err| \(loss.maxAbs); gradient max |err| \(grad.maxAbs) (rel \(grad.maxRel)); Hessian max |err| \(h.maxAbs) (rel to max|H| \(h.maxRel))")
    }

    @Test("the Hessian is symmetric", arguments: HessianMLPFixture.all.map(\.name))
    func symmetric(name: String) {
        let reference = HessianMLPFixture.all.first { $0.name == name }!
        let hessian = Loom.hessian(of: Self.lossFunction(reference), at: Self.theta(reference))
        let values = hessian.asArray(Double.self)
        let transposed = hessian.transposed().asArray(Double.self)
        let scale = reference.hessian.map(Swift.abs).max()!
        let asymmetry = zip(values, transposed).map { Swift.abs($0 - $1) }.max()!
        #expect(asymmetry <= 1e-12 * scale, "\(name): max |H − Hᵀ| = \(asymmetry)")
        print("HessianReference \(name): max |H − Hᵀ| = \(asymmetry)")
    }

    @Test("hessianVectorProduct equals H·v", arguments: HessianMLPFixture.all.map(\.name))
    func hessianVectorProducts(name: String) {
        let reference = HessianMLPFixture.all.first { $0.name == name }!
        let f = Self.lossFunction(reference)
        let point = Self.theta(reference)
        let loomHessian = Loom.hessian(of: f, at: point).asArray(Double.self)
        for (index, v) in Self.directions(count: point.count).enumerated() {
            let direction = Tensor(shape: [v.count], scalars: v)
            let product = hessianVectorProduct(of: f, at: point, direction: direction)
            #expect(product.shape == point.shape)
            let expected = Self.multiply(reference.hessian, v)
            let e = Self.expectClose(product.asArray(Double.self), expected, "\(name) HVP direction \(index) vs reference H·v")
            Self.expectClose(product.asArray(Double.self), Self.multiply(loomHessian, v), "\(name) HVP direction \(index) vs Loom H·v")
            print("HessianReference \(name): HVP direction \(index) max |err| \(e.maxAbs) (rel \(e.maxRel))")
        }
    }

    @Test("cross-entropy through oneHot gives the same Hessian as through gather")
    func oneHotForm() {
        let reference = HessianMLPFixture.tanhCrossEntropy
        let f = Self.lossFunction(reference, crossEntropy: .oneHot)
        let point = Self.theta(reference)
        Self.expectClose([f(point).item(Double.self)], [reference.lossValue], "oneHot loss", relative: 1e-13)
        Self.expectClose(Loom.gradient(at: point, of: f).asArray(Double.self), reference.gradient, "oneHot gradient")
        Self.expectClose(Loom.hessian(of: f, at: point).asArray(Double.self), reference.hessian, "oneHot Hessian")
    }
}
