import Loom
import LoomNN
import LoomTestSupport
import Testing

/// A module exercising every kind of stored member the reflection understands.
private final class Assorted: Module {
    let scale = Parameter(Tensor([2.0]))
    let missing: Linear? = nil
    let present: Parameter? = Parameter(Tensor([1.0, 2.0]))
    let pair: [Parameter] = [Parameter(Tensor([3.0])), Parameter(Tensor([4.0]))]
    let counters: [Buffer] = [Buffer(Tensor([0.0]))]
    let notAMember = 42
    let head: Linear

    init(generator: inout SeededGenerator) {
        head = Linear(inputFeatures: 2, outputFeatures: 1, using: &generator)
        super.init()
    }
}

@Suite("Module discovery and state")
struct ModuleTests {
    @Test("nested Sequential gives dotted paths in declaration order")
    func nestedPaths() {
        var generator = SeededGenerator(seed: 1)
        let model = Sequential(
            Linear(inputFeatures: 2, outputFeatures: 3, using: &generator),
            ReLU(),
            Sequential(Linear(inputFeatures: 3, outputFeatures: 4, using: &generator),
                       Linear(inputFeatures: 4, outputFeatures: 1, bias: false, using: &generator)))
        #expect(model.namedParameters().map(\.path) == [
            "layers.0.weight", "layers.0.bias", "layers.2.layers.0.weight", "layers.2.layers.0.bias", "layers.2.layers.1.weight",
        ])
        #expect(model.parameterCount() == (2 * 3 + 3) + (3 * 4 + 4) + 4)
        #expect(model.modules().count == 6)
        #expect(model.namedChildren().map(\.name) == ["layers.0", "layers.1", "layers.2"])
    }

    @Test("optionals, arrays and buffers are found; other properties are not")
    func assortedMembers() {
        var generator = SeededGenerator(seed: 2)
        let module = Assorted(generator: &generator)
        #expect(module.namedParameters().map(\.path) == ["scale", "present", "pair.0", "pair.1", "head.weight", "head.bias"])
        #expect(module.namedBuffers().map(\.path) == ["counters.0"])
        #expect(module.parameterCount() == 1 + 2 + 1 + 1 + 2 + 1)
    }

    @Test("a shared parameter or module appears once, at its first path")
    func sharedParameter() {
        let shared = Linear(inputFeatures: 2, outputFeatures: 2, seed: 3)
        let model = Sequential(shared, Tanh(), shared)
        #expect(model.namedParameters().map(\.path) == ["layers.0.weight", "layers.0.bias"])
        #expect(model.parameterCount() == 6)
        let norm = BatchNorm1d(features: 2)
        #expect(Sequential(norm, norm).namedBuffers().map(\.path) == ["layers.0.runningMean", "layers.0.runningVariance"])
    }

    @Test("buffers are not parameters and have dotted paths")
    func buffers() {
        let model = Sequential(Linear(inputFeatures: 3, outputFeatures: 2, seed: 4), BatchNorm1d(features: 2))
        #expect(model.namedBuffers().map(\.path) == ["layers.1.runningMean", "layers.1.runningVariance"])
        #expect(model.namedParameters().map(\.path) == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"])
        #expect(model.buffers.allSatisfy { !$0.value.requiresGradient })
    }

    @Test("a buffer drops the graph of an assigned value")
    func bufferIsDetached() {
        var leaf = Tensor([1.0, 2.0])
        leaf.requiresGradient = true
        let buffer = Buffer(leaf * 2)
        #expect(!buffer.value.requiresGradient)
        buffer.value = leaf * 3
        #expect(!buffer.value.requiresGradient)
        #expect(buffer.value.asArray(Double.self) == [3, 6])
    }

    @Test("train() and evaluate() reach every descendant")
    func modePropagation() {
        var generator = SeededGenerator(seed: 5)
        let model = MLPResNet(inputFeatures: 4, hiddenFeatures: 4, blockCount: 2, classCount: 2, using: &generator)
        #expect(model.modules().allSatisfy { $0.isTraining })
        model.evaluate()
        #expect(model.modules().allSatisfy { !$0.isTraining })
        #expect(model.modules().contains { $0 is Dropout } && model.modules().contains { $0 is BatchNorm1d })
        model.train()
        #expect(model.modules().allSatisfy { $0.isTraining })
    }

    @Test("a frozen parameter gets no gradient; zeroGradients clears the others")
    func freezing() {
        let layer = Linear(inputFeatures: 3, outputFeatures: 2, seed: 6)
        layer.weight.isFrozen = true
        #expect(layer.parameterCount(trainableOnly: true) == 2)
        #expect(layer.trainableParameters.count == 1)
        let x = Tensor([[1.0, 2.0, 3.0]])
        layer(x).sum().backward()
        #expect(layer.weight.gradient == nil)
        #expect(layer.bias!.gradient?.asArray(Double.self) == [1, 1])
        layer.zeroGradients()
        #expect(layer.bias!.gradient == nil)

        layer.freeze()
        #expect(layer.parameterCount(trainableOnly: true) == 0)
        #expect(!layer(x).requiresGradient)
        layer.unfreeze()
        layer(x).sum().backward()
        #expect(layer.weight.gradient != nil)
    }

    @Test("gradients accumulate over backward passes until zeroed")
    func accumulation() {
        let layer = Linear(inputFeatures: 2, outputFeatures: 1, seed: 7)
        let x = Tensor([[1.0, -2.0]])
        layer(x).sum().backward()
        layer(x).sum().backward()
        #expect(layer.weight.gradient?.asArray(Double.self) == [2, -4])
        layer.zeroGradients()
        #expect(layer.weight.gradient == nil)
    }
}
