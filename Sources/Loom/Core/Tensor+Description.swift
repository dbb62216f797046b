import Foundation

extension Tensor: CustomStringConvertible, CustomDebugStringConvertible {
    /// NumPy-style printing: nested brackets, aligned columns, and only the first and last
    /// three entries of each axis once the tensor has more than 1000 elements.
    public var description: String {
        let values = asArray(Double.self)
        let summarize = count > 1000
        let formatted = values.map { format($0) }
        let width = formatted.map(\.count).max() ?? 0
        var text = ""
        render(axis: 0, start: 0, strides: Layout.contiguousStrides(shape), formatted: formatted,
               width: width, summarize: summarize, indent: 7, into: &text)
        let suffix = dtype == .float32 ? "" : ", dtype: \(dtype)"
        return "Tensor(\(text)\(suffix))"
    }

    public var debugDescription: String {
        "Tensor(shape: \(shape), dtype: \(dtype), strides: \(layout.strides), offset: \(layout.offset)"
            + (node.map { $0.isLeaf ? ", requiresGradient" : ", op: \($0.primitive!.rawValue)" } ?? "") + ")"
    }

    private func format(_ value: Double) -> String {
        if !dtype.isFloatingPoint { return String(Int64(value)) }
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        let magnitude = Swift.abs(value)
        if magnitude != 0 && (magnitude >= 1e6 || magnitude < 1e-4) { return String(format: "%.4e", value) }
        var text = String(format: "%.4f", value)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    private func render(axis: Int, start: Int, strides: [Int], formatted: [String], width: Int,
                        summarize: Bool, indent: Int, into text: inout String) {
        if rank == 0 { text += formatted[0]; return }
        let size = shape[axis]
        let shown: [Int?] = summarize && size > 6 ? Array(0..<3) + [nil] + Array((size - 3)..<size) : Array(0..<size)
        text += "["
        for (k, index) in shown.enumerated() {
            if k > 0 {
                text += axis == rank - 1 ? ", " : "," + String(repeating: "\n", count: rank - axis - 1)
                if axis < rank - 1 { text += String(repeating: " ", count: indent + axis + 1) }
            }
            guard let index else { text += "..."; continue }
            let position = start + index * strides[axis]
            if axis == rank - 1 {
                let item = formatted[position]
                text += String(repeating: " ", count: width - item.count) + item
            } else {
                render(axis: axis + 1, start: position, strides: strides, formatted: formatted,
                       width: width, summarize: summarize, indent: indent, into: &text)
            }
        }
        text += "]"
    }
}
