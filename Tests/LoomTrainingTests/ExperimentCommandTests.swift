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
                     "l2": "--l2", "depths": "--depth", "widths": "--width", "hiddenWidths": "--hidden", "data.limit": "--limit",
                     "data.dataset": "--dataset", "data.directory": "--data"]
        for (field, flag) in cases { #expect(ExperimentCommand.flag(for: field) == flag, "\(field)") }
    }

    @Test("the grids take `loom train`'s names (--depth, --width, --lr); the plural spellings of earlier releases still parse")
    func sharedNames() throws {
        let grid = try #require(try ExperimentCommand.experiment(parsing: ["width-depth", "--depth", "1,2", "--width", "8,16"]) as? WidthDepthExperiment)
        #expect(grid.depths == [1, 2] && grid.widths == [8, 16])
        let old = try #require(try ExperimentCommand.experiment(parsing: ["width-depth", "--depths", "1,2", "--widths", "8,16"]) as? WidthDepthExperiment)
        #expect(old.depths == grid.depths && old.widths == grid.widths)
        let trainability = try #require(try ExperimentCommand.experiment(parsing: ["trainability", "--depth", "2,4", "--lr", "0.2"]) as? TrainabilityExperiment)
        #expect(trainability.depths == [2, 4] && trainability.learningRate == 0.2)
        #expect(refusal(["width-depth", "--depth", "1,x"]) == "--depth must be a comma-separated list of numbers, got 1,x")
        for name in ["zero-init", "weight-drift", "optimizers", "trainability"] {
            #expect(refusal([name, "--lr", "0.5"]) == nil, "\(name) --lr")
        }
        // The hidden spellings are not shown.
        let help = ExperimentCommand.WidthDepth.helpMessage()
        #expect(help.contains("--depth <depth>") && !help.contains("--depths") && !help.contains("--widths"))
    }

    @Test("no experiment named, or an unknown one, is refused")
    func unknownExperiment() {
        #expect(refusal([])?.hasPrefix("name an experiment: init-variance, zero-init") == true)
        #expect(refusal(["no-such-experiment"]) != nil)
    }
}
