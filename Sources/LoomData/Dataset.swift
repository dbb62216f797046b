import Loom

/// Examples with integer class labels, held in memory as two tensors.
public struct LabeledDataset {
    /// `[count, …]` float features.
    public let inputs: Tensor
    /// `[count]` int64 labels in `0..<classCount`.
    public let labels: Tensor
    /// The number of classes.
    public let classCount: Int

    /// Pairs inputs with labels, checking that the counts agree and every label is a class.
    public init(inputs: Tensor, labels: Tensor, classCount: Int) throws {
        guard inputs.rank >= 1, labels.rank == 1, inputs.shape[0] == labels.shape[0] else {
            throw DataError.mismatch("\(inputs.rank >= 1 ? inputs.shape[0] : 0) inputs but \(labels.count) labels (shapes \(inputs.shape) and \(labels.shape))")
        }
        guard classCount > 0 else { throw DataError.mismatch("a dataset needs at least one class") }
        let values = labels.asArray(Int64.self)
        if let bad = values.first(where: { $0 < 0 || $0 >= classCount }) {
            throw DataError.mismatch("label \(bad) is outside 0..<\(classCount)")
        }
        self.inputs = inputs
        self.labels = labels.cast(to: .int64)
        self.classCount = classCount
    }

    /// The number of examples.
    public var count: Int { labels.count }

    /// The shape of one example.
    public var exampleShape: [Int] { Array(inputs.shape.dropFirst()) }

    /// Each example flattened to a vector: `[count, …] → [count, features]`.
    public func flattened() -> LabeledDataset {
        LabeledDataset(unchecked: inputs.reshaped([count, -1]), labels: labels, classCount: classCount)
    }

    /// Features standardized as `(x − mean) / standardDeviation`.
    public func standardized(mean: Double, standardDeviation: Double) -> LabeledDataset {
        LabeledDataset(unchecked: withoutGradients { (inputs - mean) / standardDeviation }, labels: labels, classCount: classCount)
    }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> LabeledDataset {
        let index = Tensor(shape: [indices.count], scalars: indices.map(Int64.init), dtype: .int64)
        return withoutGradients {
            LabeledDataset(unchecked: inputs.take(index), labels: labels.take(index), classCount: classCount)
        }
    }

    init(unchecked inputs: Tensor, labels: Tensor, classCount: Int) {
        self.inputs = inputs
        self.labels = labels
        self.classCount = classCount
    }
}

/// One minibatch.
public struct Batch {
    /// `[batch, …]` inputs.
    public let inputs: Tensor
    /// `[batch]` int64 labels.
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
        dropsLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// The example order of `epoch` (a Fisher–Yates shuffle seeded by `seed` and `epoch`).
    public func order(epoch: Int) -> [Int] {
        var order = Array(0..<dataset.count)
        guard shuffles else { return order }
        var generator = SeededGenerator(seed: seed ^ (UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15))
        if order.count > 1 {
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                let j = Int(generator.next(upperBound: UInt64(i + 1)))
                order.swapAt(i, j)
            }
        }
        return order
    }

    /// The batches of `epoch` (this shard's part of each), made lazily one at a time.
    public func batches(epoch: Int) -> some Sequence<Batch> {
        let order = order(epoch: epoch)
        let inputs = dataset.inputs, labels = dataset.labels
        return (0..<batchCount).lazy.map { [batchSize, shard] b -> Batch in
            let start = b * batchSize, end = Swift.min((b + 1) * batchSize, order.count)
            let part = shard.range(inBatchOf: end - start)
            let indices = Array(order[(start + part.lowerBound)..<(start + part.upperBound)])
            let index = Tensor(shape: [indices.count], scalars: indices.map(Int64.init), dtype: .int64)
            return withoutGradients { Batch(inputs: inputs.take(index), labels: labels.take(index), indices: indices) }
        }
    }
}
