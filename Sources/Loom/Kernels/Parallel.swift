import CLoomKernels

/// Work split across the kernel worker pool.
public enum Parallel {
    /// Elements of elementwise work below which one thread is faster than two (fork-join on
    /// the spinning pool costs well under a microsecond, the work ~0.1 ns an element).
    public static let elementGrain = 32_768

    /// Calls `body(begin, end)` over `0..<count` in chunks of at least `grain`, on the
    /// worker pool; inline when the work is small.
    static func forEach(_ count: Int, grain: Int, _ body: (Int, Int) -> Void) {
        if count <= 0 { return }
        if count <= grain || loom_num_threads() <= 1 {
            body(0, count)
            return
        }
        withoutActuallyEscaping(body) { escapable in
            var closure = escapable
            withUnsafeMutablePointer(to: &closure) { pointer in
                loom_parallel_for(Int64(count), Int64(max(grain, 1)), { context, begin, end in
                    let body = context!.assumingMemoryBound(to: ((Int, Int) -> Void).self).pointee
                    body(Int(begin), Int(end))
                }, pointer)
            }
        }
    }
}

/// The number of threads Loom's kernels use (default: the CPUs online, or the environment
/// variable `LOOM_NUM_THREADS`).
public var kernelThreadCount: Int {
    get { Int(loom_num_threads()) }
    set { loom_set_num_threads(Int32(max(newValue, 1))) }
}

/// Calls `body` on disjoint contiguous ranges that cover `0..<count`, on Loom's kernel threads
/// when there is enough work (at least two chunks of `minimumChunk`), inline otherwise.
///
/// For loops whose iterations are independent, such as the optimizers' elementwise updates:
/// each index is processed exactly once, by one call, so the results do not depend on the
/// thread count. `body` runs concurrently with itself and must only write at its own indices.
public func forEachChunk(of count: Int, minimumChunk: Int = Parallel.elementGrain, _ body: (Range<Int>) -> Void) {
    Parallel.forEach(count, grain: Swift.max(minimumChunk, 1)) { begin, end in body(begin..<end) }
}
