import Loom

/// What a dataset's targets are.
public enum DatasetTask: Equatable, Sendable {
    /// int64 labels `[count]` in `0..<classCount`.
    case classification(classCount: Int)
    /// float targets `[count, targetCount]`.
    case regression(targetCount: Int)
}

/// Examples with their targets (class labels or continuous values), held in memory.
///
/// The inputs are a float tensor, or for image files the raw bytes with a scale: batches then
/// convert only their own rows (MNIST's pixels take 47 MB as bytes, 188 MB as float32).
public struct LabeledDataset {
    private let storage: InputStorage
    /// `[count]` int64 labels in `0..<classCount` (classification), or `[count, targets]`
    /// float targets (regression).
    public let labels: Tensor
    public let task: DatasetTask

    /// Pairs inputs with labels, checking that the counts agree and every label is a class.
    public init(inputs: Tensor, labels: Tensor, classCount: Int) throws {
        try self.init(storage: InputStorage(inputs), labels: labels, classCount: classCount)
    }

    /// Images stored as bytes `[count, …]` (`shape`), each feature `byte × scale`.
    public init(bytes: [UInt8], shape: [Int], scale: Double, labels: Tensor, classCount: Int) throws {
        guard shape.count >= 1, shape.reduce(1, *) == bytes.count else {
            throw DataError.mismatch("\(bytes.count) bytes for inputs of shape \(shape)")
        }
        try self.init(storage: InputStorage(bytes: bytes, shape: shape, scale: scale), labels: labels, classCount: classCount)
    }

    private init(storage: InputStorage, labels: Tensor, classCount: Int) throws {
        let count = storage.shape.first ?? 0
        guard storage.shape.count >= 1, labels.rank == 1, count == labels.shape[0] else {
            throw DataError.mismatch("\(count) inputs but \(labels.count) labels (shapes \(storage.shape) and \(labels.shape))")
        }
        guard classCount > 0 else { throw DataError.mismatch("a dataset needs at least one class") }
        let values = labels.asArray(Int64.self)
        if let bad = values.first(where: { $0 < 0 || $0 >= classCount }) {
            throw DataError.mismatch("label \(bad) is outside 0..<\(classCount)")
        }
        self.storage = storage
        self.labels = labels.cast(to: .int64)
        task = .classification(classCount: classCount)
    }

    /// Inputs `[count, features]` with continuous targets `[count, targets]` (float).
    public init(inputs: Tensor, regressionTargets targets: Tensor) throws {
        guard inputs.rank >= 1, targets.rank == 2, inputs.shape[0] == targets.shape[0], targets.shape[1] > 0 else {
            throw DataError.mismatch("\(inputs.rank >= 1 ? inputs.shape[0] : 0) inputs but targets of shape \(targets.shape)")
        }
        storage = InputStorage(inputs)
        labels = targets.dtype.isFloatingPoint ? targets : targets.cast(to: .float32)
        task = .regression(targetCount: targets.shape[1])
    }

    init(unchecked inputs: Tensor, labels: Tensor, task: DatasetTask) {
        storage = InputStorage(inputs)
        self.labels = labels
        self.task = task
    }

    /// The number of classes (0 for regression).
    public var classCount: Int {
        if case let .classification(count) = task { return count }
        return 0
    }

    /// `[count, …]` float features (for byte-backed images, made on first use and kept).
    public var inputs: Tensor { storage.tensor }

    /// The features of the examples at `indices`, in that order, without making the whole
    /// input tensor.
    public func inputs(at indices: [Int]) -> Tensor { storage.rows(indices) }

    /// The number of examples.
    public var count: Int { storage.shape.first ?? 0 }

    /// The shape of one example.
    public var exampleShape: [Int] { Array(storage.shape.dropFirst()) }

    /// Each example flattened to a vector: `[count, …] → [count, features]` (a view; bytes stay bytes).
    public func flattened() -> LabeledDataset {
        LabeledDataset(storage: storage.flattened(), labels: labels, task: task)
    }

    /// Features standardized as `(x − mean) / standardDeviation`.
    public func standardized(mean: Double, standardDeviation: Double) -> LabeledDataset {
        LabeledDataset(unchecked: withoutGradients { (inputs - mean) / standardDeviation }, labels: labels, task: task)
    }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> LabeledDataset {
        let index = Tensor(shape: [indices.count], scalars: indices.map(Int64.init), dtype: .int64)
        return withoutGradients {
            LabeledDataset(unchecked: inputs(at: indices), labels: labels.take(index), task: task)
        }
    }

    private init(storage: InputStorage, labels: Tensor, task: DatasetTask) {
        self.storage = storage
        self.labels = labels
        self.task = task
    }
}

/// A dataset's inputs: a tensor, or bytes with a scale (made into a tensor only on demand).
final class InputStorage {
    private enum Kind {
        case tensor(Tensor)
        /// `table[byte]` is the feature value of a byte.
        case bytes([UInt8], table: [Float])
    }

    private let kind: Kind
    let shape: [Int]
    private var materialized: Tensor?

    init(_ tensor: Tensor) {
        kind = .tensor(tensor)
        shape = tensor.shape
    }

    init(bytes: [UInt8], shape: [Int], scale: Double) {
        kind = .bytes(bytes, table: IDXArray.byteValues(scale: scale))
        self.shape = shape
    }

    private init(kind: Kind, shape: [Int]) {
        self.kind = kind
        self.shape = shape
    }

    var tensor: Tensor {
        switch kind {
        case let .tensor(tensor): return tensor
        case let .bytes(bytes, table):
            if let materialized { return materialized }
            let made = Tensor(shape: shape, writing: Float.self) { out in
                for i in bytes.indices { out[i] = table[Int(bytes[i])] }
            }
            materialized = made
            return made
        }
    }

    func rows(_ indices: [Int]) -> Tensor {
        switch kind {
        case let .tensor(tensor):
            let index = Tensor(shape: [indices.count], scalars: indices.map(Int64.init), dtype: .int64)
            return withoutGradients { tensor.take(index) }
        case let .bytes(bytes, table):
            if let materialized { return InputStorage(materialized).rows(indices) }
            let width = shape.dropFirst().reduce(1, *)
            return Tensor(shape: [indices.count] + shape.dropFirst(), writing: Float.self) { out in
                bytes.withUnsafeBufferPointer { source in
                    for (row, index) in indices.enumerated() {
                        let from = index * width, to = row * width
                        for j in 0..<width { out[to + j] = table[Int(source[from + j])] }
                    }
                }
            }
        }
    }

    func flattened() -> InputStorage {
        let flat = [shape.first ?? 0, shape.dropFirst().reduce(1, *)]
        switch kind {
        case let .tensor(tensor): return InputStorage(tensor.reshaped(flat))
        case .bytes: return InputStorage(kind: kind, shape: flat)
        }
    }
}

/// One minibatch.
public struct Batch {
    /// `[batch, …]` inputs.
    public let inputs: Tensor
    /// `[batch]` int64 labels, or `[batch, targets]` regression targets.
    public let labels: Tensor
    /// The dataset positions of these examples.
    public let indices: [Int]
}

/// Minibatches over a dataset: a fixed order, or a shuffle whose order depends only on
/// `(seed, epoch)`, so that a resumed run sees exactly the batches it would have seen.
///
/// With a ``Shard``, the loader yields one process's part of every global batch (data-parallel
/// training): all processes share the epoch's order and the batch boundaries, and global
/// batch `b` (of `m` examples) is cut into `shard.count` contiguous parts whose sizes differ by
/// at most one, part `i` being `[⌊i·m/n⌋, ⌊(i+1)·m/n⌋)`. Together the parts are exactly the
/// batches of the unsharded loader; a part may be empty when `m < n`.
public struct DataLoader {
    /// One process's part of every batch: part `index` of `count`.
    public struct Shard: Equatable, Sendable {
        public let index: Int
        public let count: Int

        /// Part `index` of `count` (`0 ≤ index < count`).
        public init(index: Int, count: Int) {
            precondition(count > 0 && (0..<count).contains(index), "DataLoader.Shard: index \(index) is outside 0..<\(count)")
            self.index = index
            self.count = count
        }

        /// The whole batch (one process).
        public static let whole = Shard(index: 0, count: 1)

        /// This part's positions within a batch of `size` examples.
        public func range(inBatchOf size: Int) -> Range<Int> {
            (index * size / count)..<((index + 1) * size / count)
        }
    }

    public let dataset: LabeledDataset
    /// Examples per (global) batch, before sharding.
    public let batchSize: Int
    public let shuffles: Bool
    public let seed: UInt64
    public let dropsLast: Bool
    /// The part of each batch this loader yields.
    public let shard: Shard

    /// Batches of `batchSize` examples of `dataset` (the last one shorter unless `dropsLast`), in
    /// an order that depends only on `seed` and the epoch when `shuffles`; `shard` picks this
    /// process's part of every batch. `batchSize` must be positive.
    public init(_ dataset: LabeledDataset, batchSize: Int, shuffles: Bool = true, seed: UInt64 = 0, dropsLast: Bool = false,
                shard: Shard = .whole) {
        precondition(batchSize > 0, "DataLoader: batch size must be positive, got \(batchSize)")
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffles = shuffles
        self.seed = seed
        self.dropsLast = dropsLast
        self.shard = shard
    }

    /// Batches per epoch.
    public var batchCount: Int {
        // Written so that no batch size, however large, overflows.
        dropsLast ? dataset.count / batchSize : dataset.count / batchSize + (dataset.count % batchSize == 0 ? 0 : 1)
    }

    /// The example order of `epoch` (a Fisher–Yates shuffle seeded by `seed` and `epoch`).
    public func order(epoch: Int) -> [Int] {
        guard shuffles else { return Array(0..<dataset.count) }
        return seededPermutation(of: dataset.count, seed: seed ^ (UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15))
    }

    /// The batches of `epoch` (this shard's part of each), made lazily one at a time.
    public func batches(epoch: Int) -> some Sequence<Batch> {
        let order = order(epoch: epoch)
        let dataset = self.dataset, labels = dataset.labels
        return (0..<batchCount).lazy.map { [batchSize, shard] b -> Batch in
            let start = b * batchSize, end = start + Swift.min(batchSize, order.count - start)
            let part = shard.range(inBatchOf: end - start)
            let indices = Array(order[(start + part.lowerBound)..<(start + part.upperBound)])
            let index = Tensor(shape: [indices.count], scalars: indices.map(Int64.init), dtype: .int64)
            return withoutGradients { Batch(inputs: dataset.inputs(at: indices), labels: labels.take(index), indices: indices) }
        }
    }
}

/// `0..<count` in the order of a Fisher–Yates shuffle driven by `SeededGenerator(seed:)`: the
/// same seed gives the same order on every machine. The loader's epochs and the splits of
/// training data all shuffle with it.
public func seededPermutation(of count: Int, seed: UInt64) -> [Int] {
    var order = Array(0..<count)
    var generator = SeededGenerator(seed: seed)
    if count > 1 {
        for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, Int(generator.next(upperBound: UInt64(i + 1)))) }
    }
    return order
}

/// The row order from which test and validation rows are cut, for a run's `seed` (a table's
/// split and an image set's validation split).
public func splitOrder(of count: Int, seed: UInt64) -> [Int] {
    seededPermutation(of: count, seed: seed ^ 0x7AB1_E5D1_7000_0000)
}
