import Loom

/// LAPACK, when the machine has one, found at run time with `dlopen` (the way CMPIShim finds
/// Open MPI): nothing changes in the build, and the Swift code of ``SymmetricEigendecomposition``
/// is the fallback.
///
/// Why: measured on the 2-core Zen 3 (BENCHMARKS.md, "Second order"), the Swift code took
/// 15× OpenBLAS's `dsyevd` at n = 2,000 with eigenvectors before it had divide and conquer
/// and a blocked reduction; with them it takes about 1.2× on one thread (the eigenvalues
/// alone, still about 1.5×). The eigenvalues agree to tens of ulps either way. So when a
/// LAPACK is present it is still used.
///
/// Searched, in order: `$LOOM_LAPACK` (a library path; `off` disables LAPACK),
/// `libopenblas.so.0`, `liblapack.so.3`, `libopenblas.dylib`. The 32-bit-integer (LP64)
/// interface is assumed, as Debian's and Homebrew's builds have.
enum LAPACK {
    typealias Dsyevd = @convention(c) (
        UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafePointer<Int32>, UnsafeMutablePointer<Double>,
        UnsafePointer<Int32>, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, UnsafePointer<Int32>,
        UnsafeMutablePointer<Int32>, UnsafePointer<Int32>, UnsafeMutablePointer<Int32>, Int, Int
    ) -> Void

    /// `dsyevd_`, or nil when no LAPACK was found.
    static let dsyevd: Dsyevd? = symbol("dsyevd_", as: Dsyevd.self)

    /// The library that was loaded, for reports (nil: the Swift fallback).
    static var libraryName: String? { library?.name }

    /// Whether eigendecompositions go to LAPACK.
    static var isAvailable: Bool { dsyevd != nil }

    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let library, let pointer = Platform.symbol(name, in: library.handle) else { return nil }
        return unsafeBitCast(pointer, to: type)
    }

    /// The library, opened once (a handle is an address the loader keeps valid for the
    /// process's life, so sharing it between threads is safe).
    nonisolated(unsafe) private static let library: (name: String, handle: UnsafeMutableRawPointer)? = {
        let requested = Platform.environment("LOOM_LAPACK")
        if requested == "off" { return nil }
        return Platform.openLibrary((requested.map { [$0] } ?? []) + ["libopenblas.so.0", "liblapack.so.3", "libopenblas.dylib"])
    }()

    /// The eigenvalues (ascending) and, with `vectors`, the eigenvectors of the symmetric
    /// row-major `n × n` matrix `a` (as rows: LAPACK writes column-major columns, which are the
    /// rows of the row-major buffer), by `dsyevd`. Nil when LAPACK is absent or reports failure.
    static func symmetricEigen(_ a: [Double], n: Int, vectors: Bool) -> (values: [Double], rows: [Double])? {
        guard let dsyevd, n > 0, n < Int(Int32.max / 2) else { return nil }
        // Row-major lower = column-major upper, for the same symmetric matrix.
        var matrix = a
        var values = [Double](repeating: 0, count: n)
        var size = Int32(n), info: Int32 = 0
        var workQuery = 0.0, iworkQuery: Int32 = 0, query: Int32 = -1
        let job: CChar = vectors ? 86 /* V */ : 78 /* N */, upper: CChar = 85 /* U */
        var jobz = job, uplo = upper
        dsyevd(&jobz, &uplo, &size, &matrix, &size, &values, &workQuery, &query, &iworkQuery, &query, &info, 1, 1)
        guard info == 0 else { return nil }
        var lwork = Int32(workQuery.rounded(.up)), liwork = iworkQuery
        var work = [Double](repeating: 0, count: Int(lwork)), iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevd(&jobz, &uplo, &size, &matrix, &size, &values, &work, &lwork, &iwork, &liwork, &info, 1, 1)
        guard info == 0 else { return nil }
        return (values, matrix)
    }
}
