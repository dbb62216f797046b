// Shared measuring helper for loom-bench: repeated timing windows, median and spread, one JSON
// line per measurement. Later benchmarks reuse `measure` and `Measurement.printJSON`.
import Foundation

/// A summary of several timing windows of one operation.
struct Measurement {
    var name: String
    var unit: String
    var median: Double
    var min: Double
    var max: Double
    var samples: Int

    /// One JSON object on one line: {"name": ..., "unit": ..., "median": ..., "min": ..., "max": ..., "samples": N}
    func printJSON() {
        func num(_ x: Double) -> String { x.isFinite ? String(format3(x)) : "null" }
        let escaped = name.replacingAll("\\", "\\\\").replacingAll("\"", "\\\"")
        print("{\"name\": \"\(escaped)\", \"unit\": \"\(unit)\", \"median\": \(num(median)), "
              + "\"min\": \(num(min)), \"max\": \(num(max)), \"samples\": \(samples)}")
    }
}

/// Three decimals without Foundation.
private func format3(_ x: Double) -> String {
    let scaled = (x * 1000).rounded()
    let sign = scaled < 0 ? "-" : ""
    let a = abs(scaled)
    let whole = Int(a / 1000), frac = Int(a.truncatingRemainder(dividingBy: 1000))
    let f = String(frac)
    return "\(sign)\(whole).\(String(repeating: "0", count: 3 - f.count))\(f)"
}

extension String {
    fileprivate func replacingAll(_ target: Character, _ replacement: String) -> String {
        var out = ""
        for ch in self { if ch == target { out += replacement } else { out.append(ch) } }
        return out
    }
}

/// Options shared by all measurements.
struct MeasureOptions {
    /// Minimum length of one timing window; the operation is repeated until it is reached.
    var window: Duration = .milliseconds(40)
    /// Number of windows (samples) per measurement.
    var samples = 9
    /// Untimed warm-up before the first window (caches, page faults, pool wake-up).
    var warmup: Duration = .milliseconds(60)
}

/// Runs `body` in `options.samples` timing windows after a warm-up. Each window repeats `body`
/// until it has run for at least `options.window`; returns (calls, seconds) per window.
func timeWindows(options: MeasureOptions, _ body: () -> Void) -> [(calls: Int, seconds: Double)] {
    let clock = ContinuousClock()
    let warmEnd = clock.now.advanced(by: options.warmup)
    repeat { body() } while clock.now < warmEnd
    var windows: [(calls: Int, seconds: Double)] = []
    for _ in 0..<options.samples {
        var calls = 0
        let start = clock.now
        var elapsed = Duration.zero
        repeat {
            body()
            calls += 1
            elapsed = clock.now - start
        } while elapsed < options.window
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        windows.append((calls, seconds))
    }
    return windows
}

/// Median and spread of per-window values.
func summarize(_ name: String, unit: String, _ values: [Double]) -> Measurement {
    let v = values.sorted()
    let mid = v.count / 2
    let median = v.isEmpty ? .nan : v.count % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2
    return Measurement(name: name, unit: unit, median: median, min: v.first ?? .nan,
                       max: v.last ?? .nan, samples: v.count)
}

/// A throughput: `workPerCall * calls / seconds * scale` per window (e.g. FLOP/s with `scale`
/// 1e-9 for GFLOP/s). Reports the median and the spread (min, max) of the windows.
func measure(_ name: String, unit: String, workPerCall: Double, scale: Double = 1e-9,
             options: MeasureOptions = MeasureOptions(), _ body: () -> Void) -> Measurement {
    let w = timeWindows(options: options, body)
    let values = w.map { workPerCall * Double($0.calls) / $0.seconds * scale }
    if ProcessInfo.processInfo.environment["LOOM_BENCH_WINDOWS"] != nil {
        // Every window in order, on stderr: shows warm-up effects and bursts of contention.
        FileHandle.standardError.write(Data("\(name): \(values.map { String(format: "%.1f", $0) }.joined(separator: " "))\n".utf8))
    }
    return summarize(name, unit: unit, values)
}

/// A latency: microseconds per call, per window.
func measureLatency(_ name: String, options: MeasureOptions = MeasureOptions(),
                    _ body: () -> Void) -> Measurement {
    let w = timeWindows(options: options, body)
    return summarize(name, unit: "us", w.map { $0.seconds / Double($0.calls) * 1e6 })
}
