@testable import Loom
import Testing

/// The cache of freed large buffers behind tensor storage (`StorageCache`). Sizes here are odd
/// numbers of pages, so that tests running concurrently do not take each other's buffers, and
/// the suite is serialized: `bounded` frees more than the capacity, which evicts every buffer
/// kept before, including one that `reuse` is about to take back.
@Suite(.serialized) struct StorageCacheTests {
    @Test("a freed large storage's buffer is reused by the next storage of that size")
    func reuse() {
        // Past 32 MiB malloc always maps fresh pages from the system, which read as zero: the
        // mark left in the freed buffer survives only if the buffer itself comes back.
        let byteCount = (40 << 20) + 4096 * 37 + 12
        var first: TensorStorage? = TensorStorage(byteCount: byteCount)
        let address = first!.bytes
        let mark = byteCount / 2 / 8
        first!.pointer(as: UInt64.self)[mark] = 0x5EED_CAFE_F00D_1234
        first = nil
        let second = TensorStorage(byteCount: byteCount)
        #expect(second.bytes == address)
        #expect(second.pointer(as: UInt64.self)[mark] == 0x5EED_CAFE_F00D_1234)
        // Not kept while in use: the next one of that size is a different buffer.
        let third = TensorStorage(byteCount: byteCount)
        #expect(third.bytes != second.bytes)
    }

    @Test("small storages are not kept, and a kept buffer serves only its own size class")
    func sizes() {
        let small = Platform.allocateAligned(byteCount: 4096, alignment: 64)!
        #expect(!StorageCache.keep(small, byteCount: 4096))
        Platform.freeAligned(small)
        let byteCount = StorageCache.minimumBytes + 4096 * 53
        var storage: TensorStorage? = TensorStorage(byteCount: byteCount)
        let address = storage!.bytes
        storage = nil
        // One page more is another size class; the same page count with fewer bytes is the same.
        let larger = TensorStorage(byteCount: byteCount + 4096)
        #expect(larger.bytes != address)
        let same = TensorStorage(byteCount: byteCount - 100)
        #expect(same.bytes == address)
    }

    @Test("the cache never holds more than its capacity, and tensors on reused buffers hold their own values")
    func bounded() {
        // Freeing more than the capacity in large buffers leaves at most the capacity kept.
        let byteCount = 64 << 20
        let count = StorageCache.capacityBytes / byteCount + 3
        var storages: [TensorStorage] = (0..<count).map { _ in TensorStorage(byteCount: byteCount) }
        storages.removeAll()
        #expect(StorageCache.keptBytes <= StorageCache.capacityBytes)
        // A tensor built on a reused buffer has exactly the values it was given.
        let elements = (StorageCache.minimumBytes + 4096 * 71) / 4
        for round in 0..<3 {
            let values = (0..<elements).map { Float($0 % 1000) + Float(round) }
            let tensor = Tensor(shape: [elements], scalars: values.map(Double.init), dtype: .float32)
            #expect(tensor.asArray(Float.self) == values)
        }
    }
}
