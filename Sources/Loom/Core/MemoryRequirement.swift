import Foundation

/// The memory a piece of work needs, checked against what the machine has before anything
/// is allocated, so that a size from outside (a width, a file's claimed length) is refused in
/// one line instead of ending the process in the allocator or the kernel's OOM killer.
///
/// The machine's memory is its physical RAM, or the control group's limit (`memory.max`)
/// when that is lower.
public enum MemoryRequirement {
    /// The memory this process may use, in bytes (nil when the system cannot say).
    public static var availableBytes: Int? {
        let physical = Platform.physicalMemoryBytes
        guard let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
              let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit > 0 else { return physical }
        return physical.map { Swift.min($0, limit) } ?? limit
    }

    /// Throws ``MemoryError`` when `bytes` (nil: a count that overflowed) is more than
    /// ``availableBytes``; `purpose` says what needs it ("training the network 784-…").
    public static func check(_ bytes: Int?, for purpose: String) throws {
        guard let available = availableBytes else { return }
        guard let bytes, bytes <= available else { throw MemoryError(purpose: purpose, needed: bytes, available: available) }
    }

    /// `a × b × …` bytes, or nil when the product overflows `Int`.
    public static func product(_ factors: Int...) -> Int? {
        var result = 1
        for factor in factors {
            let (next, overflow) = result.multipliedReportingOverflow(by: factor)
            if overflow || factor < 0 { return nil }
            result = next
        }
        return result
    }

    /// `bytes` as people read them: `25.9 GB`, `512 MB`, `12 kB` (powers of 1000).
    public static func describe(_ bytes: Int) -> String {
        let value = Double(bytes)
        if value >= 1e9 { return String(format: "%.1f GB", value / 1e9) }
        if value >= 1e6 { return String(format: "%.0f MB", value / 1e6) }
        return String(format: "%.0f kB", value / 1e3)
    }
}

/// Work that needs more memory than the machine has.
public struct MemoryError: Error, Equatable, CustomStringConvertible {
    /// What needs the memory: "training the network 784-30000-30000-10".
    public let purpose: String
    /// The bytes needed (nil: more than `Int` counts).
    public let needed: Int?
    /// The bytes the machine has.
    public let available: Int

    public var description: String {
        "\(purpose) needs \(needed.map { "about " + MemoryRequirement.describe($0) } ?? "more bytes than can be counted") of memory; "
            + "this machine has \(MemoryRequirement.describe(available))"
    }
}
