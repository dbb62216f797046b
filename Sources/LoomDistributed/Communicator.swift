import CMPIShim
import Foundation

/// Errors of distributed training.
public enum DistributedError: Error, Equatable, CustomStringConvertible {
    /// Open MPI could not be loaded (not installed, or another MPI).
    case unavailable(String)
    /// An MPI call returned an error code.
    case mpi(operation: String, code: Int, message: String)
    /// The root process failed before it could send what the others wait for.
    case rootFailed(String)
    /// A configuration that data-parallel training does not support.
    case unsupported(String)

    public var description: String {
        switch self {
        case let .unavailable(message):
            "distributed training needs Open MPI: \(message) (Debian: apt-get install openmpi-bin; "
                + "another libmpi can be named with LOOM_MPI_LIBRARY, but it must be Open MPI 4 or later)"
        case let .mpi(operation, code, message): "\(operation) failed (MPI error \(code)): \(message)"
        case let .rootFailed(message): "rank 0 failed: \(message)"
        case let .unsupported(message): "not supported with --distributed: \(message)"
        }
    }
}

/// The processes of an MPI job (`MPI_COMM_WORLD`), reached through Open MPI loaded at run time.
///
/// Loom has no build-time dependency on MPI: `libmpi.so.40` is opened with `dlopen` the first
/// time a communicator is made, and the handles MPI's C header defines as macros
/// (`MPI_COMM_WORLD`, `MPI_FLOAT`, `MPI_SUM`, …) are found as the Open MPI objects they point
/// to (`ompi_mpi_comm_world`, …). That is Open MPI's ABI; MPICH-family libraries are not
/// supported. Every collective is blocking and must be called by every process in the same
/// order. MPI is initialized once per process and finalized by ``finalize()``.
public final class Communicator: @unchecked Sendable {
    /// This process's rank, `0..<worldSize`.
    public let rank: Int
    /// The number of processes.
    public let worldSize: Int
    /// Whether this is rank 0, the process that writes files and prints.
    public var isRoot: Bool { rank == 0 }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var shared: Communicator?

    private init(rank: Int, worldSize: Int) {
        self.rank = rank
        self.worldSize = worldSize
    }

    /// Loads Open MPI (`library`, else `$LOOM_MPI_LIBRARY`, else `libmpi.so.40`), initializes
    /// MPI once per process and returns the world. Errors come back as ``DistributedError``
    /// rather than aborting the job (`MPI_ERRORS_RETURN`).
    ///
    /// `timeout`: the longest any one collective may take before this process gives up with a
    /// message and exit code 75 — a rank that died or hangs must not leave the others waiting
    /// forever (Open MPI's `mpirun` also ends the job when a rank dies; the watchdog covers the
    /// cases it does not see, such as a rank that hangs). nil: no limit. A SIGTERM — how
    /// `mpirun` stops the surviving ranks — is reported with this rank's number.
    public static func world(library: String? = nil, timeout: Double? = 300) throws -> Communicator {
        lock.lock()
        defer { lock.unlock() }
        if let shared { return shared }
        try load(library)
        try check(loom_mpi_initialize(), "MPI_Init")
        var rank: Int32 = 0, size: Int32 = 0
        try check(loom_mpi_rank(&rank), "MPI_Comm_rank")
        try check(loom_mpi_world_size(&size), "MPI_Comm_size")
        loom_mpi_set_watchdog(timeout ?? 0)
        loom_mpi_report_termination()
        let world = Communicator(rank: Int(rank), worldSize: Int(size))
        shared = world
        return world
    }

    /// Whether Open MPI can be loaded in this process (it is not initialized).
    public static func isAvailable(library: String? = nil) -> Bool {
        (try? load(library)) != nil
    }

    /// The MPI library's version string (`MPI_Get_library_version`).
    public static func libraryVersion(library: String? = nil) throws -> String {
        try load(library)
        var text = [CChar](repeating: 0, count: 512)
        loom_mpi_library_version(&text, text.count)
        return Self.string(text)
    }

    private static func load(_ library: String?) throws {
        var error = [CChar](repeating: 0, count: 1024)
        if loom_mpi_load(library, &error, error.count) != 0 {
            throw DistributedError.unavailable(Self.string(error))
        }
    }

    /// A NUL-terminated C string's text.
    static func string(_ characters: [CChar]) -> String {
        String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func check(_ code: Int32, _ operation: String) throws {
        guard code != 0 else { return }
        var text = [CChar](repeating: 0, count: 512)
        loom_mpi_error_string(code, &text, text.count)
        throw DistributedError.mpi(operation: operation, code: Int(code), message: Self.string(text))
    }

    /// How `allReduce(_:_:)` combines the processes' values.
    public enum Reduction: Sendable {
        /// The elementwise sum over processes.
        case sum
        /// The elementwise mean: the sum divided by ``worldSize``.
        case mean
    }

    /// Replaces `buffer` on every process by the elementwise sum (or mean) of all processes'
    /// buffers (`MPI_Allreduce` in place). Every process passes the same count.
    public func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, _ reduction: Reduction = .sum) throws {
        try Self.check(loom_mpi_allreduce_sum(buffer.baseAddress, buffer.count, LOOM_MPI_FLOAT32), "MPI_Allreduce")
        if reduction == .mean {
            let scale = 1 / Float(worldSize)
            for i in buffer.indices { buffer[i] *= scale }
        }
    }

    /// The float64 form of ``allReduce(_:_:)-(UnsafeMutableBufferPointer<Float>,_)``.
    public func allReduce(_ buffer: UnsafeMutableBufferPointer<Double>, _ reduction: Reduction = .sum) throws {
        try Self.check(loom_mpi_allreduce_sum(buffer.baseAddress, buffer.count, LOOM_MPI_FLOAT64), "MPI_Allreduce")
        if reduction == .mean {
            let scale = 1 / Double(worldSize)
            for i in buffer.indices { buffer[i] *= scale }
        }
    }

    /// Reduces an array in place (see ``allReduce(_:_:)-(UnsafeMutableBufferPointer<Float>,_)``).
    public func allReduce(_ values: inout [Float], _ reduction: Reduction = .sum) throws {
        try values.withUnsafeMutableBufferPointer { try allReduce($0, reduction) }
    }

    /// Reduces an array in place.
    public func allReduce(_ values: inout [Double], _ reduction: Reduction = .sum) throws {
        try values.withUnsafeMutableBufferPointer { try allReduce($0, reduction) }
    }

    /// Copies `root`'s buffer into every process's buffer (`MPI_Bcast`); the counts agree.
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int = 0) throws {
        try Self.check(loom_mpi_broadcast(buffer.baseAddress, buffer.count, LOOM_MPI_BYTE, Int32(root)), "MPI_Bcast")
    }

    /// Copies `root`'s float32 values into every process's array of the same count.
    public func broadcast(_ values: inout [Float], root: Int = 0) throws {
        try values.withUnsafeMutableBytes { try broadcast($0, root: root) }
    }

    /// Copies `root`'s float64 values into every process's array of the same count.
    public func broadcast(_ values: inout [Double], root: Int = 0) throws {
        try values.withUnsafeMutableBytes { try broadcast($0, root: root) }
    }

    /// Sends `root`'s bytes, of any length, to every process: the root passes them, the others
    /// pass nil, and every process gets them back. Two broadcasts (the length, then the bytes).
    public func broadcast(bytes: [UInt8]?, root: Int = 0) throws -> [UInt8] {
        var length = [Double(rank == root ? bytes?.count ?? 0 : 0)]
        try broadcast(&length, root: root)
        var result = rank == root ? bytes ?? [] : [UInt8](repeating: 0, count: Int(length[0]))
        try result.withUnsafeMutableBytes { try broadcast($0, root: root) }
        return result
    }

    /// Runs `body` on `root` and gives every process its result, or — when it throws on the
    /// root — throws there and makes every other process throw ``DistributedError/rootFailed(_:)``
    /// with its message, so that no process waits for bytes that will never come.
    public func broadcastResult(root: Int = 0, _ body: () throws -> [UInt8]) throws -> [UInt8] {
        var outcome: Result<[UInt8], Error> = .success([])
        if rank == root { outcome = Result { try body() } }
        let message: [UInt8]? = switch outcome {
        case let .success(bytes): [1] + bytes
        case let .failure(error): [0] + Array(String(describing: error).utf8)
        }
        let received = try broadcast(bytes: rank == root ? message : nil, root: root)
        if rank == root { return try outcome.get() }
        guard received.first == 1 else { throw DistributedError.rootFailed(String(decoding: received.dropFirst(), as: UTF8.self)) }
        return Array(received.dropFirst())
    }

    /// Waits until every process has called it (`MPI_Barrier`).
    public func barrier() throws {
        try Self.check(loom_mpi_barrier(), "MPI_Barrier")
    }

    /// Ends the whole job from this process (`MPI_Abort`), e.g. after an error that the others
    /// cannot see.
    public func abort(code: Int32 = 1) -> Never {
        loom_mpi_abort(code)
        exit(code)
    }

    /// Shuts MPI down in this process (`MPI_Finalize`); no collective may follow.
    public func finalize() throws {
        try Self.check(loom_mpi_finalize(), "MPI_Finalize")
    }
}
