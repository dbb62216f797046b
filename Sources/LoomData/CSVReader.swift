import Foundation
import Loom

/// Reads CSV files into a ``Table``: a header row, then data rows of as many cells.
///
/// - Delimiter: comma, semicolon or tab, detected from the first lines unless given.
/// - Quoting (RFC 4180): a cell in double quotes may hold delimiters, line breaks and quotes
///   written twice (`""`). Line ends are LF or CRLF; a UTF-8 byte-order mark is skipped;
///   blank lines are skipped.
/// - Missing cells: empty, `NA`, `N/A`, `NaN`, `nan`, `null`, `NULL` and `?` (spaces around a
///   cell are ignored for this and for numbers, kept in text).
/// - Types: a column is ``TableColumn/numbers(_:)`` when every non-missing cell is a finite
///   number (float32, correctly rounded), else ``TableColumn/text(codes:values:)`` with the
///   cells' exact texts: a column that turns out to be text after numeric cells is read again
///   for its texts, so `02134` stays `02134`.
/// - Errors: one ``DataError`` naming the file, and for a bad row `DataError/malformedRow`
///   with the row (the header is row 1), its line and the column.
///
/// The file is read in blocks of 4 MiB and parsed as it streams; blocks without quotes are
/// parsed in two halves on two of Loom's kernel threads. Numeric storage is reserved from the
/// row count estimated after the first block, so a table costs about its float32 size.
public enum CSVReader {
    /// Reads a CSV file (plain, or gzip when the name ends in .gz or the bytes start with the gzip magic).
    public static func read(contentsOf url: URL, options: CSVOptions = CSVOptions()) throws -> Table {
        let path = url.path
        let isGzip = url.pathExtension.lowercased() == "gz" || startsWithGzipMagic(url)
        return try read(path: path, options: options) {
            let file = try FileSource(url: url)
            return isGzip ? try GzipSource(input: file, path: path, limit: options.maximumDecompressedBytes) : file
        }
    }

    /// The same from bytes already in memory (tests, fuzzing).
    public static func read(bytes: [UInt8], source: String, options: CSVOptions = CSVOptions()) throws -> Table {
        try read(path: source, options: options) {
            let memory = MemorySource(bytes)
            return Gzip.isCompressed(bytes) ? try GzipSource(input: memory, path: source, limit: options.maximumDecompressedBytes) : memory
        }
    }

    private static func startsWithGzipMagic(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 2)) ?? Data()
        return Gzip.isCompressed([UInt8](head))
    }

    private static func read(path: String, options: CSVOptions, open: () throws -> ByteSource) throws -> Table {
        if let delimiter = options.delimiter, [CSVTokenizer.quote, CSVTokenizer.lineFeed, CSVTokenizer.carriageReturn].contains(delimiter) {
            throw DataError.malformed(path: path, reason: "a quote or a line break cannot be the delimiter")
        }
        let first = CSVPass(path: path, options: options, source: try open(), delimiter: options.delimiter, expectedNames: nil)
        try first.run(modes: nil)
        let deferred = first.modes.indices.filter { first.modes[$0] == .skip }
        var texts = first.texts
        if !deferred.isEmpty {
            // Columns that met text after numeric cells: their exact texts, in a second pass.
            let second = CSVPass(path: path, options: options, source: try open(), delimiter: first.delimiter, expectedNames: first.names)
            try second.run(modes: first.modes.map { $0 == .skip ? .text : .skip })
            guard second.rows == first.rows else {
                throw DataError.malformed(path: path, reason: "the file changed while it was read (\(first.rows) rows, then \(second.rows))")
            }
            for column in deferred { texts[column] = second.texts[column] }
        }
        try first.checkFinite()
        var columns: [TableColumn] = []
        columns.reserveCapacity(first.names.count)
        for column in first.names.indices {
            if first.modes[column] == .numbers {
                columns.append(.numbers(first.takeNumbers(column)))
            } else {
                columns.append(.text(codes: texts[column].codes, values: texts[column].values))
                texts[column] = ChunkTexts()
            }
        }
        return Table(names: first.names, columns: columns, rowCount: first.rows, source: path)
    }
}
