import Foundation
import Loom
import LoomData
import LoomTraining
import LoomNN

/// Data-parallel training of a `TrainingConfiguration` over the processes of an MPI job.
///
/// - Rank 0's configuration is the run's (sent to all, so `--resume`, which reads it from the
///   run directory, works on any world size and on hosts without the directory).
/// - Every process builds the same model, then takes rank 0's state — initial weights,
///   optimizer state, position, history — from one broadcast: after a fresh start, after
///   `--initial-weights` (a file only rank 0 needs) and after `--resume`.
/// - Each process reads its part of every global batch of the epoch's shuffled order
///   (`DataLoader/Shard`); the global batch is the configured batch size.
/// - After backward, one allreduce per step averages the gradients (``GradientBucket``), so
///   every process takes the same step and holds the same weights.
/// - Only rank 0 has the run directory: it alone writes the configuration, metrics,
///   checkpoints and summary, and prints.
public final class DataParallelTraining {
    public let communicator: Communicator
    public let run: TrainingRun
    public let bucket: GradientBucket

    /// Checks that `configuration` can be trained data-parallel.
    public static func validate(_ configuration: TrainingConfiguration) throws {
        if configuration.optimizer.requiresLossClosure {
            throw DistributedError.unsupported("\(configuration.optimizer.name.rawValue) evaluates the loss itself (Hessian and line search) on one process's data")
        }
        if configuration.model.normalization == .batch {
            throw DistributedError.unsupported("batch normalization (each process would normalize with its own part of the batch and keep its own running statistics)")
        }
    }

    /// Prepares this process's part of the run; every process calls it collectively.
    /// `setUp` (the configuration and the run directory), `initialWeights`, `resume` and
    /// `progress` are used on rank 0 only. An error on rank 0 is thrown there and reaches the
    /// other ranks as ``DistributedError/rootFailed(_:)``.
    public init(communicator: Communicator, setUp: () throws -> (TrainingConfiguration, RunDirectory?),
                initialWeights: URL?, resume: Bool, overwrites: Bool = false, progress: (any TrainingObserver)?) throws {
        self.communicator = communicator
        let shard = DataLoader.Shard(index: communicator.rank, count: communicator.worldSize)
        var directory: RunDirectory?
        // The configuration, from rank 0 (which may have read it from the run directory).
        let configurationBytes = try communicator.broadcastResult {
            let configuration: TrainingConfiguration
            (configuration, directory) = try setUp()
            try Self.validate(configuration)
            return Array(try JSONEncoder().encode(configuration))
        }
        let runConfiguration = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(configurationBytes))
        // Rank 0 builds its run (and resumes) inside the broadcast, so that a failure there
        // reaches the other ranks as an error instead of leaving them waiting.
        var rootRun: TrainingRun?
        var localRun: TrainingRun?
        if !communicator.isRoot {
            localRun = try TrainingRun(configuration: runConfiguration, directory: nil, shard: shard)
        }
        let state = try communicator.broadcastResult {
            let run = try TrainingRun(configuration: runConfiguration, directory: directory, initialWeights: initialWeights,
                                      progress: progress, shard: shard)
            run.overwrites = overwrites
            if resume { try run.resume() }
            rootRun = run
            return try Self.encode(run.exportState())
        }
        if let rootRun {
            run = rootRun
        } else {
            run = localRun!
            let (checkpoint, history) = try Self.decode(state)
            try run.importState(checkpoint: checkpoint, history: history, source: "rank 0's state")
        }
        bucket = GradientBucket(parameters: run.model.trainableParameters, communicator: communicator)
        run.trainer.gradientReducer = { [bucket] in try bucket.reduce($0) }
    }

    /// Trains the remaining epochs on every process, then checks that every process holds
    /// rank 0's weights bit for bit. Returns the summary (rank 0's files are written by the run).
    @discardableResult
    public func train() throws -> RunSummary {
        let summary = try run.run()
        try checkIdenticalWeights()
        return summary
    }

    /// Throws unless every process's weights equal rank 0's bit for bit (one broadcast of the
    /// weights and one allreduce of the verdicts).
    public func checkIdenticalWeights() throws {
        let local = Self.flatWeights(run.model)
        let root = try communicator.broadcast(bytes: communicator.isRoot ? local : nil)
        var differing = [local == root ? 0.0 : 1.0]
        try communicator.allReduce(&differing)
        if differing[0] > 0 {
            throw DistributedError.mpi(operation: "the final weight check", code: 0,
                                       message: "\(Int(differing[0])) of \(communicator.worldSize) ranks hold weights that differ from rank 0's")
        }
    }

    /// Steps per second of training (evaluation excluded) and mean allreduce seconds per step.
    public var timing: (stepsPerSecond: Double, allReduceSecondsPerStep: Double) {
        let seconds = run.history.reduce(0) { $0 + $1.seconds }
        let steps = Double(Swift.max(bucket.steps, 1))
        return (Double(bucket.steps) / Swift.max(seconds, 1e-9), bucket.allReduceSeconds / steps)
    }

    static func flatWeights(_ model: Module) -> [UInt8] {
        var bytes: [UInt8] = []
        for (_, tensor) in model.stateDictionary().sorted(by: { $0.key < $1.key }) {
            tensor.withUnsafeRawBytes { bytes += $0 }
        }
        return bytes
    }

    /// `[checkpoint length: 8 bytes little-endian][checkpoint][history as JSON]`.
    static func encode(_ state: (checkpoint: [UInt8], history: [EpochMetrics])) throws -> [UInt8] {
        withUnsafeBytes(of: UInt64(state.checkpoint.count).littleEndian) { Array($0) }
            + state.checkpoint + Array(try JSONEncoder().encode(state.history))
    }

    static func decode(_ bytes: [UInt8]) throws -> (checkpoint: [UInt8], history: [EpochMetrics]) {
        guard bytes.count >= 8 else { throw DistributedError.rootFailed("rank 0 sent a truncated state") }
        let length = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        guard length <= bytes.count - 8 else { throw DistributedError.rootFailed("rank 0 sent a truncated state") }
        let checkpoint = Array(bytes[8..<(8 + length)])
        let history = try JSONDecoder().decode([EpochMetrics].self, from: Data(bytes[(8 + length)...]))
        return (checkpoint, history)
    }
}
