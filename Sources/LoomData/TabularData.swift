import Foundation
import Loom

/// Whether a model predicts classes or continuous values.
public enum TaskKind: String, Codable, CaseIterable, Sendable {
    case classification, regression
}

/// How a table's target columns become training targets, fitted on the training split and
/// stored in the model file: class names for classification, means and standard deviations
/// (targets are standardized for training and restored at prediction) for regression.
public struct TargetEncoding: Codable, Equatable, Sendable {
    /// The target columns' names (one for classification).
    public var names: [String]
    public var kind: Kind

    /// Classes or values.
    public enum Kind: Codable, Equatable, Sendable {
        /// The class names, in the order of the model's outputs.
        case classes([String])
        /// One mean and standard deviation per target column.
        case values(means: [Double], standardDeviations: [Double])
    }

    /// Targets `names` of `kind`.
    public init(names: [String], kind: Kind) {
        self.names = names
        self.kind = kind
    }

    public var task: TaskKind {
        if case .classes = kind { return .classification }
        return .regression
    }

    /// The number of outputs a model needs: classes, or target columns.
    public var outputCount: Int {
        switch kind {
        case let .classes(names): names.count
        case let .values(means, _): means.count
        }
    }

    /// The most distinct integer values a target may have and still be taken for classes.
    public static let maximumInferredClassCount = 20

    /// Fits the targets `names` of `table` on `rows`. The task is `task`, or else inferred: a
    /// text or boolean column, or one of integers with at most ``maximumInferredClassCount``
    /// distinct values, is classification; anything else regression.
    public static func fit(_ table: Table, names: [String], rows: [Int], task: TaskKind?) throws -> TargetEncoding {
        guard !names.isEmpty else { throw DataError.notFound("\(table.source): name the target column (--target COLUMN)") }
        let indices = try names.map { try table.columnIndex($0) }
        for (name, index) in zip(names, indices) {
            if let row = rows.first(where: { table.isMissing(column: index, row: $0) }) {
                throw DataError.malformed(path: table.source, reason: "row \(row + 2), column \"\(name)\": the target is missing")
            }
        }
        let inferred: TaskKind = task ?? {
            guard names.count == 1, case let .numbers(values) = table.columns[indices[0]] else {
                return names.count == 1 ? .classification : .regression
            }
            let distinct = Set(rows.map { values[$0] })
            return distinct.allSatisfy({ $0 == $0.rounded() }) && distinct.count <= maximumInferredClassCount ? .classification : .regression
        }()
        switch inferred {
        case .classification:
            guard names.count == 1 else {
                throw DataError.mismatch("classification takes one target column, got \(names.count) (\(names.joined(separator: ", ")))")
            }
            let classes = table.texts(column: indices[0], rows: rows)
            let distinct = Set(classes)
            guard distinct.count >= 2 else {
                throw DataError.malformed(path: table.source, reason: "column \"\(names[0])\" has a single class (\"\(classes.first ?? "")\") in the training rows; classification needs two or more")
            }
            let sorted: [String]
            if case .numbers = table.columns[indices[0]] {
                sorted = distinct.sorted { Double($0)! < Double($1)! }
            } else {
                sorted = distinct.sorted()
            }
            return TargetEncoding(names: names, kind: .classes(sorted))
        case .regression:
            var means: [Double] = [], deviations: [Double] = []
            for (name, index) in zip(names, indices) {
                guard case let .numbers(values) = table.columns[index] else {
                    throw DataError.malformed(path: table.source, reason: "column \"\(name)\" is not numeric, so it cannot be a regression target (use --task classification)")
                }
                let present = rows.map { Double(values[$0]) }
                let mean = present.reduce(0, +) / Double(Swift.max(present.count, 1))
                let deviation = (present.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(Swift.max(present.count, 1))).squareRoot()
                means.append(mean)
                deviations.append(deviation > 0 ? deviation : 1)
            }
            return TargetEncoding(names: names, kind: .values(means: means, standardDeviations: deviations))
        }
    }

    /// The targets of `rows`: int64 class indices `[n]`, or standardized values `[n, k]`.
    public func encode(_ table: Table, rows: [Int]) throws -> Tensor {
        let indices = try names.map { try table.columnIndex($0) }
        for (name, index) in zip(names, indices) {
            if let row = rows.first(where: { table.isMissing(column: index, row: $0) }) {
                throw DataError.malformed(path: table.source, reason: "row \(row + 2), column \"\(name)\": the target is missing")
            }
        }
        switch kind {
        case let .classes(classes):
            let position = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, Int64($0)) })
            let texts = table.texts(column: indices[0], rows: rows)
            var labels: [Int64] = []
            labels.reserveCapacity(rows.count)
            for (row, text) in zip(rows, texts) {
                guard let label = position[text] else {
                    throw DataError.malformed(path: table.source, reason: "row \(row + 2), column \"\(names[0])\": class \"\(text)\" is not one the model was trained on (\(classes.prefix(8).joined(separator: ", "))\(classes.count > 8 ? ", …" : ""))")
                }
                labels.append(label)
            }
            return Tensor(shape: [rows.count], scalars: labels, dtype: .int64)
        case let .values(means, deviations):
            var columns: [[Float]] = []
            for (name, index) in zip(names, indices) {
                guard case let .numbers(values) = table.columns[index] else {
                    throw DataError.malformed(path: table.source, reason: "column \"\(name)\" is not numeric")
                }
                columns.append(values)
            }
            let k = names.count
            return Tensor(shape: [rows.count, k], writing: Float.self) { out in
                for (r, row) in rows.enumerated() {
                    for j in 0..<k { out[r * k + j] = Float((Double(columns[j][row]) - means[j]) / deviations[j]) }
                }
            }
        }
    }

    /// Standardized predictions `[n, k]` back in the targets' own units.
    public func restore(_ standardized: [Double], count: Int) -> [Double] {
        guard case let .values(means, deviations) = kind else { return standardized }
        let k = means.count
        return standardized.enumerated().map { index, value in value * deviations[index % k] + means[index % k] }
    }
}

extension Table {
    /// Whether a cell is missing.
    public func isMissing(column: Int, row: Int) -> Bool {
        switch columns[column] {
        case let .numbers(values): values[row].isNaN
        case let .text(codes, _): codes[row] < 0
        }
    }

    /// The cells of `rows` as text (numbers as integers where they are).
    func texts(column: Int, rows: [Int]) -> [String] {
        switch columns[column] {
        case let .numbers(values): rows.map { FeatureEncoding.text(of: values[$0]) }
        case let .text(codes, values): rows.map { codes[$0] < 0 ? "" : values[Int(codes[$0])] }
        }
    }
}

/// A table file and the columns that make a model's inputs and targets.
public struct TableFile {
    public var table: Table
    /// The input columns by default: every column but the targets (for `.npz`, the columns
    /// of the array `x`).
    public var defaultFeatures: [String]
    /// The target columns by default (for `.npz`, those of the array `y`; otherwise none).
    public var defaultTargets: [String]

    /// Reads `url`: CSV (plain or `.gz`), NumPy `.npy` (a 2-D array whose columns are named
    /// `0`, `1`, …) or `.npz` (arrays `x` and `y`, or those `features` and `targets` name).
    public static func read(_ url: URL, features: [String]? = nil, targets: [String]? = nil) throws -> TableFile {
        let name = url.lastPathComponent.lowercased()
        if name.hasSuffix(".npz") {
            let arrays = try NumpyReader.readNPZ(contentsOf: url)
            let xName = features?.count == 1 ? features![0] : "x", yName = targets?.count == 1 ? targets![0] : "y"
            guard let x = arrays[xName] else {
                throw DataError.notFound("\(url.path) has no array \"\(xName)\" (its arrays: \(arrays.keys.sorted().joined(separator: ", ")); name the inputs with --features)")
            }
            var table = Table(names: [], columns: [], rowCount: x.shape.first ?? 0, source: url.path)
            let featureNames = try table.append(x, named: xName, source: url.path)
            var targetNames: [String] = []
            if let y = arrays[yName] {
                guard y.shape.first == x.shape.first else {
                    throw DataError.mismatch("\(url.path): \"\(xName)\" has \(x.shape.first ?? 0) rows but \"\(yName)\" has \(y.shape.first ?? 0)")
                }
                targetNames = try table.append(y, named: yName, source: url.path)
            }
            return TableFile(table: table, defaultFeatures: featureNames, defaultTargets: targetNames)
        }
        let table: Table
        if name.hasSuffix(".npy") {
            let array = try NumpyReader.readNPY(contentsOf: url)
            var made = Table(names: [], columns: [], rowCount: array.shape.first ?? 0, source: url.path)
            _ = try made.append(array, named: nil, source: url.path)
            table = made
        } else {
            table = try CSVReader.read(contentsOf: url)
        }
        let targetNames = targets ?? []
        return TableFile(table: table, defaultFeatures: table.names.filter { !targetNames.contains($0) }, defaultTargets: targetNames)
    }
}

extension Table {
    /// Appends the columns of a 1-D or 2-D array (`name`, or `name[j]`; without a name, `j`),
    /// returning their names.
    mutating func append(_ array: NumpyArray, named name: String?, source: String) throws -> [String] {
        guard array.shape.count == 1 || array.shape.count == 2, array.shape[0] == rowCount else {
            throw DataError.malformed(path: source, reason: "expected a 1-D or 2-D array of \(rowCount) rows, got shape \(array.shape)")
        }
        let width = array.shape.count == 2 ? array.shape[1] : 1
        let rows = rowCount
        var added: [String] = []
        for j in 0..<width {
            let columnName = array.shape.count == 1 ? (name ?? "0") : name.map { "\($0)[\(j)]" } ?? String(j)
            let column: TableColumn
            func numbers(_ value: (Int) -> Float) -> TableColumn { .numbers((0..<rows).map { value($0 * width + j) }) }
            switch array.elements {
            case let .float32(values): column = numbers { values[$0] }
            case let .float64(values): column = numbers { Float(values[$0]) }
            case let .int64(values): column = numbers { Float(values[$0]) }
            case let .bool(values):
                column = .text(codes: (0..<rows).map { values[$0 * width + j] ? 0 : 1 }, values: ["true", "false"])
            case let .strings(values):
                column = .text(cells: (0..<rows).map { values[$0 * width + j] })
            }
            if case let .numbers(values) = column, let row = values.firstIndex(where: { $0.isInfinite }) {
                throw DataError.malformed(path: source, reason: "row \(row + 1), column \"\(columnName)\": \(values[row]) is not a finite number")
            }
            names.append(columnName)
            columns.append(column)
            added.append(columnName)
        }
        return added
    }
}

/// Train, validation and test splits of tables, with the encodings fitted on the train split.
public struct TableSplits {
    public var train: LabeledDataset
    public var validation: LabeledDataset?
    public var test: LabeledDataset
    public var features: FeatureEncoding
    public var target: TargetEncoding
}

/// What to train on from a table file: which columns, which task, how to split.
public struct TableSpecification: Sendable {
    public var file: String
    /// Target columns (for `.npz`, the target array's name; nil: `y`).
    public var targets: [String]?
    /// Input columns (nil: every column but the targets).
    public var features: [String]?
    /// A separate test file (nil: `testFraction` of the rows).
    public var testFile: String?
    public var testFraction: Double
    public var validationFraction: Double
    public var task: TaskKind?
    public var missing: MissingValuePolicy
    public var unknownCategories: UnknownCategoryPolicy
    /// The seed of the split.
    public var seed: UInt64
    /// Use only the first this many rows of the file (nil: all).
    public var limit: Int?

    /// The splits of `file` as specified.
    public init(file: String, targets: [String]?, features: [String]?, testFile: String?, testFraction: Double,
                validationFraction: Double, task: TaskKind?, missing: MissingValuePolicy,
                unknownCategories: UnknownCategoryPolicy, seed: UInt64, limit: Int? = nil) {
        self.limit = limit
        self.file = file
        self.targets = targets
        self.features = features
        self.testFile = testFile
        self.testFraction = testFraction
        self.validationFraction = validationFraction
        self.task = task
        self.missing = missing
        self.unknownCategories = unknownCategories
        self.seed = seed
    }

    /// Reads the file(s), splits the rows (a shuffle that depends only on the seed), fits the
    /// encodings on the training rows and encodes every split. `warn` gets warnings (unknown
    /// categories ignored).
    public func load(warn: (String) -> Void = { _ in }) throws -> TableSplits {
        let file = try TableFile.read(URL(fileURLWithPath: self.file), features: features, targets: targets)
        let table = limit.map { file.table.prefix($0) } ?? file.table
        let targetNames = file.defaultTargets
        guard !targetNames.isEmpty else { throw DataError.notFound("\(self.file): name the target column (--target COLUMN)") }
        let isNPZ = self.file.lowercased().hasSuffix(".npz")
        let featureNames = isNPZ ? file.defaultFeatures : (features ?? file.defaultFeatures)
        guard !featureNames.isEmpty else { throw DataError.notFound("\(self.file): no input columns beside the target") }
        if let shared = featureNames.first(where: { targetNames.contains($0) }) {
            throw DataError.mismatch("\"\(shared)\" is both an input and the target")
        }
        // The split: test rows first, then validation rows, of one seeded shuffle.
        let order = splitOrder(of: table.rowCount, seed: seed)
        let testCount = testFile == nil ? Int((testFraction * Double(table.rowCount)).rounded()) : 0
        let validationCount = Int((validationFraction * Double(table.rowCount)).rounded())
        guard table.rowCount - testCount - validationCount >= 1 else {
            throw DataError.malformed(path: self.file, reason: "\(table.rowCount) rows leave none for training after a test split of \(testCount) and a validation split of \(validationCount)")
        }
        let testRows = Array(order[0..<testCount]).sorted()
        let validationRows = Array(order[testCount..<(testCount + validationCount)]).sorted()
        let trainRows = Array(order[(testCount + validationCount)...]).sorted()
        let encoding = try FeatureEncoding.fit(table, columns: featureNames, rows: trainRows, missing: missing,
                                               unknownCategories: unknownCategories)
        let target = try TargetEncoding.fit(table, names: targetNames, rows: trainRows, task: task)
        func dataset(_ table: Table, _ rows: [Int]) throws -> LabeledDataset {
            let inputs = try encoding.encode(table, rows: rows, warn: warn)
            let targets = try target.encode(table, rows: rows)
            switch target.kind {
            case let .classes(classes): return try LabeledDataset(inputs: inputs, labels: targets, classCount: classes.count)
            case .values: return try LabeledDataset(inputs: inputs, regressionTargets: targets)
            }
        }
        let test: LabeledDataset
        if let testFile {
            let other = try TableFile.read(URL(fileURLWithPath: testFile), features: features, targets: targets).table
            test = try dataset(other, Array(0..<other.rowCount))
        } else {
            test = try dataset(table, testRows)
        }
        return TableSplits(train: try dataset(table, trainRows),
                           validation: validationRows.isEmpty ? nil : try dataset(table, validationRows),
                           test: test, features: encoding, target: target)
    }
}
