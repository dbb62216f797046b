import Foundation
import Loom
import LoomTraining

/// How training reports progress.
public enum ProgressStyle: String, CaseIterable, Sendable, Codable {
    /// A live bar redrawn in place, fitted to the terminal's width (for a terminal).
    case bar
    /// One plain line per epoch, without control codes (for logs and pipes).
    case lines
    /// One JSON object per epoch (for programs).
    case json
    /// Only the final result line (`--quiet`).
    case quiet
    /// Nothing.
    case silent

    /// `bar` when standard output is a terminal, otherwise `lines`.
    public static var automatic: ProgressStyle { Platform.standardOutputIsTerminal ? .bar : .lines }
}

/// The terminal's width in columns: `COLUMNS` when it holds a positive number (as Python's
/// `shutil.get_terminal_size` reads it), otherwise the terminal's own (`TIOCGWINSZ`), otherwise 80.
public func terminalColumns(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
    if let text = environment["COLUMNS"], let columns = Int(text.trimmingCharacters(in: .whitespaces)), columns > 0 { return columns }
    return Platform.terminalColumns ?? 80
}

/// Prints training progress in one ``ProgressStyle``: the terminal side of the training
/// layer's `TrainingObserver`.
public final class ProgressReporter: TrainingObserver {
    public let style: ProgressStyle
    private var lastDraw = 0.0
    private let write: (String) -> Void
    private let columns: () -> Int

    /// A reporter in `style` that sends its text to `write` (standard output by default) and
    /// fits its bar into `columns()` columns (read before every redraw, so a resized terminal
    /// is followed).
    public init(style: ProgressStyle, columns: @escaping () -> Int = { terminalColumns() },
                write: @escaping (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) }) {
        self.style = style
        self.columns = columns
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
        let remaining = fraction > 0 ? elapsed / fraction - elapsed : 0
        let fields = [String(format: " %d/%d", batch, batches), String(format: "  loss %.4f", loss),
                      accuracy.map { String(format: "  acc %.2f%%", $0 * 100) } ?? "",
                      String(format: "  ETA %.1fs", remaining), String(format: "  %.0f samples/s", samplesPerSecond)]
        write("\r\u{1B}[2K" + Self.barLine(prefix: "epoch \(epoch)/\(epochs) ", fraction: fraction, fields: fields, columns: columns()))
    }

    /// The widest bar drawn, and the narrowest kept before fields are dropped.
    static let barWidths = (most: 30, least: 8)

    /// One bar line narrower than `columns` (the last column stays empty, so no terminal
    /// wraps the line and `\r` returns to its start): `prefix`, the bar, then as many of
    /// `fields` (most important first) as fit beside a bar of at least 8 cells.
    static func barLine(prefix: String, fraction: Double, fields: [String], columns: Int) -> String {
        let room = columns - 1
        var shown = fields
        func fixedWidth() -> Int { prefix.count + shown.reduce(0) { $0 + $1.count } }
        while !shown.isEmpty && room - fixedWidth() < barWidths.least { shown.removeLast() }
        let width = Swift.min(barWidths.most, Swift.max(room - fixedWidth(), 0))
        let filled = Swift.min(width, Swift.max(0, Int(fraction * Double(width))))
        let line = prefix + String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled) + shown.joined()
        return String(line.prefix(Swift.max(room, 0)))
    }

    /// Called after each epoch's evaluation.
    public func epochFinished(_ metrics: EpochMetrics, epochs: Int) {
        switch style {
        case .silent, .quiet: return
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

    /// The trainer's advice to use a line search, with this tool's flag for it (suppressed
    /// where messages are); in bar style the unfinished bar line is cleared first.
    public func lineSearchAdvised(_ text: String) {
        message((style == .bar ? "\r\u{1B}[2K" : "") + text + Train.lineSearchFlagNote)
    }

    /// A free-form message (suppressed in JSON, quiet and silent modes so their output stays
    /// parseable or short).
    public func message(_ text: String) {
        if style == .bar || style == .lines { write(text + "\n") }
    }

    /// The run's result line: printed in every style but JSON and silent.
    public func result(_ text: String) {
        if style != .json && style != .silent { write(text + "\n") }
    }
}
