import CLoomKernels

/// Work split across the kernel worker pool.
enum Parallel {
    /// Elements of elementwise work below which one thread is faster than two (fork-join on
    /// the spinning pool costs well under a microsecond, the work ~0.1 ns an element).
    static let elementGrain = 32_768

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
