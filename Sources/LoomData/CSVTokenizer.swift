/// RFC 4180 records one at a time, for the header, the delimiter detection and error messages
/// (the data rows go through ``CSVChunk``, which parses numbers as it tokenizes).
enum CSVTokenizer {
    static let quote = UInt8(ascii: "\""), lineFeed = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")

    enum Result {
        /// The cells (quotes removed, doubled quotes undone), where the next record starts,
        /// and the newlines consumed (inside quotes and the terminator).
        case record(cells: [[UInt8]], next: UnsafePointer<UInt8>, newlines: Int)
        /// The record does not end before the end of the bytes, and more may follow.
        case incomplete
        /// `column` is 0-based.
        case failure(column: Int, reason: String)
    }

    /// Skips blank lines (LF or CRLF alone) at `start`; returns the first byte after them and
    /// their count, or nil when a lone CR at the end leaves it undecided.
    static func skipBlankLines(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, isFinal: Bool) -> (UnsafePointer<UInt8>, Int)? {
        var p = start, count = 0
        while p < end {
            if p[0] == lineFeed { p += 1; count += 1; continue }
            if p[0] == carriageReturn {
                if p + 1 == end && !isFinal { return nil }
                if p + 1 < end && p[1] == lineFeed { p += 2; count += 1; continue }
            }
            break
        }
        return (p, count)
    }

    /// Tokenizes the record at `start` (which is not a blank line).
    static func record(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, delimiter: UInt8, isFinal: Bool) -> Result {
        var cells: [[UInt8]] = []
        var p = start, newlines = 0
        while true {
            var cell: [UInt8] = []
            if p < end && p[0] == quote {
                var q = p + 1
                while true {
                    guard q < end else {
                        return isFinal ? .failure(column: cells.count, reason: "the quote that opens this cell is never closed") : .incomplete
                    }
                    if q[0] == quote {
                        if q + 1 < end && q[1] == quote { cell.append(quote); q += 2; continue }
                        if q + 1 == end && !isFinal { return .incomplete }
                        break
                    }
                    if q[0] == lineFeed { newlines += 1 }
                    cell.append(q[0])
                    q += 1
                }
                q += 1
                cells.append(cell)
                if q == end { return .record(cells: cells, next: q, newlines: newlines) }
                if q[0] == delimiter { p = q + 1; continue }
                if q[0] == lineFeed { return .record(cells: cells, next: q + 1, newlines: newlines + 1) }
                if q[0] == carriageReturn {
                    if q + 1 < end && q[1] == lineFeed { return .record(cells: cells, next: q + 2, newlines: newlines + 1) }
                    if q + 1 == end && !isFinal { return .incomplete }
                }
                return .failure(column: cells.count - 1, reason: "text follows the closing quote of a quoted cell (a quote inside a quoted cell is written twice: \"\")")
            }
            var q = p
            while q < end && q[0] != delimiter && q[0] != lineFeed { q += 1 }
            if q == end && !isFinal { return .incomplete }
            var contentEnd = q
            let endsRecord = q == end || q[0] == lineFeed
            if endsRecord && contentEnd > p && contentEnd[-1] == carriageReturn { contentEnd -= 1 }
            cell.append(contentsOf: UnsafeBufferPointer(start: p, count: contentEnd - p))
            cells.append(cell)
            if q == end { return .record(cells: cells, next: q, newlines: newlines) }
            if q[0] == lineFeed { return .record(cells: cells, next: q + 1, newlines: newlines + 1) }
            p = q + 1
        }
    }

    /// The delimiter of a file from its first records: among comma, semicolon and tab, the one
    /// that splits the header into the most cells with every following record (of the first
    /// ten) split into as many; failing that, the one that splits the header most; a file
    /// with none of them is one column (comma).
    static func detectDelimiter(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, isFinal: Bool) -> UInt8 {
        var best: (delimiter: UInt8, consistent: Bool, cells: Int) = (UInt8(ascii: ","), false, 1)
        for delimiter in [",", ";", "\t"].map({ UInt8(ascii: $0) }) {
            var counts: [Int] = []
            var p = start
            scan: while counts.count < 10 {
                guard let (next, _) = skipBlankLines(p, end, isFinal: isFinal), next < end else { break }
                switch record(next, end, delimiter: delimiter, isFinal: isFinal) {
                case let .record(cells, after, _): counts.append(cells.count); p = after
                case .incomplete, .failure: break scan
                }
            }
            guard let header = counts.first, header > 1 else { continue }
            let consistent = counts.allSatisfy { $0 == header }
            if (consistent && !best.consistent) || (consistent == best.consistent && header > best.cells) {
                best = (delimiter, consistent, header)
            }
        }
        return best.delimiter
    }
}
