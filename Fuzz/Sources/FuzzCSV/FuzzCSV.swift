import LoomData

/// One libFuzzer input: CSV bytes (plain or gzip), read with small limits. A thrown
/// ``DataError`` is the expected answer to garbage; a table that reads must have columns of
/// its row count and names for every column.
func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var options = CSVOptions()
    options.maximumCells = 1 << 16
    options.maximumDecompressedBytes = 1 << 20
    guard let table = try? CSVReader.read(bytes: bytes, source: "fuzz.csv", options: options) else { return 0 }
    precondition(table.names.count == table.columns.count, "CSV: \(table.names.count) names for \(table.columns.count) columns")
    for column in table.columns {
        precondition(column.count == table.rowCount, "CSV: a column of \(column.count) cells in a table of \(table.rowCount) rows")
    }
    return 0
}
