import Foundation
import Loom
import LoomNN

/// Errors about a run directory or a run's configuration.
public enum RunError: Error, Equatable, CustomStringConvertible {
    case unwritable(path: String, reason: String)
    case invalidConfiguration(String)
    case cannotResume(String)
    case diverged(String)
    /// A Newton-type step without a line search made the loss grow far beyond its first value;
    /// the message names the configuration field that adds one (the command line adds its flag).
    case divergedWithoutLineSearch(String)
    /// Stopped by a signal (its number); `checkpoint` says where the run can continue from.
    case interrupted(signal: Int32, checkpoint: String)

    public var description: String {
        switch self {
        case let .unwritable(path, reason): "cannot write to \(path): \(reason)"
        case let .invalidConfiguration(message): message
        case let .cannotResume(message): "cannot resume: \(message)"
        case let .diverged(message): message
        case let .divergedWithoutLineSearch(message): message
        case let .interrupted(signal, checkpoint): "\(Interrupted(signal: signal)); \(checkpoint)"
        }
    }
}

/// The files of one training run:
/// - `config.json`: everything needed to repeat the run;
/// - `metrics.jsonl`: one JSON object per epoch;
/// - `summary.json`: the final numbers;
/// - `checkpoint.safetensors`: model, optimizer state and position after the last epoch;
/// - `best.safetensors`: the model of the best validation epoch (with a validation split);
/// - `events.out.tfevents.<seconds>.<host>`: the per-epoch scalars for TensorBoard
///   (``EventFileWriter``).
///
/// Every file is written atomically (a temporary file renamed over the old one).
public struct RunDirectory: Sendable {
    public let url: URL

    public var configURL: URL { url.appendingPathComponent("config.json") }
    public var metricsURL: URL { url.appendingPathComponent("metrics.jsonl") }
    public var summaryURL: URL { url.appendingPathComponent("summary.json") }
    public var checkpointURL: URL { url.appendingPathComponent("checkpoint.safetensors") }
    /// The model of the epoch with the lowest validation loss (runs with a validation split).
    public var bestURL: URL { url.appendingPathComponent("best.safetensors") }
    /// The file written and removed when the directory is opened, to find out that it can be
    /// written (atomically, as every file here: a kill can leave its temporary file).
    private var writeProbeURL: URL { url.appendingPathComponent(".loom-write-test") }

    /// Opens (creating if needed) a run directory and checks that it is writable, so a bad
    /// `--output` is reported before training starts.
    /// The run directory at `path`, as typed by a user: an empty path (which would mean the
    /// current directory) is refused.
    public init(path: String) throws {
        guard !path.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw RunError.unwritable(path: "\"\"", reason: "a run directory needs a path (--output DIR)")
        }
        try self.init(URL(fileURLWithPath: path))
    }

    public init(_ url: URL) throws {
        self.url = url
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw RunError.unwritable(path: url.path, reason: "it is a file, not a directory") }
        } else {
            do {
                try manager.createDirectory(at: url, withIntermediateDirectories: true)
            } catch {
                throw RunError.unwritable(path: url.path, reason: (error as NSError).localizedDescription)
            }
        }
        let probe = writeProbeURL
        do {
            try AtomicFile.write([0], to: probe)
            try manager.removeItem(at: probe)
        } catch {
            throw RunError.unwritable(path: url.path, reason: "\(error)")
        }
    }

    /// Takes the directory's advisory lock (`.loom-lock`, holding this process's id) for as
    /// long as this process runs, so that a second writer is refused instead of interleaving
    /// its files with this one's; then removes the temporary files that a killed writer left
    /// (only now: before the lock, they could be another live run's).
    public func lockForWriting() throws {
        let path = url.appendingPathComponent(".loom-lock").path
        if RunDirectory.heldLocks.withLock({ $0[path] != nil }) { return }
        guard let descriptor = Platform.lockExclusively(path) else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            throw RunError.unwritable(path: url.path, reason: "another loom process\(holder.isEmpty ? "" : " (process \(holder))") is writing this run directory")
        }
        Platform.overwrite(descriptor, with: "\(Platform.processID)\n")
        RunDirectory.heldLocks.withLock { $0[path] = descriptor }
        removeAbandonedTemporaryFiles()
    }

    /// Releases ``lockForWriting()`` (it is released anyway when the process exits).
    public func unlock() {
        let path = url.appendingPathComponent(".loom-lock").path
        if let descriptor = RunDirectory.heldLocks.withLock({ $0.removeValue(forKey: path) }) { Platform.unlock(descriptor) }
    }

    /// Whether the directory holds a run that trained (a checkpoint): what a new run must not
    /// write over. A run killed before its first checkpoint holds nothing to lose.
    public var holdsRun: Bool { FileManager.default.fileExists(atPath: checkpointURL.path) }

    /// The locks this process holds, by lock-file path.
    private static let heldLocks = LockedDictionary()

    /// Deletes the temporary files of atomic writes that a killed process left behind
    /// (`.checkpoint.safetensors.<UUID>.tmp`); the files they were meant to replace are intact.
    /// The write probe's count too: a resume of a finished run takes a few milliseconds, most
    /// of them opening the directory, so a kill then lands in the probe's write.
    private func removeAbandonedTemporaryFiles() {
        let names = [configURL, metricsURL, summaryURL, checkpointURL, bestURL, writeProbeURL].map { ".\($0.lastPathComponent)." }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        let prefixes = names + [".\(EventFileWriter.namePrefix)"]
        for entry in entries where entry.hasSuffix(".tmp") && prefixes.contains(where: { entry.hasPrefix($0) }) {
            try? FileManager.default.removeItem(at: url.appendingPathComponent(entry))
        }
    }

    /// Throws when the file system holding the directory has fewer than `bytes` free, so a
    /// full disk is reported before training rather than at the first checkpoint.
    public func requireFreeSpace(_ bytes: Int, for purpose: String) throws {
        var status = statvfs()
        // When the file system cannot say, the atomic write still fails safely later.
        guard statvfs(url.path, &status) == 0 else { return }
        let available = UInt64(status.f_bavail) &* UInt64(status.f_frsize)
        guard available >= UInt64(Swift.max(bytes, 0)) else {
            throw RunError.unwritable(path: url.path, reason: "\(available) bytes free, \(purpose) need \(bytes)")
        }
    }

    package static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }()

    package static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }()

    /// Writes a value as pretty JSON, atomically.
    public func writeJSON<T: Encodable>(_ value: T, to file: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.nonConformingFloatEncodingStrategy = RunDirectory.encoder.nonConformingFloatEncodingStrategy
        try AtomicFile.write([UInt8](try encoder.encode(value)) + [0x0A], to: file)
    }

    /// Rewrites `metrics.jsonl` with one line per record, atomically (so a resumed run never
    /// keeps lines from epochs its checkpoint does not include).
    public func writeMetrics<T: Encodable>(_ records: [T]) throws {
        var bytes: [UInt8] = []
        for record in records { bytes += [UInt8](try RunDirectory.encoder.encode(record)) + [0x0A] }
        try AtomicFile.write(bytes, to: metricsURL)
    }

    /// The records of `metrics.jsonl`, or none when it does not exist.
    public func readMetrics<T: Decodable>(_ type: T.Type) throws -> [T] {
        guard let data = FileManager.default.contents(atPath: metricsURL.path) else { return [] }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated().map { index, line in
            do {
                return try RunDirectory.decoder.decode(T.self, from: Data(line.utf8))
            } catch {
                throw RunError.cannotResume("\(metricsURL.path), line \(index + 1): \(ConfigurationDecoding.describe(error))")
            }
        }
    }
}

/// The run-directory locks a process holds, behind a lock of its own.
///
/// `@unchecked Sendable`: `entries` is only touched inside `withLock`, under `lock`.
private final class LockedDictionary: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: Int32] = [:]

    func withLock<R>(_ body: (inout [String: Int32]) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&entries)
    }
}
