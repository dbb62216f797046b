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

    public var description: String {
        switch self {
        case let .unreadable(path, reason): "cannot read \(path): \(reason)"
        case let .malformed(path, reason): "\(path) is not a valid file: \(reason)"
        case let .mismatch(message): message
        case let .notFound(message): message
        }
    }
}
