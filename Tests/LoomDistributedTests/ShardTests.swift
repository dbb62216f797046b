import Loom
import LoomData
import Testing

@Suite("Sharded data loading")
struct ShardTests {
    func dataset(_ count: Int) throws -> LabeledDataset {
        try LabeledDataset(inputs: Tensor(shape: [count, 1], scalars: (0..<count).map(Float.init)),
                           labels: Tensor(shape: [count], scalars: (0..<count).map { Int64($0 % 3) }, dtype: .int64), classCount: 3)
    }

    /// For every world size, the parts of each batch, concatenated in rank order, are exactly
    /// the unsharded batch, with sizes that differ by at most one.
    @Test(arguments: [1, 2, 3, 5, 8]) func partsMakeUpTheGlobalBatches(worldSize: Int) throws {
        let data = try dataset(37)
        let whole = DataLoader(data, batchSize: 6, seed: 4)
        let shards = (0..<worldSize).map { DataLoader(data, batchSize: 6, seed: 4, shard: .init(index: $0, count: worldSize)) }
        for epoch in 0..<2 {
            let expected = whole.batches(epoch: epoch).map(\.indices)
            let parts = shards.map { $0.batches(epoch: epoch).map(\.indices) }
            #expect(parts.allSatisfy { $0.count == expected.count })
            for (b, batch) in expected.enumerated() {
                #expect(parts.flatMap { $0[b] } == batch, "epoch \(epoch), batch \(b)")
                let sizes = parts.map { $0[b].count }
                #expect(sizes.max()! - sizes.min()! <= 1, "sizes \(sizes)")
            }
        }
    }

    @Test func partsCarryTheirExamples() throws {
        let data = try dataset(10)
        let loader = DataLoader(data, batchSize: 4, shuffles: false, shard: .init(index: 1, count: 2))
        let batches = Array(loader.batches(epoch: 0))
        #expect(batches.map(\.indices) == [[2, 3], [6, 7], [9]])
        #expect(batches[0].inputs.asArray(Float.self) == [2, 3])
        #expect(batches[2].labels.asArray(Int64.self) == [0])
    }
}
