// The C platform calls Loom makes: libm and a little POSIX. This is the only file that names
// Glibc or Darwin, so a new platform (Musl, WASI, Windows' ucrt) is a change here alone.
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#else
#error("Loom's platform shim knows Glibc and Darwin; add the new C library in Platform.swift")
#endif

/// The C library functions Loom uses, one name on every platform. `package` so that every
/// module of Loom reaches them and no client of the package sees them.
///
/// The elementwise kernels call the libm functions once per element: each is
/// `@inline(__always)`, so inside module Loom the kernel loop calls libm directly.
package enum Platform {
    @inline(__always) package static func exp(_ x: Float) -> Float { expf(x) }
    @inline(__always) package static func log(_ x: Float) -> Float { logf(x) }
    @inline(__always) package static func tanh(_ x: Float) -> Float { tanhf(x) }
    @inline(__always) package static func pow(_ x: Float, _ y: Float) -> Float { powf(x, y) }

    @inline(__always) package static func exp(_ x: Double) -> Double { libmExp(x) }
    @inline(__always) package static func log(_ x: Double) -> Double { libmLog(x) }
    @inline(__always) package static func tanh(_ x: Double) -> Double { libmTanh(x) }
    @inline(__always) package static func pow(_ x: Double, _ y: Double) -> Double { libmPow(x, y) }
    @inline(__always) package static func cos(_ x: Double) -> Double { libmCos(x) }

    /// `byteCount` bytes (at least 1) aligned to `alignment`, a power of two that is a
    /// multiple of the pointer size; nil when the system has no memory. Release with
    /// ``freeAligned(_:)``.
    package static func allocateAligned(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        var pointer: UnsafeMutableRawPointer?
        return posix_memalign(&pointer, alignment, Swift.max(byteCount, 1)) == 0 ? pointer : nil
    }

    /// Releases memory from ``allocateAligned(byteCount:alignment:)``.
    package static func freeAligned(_ pointer: UnsafeMutableRawPointer) { free(pointer) }

    /// Whether standard output is a terminal (and not a pipe or a file).
    package static var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) != 0 }

    /// Whether standard error is a terminal.
    package static var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    /// The width of the terminal on standard output (or, when that is redirected, standard
    /// error) in columns, from `ioctl(TIOCGWINSZ)`; nil when neither is a terminal or the
    /// terminal does not say.
    package static var terminalColumns: Int? {
        for descriptor in [STDOUT_FILENO, STDERR_FILENO] {
            var size = winsize()
            if ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        }
        return nil
    }

    /// Makes standard output line-buffered, so that `print` reaches a file or a pipe line by
    /// line as it happens rather than in 4 KiB blocks (the C library's default when it is not
    /// a terminal).
    package static func lineBufferStandardOutput() { setvbuf(stdout, nil, _IOLBF, 0) }

    /// This process's id.
    package static var processID: Int32 { getpid() }

    /// Opens (creating) `path` and takes an exclusive advisory lock on it without waiting:
    /// the descriptor (held until the process exits or ``unlock(_:)``), or nil when another
    /// process holds the lock or the file cannot be opened (`errno` says which).
    package static func lockExclusively(_ path: String) -> Int32? {
        let descriptor = open(path, O_RDWR | O_CREAT, 0o644)
        guard descriptor >= 0 else { return nil }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return descriptor
    }

    /// Writes `text` over the whole file open at `descriptor`.
    package static func overwrite(_ descriptor: Int32, with text: String) {
        _ = ftruncate(descriptor, 0)
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    /// Releases a lock from ``lockExclusively(_:)``.
    package static func unlock(_ descriptor: Int32) { close(descriptor) }

    /// The machine's physical memory in bytes (nil when the system cannot say).
    package static var physicalMemoryBytes: Int? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, pageSize > 0 else { return nil }
        let (bytes, overflow) = pages.multipliedReportingOverflow(by: pageSize)
        return overflow ? Int.max : bytes
    }

    /// The signal numbers of SIGINT and SIGTERM, the two a user or a scheduler stops a run with.
    package static let interruptSignal = SIGINT, terminateSignal = SIGTERM

    /// Makes `signal`'s default action (termination) not happen, so that a dispatch source
    /// can handle it instead.
    package static func ignoreSignal(_ signal: Int32) { ignoreInC(signal) }

    /// Ends the process now with `status`, without running exit handlers (other threads may be
    /// in the middle of Swift code that static destructors would pull out from under them);
    /// every standard I/O stream is flushed first.
    package static func exitImmediately(_ status: Int32) -> Never {
        fflush(nil)
        _exit(status)
    }

    /// The first of `names` (library file names or paths) that the dynamic loader opens, with
    /// its handle (symbols resolved now, kept local to the handle); nil when none opens. How
    /// optional libraries (a system LAPACK) are found at run time without a build dependency.
    package static func openLibrary(_ names: [String]) -> (name: String, handle: UnsafeMutableRawPointer)? {
        for name in names {
            if let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) { return (name, handle) }
        }
        return nil
    }

    /// The address of `symbol` in a library opened by ``openLibrary(_:)``, or nil.
    package static func symbol(_ symbol: String, in handle: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
        dlsym(handle, symbol)
    }

    /// The value of the environment variable `name`, or nil when it is not set.
    package static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// The name of a signal (`SIGTERM`), for messages.
    package static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(signal)"
        }
    }
}

// NOTE: the double-precision functions are reached through these file-scope names because
// inside `Platform`, `exp(x)` would name `Platform.exp` itself (infinite recursion), and
// `Glibc.exp` would name one platform's module.
@inline(__always) private func libmExp(_ x: Double) -> Double { exp(x) }
@inline(__always) private func libmLog(_ x: Double) -> Double { log(x) }
@inline(__always) private func libmTanh(_ x: Double) -> Double { tanh(x) }
@inline(__always) private func libmPow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
@inline(__always) private func libmCos(_ x: Double) -> Double { cos(x) }
// Inside `Platform`, `signal` would not name the C function either.
private func ignoreInC(_ number: Int32) { _ = signal(number, SIG_IGN) }
