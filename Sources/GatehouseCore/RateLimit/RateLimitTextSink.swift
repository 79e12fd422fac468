// RateLimitTextSink: where the rate-limit fields' text goes — a String, or a response head's bytes.
import NIOCore

/// The rate-limit fields are written by one piece of code into either a `String` (`add(to:)`,
/// tests) or straight into a response head, so both forms are the same text by construction.
protocol RateLimitTextSink {
    mutating func appendText(_ text: String)
    /// Appends `value` in decimal; negative values as 0 (header numbers never go below).
    mutating func appendNumber(_ value: Int)
}

extension String: RateLimitTextSink {
    mutating func appendText(_ text: String) {
        append(text)
    }

    mutating func appendNumber(_ value: Int) {
        RateLimitDecimal.append(value, to: &self)
    }
}

extension ByteBuffer: RateLimitTextSink {
    mutating func appendText(_ text: String) {
        writeString(text)
    }

    mutating func appendNumber(_ value: Int) {
        writeDecimal(max(value, 0))
    }
}
