/// What one CSV cell holds, for a column that is still numeric.
enum CSVCell {
    case missing
    case number(Float)
    /// Written as a number (or `inf`) whose value is infinite or outside float32's range.
    case infinite
    case text
}

/// How the scan of a number ended.
enum NumberScan: UInt8 {
    /// `value` is the correctly rounded float32.
    case exact
    /// The syntax is a decimal number but the fast path cannot round it: use ``CSVNumber/slowValue``.
    case needsSlowPath
    /// Not a number where the scan stopped.
    case notNumber
}

/// Decimal text to float32, by hand: digits into a 64-bit mantissa and a decimal exponent,
/// one double multiply or divide by a power of ten, then a check that the double is far enough
/// from a float32 rounding boundary for its rounding to be the decimal's.
///
/// The double `d = m · 10^e` is within 2 ulp of the exact value (`m` below 2⁶⁴ converts
/// within ½ ulp, 10^e for |e| ≤ 64 is stored within ½ ulp, the product rounds within ½ ulp). A float32 midpoint lies 2²⁸ double ulps from
/// its neighbours, so when no midpoint is within 4 ulp of `d`, `Float(d)` is the correctly
/// rounded float32 of the decimal, without the double rounding of `Float(Double(text))`
/// (the check uses a band of d · 2⁻⁵⁰ ≥ 4 ulp, twice the error bound). The
/// rest (more than 19 significant digits, |exponent| > 64, near a midpoint: about one number in
/// 10⁸ of random data) goes to `Float(String)`, i.e. `strtof`.
enum CSVNumber {
    /// 10⁻⁶⁴ … 10⁶⁴ (`powersOfTen[k + 64]` is 10^k), each the correctly rounded double. Never freed.
    nonisolated(unsafe) static let powersOfTen: UnsafePointer<Double> = {
        let pointer = UnsafeMutablePointer<Double>.allocate(capacity: 129)
        for k in -64...64 { pointer[k + 64] = Double("1e\(k)")! }
        return UnsafePointer(pointer)
    }()

    /// Scans a number at `start` (sign, digits, optional fraction and exponent); stops at the
    /// first byte that cannot continue it, which the caller checks is the end of the cell.
    @inline(__always)
    static func scan(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, powers: UnsafePointer<Double>)
        -> (value: Float, stop: UnsafePointer<UInt8>, result: NumberScan)
    {
        var p = start
        var negative = false
        if p < end && (p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+")) {
            negative = p[0] == UInt8(ascii: "-")
            p += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0, exponent = 0
        var sawDigit = false, dropped = false
        while p < end {
            let digit = p[0] &- UInt8(ascii: "0")
            if digit >= 10 { break }
            sawDigit = true
            if digits < 19 {
                mantissa = mantissa &* 10 &+ UInt64(digit)
                if mantissa != 0 { digits &+= 1 }
            } else {
                exponent &+= 1
                if digit != 0 { dropped = true }
            }
            p += 1
        }
        if p < end && p[0] == UInt8(ascii: ".") {
            p += 1
            // Eight digits at a time while they fit the 19 the mantissa holds (`digits` may
            // overcount leading zeros here, which only sends a rare number to the slow path).
            while digits <= 11 && end - p >= 8 {
                let word = UnsafeRawPointer(p).loadUnaligned(as: UInt64.self).littleEndian
                guard isEightDigits(word) else { break }
                mantissa = mantissa &* 100_000_000 &+ eightDigitValue(word)
                exponent &-= 8
                if mantissa != 0 { digits &+= 8 }
                sawDigit = true
                p += 8
            }
            while p < end {
                let digit = p[0] &- UInt8(ascii: "0")
                if digit >= 10 { break }
                sawDigit = true
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(digit)
                    exponent &-= 1
                    if mantissa != 0 { digits &+= 1 }
                } else if digit != 0 {
                    dropped = true
                }
                p += 1
            }
        }
        guard sawDigit else { return (0, p, .notNumber) }
        if p < end && (p[0] | 0x20) == UInt8(ascii: "e") {
            var q = p + 1
            var exponentNegative = false
            if q < end && (q[0] == UInt8(ascii: "-") || q[0] == UInt8(ascii: "+")) {
                exponentNegative = q[0] == UInt8(ascii: "-")
                q += 1
            }
            var written = 0, sawExponentDigit = false
            while q < end {
                let digit = q[0] &- UInt8(ascii: "0")
                if digit >= 10 { break }
                sawExponentDigit = true
                if written < 100_000 { written = written * 10 + Int(digit) }
                q += 1
            }
            guard sawExponentDigit else { return (0, q, .notNumber) }
            exponent += exponentNegative ? -written : written
            p = q
        }
        if mantissa == 0 { return (negative ? -0.0 : 0, p, .exact) }
        guard !dropped, exponent >= -64, exponent <= 64 else { return (0, p, .needsSlowPath) }
        // A multiply by 10^-k (rounded) instead of a divide: within the 4-ulp band below.
        let scaled = Double(mantissa) * powers[exponent &+ 64]
        let single = Float(scaled)
        guard single.isFinite, single != .greatestFiniteMagnitude else { return (0, p, .needsSlowPath) }
        let widened = Double(single)
        if scaled != widened {
            // `single` is positive: its neighbours are one bit pattern away.
            let neighbour = Float(bitPattern: scaled > widened ? single.bitPattern &+ 1 : single.bitPattern &- 1)
            let midpoint = (widened + Double(neighbour)) * 0.5
            // scaled · 2⁻⁵⁰ is at least 4 ulp of scaled.
            if abs(scaled - midpoint) <= scaled * 0x1p-50 { return (0, p, .needsSlowPath) }
        }
        return (negative ? -single : single, p, .exact)
    }

    /// Whether the eight bytes of `word` (little-endian) are all ASCII digits.
    @inline(__always)
    static func isEightDigits(_ word: UInt64) -> Bool {
        ((word &+ 0x4646_4646_4646_4646) | (word &- 0x3030_3030_3030_3030)) & 0x8080_8080_8080_8080 == 0
    }

    /// The value of eight ASCII digits (the first in the lowest byte), by three multiplies
    /// (Lemire's SWAR conversion, as in fast_float).
    @inline(__always)
    static func eightDigitValue(_ word: UInt64) -> UInt64 {
        var value = word &- 0x3030_3030_3030_3030
        value = value &* 10 &+ (value >> 8)
        let mask: UInt64 = 0x0000_00FF_0000_00FF
        return ((value & mask) &* 0x000F_4240_0000_0064 &+ ((value >> 16) & mask) &* 0x0000_2710_0000_0001) >> 32
    }

    /// The correctly rounded float32 of decimal text (infinite when out of range), via `strtof`.
    static func slowValue(_ start: UnsafePointer<UInt8>, count: Int) -> Float? {
        Float(String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self))
    }

    /// Classifies a whole cell (quotes already removed): missing, a number, infinite, or text.
    /// Spaces and tabs around the cell are ignored here (a text cell keeps them).
    static func classify(_ start: UnsafePointer<UInt8>, count: Int) -> CSVCell {
        var first = start, last = start + count
        while first < last && (first[0] == 0x20 || first[0] == 0x09) { first += 1 }
        while last > first && (last[-1] == 0x20 || last[-1] == 0x09) { last -= 1 }
        let length = last - first
        if isMissing(first, count: length) { return .missing }
        if isInfinity(first, count: length) { return .infinite }
        let (value, stop, result) = scan(first, last, powers: powersOfTen)
        guard stop == last else { return .text }
        switch result {
        case .exact: return .number(value)
        case .notNumber: return .text
        case .needsSlowPath:
            guard let value = slowValue(first, count: length) else { return .text }
            return value.isFinite ? .number(value) : .infinite
        }
    }

    /// The texts that mean "no value": empty, `NA`, `N/A`, `NaN`, `nan`, `null`, `NULL`, `?`.
    static let missingMarkers: [[UInt8]] = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "?"].map { Array($0.utf8) }

    static func isMissing(_ start: UnsafePointer<UInt8>, count: Int) -> Bool {
        guard count <= 4 else { return false }
        let cell = UnsafeBufferPointer(start: start, count: count)
        return missingMarkers.contains { $0.elementsEqual(cell) }
    }

    /// `inf`, `infinity` in any case, with an optional sign: what strtod would read as infinite.
    static func isInfinity(_ start: UnsafePointer<UInt8>, count: Int) -> Bool {
        var p = start, length = count
        if length > 0 && (p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+")) { p += 1; length -= 1 }
        guard length == 3 || length == 8 else { return false }
        let lowered = (0..<length).map { p[$0] | 0x20 }
        return lowered.elementsEqual("inf".utf8) || lowered.elementsEqual("infinity".utf8)
    }
}
