import Foundation
import LoomNN

/// A run directory's TensorBoard event file, `events.out.tfevents.<seconds>.<host>`, so that
/// `tensorboard --logdir runs` shows every run's curves.
///
/// Events are appended as they happen (TensorBoard reads a growing file live). A kill in the
/// middle of an append leaves a truncated last record, which readers skip; reopening a file
/// for a resumed run rewrites it, atomically, with only the steps the run keeps.
public final class EventFileWriter {
    /// The file written.
    public let url: URL
    /// Whether the file was continued (``init(directory:keepingStepsThrough:now:)`` found one
    /// to keep) rather than started.
    public let isContinued: Bool

    /// What every event file's name starts with (TensorBoard finds files by it).
    public static let namePrefix = "events.out.tfevents."

    /// The event files in `directory`, by name.
    public static func files(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix(namePrefix) }.sorted().map { directory.appendingPathComponent($0) }
    }

    /// The events of the file at `url` (none when it cannot be read), up to the first damaged
    /// record.
    public static func events(at url: URL) -> [TensorBoardEvent] {
        guard let data = FileManager.default.contents(atPath: url.path) else { return [] }
        return TFRecord.records(in: [UInt8](data)).compactMap(TensorBoardEvent.init(decoding:))
    }

    /// Opens `directory`'s event file for appending.
    ///
    /// - `keepingStepsThrough`: continue the directory's existing file, keeping its events up
    ///   to this step (a resumed run: the epochs its checkpoint holds); nil starts a new file
    ///   and removes the directory's old ones (a run started over, an experiment run again).
    public init(directory: URL, keepingStepsThrough lastStep: Int64? = nil, now: Date = Date()) throws {
        let existing = Self.files(in: directory)
        let start = TensorBoardEvent(wallTime: now.timeIntervalSince1970, step: 0, content: .fileVersion(TensorBoardEvent.fileVersion))
        if let lastStep, let file = existing.first {
            url = file
            isContinued = true
            var kept = Self.events(at: file).filter { event in
                if case .fileVersion = event.content { return false }
                return event.step <= lastStep
            }
            kept.insert(Self.events(at: file).first { if case .fileVersion = $0.content { true } else { false } } ?? start, at: 0)
            try AtomicFile.write(kept.flatMap { TFRecord.frame($0.encoded) }, to: file)
            for other in existing.dropFirst() { try? FileManager.default.removeItem(at: other) }
        } else {
            for file in existing { try? FileManager.default.removeItem(at: file) }
            isContinued = false
            let host = ProcessInfo.processInfo.hostName.filter { $0.isLetter || $0.isNumber || "-_.".contains($0) }
            url = directory.appendingPathComponent(Self.namePrefix + "\(Int(now.timeIntervalSince1970)).\(host.isEmpty ? "localhost" : host)")
            try AtomicFile.write(TFRecord.frame(start.encoded), to: url)
        }
    }

    /// Appends one event holding `scalars` at `step`; non-finite values are left out (the
    /// metrics file keeps them).
    public func append(_ scalars: [TensorBoardEvent.Scalar], step: Int64, wallTime: Date = Date()) throws {
        let finite = scalars.filter { $0.value.isFinite }
        guard !finite.isEmpty else { return }
        let event = TensorBoardEvent(wallTime: wallTime.timeIntervalSince1970, step: step, content: .scalars(finite))
        do {
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(TFRecord.frame(event.encoded)))
        } catch {
            throw RunError.unwritable(path: url.path, reason: "\(error)")
        }
    }
}

extension EpochMetrics {
    /// The epoch's scalars as TensorBoard tags: `loss/train`, `loss/validation`, `loss/test`,
    /// `accuracy/…` (classification), `r2/…`, `rmse/test`, `mae/test` (regression),
    /// `learning_rate` and `seconds`. Scores the epoch does not have are left out.
    public var tensorBoardScalars: [TensorBoardEvent.Scalar] {
        let values: [(String, Double?)] = [
            ("loss/train", trainLoss), ("loss/validation", validationLoss), ("loss/test", testLoss),
            ("accuracy/train", trainAccuracy), ("accuracy/validation", validationAccuracy), ("accuracy/test", testAccuracy),
            ("r2/validation", validationR2), ("r2/test", testR2), ("rmse/test", testRMSE), ("mae/test", testMAE),
            ("learning_rate", learningRate), ("seconds", seconds),
        ]
        return values.compactMap { tag, value in value.map { TensorBoardEvent.Scalar(tag, Float($0)) } }
    }
}
