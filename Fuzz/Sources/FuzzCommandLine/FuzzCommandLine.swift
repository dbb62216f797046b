import ArgumentParser
import Foundation
import LoomCommandLine
import LoomExperiments
import LoomTraining

/// The first byte of an input that holds `loom experiment` arguments.
let experimentMarker: UInt8 = 0x01

/// One libFuzzer input, of three kinds by its first byte:
/// - `{`: a `config.json` (version 1 or 2), read as `--resume` reads it, which validates it;
/// - ``experimentMarker``: `loom experiment` arguments (a name, then its options) separated by
///   NUL bytes: parsed, the experiment built and validated, never run;
/// - anything else: `loom train` options separated by NUL bytes, mapped to a configuration.
///
/// Everything a user can type must be parsed, validated and turned into a schedule, a model
/// and an optimizer (or an experiment's settings), or be refused with an error; nothing may
/// trap or allocate by an unchecked number. No input trains or runs anything.
func fuzzCommandLine(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    switch bytes.first {
    case UInt8(ascii: "{"):
        guard let configuration = try? TrainingConfiguration.read(from: Data(bytes), source: "fuzz.json") else { return 0 }
        exercise(configuration)
    case experimentMarker:
        guard let experiment = try? ExperimentCommand.experiment(parsing: arguments(bytes.dropFirst())) else { return 0 }
        // What the runner prints and writes before running; validated, so it must not trap.
        _ = experiment.configuration
    default:
        guard let command = try? Train.parse(arguments(bytes[...])), let configuration = try? command.makeConfiguration() else { return 0 }
        exercise(configuration)
    }
    return 0
}

/// Command-line words: `bytes` split at NUL bytes (none for no bytes).
private func arguments(_ bytes: ArraySlice<UInt8>) -> [String] {
    bytes.isEmpty ? [] : bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
}

private func exercise(_ configuration: TrainingConfiguration) {
    guard (try? configuration.validate()) != nil,
          (try? TrainingRun.checkModelSize(configuration, inputFeatures: 4, classCount: 3,
                                            batchSize: configuration.resolvedBatchSize(trainingExamples: 1437))) != nil,
          let schedule = try? configuration.makeSchedule(epochs: configuration.resolvedEpochs(trainingExamples: 1437)) else { return }
    let epochs = configuration.resolvedEpochs(trainingExamples: 1437)
    for epoch in [0, 1, epochs / 2, epochs] {
        _ = schedule.learningRate(at: epoch)
    }
    // Building is cheap only for small networks; the size check has already bounded it.
    let hiddenWidths = configuration.model.hiddenWidths
    guard hiddenWidths.reduce(0, +) <= 4096, hiddenWidths.count <= 64 else { return }
    let model = configuration.makeModel(inputFeatures: 4, classCount: 3)
    _ = try? configuration.makeOptimizer(parameters: model.trainableParameters)
}
