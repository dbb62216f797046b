import LoomData

/// One libFuzzer input: an `.npy` file, or after a leading `P` byte an `.npz` archive. A
/// thrown ``DataError`` is the expected answer to garbage; an array that reads must hold as
/// many elements as its shape says.
func fuzzNumpy(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let arrays: [NumpyArray]
    if bytes.first == UInt8(ascii: "P") {
        guard let archive = try? NumpyReader.readNPZ(bytes: bytes, source: "fuzz.npz") else { return 0 }
        arrays = Array(archive.values)
    } else {
        guard let array = try? NumpyReader.readNPY(bytes: bytes, source: "fuzz.npy") else { return 0 }
        arrays = [array]
    }
    for array in arrays {
        let count = array.shape.reduce(1, *)
        precondition(array.elements.count == count, "npy: \(array.elements.count) elements for shape \(array.shape)")
    }
    return 0
}
