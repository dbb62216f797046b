import ArgumentParser
import Foundation
import LoomExperiments

/// One libFuzzer input: either a `config.json` (input starting with `{`), as `--resume`
/// reads it, or `loom train` options separated by NUL bytes. Everything a user can type must
/// be parsed, validated and turned into a schedule, a model and an optimizer, or be refused
/// with an error; nothing may trap or allocate by an unchecked number.
func fuzzCommandLine(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let configuration: TrainingConfiguration
    if bytes.first == UInt8(ascii: "{") {
        guard let decoded = try? JSONDecoder().decode(TrainingConfiguration.self, from: Data(bytes)) else { return 0 }
        configuration = decoded
    } else {
        let arguments = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard let command = try? Train.parse(arguments), let made = try? command.makeConfiguration() else { return 0 }
        configuration = made
    }
    exercise(configuration)
    return 0
}

private func exercise(_ configuration: TrainingConfiguration) {
    guard (try? configuration.validate()) != nil,
          (try? TrainingRun.checkModelSize(configuration, inputFeatures: 4, classCount: 3)) != nil,
          let schedule = try? configuration.makeSchedule() else { return }
    for epoch in [0, 1, configuration.epochs / 2, configuration.epochs] {
        _ = schedule.learningRate(at: epoch)
    }
    // Building is cheap only for small networks; the size check has already bounded it.
    guard configuration.hiddenWidths.reduce(0, +) <= 4096, configuration.hiddenWidths.count <= 64 else { return }
    let model = configuration.makeModel(inputFeatures: 4, classCount: 3)
    _ = try? configuration.makeOptimizer(parameters: model.trainableParameters)
}
