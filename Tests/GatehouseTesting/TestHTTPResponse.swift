// A fully received HTTP response as tests inspect it: status, headers in wire order, body.
import Foundation

/// A complete HTTP response collected by ``TestHTTPClient`` or ``RawHTTPConnection``.
public struct TestHTTPResponse: Sendable {
    /// The status code, e.g. `200`.
    public var status: Int
    /// Header fields in the order they were received, names as sent.
    public var headers: [(name: String, value: String)]
    /// The body after removing any transfer coding (chunk framing).
    public var body: [UInt8]
    /// Trailer fields of a chunked body, in received order (empty for other framings).
    public var trailers: [(name: String, value: String)]

    /// Creates a response; tests rarely need this except to build expected values.
    public init(
        status: Int,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        trailers: [(name: String, value: String)] = []
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.trailers = trailers
    }

    /// The body decoded as UTF-8; invalid sequences become U+FFFD.
    public var bodyString: String {
        String(decoding: self.body, as: UTF8.self)
    }

    /// The first value of the header `name` (case-insensitive), or nil when absent.
    public func header(_ name: String) -> String? {
        self.headerValues(name).first
    }

    /// Every value of the header `name` (case-insensitive), one per field line, in received order.
    public func headerValues(_ name: String) -> [String] {
        self.headers.filter { TestHeaderName.matches($0.name, name) }.map(\.value)
    }

    /// The body parsed as a JSON object, or nil when it is not one.
    public func jsonObject() -> [String: Any]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(self.body)) else { return nil }
        return object as? [String: Any]
    }
}
