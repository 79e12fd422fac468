// One request as the in-test origin server received it.
import NIOHTTP1

/// A request seen by ``TestUpstreamServer``; the body is counted, not stored.
public struct TestUpstreamRequest: Sendable {
    /// The method, e.g. `GET`.
    public var method: String
    /// The request target as sent, e.g. `/api/users?page=2`.
    public var uri: String
    /// Header fields in received order.
    public var headers: [(name: String, value: String)]
    /// Body bytes received; final once the request is in ``TestUpstreamServer/receivedRequests``
    /// (0 in the value passed to the behaviour closure, which runs at the request head).
    public var bodyByteCount: Int
    /// Which accepted connection carried the request (1 for the first), to check keep-alive reuse.
    public var connectionNumber: Int

    /// Creates a request record.
    public init(
        method: String,
        uri: String,
        headers: [(name: String, value: String)],
        bodyByteCount: Int = 0,
        connectionNumber: Int = 0
    ) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.bodyByteCount = bodyByteCount
        self.connectionNumber = connectionNumber
    }

    init(head: HTTPRequestHead, connectionNumber: Int) {
        self.init(
            method: head.method.rawValue,
            uri: head.uri,
            headers: head.headers.map { (name: $0.name, value: $0.value) },
            connectionNumber: connectionNumber
        )
    }

    /// The first value of the header `name` (case-insensitive), or nil when absent.
    public func header(_ name: String) -> String? {
        self.headerValues(name).first
    }

    /// Every value of the header `name` (case-insensitive), in received order.
    public func headerValues(_ name: String) -> [String] {
        self.headers.filter { TestHeaderName.matches($0.name, name) }.map(\.value)
    }
}
