import Foundation
import LoomData
import LoomTraining

/// `width-depth`: final test accuracy and training time over a grid of hidden widths and
/// depths, each cell a full `loom train` run (Adam, Kaiming, ReLU) with the same seed.
///
/// The expectation (not a theorem of the lecture): at a fixed depth, wider networks are at
/// least as accurate (over-parameterization makes them easier to optimize). Training time is
/// measured and shown, not judged: "the largest cell is slower than the smallest" cannot fail.
public struct WidthDepthExperiment: Experiment {
    public static let name = "width-depth"
    public var data = ExperimentData()
    public var widths = [16, 64, 256]
    /// Numbers of hidden layers.
    public var depths = [1, 2, 4]
    public var epochs = 10
    public var batchSize = 32
    public var learningRate = 1e-3
    public var seed: UInt64 = 0
    /// How much less accurate (absolute) the widest network may be and still agree.
    public var tolerance = 0.01

    /// The experiment with the defaults of its properties.
    public init() {}

    public var configuration: [ExperimentSetting] {
        [.init("data", data.description), .init("widths", widths.map(String.init).joined(separator: ",")),
         .init("depths (hidden layers)", depths.map(String.init).joined(separator: ",")),
         .init("training", "Adam, learning rate \(learningRate), batch \(batchSize), \(epochs) epochs, Kaiming normal, ReLU"), .init("seed", "\(seed)")]
    }

    public func validate() throws {
        // Each cell is a `loom train` run: its configuration takes a limit, not pooling.
        try data.validate()
        try require(data.pooling == 1, "data.pooling", "width-depth trains on the images as they are; pooling is not supported")
        try require(!widths.isEmpty, "widths", "must name at least one width")
        try require(widths.allSatisfy { $0 > 0 }, "widths", "must be positive, got \(widths.map(String.init).joined(separator: ","))")
        try require(!depths.isEmpty, "depths", "must name at least one depth")
        try require(depths.allSatisfy { (0...ExperimentLimits.maximumDepth).contains($0) }, "depths",
                    "must be between 0 and \(ExperimentLimits.maximumDepth), got \(depths.map(String.init).joined(separator: ","))")
        try checkParameterCount([data.expectedFeatureCount] + Array(repeating: widths.max()!, count: depths.max()!) + [data.expectedClassCount],
                                limit: ExperimentLimits.maximumParameterCount, field: "widths", purpose: "`loom train`")
        try checkTraining(epochs: epochs, batchSize: batchSize, learningRate: learningRate)
        try require(tolerance >= 0 && tolerance.isFinite, "tolerance", "must be non-negative and finite, got \(tolerance)")
    }

    /// One cell of the grid.
    public struct Cell: Sendable {
        public var width: Int
        public var depth: Int
        public var testAccuracy: Double
        public var seconds: Double
        public var parameterCount: Int
    }

    /// Trains every cell, depth by depth.
    public func cells(log: (String) -> Void = { _ in }) throws -> [Cell] {
        var result: [Cell] = []
        for depth in depths {
            for width in widths {
                var configuration = TrainingConfiguration()
                configuration.data = .init(dataset: data.dataset, directory: data.directory)
                configuration.data.limit = data.limit
                configuration.model.hiddenWidths = Array(repeating: width, count: depth)
                configuration.epochs = epochs
                configuration.batchSize = batchSize
                configuration.optimizer.learningRate = learningRate
                configuration.seed = seed
                let summary = try TrainingRun(configuration: configuration, directory: nil).run()
                log("depth \(depth), width \(width): test accuracy \(percent(summary.testAccuracy ?? 0)), \(format(summary.seconds)) s, \(summary.parameterCount) parameters")
                result.append(Cell(width: width, depth: depth, testAccuracy: summary.testAccuracy ?? 0, seconds: summary.seconds,
                                   parameterCount: summary.parameterCount))
            }
        }
        return result
    }

    /// The verdict on a grid of cells, from the measurements alone (so a test can hand in a grid
    /// where width hurts).
    public func verdicts(for cells: [Cell]) -> [Verdict] {
        func cell(_ depth: Int, _ width: Int) -> Cell { cells.first { $0.depth == depth && $0.width == width }! }
        let (narrow, wide) = (widths.min()!, widths.max()!)
        let widerHelps = depths.allSatisfy { cell($0, wide).testAccuracy >= cell($0, narrow).testAccuracy - tolerance }
        return [
            Verdict(prediction: "at each depth the widest network (\(wide)) is at least as accurate as the narrowest (\(narrow)), within \(percent(tolerance))",
                    measurement: depths.map { "depth \($0): \(percent(cell($0, narrow).testAccuracy)) → \(percent(cell($0, wide).testAccuracy))" }.joined(separator: "; "),
                    refutedBy: "at some depth, width \(wide) more than \(percent(tolerance)) less accurate than width \(narrow)",
                    agrees: widerHelps),
        ]
    }

    public func run(log: (String) -> Void) throws -> ExperimentResult {
        let start = Date()
        let cells = try cells(log: log)
        func cell(_ depth: Int, _ width: Int) -> Cell { cells.first { $0.depth == depth && $0.width == width }! }
        let verdicts = verdicts(for: cells)
        let table = ResultTable(name: "grid", columns: ["depth", "width", "parameters", "test accuracy", "training time (s)"],
                                rows: cells.map { [.number(Double($0.depth)), .number(Double($0.width)), .number(Double($0.parameterCount)), .number($0.testAccuracy), .number($0.seconds)] })
        let heat = HeatMap(rowLabels: depths.map { "\($0)" }, columnLabels: widths.map { "\($0)" },
                           values: depths.map { d in widths.map { cell(d, $0).testAccuracy * 100 } },
                           annotations: depths.map { d in widths.map { w in "\(String(format: "%.1f", cell(d, w).testAccuracy * 100))%\n\(String(format: "%.2f", cell(d, w).seconds)) s" } },
                           valueLabel: "test accuracy (%)")
        let grid = Figure(name: "accuracy-grid", title: "Test accuracy (and training time) by width and depth",
                          xAxis: Axis("hidden width", unit: "units"), yAxis: Axis("hidden layers"), heatMap: heat,
                          caption: "Each cell: final test accuracy and the training time of \(epochs) epochs.")
        let tradeoff = Figure(name: "accuracy-vs-time", title: "Accuracy against training time",
                              xAxis: Axis("training time", unit: "s", scale: .logarithmic), yAxis: Axis("test accuracy", unit: "%"),
                              series: depths.map { d in Series(name: "\(d) hidden layer\(d == 1 ? "" : "s")", x: widths.map { cell(d, $0).seconds },
                                                               y: widths.map { cell(d, $0).testAccuracy * 100 }) },
                              caption: "Along each curve the width grows (\(widths.map(String.init).joined(separator: ", "))).")
        return ExperimentResult(experiment: Self.name, title: "Width and depth",
                                summary: "Wider networks are easier to optimize and at least as accurate at a fixed depth (an expectation, not a theorem of the lecture); the training time of each cell is shown as measured.",
                                configuration: configuration, verdicts: verdicts, tables: [table], figures: [grid, tradeoff],
                                seconds: Date().timeIntervalSince(start))
    }
}
