import Foundation
import LoomTraining
import LoomDistributed
import LoomExperiments

extension Train {
    /// `loom train --distributed`: the same run, data-parallel over the ranks of an MPI job.
    /// Only rank 0 reads `--output`'s configuration, writes the run directory and prints.
    func runDistributed() throws {
        let world = try Communicator.world(timeout: runOptions.distributedTimeout > 0 ? runOptions.distributedTimeout : nil)
        let progress = world.isRoot ? ProgressReporter(style: progressStyle) : nil
        let training = try DataParallelTraining(
            communicator: world,
            setUp: {
                let directory = try runOptions.output.map { try RunDirectory(path: $0) }
                return (try configuration(for: directory), directory)
            },
            initialWeights: runOptions.initialWeights.map { URL(fileURLWithPath: $0) }, resume: runOptions.resume, overwrites: runOptions.force, progress: progress)
        let run = training.run
        if let progress {
            let c = run.configuration
            if runOptions.resume {
                progress.message("resuming after epoch \(run.completedEpochs) of \(run.epochs) on \(world.worldSize) ranks")
            } else {
                progress.message(Train.startLine(run, batch: "global \(c.batchDescription(trainingExamples: run.data.train.count)) over \(world.worldSize) ranks"))
            }
        }
        let summary = try training.train()
        if let progress {
            let timing = training.timing
            progress.result(Train.resultLine(summary))
            progress.message(String(format: "distributed: %d ranks, %d steps, %.1f steps/s, allreduce %.3f ms/step (%d floats), weights identical on all ranks",
                                    world.worldSize, training.bucket.steps, timing.stepsPerSecond,
                                    timing.allReduceSecondsPerStep * 1e3, training.bucket.elementCount))
            if let directory = run.directory { progress.message("run directory: \(directory.url.path)") }
        }
        try world.finalize()
    }

}
