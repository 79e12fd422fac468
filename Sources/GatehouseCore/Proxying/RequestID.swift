// RequestID: the X-Request-Id a request carries through the proxy and upstream.

/// Validation and generation of request ids.
public enum RequestID {
    public static let headerName = "x-request-id"
    /// The spelling Gatehouse writes.
    public static let canonicalHeaderName = "X-Request-Id"

    /// A client-sent id is kept when it is short and made of safe characters, so it can be
    /// logged and forwarded without escaping; anything else is replaced.
    public static func isAcceptable(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= 128 else { return false }
        return id.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
        }
    }

    /// A new random id: 32 lower-case hex digits (128 bits). On the hot path use a
    /// `RequestIDGenerator`, which does not read the system's random source each time.
    public static func generate() -> String {
        var generator = RequestIDGenerator()
        return generator.generate()
    }
}
