import CLoomKernels

// Not in main.swift on purpose: closures written in top-level code are @MainActor-isolated, and
// Swift 6 traps (dispatch_assert_queue) when the pool runs such a closure on a worker thread.
// C callbacks handed to loom_parallel_for must be nonisolated.

/// Fork-join cost of the worker pool: an empty body over 2 chunks, called back to back.
func benchForkJoin() {
    withKernelThreads(2) {
        measureLatency("parallel_for fork-join 2t") {
            loom_parallel_for(2, 1, { _, _, _ in }, nil)
        }
    }.printJSON()
}
