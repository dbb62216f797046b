import Foundation

// SCAFFOLD: replaced by the table-readers branch (CSVReader, NumpyReader) when it merges.
public struct CSVOptions: Sendable { public init() {} }
public enum CSVReader {
    public static func read(contentsOf url: URL, options: CSVOptions = CSVOptions()) throws -> Table {
        throw DataError.unreadable(path: url.path, reason: "CSV reading is not built yet")
    }
}
public struct NumpyArray: Sendable {
    public var shape: [Int]
    public var elements: Elements
    public enum Elements: Sendable { case float32([Float]), float64([Double]), int64([Int64]), bool([Bool]), strings([String]) }
}
public enum NumpyReader {
    public static func readNPY(contentsOf url: URL) throws -> NumpyArray { throw DataError.unreadable(path: url.path, reason: "not built yet") }
    public static func readNPZ(contentsOf url: URL) throws -> [String: NumpyArray] { throw DataError.unreadable(path: url.path, reason: "not built yet") }
}
