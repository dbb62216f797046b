// Decoding that fills a missing key from a default value, so that a configuration file
// names only what differs from the defaults, and every default stays declared once, on the
// type it belongs to (the decoder reads it from a default instance).

extension KeyedDecodingContainer {
    /// The value at `key`, or `value` when the key is absent (a present key of the wrong type
    /// is still an error naming it).
    package func decode<T: Decodable>(_ key: Key, default value: @autoclosure () -> T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? value()
    }
}

/// A coding key for any string: for containers whose keys are not known in advance (a
/// choice's name beside its fields).
package struct AnyCodingKey: CodingKey, Hashable {
    package var stringValue: String
    package var intValue: Int? { nil }
    package init(_ string: String) { stringValue = string }
    package init?(stringValue: String) { self.stringValue = stringValue }
    package init?(intValue: Int) { nil }
}
