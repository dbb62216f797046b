import Foundation

/// A single pass over a safetensors header's JSON text that finds what `JSONSerialization`
/// cannot report: a key repeated within one object (the parser silently keeps one of the two
/// tensors) and nesting deep enough to exhaust the stack of a recursive parser.
///
/// The scan never fails on invalid JSON: it only has to be right where the text is valid,
/// which `JSONSerialization` checks afterwards.
struct SafeTensorsHeaderScan {
    /// The first key that appears twice in one object, decoded (`"a"` and `"\u0061"` are the
    /// same name).
    private(set) var duplicateKey: String?
    /// The deepest nesting of objects and arrays seen.
    private(set) var maximumDepth = 0

    init(_ bytes: some Collection<UInt8>, depthLimit: Int) {
        let text = Array(bytes)
        // One entry per open container: the keys seen so far (objects) or nil (arrays), and
        // whether the next string is a key.
        var stack: [(keys: Set<String>?, expectsKey: Bool)] = []
        var index = 0
        while index < text.count {
            let byte = text[index]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                stack.append((byte == UInt8(ascii: "{") ? [] : nil, byte == UInt8(ascii: "{")))
                maximumDepth = Swift.max(maximumDepth, stack.count)
                if stack.count > depthLimit { return }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if !stack.isEmpty { stack.removeLast() }
            case UInt8(ascii: ","):
                if let last = stack.indices.last, stack[last].keys != nil { stack[last].expectsKey = true }
            case UInt8(ascii: "\""):
                let end = Self.endOfString(text, from: index)
                if let last = stack.indices.last, stack[last].keys != nil, stack[last].expectsKey {
                    stack[last].expectsKey = false
                    let key = Self.decodedString(text[index..<Swift.min(end + 1, text.count)])
                    if stack[last].keys!.insert(key).inserted == false, duplicateKey == nil { duplicateKey = key }
                }
                index = end
            default:
                break
            }
            index += 1
        }
    }

    /// The index of the quote that closes the string opening at `start` (or the end).
    private static func endOfString(_ text: [UInt8], from start: Int) -> Int {
        var index = start + 1
        while index < text.count {
            if text[index] == UInt8(ascii: "\\") {
                index += 2
                continue
            }
            if text[index] == UInt8(ascii: "\"") { return index }
            index += 1
        }
        return text.count
    }

    /// A JSON string literal (quotes included) as the text it denotes; escapes go through
    /// `JSONSerialization` so the comparison matches the parser's.
    private static func decodedString(_ literal: ArraySlice<UInt8>) -> String {
        let inner = literal.dropFirst().dropLast()
        guard inner.contains(UInt8(ascii: "\\")) else { return String(decoding: inner, as: UTF8.self) }
        let decoded = try? JSONSerialization.jsonObject(with: Data(literal), options: .fragmentsAllowed) as? String
        return decoded ?? String(decoding: inner, as: UTF8.self)
    }
}
