// UpstreamResolveError: an origin's host name gave no address.

/// A lookup of an `upstream.servers` host that failed: the name is unknown (NXDOMAIN), the DNS
/// server did not answer, or the name has no address Gatehouse can connect to.
public struct UpstreamResolveError: Error, CustomStringConvertible {
    public let host: String
    /// The resolver's reason ("Name or service not known").
    public let reason: String

    public init(host: String, reason: String) {
        self.host = host
        self.reason = reason
    }

    public var description: String {
        "cannot resolve \(host): \(reason)"
    }
}
