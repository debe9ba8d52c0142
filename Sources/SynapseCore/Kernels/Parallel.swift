import CSynapseKernels
import Dispatch
import Foundation

/// Splitting work over the machine's cores with a persistent thread pool (`CSynapseKernels/pool.c`).
///
/// Work is divided into tasks whose results never depend on how many threads run them (each task
/// writes its own part of the output, and every sum keeps its own fixed order), so training gives
/// bit-identical results on 1 thread and on many.
public enum Parallel {
    /// The number of threads to use: `SYNAPSE_NUM_THREADS` if set (≥ 1), else the active processors.
    public static let defaultThreadCount: Int = {
        if let text = ProcessInfo.processInfo.environment["SYNAPSE_NUM_THREADS"], let n = Int(text), n >= 1 { return n }
        return Swift.max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// An override of ``defaultThreadCount`` for tests and benchmarks (nil: use the default). Kept in
    /// a C atomic, as kernels on other threads read it while a test or a benchmark sets it.
    public static var threadCountOverride: Int? {
        get { let n = synapse_thread_override(); return n > 0 ? Int(n) : nil }
        set { synapse_set_thread_override(newValue.map { Int32(Swift.max(1, Swift.min($0, 1 << 20))) } ?? 0) }
    }

    /// The number of threads currently used.
    public static var threadCount: Int { threadCountOverride ?? defaultThreadCount }

    /// Runs `body(task)` for every task in `0..<tasks`, on up to ``threadCount`` threads; inline
    /// when there is one task or one thread.
    public static func forEach(tasks: Int, _ body: (Int) -> Void) {
        if tasks <= 1 || threadCount == 1 {
            for task in 0..<tasks { body(task) }
            return
        }
        // The tasks write disjoint memory by contract, so sharing `body` across threads is safe.
        withoutActuallyEscaping(body) { body in
            var closure = body
            withUnsafeMutablePointer(to: &closure) { pointer in
                synapse_parallel_for(tasks, Int32(Swift.min(threadCount, 64)), { context, task in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(task)
                }, pointer)
            }
        }
    }
}

/// A value handed to other threads under a guarantee the compiler cannot check (disjoint writes).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Splits an elementwise pass over `count` elements into chunks for the cores: nothing for small
/// passes (one call on the calling thread), else chunks of a fixed size, so each element is computed
/// by the same code whatever the thread count.
enum ElementwiseChunks {
    /// Elements per chunk (a multiple of 64, so chunks start on cache lines of aligned buffers).
    static let chunk = 1 << 16

    /// Calls `body(start, count)` for consecutive chunks covering `0..<count`.
    static func run(count: Int, _ body: (Int, Int) -> Void) {
        let chunks = (count + chunk - 1) / chunk
        if chunks <= 1 || Parallel.threadCount == 1 {
            if count > 0 { body(0, count) }
            return
        }
        Parallel.forEach(tasks: chunks) { c in
            let start = c * chunk
            body(start, Swift.min(chunk, count - start))
        }
    }
}
