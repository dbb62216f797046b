import Foundation
import Loom
import LoomNN
import Testing

/// `mpirun` on PATH, or nil (then the multi-process tests are skipped, saying so).
let mpirun: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
    .map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }

/// The `loom` executable built beside this test bundle.
let loomExecutable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    .deletingLastPathComponent().appendingPathComponent("loom").path

/// A finished process: its exit status and output.
struct Finished {
    let status: Int32
    let output: String
    let errors: String
    /// Both streams (progress messages go to standard output).
    var text: String { output + errors }
}

/// A started process whose output goes to files (no pipe can fill up and block it).
final class Started {
    let process = Process()
    let outputURL: URL
    let errorURL: URL

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], in directory: URL) throws {
        let id = UUID().uuidString
        outputURL = directory.appendingPathComponent("\(id).out")
        errorURL = directory.appendingPathComponent("\(id).err")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        try process.run()
    }

    /// Waits up to `seconds`; a process still running then is killed and the test fails.
    func finish(within seconds: Double) -> Finished {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning {
            Issue.record("still running after \(seconds) s: \(process.arguments ?? [])")
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        return Finished(status: process.terminationStatus,
                        output: (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "",
                        errors: (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "")
    }
}

/// `mpirun -np ranks loom arguments…`, as root and on a machine with fewer cores than ranks.
func mpirunLoom(ranks: Int, _ arguments: [String], in directory: URL) throws -> Started {
    var options = ["-np", String(ranks), "--oversubscribe"]
    if getuid() == 0 { options.append("--allow-run-as-root") }
    return try Started(mpirun!, options + [loomExecutable] + arguments, environment: ["LOOM_NUM_THREADS": "1"], in: directory)
}

/// The model tensors of a checkpoint.
func modelWeights(_ directory: URL) throws -> [String: [Float]] {
    let tensors = try SafeTensors.read(from: directory.appendingPathComponent("checkpoint.safetensors")).tensors
    return Dictionary(uniqueKeysWithValues: tensors.filter { $0.key.hasPrefix("model.") }.map { ($0.key, $0.value.asArray(Float.self)) })
}

/// The largest difference between two weight sets, relative to max(1, |a|); nil when the
/// tensors differ in names or sizes.
func largestDifference(_ a: [String: [Float]], _ b: [String: [Float]]) -> Float? {
    guard a.keys.sorted() == b.keys.sorted() else { return nil }
    var largest: Float = 0
    for (name, x) in a {
        guard let y = b[name], y.count == x.count else { return nil }
        for (u, v) in zip(x, y) { largest = max(largest, abs(u - v) / max(1, abs(u))) }
    }
    return largest
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("loom-distributed-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The process ids of `mpirun`'s children, by their MPI rank.
func ranks(of mpirun: Started) -> [Int: pid_t] {
    var result: [Int: pid_t] = [:]
    let parent = String(mpirun.process.processIdentifier)
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = pid_t(entry),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { continue }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1, fields[1] == parent,
              let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
        for variable in environment.split(separator: 0) {
            let text = String(decoding: variable, as: UTF8.self)
            if text.hasPrefix("OMPI_COMM_WORLD_RANK="), let rank = Int(text.dropFirst(21)) { result[rank] = pid }
        }
    }
    return result
}

func lineCount(_ url: URL) -> Int {
    ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n").count
}

/// A small run on the bundled digits, global batch 128: 12 steps per epoch (11 full batches
/// and one of 29 examples, which 2 ranks split 14 + 15).
let smallRun = ["train", "--hidden", "32", "--batch-size", "128", "--seed", "3"]

@Suite("Data-parallel training under mpirun", .serialized,
       .enabled(if: mpirun != nil, "mpirun is not on PATH: install Open MPI (Scripts/install-dependencies.sh) to run these tests"))
struct DataParallelTests {
    /// 2 ranks with a global batch of 128 end where 1 process with batch 128 and the same data
    /// order ends, within float32 rounding, and all ranks hold identical weights.
    @Test func twoRanksMatchOneProcess() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let single = directory.appendingPathComponent("one"), parallel = directory.appendingPathComponent("two")
        let one = try Started(loomExecutable, smallRun + ["--epochs", "2", "--output", single.path], in: directory).finish(within: 120)
        #expect(one.status == 0, "\(one.errors)")
        let two = try mpirunLoom(ranks: 2, smallRun + ["--epochs", "2", "--distributed", "--output", parallel.path], in: directory)
            .finish(within: 120)
        #expect(two.status == 0, "\(two.errors)")
        // 24 steps: 2 epochs of 12; rank 1 checked its weights against rank 0's bit for bit.
        #expect(two.text.contains("2 ranks, 24 steps"), "\(two.text)")
        #expect(two.text.contains("weights identical on all ranks"), "\(two.text)")
        let difference = try #require(largestDifference(modelWeights(single), modelWeights(parallel)))
        #expect(difference < 2e-5, "weights differ by \(difference)")
        // The global batch's metrics, not rank 0's part of them.
        let metrics = try [single, parallel].map {
            try String(contentsOf: $0.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
                .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        }
        #expect(metrics[0].count == 2 && metrics[1].count == 2)
        for (a, b) in zip(metrics[0], metrics[1]) {
            #expect(abs((a["trainLoss"] as! Double) - (b["trainLoss"] as! Double)) < 1e-4)
            #expect(a["trainAccuracy"] as! Double == b["trainAccuracy"] as! Double)
        }
    }

    /// A rank killed mid-run stops the others with a message (mpirun ends the job; the
    /// survivors say why), the last checkpoint stays intact, and the run resumes on another
    /// number of ranks — 1 and 3 — to the same weights.
    @Test func killedRankStopsTheRunWhichResumesOnAnyWorldSize() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = directory.appendingPathComponent("run")
        let job = try mpirunLoom(ranks: 2, ["train", "--hidden", "64", "--batch-size", "32", "--epochs", "400", "--json",
                                            "--distributed", "--output", run.path], in: directory)
        let metrics = run.appendingPathComponent("metrics.jsonl")
        let deadline = Date().addingTimeInterval(60)
        while lineCount(metrics) < 2 && job.process.isRunning && Date() < deadline { usleep(50_000) }
        let pids = ranks(of: job)
        let victim = try #require(pids[1], "no rank 1 among mpirun's children: \(pids)")
        kill(victim, SIGKILL)
        let start = Date()
        let stopped = job.finish(within: 60)
        #expect(Date().timeIntervalSince(start) < 30)
        #expect(stopped.status != 0)
        #expect(stopped.errors.contains("rank 0: stopped by SIGTERM") || stopped.errors.contains("rank 0: MPI_"), "\(stopped.errors)")
        #expect(stopped.errors.contains("rank 1"), "\(stopped.errors)")

        // The checkpoint is whole, and the metrics reach at least its epoch.
        let (_, metadata) = try SafeTensors.read(from: run.appendingPathComponent("checkpoint.safetensors"))
        let epochs = try #require(metadata["epochs"].flatMap(Int.init))
        #expect(epochs >= 1 && lineCount(metrics) >= epochs)

        // Shorten the run to one more epoch, then resume it on 1 rank and on 3.
        let configURL = run.appendingPathComponent("config.json")
        var configuration = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
        configuration["epochs"] = epochs + 1
        try JSONSerialization.data(withJSONObject: configuration).write(to: configURL)
        let copy = directory.appendingPathComponent("copy")
        try FileManager.default.copyItem(at: run, to: copy)
        let onOne = try Started(loomExecutable, ["train", "--output", run.path, "--resume", "--json"], in: directory).finish(within: 120)
        #expect(onOne.status == 0, "\(onOne.errors)")
        let onThree = try mpirunLoom(ranks: 3, ["train", "--output", copy.path, "--resume", "--distributed"], in: directory)
            .finish(within: 120)
        #expect(onThree.status == 0, "\(onThree.errors)")
        #expect(onThree.text.contains("resuming after epoch \(epochs) of \(epochs + 1) on 3 ranks"), "\(onThree.text)")
        #expect(lineCount(copy.appendingPathComponent("metrics.jsonl")) == epochs + 1)
        let difference = try #require(largestDifference(modelWeights(run), modelWeights(copy)))
        #expect(difference < 2e-5, "weights differ by \(difference)")
    }

    /// A rank that hangs (stopped, not dead: mpirun does not notice) makes the others give up
    /// after --distributed-timeout instead of waiting forever.
    @Test func hungRankTimesOut() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = directory.appendingPathComponent("run")
        let job = try mpirunLoom(ranks: 2, ["train", "--hidden", "64", "--batch-size", "32", "--epochs", "400", "--json",
                                            "--distributed", "--distributed-timeout", "3", "--output", run.path], in: directory)
        let metrics = run.appendingPathComponent("metrics.jsonl")
        let deadline = Date().addingTimeInterval(60)
        while lineCount(metrics) < 1 && job.process.isRunning && Date() < deadline { usleep(50_000) }
        let victim = try #require(ranks(of: job)[1])
        kill(victim, SIGSTOP)
        let stopped = job.finish(within: 60)
        #expect(stopped.status != 0)
        #expect(stopped.errors.contains("rank 0: MPI_Allreduce has not completed after 3 s"), "\(stopped.errors)")
        _ = try SafeTensors.read(from: run.appendingPathComponent("checkpoint.safetensors"))
    }
}

@Suite("Distributed training without Open MPI")
struct WithoutMPITests {
    /// Where libmpi cannot be loaded, `--distributed` stops with a message saying what to install.
    @Test func missingLibraryIsAClearError() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try Started(loomExecutable, ["train", "--distributed", "--epochs", "1"],
                                 environment: ["LOOM_MPI_LIBRARY": "/nonexistent/libmpi.so.40"], in: directory).finish(within: 60)
        #expect(result.status != 0)
        #expect(result.errors.contains("distributed training needs Open MPI"), "\(result.errors)")
        #expect(result.errors.contains("/nonexistent/libmpi.so.40"), "\(result.errors)")
    }
}
