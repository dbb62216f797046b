import Foundation
import Loom
import LoomTraining

/// How training reports progress.
public enum ProgressStyle: String, CaseIterable, Sendable, Codable {
    /// A live bar redrawn in place (for a terminal).
    case bar
    /// One plain line per epoch (for logs and pipes).
    case lines
    /// One JSON object per epoch (for programs).
    case json
    /// Nothing.
    case silent

    /// `bar` when standard output is a terminal, otherwise `lines`.
    public static var automatic: ProgressStyle { Platform.standardOutputIsTerminal ? .bar : .lines }
}

/// Prints training progress in one ``ProgressStyle``: the terminal side of the training
/// layer's ``TrainingObserver``.
public final class ProgressReporter: TrainingObserver {
    public let style: ProgressStyle
    private var lastDraw = 0.0
    private let write: (String) -> Void

    /// A reporter in `style` that sends its text to `write` (standard output by default).
    public init(style: ProgressStyle, write: @escaping (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) }) {
        self.style = style
        self.write = write
    }

    /// Called after each batch; redraws the bar at most ten times a second.
    public func batchFinished(epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Double, accuracy: Double?,
                              samplesPerSecond: Double, elapsed: Double) {
        guard style == .bar else { return }
        let now = Date().timeIntervalSinceReferenceDate
        guard batch == batches || now - lastDraw >= 0.1 else { return }
        lastDraw = now
        let fraction = Double(batch) / Double(Swift.max(batches, 1))
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let remaining = fraction > 0 ? elapsed / fraction - elapsed : 0
        let score = accuracy.map { String(format: "  acc %.2f%%", $0 * 100) } ?? ""
        write(String(format: "\r\u{1B}[2Kepoch %d/%d %@ %d/%d  loss %.4f%@  %.0f samples/s  ETA %.1fs",
                     epoch, epochs, bar, batch, batches, loss, score, samplesPerSecond, remaining))
    }

    /// Called after each epoch's evaluation.
    public func epochFinished(_ metrics: EpochMetrics, epochs: Int) {
        switch style {
        case .silent: return
        case .json:
            let data = (try? RunDirectory.encoder.encode(metrics)) ?? Data()
            write(String(decoding: data, as: UTF8.self) + "\n")
        case .bar, .lines:
            func accuracy(_ value: Double?) -> String { value.map { String(format: "  acc %.2f%%", $0 * 100) } ?? "" }
            var line = String(format: "epoch %d/%d  train loss %.4f", metrics.epoch, epochs, metrics.trainLoss) + accuracy(metrics.trainAccuracy)
            if let loss = metrics.validationLoss {
                line += String(format: "  validation loss %.4f", loss) + accuracy(metrics.validationAccuracy)
                    + (metrics.validationR2.map { String(format: "  R² %.4f", $0) } ?? "")
            }
            line += String(format: "  test loss %.4f", metrics.testLoss) + accuracy(metrics.testAccuracy)
                + (metrics.testR2.map { String(format: "  R² %.4f", $0) } ?? "") + (metrics.testRMSE.map { String(format: "  RMSE %.4g", $0) } ?? "")
                + String(format: "  lr %.3g  %.2fs  %.0f samples/s", metrics.learningRate, metrics.seconds, metrics.samplesPerSecond)
            write((style == .bar ? "\r\u{1B}[2K" : "") + line + "\n")
        }
    }

    /// A free-form message (suppressed in JSON and silent modes so their output stays parseable).
    public func message(_ text: String) {
        if style == .bar || style == .lines { write(text + "\n") }
    }
}
