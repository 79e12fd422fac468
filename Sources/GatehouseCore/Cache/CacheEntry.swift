// CacheEntry: one stored response — status, headers, body and the timing its age is computed from.
import NIOCore
import NIOHTTP1

/// A stored response. Headers are kept as received minus hop-by-hop fields and the fields of
/// one exchange (`Age`, recomputed on every hit; `X-Request-Id`; rate-limit state), with
/// `Content-Length` set to the stored body's length.
public struct CacheEntry: Sendable, Equatable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders {
        didSet { servedFields = Self.encodeServedFields(headers) }
    }
    /// `headers` as a hit writes them (with our `Via` hop), already encoded as wire bytes, so
    /// serving a hit copies one buffer instead of re-encoding every field (DESIGN.md §3).
    public private(set) var servedFields: ByteBuffer
    /// The body where the store keeps it; a hit sends a file body with `sendfile`.
    public var storedBody: CacheBody
    /// The body's bytes (a file body is read back: a copy). Setting it keeps the bytes in a buffer.
    public var body: ByteBuffer {
        get { storedBody.bytes }
        set { storedBody = .bytes(newValue) }
    }
    /// When the response (or the 304 that last refreshed it) arrived: `response_time`.
    public var responseTime: CacheTime
    /// `corrected_initial_age` at `responseTime`.
    public var initialAge: Int64
    public var freshness: CacheFreshness
    /// Normalised names of its `Vary` field; part of its key.
    public var varyNames: [String]

    public init(
        status: HTTPResponseStatus,
        headers: HTTPHeaders,
        body: ByteBuffer,
        responseTime: CacheTime,
        initialAge: Int64,
        freshness: CacheFreshness,
        varyNames: [String]
    ) {
        self.init(
            status: status, headers: headers, storedBody: .bytes(body), responseTime: responseTime,
            initialAge: initialAge, freshness: freshness, varyNames: varyNames
        )
    }

    /// An entry whose body is already where it will be kept (a buffer of its own or a memory file).
    public init(
        status: HTTPResponseStatus,
        headers: HTTPHeaders,
        storedBody: CacheBody,
        responseTime: CacheTime,
        initialAge: Int64,
        freshness: CacheFreshness,
        varyNames: [String]
    ) {
        self.status = status
        self.headers = headers
        self.servedFields = Self.encodeServedFields(headers)
        self.storedBody = storedBody
        self.responseTime = responseTime
        self.initialAge = initialAge
        self.freshness = freshness
        self.varyNames = varyNames
    }

    /// Seconds since the origin generated it, as the `Age` header states it (RFC 9111 §4.2.3).
    public func currentAge(at now: CacheTime) -> Int64 {
        CacheAge.currentAge(initialAge: initialAge, responseTime: responseTime, now: now)
    }

    /// Freshness left at `now`; negative once stale (RFC 9211's `ttl`).
    public func ttl(at now: CacheTime) -> Int64 {
        freshness.lifetime - currentAge(at: now)
    }

    public var etag: EntityTag? {
        headers.first(name: "etag").flatMap { EntityTag(parsing: $0) }
    }

    /// The raw `Last-Modified` value.
    public var lastModified: String? {
        headers.first(name: "last-modified")
    }

    /// Whether a conditional request can revalidate it.
    public var hasValidator: Bool {
        headers.contains(name: "etag") || headers.contains(name: "last-modified")
    }

    /// The headers of a response served from this entry at `now`: the stored ones plus `Age`.
    public func responseHeaders(at now: CacheTime) -> HTTPHeaders {
        var headers = self.headers
        headers.replaceOrAdd(name: "age", value: String(currentAge(at: now)))
        return headers
    }

    /// The headers of a 304 answering a client's conditional request from this entry
    /// (RFC 9110 §15.4.5: the fields a 200 would carry that guide caches), plus `Age`.
    public func notModifiedHeaders(at now: CacheTime) -> HTTPHeaders {
        var result = HTTPHeaders()
        let kept = ["cache-control", "content-location", "date", "etag", "expires", "vary"]
        for (name, value) in headers where kept.contains(name.lowercased()) {
            result.add(name: name, value: value)
        }
        if !headers.contains(name: "etag"), let lastModified {
            result.add(name: "Last-Modified", value: lastModified)
        }
        result.add(name: "Age", value: String(currentAge(at: now)))
        return result
    }

    private static func encodeServedFields(_ headers: HTTPHeaders) -> ByteBuffer {
        var served = headers
        RequestHeadRewriter.appendVia(to: &served)
        var size = 0
        for (name, value) in served {
            size += name.utf8.count + value.utf8.count + 4
        }
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        buffer.writeHTTPFields(served)
        return buffer
    }

    /// The bytes it costs a memory store: body, headers (parsed and encoded) and the objects
    /// holding them, plus the store's bookkeeping for one entry (the key is added by the store).
    /// Counted as allocated, so that the budget bounds memory, not just payload: the encoded
    /// fields by their buffer's capacity (NIO rounds it up to a power of two); the parsed fields
    /// by their array (48 bytes, plus 32 per field for its two strings) and each string that
    /// does not fit inline (over 15 UTF-8 bytes) by its heap object (a 32-byte header, the bytes
    /// and a terminator rounded up to 16, malloc's chunk header); `varyNames` likewise. The body
    /// counts its bytes (it is copied into a buffer of its own, `CacheStoragePlan.entry`), or a
    /// memory file's pages and kernel objects (`CacheBody.storageBytes`).
    public var storageCost: Int {
        func heapBytes(_ string: String) -> Int {
            let count = string.utf8.count
            return count <= 15 ? 0 : 48 + ((count + 16) & ~15)
        }
        var cost = Self.overhead + storedBody.storageBytes + servedFields.storageCapacity
        if !headers.isEmpty {
            cost += 48
        }
        for (name, value) in headers {
            cost += 32 + heapBytes(name) + heapBytes(value)
        }
        if !varyNames.isEmpty {
            cost += 48
        }
        for name in varyNames {
            cost += 16 + heapBytes(name)
        }
        return cost
    }

    /// Per entry: the memory store's LRU node (its key, this struct inline, cost and links: 208
    /// bytes), its bucket in the key dictionary and its free-list slot; the storage objects of
    /// `body` and `servedFields` (64 bytes each, 80 with malloc's chunk header) and the chunk
    /// headers of their bytes. With the rest of `storageCost` and the store's slot costs, malloc
    /// reports 2% less to 6% more than counted for 1,000 to 70,000 entries (bodies of 97 bytes
    /// to 32 KiB, 0 to 15 fields, per-user keys, `Vary`; the most just after the store's arrays
    /// double, when their new half is not yet touched); a running Gatehouse's RSS grows by what
    /// the store counts (scripts/soak's header).
    static let overhead = 448
}
