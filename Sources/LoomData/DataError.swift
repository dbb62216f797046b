/// What can go wrong reading data from outside. Every case names the file and says what
/// was expected, so a user can act on the message alone.
public enum DataError: Error, Equatable, CustomStringConvertible {
    /// The file does not exist or cannot be read.
    case unreadable(path: String, reason: String)
    /// The file is not in the expected format.
    case malformed(path: String, reason: String)
    /// Two files that belong together disagree (for example image and label counts).
    case mismatch(String)
    /// A dataset or option that is not known.
    case notFound(String)
    /// A row of a table file is wrong. `row` counts records from 1 with the header as row 1
    /// (the first data row is row 2, as a spreadsheet shows it); `line` is the file's line on
    /// which that row starts (they differ after blank lines or newlines inside quotes);
    /// `column` is 1-based, with the header's name when the header has one there.
    case malformedRow(path: String, row: Int, line: Int, column: Int?, columnName: String?, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): "cannot read \(path): \(reason)"
        case let .malformed(path, reason): "\(path) is not a valid file: \(reason)"
        case let .mismatch(message): message
        case let .notFound(message): message
        case let .malformedRow(path, row, line, column, columnName, reason):
            "\(path), row \(row) (line \(line))"
                + (column.map { ", column \($0)" } ?? "")
                + (columnName.map { " \"\($0)\"" } ?? "")
                + ": \(reason)"
        }
    }
}
