import Foundation
import Synchronization

/// SIGINT and SIGTERM, handled so that no file is left half-written.
///
/// After ``install(onExit:)``, a signal does one of two things:
/// - inside ``cooperating(_:)`` (a loop that calls ``check()`` between its steps, such as the
///   training loop), the first signal only records the request: the loop's next ``check()``
///   throws ``Interrupted``, and the caller ends the work and says where it stopped;
/// - otherwise (or at a second signal), the process exits at once with status 128 + signal,
///   but never in the middle of ``uninterruptible(_:)`` (every atomic file write): the exit
///   waits for the write to end, and a write that would start after it never starts.
///
/// Either way every file Loom wrote is complete, and no temporary file is left.
public enum Interruption {
    private struct State {
        var signal: Int32?
        var cooperating = 0
        var writing = 0
        var exiting = false
        var onExit: (@Sendable (Int32) -> Void)?
        var sources: [any DispatchSourceSignal] = []
    }

    private static let state = Mutex(State())
    private static let queue = DispatchQueue(label: "loom.interruption")

    /// Handles SIGINT and SIGTERM from now on; `onExit` is called with the signal just before
    /// the process exits on its own (not inside ``cooperating(_:)``), to say so in one line.
    public static func install(onExit: @escaping @Sendable (Int32) -> Void) {
        state.withLock { state in
            state.onExit = onExit
            guard state.sources.isEmpty else { return }
            for number in [Platform.interruptSignal, Platform.terminateSignal] {
                Platform.ignoreSignal(number)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { received(number) }
                source.resume()
                state.sources.append(source)
            }
        }
    }

    /// The signal received so far (nil: none).
    public static var requestedSignal: Int32? { state.withLock { $0.signal } }

    /// Throws ``Interrupted`` when a signal has been received: called by a loop between steps.
    public static func check() throws {
        if let signal = requestedSignal { throw Interrupted(signal: signal) }
    }

    /// Runs `body`, a loop that calls ``check()`` between its steps: while it runs, a first
    /// signal waits for that check instead of ending the process.
    public static func cooperating<T>(_ body: () throws -> T) rethrows -> T {
        state.withLock { $0.cooperating += 1 }
        defer { state.withLock { $0.cooperating -= 1 } }
        return try body()
    }

    /// Runs `body` (a file write) so that a signal's exit waits until it has ended.
    public static func uninterruptible<T>(_ body: () throws -> T) rethrows -> T {
        while !state.withLock({ state in
            if state.exiting { return false }
            state.writing += 1
            return true
        }) {
            // The process is exiting: this write must not start (it could be cut short).
            Thread.sleep(forTimeInterval: 1)
        }
        defer { state.withLock { $0.writing -= 1 } }
        return try body()
    }

    /// Called on `queue` for each signal.
    private static func received(_ signal: Int32) {
        let exitsNow = state.withLock { state -> Bool in
            let isFirst = state.signal == nil
            if isFirst { state.signal = signal }
            return !(isFirst && state.cooperating > 0)
        }
        guard exitsNow else { return }
        // Wait for the write in progress, and keep any other from starting.
        while !state.withLock({ state in
            if state.writing > 0 { return false }
            state.exiting = true
            return true
        }) {
            Thread.sleep(forTimeInterval: 0.001)
        }
        state.withLock { $0.onExit }?(signal)
        Platform.exitImmediately(128 + signal)
    }
}

/// The error ``Interruption/check()`` throws after SIGINT or SIGTERM.
public struct Interrupted: Error, Equatable, CustomStringConvertible {
    /// The signal's number.
    public let signal: Int32

    public init(signal: Int32) { self.signal = signal }

    /// The conventional exit status of a process ended by the signal: 128 + its number
    /// (130 for SIGINT, 143 for SIGTERM).
    public var exitStatus: Int32 { 128 + signal }

    /// `SIGTERM`.
    public var signalName: String { Platform.signalName(signal) }

    public var description: String { "interrupted by \(signalName)" }
}
