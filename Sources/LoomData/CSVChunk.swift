import Foundation

/// What a pass does with one column's cells.
enum ColumnMode: UInt8 {
    /// Parse each cell as a number (the state of every column until a cell is not one).
    case numbers
    /// Keep each cell's text.
    case text
    /// Ignore the cells (a column that turned out to be text after numeric cells: its texts
    /// are read in a second pass).
    case skip
}

/// The text cells of one column within one chunk: `codes` index `values`, first seen in this chunk.
struct ChunkTexts {
    var codes: [Int32] = []
    var values: [String] = []
    var index: [String: Int32] = [:]
}

/// The data rows of a byte range, tokenized and parsed in one sweep. Two chunks can parse two
/// halves of a block on two threads; the reader merges them in order.
///
/// A chunk stops before a record that does not end inside its bytes (unless `isFinal`), so
/// `consumed` always ends at a record boundary; nothing of that last partial record is kept.
final class CSVChunk {
    let columnCount: Int
    let delimiter: UInt8
    /// The column-major cells of numeric columns: `numbers[column * rowCapacity + row]`.
    private(set) var numbers: UnsafeMutablePointer<Float>
    private(set) var rowCapacity = 0
    private var modeStorage: UnsafeMutablePointer<ColumnMode>
    private var sawNumberStorage: UnsafeMutablePointer<Bool>
    /// The text cells of the row being parsed, interned only once the row is complete.
    private var pending: [(column: Int, start: UnsafePointer<UInt8>, end: UnsafePointer<UInt8>, escaped: Bool)] = []

    // Results of the last `parse`, all with 0-based local rows and lines.
    private(set) var rows = 0
    private(set) var lines = 0
    private(set) var consumed = 0
    private(set) var texts: [ChunkTexts]
    private(set) var firstInfinite: [(row: Int, line: Int, text: String)?]
    private(set) var failure: (row: Int, line: Int, column: Int?, reason: String)?
    var modes: [ColumnMode] { Array(UnsafeBufferPointer(start: modeStorage, count: columnCount)) }

    init(columnCount: Int, delimiter: UInt8) {
        self.columnCount = columnCount
        self.delimiter = delimiter
        numbers = .allocate(capacity: 1)
        // Cache-line aligned and padded: the chunks of two threads write these per cell, and a
        // shared line would bounce between the cores (false sharing).
        let padded = (columnCount + 63) / 64 * 64
        modeStorage = UnsafeMutableRawPointer.allocate(byteCount: padded, alignment: 64).bindMemory(to: ColumnMode.self, capacity: padded)
        sawNumberStorage = UnsafeMutableRawPointer.allocate(byteCount: padded, alignment: 64).bindMemory(to: Bool.self, capacity: padded)
        texts = Array(repeating: ChunkTexts(), count: columnCount)
        firstInfinite = Array(repeating: nil, count: columnCount)
        pending.reserveCapacity(columnCount)
    }

    deinit {
        numbers.deallocate()
        modeStorage.deallocate()
        sawNumberStorage.deallocate()
    }

    /// Parses the complete records of `count` bytes at `base`, starting each column in
    /// `modes`. With `allowTextSwitch` (the file's first chunk), a numeric column whose first
    /// non-missing cell is text becomes `.text` at once; otherwise a numeric column that meets
    /// text becomes `.skip`, for the second pass.
    func parse(_ base: UnsafePointer<UInt8>, count: Int, isFinal: Bool, modes: [ColumnMode], allowTextSwitch: Bool) {
        reset(base: base, count: count, modes: modes)
        let end = base + count
        let delimiter = self.delimiter, columns = columnCount
        let lineFeed = CSVTokenizer.lineFeed, carriageReturn = CSVTokenizer.carriageReturn, quote = CSVTokenizer.quote
        let powers = CSVNumber.powersOfTen
        let modeOf = modeStorage, numbers = self.numbers, rowCapacity = self.rowCapacity
        var p = base
        // Local, not the property, for the same reason as the padding in `init`.
        var lines = 0, committedLines = 0
        record: while p < end {
            let recordStart = p, recordLine = lines
            if p[0] == lineFeed || p[0] == carriageReturn {
                guard let (next, blanks) = CSVTokenizer.skipBlankLines(p, end, isFinal: isFinal) else { break record }
                if blanks > 0 {
                    p = next
                    lines += blanks
                    consumed = p - base
                    committedLines = lines
                    continue record
                }
            }
            let row = rows
            var column = 0
            pending.removeAll(keepingCapacity: true)
            while true {
                guard column < columns else {
                    let cells = cellCount(recordStart, end, isFinal: isFinal)
                    fail(row, recordLine, column, "the row has \(cells.map(String.init) ?? "more") cells, the header has \(columns)")
                    return
                }
                let mode = modeOf[column]
                var contentStart = p, contentEnd = p
                var escaped = false, endsRecord = false
                if p < end && p[0] == quote {
                    var q = p + 1
                    contentStart = q
                    var newlinesInside = 0
                    while true {
                        guard q < end else {
                            if !isFinal { break record }
                            fail(row, recordLine, column, "the quote that opens this cell is never closed")
                            return
                        }
                        let byte = q[0]
                        if byte == quote {
                            if q + 1 < end && q[1] == quote { escaped = true; q += 2; continue }
                            if q + 1 == end && !isFinal { break record }
                            break
                        }
                        if byte == lineFeed { newlinesInside += 1 }
                        q += 1
                    }
                    contentEnd = q
                    q += 1
                    if q == end {
                        endsRecord = true
                    } else if q[0] == delimiter {
                        q += 1
                    } else if q[0] == lineFeed {
                        endsRecord = true
                        q += 1
                        newlinesInside += 1
                    } else if q[0] == carriageReturn && q + 1 < end && q[1] == lineFeed {
                        endsRecord = true
                        q += 2
                        newlinesInside += 1
                    } else if q[0] == carriageReturn && q + 1 == end && !isFinal {
                        break record
                    } else {
                        fail(row, recordLine, column, "text follows the closing quote of a quoted cell (a quote inside a quoted cell is written twice: \"\")")
                        return
                    }
                    p = q
                    lines += newlinesInside
                } else {
                    if mode == .numbers {
                        // The fast path: a number that ends exactly at the cell's end.
                        let (value, stop, result) = CSVNumber.scan(p, end, powers: powers)
                        if result == .exact {
                            var next: UnsafePointer<UInt8>? = nil
                            var ends = false
                            if stop < end {
                                let byte = stop[0]
                                if byte == delimiter {
                                    next = stop + 1
                                } else if byte == lineFeed {
                                    next = stop + 1; ends = true
                                } else if byte == carriageReturn && stop + 1 < end && stop[1] == lineFeed {
                                    next = stop + 2; ends = true
                                }
                            } else if isFinal {
                                next = stop; ends = true
                            }
                            if let next {
                                numbers[column &* rowCapacity &+ row] = value
                                sawNumberStorage[column] = true
                                p = next
                                if !ends { column += 1; continue }
                                if ends && next[-1] == lineFeed { lines += 1 }
                                guard finishRow(row, recordLine, column) else { return }
                                consumed = p - base
                                committedLines = lines
                                continue record
                            }
                        }
                    }
                    var q = p
                    while q < end && q[0] != delimiter && q[0] != lineFeed { q += 1 }
                    if q == end && !isFinal { break record }
                    contentEnd = q
                    if q == end || q[0] == lineFeed {
                        endsRecord = true
                        if contentEnd > contentStart && contentEnd[-1] == carriageReturn { contentEnd -= 1 }
                        if q < end { lines += 1; q += 1 }
                    } else {
                        q += 1
                    }
                    p = q
                }
                switch mode {
                case .numbers:
                    numberCell(contentStart, contentEnd, row: row, line: recordLine, column: column, allowTextSwitch: allowTextSwitch)
                    if modeOf[column] == .text { pending.append((column, contentStart, contentEnd, escaped)) }
                case .text:
                    pending.append((column, contentStart, contentEnd, escaped))
                case .skip:
                    break
                }
                if endsRecord {
                    guard finishRow(row, recordLine, column) else { return }
                    consumed = p - base
                    committedLines = lines
                    continue record
                }
                column += 1
            }
        }
        // A partial last record: forget the lines counted inside it.
        self.lines = committedLines
    }

    private func reset(base: UnsafePointer<UInt8>, count: Int, modes: [ColumnMode]) {
        rows = 0
        lines = 0
        consumed = 0
        failure = nil
        for column in 0..<columnCount {
            modeStorage[column] = modes[column]
            sawNumberStorage[column] = false
            texts[column] = ChunkTexts()
            firstInfinite[column] = nil
        }
        // Every record but the last ends in a line feed and has at least one byte per column.
        let bound = Swift.min(lineCount(base, count), count / Swift.max(columnCount, 1)) + 1
        if bound > rowCapacity || bound * 4 < rowCapacity {
            numbers.deallocate()
            rowCapacity = bound
            numbers = .allocate(capacity: Swift.max(rowCapacity * columnCount, 1))
        }
    }

    /// A numeric column's cell that was not a plain number: missing, a spaced or quoted
    /// number, an infinite value, or text (which changes the column's mode).
    private func numberCell(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, row: Int, line: Int, column: Int, allowTextSwitch: Bool) {
        let slot = column * rowCapacity + row
        switch CSVNumber.classify(start, count: end - start) {
        case .missing:
            numbers[slot] = .nan
        case let .number(value):
            numbers[slot] = value
            sawNumberStorage[column] = true
        case .infinite:
            numbers[slot] = .nan
            sawNumberStorage[column] = true
            if firstInfinite[column] == nil {
                firstInfinite[column] = (row, line, String(decoding: UnsafeBufferPointer(start: start, count: end - start), as: UTF8.self))
            }
        case .text:
            if allowTextSwitch && !sawNumberStorage[column] {
                modeStorage[column] = .text
                texts[column].codes = Array(repeating: -1, count: row)
            } else {
                modeStorage[column] = .skip
            }
        }
    }

    /// Checks the row's cell count and interns its text cells; false after a failure.
    private func finishRow(_ row: Int, _ line: Int, _ lastColumn: Int) -> Bool {
        guard lastColumn + 1 == columnCount else {
            fail(row, line, lastColumn + 1, "the row has \(lastColumn + 1) cells, the header has \(columnCount)")
            return false
        }
        for cell in pending {
            let bytes = UnsafeBufferPointer(start: cell.start, count: cell.end - cell.start)
            var unescaped: [UInt8] = []
            if cell.escaped {
                var previousWasQuote = false
                for byte in bytes {
                    if byte == CSVTokenizer.quote && previousWasQuote { previousWasQuote = false; continue }
                    previousWasQuote = byte == CSVTokenizer.quote
                    unescaped.append(byte)
                }
            }
            let code: Int32
            if !cell.escaped && Self.isMissingText(bytes) {
                code = -1
            } else {
                let text = cell.escaped
                    ? unescaped.withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) }
                    : String(validating: bytes, as: UTF8.self)
                guard let text else {
                    fail(row, line, cell.column, "the cell is not valid UTF-8 text")
                    return false
                }
                if let known = texts[cell.column].index[text] {
                    code = known
                } else {
                    code = Int32(texts[cell.column].values.count)
                    texts[cell.column].values.append(text)
                    texts[cell.column].index[text] = code
                }
            }
            texts[cell.column].codes.append(code)
        }
        rows += 1
        return true
    }

    private static func isMissingText(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var first = base, last = base + bytes.count
        while first < last && (first[0] == 0x20 || first[0] == 0x09) { first += 1 }
        while last > first && (last[-1] == 0x20 || last[-1] == 0x09) { last -= 1 }
        return CSVNumber.isMissing(first, count: last - first)
    }

    private func fail(_ row: Int, _ line: Int, _ column: Int?, _ reason: String) {
        failure = (row, line, column, reason)
    }

    /// The cells of the record at `start`, for the message about a row that has too many.
    private func cellCount(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, isFinal: Bool) -> Int? {
        if case let .record(cells, _, _) = CSVTokenizer.record(start, end, delimiter: delimiter, isFinal: isFinal) { return cells.count }
        return nil
    }

    private func lineCount(_ base: UnsafePointer<UInt8>, _ count: Int) -> Int {
        // memchr from line to line: rows are long, and memchr scans 32 bytes a cycle.
        var lines = 0, p = UnsafeRawPointer(base)
        let end = p + count
        while p < end, let found = memchr(p, Int32(CSVTokenizer.lineFeed), end - p) {
            lines += 1
            p = UnsafeRawPointer(found) + 1
        }
        return lines
    }
}
