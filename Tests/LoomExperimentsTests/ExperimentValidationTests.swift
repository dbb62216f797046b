import Foundation
import LoomTraining
import Testing

@testable import LoomExperiments

/// `experiment` after `change`.
private func changed<E: Experiment>(_ experiment: E, _ change: (inout E) -> Void) -> E {
    var copy = experiment
    change(&copy)
    return copy
}

/// The error `experiment.validate()` throws (nil when it accepts the experiment).
private func refusal(_ experiment: any Experiment) -> Error? {
    do {
        try experiment.validate()
        return nil
    } catch {
        return error
    }
}

/// An experiment that records whether it ran, and refuses itself when `isValid` is false.
private struct RecordingExperiment: Experiment {
    final class Log { var runs = 0 }
    static let name = "recording"
    var isValid: Bool
    let log = Log()
    var configuration: [ExperimentSetting] { [] }

    func validate() throws {
        if !isValid { throw ConfigurationError(field: "isValid", message: "must be true") }
    }

    func run(log print: (String) -> Void) throws -> ExperimentResult {
        log.runs += 1
        return ExperimentResult(experiment: Self.name, title: "", summary: "", configuration: [], verdicts: [], tables: [], figures: [])
    }
}

@Suite("Experiments: validation of their settings")
struct ExperimentValidationTests {
    /// Each case: a name, an experiment with one bad setting, and the field the error must name.
    static var refusals: [(name: String, experiment: any Experiment, field: String)] { [
        ("init-variance, depth 2", changed(InitVarianceExperiment()) { $0.depth = 2 }, "depth"),
        ("init-variance, a negative c", changed(InitVarianceExperiment()) { $0.scales = [1, -2] }, "scales"),
        ("init-variance, depth 100000 (the stack)", changed(InitVarianceExperiment()) { $0.depth = 100_000 }, "depth"),
        ("init-variance, 10⁹ inputs of the batch", changed(InitVarianceExperiment()) { $0.batchSize = 1_000_000_000 }, "batchSize"),
        ("zero-init, width 0", changed(ZeroInitExperiment()) { $0.hiddenWidths = [64, 0] }, "hiddenWidths"),
        ("zero-init, no hidden layer", changed(ZeroInitExperiment()) { $0.hiddenWidths = [] }, "hiddenWidths"),
        ("zero-init, limit 0", changed(ZeroInitExperiment()) { $0.data.limit = 0 }, "data.limit"),
        ("zero-init, epochs Int.max (epochs × batches overflows)", changed(ZeroInitExperiment()) { $0.epochs = .max }, "epochs"),
        ("weight-drift, a learning rate of ∞", changed(WeightDriftExperiment()) { $0.learningRate = .infinity }, "learningRate"),
        ("weight-drift, width 200000 (320 GB)", changed(WeightDriftExperiment()) { $0.widths = [32, 200_000] }, "widths"),
        ("weight-drift, no widths", changed(WeightDriftExperiment()) { $0.widths = [] }, "widths"),
        ("weight-drift, recorded every 0 steps", changed(WeightDriftExperiment()) { $0.recordEvery = 0 }, "recordEvery"),
        ("optimizers, momentum 1", changed(OptimizerExperiment()) { $0.momentum = 1 }, "momentum"),
        ("optimizers, 9 steps", changed(OptimizerExperiment()) { $0.steps = 9 }, "steps"),
        ("optimizers, a network too large for Newton", changed(OptimizerExperiment()) { $0.hiddenWidths = [100] }, "hiddenWidths"),
        ("optimizers, batch 0", changed(OptimizerExperiment()) { $0.batchSize = 0 }, "batchSize"),
        ("width-depth, depth -1", changed(WidthDepthExperiment()) { $0.depths = [1, -1] }, "depths"),
        ("width-depth, depth 100000 (the stack)", changed(WidthDepthExperiment()) { $0.depths = [100_000] }, "depths"),
        ("width-depth, limit 0", changed(WidthDepthExperiment()) { $0.data.limit = 0 }, "data.limit"),
        ("width-depth, widths whose parameter count overflows", changed(WidthDepthExperiment()) { $0.widths = [.max] }, "widths"),
        ("trainability, one depth", changed(TrainabilityExperiment()) { $0.depths = [8] }, "depths"),
        ("trainability, depth 0", changed(TrainabilityExperiment()) { $0.depths = [0, 8] }, "depths"),
        ("trainability, width 0", changed(TrainabilityExperiment()) { $0.width = 0 }, "width"),
        ("init-variance, 0 weight draws", changed(InitVarianceExperiment()) { $0.networks = 0 }, "networks"),
        ("init-variance, a tolerance below 1", changed(InitVarianceExperiment()) { $0.totalTolerance = 0.5 }, "totalTolerance"),
        ("weight-drift, closeness 0", changed(WeightDriftExperiment()) { $0.closeness = 0 }, "closeness"),
        ("optimizers, order 1 (linear counts as quadratic)", changed(OptimizerExperiment()) { $0.minimumOrder = 1 }, "minimumOrder"),
        ("hessian, a dense limit above Newton's", changed(HessianExperiment()) { $0.denseLimit = 1 << 20 }, "denseLimit"),
        ("hessian, epochs -1", changed(HessianExperiment()) { $0.epochs = -1 }, "epochs"),
        ("hessian, pooling 0", changed(HessianExperiment()) { $0.data.pooling = 0 }, "data.pooling"),
    ] }

    @Test("each experiment refuses a bad setting with a ConfigurationError naming the property", arguments: refusals.indices)
    func refusesBadSetting(_ index: Int) {
        let (name, experiment, field) = Self.refusals[index]
        let error = refusal(experiment)
        #expect((error as? ConfigurationError)?.field == field, "\(name): \(error.map { "\($0)" } ?? "accepted")")
        #expect((error as? ConfigurationError)?.message.isEmpty == false, "\(name)")
    }

    @Test("every experiment's defaults are valid, and so are the small grids the other tests use")
    func defaultsAreValid() {
        let experiments: [any Experiment] = [
            InitVarianceExperiment(), ZeroInitExperiment(), WeightDriftExperiment(), OptimizerExperiment(), WidthDepthExperiment(),
            TrainabilityExperiment(), HessianExperiment(),
            changed(OptimizerExperiment()) { $0.data = ExperimentData(limit: 150, pooling: 2); $0.steps = 30; $0.newtonSteps = 5 },
            changed(HessianExperiment()) { $0.data = ExperimentData(limit: 40, pooling: 2); $0.hiddenWidths = [2]; $0.epochs = 2 },
            changed(WidthDepthExperiment()) { $0.widths = [8, 32]; $0.depths = [1]; $0.epochs = 1 },
        ]
        for experiment in experiments {
            #expect(refusal(experiment) == nil, "\(type(of: experiment).name): \(refusal(experiment).map { "\($0)" } ?? "")")
        }
    }

    @Test("the size limits are the library's: loom train's parameter limit and Newton's dense-Hessian limit")
    func limitsAtTheBoundary() {
        // The spectrum needs only Hessian-vector products: any network loom train accepts, the
        // dense spectrum only up to Newton's limit.
        #expect(refusal(changed(HessianExperiment()) { $0.hiddenWidths = [2000] }) == nil)
        #expect((refusal(changed(HessianExperiment()) { $0.denseLimit = ExperimentLimits.maximumHessianParameterCount + 1 }) as? ConfigurationError)?.field == "denseLimit")
        #expect(refusal(changed(InitVarianceExperiment()) { $0.depth = ExperimentLimits.maximumDepth; $0.width = 8 }) == nil)
        #expect(ExperimentLimits.maximumParameterCount == TrainingRun.maximumParameterCount)
    }

    @Test("the runner validates first: an invalid experiment neither runs nor prints")
    func runnerRefusesInvalidExperiment() throws {
        var lines: [String] = []
        let invalid = RecordingExperiment(isValid: false)
        #expect(throws: ConfigurationError(field: "isValid", message: "must be true")) {
            try ExperimentRunner.run(invalid, directory: nil, charts: false) { lines.append($0) }
        }
        #expect(invalid.log.runs == 0)
        #expect(lines.isEmpty)

        let valid = RecordingExperiment(isValid: true)
        try ExperimentRunner.run(valid, directory: nil, charts: false) { lines.append($0) }
        #expect(valid.log.runs == 1)

        // A real one: init-variance at depth 2 stops before its first network is built.
        lines = []
        let error = #expect(throws: ConfigurationError.self) {
            try ExperimentRunner.run(changed(InitVarianceExperiment()) { $0.depth = 2 }, directory: nil, charts: false) { lines.append($0) }
        }
        #expect(error?.field == "depth")
        #expect(lines.isEmpty)
    }
}
