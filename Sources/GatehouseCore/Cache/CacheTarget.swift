// CacheTarget: the method-independent URI (scheme, host, path and query) a cache entry belongs to.
import NIOHTTP1

/// A normalised target URI: scheme and host lower-cased, the scheme's default port dropped,
/// the path and query exactly as sent (no percent-decoding: `/a%2Fb` and `/a/b` stay distinct).
public struct CacheTarget: Hashable, Sendable {
    public let scheme: String
    public let host: String
    /// Origin-form: path plus `?query`, without a fragment.
    public let target: String

    public init(scheme: String, host: String, target: String) {
        let scheme = scheme == "http" || scheme == "https" ? scheme : scheme.lowercased()
        self.scheme = scheme
        self.host = Self.normalisedHost(host, scheme: scheme)
        let withoutFragment = target.utf8.firstIndex(of: UInt8(ascii: "#")).map { String(target[..<$0]) } ?? target
        self.target = withoutFragment.isEmpty ? "/" : withoutFragment
    }

    /// The target of a request received on a listener speaking `scheme`: an absolute-form
    /// request-target names its own authority, otherwise `Host` does.
    public init(request head: HTTPRequestHead, scheme: String) {
        if let absolute = RequestTarget.absoluteFormPath(of: head.uri) {
            self.init(scheme: scheme, host: absolute.authority, target: absolute.path)
        } else {
            self.init(scheme: scheme, host: head.headers.first(name: "host") ?? "", target: head.uri)
        }
    }

    /// The target as the client addressed it: `forwarded`, from a trusted proxy in front,
    /// overrides the listener's scheme and the host (the same URL for lookups and invalidation).
    public init(request head: HTTPRequestHead, scheme: String, forwarded: ForwardedOrigin?) {
        self.init(request: head, scheme: forwarded?.scheme ?? scheme)
        if let host = forwarded?.host {
            self.init(scheme: self.scheme, host: host, target: target)
        }
    }

    /// `http://host/path?query` (for `POST /admin/purge {"url": …}`); nil for anything else.
    public init?(absoluteURL: String) {
        guard let parts = RequestTarget.absoluteFormPath(of: absoluteURL) else { return nil }
        let scheme = absoluteURL.prefix(5).lowercased() == "https" ? "https" : "http"
        self.init(scheme: scheme, host: parts.authority, target: parts.path)
    }

    /// The path without the query.
    public var path: Substring {
        target[..<(target.utf8.firstIndex(of: UInt8(ascii: "?")) ?? target.endIndex)]
    }

    /// `Location` or `Content-Location` resolved against this target (RFC 3986 §5.2); nil when
    /// it names another host, which RFC 9111 §4.4 says must not be invalidated.
    public func resolving(_ reference: String) -> CacheTarget? {
        let reference = String(reference.trimmingOWS())
        guard !reference.isEmpty else { return nil }
        if let absolute = CacheTarget(absoluteURL: reference) {
            return absolute.host == host ? absolute : nil
        }
        if reference.hasPrefix("//") {
            return CacheTarget(absoluteURL: scheme + ":" + reference).flatMap { $0.host == host ? $0 : nil }
        }
        if let colon = reference.firstIndex(of: ":"), !reference[..<colon].contains("/" as Character) {
            return nil
        }
        if reference.hasPrefix("/") {
            return CacheTarget(scheme: scheme, host: host, target: Self.removingDotSegments(reference))
        }
        if reference.hasPrefix("?") {
            return CacheTarget(scheme: scheme, host: host, target: String(path) + reference)
        }
        let directory = path.lastIndex(of: "/").map { path[...$0] } ?? "/"
        return CacheTarget(scheme: scheme, host: host, target: Self.removingDotSegments(String(directory) + reference))
    }

    private static func normalisedHost(_ host: String, scheme: String) -> String {
        let defaultPort = scheme == "https" ? ":443" : ":80"
        if isPlainLowercase(host) && !host.hasSuffix(defaultPort) {
            return host  // the common case: nothing to change, nothing to allocate
        }
        var host = host.trimmingOWS().lowercased()
        if let at = host.lastIndex(of: "@") {
            host = String(host[host.index(after: at)...])
        }
        if host.hasSuffix(defaultPort) {
            host.removeLast(defaultPort.count)
        }
        return host
    }

    /// Lower-case letters, digits and `.-:[]` only: no case, whitespace or userinfo to remove.
    private static func isPlainLowercase(_ host: String) -> Bool {
        !host.isEmpty && host.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ":")
                || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]")
        }
    }

    /// RFC 3986 §5.2.4 on the path; the query is left alone.
    private static func removingDotSegments(_ target: String) -> String {
        let queryStart = target.firstIndex(of: "?") ?? target.endIndex
        let path = target[..<queryStart]
        guard path.contains("." as Character) else { return target }
        var output: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (offset, segment) in segments.enumerated() {
            let isLast = offset == segments.count - 1
            switch segment {
            case ".":
                if isLast { output.append("") }
            case "..":
                if !output.isEmpty { output.removeLast() }
                if isLast { output.append("") }
            default:
                output.append(segment)
            }
        }
        return "/" + output.joined(separator: "/") + target[queryStart...]
    }
}
