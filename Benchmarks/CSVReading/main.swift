// loom-csv-bench: reads one CSV file with LoomData's CSVReader and prints one JSON line with
// the time of the read alone. Benchmarks/csv_reading.py runs it against pandas.
// Usage: loom-csv-bench FILE
import Foundation
import LoomData

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write("usage: loom-csv-bench FILE\n".data(using: .utf8)!)
    exit(2)
}
let url = URL(fileURLWithPath: CommandLine.arguments[1])
let start = Date()
do {
    let table = try CSVReader.read(contentsOf: url)
    let seconds = Date().timeIntervalSince(start)
    let numeric = table.columns.filter { if case .numbers = $0 { true } else { false } }.count
    print("{\"seconds\": \(seconds), \"rows\": \(table.rowCount), \"columns\": \(table.names.count), \"numeric_columns\": \(numeric)}")
} catch {
    FileHandle.standardError.write("\(error)\n".data(using: .utf8)!)
    exit(1)
}
