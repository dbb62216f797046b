import Foundation
import LoomTraining
import Testing

@testable import LoomCommandLine

@Suite("Progress in a terminal")
struct ProgressTests {
    static let fields = [" 12/45", "  loss 0.1234", "  acc 95.12%", "  ETA 1.2s", "  85149 samples/s"]

    @Test("the bar line is narrower than the terminal from 40 to 200 columns, and shows more where there is room")
    func fits() {
        var previous = 0
        for columns in 40...200 {
            let line = ProgressReporter.barLine(prefix: "epoch 3/20 ", fraction: 0.5, fields: Self.fields, columns: columns)
            #expect(line.count < columns, "\(columns) columns: \(line.count) characters")
            #expect(line.hasPrefix("epoch 3/20 █") && line.contains("░") && line.contains("loss 0.1234"), "\(columns) columns: \(line)")
            #expect(line.count >= previous)
            previous = line.count
        }
        #expect(ProgressReporter.barLine(prefix: "epoch 3/20 ", fraction: 1, fields: Self.fields, columns: 200).hasSuffix("samples/s"))
        #expect(!ProgressReporter.barLine(prefix: "epoch 3/20 ", fraction: 1, fields: Self.fields, columns: 40).contains("samples/s"))
        #expect(ProgressReporter.barLine(prefix: "epoch 3/20 ", fraction: 0.5, fields: Self.fields, columns: 5).count == 4)
    }

    @Test("COLUMNS decides the width when it is a positive number")
    func columnsVariable() {
        #expect(terminalColumns(environment: ["COLUMNS": "61"]) == 61)
        #expect(terminalColumns(environment: ["COLUMNS": "wide"]) == terminalColumns(environment: [:]))
        #expect(terminalColumns(environment: ["COLUMNS": "-3"]) == terminalColumns(environment: [:]))
    }

    @Test("lines and quiet styles write no control codes; quiet writes only the result")
    func plain() {
        let metrics = EpochMetrics(epoch: 1, trainLoss: 0.5, trainAccuracy: 0.9, test: Evaluation(loss: 0.6, accuracy: 0.8),
                                   learningRate: 0.001, seconds: 0.1, samplesPerSecond: 1000)
        for style in [ProgressStyle.lines, .quiet] {
            var text = ""
            let reporter = ProgressReporter(style: style, columns: { 60 }, write: { text += $0 })
            reporter.message("start")
            reporter.batchFinished(epoch: 1, epochs: 2, batch: 1, batches: 1, loss: 0.5, accuracy: 0.9, samplesPerSecond: 1, elapsed: 1)
            reporter.epochFinished(metrics, epochs: 2)
            reporter.result("test accuracy 80.00%")
            #expect(!text.contains("\u{1B}") && !text.contains("\r"))
            #expect(text == (style == .quiet ? "test accuracy 80.00%\n" : "start\n" + text.dropFirst(6).prefix(while: { $0 != "\n" }) + "\ntest accuracy 80.00%\n"))
        }
        var bar = ""
        ProgressReporter(style: .bar, columns: { 60 }, write: { bar += $0 })
            .batchFinished(epoch: 1, epochs: 2, batch: 1, batches: 1, loss: 0.5, accuracy: 0.9, samplesPerSecond: 1, elapsed: 1)
        #expect(bar.hasPrefix("\r\u{1B}[2Kepoch 1/2 ") && bar.count - 5 < 60)
    }
}
