import Foundation
import Loom
import LoomData
import LoomNN
import LoomOptimizers

// Data: the 8×8 digits bundled with Loom, pixels scaled to [0, 1], flattened to 64 inputs.
let digits = try ImageDataset.digits.load()
let loader = DataLoader(digits.train, batchSize: 32, shuffles: true, seed: 0)

// Model: the lecture's network z_{i+1} = σ(W_iᵀ z_i + b_i), W_i stored [in, out], Kaiming init.
var generator = SeededGenerator(seed: 0)
let model = MLP(widths: [64, 128, 10], activation: .relu, using: &generator)

// Optimizer: Adam with bias correction (the default).
let optimizer = try Adam(parameters: model.trainableParameters, learningRate: 1e-3)

// The loop: forward, loss, backward, step, over shuffled minibatches.
for epoch in 0..<10 {
    model.train()
    var lossSum = 0.0
    for batch in loader.batches(epoch: epoch) {
        optimizer.zeroGradients()
        let loss = softmaxCrossEntropy(logits: model(batch.inputs), labels: batch.labels)
        loss.backward()
        optimizer.step()
        lossSum += Double(loss.item(Float.self)) * Double(batch.labels.count)
    }
    print("epoch \(epoch + 1): train loss \(lossSum / Double(digits.train.count))")
}

// Evaluation: the share of test images whose most probable class is the label.
func accuracy(of model: MLP, on data: LabeledDataset) -> Double {
    model.evaluate()
    let predicted = withoutGradients { model(data.inputs).argmax(alongAxis: 1) }.asArray(Int64.self)
    let labels = data.labels.asArray(Int64.self)
    return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
}
print("test accuracy \(accuracy(of: model, on: digits.test))")

// Checkpoint: the weights as safetensors (readable by Python's `safetensors` too), loaded
// into a freshly built network of the same shape.
let file = FileManager.default.temporaryDirectory.appendingPathComponent("digits-mlp.safetensors")
try SafeTensors.write(model.stateDictionary(), to: file)
let restored = MLP(widths: [64, 128, 10], activation: .relu, using: &generator)
try restored.loadStateDictionary(SafeTensors.read(from: file).tensors, source: file.path)

// Prediction: class probabilities for the first test image.
restored.evaluate()
let image = digits.test.inputs(at: [0])
let probabilities = withoutGradients { restored(image).softmax(alongAxis: 1) }.asArray(Float.self)
let best = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
print("first test image: class \(best) with probability \(probabilities[best]) (label \(digits.test.labels.asArray(Int64.self)[0]))")
precondition(accuracy(of: restored, on: digits.test) == accuracy(of: model, on: digits.test), "the checkpoint did not restore the model")
