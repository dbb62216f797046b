import Foundation
import Loom

/// What to do with a missing cell (an empty cell, `NA`, `NaN`, …).
public enum MissingValuePolicy: String, Codable, CaseIterable, Sendable {
    /// An error naming the row and the column.
    case error
    /// The training split's median (numbers) or most frequent value (categories, booleans).
    case impute
}

/// What to do with a category that the training split did not have.
public enum UnknownCategoryPolicy: String, Codable, CaseIterable, Sendable {
    /// An error naming the value, the row and the column.
    case error
    /// All of the column's one-hot features 0, with a warning.
    case ignore
}

/// How a table's input columns become the network's features, fitted on the training split
/// only and stored in the model file: numbers standardized, booleans 0/1, categories one-hot,
/// missing cells refused or imputed.
public struct FeatureEncoding: Codable, Equatable, Sendable {
    /// One input column and how it is encoded.
    public struct Column: Codable, Equatable, Sendable {
        public var name: String
        public var kind: Kind

        /// A column's encoding.
        public enum Kind: Codable, Equatable, Sendable {
            /// `(x − mean) / standardDeviation`; a missing cell is `fill` (the median) first.
            case numeric(mean: Double, standardDeviation: Double, fill: Double)
            /// `true` → 1, `false` → 0; a missing cell is `fill` (the most frequent).
            case boolean(fill: Bool)
            /// One feature per category, 1 for the cell's; a missing cell is `fill` (the most frequent).
            case categorical(categories: [String], fill: String)
        }

        /// How many features the column becomes.
        public var featureCount: Int {
            if case let .categorical(categories, _) = kind { return categories.count }
            return 1
        }
    }

    public var columns: [Column]
    public var missing: MissingValuePolicy
    public var unknownCategories: UnknownCategoryPolicy

    /// The number of features: one per numeric or boolean column, one per category.
    public var featureCount: Int { columns.reduce(0) { $0 + $1.featureCount } }

    /// The features' names: the column's, or `column=category` for one-hot features.
    public var featureNames: [String] {
        columns.flatMap { column -> [String] in
            if case let .categorical(categories, _) = column.kind { return categories.map { "\(column.name)=\($0)" } }
            return [column.name]
        }
    }

    /// Fits the encoding of `table`'s columns `names` on the rows `rows` (the training split).
    public static func fit(_ table: Table, columns names: [String], rows: [Int], missing: MissingValuePolicy,
                           unknownCategories: UnknownCategoryPolicy) throws -> FeatureEncoding {
        var columns: [Column] = []
        for name in names {
            let index = try table.columnIndex(name)
            let kind: Column.Kind
            switch table.columns[index] {
            case let .numbers(values):
                let present = rows.map { values[$0] }.filter { !$0.isNaN }.map(Double.init)
                guard !present.isEmpty else {
                    throw DataError.malformed(path: table.source, reason: "column \"\(name)\" has no values in the training rows")
                }
                let mean = present.reduce(0, +) / Double(present.count)
                let variance = present.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(present.count)
                let deviation = variance.squareRoot()
                kind = .numeric(mean: mean, standardDeviation: deviation > 0 && deviation.isFinite ? deviation : 1,
                                fill: median(present))
            case let .text(codes, values):
                var counts = [Int](repeating: 0, count: values.count)
                for row in rows where codes[row] >= 0 { counts[Int(codes[row])] += 1 }
                // A column of numbers with a few words in it is a mistake in the data, not a
                // category with hundreds of values: name the first cell that is not a number.
                let numeric = values.indices.filter { Double(values[$0].trimmingCharacters(in: .whitespaces)) != nil }
                let numericCells = numeric.reduce(0) { $0 + counts[$1] }, cells = counts.reduce(0, +)
                if numericCells < cells, Double(numericCells) >= 0.9 * Double(cells), numeric.count > 2,
                   let row = rows.first(where: { codes[$0] >= 0 && Double(values[Int(codes[$0])].trimmingCharacters(in: .whitespaces)) == nil }) {
                    throw DataError.malformed(path: table.source, reason: "row \(row + 2), column \"\(name)\": \"\(values[Int(codes[row])])\" is not a number, and \(numericCells) of the column's \(cells) cells are")
                }
                let seen = values.indices.filter { counts[$0] > 0 }
                guard let mostFrequent = seen.max(by: { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) }) else {
                    throw DataError.malformed(path: table.source, reason: "column \"\(name)\" has no values in the training rows")
                }
                if seen.allSatisfy({ Self.boolean(values[$0]) != nil }) {
                    kind = .boolean(fill: Self.boolean(values[mostFrequent])!)
                } else {
                    kind = .categorical(categories: seen.map { values[$0] }.sorted(), fill: values[mostFrequent])
                }
            }
            columns.append(Column(name: name, kind: kind))
        }
        return FeatureEncoding(columns: columns, missing: missing, unknownCategories: unknownCategories)
    }

    /// The features `[rows, featureCount]` (float32) of `table`'s rows (all by default). Columns
    /// are found by name, in any order; the table may have others (the target among them).
    /// `warn` receives one line per column with ignored unknown categories.
    public func encode(_ table: Table, rows: [Int]? = nil, warn: (String) -> Void = { _ in }) throws -> Tensor {
        let rows = rows ?? Array(0..<table.rowCount)
        let width = featureCount
        let indices = try columns.map { try table.columnIndex($0.name) }
        // Checked first, so that the tensor is written by a loop that cannot fail.
        var plans: [(offset: Int, plan: ColumnPlan)] = []
        var offset = 0
        for (column, index) in zip(columns, indices) {
            plans.append((offset, try plan(column, table.columns[index], table: table, rows: rows, warn: warn)))
            offset += column.featureCount
        }
        return Tensor(shape: [rows.count, width], writing: Float.self) { out in
            for i in 0..<(rows.count * width) { out[i] = 0 }
            for (offset, plan) in plans {
                switch plan {
                case let .numbers(values, mean, deviation, fill):
                    for (r, row) in rows.enumerated() {
                        let x = values[row].isNaN ? fill : Double(values[row])
                        out[r * width + offset] = Float((x - mean) / deviation)
                    }
                case let .codes(codes, featureOf):
                    for (r, row) in rows.enumerated() {
                        let feature = featureOf[Int(codes[row])]
                        if feature >= 0 { out[r * width + offset + feature] = 1 }
                    }
                case let .booleans(codes, valueOf):
                    for (r, row) in rows.enumerated() { out[r * width + offset] = valueOf[Int(codes[row])] }
                }
            }
        }
    }

    /// A column's values resolved against the encoding: a number per row, or a code per row
    /// with its feature (one-hot position, -1: none) or value; index 0 of the code tables is
    /// the missing cell (codes are shifted by one).
    private enum ColumnPlan {
        case numbers([Float], mean: Double, deviation: Double, fill: Double)
        case codes([Int32], featureOf: [Int])
        case booleans([Int32], valueOf: [Float])
    }

    private func plan(_ column: Column, _ data: TableColumn, table: Table, rows: [Int],
                      warn: (String) -> Void) throws -> ColumnPlan {
        func missingError(_ row: Int) -> DataError {
            .malformed(path: table.source, reason: "row \(row + 2), column \"\(column.name)\": missing value (pass --missing impute to fill it)")
        }
        switch (column.kind, data) {
        case let (.numeric(mean, deviation, fill), .numbers(values)):
            if missing == .error, let row = rows.first(where: { values[$0].isNaN }) { throw missingError(row) }
            return .numbers(values, mean: mean, deviation: deviation, fill: fill)
        case (.numeric, .text(let codes, let values)):
            let row = rows.first { codes[$0] >= 0 } ?? 0
            throw DataError.malformed(path: table.source, reason: "row \(row + 2), column \"\(column.name)\": \"\(codes[row] >= 0 ? values[Int(codes[row])] : "")\" is not a number (the model was trained on numbers)")
        case let (.boolean(fill), .text(codes, values)):
            var valueOf = [Float](repeating: fill ? 1 : 0, count: values.count + 1)
            for (code, text) in values.enumerated() {
                guard let value = Self.boolean(text) else {
                    let row = rows.first { codes[$0] == Int32(code) }
                    if row == nil { continue }
                    throw DataError.malformed(path: table.source, reason: "row \(row! + 2), column \"\(column.name)\": \"\(text)\" is not true or false")
                }
                valueOf[code + 1] = value ? 1 : 0
            }
            if missing == .error, let row = rows.first(where: { codes[$0] < 0 }) { throw missingError(row) }
            return .booleans(codes.map { $0 + 1 }, valueOf: valueOf)
        case let (.boolean(fill), .numbers(values)):
            // 0/1 written as numbers.
            if let row = rows.first(where: { !values[$0].isNaN && values[$0] != 0 && values[$0] != 1 }) {
                throw DataError.malformed(path: table.source, reason: "row \(row + 2), column \"\(column.name)\": \(values[row]) is not true or false")
            }
            if missing == .error, let row = rows.first(where: { values[$0].isNaN }) { throw missingError(row) }
            return .numbers(values.map { $0.isNaN ? (fill ? 1 : 0) : $0 }, mean: 0, deviation: 1, fill: fill ? 1 : 0)
        case let (.categorical(categories, fill), .text(codes, values)):
            let position = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, $0) })
            var featureOf = [Int](repeating: position[fill] ?? -1, count: values.count + 1)
            var unknown: [String] = []
            for (code, text) in values.enumerated() {
                if let feature = position[text] {
                    featureOf[code + 1] = feature
                } else if let row = rows.first(where: { codes[$0] == Int32(code) }) {
                    guard unknownCategories == .ignore else {
                        throw DataError.malformed(path: table.source, reason: "row \(row + 2), column \"\(column.name)\": unknown category \"\(text)\" (the training data had \(categories.prefix(8).map { "\"\($0)\"" }.joined(separator: ", "))\(categories.count > 8 ? ", …" : ""); pass --unknown-categories ignore to encode it as none)")
                    }
                    featureOf[code + 1] = -1
                    unknown.append(text)
                }
            }
            if missing == .error, let row = rows.first(where: { codes[$0] < 0 }) { throw missingError(row) }
            if !unknown.isEmpty {
                warn("warning: \(table.source): column \"\(column.name)\": \(unknown.count) unknown categor\(unknown.count == 1 ? "y" : "ies") (\(unknown.prefix(5).map { "\"\($0)\"" }.joined(separator: ", "))) encoded as none")
            }
            return .codes(codes.map { $0 + 1 }, featureOf: featureOf)
        case (.categorical, .numbers(let values)):
            // Categories written as numbers in this file: match them by their text.
            return try plan(column, .text(cells: values.map { $0.isNaN ? nil : Self.text(of: $0) }), table: table, rows: rows, warn: warn)
        }
    }

    /// `true`/`false` in any case, or nil.
    static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true": true
        case "false": false
        default: nil
        }
    }

    /// A number as a category's text: integers without a decimal point.
    static func text(of value: Float) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(value)
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

extension Table {
    /// The index of the column called `name`, or an error listing the columns there are.
    public func columnIndex(_ name: String) throws -> Int {
        guard let index = names.firstIndex(of: name) else {
            let listed = names.prefix(12).map { "\"\($0)\"" }.joined(separator: ", ") + (names.count > 12 ? ", …" : "")
            throw DataError.notFound("\(source) has no column \"\(name)\" (its columns: \(listed))")
        }
        return index
    }
}
