import Synchronization

/// The memory behind one or more tensors: a 64-byte aligned buffer of `byteCount` bytes.
///
/// Tensors share storage (views never copy) and copy it before writing unless they hold the
/// only reference (copy-on-write).
///
/// `@unchecked Sendable`: the buffer is written only while building a fresh tensor (before
/// it is shared) or through `Tensor`'s copy-on-write path, which first ensures unique
/// ownership; kernels that use several threads write disjoint ranges of an output that no
/// other tensor sees yet.
final class TensorStorage: @unchecked Sendable {
    let bytes: UnsafeMutableRawPointer
    let byteCount: Int

    init(byteCount: Int) {
        precondition(byteCount >= 0, "storage: negative size \(byteCount)")
        self.byteCount = byteCount
        if let reused = StorageCache.take(byteCount) {
            bytes = reused
            return
        }
        let pointer = Platform.allocateAligned(byteCount: StorageCache.allocationSize(byteCount), alignment: 64)
        precondition(pointer != nil, "storage: cannot allocate \(byteCount) bytes")
        bytes = pointer!
    }

    deinit {
        if !StorageCache.keep(bytes, byteCount: byteCount) { Platform.freeAligned(bytes) }
    }

    @inline(__always)
    func pointer<T>(as type: T.Type) -> UnsafeMutablePointer<T> {
        bytes.assumingMemoryBound(to: T.self)
    }
}

/// Freed buffers of a megabyte or more, kept for the next storage of the same size.
///
/// A training step frees and allocates the same large tensors every step (gradients,
/// activations, their cotangents). Fresh, each is new pages from the system: `malloc` maps any
/// block past its threshold (always past 32 MiB, a 4096 x 4096 float matrix is 64 MiB), and
/// every page then faults and is zeroed on first touch, and is unmapped again on free. In the
/// 784-4096-4096-10 SGD step at batch 32 that was 40% of the time, in the kernel. Kept here,
/// the next step's tensor of that size reuses the buffer as it is.
///
/// At most ``capacityBytes`` are kept (the oldest freed first go back to the system): about
/// one step's transient tensors, which were live at the step's peak anyway, so the peak
/// resident memory barely moves. `LOOM_STORAGE_CACHE_MB` sets the bound (0 turns it off).
enum StorageCache {
    /// Buffers below this come from `malloc`'s own free lists, which reuse them without faults.
    static let minimumBytes = 1 << 20

    /// The most bytes kept: 512 MiB, or `LOOM_STORAGE_CACHE_MB`.
    static let capacityBytes: Int = {
        if let text = Platform.environment("LOOM_STORAGE_CACHE_MB"), let megabytes = Int(text), megabytes >= 0 {
            return megabytes.multipliedReportingOverflow(by: 1 << 20).overflow ? Int.max : megabytes << 20
        }
        return 512 << 20
    }()

    private struct State {
        /// Every kept buffer as (allocation size, address), oldest first.
        var kept: [(size: Int, address: UInt)] = []
        var total = 0
    }

    private static let state = Mutex(State())

    /// The size actually allocated for `byteCount` bytes: at least 64, and whole 4 KiB pages
    /// from ``minimumBytes`` on, so that buffers of one size class are interchangeable.
    static func allocationSize(_ byteCount: Int) -> Int {
        byteCount < minimumBytes ? Swift.max(byteCount, 64) : (byteCount + 4095) & ~4095
    }

    /// A kept buffer that holds `byteCount` bytes (the last freed of its size), or nil.
    static func take(_ byteCount: Int) -> UnsafeMutableRawPointer? {
        guard byteCount >= minimumBytes else { return nil }
        let size = allocationSize(byteCount)
        let address: UInt? = state.withLock { state in
            guard let index = state.kept.lastIndex(where: { $0.size == size }) else { return nil }
            state.total -= size
            return state.kept.remove(at: index).address
        }
        return address.flatMap { UnsafeMutableRawPointer(bitPattern: $0) }
    }

    /// Keeps a freed buffer of a storage of `byteCount` bytes for reuse; false when it is too
    /// small to keep (the caller frees it). Buffers past the capacity are freed here, oldest first.
    static func keep(_ pointer: UnsafeMutableRawPointer, byteCount: Int) -> Bool {
        guard byteCount >= minimumBytes else { return false }
        let size = allocationSize(byteCount)
        guard size <= capacityBytes else { return false }
        let evicted: [UInt] = state.withLock { state in
            state.kept.append((size, UInt(bitPattern: pointer)))
            state.total += size
            var oldest = 0
            while state.total > capacityBytes {
                state.total -= state.kept[oldest].size
                oldest += 1
            }
            let evicted = state.kept.prefix(oldest).map(\.address)
            state.kept.removeFirst(oldest)
            return evicted
        }
        for address in evicted { Platform.freeAligned(UnsafeMutableRawPointer(bitPattern: address)!) }
        return true
    }

    /// The bytes kept now (for tests).
    static var keptBytes: Int { state.withLock { $0.total } }
}
