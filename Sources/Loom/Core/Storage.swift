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
        let pointer = Platform.allocateAligned(byteCount: max(byteCount, 64), alignment: 64)
        precondition(pointer != nil, "storage: cannot allocate \(byteCount) bytes")
        bytes = pointer!
    }

    deinit { Platform.freeAligned(bytes) }

    @inline(__always)
    func pointer<T>(as type: T.Type) -> UnsafeMutablePointer<T> {
        bytes.assumingMemoryBound(to: T.self)
    }
}
