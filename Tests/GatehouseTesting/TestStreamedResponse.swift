// What a streamed exchange reports instead of the body: its size, checksum and whether it ended.

/// A response whose body was consumed without being stored (``TestHTTPClient/sendStreaming(_:_:headers:bodyLength:bodyChunk:timeout:)``).
public struct TestStreamedResponse: Sendable {
    /// The status code, e.g. `200`.
    public var status: Int
    /// Header fields in the order they were received.
    public var headers: [(name: String, value: String)]
    /// How many body bytes arrived (after removing chunk framing).
    public var bodyByteCount: Int
    /// ``TestBodyChecksum`` of the body bytes that arrived.
    public var bodyChecksum: UInt64
    /// True when the end of the response arrived; false when the connection was cut first.
    public var complete: Bool

    /// Creates a streamed response summary.
    public init(
        status: Int,
        headers: [(name: String, value: String)],
        bodyByteCount: Int,
        bodyChecksum: UInt64,
        complete: Bool
    ) {
        self.status = status
        self.headers = headers
        self.bodyByteCount = bodyByteCount
        self.bodyChecksum = bodyChecksum
        self.complete = complete
    }

    /// The first value of the header `name` (case-insensitive), or nil when absent.
    public func header(_ name: String) -> String? {
        self.headers.first { TestHeaderName.matches($0.name, name) }?.value
    }

    /// The checksum a body of `length` bytes made by repeating `pattern` has, to compare with
    /// ``bodyChecksum``.
    public static func checksum(pattern: [UInt8], length: Int) -> UInt64 {
        TestBodyChecksum.repeating(pattern, length: length)
    }
}
