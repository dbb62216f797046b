import Foundation
import Testing

@testable import LoomData

/// Bad CSV input: every case is one `DataError` line naming the file, and for a bad row the
/// row (header = row 1), the line and the column; never a trap.
@Suite struct CSVReaderErrorTests {
    /// Checks that reading `bytes` fails with `malformedRow` at `row` and `column` and a message containing `text`.
    func expectRowError(_ bytes: [UInt8], row: Int, line: Int? = nil, column: Int?, containing text: String,
                        options: CSVOptions = CSVOptions(), sourceLocation: SourceLocation = #_sourceLocation) {
        let error = dataError { try CSVReader.read(bytes: bytes, source: "bad.csv", options: options) }
        guard case let .malformedRow(path, foundRow, foundLine, foundColumn, _, _)? = error else {
            Issue.record("expected a malformedRow error, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
        let message = error!.description
        #expect(path == "bad.csv" && foundRow == row && foundColumn == column, "\(message)", sourceLocation: sourceLocation)
        if let line { #expect(foundLine == line, "\(message)", sourceLocation: sourceLocation) }
        #expect(message.contains(text), "\(message)", sourceLocation: sourceLocation)
        #expect(message.hasPrefix("bad.csv, row \(row)"), "\(message)", sourceLocation: sourceLocation)
        #expect(!message.contains("\n"), sourceLocation: sourceLocation)
    }

    func expectRowError(_ text: String, row: Int, line: Int? = nil, column: Int?, containing: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        expectRowError(Array(text.utf8), row: row, line: line, column: column, containing: containing, sourceLocation: sourceLocation)
    }

    func expectFileError(_ bytes: [UInt8], containing text: String, options: CSVOptions = CSVOptions(),
                         sourceLocation: SourceLocation = #_sourceLocation) {
        let error = dataError { try CSVReader.read(bytes: bytes, source: "bad.csv", options: options) }
        let message = error?.description ?? "no error"
        #expect(message.contains("bad.csv") && message.contains(text), "\(message)", sourceLocation: sourceLocation)
    }

    @Test("ragged rows: too few and too many cells, named by row, line and column")
    func raggedRows() {
        expectRowError("a,b,c\n1,2,3\n4,5\n", row: 3, line: 3, column: 3, containing: "column 3 \"c\": the row has 2 cells, the header has 3")
        expectRowError("a,b\n1,2\n3,4,5,6\n", row: 3, column: 3, containing: "the row has 4 cells, the header has 2")
        // After a blank line and a quoted line break, row and line differ.
        expectRowError("a,b\n1,\"x\ny\"\n\n2\n", row: 3, line: 5, column: 2, containing: "\"b\"")
    }

    @Test("infinite values are an error naming row and column; in a text column they are text")
    func infiniteValues() throws {
        expectRowError("a,b\n1,2\n3,inf\n", row: 3, column: 2, containing: "\"inf\" is not a finite float32 number")
        expectRowError("a,b\n1,-Infinity\n", row: 2, column: 2, containing: "-Infinity")
        expectRowError("a\n1e999\n", row: 2, column: 1, containing: "1e999")
        expectRowError("a\n1e39\n", row: 2, column: 1, containing: "1e39")
        #expect(texts(try readCSV("a\ninf\nbig\n").columns[0]) == ["inf", "big"])
    }

    @Test("an empty file, blank lines only, a header with no data rows")
    func emptyFiles() {
        expectFileError([], containing: "the file is empty")
        expectFileError(Array("\n\r\n\n".utf8), containing: "the file is empty")
        expectFileError(Array("\u{FEFF}".utf8), containing: "the file is empty")
        expectFileError(Array("a,b,c\n".utf8), containing: "no data rows")
        expectFileError(Array("a,b,c".utf8), containing: "no data rows")
    }

    @Test("duplicate column names")
    func duplicateNames() {
        expectRowError("a,b,a\n1,2,3\n", row: 1, column: 3, containing: "names column 1 the same")
    }

    @Test("an unterminated quote, in the header or a row, and text after a closing quote")
    func quotes() {
        expectRowError("a,b\n1,\"open\n2,3\n", row: 2, column: 2, containing: "never closed")
        expectRowError("a,\"b\n", row: 1, column: 2, containing: "never closed")
        expectRowError("a,b\n1,\"x\"y\n", row: 2, column: 2, containing: "text follows the closing quote")
    }

    @Test("invalid UTF-8 in the header and in a text cell")
    func invalidUTF8() {
        expectRowError(Array("a,".utf8) + [0xFF, 0xFE] + Array("\n1,2\n".utf8), row: 1, column: 2, containing: "not valid UTF-8")
        expectRowError(Array("a,b\n1,x\n2,".utf8) + [0xC3] + Array("\n".utf8), row: 3, column: 2, containing: "not valid UTF-8")
    }

    @Test("a gzip bomb stops at the decompressed cap; a table stops at the cell cap")
    func caps() throws {
        let bomb = try gzipped(Array("a,b\n".utf8) + [UInt8](repeating: UInt8(ascii: "\n"), count: 20 << 20))
        #expect(bomb.count < 100_000)
        var options = CSVOptions()
        options.maximumDecompressedBytes = 1 << 20
        expectFileError(bomb, containing: "decompresses to more than 1048576 bytes", options: options)
        options = CSVOptions()
        options.maximumCells = 1000
        expectFileError(Array(("a,b\n" + String(repeating: "1,2\n", count: 600)).utf8), containing: "more than 1000 cells", options: options)
    }

    @Test("truncated and corrupt gzip input")
    func corruptGzip() throws {
        let compressed = try gzipped(Array("a,b\n1,2\n3,4\n".utf8))
        for length in [2, 10, compressed.count / 2, compressed.count - 4] {
            expectFileError(Array(compressed.prefix(length)), containing: "gzip")
        }
        var flipped = compressed
        flipped[12] ^= 0xFF
        #expect(dataError { try CSVReader.read(bytes: flipped, source: "bad.csv") } != nil)
    }

    @Test("a row longer than 64 MiB (an unterminated quote in a big file) is refused")
    func endlessQuote() {
        let bytes = Array("a\n\"".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 65 << 20) + Array("\n".utf8)
        expectRowError(bytes, row: 2, column: nil, containing: "longer than 64 MiB")
    }

    @Test("a missing file and a directory")
    func unreadable() {
        let missing = dataError { try CSVReader.read(contentsOf: URL(fileURLWithPath: "/nonexistent/x.csv")) }
        #expect(missing == .unreadable(path: "/nonexistent/x.csv", reason: "no such file"))
        let directory = dataError { try CSVReader.read(contentsOf: FileManager.default.temporaryDirectory) }
        #expect(directory?.description.contains("directory") == true)
    }

    @Test("every prefix of a valid file reads or fails with a DataError, never a trap")
    func everyPrefix() {
        let bytes = Array("\u{FEFF}id,\"na,me\",v\r\n1,\"a \"\"b\"\"\",2.5\r\n2,\"x\ny\",NA\r\n3,z,-1e3\r\n".utf8)
        for length in 0...bytes.count {
            do {
                _ = try CSVReader.read(bytes: Array(bytes.prefix(length)), source: "p.csv")
            } catch is DataError {
            } catch {
                Issue.record("prefix \(length): \(error)")
            }
        }
    }
}
