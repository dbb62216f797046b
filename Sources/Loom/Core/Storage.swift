#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        var pointer: UnsafeMutableRawPointer?
        let status = posix_memalign(&pointer, 64, max(byteCount, 64))
        precondition(status == 0 && pointer != nil, "storage: cannot allocate \(byteCount) bytes")
        bytes = pointer!
    }

    deinit { free(bytes) }

    @inline(__always)
    func pointer<T>(as type: T.Type) -> UnsafeMutablePointer<T> {
        bytes.assumingMemoryBound(to: T.self)
    }
}
