// CacheStoragePlan: a response judged storable, waiting for its body to become a CacheEntry.
import NIOCore
import NIOHTTP1

/// The storage verdict is made on the response head, before the body streams through; the
/// body is added once it is complete (a truncated body must never be turned into an entry).
public struct CacheStoragePlan: Sendable, Equatable {
    public var status: HTTPResponseStatus
    /// The headers to store: without hop-by-hop and per-response fields (`Age`, `X-Request-Id`, …).
    public var headers: HTTPHeaders
    public var varyNames: [String]
    public var freshness: CacheFreshness
    public var initialAge: Int64
    public var responseTime: CacheTime

    public init(
        status: HTTPResponseStatus,
        headers: HTTPHeaders,
        varyNames: [String],
        freshness: CacheFreshness,
        initialAge: Int64,
        responseTime: CacheTime
    ) {
        self.status = status
        self.headers = headers
        self.varyNames = varyNames
        self.freshness = freshness
        self.initialAge = initialAge
        self.responseTime = responseTime
    }

    /// How long the store should keep the entry (lifetime plus stale allowance), counted from
    /// `responseTime` and less the age it arrived with.
    public var retention: Int64 {
        max(0, freshness.retention - initialAge)
    }

    /// The entry holding `body`, with `Content-Length` restated for it (the upstream may have
    /// sent it chunked).
    public func entry(body: ByteBuffer) -> CacheEntry {
        // A captured body is often a slice of the connection's read buffer (up to 64 KiB or
        // more): storing the slice would keep that whole buffer alive, unaccounted for in the
        // budget. The entry gets its own buffer of exactly the body's size.
        var compact = ByteBufferAllocator().buffer(capacity: body.readableBytes)
        compact.writeImmutableBuffer(body)
        return entry(storedBody: .bytes(compact))
    }

    /// The entry around a body already stored: a revalidated entry keeps its buffer or memory
    /// file as it is, uncopied.
    public func entry(storedBody: CacheBody) -> CacheEntry {
        var headers = self.headers
        if status.code == 204 {
            headers.remove(name: "content-length")
        } else {
            headers.replaceOrAdd(name: "content-length", value: String(storedBody.count))
        }
        return CacheEntry(
            status: status,
            headers: headers,
            storedBody: storedBody,
            responseTime: responseTime,
            initialAge: initialAge,
            freshness: freshness,
            varyNames: varyNames
        )
    }
}
