import Foundation
import LoomTraining

/// One libFuzzer input: a `config.json` (version 1 or 2) through the strict decoder, as
/// `--resume` reads it. A thrown ``ConfigurationError`` is the expected answer to garbage; a
/// configuration that reads must validate, encode, and read back to the same JSON (what
/// `config.json` stores it can read).
func fuzzConfiguration(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    guard let configuration = try? TrainingConfiguration.read(from: bytes, source: "fuzz/config.json") else { return 0 }
    do {
        try configuration.validate()
        // A plain encoder: a non-finite number it cannot write is a finding, as it would be
        // a config.json that cannot be read back.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let encoded = try encoder.encode(configuration)
        let again = try TrainingConfiguration.read(from: encoded, source: "fuzz/config.json (written)")
        let rewritten = try encoder.encode(again)
        precondition(rewritten == encoded, "config.json: written and read back differ")
    } catch {
        preconditionFailure("config.json: a configuration that read cannot be written and read back: \(error)")
    }
    return 0
}
