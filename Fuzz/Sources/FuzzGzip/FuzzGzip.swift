import LoomData

/// One libFuzzer input: a gzip stream. The output limit is small so the fuzzer's RSS limit
/// measures leaks and unbounded allocations, not the limit itself.
func fuzzGzip(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let output = try? Gzip.decompress(bytes, path: "fuzz.gz", limit: 1 << 20) {
        precondition(output.count <= 1 << 20, "gzip: \(output.count) bytes past the limit")
    }
    return 0
}
