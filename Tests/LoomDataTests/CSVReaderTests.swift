import Foundation
import Testing

@testable import LoomData

func readCSV(_ text: String, options: CSVOptions = CSVOptions()) throws -> Table {
    try CSVReader.read(bytes: Array(text.utf8), source: "t.csv", options: options)
}

func numbers(_ column: TableColumn) -> [Float]? {
    if case let .numbers(values) = column { return values }
    return nil
}

/// The texts of a text column, nil for a missing cell.
func texts(_ column: TableColumn) -> [String?]? {
    if case let .text(codes, values) = column { return codes.map { $0 < 0 ? nil : values[Int($0)] } }
    return nil
}

/// The error `body` throws, which must be a `DataError`.
func dataError(_ body: () throws -> Table) -> DataError? {
    do {
        _ = try body()
        return nil
    } catch let error as DataError {
        return error
    } catch {
        return nil
    }
}

@Suite struct CSVReaderTests {
    @Test("numbers, text and missing cells; the header names the columns in order")
    func basicTypes() throws {
        let table = try readCSV("x,name,y\n1,a,2.5\n-3e2,b,\n.5,a,NA\n")
        #expect(table.names == ["x", "name", "y"])
        #expect(table.rowCount == 3)
        #expect(numbers(table.columns[0]) == [1, -300, 0.5])
        #expect(texts(table.columns[1]) == ["a", "b", "a"])
        if case let .text(codes, values) = table.columns[1] {
            #expect(codes == [0, 1, 0])
            #expect(values == ["a", "b"])
        }
        let y = try #require(numbers(table.columns[2]))
        #expect(y[0] == 2.5 && y[1].isNaN && y[2].isNaN)
    }

    @Test("every missing marker reads as missing, never as a number", arguments: ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "?", " NA "])
    func missingMarkers(marker: String) throws {
        let table = try readCSV("a,b\n1,\(marker)\n2,3\n")
        let b = try #require(numbers(table.columns[1]))
        #expect(b[0].isNaN && b[1] == 3)
        #expect(table.columns[1].missingCount == 1)
    }

    @Test("a text column keeps missing cells as -1")
    func missingText() throws {
        let table = try readCSV("a,b\nx,1\n,2\nNA,3\ny,4\n")
        #expect(texts(table.columns[0]) == ["x", nil, nil, "y"])
    }

    @Test("numbers that look like text stay exact once their column turns out to be text")
    func exactTextAfterNumbers() throws {
        let table = try readCSV("zip,n\n02134,1\n1e3,2\n7.50,3\nunknown,4\n02134,5\n")
        #expect(texts(table.columns[0]) == ["02134", "1e3", "7.50", "unknown", "02134"])
        #expect(numbers(table.columns[1]) == [1, 2, 3, 4, 5])
        // All numbers: 02134 is the number 2134.
        #expect(numbers(try readCSV("zip\n02134\n1\n").columns[0]) == [2134, 1])
    }

    @Test("a column that turns to text late in a big file is read again in a second pass")
    func lateTextColumn() throws {
        var text = "a,b\n"
        for row in 0..<300_000 { text += "\(row),0\(row % 10)\n" }
        text += "1,late\n"
        let table = try readCSV(text)
        #expect(table.rowCount == 300_001)
        let b = try #require(texts(table.columns[1]))
        #expect(b[0] == "00" && b[13] == "03" && b.last == "late")
        let a = try #require(numbers(table.columns[0]))
        #expect(a[299_999] == 299_999 && a.last == 1)
    }

    @Test("RFC 4180 quoting: delimiters, doubled quotes and line breaks inside quotes")
    func quoting() throws {
        let table = try readCSV("id,comment\n1,\"a, b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n4,\"\"\n5,\"7\"\n")
        #expect(texts(table.columns[1]) == ["a, b", "say \"hi\"", "two\nlines", nil, "7"])
        #expect(numbers(try readCSV("a\n\"1.5\"\n\"2\"\n").columns[0]) == [1.5, 2])
    }

    @Test("delimiters are detected from the first lines, or taken as given", arguments: [
        ("a,b;c\n1,2;3\n", UInt8(ascii: ","), 2), ("a;b;c\n1,5;2;3\n", UInt8(ascii: ";"), 3),
        ("a\tb\n1\t2\n", UInt8(ascii: "\t"), 2), ("\"x;y\",b\n1,2\n", UInt8(ascii: ","), 2), ("only\n1\n2\n", UInt8(ascii: ","), 1),
    ])
    func delimiters(text: String, expected: UInt8, columns: Int) throws {
        let table = try readCSV(text)
        #expect(table.names.count == columns)
        var options = CSVOptions()
        options.delimiter = expected
        #expect(try readCSV(text, options: options).names == table.names)
    }

    @Test("a given delimiter overrides detection")
    func givenDelimiter() throws {
        var options = CSVOptions()
        options.delimiter = UInt8(ascii: ";")
        let table = try readCSV("a,b;c\n1,2;3\n", options: options)
        #expect(table.names == ["a,b", "c"])
        #expect(texts(table.columns[0]) == ["1,2"])
    }

    @Test("CRLF line ends, a UTF-8 byte-order mark, blank lines and no final line break")
    func lineEnds() throws {
        let table = try readCSV("\u{FEFF}a,b\r\n1,x\r\n\r\n2,\"y\"\r\n3,z")
        #expect(table.names == ["a", "b"])
        #expect(numbers(table.columns[0]) == [1, 2, 3])
        #expect(texts(table.columns[1]) == ["x", "y", "z"])
    }

    @Test("numbers round to the nearest float32, as strtof does", arguments: [
        "0.1", "3.4028235e38", "1.17549435e-38", "1.4e-45", "7e-46", "123456789012345678901234", "0.000000000000000000000000000000000000000000001",
        "16777217", "9007199254740993", "1.00000005960464477539062500001", "-2.5e-3", "1E+10", "5.",
    ])
    func rounding(text: String) throws {
        let value = try #require(numbers(try readCSV("v\n\(text)\n").columns[0]))
        #expect(value == [Float(text)!], "\(text)")
    }

    @Test("random decimals agree with strtof bit for bit")
    func randomDecimals() throws {
        var generator = SystemRandomNumberGenerator()
        var lines = ["v"], expected: [Float] = []
        for _ in 0..<20_000 {
            let digits = String(UInt64.random(in: 1...UInt64.max, using: &generator) % 10_000_000_000_000_000)
            let text = "\(digits.prefix(1)).\(digits.dropFirst())e\(Int.random(in: -45...37, using: &generator))"
            lines.append(text)
            expected.append(Float(text)!)
        }
        let values = try #require(numbers(try readCSV(lines.joined(separator: "\n")).columns[0]))
        #expect(values.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    @Test("gzip: by magic from bytes, and by name or magic from files")
    func gzip() throws {
        let plain = Array("a,b\n1,x\n2,y\n".utf8)
        let compressed = try gzipped(plain)
        let fromBytes = try CSVReader.read(bytes: compressed, source: "t.csv.gz")
        #expect(numbers(fromBytes.columns[0]) == [1, 2])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-csv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["t.csv.gz", "t.csv"] {
            let url = directory.appendingPathComponent(name)
            try Data(compressed).write(to: url)
            #expect(texts(try CSVReader.read(contentsOf: url).columns[1]) == ["x", "y"])
        }
        let url = directory.appendingPathComponent("plain.csv")
        try Data(plain).write(to: url)
        #expect(try CSVReader.read(contentsOf: url).rowCount == 2)
    }

    @Test("a large file (many blocks, both threads) reads every row once, in order")
    func manyBlocks() throws {
        var text = "i,half,label\n"
        for row in 0..<400_000 { text += "\(row),\(Double(row) / 2),\(row % 3 == 0 ? "a" : "b")\n" }
        let table = try readCSV(text)
        #expect(table.rowCount == 400_000)
        let i = try #require(numbers(table.columns[0])), half = try #require(numbers(table.columns[1]))
        #expect(i == (0..<400_000).map(Float.init))
        #expect(half == (0..<400_000).map { Float(Double($0) / 2) })
        let labels = try #require(texts(table.columns[2]))
        #expect(labels.enumerated().allSatisfy { $0.element == ($0.offset % 3 == 0 ? "a" : "b") })
    }

    @Test("a quoted cell across block boundaries")
    func quotesAcrossBlocks() throws {
        let long = String(repeating: "x,\"\n", count: 1_500_000)  // 6 MB inside one quoted cell
        let text = "a,b\n1,\"" + long.replacingOccurrences(of: "\"", with: "\"\"") + "\"\n2,y\n"
        let table = try readCSV(text)
        let b = try #require(texts(table.columns[1]))
        #expect(b[0] == long && b[1] == "y")
    }
}
