// RequestIDValue: one request's id — the client's own, or 128 generated bits kept as bits until text is needed.
import NIOCore

/// A request id as it is carried through the proxy. A generated id is two numbers until something
/// needs its text: a cache hit writes its 32 hex digits straight into the response head, so it
/// never makes the `String` (a heap allocation per request); the upstream head and the access
/// log ask for `text`.
public enum RequestIDValue: Sendable, Equatable {
    /// The client's acceptable `X-Request-Id`, kept as sent.
    case given(String)
    /// Generated here (see `RequestIDGenerator`): 32 lower-case hex digits, `high` first.
    case generated(high: UInt64, low: UInt64)

    /// The id as text.
    public var text: String {
        switch self {
        case .given(let id):
            return id
        case .generated(let high, let low):
            return String(unsafeUninitializedCapacity: 32) { bytes in
                Self.writeDigits(high: high, low: low, into: bytes)
            }
        }
    }

    /// Writes the `X-Request-Id: …` line of a response head.
    public func writeField(into buffer: inout ByteBuffer) {
        switch self {
        case .given(let id):
            buffer.writeHTTPField(name: RequestID.canonicalHeaderName, value: id)
        case .generated(let high, let low):
            buffer.writeString(RequestID.canonicalHeaderName)
            buffer.writeStaticString(": ")
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 34) { raw in
                let bytes = raw.bindMemory(to: UInt8.self)
                let count = Self.writeDigits(high: high, low: low, into: bytes)
                bytes[count] = UInt8(ascii: "\r")
                bytes[count + 1] = UInt8(ascii: "\n")
                return count + 2
            }
        }
    }

    /// The 32 digits into `bytes` (at least 32 long); returns 32.
    private static func writeDigits(high: UInt64, low: UInt64, into bytes: UnsafeMutableBufferPointer<UInt8>) -> Int {
        HexDigits.write(high, into: UnsafeMutableBufferPointer(rebasing: bytes[0..<16]))
        HexDigits.write(low, into: UnsafeMutableBufferPointer(rebasing: bytes[16..<32]))
        return 32
    }
}
