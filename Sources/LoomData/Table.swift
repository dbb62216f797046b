import Foundation

/// A table read from a file: named columns of the same length.
public struct Table: Sendable {
    /// Header names, in file order.
    public var names: [String]
    /// One per name.
    public var columns: [TableColumn]
    public var rowCount: Int
    /// The path, for error messages.
    public var source: String

    /// A table of `columns` named `names` (library users' in-memory data).
    public init(names: [String], columns: [TableColumn], rowCount: Int, source: String) {
        self.names = names
        self.columns = columns
        self.rowCount = rowCount
        self.source = source
    }
}

/// One column of a ``Table``.
public enum TableColumn: Sendable {
    /// Every non-missing cell parsed as a finite number; NaN marks a missing cell.
    case numbers([Float])
    /// Anything else: `codes[i]` indexes `values` (distinct cell texts in first-seen order), -1
    /// marks a missing cell.
    case text(codes: [Int32], values: [String])
}

extension Table {
    /// The first `count` rows.
    public func prefix(_ count: Int) -> Table {
        let n = Swift.min(count, rowCount)
        let cut: [TableColumn] = columns.map { column in
            switch column {
            case let .numbers(values): .numbers(Array(values.prefix(n)))
            case let .text(codes, values): .text(codes: Array(codes.prefix(n)), values: values)
            }
        }
        return Table(names: names, columns: cut, rowCount: n, source: source)
    }
}
