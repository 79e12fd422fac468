// ForwardedOrigin: the scheme and host a trusted proxy in front says the client asked for.
import NIOHTTP1

/// `X-Forwarded-Proto` / `X-Forwarded-Host` as a trusted proxy sent them. Gatehouse passes them
/// on to the origin, which may build the response from them (absolute links, redirects), so a
/// cache must key on them too or one host's page is served for another's.
public struct ForwardedOrigin: Sendable, Equatable {
    /// `http` or `https`; nil when not stated (or not one of those).
    public var scheme: String?
    /// The left-most (client-facing) host named; nil when none.
    public var host: String?

    /// Read from a trusted peer's request fields; nil when it states neither.
    public init?(trustedHeaders headers: HTTPHeaders) {
        let scheme = Self.firstElement(headers.first(name: "x-forwarded-proto")).map { $0.lowercased() }
        self.scheme = scheme == "http" || scheme == "https" ? scheme : nil
        self.host = Self.firstElement(headers.first(name: "x-forwarded-host"))
        if self.scheme == nil && self.host == nil {
            return nil
        }
    }

    private static func firstElement(_ value: String?) -> String? {
        guard let value else { return nil }
        let first = value.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let trimmed = first.trimmingOWS()
        return trimmed.isEmpty ? nil : String(trimmed)
    }
}
