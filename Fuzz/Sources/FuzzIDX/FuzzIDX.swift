import LoomData

/// One libFuzzer input: IDX bytes, plain or gzip. A thrown ``DataError`` is the expected
/// answer to garbage; a parsed array must convert to a tensor without trapping.
func fuzzIDX(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let array = try? IDXArray(bytes: bytes, path: "fuzz.idx") {
        let tensor = array.tensor()
        precondition(tensor.shape == array.shape, "IDX: tensor shape \(tensor.shape) differs from \(array.shape)")
    }
    return 0
}
