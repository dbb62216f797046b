import Foundation
import Loom

/// One sweep over a CSV stream: the header, then the data rows block by block, merged from
/// ``CSVChunk``s into whole columns.
final class CSVPass {
    /// Bytes read at a time; a record longer than this grows the block, up to `maximumRecordBytes`.
    static let blockBytes = 4 << 20
    /// The longest record accepted: far past any real row, so it is almost always an unterminated quote.
    static let maximumRecordBytes = 64 << 20
    /// Blocks smaller than this are parsed on one thread.
    static let parallelMinimumBytes = 256 << 10

    let path: String
    let options: CSVOptions
    private let source: ByteSource
    private(set) var delimiter: UInt8
    private let expectedNames: [String]?
    private(set) var names: [String] = []
    private(set) var modes: [ColumnMode] = []
    private(set) var texts: [ChunkTexts] = []
    private var numbers: [[Float]] = []
    private var infinite: [(row: Int, line: Int, text: String)?] = []
    /// Data rows merged, and lines consumed (the header's included).
    private(set) var rows = 0
    private var lines = 0

    private var block: UnsafeMutablePointer<UInt8>
    private var capacity = CSVPass.blockBytes
    private var start = 0, filled = 0, ended = false

    init(path: String, options: CSVOptions, source: ByteSource, delimiter: UInt8?, expectedNames: [String]?) {
        self.path = path
        self.options = options
        self.source = source
        self.delimiter = delimiter ?? 0
        self.expectedNames = expectedNames
        block = .allocate(capacity: capacity)
    }

    deinit { block.deallocate() }

    /// Reads the whole stream: every column starts in `modes` (nil: numbers, the first pass).
    func run(modes initial: [ColumnMode]?) throws {
        try fill()
        try readHeader()
        modes = initial ?? Array(repeating: .numbers, count: names.count)
        texts = Array(repeating: ChunkTexts(), count: names.count)
        numbers = Array(repeating: [], count: names.count)
        infinite = Array(repeating: nil, count: names.count)
        let chunks = [CSVChunk(columnCount: names.count, delimiter: delimiter), CSVChunk(columnCount: names.count, delimiter: delimiter)]
        var isFirstChunk = initial == nil
        while true {
            let available = filled - start
            if available == 0 && ended { break }
            let base = UnsafePointer(block + start)
            var consumed = 0
            if !isFirstChunk, kernelThreadCount > 1, available >= Self.parallelMinimumBytes,
               memchr(base, Int32(CSVTokenizer.quote), available) == nil,
               let newline = memchr(base + available / 2, Int32(CSVTokenizer.lineFeed), available - available / 2)
            {
                // No quote in the block, so every line feed ends a record: split at one.
                let firstCount = UnsafeRawPointer(newline) - UnsafeRawPointer(base) + 1
                let modesNow = modes, isFinal = ended
                forEachChunk(of: 2, minimumChunk: 1) { range in
                    for half in range {
                        if half == 0 {
                            chunks[0].parse(base, count: firstCount, isFinal: false, modes: modesNow, allowTextSwitch: false)
                        } else {
                            chunks[1].parse(base + firstCount, count: available - firstCount, isFinal: isFinal, modes: modesNow, allowTextSwitch: false)
                        }
                    }
                }
                try merge(chunks[0])
                try merge(chunks[1])
                consumed = chunks[0].consumed + chunks[1].consumed
            } else {
                chunks[0].parse(base, count: available, isFinal: ended, modes: modes, allowTextSwitch: isFirstChunk)
                try merge(chunks[0])
                consumed = chunks[0].consumed
                if isFirstChunk {
                    reserveFromEstimate(consumedBytes: consumed, rows: chunks[0].rows)
                    isFirstChunk = false
                }
            }
            start += consumed
            if ended && start == filled { break }
            try refill(progressed: consumed > 0)
        }
        guard rows > 0 else {
            throw DataError.malformed(path: path, reason: "the header (\(names.count) columns) has no data rows after it")
        }
    }

    /// Throws for the first infinite value in a column that stayed numeric.
    func checkFinite() throws {
        let found = names.indices.compactMap { column in
            modes[column] == .numbers ? infinite[column].map { (column, $0) } : nil
        }
        guard let (column, first) = found.min(by: { $0.1.row < $1.1.row }) else { return }
        throw DataError.malformedRow(path: path, row: first.row, line: first.line, column: column + 1, columnName: names[column],
                                     reason: "\"\(first.text)\" is not a finite float32 number (±3.4e38 at most)")
    }

    /// Hands over a numeric column's storage.
    func takeNumbers(_ column: Int) -> [Float] {
        defer { numbers[column] = [] }
        return numbers[column]
    }

    // MARK: - Header

    private func readHeader() throws {
        if filled - start >= 3 && block[start] == 0xEF && block[start + 1] == 0xBB && block[start + 2] == 0xBF { start += 3 }
        while true {
            let base = UnsafePointer(block + start), end = UnsafePointer(block + filled)
            guard let (first, blanks) = CSVTokenizer.skipBlankLines(base, end, isFinal: ended) else { try refill(progressed: false); continue }
            if first == end {
                if ended { throw DataError.malformed(path: path, reason: "the file is empty (a CSV file starts with a header row)") }
                try refill(progressed: false)
                continue
            }
            if delimiter == 0 { delimiter = CSVTokenizer.detectDelimiter(first, end, isFinal: ended) }
            switch CSVTokenizer.record(first, end, delimiter: delimiter, isFinal: ended) {
            case .incomplete:
                try refill(progressed: false)
                continue
            case let .failure(column, reason):
                throw DataError.malformedRow(path: path, row: 1, line: blanks + 1, column: column + 1, columnName: nil, reason: reason)
            case let .record(cells, next, newlines):
                try setNames(cells, line: blanks + 1)
                lines = blanks + newlines
                start = UnsafeRawPointer(next) - UnsafeRawPointer(block)
                return
            }
        }
    }

    private func setNames(_ cells: [[UInt8]], line: Int) throws {
        var seen: [String: Int] = [:]
        for (column, cell) in cells.enumerated() {
            guard let name = String(validating: cell, as: UTF8.self) else {
                throw DataError.malformedRow(path: path, row: 1, line: line, column: column + 1, columnName: nil,
                                             reason: "the header's name is not valid UTF-8 text")
            }
            if let earlier = seen[name] {
                throw DataError.malformedRow(path: path, row: 1, line: line, column: column + 1, columnName: name,
                                             reason: "the header names column \(earlier + 1) the same; every column needs its own name")
            }
            seen[name] = column
            names.append(name)
        }
        if let expectedNames, expectedNames != names {
            throw DataError.malformed(path: path, reason: "the file changed while it was read (the header differs)")
        }
    }

    // MARK: - Blocks

    /// Moves the unparsed tail to the front and reads more; grows the block when a single
    /// record fills it.
    private func refill(progressed: Bool) throws {
        if start > 0 {
            let tail = filled - start
            if tail > 0 { block.update(from: block + start, count: tail) }
            filled = tail
            start = 0
        } else if filled == capacity && !progressed {
            guard capacity < Self.maximumRecordBytes else {
                throw DataError.malformedRow(path: path, row: rows + 2, line: lines + 1, column: nil, columnName: nil,
                                             reason: "the row is longer than \(Self.maximumRecordBytes >> 20) MiB (a quote that is never closed?)")
            }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
            grown.update(from: block, count: filled)
            block.deallocate()
            block = grown
            capacity *= 2
        }
        try fill()
    }

    private func fill() throws {
        while filled < capacity && !ended {
            let count = try source.read(into: UnsafeMutableRawBufferPointer(start: block + filled, count: capacity - filled))
            if count == 0 { ended = true }
            filled += count
        }
    }

    // MARK: - Merging chunks

    private func merge(_ chunk: CSVChunk) throws {
        if let failure = chunk.failure {
            let name = failure.column.flatMap { $0 < names.count ? names[$0] : nil }
            throw DataError.malformedRow(path: path, row: rows + failure.row + 2, line: lines + failure.line + 1,
                                         column: failure.column.map { $0 + 1 }, columnName: name, reason: failure.reason)
        }
        let total = rows + chunk.rows
        let (cells, overflow) = total.multipliedReportingOverflow(by: names.count)
        guard !overflow, cells <= options.maximumCells else {
            throw DataError.malformed(path: path, reason: "more than \(options.maximumCells) cells (\(names.count) columns × \(total) rows so far); CSVOptions.maximumCells caps a table against memory")
        }
        let chunkModes = chunk.modes
        for column in names.indices {
            switch (modes[column], chunkModes[column]) {
            case (.numbers, .numbers):
                grow(&numbers[column], to: total)
                numbers[column].append(contentsOf: UnsafeBufferPointer(start: chunk.numbers + column * chunk.rowCapacity, count: chunk.rows))
            case (.numbers, .text):
                modes[column] = .text
                numbers[column] = []
                try append(chunk.texts[column], to: column)
            case (.numbers, .skip):
                modes[column] = .skip
                numbers[column] = []
            case (.text, _):
                try append(chunk.texts[column], to: column)
            case (.skip, _):
                break
            }
            if infinite[column] == nil, let first = chunk.firstInfinite[column] {
                infinite[column] = (rows + first.row + 2, lines + first.line + 1, first.text)
            }
        }
        rows = total
        lines += chunk.lines
    }

    /// Grows storage by a quarter at a time (never doubling past the table's size).
    private func grow<Element>(_ array: inout [Element], to count: Int) {
        if array.capacity < count { array.reserveCapacity(Swift.max(count, array.capacity + array.capacity / 4)) }
    }

    private func append(_ local: ChunkTexts, to column: Int) throws {
        var global = texts[column]
        texts[column] = ChunkTexts()
        var map = [Int32](repeating: -1, count: local.values.count)
        for (code, value) in local.values.enumerated() {
            if let known = global.index[value] {
                map[code] = known
            } else {
                guard global.values.count < Int(Int32.max) else {
                    throw DataError.malformed(path: path, reason: "column \(column + 1) \"\(names[column])\" has more than \(Int32.max) distinct texts")
                }
                map[code] = Int32(global.values.count)
                global.index[value] = map[code]
                global.values.append(value)
            }
        }
        grow(&global.codes, to: global.codes.count + local.codes.count)
        global.codes.append(contentsOf: local.codes.lazy.map { $0 < 0 ? -1 : map[Int($0)] })
        texts[column] = global
    }

    /// Reserves the numeric columns for the rows the whole stream should hold, judged from the
    /// first chunk's bytes per row, so storage grows once instead of doubling past the table.
    private func reserveFromEstimate(consumedBytes: Int, rows chunkRows: Int) {
        guard chunkRows > 0, !names.isEmpty else { return }
        var estimate = rows
        if !(ended && start + consumedBytes == filled), let total = source.estimatedTotalBytes {
            let bytesPerRow = Double(consumedBytes) / Double(chunkRows)
            estimate = Int(Double(total) / bytesPerRow * 1.02) + 16
        }
        estimate = Swift.min(estimate, options.maximumCells / names.count)
        for column in names.indices where modes[column] == .numbers { numbers[column].reserveCapacity(estimate) }
    }
}
