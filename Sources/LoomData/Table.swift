import Foundation

/// A table read from a file: named columns of the same length.
public struct Table: Sendable {
    /// The header's names, in file order (a name occurs once: duplicates are refused on read).
    public var names: [String]
    /// One column per name, each of `rowCount` cells.
    public var columns: [TableColumn]
    /// The number of data rows (the header not counted).
    public var rowCount: Int
    /// Where the table came from (the path), for error messages.
    public var source: String

    /// A table from its parts; `columns` must match `names` one to one, each of `rowCount` cells.
    public init(names: [String], columns: [TableColumn], rowCount: Int, source: String) {
        precondition(names.count == columns.count, "\(names.count) names for \(columns.count) columns")
        precondition(columns.allSatisfy { $0.count == rowCount }, "every column needs \(rowCount) cells")
        self.names = names
        self.columns = columns
        self.rowCount = rowCount
        self.source = source
    }

    /// The column called `name`, or nil.
    public func column(named name: String) -> TableColumn? {
        names.firstIndex(of: name).map { columns[$0] }
    }
}

/// One column of a ``Table``.
public enum TableColumn: Sendable {
    /// Every non-missing cell parsed as a finite number; NaN marks a missing cell.
    case numbers([Float])
    /// Anything else: `codes[i]` indexes `values` (distinct cell texts in first-seen order), -1
    /// marks a missing cell.
    case text(codes: [Int32], values: [String])

    /// The number of cells.
    public var count: Int {
        switch self {
        case let .numbers(values): values.count
        case let .text(codes, _): codes.count
        }
    }

    /// The number of missing cells.
    public var missingCount: Int {
        switch self {
        case let .numbers(values): values.reduce(0) { $0 + ($1.isNaN ? 1 : 0) }
        case let .text(codes, _): codes.reduce(0) { $0 + ($1 < 0 ? 1 : 0) }
        }
    }
}

/// How ``CSVReader`` reads a file.
public struct CSVOptions: Sendable {
    /// The byte between cells; nil detects comma, semicolon or tab from the first lines.
    public var delimiter: UInt8? = nil
    /// The most cells (rows × columns, the header not counted) a table may have, checked before
    /// storage grows past it. The default, a sixteenth of physical memory in cells, keeps a
    /// table of 4-byte cells under a quarter of the memory.
    public var maximumCells: Int = CSVOptions.defaultMaximumCells
    /// The most bytes a gzip file may inflate to. The text is read in blocks and never held
    /// whole, so this bounds time, not memory (``maximumCells`` bounds memory); the default is
    /// sixteen times physical memory.
    public var maximumDecompressedBytes: Int = CSVOptions.defaultMaximumDecompressedBytes

    /// The defaults: detect the delimiter, caps from physical memory.
    public init() {}

    static var defaultMaximumCells: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory / 16) }
    static var defaultMaximumDecompressedBytes: Int {
        let memory = ProcessInfo.processInfo.physicalMemory
        return memory > UInt64(Int.max / 16) ? Int.max : Int(memory) * 16
    }
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

extension TableColumn {
    /// A text column of `cells` (nil: missing), its distinct texts in first-seen order.
    static func text(cells: [String?]) -> TableColumn {
        var distinct: [String] = [], codeOf: [String: Int32] = [:]
        let codes = cells.map { cell -> Int32 in
            guard let cell else { return -1 }
            if let code = codeOf[cell] { return code }
            codeOf[cell] = Int32(distinct.count)
            distinct.append(cell)
            return Int32(distinct.count - 1)
        }
        return .text(codes: codes, values: distinct)
    }
}
