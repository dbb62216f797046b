import Loom
import LoomNN
import LoomTestSupport
import Testing

@Suite("MLP and MLPResNet")
struct MLPTests {
    @Test("MLP layers: Linear → norm → activation → dropout per hidden layer, bare last Linear")
    func structure() {
        var generator = SeededGenerator(seed: 1)
        let model = MLP(widths: [4, 8, 6, 3], activation: .tanh, normalization: .batch, dropout: 0.2, using: &generator)
        let kinds = model.layers.map { "\(type(of: $0))" }
        #expect(kinds == ["Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear"])
        #expect(model.linearLayers.map(\.weight.shape) == [[4, 8], [8, 6], [6, 3]])
        #expect(model.namedParameters().first?.path == "layers.0.weight")
        #expect(model.namedParameters().last?.path == "layers.8.bias")
        #expect(model.parameterCount() == (4 * 8 + 8) + 16 + (8 * 6 + 6) + 12 + (6 * 3 + 3))
        #expect(model(Tensor.ones([5, 4])).shape == [5, 3])

        let plain = MLP(widths: [2, 3], using: &generator)
        #expect(plain.layers.count == 1 && plain.layers[0] is Linear)
        let layered = MLP(widths: [2, 3, 1], activation: .relu, normalization: .layer, using: &generator)
        #expect(layered.layers.map { "\(type(of: $0))" } == ["Linear", "LayerNorm1d", "ReLU", "Linear"])
    }

    @Test("the default initializer is Kaiming normal with the activation's gain")
    func defaultInitializer() {
        var a = SeededGenerator(seed: 2), b = SeededGenerator(seed: 2)
        let model = MLP(widths: [3, 4], activation: .tanh, using: &a)
        let reference = Initializer.kaimingNormal(nonlinearity: .tanh).tensor([3, 4], using: &b)
        #expect(model.linearLayers[0].weight.value.asArray(Float.self) == reference.asArray(Float.self))
    }

    /// One cross-entropy backward pass through a 3-layer MLP with `initializer`.
    static func backwardPass(activation: Activation, initializer: Initializer) -> (model: MLP, hidden: Tensor) {
        var generator = SeededGenerator(seed: 3)
        let model = MLP(widths: [4, 5, 5, 3], activation: activation, initializer: initializer, using: &generator)
        let x = Tensor.normal([6, 4], using: &generator)
        let labels = Tensor([0, 0, 0, 1, 1, 2], dtype: .int64)
        softmaxCrossEntropy(logits: model(x), labels: labels).backward()
        let hidden = model.layers[0 ... 1].reduce(x) { $1($0) }
        return (model, hidden)
    }

    @Test("zero weights: every gradient but the last bias's is zero",
          arguments: [Activation.relu, .tanh])
    func zeroInitialization(activation: Activation) {
        let (model, _) = Self.backwardPass(activation: activation, initializer: .zeros)
        let linears = model.linearLayers
        for (i, layer) in linears.enumerated() {
            #expect(layer.weight.gradient!.asArray(Double.self).allSatisfy { $0 == 0 }, "layer \(i) weight")
        }
        for layer in linears.dropLast() {
            #expect(layer.bias!.gradient!.asArray(Double.self).allSatisfy { $0 == 0 })
        }
        // Only the last bias learns: toward the class frequencies, softmax(0) − mean one-hot
        // = 1/3 − [1/2, 1/3, 1/6].
        assertClose(linears.last!.bias!.gradient!, [-1.0 / 6, 0, 1.0 / 6], relative: 1e-6, absolute: 1e-7)
    }

    @Test("constant weights make every hidden unit identical, in value and gradient")
    func constantInitialization() {
        let (model, hidden) = Self.backwardPass(activation: .tanh, initializer: .constant(0.1))
        let h = hidden.asArray(Double.self)
        for row in 0..<6 { #expect(Set(h[(row * 5)..<(row * 5 + 5)]).count == 1, "row \(row): \(h[(row * 5)..<(row * 5 + 5)])") }
        #expect(h.contains { $0 != 0 })
        // ∂W₁ = xᵀ δ with identical δ columns: each row of the [4, 5] gradient is constant.
        let g = model.linearLayers[0].weight.gradient!.asArray(Double.self)
        for row in 0..<4 { #expect(Set(g[(row * 5)..<(row * 5 + 5)]).count == 1) }
        #expect(g.contains { $0 != 0 })
    }

    @Test("MLPResNet has needle's structure, parameter count and output shape")
    func resNet() {
        var generator = SeededGenerator(seed: 4)
        let model = MLPResNet(inputFeatures: 10, hiddenFeatures: 8, blockCount: 2, classCount: 3, using: &generator)
        #expect(model.layers.map { "\(type(of: $0))" } == ["Linear", "ReLU", "Sequential", "Sequential", "Linear"])
        let block = model.layers[2] as! Sequential
        #expect(block.layers[0] is Residual && block.layers[1] is ReLU)
        let body = (block.layers[0] as! Residual).body as! Sequential
        #expect(body.layers.map { "\(type(of: $0))" } == ["Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear", "BatchNorm1d"])
        #expect(model.namedParameters().map(\.path).contains("layers.2.layers.0.body.layers.0.weight"))
        // 10·8+8, then per block Linear(8→4) 36 + BN(4) 8 + Linear(4→8) 40 + BN(8) 16, then 8·3+3.
        #expect(model.parameterCount() == 88 + 2 * 100 + 27)
        #expect(model.namedBuffers().count == 2 * 2 * 2)
        #expect(model(Tensor.normal([5, 10], using: &generator)).shape == [5, 3])
        model.evaluate()
        #expect(model(Tensor.normal([1, 10], using: &generator)).shape == [1, 3])
        let bare = MLPResNet(inputFeatures: 10, hiddenFeatures: 8, blockCount: 1, normalization: .none, dropout: 0, using: &generator)
        let bareBody = ((bare.layers[2] as! Sequential).layers[0] as! Residual).body as! Sequential
        #expect(bareBody.layers.map { "\(type(of: $0))" } == ["Linear", "ReLU", "Linear"])
    }

    /// Sequential runs a Linear followed by a ReLU as one fused GEMM (`affineReLU`): the
    /// outputs and every parameter's gradient must equal the layers applied one by one, bit
    /// for bit, including a hidden unit that is dead for the whole batch.
    @Test("Sequential's fused Linear → ReLU equals the layers applied one by one")
    func fusedLinearReLUMatchesLayerByLayer() {
        for dtype in [DType.float32, .float64] {
            var generator = SeededGenerator(seed: 9)
            let model = MLP(widths: [6, 32, 16, 4], dtype: dtype, using: &generator)
            // Unit 3 of the first hidden layer never fires: its bias is far below any input.
            let firstBias = model.linearLayers[0].bias!
            firstBias.value = withoutGradients { firstBias.value + Tensor.oneHot(Tensor([3], dtype: .int64), classCount: 32, dtype: dtype)[0] * -100 }
            let x = Tensor.normal([33, 6], dtype: dtype, using: &generator)
            let labels = Tensor(shape: [33], scalars: (0..<33).map { Int64($0 % 4) })

            model.zeroGradients()
            let fusedLogits = model(x)
            softmaxCrossEntropy(logits: fusedLogits, labels: labels).backward()
            let fusedGradients = model.parameters.map { $0.gradient!.asArray(Double.self) }

            model.zeroGradients()
            let stepwiseLogits = model.layers.reduce(x) { $1($0) }
            softmaxCrossEntropy(logits: stepwiseLogits, labels: labels).backward()
            let stepwiseGradients = model.parameters.map { $0.gradient!.asArray(Double.self) }

            #expect(fusedLogits.asArray(Double.self) == stepwiseLogits.asArray(Double.self), "\(dtype)")
            #expect(fusedGradients == stepwiseGradients, "\(dtype)")
            // The dead unit gets no gradient; live units do.
            let biasGradient = fusedGradients[1]
            #expect(biasGradient[3] == 0 && biasGradient.filter { $0 != 0 }.count > 16, "\(dtype): \(biasGradient)")
        }
    }

    @Test("a few hand-written SGD steps reduce the loss of a small MLP")
    func learns() {
        var generator = SeededGenerator(seed: 5)
        let model = MLP(widths: [2, 16, 2], using: &generator)
        let x = Tensor.normal([64, 2], using: &generator)
        // Label: whether the point lies in the first or third quadrant (not linearly separable).
        let labels = Tensor(shape: [64], scalars: x.asArray(Float.self).chunked2().map { Int64($0 * $1 > 0 ? 1 : 0) })
        func loss() -> Tensor { softmaxCrossEntropy(logits: model(x), labels: labels) }
        let initial = loss().item(Double.self)
        for _ in 0..<200 {
            model.zeroGradients()
            loss().backward()
            withoutGradients {
                for parameter in model.parameters { parameter.value = parameter.value - parameter.gradient! * 0.5 }
            }
        }
        let final = loss().item(Double.self)
        #expect(final < initial * 0.5, "loss \(initial) → \(final)")
    }
}

private extension Array where Element == Float {
    /// Consecutive pairs.
    func chunked2() -> [(Float, Float)] { stride(from: 0, to: count - 1, by: 2).map { (self[$0], self[$0 + 1]) } }
}
