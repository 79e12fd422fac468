// CacheEntry+Range: the fields of a 206 or 416 answered from a stored response.
import NIOHTTP1

extension CacheEntry {
    /// The fields of a 206 carrying `range` of the body at `now`: the stored ones (with `Age`)
    /// with `Content-Length` for the part and its `Content-Range` (RFC 9110 §15.3.7).
    public func partialHeaders(_ range: Range<Int>, at now: CacheTime) -> HTTPHeaders {
        var headers = responseHeaders(at: now)
        headers.replaceOrAdd(name: "Content-Length", value: String(range.count))
        headers.replaceOrAdd(name: "Content-Range", value: "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(storedBody.count)")
        return headers
    }

    /// The `Content-Range` of a 416 from this entry: `bytes */length` (§15.5.17).
    public var unsatisfiedRange: String {
        "bytes */\(storedBody.count)"
    }
}
