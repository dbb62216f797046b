import Foundation
import LoomExperiments
import Testing

@testable import LoomCommandLine

/// `loom experiment NAME` only maps flags: defaults and validation are the experiments' own.
@Suite("loom experiment: flags map to the experiment")
struct ExperimentCommandTests {
    /// The one line the tool prints for `arguments`, or nil when they are accepted.
    func refusal(_ arguments: [String]) -> String? {
        do {
            _ = try ExperimentCommand.experiment(parsing: arguments)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("a refused value is reported naming the flag that set it", arguments: [
        (["init-variance", "--depth", "2"], "--depth: must be at least 3, got 2"),
        (["zero-init", "--limit", "0"], "--limit: must be at least 1, got 0"),
        (["weight-drift", "--learning-rate=-1"], "--learning-rate: must be positive and finite, got -1.0"),
        (["optimizers", "--adam-learning-rate", "0"], "--adam-learning-rate: must be positive and finite, got 0.0"),
        (["width-depth", "--limit", "0"], "--limit: must be at least 1, got 0"),
        (["hessian", "--hidden", "0"], "--hidden: must be positive, got 0"),
    ])
    func refusalNamesTheFlag(_ arguments: [String], _ message: String) {
        #expect(refusal(arguments) == message)
    }

    @Test("a flag not given leaves the experiment's default; a flag given sets only its property")
    func unsetFlagsKeepDefaults() throws {
        let zero = try #require(try ExperimentCommand.experiment(parsing: ["zero-init", "--epochs", "3"]) as? ZeroInitExperiment)
        #expect(zero.epochs == 3)
        #expect(zero.hiddenWidths == ZeroInitExperiment().hiddenWidths && zero.learningRate == ZeroInitExperiment().learningRate)
        // hessian's own default limit (500 examples) survives flags that do not set it.
        let hessian = try #require(try ExperimentCommand.experiment(parsing: ["hessian", "--dataset", "digits"]) as? HessianExperiment)
        #expect(hessian.data.limit == HessianExperiment().data.limit)
        let optimizers = try #require(try ExperimentCommand.experiment(parsing: ["optimizers", "--hidden", "4", "--l2", "0"]) as? OptimizerExperiment)
        #expect(optimizers.hiddenWidths == [4] && optimizers.l2 == 0 && optimizers.steps == OptimizerExperiment().steps)
    }

    @Test("fields map to the flags the command has had: camelCase to kebab-case, with --hidden, --limit, --data")
    func fieldsToFlags() {
        let cases = ["learningRate": "--learning-rate", "adamLearningRate": "--adam-learning-rate", "newtonSteps": "--newton-steps",
                     "l2": "--l2", "depths": "--depths", "hiddenWidths": "--hidden", "data.limit": "--limit",
                     "data.dataset": "--dataset", "data.directory": "--data"]
        for (field, flag) in cases { #expect(ExperimentCommand.flag(for: field) == flag, "\(field)") }
    }

    @Test("no experiment named, or an unknown one, is refused")
    func unknownExperiment() {
        #expect(refusal([])?.hasPrefix("name an experiment: init-variance, zero-init") == true)
        #expect(refusal(["no-such-experiment"]) != nil)
    }
}
