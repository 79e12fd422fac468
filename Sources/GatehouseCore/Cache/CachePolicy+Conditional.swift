// CachePolicy+Conditional: clients' conditional requests answered from cache, and the cache's own revalidation requests.
import NIOHTTP1

extension CachePolicy {
    /// Whether a client's conditional GET/HEAD is answered 304 from `entry` (RFC 9110 §13.1.2,
    /// §13.1.3): `If-None-Match` by weak comparison (`*` matches any stored entry); otherwise
    /// `If-Modified-Since` against `Last-Modified`, then `Date`, then when it was received.
    public func isNotModified(_ entry: CacheEntry, for request: CacheableRequest) -> Bool {
        isNotModified(entry, requestHeaders: request.headers)
    }

    /// The same, from the request's fields alone: a caller holding the request inside another
    /// object passes these rather than have the whole request copied out for the call.
    public func isNotModified(_ entry: CacheEntry, requestHeaders headers: HTTPHeaders) -> Bool {
        // Preconditions apply to 2xx answers only (RFC 9110 §13.2.1): a stored 404 or 301 is
        // served as it is, whatever `If-None-Match: *` says.
        guard (200..<300).contains(entry.status.code) else { return false }
        let noneMatch = headers["if-none-match"]
        if !noneMatch.isEmpty {
            if noneMatch.contains(where: { $0.trimmingOWS() == "*" }) {
                return true
            }
            guard let etag = entry.etag else { return false }
            return noneMatch.contains { line in
                EntityTag.list(parsing: line).contains { $0.weaklyMatches(etag) }
            }
        }
        guard let sinceText = headers.first(name: "if-modified-since"),
              let since = HTTPDate.parse(sinceText, now: entry.responseTime)
        else { return false }
        let modified = entry.lastModified.flatMap { HTTPDate.parse($0, now: entry.responseTime) }
            ?? entry.headers.first(name: "date").flatMap { HTTPDate.parse($0, now: entry.responseTime) }
            ?? entry.responseTime
        return modified <= since
    }

    /// The request that revalidates `entry` upstream: `head` as a GET (a HEAD's refresh must
    /// bring a body to store), the client's own conditions and ranges replaced by the entry's
    /// validators. Without validators it is a plain GET that refetches.
    public func revalidationHead(for head: HTTPRequestHead, entry: CacheEntry) -> HTTPRequestHead {
        var head = head
        head.method = .GET
        for name in Self.clientConditionalFields {
            head.headers.remove(name: name)
        }
        if let etag = entry.headers.first(name: "etag") {
            head.headers.add(name: "If-None-Match", value: etag)
        }
        if let lastModified = entry.lastModified {
            head.headers.add(name: "If-Modified-Since", value: lastModified)
        }
        return head
    }

    static let clientConditionalFields = ["if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range", "range"]
}
